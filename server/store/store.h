#pragma once

#include "protocol/errors.h"
#include "protocol/types.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <chrono>
#include <functional>
#include <optional>

namespace dpichat::server {

/// How stale a session's last_used may get before a token login writes it again.
inline constexpr std::chrono::milliseconds kSessionTouchInterval = std::chrono::hours(1);

/// A user as the server keeps it: the protocol's User plus what never leaves the server.
struct StoredUser
{
    User user; ///< `online` is always false here; presence is the Router's business.
    QByteArray passwordHash; ///< crypto_pwhash_str output.
    bool disabled = false;
    QDateTime createdAt;
    qint64 threadId = 0; ///< The user's own thread; 0 for admins.
};

/// A message to store, as validated by the session (text already trimmed).
struct NewMessage
{
    qint64 thread = 0;
    qint64 sender = 0;
    QString clientId;
    QString text;
    /// The sender's name, for a message acknowledged before its commit (MessageJournal);
    /// the store reads it itself otherwise.
    QString senderName = {};
};

/// What storing one NewMessage gave: the stored message, and whether this call created it
/// (false when (sender, clientId) was already stored: the original is returned).
struct AppendResult
{
    Message message;
    bool created = false;
};

struct MessagePage
{
    QList<Message> messages; ///< Oldest first.
    bool hasMore = false;
};

/// What a `threads` reply says of a thread's owner that the database does not know: whether
/// they are online, and when they were last seen if that is not written yet.
struct OwnerPresence
{
    bool online = false;
    std::optional<QDateTime> lastSeen; ///< Replaces the stored last seen when set.
};
/// Asked once per thread listed: (thread id, owner id).
using ThreadPresence = std::function<OwnerPresence(qint64, qint64)>;

/// What a running server checks its live sessions against (AccountWatcher).
struct AccountState
{
    qint64 id = 0;
    Role role = Role::Customer;
    bool disabled = false;
    /// A digest of the stored password hash: it changes when the password does.
    size_t credentials = 0;
};

/// Figures for `dpichat-server stats`.
struct UserStats
{
    qint64 userId = 0;
    QString email;
    QString name;
    Role role = Role::Customer;
    qint64 sent = 0;
    qint64 unread = 0;
};

/// Persistent storage: users, threads, messages, read cursors, sessions.
/// Every failure of the database comes back as a ProtocolError with code Internal
/// (or another code where the caller's input is the cause, e.g. a duplicate email).
class Store
{
public:
    virtual ~Store() = default;

    /// Opens the database and applies pending schema migrations.
    virtual Expected<bool> open() = 0;
    virtual void close() = 0;
    /// SQLite on a file in WAL mode: the write-ahead log's path, for a writer that flushes
    /// it itself (LogFlusher). Empty for every other database.
    virtual QString writeAheadLogPath() { return {}; }
    /// A commit made on another thread than the one that opened the store found the
    /// write-ahead log at its size limit and left copying it into the database file (a
    /// checkpoint, with its flushes) to the next commit on the store's own thread; or that
    /// copy is done and the next commit starts the log over, which flushes it first: also
    /// for the store's own thread.
    virtual bool logCheckpointDue() const { return false; }

    // Users
    virtual Expected<StoredUser> addUser(const QString &email, const QString &name, Role role,
                                         const QByteArray &passwordHash) = 0;
    virtual Expected<std::optional<StoredUser>> userByEmail(const QString &email) = 0;
    virtual Expected<std::optional<StoredUser>> userById(qint64 id) = 0;
    virtual Expected<QList<StoredUser>> users() = 0;
    /// Every user's role and whether they are disabled, by id.
    virtual Expected<QList<AccountState>> accountStates() = 0;
    /// A count that grows whenever a user is added or removed, or their role, password or
    /// disabled flag changes, by whatever means (every instance, the command line): when it
    /// has not moved, accountStates() is as it was.
    virtual Expected<qint64> accountChanges() = 0;
    virtual Expected<bool> setPasswordHash(qint64 userId, const QByteArray &hash) = 0;
    /// Gives a user who becomes a customer or member a thread if they have none.
    virtual Expected<bool> setRole(qint64 userId, Role role) = 0;
    virtual Expected<bool> setDisabled(qint64 userId, bool disabled) = 0;
    virtual Expected<bool> setLastSeen(qint64 userId, const QDateTime &when) = 0;
    /// Records several users' last seen times in one transaction (one disk flush).
    virtual Expected<bool> setLastSeen(const QHash<qint64, QDateTime> &whenByUser) = 0;

    // Sessions (tokens are stored only as their SHA-256 hash)
    virtual Expected<bool> addSession(const QByteArray &tokenHash, qint64 userId,
                                      const QDateTime &expires) = 0;
    /// The user of an unexpired, unrevoked session; touches last_used when it is older than
    /// kSessionTouchInterval (so a burst of token logins is reads only).
    virtual Expected<std::optional<qint64>> sessionUser(const QByteArray &tokenHash,
                                                        const QDateTime &now) = 0;
    virtual Expected<bool> revokeSession(const QByteArray &tokenHash) = 0;
    virtual Expected<bool> revokeUserSessions(qint64 userId) = 0;

