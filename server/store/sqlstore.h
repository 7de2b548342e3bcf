#pragma once

#include "sqliteappender.h"
#include "store.h"

#include <QHash>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <QThread>
#include <atomic>
#include <functional>
#include <memory>

class QSqlQuery;

namespace dpichat::server {

/// Where and how SqlStore connects.
struct SqlStoreOptions
{
    /// A Qt SQL driver: "QSQLITE" (an embedded file) or "QPSQL" (PostgreSQL).
    QString driver = QStringLiteral("QSQLITE");
    /// SQLite: the file path (":memory:" works, but is lost on close). PostgreSQL: the database.
    QString database;
    /// PostgreSQL only.
    QString host;
    int port = -1;
    QString user;
    QString password;
    /// SQLite `PRAGMA synchronous`: FULL makes a commit survive a power cut, which a `sent`
    /// reply promises; NORMAL (WAL still survives a crash of the process) is for benchmarks.
    QString synchronous = QStringLiteral("FULL");
    /// SQLite: how long a writer waits for another connection's write lock.
    int busyTimeoutMs = 5000;
    /// The database's own API on Qt's connection for the heaviest paths: on SQLite (when Qt's
    /// driver runs the same SQLite build) message inserts (SqliteAppender), thread lists and
    /// the `threads` reply; on PostgreSQL the `threads` reply (libpq). False keeps every
    /// statement in QtSql.
    bool nativeApi = true;
    /// SQLite `PRAGMA wal_autocheckpoint`: the log size in pages at which a commit copies the
    /// log into the database file itself. SQLite's default; a server raises it and runs a
    /// WalCheckpointer.
    int walAutoCheckpointPages = 1000;
    /// SQLite: the connection appends messages and does nothing else (the server's storage
    /// thread). SQLite then does not enforce its foreign keys; appendMessages() checks the
    /// same references itself, once per batch (every sender a user, every thread a thread).
    /// Enforced by SQLite, a reference that might fail makes every INSERT of several rows
    /// keep a statement journal, a copy of each page it changes, so that the statement alone
    /// can be undone: at full speed that copying was about a third of the storage thread's
    /// work (docs/performance.md, "Inserts without a statement journal").
    bool appendsOnly = false;
};

/// The Store over QtSql. Prepared statements only; the hot ones are prepared once at open().
///
/// Every instance has its own QSqlDatabase connection, so several stores (tests, the command
/// line beside a running server) can be open at once. Like any QSqlDatabase, an instance
/// must be used from the thread that called open(); on SQLite appendMessages() may also be
/// called from another thread while that one leaves the store alone (Qt opens SQLite
/// connections SQLITE_OPEN_NOMUTEX: any thread, one at a time), as the Committer does with
/// small batches. Such a commit never copies the write-ahead log back at its size limit
/// (walAutoCheckpointPages), which would hold up that other thread for the copy and its
/// flushes: it leaves that to the next commit on the store's own thread (logCheckpointDue()),
/// and so the commit after it, which starts the log over and flushes the log's new header.
///
/// Choices the Store interface leaves open:
/// - setPasswordHash, setRole, setDisabled, setLastSeen return false when there is no such
///   user; revokeSession and revokeUserSessions return whether any session was revoked.
/// - sessionUser also refuses the sessions of a disabled user.
/// - A user who becomes an admin keeps their thread (and its history); StoredUser::threadId
///   is 0 for every admin, as store.h says.
class SqlStore : public Store
{
public:
    /// The PostgreSQL channel on which server instances tell each other about committed
    /// events (see PgEventBus), and on which the store says that a thread was added.
    static constexpr char16_t kEventChannel[] = u"dpichat_events";
    /// Builds the payload appendMessages notifies on kEventChannel in its transaction;
    /// an empty payload sends nothing.
    using AppendNotification = std::function<QString(const QList<AppendResult> &)>;

    explicit SqlStore(SqlStoreOptions options);
    ~SqlStore() override;
    SqlStore(const SqlStore &) = delete;
    SqlStore &operator=(const SqlStore &) = delete;

