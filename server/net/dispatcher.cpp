#include "dispatcher.h"

#include "auth/authenticator.h"
#include "logging.h"
#include "metrics/metrics.h"
#include "net/committer.h"
#include "net/eventbus.h"
#include "net/router.h"
#include "net/session.h"
#include "protocol/fastjson.h"
#include "protocol/limits.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QWebSocketProtocol>

namespace dpichat::server {

namespace {
template<typename T>
const ProtocolError *errorOf(const Expected<T> &e)
{
    return std::get_if<ProtocolError>(&e);
}
} // namespace

Dispatcher::Dispatcher(Store &store, Authenticator &auth, Router &router, Committer &committer,
                       Metrics &metrics,
                       EventBus &bus, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_auth(auth)
    , m_router(router)
    , m_committer(committer)
    , m_metrics(metrics)
    , m_bus(bus)
{
}

void Dispatcher::handle(Session &s, RequestFrame &&frame)
{
    const QJsonValue &id = frame.id;
    if (auto *login = std::get_if<LoginRequest>(&frame.request)) {
        onLogin(s, id, *login);
        return;
    }
    if (!s.isLoggedIn()) {
        s.replyError(id, {ErrorCode::Unauthenticated, QStringLiteral("log in first")});
        return;
    }
    std::visit(
        [&](const auto &r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, LogoutRequest>)
                onLogout(s, id);
            else if constexpr (std::is_same_v<T, ThreadsRequest>)
                onThreads(s, id);
            else if constexpr (std::is_same_v<T, HistoryRequest>)
                onHistory(s, id, r);
            else if constexpr (std::is_same_v<T, SendRequest>)
                onSend(s, id, r);
            else if constexpr (std::is_same_v<T, ReadRequest>)
                onRead(s, id, r);
            else if constexpr (std::is_same_v<T, SyncRequest>)
                onSync(s, id, r);
            else if constexpr (std::is_same_v<T, TypingRequest>)
                onTyping(s, id, r);
            else if constexpr (std::is_same_v<T, PingRequest>)
                s.reply(id, PongReply{});
        },
        frame.request);
}

void Dispatcher::sessionFinished(Session &session)
{
    if (session.isLoggedIn())
        m_router.detach(&session);
}

void Dispatcher::onLogin(Session &s, const QJsonValue &id, const LoginRequest &r)
{
    if (s.isLoggedIn() || s.isLoginPending()) {
        s.replyError(id, {ErrorCode::BadRequest, QStringLiteral("already logged in")});
        return;
    }
    if (r.protocol != limits::kProtocolVersion) {
        s.replyError(id, {ErrorCode::UnsupportedProtocol,
                          QStringLiteral("this server speaks protocol %1")
                              .arg(limits::kProtocolVersion)});
        return;
    }
    s.setLoginPending(true);
    QPointer<Session> session(&s);
    m_auth.login(r, s.peerAddress(), &s, [this, session, id](const Expected<LoginResult> &result) {
        if (!session)
            return;
        session->setLoginPending(false);
        if (const auto *e = errorOf(result)) {
            session->replyError(id, *e);
            return;
        }
        const LoginResult &login = std::get<LoginResult>(result);
        User user = login.user.user;
        user.online = true;
        session->setLoggedIn(user, login.user.threadId, login.token);
        WelcomeReply welcome;
        welcome.token = login.token;
        welcome.user = user;
        welcome.frameBytes = limits::kFrameBytes;
        welcome.textChars = limits::kTextChars;
        welcome.serverVersion = QStringLiteral(DPICHAT_VERSION);
        session->reply(id, welcome);
        m_router.sendPresenceSnapshot(session);
        m_router.attach(session);
    });
}

void Dispatcher::onLogout(Session &s, const QJsonValue &id)
{
    const auto revoked = m_auth.logout(s.token());
    if (const auto *e = errorOf(revoked)) {
        s.replyError(id, *e);
        return;
    }
    s.reply(id, OkReply{});
    // Every live session that logged in with this token ends with it.
    const QList<Session *> sessions = m_router.sessionsOf(s.user().id);
    for (Session *other : sessions) {
        if (other->token() == s.token())
            other->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("logged out"));
    }
    s.close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("logged out"));
}

void Dispatcher::onThreads(Session &s, const QJsonValue &id)
{
    const auto presence = [this](qint64 thread, qint64 owner) {
        m_threadOwners.insert(thread, owner);
        // unwrittenLastSeen: left in the last second, not in the database yet.
        return OwnerPresence{m_router.isOnline(owner), m_router.unwrittenLastSeen(owner)};
    };
    // An admin's list of ten thousand threads is megabytes of JSON: written straight from
    // the database's rows where the store can, else hand-encoded from the Threads.
    if (!settle(s, id))
        return;
    const auto direct = m_store.threadsReply(s.user(), id, presence);
    if (const auto *e = errorOf(direct)) {
        s.replyError(id, *e);
        return;
    }
    if (const auto &json = std::get<std::optional<QByteArray>>(direct)) {
        if (!awaitDurable(s, id)) // what was read is on disk before anyone sees it
            return;
        s.sendText(*json);
        return;
    }
    auto threads = m_store.threadsFor(s.user());
    if (const auto *e = errorOf(threads)) {
        s.replyError(id, *e);
        return;
    }
    if (!awaitDurable(s, id))
        return;
    QList<Thread> list = std::get<QList<Thread>>(std::move(threads));
    for (Thread &t : list) {
        const OwnerPresence p = presence(t.id, t.owner.id);
        t.owner.online = p.online;
        if (p.lastSeen)
            t.owner.lastSeen = p.lastSeen;
    }
    s.sendText(fastjson::threadsReply(list, id));
}