    // Threads
    /// The owner of a thread, or std::nullopt when there is no such thread.
    virtual Expected<std::optional<qint64>> threadOwner(qint64 threadId) = 0;
    /// Threads as `viewer` sees them (unread counted against the viewer's cursor):
    /// for an admin every thread, for anyone else their own; most recent activity first.
    virtual Expected<QList<Thread>> threadsFor(const User &viewer) = 0;
    virtual Expected<std::optional<Thread>> threadFor(qint64 threadId, const User &viewer) = 0;
    /// The `threads` reply to `viewer` (answering `re`): the threads of threadsFor(), with
    /// `presence` asked for each, written as JSON straight from the database's rows where the
    /// store can; std::nullopt where it cannot, and then the caller encodes threadsFor().
    virtual Expected<std::optional<QByteArray>> threadsReply(const User &viewer,
                                                             const QJsonValue &re,
                                                             const ThreadPresence &presence)
    {
        Q_UNUSED(viewer);
        Q_UNUSED(re);
        Q_UNUSED(presence);
        return std::optional<QByteArray>();
    }

    // Messages
    /// Stores all messages in one transaction (group commit). Idempotent on (sender, clientId).
    /// Either every message is stored and the results come back in order, or none is.
    virtual Expected<QList<AppendResult>> appendMessages(const QList<NewMessage> &messages) = 0;
    /// SQLite: the id the next new message gets (ids are never used twice, not even those of
    /// messages gone). For messages acknowledged before their commit (MessageJournal).
    virtual Expected<qint64> nextMessageId() { return acknowledgedFirstUnsupported(); }
    /// SQLite: the message `sender` stored with `clientId`, if any.
    virtual Expected<std::optional<Message>> messageByClientId(
        qint64 sender, const QString &clientId)
    {
        Q_UNUSED(sender);
        Q_UNUSED(clientId);
        return acknowledgedFirstUnsupported();
    }
    /// SQLite: stores messages whose ids (from nextMessageId() on, increasing) and creation
    /// times were given already, when they were acknowledged (MessageJournal), in one
    /// transaction, counted into their threads and cursors as appendMessages() counts. Fails
    /// on a (sender, clientId) stored already: the caller looked for it first.
    virtual Expected<bool> storeAcknowledged(const QList<Message> &messages)
    {
        Q_UNUSED(messages);
        return acknowledgedFirstUnsupported();
    }
    /// Where forEachClientId() goes on from: after the pair it read last.
    struct ClientIdCursor {
        QByteArray clientId; ///< As stored, so that the next read starts right after it.
        qint64 sender = 0;
        bool started = false;
        bool done = false; ///< Every pair has been read.
    };
    /// SQLite: calls `visit` with the sender and the client id of up to `limit` messages after
    /// `cursor`, in the order of the (client_id, sender) index, and moves `cursor` past them.
    /// Each call reads on its own: what is stored between two calls is read only if it comes
    /// after the cursor (GreatestClientIds, read a part at a time at start).
    virtual Expected<bool> forEachClientId(ClientIdCursor &cursor, int limit,
        const std::function<void(qint64 sender, QStringView clientId)> &visit)
    {
        Q_UNUSED(cursor);
        Q_UNUSED(limit);
        Q_UNUSED(visit);
        return acknowledgedFirstUnsupported();
    }
    /// Messages of a thread with id < before (the newest when before is empty), oldest first.
    virtual Expected<MessagePage> history(qint64 threadId, std::optional<qint64> before,
                                          int limit) = 0;
    /// Messages visible to `viewer` with id > after, oldest first.
    virtual Expected<MessagePage> sync(const User &viewer, qint64 after, int limit) = 0;
    /// Messages with first <= id <= last, oldest first: what another server instance
    /// committed, read back to push it to this instance's sessions.
    virtual Expected<QList<Message>> messagesInRange(qint64 first, qint64 last) = 0;

    // Read cursors
    /// Moves the user's cursor in the thread forward to upTo, clamped to the thread's newest
    /// message. Returns the new cursor when it moved, std::nullopt when it did not.
    virtual Expected<std::optional<qint64>> advanceReadCursor(qint64 threadId, qint64 userId,
                                                              qint64 upTo) = 0;

    // Administration
    virtual Expected<qint64> messageCount() = 0;
    virtual Expected<QList<UserStats>> userStats() = 0;
    /// The highest thread id (0 when there is none): lets a running server notice threads
    /// that the administration command line added.
    virtual Expected<qint64> maxThreadId() = 0;

private:
    static ProtocolError acknowledgedFirstUnsupported()
    {
        return ProtocolError { ErrorCode::Internal,
            QStringLiteral("this database stores messages before they are acknowledged") };
    }
};

} // namespace dpichat::server
