#pragma once

#include "store/store.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QTimer>

namespace dpichat::server {

class Session;

/// Knows which live sessions each user has and fans pushes out to them. Tracks presence:
/// a user is online while at least one of their sessions is logged in.
class Router : public QObject
{
    Q_OBJECT
public:
    explicit Router(Store &store, QObject *parent = nullptr);

    /// A session that has just logged in. Announces the user when it is their first session.
    void attach(Session *session);
    /// A logged-in session that is going away. Announces the user offline after their last.
    void detach(Session *session);

    /// On this instance or, with several instances, on another.
    bool isOnline(qint64 userId) const
    {
        return m_byUser.contains(userId) || m_elsewhere.contains(userId);
    }
    /// Presence on the other instances, as PgEventBus learns it: whether `user` has a session
    /// on any other instance. Announced here unless the user has a session here too.
    void setOnlineElsewhere(const User &user, bool online,
                            const std::optional<QDateTime> &lastSeen);
    int sessionCount() const { return m_sessionCount; }
    QList<Session *> sessionsOf(qint64 userId) const { return m_byUser.value(userId); }
    /// Every user with a logged-in session on this instance.
    QList<User> usersOnlineHere() const;

    /// A frame for a thread's participants: every session of its owner and of every admin,
    /// except `except` (the session that caused it, if any).
    void pushToThread(qint64 ownerId, const QByteArray &frame, const Session *except = nullptr);
    /// The same, skipping every session of `exceptUser` (typing: nobody sees themselves).
    void pushToThreadExceptUser(qint64 ownerId, const QByteArray &frame, qint64 exceptUser);
    void pushToAdmins(const QByteArray &frame);
    void pushToAll(const QByteArray &frame);

    /// Tells a freshly logged-in session who is online that it may see: admins see every
    /// online user, others see the online admins.
    void sendPresenceSnapshot(Session *session) const;

    /// A last seen time not written to the store yet.
    std::optional<QDateTime> unwrittenLastSeen(qint64 userId) const
    {
        const auto it = m_lastSeen.constFind(userId);
        return it == m_lastSeen.constEnd() ? std::nullopt : std::optional<QDateTime>(*it);
    }
    /// Writes the last seen times gathered since the last write (also at shutdown).
    void flushLastSeen();

Q_SIGNALS:
    /// The user's first session on this instance logged in, or their last one here left.
    void localPresenceChanged(const dpichat::User &user, bool online);

private:
    void announce(const User &user, bool online, const std::optional<QDateTime> &lastSeen);

    Store &m_store;
    QHash<qint64, QList<Session *>> m_byUser;
    QList<Session *> m_admins;
    QHash<qint64, User> m_elsewhere; ///< Users online on another instance (none with SQLite).
    QSet<qint64> m_adminsElsewhere; ///< The admins among them.
    int m_sessionCount = 0;
    /// Last seen times not yet written: written together once a second, so a thousand
    /// clients leaving at once cost one transaction, not a thousand.
    QHash<qint64, QDateTime> m_lastSeen;
    QTimer m_lastSeenTimer;
};

} // namespace dpichat::server
