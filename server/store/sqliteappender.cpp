#include "sqliteappender.h"

#include "logging.h"
#include "migrations.h"

#include <QSqlDriver>
#include <QSqlQuery>
#include <QVarLengthArray>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace dpichat::server {

sqlite3 *sameBuildSqliteHandle(const QSqlDatabase &db)
{
    if (!db.isOpen() || !db.driver())
        return nullptr;
    // The documented way to reach the native connection: a QVariant holding "sqlite3*".
    const QVariant handle = db.driver()->handle();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return nullptr;
    sqlite3 *native = *static_cast<sqlite3 *const *>(handle.constData());
    if (!native)
        return nullptr;
    // The source id names the exact build.
    QSqlQuery q(db);
    if (!q.exec(u"SELECT sqlite_source_id()"_s) || !q.next()
        || q.value(0).toString().toUtf8() != QByteArrayView(sqlite3_sourceid())) {
        qCInfo(lcStore) << "Qt's SQLite driver runs another SQLite build than this program;"
                        << "every statement stays in QtSql";
        return nullptr;
    }
    return native;
}

void SqliteFinalizer::operator()(sqlite3_stmt *statement) const
{
    sqlite3_finalize(statement);
}

SqliteAppender::SqliteAppender(sqlite3 *db)
    : m_db(db)
{
}

SqliteAppender::~SqliteAppender() = default;

ProtocolError sqliteFailure(sqlite3 *db, const char *what)
{
    qCWarning(lcStore).noquote() << "database failure in" << what << "- native code"
                                 << sqlite3_extended_errcode(db) << "-"
                                 << QString::fromUtf8(sqlite3_errmsg(db));
    return ProtocolError{ErrorCode::Internal, u"the database failed"_s};
}

namespace {

/// The statement in `slot`, prepared from makeSql() on first use; null on failure.
template<typename MakeSql>
sqlite3_stmt *prepared(sqlite3 *db, SqliteStatement &slot, MakeSql makeSql)
{
    if (slot)
        return slot.get();
    const QByteArray text = makeSql();
    sqlite3_stmt *s = nullptr;
    if (sqlite3_prepare_v3(db, text.constData(), int(text.size()), SQLITE_PREPARE_PERSISTENT, &s,
                           nullptr)
        != SQLITE_OK) {
        sqlite3_finalize(s);
        return nullptr;
    }
    slot.reset(s);
    return s;
}

/// Steps a statement that returns no rows, then resets it for the next use.
std::optional<ProtocolError> run(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
    std::optional<ProtocolError> error;
    if (sqlite3_step(s) != SQLITE_DONE)
        error = sqliteFailure(db, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return error;
}

} // namespace

std::optional<ProtocolError> SqliteAppender::countIntoThread(qint64 thread, qint64 added,
                                                             const Message &newest,
                                                             qint64 createdAtMs)
{
    sqlite3_stmt *s = prepared(m_db, m_threadCounted,
                               [] { return counterStatements().first.toUtf8(); });
    if (!s)
        return sqliteFailure(m_db, "prepare statements");
    const QByteArray clientId = newest.clientId.toUtf8();
    const QByteArray body = newest.text.toUtf8();
    // In the order of counterStatements(): each CASE compares the new id with the stored one.
    int column = 1;
    sqlite3_bind_int64(s, column++, added);
    sqlite3_bind_int64(s, column++, newest.id);
    sqlite3_bind_int64(s, column++, newest.sender);
    sqlite3_bind_int64(s, column++, newest.id);
    sqlite3_bind_text(s, column++, clientId.constData(), int(clientId.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, column++, newest.id);
    sqlite3_bind_text(s, column++, body.constData(), int(body.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, column++, newest.id);
    sqlite3_bind_int64(s, column++, createdAtMs);
    sqlite3_bind_int64(s, column++, newest.id);
    sqlite3_bind_int64(s, column++, newest.id);
    sqlite3_bind_int64(s, column++, thread);
    return run(m_db, s, "count messages into their thread");
}

std::optional<ProtocolError> SqliteAppender::countIntoCursor(qint64 thread, qint64 sender,
                                                             qint64 added)
{
    sqlite3_stmt *s = prepared(m_db, m_cursorCounted,
                               [] { return counterStatements().second.toUtf8(); });
    if (!s)
        return sqliteFailure(m_db, "prepare statements");
    sqlite3_bind_int64(s, 1, thread);
    sqlite3_bind_int64(s, 2, sender);
    sqlite3_bind_int64(s, 3, added);
    return run(m_db, s, "count messages into their sender's cursor");
}

sqlite3_stmt *SqliteAppender::statement(int rows)
{
    return prepared(m_db, m_statements[rows], [rows] {
        QByteArray text =
                "INSERT INTO messages (thread, sender, client_id, body, created_at) VALUES ";
        for (int i = 0; i < rows; ++i)
            text += i == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
        text += " ON CONFLICT (sender, client_id) DO NOTHING RETURNING id, sender, client_id";
        return text;
    });
}

std::optional<ProtocolError> SqliteAppender::insert(const QList<NewMessage> &messages,
                                                    qsizetype first, int rows,
                                                    qint64 createdAtMs, QList<qint64> *ids)
{
    Q_ASSERT(rows >= 1 && rows <= kMaxRows && first + rows <= messages.size());
    sqlite3_stmt *s = statement(rows);
    if (!s)
        return sqliteFailure(m_db, "prepare statements");
    // The UTF-8 texts stay alive until the statement is reset (bound SQLITE_STATIC).
    QVarLengthArray<QByteArray, kMaxRows> clientIds, bodies;
    int column = 1;
    for (qsizetype i = first; i < first + rows; ++i) {
        const NewMessage &in = messages.at(i);
        clientIds.append(in.clientId.toUtf8());
        bodies.append(in.text.toUtf8());
        const QByteArray &clientId = clientIds.last();
        const QByteArray &body = bodies.last();
        sqlite3_bind_int64(s, column++, in.thread);
        sqlite3_bind_int64(s, column++, in.sender);
        sqlite3_bind_text(s, column++, clientId.constData(), int(clientId.size()), SQLITE_STATIC);
        sqlite3_bind_text(s, column++, body.constData(), int(body.size()), SQLITE_STATIC);
        sqlite3_bind_int64(s, column++, createdAtMs);
    }
    ids->fill(0, rows);
    int rc;
    // RETURNING names no order, so each row returned is matched to the first row of this call
    // with its (sender, client id) that has no id yet: a later copy is the one not stored.
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const qint64 id = sqlite3_column_int64(s, 0);
        const qint64 sender = sqlite3_column_int64(s, 1);
        const QByteArrayView clientId(static_cast<const char *>(sqlite3_column_blob(s, 2)),
                                      sqlite3_column_bytes(s, 2));
        for (int i = 0; i < rows; ++i) {
            if ((*ids)[i] == 0 && messages.at(first + i).sender == sender
                && clientIds[i] == clientId) {
                (*ids)[i] = id;
                break;
            }
        }
    }
    std::optional<ProtocolError> error;
    if (rc != SQLITE_DONE)
        error = sqliteFailure(m_db, "insert messages");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return error;
}

} // namespace dpichat::server
