// Fuzz target: a logged-in server session fed an arbitrary sequence of frames.
//
// In-process and without sockets: the real Server composition (Store on a temporary SQLite
// file, Authenticator, Router, Committer, Dispatcher) is built once, and every input gets a
// fresh Session whose QWebSocket is never connected, so replies go nowhere and the cost per
// input is the Dispatcher's and the Store's, not the loopback's. Frames are handed to the
// Dispatcher exactly as Session::onText does after its rate bucket (off here).
//
// Input: the first byte picks the user (customer, member or admin), the rest is split at
// '\n' into at most kMaxFrames frames.
// Invariants after every input, checked in the store: a customer or member stored messages
// in their own thread only, as themselves; a thread that is not theirs (Dave's) is exactly
// as before, including the fuzzed user's unread count in it; an admin's messages are theirs.

#include "fuzzcheck.h"
#include "auth/passwords.h"
#include "net/dispatcher.h"
#include "net/qtwebsockettransport.h"
#include "net/session.h"
#include "server.h"
#include "store/sqlstore.h"

#include <QCoreApplication>
#include <QTemporaryDir>
#include <QWebSocket>

#include <cstdint>
#include <memory>

using namespace dpichat;
using namespace dpichat::server;

namespace {

constexpr int kMaxFrames = 32;

struct World
{
    QTemporaryDir dir;
    std::unique_ptr<SqlStore> store;
    std::unique_ptr<Server> server;
    StoredUser admin, customer, member, dave;
    qint64 lastSeenId = 0;
    /// Dave's thread as each user and as the team see it; only an admin input may change it.
    QHash<qint64, Thread> daveAsSeenBy;
};

World *g_world = nullptr;

StoredUser addUser(Store &store, const char *email, const char *name, Role role)
{
    auto added = store.addUser(QString::fromLatin1(email), QString::fromLatin1(name), role,
                               QByteArrayLiteral("$argon2id$not-a-real-hash"));
    FUZZ_CHECK(std::holds_alternative<StoredUser>(added), "cannot add a user");
    return std::get<StoredUser>(added);
}

Thread threadAsSeenBy(qint64 threadId, const User &viewer)
{
    auto t = g_world->store->threadFor(threadId, viewer);
    FUZZ_CHECK(std::holds_alternative<std::optional<Thread>>(t), "threadFor failed");
    const auto &thread = std::get<std::optional<Thread>>(t);
    FUZZ_CHECK(thread.has_value(), "a thread vanished");
    return *thread;
}

/// Every message stored since the last check, oldest first.
QList<Message> newMessages()
{
    QList<Message> out;
    for (;;) {
        auto page = g_world->store->sync(g_world->admin.user, g_world->lastSeenId, 200);
        FUZZ_CHECK(std::holds_alternative<MessagePage>(page), "sync failed");
        const MessagePage &p = std::get<MessagePage>(page);
        for (const Message &m : p.messages) {
            FUZZ_CHECK(m.id > g_world->lastSeenId, "sync out of order");
            g_world->lastSeenId = m.id;
            out.append(m);
        }
        if (!p.hasMore || p.messages.isEmpty())
            return out;
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static int qtArgc = 1;
    static char *qtArgv[] = {(*argc > 0) ? (*argv)[0] : const_cast<char *>("fuzz_session"), nullptr};
    new QCoreApplication(qtArgc, qtArgv); // lives for the whole process, like the fuzzer
    FUZZ_CHECK(passwords::initialise(), "libsodium did not start");
    g_world = new World;
    FUZZ_CHECK(g_world->dir.isValid(), "no temporary directory");
    SqlStoreOptions options;
    options.database = g_world->dir.filePath(QStringLiteral("fuzz.db"));
    options.synchronous = QStringLiteral("OFF"); // durability is the crash test's business
    g_world->store = std::make_unique<SqlStore>(options);
    FUZZ_CHECK(std::holds_alternative<bool>(g_world->store->open()), "cannot open the store");
    g_world->admin = addUser(*g_world->store, "ann@support.test", "Ann", Role::Admin);
    g_world->customer = addUser(*g_world->store, "carol@customer.test", "Carol", Role::Customer);
    g_world->member = addUser(*g_world->store, "mia@team.test", "Mia", Role::Member);
    g_world->dave = addUser(*g_world->store, "dave@customer.test", "Dave", Role::Customer);
    // One message in Dave's thread, so that reading it or its unread count could change.
    auto seeded = g_world->store->appendMessages(
        {{g_world->dave.threadId, g_world->dave.user.id, QStringLiteral("seed-1"), QStringLiteral("hello")}});
    FUZZ_CHECK(std::holds_alternative<QList<AppendResult>>(seeded), "cannot seed");
    newMessages();
    ServerConfig config;
    config.rateLimit = 0;
    g_world->server = std::make_unique<Server>(*g_world->store, config);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    World &w = *g_world;
    const StoredUser *users[] = {&w.customer, &w.member, &w.admin};
    const StoredUser &who = *users[data[0] % 3];
    const bool isAdmin = who.user.role == Role::Admin;

    if (w.daveAsSeenBy.isEmpty()) {
        for (const StoredUser *u : users)
            w.daveAsSeenBy.insert(u->user.id, threadAsSeenBy(w.dave.threadId, u->user));
    }

    SessionLimits limits;
    limits.rateLimit = 0;
    auto session = std::make_unique<Session>(
            std::make_unique<QtWebSocketTransport>(new QWebSocket, nullptr, 64 * 1024),
            w.server->dispatcher(), limits, w.server->metrics());
    session->setLoggedIn(who.user, who.threadId, QStringLiteral("fuzz-token"));

    const QByteArrayView rest(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    int frames = 0;
    for (qsizetype start = 0; start <= rest.size() && frames < kMaxFrames; ++frames) {
        qsizetype end = rest.indexOf('\n', start);
        if (end < 0)
            end = rest.size();
        auto decoded = decodeRequest(rest.sliced(start, end - start));
        if (auto *frame = std::get_if<RequestFrame>(&decoded))
            w.server->dispatcher().handle(*session, std::move(*frame));
        start = end + 1;
    }
    // Group commits and anything else queued run now, while the session still exists.
    for (int i = 0; i < 3; ++i)
        QCoreApplication::processEvents();
    session.reset();
    QCoreApplication::processEvents();

    for (const Message &m : newMessages()) {
        FUZZ_CHECK(m.sender == who.user.id, "a message was stored under another user's name");
        if (!isAdmin)
            FUZZ_CHECK(m.thread == who.threadId, "a non-admin wrote into a thread not theirs");
    }
    if (isAdmin) {
        w.daveAsSeenBy.clear(); // taken again before the next input
    } else {
        FUZZ_CHECK(threadAsSeenBy(w.dave.threadId, who.user) == w.daveAsSeenBy.value(who.user.id),
                   "a non-admin changed a thread not theirs");
        FUZZ_CHECK(threadAsSeenBy(w.dave.threadId, w.admin.user)
                       == w.daveAsSeenBy.value(w.admin.user.id),
                   "a non-admin changed what the team sees of a thread not theirs");
    }
    return 0;
}