    Expected<bool> open() override;
    void close() override;
    QString writeAheadLogPath() override;
    bool logCheckpointDue() const override
    {
        return m_checkpointDue.load(std::memory_order_relaxed);
    }
    bool isOpen() const;

    Expected<StoredUser> addUser(const QString &email, const QString &name, Role role,
                                 const QByteArray &passwordHash) override;
    Expected<std::optional<StoredUser>> userByEmail(const QString &email) override;
    Expected<std::optional<StoredUser>> userById(qint64 id) override;
    Expected<QList<StoredUser>> users() override;
    Expected<QList<AccountState>> accountStates() override;
    Expected<qint64> accountChanges() override;
    Expected<bool> setPasswordHash(qint64 userId, const QByteArray &hash) override;
    Expected<bool> setRole(qint64 userId, Role role) override;
    Expected<bool> setDisabled(qint64 userId, bool disabled) override;
    Expected<bool> setLastSeen(qint64 userId, const QDateTime &when) override;
    Expected<bool> setLastSeen(const QHash<qint64, QDateTime> &whenByUser) override;

    Expected<bool> addSession(const QByteArray &tokenHash, qint64 userId,
                              const QDateTime &expires) override;
    Expected<std::optional<qint64>> sessionUser(const QByteArray &tokenHash,
                                                const QDateTime &now) override;
    Expected<bool> revokeSession(const QByteArray &tokenHash) override;
    Expected<bool> revokeUserSessions(qint64 userId) override;

    Expected<std::optional<qint64>> threadOwner(qint64 threadId) override;
    Expected<QList<Thread>> threadsFor(const User &viewer) override;
    /// Through the database's own API (usesNativeApi()); std::nullopt otherwise.
    Expected<std::optional<QByteArray>> threadsReply(const User &viewer, const QJsonValue &re,
                                                     const ThreadPresence &presence) override;
    Expected<std::optional<Thread>> threadFor(qint64 threadId, const User &viewer) override;

    Expected<QList<AppendResult>> appendMessages(const QList<NewMessage> &messages) override;
    Expected<qint64> nextMessageId() override;
    Expected<std::optional<Message>> messageByClientId(
        qint64 sender, const QString &clientId) override;
    Expected<bool> storeAcknowledged(const QList<Message> &messages) override;
    Expected<bool> forEachClientId(ClientIdCursor &cursor, int limit,
        const std::function<void(qint64 sender, QStringView clientId)> &visit) override;
    Expected<MessagePage> history(qint64 threadId, std::optional<qint64> before,
                                  int limit) override;
    Expected<MessagePage> sync(const User &viewer, qint64 after, int limit) override;
    Expected<QList<Message>> messagesInRange(qint64 first, qint64 last) override;

    Expected<std::optional<qint64>> advanceReadCursor(qint64 threadId, qint64 userId,
                                                      qint64 upTo) override;

    Expected<qint64> messageCount() override;
    Expected<QList<UserStats>> userStats() override;
    Expected<qint64> maxThreadId() override; // In sqlstore_watch.cpp.

    /// The schema version of the open database.
    Expected<int> schemaVersion();

    bool isPostgres() const { return m_options.driver == u"QPSQL"; }
    /// The database's own API is in use (see SqlStoreOptions::nativeApi).
    bool usesNativeApi() const;
    const SqlStoreOptions &options() const { return m_options; }
    /// PostgreSQL: NOTIFY `channel` with `payload` (delivered to listeners at once, since no
    /// transaction is open between calls).
    Expected<bool> notify(const QString &channel, const QString &payload);
    /// PostgreSQL: makes appendMessages also NOTIFY kEventChannel inside its transaction, so
    /// that the notification goes out exactly when (and only if) the messages are committed.
    void setAppendNotification(AppendNotification payload) { m_appendNotification = std::move(payload); }

private:
    struct Statements;

