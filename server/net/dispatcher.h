#pragma once

#include "protocol/codec.h"
#include "store/store.h"

#include <QHash>
#include <QObject>

namespace dpichat::server {

class Authenticator;
class Committer;
class Metrics;
class EventBus;
class Router;
class Session;

/// Carries out one decoded request for one session: access rules, storage, replies and the
/// pushes it causes. Holds no per-connection state; that lives in the Session.
class Dispatcher : public QObject
{
    Q_OBJECT
public:
    /// Pushes that other instances must see too go through `bus`.
    Dispatcher(Store &store, Authenticator &auth, Router &router, Committer &committer,
               Metrics &metrics,
               EventBus &bus, QObject *parent = nullptr);

    void handle(Session &session, RequestFrame &&frame);

    /// Called when a session goes away, so that it leaves the Router.
    void sessionFinished(Session &session);

private:
    void onLogin(Session &s, const QJsonValue &id, const LoginRequest &r);
    void onLogout(Session &s, const QJsonValue &id);
    void onThreads(Session &s, const QJsonValue &id);
    void onHistory(Session &s, const QJsonValue &id, const HistoryRequest &r);
    void onSend(Session &s, const QJsonValue &id, const SendRequest &r);
    void onRead(Session &s, const QJsonValue &id, const ReadRequest &r);
    void onSync(Session &s, const QJsonValue &id, const SyncRequest &r);
    void onTyping(Session &s, const QJsonValue &id, const TypingRequest &r);

    /// The owner of `thread` if the session's user may touch it; otherwise the error to send
    /// (forbidden for non-admins, whatever the thread; not_found for admins).
    Expected<qint64> accessibleThreadOwner(const Session &s, qint64 thread);
    /// Waits until what was just read is on disk; false (with an `internal` error sent for
    /// request `id`) when it may not be, after a failed flush of the log.
    bool awaitDurable(Session &s, const QJsonValue &id);
    /// Before reading messages or their counters: waits until every message acknowledged
    /// so far is in the database (Committer::settle()); false (with an `internal` error sent
    /// for request `id`) when some cannot be stored yet.
    bool settle(Session &s, const QJsonValue &id);

    Store &m_store;
    Authenticator &m_auth;
    Router &m_router;
    Committer &m_committer;
    Metrics &m_metrics;
    EventBus &m_bus;
    QHash<qint64, qint64> m_threadOwners; ///< A thread never changes owner: cache lookups.
};

} // namespace dpichat::server
