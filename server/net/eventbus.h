#pragma once

#include "protocol/codec.h"
#include "store/store.h"

#include <QObject>

namespace dpichat::server {

class Router;
class Session;
class ThreadWatcher;

/// Where the Dispatcher publishes what happened, so that it reaches every session that must
/// see it. This base delivers to this instance's Router only: all that one server (SQLite, or
/// a single instance on PostgreSQL) needs, at the cost of a virtual call. PgEventBus also
/// tells the other instances on the same PostgreSQL database.
class EventBus : public QObject
{
    Q_OBJECT
public:
    explicit EventBus(QObject *parent = nullptr);
    ~EventBus() override;

    /// Called once by the Server before start().
    virtual void attach(Router &router, ThreadWatcher &watcher);
    virtual Expected<bool> start() { return true; }
    /// Graceful shutdown: lets the other instances know at once.
    virtual void stop() { }

    /// A message this instance committed (created, not a repeat): to every session of the
    /// thread's owner and of every admin, except `origin`, which got `sent`. `messageJson`:
    /// fastjson::message(message) when the caller has it already (it encoded `sent`).
    virtual void publishMessage(qint64 ownerId, const Message &message, const Session *origin,
                                const QByteArray &messageJson = {});
    /// A read cursor moved: to the thread's participants, except `origin`.
    virtual void publishRead(qint64 ownerId, const ReadPush &read, const Session *origin);
    /// Typing: to the thread's other participants (never to the typing user).
    virtual void publishTyping(qint64 ownerId, const TypingPush &typing);

protected:
    Router *m_router = nullptr;
    ThreadWatcher *m_watcher = nullptr;
};

} // namespace dpichat::server
