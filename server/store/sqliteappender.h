#pragma once

#include "protocol/errors.h"
#include "store.h"

#include <QList>
#include <QSqlDatabase>

#include <array>
#include <optional>

struct sqlite3;
struct sqlite3_stmt;

namespace dpichat::server {

/// Inserts messages on SQLite through SQLite's own API, on the connection a QSqlDatabase
/// opened (QSqlDriver::handle()), inside the caller's transaction.
///
/// Qt's SQLite driver wraps every bound value in a QVariant, names every positional
/// placeholder with QString::arg, and copies every result row into a cache: at full speed that
/// was a fifth of the storage thread. The SQL is the same as on the Qt path
/// (SqlStore::insertStatement): INSERTs of up to kMaxRows rows, RETURNING what was stored.
class SqliteAppender
{
public:
    static constexpr int kMaxRows = 32; ///< 160 parameters.

    /// Null when `db` is not an open SQLite connection.
    static std::unique_ptr<SqliteAppender> forDatabase(const QSqlDatabase &db);
    ~SqliteAppender();
    SqliteAppender(const SqliteAppender &) = delete;
    SqliteAppender &operator=(const SqliteAppender &) = delete;

    /// Inserts messages[first, first + rows) (rows <= kMaxRows) created at `createdAtMs`. On
    /// success `ids` holds, per row, the new message's id, or 0 when (sender, client id) was
    /// stored already (earlier, or by an earlier row of the same call).
    std::optional<ProtocolError> insert(const QList<NewMessage> &messages, qsizetype first,
                                        int rows, qint64 createdAtMs, QList<qint64> *ids);

private:
    explicit SqliteAppender(sqlite3 *db);
    sqlite3_stmt *statement(int rows);
    ProtocolError failure(const char *what) const;

    sqlite3 *m_db;
    std::array<sqlite3_stmt *, kMaxRows + 1> m_statements{}; ///< By number of rows.
};

} // namespace dpichat::server
