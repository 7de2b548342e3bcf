#pragma once

// Internals shared by the sqlstore*.cpp files; not for use outside the store.

#include "protocol/fastjson.h"
#include "sqliteappender.h"
#include "sqlstore.h"
#include "sqlutil.h"

#include <QHash>
#include <QSqlQuery>
#include <array>
#include <memory>

#include <sqlite3.h>

struct pg_conn; // libpq's PGconn

namespace dpichat::server {

/// A user's row as readUser() reads it; a WHERE clause follows. Admins have no thread of
/// their own (store.h), even one kept from before a promotion.
inline constexpr char16_t kUserSelect[] =
        u"SELECT u.id, u.email, u.name, u.role, u.password_hash, u.disabled, u.created_at, "
        u"u.last_seen, CASE WHEN u.role = 'admin' THEN 0 ELSE COALESCE("
        u"(SELECT MIN(t.id) FROM threads t WHERE t.owner = u.id AND t.kind = 'support'), 0) "
        u"END FROM users u ";

/// The statements on the paths every chat message takes, prepared once per connection.
struct SqlStore::Statements
{
    /// SQLite through QtSql: INSERTs of 1 to kRowsPerInsert messages, prepared on first use
    /// of each size.
    QHash<int, QSqlQuery> insertMessages;
    /// SQLite: Qt's connection, when its own API may be used on it (sameBuildSqliteHandle()).
    sqlite3 *sqlite = nullptr;
    /// PostgreSQL: Qt's connection, for libpq (SqlStore::pgThreadsReply()).
    pg_conn *pg = nullptr;
    /// The INSERTs through SQLite's own API (null without `sqlite`).
    std::unique_ptr<SqliteAppender> sqliteAppender;
    /// The thread list's statements through SQLite's own API, by SqlStore::ThreadFilter, and
    /// the same without the last sender's name (+3, SqlStore::threadsReply()).
    std::array<SqliteStatement, 6> sqliteThreads;
    SqliteStatement sqliteUserName;
    /// How many threads each of them read last time.
    std::array<qsizetype, 3> sqliteThreadsRead{};
    /// PostgreSQL: users' names by id, as SqlStore::pgThreadsReply() looked them up (a name
    /// never changes), and how many threads it read last time.
    QHash<qint64, QByteArray> pgUserNames;
    qsizetype pgThreadsRead = 0;
    QSqlQuery messageByClientId;
    QSqlQuery userName;
    QSqlQuery accountChanges;
    QSqlQuery historyPage;
    QSqlQuery syncAll;
    QSqlQuery syncOwn;
    QSqlQuery ownThreads;
    QSqlQuery syncThread;
    QSqlQuery threadNewest; ///< Locks the thread's row on PostgreSQL (see advanceReadCursor).
    QSqlQuery cursorAdvance;
    QSqlQuery cursorInsert;
    QSqlQuery threadCursors;
    QSqlQuery sessionLookup;
    QSqlQuery sessionTouch;
    QSqlQuery userById; ///< kUserSelect by id: the user of every token login.
    QSqlQuery messageRange;
    QSqlQuery threadCounted; ///< SQLite: counterStatements(), when not through sqliteAppender.
    QSqlQuery cursorCounted;
    QSqlQuery notify; ///< PostgreSQL only.
    QSqlQuery lockAppends; ///< PostgreSQL only.
    /// PostgreSQL: a whole batch in one INSERT, its columns as arrays (SqlStore::insertRows()).
    QSqlQuery insertBatch;
};

namespace sql {

/// A text column as the driver hands it over cheapest. SQLite gives Qt every text value as
/// UTF-16, converted inside SQLite by a loop that cost ~35 instructions a byte (a quarter of
/// an admin's thread list); as a BLOB it gives the stored UTF-8, which text() decodes with
/// Qt's UTF-8 decoder. PostgreSQL's text is UTF-8 on the wire already.
QString textColumn(QStringView column, bool sqlite);

/// The text of a column selected through textColumn() (NULL stays a null QString).
QString text(const QVariant &value);

/// The thread list's query, one row per thread (sqlstore_threads.cpp); the `?` is the
/// viewer. Without `senderNames` the last sender's name (column 11) is NULL.
QString threadSelect(bool sqlite, bool senderNames = true);

/// A row of a statement stepped through SQLite's own API; text columns come as BLOBs of UTF-8
/// (sql::textColumn()), decoded straight from SQLite's buffer.
struct SqliteRow
{
    sqlite3_stmt *s;
    qint64 integer(int column) const { return sqlite3_column_int64(s, column); }
    bool isNull(int column) const { return sqlite3_column_type(s, column) == SQLITE_NULL; }
    QString text(int column) const
    {
        if (isNull(column))
            return QString();
        return QString::fromUtf8(utf8(column).bytes);
    }
    /// Valid until the statement steps on or is reset. NULL is empty.
    fastjson::Utf8 utf8(int column) const
    {
        const auto *data = static_cast<const char *>(sqlite3_column_blob(s, column));
        return {QByteArrayView(data, sqlite3_column_bytes(s, column))};
    }
};

/// roleFromName() of the stored UTF-8, with the thread list's default (customer).
inline Role roleFromUtf8(QByteArrayView name)
{
    if (name == "admin")
        return Role::Admin;
    if (name == "member")
        return Role::Member;
    return Role::Customer;
}

/// The columns readMessage() expects, in its order, for `messages m JOIN users u`.
QString messageColumns(bool sqlite);

/// Reads a message from the seven columns of messageColumns() starting at `first`.
Message readMessage(const QSqlQuery &q, int first = 0);

/// Releases a reused statement however the function that ran it returns: a SQLite statement
/// left active keeps its read snapshot, and the connection would stop seeing other writers.
class FinishGuard
{
public:
    explicit FinishGuard(QSqlQuery &q)
        : m_q(q)
    {
    }
    ~FinishGuard() { m_q.finish(); }
    FinishGuard(const FinishGuard &) = delete;
    FinishGuard &operator=(const FinishGuard &) = delete;

private:
    QSqlQuery &m_q;
};

} // namespace sql

/// appendMessages()' and storeAcknowledged()'s transaction: through SQLite's own API where the
/// store has it (SqliteAppender::begin()), else QtSql's. Rolled back unless committed.
class AppendTransaction {
public:
    AppendTransaction(const QSqlDatabase &db, SqliteAppender *native)
        : m_qt(db)
        , m_native(native)
    {
    }
    ~AppendTransaction()
    {
        if (m_nativeOpen)
            m_native->rollback();
    }
    AppendTransaction(const AppendTransaction &) = delete;
    AppendTransaction &operator=(const AppendTransaction &) = delete;

    std::optional<ProtocolError> begin()
    {
        if (!m_native)
            return m_qt.begin();
        auto error = m_native->begin();
        m_nativeOpen = !error;
        return error;
    }
    std::optional<ProtocolError> commit()
    {
        if (!m_native)
            return m_qt.commit();
        // On failure the destructor rolls back what is left.
        auto error = m_native->commit();
        m_nativeOpen = bool(error);
        return error;
    }

private:
    sql::Transaction m_qt;
    SqliteAppender *m_native;
    bool m_nativeOpen = false;
};

} // namespace dpichat::server
