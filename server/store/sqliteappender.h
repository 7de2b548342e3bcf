#pragma once

#include "protocol/errors.h"
#include "store.h"

#include <QList>
#include <QSqlDatabase>

#include <array>
#include <memory>
#include <optional>

struct sqlite3;
struct sqlite3_stmt;

namespace dpichat::server {

/// The native connection behind `db` (QSqlDriver::handle()) when it is an open SQLite
/// connection run by the SQLite build this program links; null otherwise, and then every
/// statement stays in QtSql. Debian's Qt plugin links the system libsqlite3, as this program
/// does; a Qt with SQLite built in would not, and a handle is only usable with the SQLite that
/// made it.
sqlite3 *sameBuildSqliteHandle(const QSqlDatabase &db);

/// Logs a failure of SQLite's own API on `db` (SQLite's message, which never quotes values)
/// and gives the Internal error the Store interface promises, like sql::failure().
ProtocolError sqliteFailure(sqlite3 *db, const char *what);

/// Finalizes a statement of SQLite's own API with its owner.
struct SqliteFinalizer
{
    void operator()(sqlite3_stmt *statement) const;
};
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

/// Inserts messages on SQLite through SQLite's own API, on the connection a QSqlDatabase
/// opened (QSqlDriver::handle()), inside the caller's transaction, and adds them to the
/// counters (counterStatements()).
///
/// Qt's SQLite driver wraps every bound value in a QVariant, names every positional
/// placeholder with QString::arg, and copies every result row into a cache: at full speed that
/// was a fifth of the storage thread. The INSERTs are the Qt path's (SqlStore::insertStatement),
/// up to kMaxRows rows each, without its RETURNING: SQLite collects RETURNING rows in a
/// temporary table of their own, opened, filled, read and closed for every statement. The
/// ids come from SQLite's count of rows inserted and the last one's id instead (insert()).
class SqliteAppender
{
public:
    static constexpr int kMaxRows = 32; ///< 160 parameters.

    /// `db` from sameBuildSqliteHandle().
    explicit SqliteAppender(sqlite3 *db);
    ~SqliteAppender();
    SqliteAppender(const SqliteAppender &) = delete;
    SqliteAppender &operator=(const SqliteAppender &) = delete;

    /// Inserts messages[first, first + rows) (rows <= kMaxRows) created at `createdAtMs`. On
    /// success `ids` holds, per row, the new message's id, or 0 when (sender, client id) was
    /// stored already (earlier, or by an earlier row of the same call).
    std::optional<ProtocolError> insert(const QList<NewMessage> &messages, qsizetype first,
                                        int rows, qint64 createdAtMs, QList<qint64> *ids);

    /// counterStatements()'s first statement: `added` new messages of `thread`, the newest
    /// being `newest`, created at `createdAtMs`.
    std::optional<ProtocolError> countIntoThread(qint64 thread, qint64 added,
                                                 const Message &newest, qint64 createdAtMs);
    /// counterStatements()'s second: `added` new messages of `sender` in `thread`.
    std::optional<ProtocolError> countIntoCursor(qint64 thread, qint64 sender, qint64 added);

    /// The transaction around the above (BEGIN IMMEDIATE, COMMIT, ROLLBACK), through
    /// statements prepared once: QtSql parses each anew (sql::Transaction); at a light load,
    /// a message or two per commit, the BEGIN alone was 8.6% of the server's CPU.
    std::optional<ProtocolError> begin();
    std::optional<ProtocolError> commit();
    void rollback();

private:
    sqlite3_stmt *statement(int rows);
    std::optional<ProtocolError> idsByClientId(const QList<NewMessage> &messages,
                                               qsizetype first, int rows, int inserted,
                                               QList<qint64> *ids);

    sqlite3 *m_db;
    std::array<SqliteStatement, kMaxRows + 1> m_statements; ///< By number of rows.
    SqliteStatement m_threadCounted;
    SqliteStatement m_cursorCounted;
    SqliteStatement m_idByClientId;
    SqliteStatement m_begin;
    SqliteStatement m_commit;
    SqliteStatement m_rollback;
};

} // namespace dpichat::server
