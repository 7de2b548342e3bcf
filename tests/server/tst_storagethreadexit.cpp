// The storage thread has no OpenSSL state left when it finishes (PostgreSQL only).
//
// libpq signs in with SCRAM through OpenSSL, which keeps state per thread (random
// generators, error queues) and frees it in a destructor that runs as the thread exits. Qt's
// threads are detached: QThread::wait() returns before that destructor has run, and the
// server's main() returns right after the storage thread's wait(). OpenSSL's clean-up at
// process exit frees every thread's state without waiting for such a destructor, so the
// two could free the same blocks (seen once under AddressSanitizer: "attempting
// double-free ... in thread T1 (dpichat-storage)"). The Committer frees that state on the
// storage thread as it finishes, before wait() returns; then nothing is left for the
// destructor, and the race is gone.
//
// This checks that through OpenSSL's allocator hooks: once the storage thread has finished,
// OpenSSL must free nothing more on it, up to the moment the thread is gone.

#include "metrics/metrics.h"
#include "net/committer.h"
#include "pgtestdb.h"
#include "store/sqlstore.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QThread>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <openssl/crypto.h>
#include <sys/types.h>
#include <unistd.h>

using namespace dpichat;
using namespace dpichat::server;
using namespace Qt::StringLiterals;

namespace {

thread_local bool t_finished = false; // This is the storage thread, and it has finished.
std::atomic<int> g_freedAfterFinished{0};
std::atomic<pid_t> g_storageTid{0};

void *hookMalloc(size_t size, const char *, int)
{
    return std::malloc(size);
}

void *hookRealloc(void *p, size_t size, const char *, int)
{
    return std::realloc(p, size);
}

void hookFree(void *p, const char *, int)
{
    if (t_finished && p)
        ++g_freedAfterFinished;
    std::free(p);
}

int fail(const char *what)
{
    std::fprintf(stderr, "FAIL: %s\n", what);
    return 1;
}

// The storage thread's store: notes its thread, and marks it once it has finished (a slot
// connected after the Committer's own, so it runs after it).
class MarkedStore : public SqlStore
{
public:
    using SqlStore::SqlStore;
    Expected<bool> open() override
    {
        g_storageTid = ::gettid();
        QObject::connect(QThread::currentThread(), &QThread::finished, [] { t_finished = true; });
        return SqlStore::open();
    }
};

} // namespace

int main(int argc, char *argv[])
{
    // Before OpenSSL allocates anything (it refuses afterwards).
    if (!CRYPTO_set_mem_functions(hookMalloc, hookRealloc, hookFree))
        return fail("OpenSSL's allocator could not be hooked (something used OpenSSL already)");
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(u"dpichat.server.store.info=false"_s);

    PgTestDatabase pg;
    if (!pg.isValid())
        return fail(qPrintable(pg.error()));
    SqlStoreOptions options;
    options.driver = u"QPSQL"_s;
    options.database = pg.databaseName();
    options.host = pg.host();
    options.port = pg.port();
    options.user = pg.userName();
    options.password = pg.password();

    SqlStore store(options);
    if (hasError(store.open()))
        return fail("open the store");
    const auto added = store.addUser(u"c@example.com"_s, u"C"_s, Role::Customer, "h"_ba);
    if (hasError(added))
        return fail("add a user");
    const StoredUser user = std::get<StoredUser>(added);

    {
        Metrics metrics;
        Committer committer(store, metrics);
        if (hasError(committer.startStorageThread(
                    [options] { return std::make_unique<MarkedStore>(options); })))
            return fail("start the storage thread");
        bool stored = false;
        committer.submit(NewMessage{user.threadId, user.user.id, u"m-1"_s, u"text"_s},
                         [&](const Expected<AppendResult> &r) { stored = !hasError(r); });
        committer.flush();
        if (!stored)
            return fail("store a message on the storage thread");
    } // The storage thread has finished when this returns, but may still be exiting.

    // Until the kernel has let go of the thread: its exit destructors have run by then.
    const QString task = u"/proc/self/task/%1"_s.arg(g_storageTid.load());
    const QDeadlineTimer deadline(30'000);
    while (QFileInfo::exists(task) && !deadline.hasExpired())
        QThread::msleep(1);
    if (QFileInfo::exists(task))
        return fail("the storage thread did not exit");
    if (const int freed = g_freedAfterFinished.load(); freed > 0) {
        std::fprintf(stderr,
                     "FAIL: OpenSSL freed %d blocks of the storage thread's state after it had "
                     "finished (at its exit, racing with OpenSSL's clean-up at process exit)\n",
                     freed);
        return 1;
    }
    std::printf("PASS: the storage thread freed its OpenSSL state before it finished\n");
    return 0;
}
