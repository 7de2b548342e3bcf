#include "sqlutil.h"

#include "logging.h"

#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>

#include <libpq-fe.h>

using namespace Qt::StringLiterals;

namespace dpichat::server::sql {

ProtocolError failure(const QSqlError &error, QLatin1StringView what)
{
    // Only the first line: PostgreSQL adds DETAIL lines that quote the row, and rows hold
    // message text and emails. SQLite's messages are one line and never quote values.
    const QString text = error.databaseText().section(u'\n', 0, 0);
    qCWarning(lcStore).noquote() << "database failure in" << what << "- native code"
                                 << error.nativeErrorCode() << "-" << text
                                 << error.driverText();
    return ProtocolError{ErrorCode::Internal, u"the database failed"_s};
}

ProtocolError failure(const QSqlQuery &query, QLatin1StringView what)
{
    return failure(query.lastError(), what);
}

ProtocolError unknownReference(const char *what, qint64 id)
{
    qCWarning(lcStore) << "messages not stored: they name a" << what << id
                       << "that is not in the database";
    return ProtocolError{ErrorCode::Internal, u"the database failed"_s};
}

bool isSqlite(const QSqlDatabase &db)
{
    return db.driverName() == u"QSQLITE";
}

bool isPostgres(const QSqlDatabase &db)
{
    return db.driverName() == u"QPSQL";
}

PGconn *postgresHandle(const QSqlDatabase &db)
{
    if (!isPostgres(db) || !db.driver() || !db.isOpen())
        return nullptr;
    // QSqlDriver::handle() is Qt's documented way to reach the native connection.
    // Qt 6 names the type by libpq's struct ("pg_conn*"); Qt 5 named it "PGconn*".
    const QVariant handle = db.driver()->handle();
    if (!handle.isValid()
        || (qstrcmp(handle.typeName(), "pg_conn*") != 0
            && qstrcmp(handle.typeName(), "PGconn*") != 0))
        return nullptr;
    return *static_cast<PGconn *const *>(handle.constData());
}

bool isConnectionLost(const QSqlDatabase &db)
{
    if (!isPostgres(db) || !db.driver())
        return false;
    // QPSQL closes the connection itself after some failures.
    if (!db.isOpen())
        return true;
    PGconn *connection = postgresHandle(db);
    return connection && PQstatus(connection) == CONNECTION_BAD;
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QDateTime timeFromMs(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
}

std::optional<QDateTime> optionalTimeFromVariant(const QVariant &value)
{
    if (value.isNull())
        return std::nullopt;
    return timeFromMs(value.toLongLong());
}

QVariant optionalTimeToVariant(const std::optional<QDateTime> &time)
{
    if (!time || !time->isValid())
        return QVariant(QMetaType::fromType<qint64>());
    return QVariant(time->toMSecsSinceEpoch());
}

Transaction::Transaction(QSqlDatabase db)
    : m_db(std::move(db))
{
}

Transaction::~Transaction()
{
    rollback();
}

std::optional<ProtocolError> Transaction::begin()
{
    QSqlQuery q(m_db);
    if (!q.exec(isSqlite(m_db) ? u"BEGIN IMMEDIATE"_s : u"BEGIN"_s))
        return failure(q, "begin transaction"_L1);
    m_open = true;
    return std::nullopt;
}

std::optional<ProtocolError> Transaction::commit()
{
    QSqlQuery q(m_db);
    if (!q.exec(u"COMMIT"_s)) {
        const ProtocolError error = failure(q, "commit"_L1);
        rollback();
        return error;
    }
    m_open = false;
    return std::nullopt;
}

void Transaction::rollback()
{
    if (!m_open)
        return;
    m_open = false;
    QSqlQuery q(m_db);
    if (!q.exec(u"ROLLBACK"_s))
        failure(q, "rollback"_L1);
}

} // namespace dpichat::server::sql