    std::optional<ProtocolError> configureSqlite();
    std::optional<ProtocolError> prepareStatements();
    /// Checked at the start of every call: an error when the store is closed; on PostgreSQL,
    /// reconnects first when the connection was found broken (a failed call before).
    std::optional<ProtocolError> notOpen();
    std::optional<ProtocolError> reconnect();
    Expected<std::optional<StoredUser>> queryUser(const QString &where, const QVariant &key);
    /// Which threads queryThreads() lists: every one, a user's own, or one by id.
    enum class ThreadFilter { All, Owner, Id };
    static QString threadWhere(ThreadFilter filter);
    Expected<QList<Thread>> queryThreads(ThreadFilter filter, qint64 key, qint64 viewerId);
    /// The same through SQLite's own API (Statements::sqlite set).
    Expected<QList<Thread>> queryThreadsNative(ThreadFilter filter, qint64 key, qint64 viewerId);
    /// The statement for `filter` through SQLite's own API, prepared on first use, bound;
    /// without `senderNames` it leaves the last sender's name NULL.
    Expected<sqlite3_stmt *> nativeThreadStatement(ThreadFilter filter, qint64 key,
                                                   qint64 viewerId, bool senderNames);
    /// A user's name as stored (UTF-8), through SQLite's own API; empty for no such user.
    Expected<QByteArray> nativeUserName(qint64 userId);
    /// The same on PostgreSQL, through the prepared statement Statements::userName.
    Expected<QByteArray> pgUserName(qint64 userId);
    /// threadsReply() on PostgreSQL, through libpq on Qt's connection.
    Expected<std::optional<QByteArray>> pgThreadsReply(const User &viewer, const QJsonValue &re,
                                                       const ThreadPresence &presence);
    /// Gives the user a support thread unless they have one; inside the caller's transaction.
    Expected<qint64> ensureSupportThread(qint64 userId);
    Expected<bool> updateUser(const QString &assignment, const QVariant &value, qint64 userId,
                              QLatin1StringView what);
    Expected<MessagePage> readPage(QSqlQuery &query, int limit, bool newestFirst);
    /// SQLite through QtSql: the INSERT of `rows` messages (1 to kRowsPerInsert), prepared on
    /// first use.
    Expected<QSqlQuery *> insertStatement(int rows);
    /// Inserts messages[first, first + rows); `ids` gets per row the new message's id, or 0
    /// when its (sender, client id) is stored already.
    std::optional<ProtocolError> insertRows(const QList<NewMessage> &messages, qsizetype first,
                                            int rows, qint64 now, QList<qint64> *ids);
    /// SQLite: adds the messages appendMessages() created to their threads' and senders'
    /// counters (counterStatements()), inside its transaction. (PostgreSQL: its trigger, per
    /// statement since schema step 7.)
    std::optional<ProtocolError> countAppended(const QList<AppendResult> &results, qint64 now);

    /// Messages per INSERT statement: a statement's fixed cost (binding, stepping, resetting,
    /// the AUTOINCREMENT counter's write) is shared by the rows. 32 rows are 160 parameters.
    static constexpr int kRowsPerInsert = SqliteAppender::kMaxRows;
    /// PostgreSQL: messages per INSERT (Statements::insertBatch, arrays of the columns). A
    /// commit at full speed holds about 3,000; the counting trigger (schema step 7) then
    /// updates each thread's row once per statement instead of once per message.
    static constexpr int kPostgresRowsPerInsert = 10'000;

    SqlStoreOptions m_options;
    QString m_connectionName;
    QSqlDatabase m_db;
    std::unique_ptr<Statements> m_stmts;
    bool m_isPostgres = false;
    bool m_connectionLost = false; ///< Opened once, and reconnecting since.
    AppendNotification m_appendNotification;
    /// SQLite through its own API: the write-ahead log's hook, in place of SQLite's automatic
    /// checkpoint (`PRAGMA wal_autocheckpoint`), which it does the same as on the thread that
    /// opened the store, and leaves to that thread on any other (see the class comment).
    static int logCommitted(void *store, sqlite3 *db, const char *schema, int frames);
    QThread *m_ownThread = nullptr; ///< The thread that called open().
    std::atomic<bool> m_checkpointDue { false };
    /// appendMessages(): senders' names by id, at most about kSenderNamesKept.
    QHash<qint64, QString> m_senderNames;
    /// storeAcknowledged()'s INSERT, prepared at its first use.
    std::unique_ptr<QSqlQuery> m_insertAcknowledged;
    static constexpr qsizetype kSenderNamesKept = 100'000;
};

} // namespace dpichat::server
