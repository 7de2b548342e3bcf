#pragma once

#include "net/eventbus.h"
#include "store/sqlstore.h"

#include <QHash>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QTimer>

class QJsonObject;

namespace dpichat::server {


/// Fan-out across server instances on one PostgreSQL database.
///
/// Every committed event goes out as a NOTIFY on SqlStore::kEventChannel, a small JSON object
/// with the instance's id in "i" (each instance ignores its own), and comes in through
/// LISTEN on a connection of its own (QSqlDriver::subscribeToNotification):
/// - "m" {lo, hi}: messages lo..hi were committed. Sent by the store inside the commit's
///   transaction; the receivers read the messages back by id. A payload holds at most 8000
///   bytes and a message of 4,000 code points can take 16,000 in UTF-8, so text never goes
///   through NOTIFY. The ids of one batch form a range because appends hold a lock.
/// - "r" {t, u, up, o}: a read cursor moved; "y" {t, u, n, a, o}: typing (o: thread owner).
/// - "p" {u, r, on, ls}: a user's first session on the sender logged in, or their last left.
/// - "hello" at start and after reconnecting; every instance answers with "s" {reset, last,
///   users: [[id, role]...]} (in chunks) so that presence is rebuilt from scratch.
/// - "hb" every heartbeat; an instance not heard from for the expiry (it died, or its
///   database connection did) counts as gone and its users as offline there. "bye" on a
///   graceful stop does the same at once.
/// - "t" (from any process, no "i"): a thread was added; look now rather than at the next poll.
/// A user is online while they have a session on this instance or on any other.
/// If the listening connection breaks, the bus reconnects on the next heartbeat and says
/// "hello" again; pushes in between are lost, which clients repair with `sync`.
class PgEventBus : public EventBus
{
    Q_OBJECT
public:
    struct Timing
    {
        int heartbeatMs = 2000;
        int expiryMs = 7000;
    };

    explicit PgEventBus(SqlStore &store, QObject *parent = nullptr);
    PgEventBus(SqlStore &store, Timing timing, QObject *parent = nullptr);
    ~PgEventBus() override;

    QString instanceId() const { return m_instance; }
    /// What a store notifies on SqlStore::kEventChannel in the transaction that appends
    /// messages; safe to call from any thread. The constructor sets it on `store`; a second
    /// store writing messages (Committer's storage thread) needs it too.
    SqlStore::AppendNotification appendNotification() const;

    void attach(Router &router, ThreadWatcher &watcher) override;
    Expected<bool> start() override;
    void stop() override;
    void publishRead(qint64 ownerId, const ReadPush &read, const Session *origin) override;
    void publishTyping(qint64 ownerId, const TypingPush &typing) override;

private:
    struct Remote
    {
        qint64 lastHeardMs = 0;
        QHash<qint64, User> online;
        QHash<qint64, User> incoming; ///< A state being received in chunks.
    };

    bool listen();
    void closeListener();
    void tick();
    void publish(QJsonObject event);
    void sayHello();
    void sendState();
    void onNotification(const QString &name, QSqlDriver::NotificationSource source,
                        const QVariant &payload);
    void onLocalPresence(const User &user, bool online);
    void onMessages(qint64 first, qint64 last);
    void onState(Remote &remote, const QJsonObject &event);
    void setRemoteOnline(Remote &remote, const User &user, bool online);
    void dropInstance(const QString &id);
    Remote &remote(const QString &id);
    std::optional<qint64> ownerOf(qint64 thread);

    SqlStore &m_store;
    Timing m_timing;
    QString m_instance;
    QString m_connectionName;
    QSqlDatabase m_listenDb;
    bool m_listening = false;
    bool m_started = false;
    QTimer m_tick;
    QHash<QString, Remote> m_remotes;
    QHash<qint64, int> m_elsewhereCount; ///< Per user: on how many other instances online.
    QHash<qint64, qint64> m_threadOwners;
};

} // namespace dpichat::server