bool Dispatcher::settle(Session &s, const QJsonValue &id)
{
    if (m_committer.settle())
        return true;
    s.replyError(id,
        ProtocolError { ErrorCode::Internal,
            QStringLiteral("messages cannot be read: the server could not "
                           "store the latest ones yet") });
    return false;
}

bool Dispatcher::awaitDurable(Session &s, const QJsonValue &id)
{
    if (m_committer.awaitDurable())
        return true;
    s.replyError(id, ProtocolError{ErrorCode::Internal,
                                   QStringLiteral("messages cannot be read: the server's disk failed")});
    return false;
}

Expected<qint64> Dispatcher::accessibleThreadOwner(const Session &s, qint64 thread)
{
    if (s.user().role != Role::Admin) {
        // Never say whether someone else's thread exists.
        if (thread != s.ownThread() || s.ownThread() == 0)
            return ProtocolError{ErrorCode::Forbidden, QStringLiteral("not your thread")};
        return s.user().id;
    }
    if (auto it = m_threadOwners.constFind(thread); it != m_threadOwners.cend())
        return *it;
    auto owner = m_store.threadOwner(thread);
    if (const auto *e = errorOf(owner))
        return *e;
    const auto found = std::get<std::optional<qint64>>(owner);
    if (!found)
        return ProtocolError{ErrorCode::NotFound, QStringLiteral("no such thread")};
    m_threadOwners.insert(thread, *found);
    return *found;
}

void Dispatcher::onHistory(Session &s, const QJsonValue &id, const HistoryRequest &r)
{
    const auto owner = accessibleThreadOwner(s, r.thread);
    if (const auto *e = errorOf(owner)) {
        s.replyError(id, *e);
        return;
    }
    if (!settle(s, id))
        return;
    auto page = m_store.history(r.thread, r.before, r.limit);
    if (const auto *e = errorOf(page)) {
        s.replyError(id, *e);
        return;
    }
    if (!awaitDurable(s, id))
        return;
    auto &p = std::get<MessagePage>(page);
    s.reply(id, HistoryReply{r.thread, std::move(p.messages), p.hasMore});
}

void Dispatcher::onSend(Session &s, const QJsonValue &id, const SendRequest &r)
{
    const auto owner = accessibleThreadOwner(s, r.thread);
    if (const auto *e = errorOf(owner)) {
        s.replyError(id, *e);
        return;
    }
    const auto text = validateMessageText(r.text, limits::kTextChars);
    if (const auto *e = errorOf(text)) {
        s.replyError(id, *e);
        return;
    }
    const qint64 ownerId = std::get<qint64>(owner);
    m_metrics.countSendRequest();
    QElapsedTimer received;
    received.start();
    QPointer<Session> session(&s);
    m_committer.submit(
        NewMessage { r.thread, s.user().id, r.clientId, std::get<QString>(text), s.user().name },
        [this, session, id, ownerId, received](const Expected<AppendResult> &result) {
            if (const auto *e = errorOf(result)) {
                if (session)
                    session->replyError(id, *e);
                return;
            }
            const AppendResult &stored = std::get<AppendResult>(result);
            // Hand-encoded, once for `sent` and the push: the hot path of every message.
            const QByteArray json = fastjson::message(stored.message);
            // The push first: connections are written in the order their output was queued
            // (WriteScheduler), and over loopback each write hands the bytes to the reader
            // there and then, so the other side sees the message a write sooner.
            // A repeated clientId returns the original and pushes nothing new.
            if (stored.created)
                m_bus.publishMessage(ownerId, stored.message, session.data(), json);
            if (session) {
                session->sendText(fastjson::sentReply(json, id));
                m_metrics.observeSendLatency(received.nsecsElapsed() / 1000);
            }
        });
}

void Dispatcher::onRead(Session &s, const QJsonValue &id, const ReadRequest &r)
{
    const auto owner = accessibleThreadOwner(s, r.thread);
    if (const auto *e = errorOf(owner)) {
        s.replyError(id, *e);
        return;
    }
    if (!settle(s, id))
        return;
    const auto moved = m_store.advanceReadCursor(r.thread, s.user().id, r.upTo);
    if (const auto *e = errorOf(moved)) {
        s.replyError(id, *e);
        return;
    }
    if (!awaitDurable(s, id)) // the cursor may name a message still being flushed
        return;
    s.reply(id, OkReply{});
    if (const auto upTo = std::get<std::optional<qint64>>(moved))
        m_bus.publishRead(std::get<qint64>(owner), ReadPush{r.thread, s.user().id, *upTo}, &s);
}

void Dispatcher::onSync(Session &s, const QJsonValue &id, const SyncRequest &r)
{
    if (!settle(s, id))
        return;
    auto page = m_store.sync(s.user(), r.after, r.limit);
    if (const auto *e = errorOf(page)) {
        s.replyError(id, *e);
        return;
    }
    if (!awaitDurable(s, id))
        return;
    auto &p = std::get<MessagePage>(page);
    s.reply(id, SyncReply{std::move(p.messages), p.hasMore});
}

void Dispatcher::onTyping(Session &s, const QJsonValue &id, const TypingRequest &r)
{
    const auto owner = accessibleThreadOwner(s, r.thread);
    if (const auto *e = errorOf(owner)) {
        s.replyError(id, *e);
        return;
    }
    m_bus.publishTyping(std::get<qint64>(owner),
                        TypingPush{r.thread, s.user().id, s.user().name, r.active});
}

} // namespace dpichat::server
