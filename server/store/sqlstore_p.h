#pragma once

// Internals shared by the sqlstore*.cpp files; not for use outside the store.

#include "sqliteappender.h"
#include "sqlstore.h"

#include <QHash>
#include <QSqlQuery>
#include <array>
#include <memory>

namespace dpichat::server {

/// The statements on the paths every chat message takes, prepared once per connection.
struct SqlStore::Statements
{
    /// INSERTs of 1 to kRowsPerInsert messages, prepared on first use of each size.
    QHash<int, QSqlQuery> insertMessages;
    /// SQLite: Qt's connection, when its own API may be used on it (sameBuildSqliteHandle()).
    sqlite3 *sqlite = nullptr;
    /// The INSERTs through SQLite's own API (null without `sqlite`).
    std::unique_ptr<SqliteAppender> sqliteAppender;
    /// The thread list's statements through SQLite's own API, by SqlStore::ThreadFilter, and
    /// the same without the last sender's name (+3, SqlStore::threadsReply()).
    std::array<SqliteStatement, 6> sqliteThreads;
    SqliteStatement sqliteUserName;
    /// How many threads each of them read last time.
    std::array<qsizetype, 3> sqliteThreadsRead{};
    QSqlQuery messageByClientId;
    QSqlQuery userName;
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
    QSqlQuery messageRange;
    QSqlQuery notify; ///< PostgreSQL only.
    QSqlQuery lockAppends; ///< PostgreSQL only.
};

namespace sql {

/// A text column as the driver hands it over cheapest. SQLite gives Qt every text value as
/// UTF-16, converted inside SQLite by a loop that cost ~35 instructions a byte (a quarter of
/// an admin's thread list); as a BLOB it gives the stored UTF-8, which text() decodes with
/// Qt's UTF-8 decoder. PostgreSQL's text is UTF-8 on the wire already.
QString textColumn(QStringView column, bool sqlite);

/// The text of a column selected through textColumn() (NULL stays a null QString).
QString text(const QVariant &value);

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
} // namespace dpichat::server
