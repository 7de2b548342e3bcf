#pragma once

#include "protocol/errors.h"

#include <QDateTime>
#include <QLatin1StringView>
#include <QSqlDatabase>
#include <QVariant>
#include <optional>

class QSqlQuery;
class QSqlError;

struct pg_conn; // libpq's PGconn

// Small helpers shared by the SQL store and its migrations; not part of the Store interface.
namespace dpichat::server::sql {

/// Logs a failed database operation (without the values involved) and turns it into the
/// Internal error the Store interface promises for every database failure.
ProtocolError failure(const QSqlError &error, QLatin1StringView what);
ProtocolError failure(const QSqlQuery &query, QLatin1StringView what);
/// Logs that messages name a `what` (sender, thread) with an id the database does not have,
/// and gives the same Internal error, which fails their batch.
ProtocolError unknownReference(const char *what, qint64 id);

bool isSqlite(const QSqlDatabase &db);
bool isPostgres(const QSqlDatabase &db);

/// Whether libpq has found the PostgreSQL connection broken (the server went away, or closed
/// it). Reads a flag of the connection, no round trip; always false for SQLite.
bool isConnectionLost(const QSqlDatabase &db);

/// PostgreSQL: libpq's connection behind `db` (QSqlDriver::handle()), or null.
pg_conn *postgresHandle(const QSqlDatabase &db);

qint64 nowMs();
QDateTime timeFromMs(qint64 ms);
std::optional<QDateTime> optionalTimeFromVariant(const QVariant &value);
QVariant optionalTimeToVariant(const std::optional<QDateTime> &time);

/// A transaction that rolls back unless commit() succeeded. On SQLite it starts with
/// BEGIN IMMEDIATE, so that a writer waits for the write lock (busy_timeout) up front instead
/// of failing with SQLITE_BUSY when a read transaction later tries to become a write one.
class Transaction
{
public:
    explicit Transaction(QSqlDatabase db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    /// Starts the transaction; std::nullopt on success.
    std::optional<ProtocolError> begin();
    std::optional<ProtocolError> commit();
    void rollback();

private:
    QSqlDatabase m_db;
    bool m_open = false;
};

} // namespace dpichat::server::sql
