#include "sqliteappender.h"

#include "logging.h"
#include "migrations.h"
#include "sqlutil.h"

#include <QSqlDriver>
#include <QSqlQuery>
#include <QVarLengthArray>

#include <sqlite3.h>

#include <algorithm>
#include <functional>
#include <limits>

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
    if (auto error = run(m_db, s, "count messages into their thread"))
        return error;
    // No row counted: no such thread (the messages' reference, checked here once per thread).
    if (sqlite3_changes(m_db) != 1)
        return sql::unknownReference("thread", thread);
    return std::nullopt;
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

std::optional<ProtocolError> SqliteAppender::begin()
{
    sqlite3_stmt *s = prepared(m_db, m_begin, [] { return QByteArray("BEGIN IMMEDIATE"); });
    if (!s)
        return sqliteFailure(m_db, "prepare statements");
    return run(m_db, s, "begin transaction");
}

std::optional<ProtocolError> SqliteAppender::commit()
{
    sqlite3_stmt *s = prepared(m_db, m_commit, [] { return QByteArray("COMMIT"); });
    if (!s)
        return sqliteFailure(m_db, "prepare statements");
    return run(m_db, s, "commit");
}

void SqliteAppender::rollback()
{
    // Some failures of a statement or a COMMIT roll the transaction back themselves; then
    // there is nothing left to undo.
    if (sqlite3_get_autocommit(m_db))
        return;
    sqlite3_stmt *s = prepared(m_db, m_rollback, [] { return QByteArray("ROLLBACK"); });
    if (!s) {
        sqliteFailure(m_db, "prepare statements");
        return;
    }
    (void)run(m_db, s, "rollback");
}

sqlite3_stmt *SqliteAppender::statement(int rows)
{
    return prepared(m_db, m_statements[rows], [rows] {
        // OR IGNORE, not ON CONFLICT DO NOTHING: both skip a row whose (sender, clientId) is
        // stored, the only uniqueness the table has besides its id. But under DO NOTHING a
        // NOT NULL column keeps the statement's default of ABORT, so SQLite keeps a statement
        // journal for every INSERT of several rows, as it does for a foreign key it enforces.
        // With neither (SqlStoreOptions::appendsOnly) the statement has nothing to undo alone.
        // Every value bound is non-null; a row skipped anyway is found missing by
        // idsByClientId(), which then fails the batch.
        QByteArray text =
                "INSERT OR IGNORE INTO messages (thread, sender, client_id, body, created_at) "
                "VALUES ";
        for (int i = 0; i < rows; ++i)
            text += i == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
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
    std::optional<ProtocolError> error;
    if (sqlite3_step(s) != SQLITE_DONE)
        error = sqliteFailure(m_db, "insert messages");
    const int inserted = sqlite3_changes(m_db);
    const qint64 last = sqlite3_last_insert_rowid(m_db);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (error)
        return error;
    ids->resize(rows);
    if (inserted == rows) {
        // Every row was new. SQLite inserts the rows of VALUES in their order, and with
        // AUTOINCREMENT each takes the id after the one before it: last - rows + 1, ..., last.
        for (int i = 0; i < rows; ++i)
            (*ids)[i] = last - rows + 1 + i;
        return std::nullopt;
    }
    return idsByClientId(messages, first, rows, inserted, ids);
}

std::optional<ProtocolError> SqliteAppender::idsByClientId(const QList<NewMessage> &messages,
                                                           qsizetype first, int rows,
                                                           int inserted, QList<qint64> *ids)
{
    // Some rows were stored already (a retry, or a copy earlier in the same statement), and
    // a row skipped may still have used up an id. Each row's message by its key, then: the
    // `inserted` largest of those ids are this statement's (AUTOINCREMENT gives every new id
    // above every id before it), each the new message of the first row that has it.
    sqlite3_stmt *s = prepared(m_db, m_idByClientId, [] {
        return QByteArray("SELECT id FROM messages WHERE sender = ? AND client_id = ?");
    });
    if (!s)
        return sqliteFailure(m_db, "prepare statements");
    QVarLengthArray<qint64, kMaxRows> found;
    for (int i = 0; i < rows; ++i) {
        const NewMessage &in = messages.at(first + i);
        const QByteArray clientId = in.clientId.toUtf8();
        sqlite3_bind_int64(s, 1, in.sender);
        sqlite3_bind_text(s, 2, clientId.constData(), int(clientId.size()), SQLITE_STATIC);
        const qint64 id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        std::optional<ProtocolError> error;
        if (id <= 0)
            error = sqliteFailure(m_db, "read the ids of inserted messages");
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (error)
            return error;
        found.append(id);
    }
    QVarLengthArray<qint64, kMaxRows> distinct(found.cbegin(), found.cend());
    std::sort(distinct.begin(), distinct.end(), std::greater<>());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (inserted > distinct.size())
        return sqliteFailure(m_db, "read the ids of inserted messages");
    const qint64 firstNew = inserted > 0 ? distinct[inserted - 1] : std::numeric_limits<qint64>::max();
    for (int i = 0; i < rows; ++i) {
        const bool earlierCopy = std::find(found.cbegin(), found.cbegin() + i, found[i])
                != found.cbegin() + i;
        (*ids)[i] = found[i] >= firstNew && !earlierCopy ? found[i] : 0;
    }
    return std::nullopt;
}

} // namespace dpichat::server
