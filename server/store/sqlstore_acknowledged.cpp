// SqlStore: what the Committer needs for messages acknowledged before their commit
// (MessageJournal): the next id, the look-up by client id, the store with given ids, and
// every stored client id (GreatestClientIds).

#include "sqlstore.h"

#include "sqlstore_p.h"
#include "sqlutil.h"

#include <QSqlQuery>
#include <algorithm>
#include <cstring>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace dpichat::server {

Expected<qint64> SqlStore::nextMessageId()
{
    if (auto error = notOpen())
        return *error;
    if (m_isPostgres)
        return Store::nextMessageId();
    // AUTOINCREMENT's counter: at least the largest id ever given, even if that message is gone.
    QSqlQuery q(m_db);
    if (!q.exec(
            u"SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),"
            u" COALESCE((SELECT max(id) FROM messages), 0)) + 1"_s)
        || !q.next())
        return sql::failure(q, "read the next message id"_L1);
    return q.value(0).toLongLong();
}

Expected<std::optional<Message>> SqlStore::messageByClientId(qint64 sender, const QString &clientId)
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery &q = m_stmts->messageByClientId;
    sql::FinishGuard done(q);
    q.addBindValue(sender);
    q.addBindValue(clientId);
    if (!q.exec())
        return sql::failure(q, "read existing message"_L1);
    if (!q.next())
        return std::optional<Message>();
    return std::optional<Message>(sql::readMessage(q));
}

Expected<bool> SqlStore::storeAcknowledged(const QList<Message> &messages)
{
    if (auto error = notOpen())
        return *error;
    if (m_isPostgres)
        return Store::storeAcknowledged(messages);
    if (messages.isEmpty())
        return true;
    if (!m_insertAcknowledged) {
        auto q = std::make_unique<QSqlQuery>(m_db);
        if (!q->prepare(u"INSERT INTO messages (id, thread, sender, client_id, body, created_at)"
                        u" VALUES (?, ?, ?, ?, ?, ?)"_s))
            return sql::failure(*q, "prepare statements"_L1);
        m_insertAcknowledged = std::move(q);
    }
    AppendTransaction tx(m_db, m_stmts->sqliteAppender.get());
    if (auto error = tx.begin())
        return *error;
    QList<AppendResult> results;
    results.reserve(messages.size());
    qint64 newestMs = 0;
    for (const Message &m : messages) {
        QSqlQuery &q = *m_insertAcknowledged;
        sql::FinishGuard done(q);
        const qint64 createdMs = m.createdAt.toMSecsSinceEpoch();
        for (const QVariant &value : { QVariant(m.id), QVariant(m.thread), QVariant(m.sender),
                 QVariant(m.clientId), QVariant(m.text), QVariant(createdMs) })
            q.addBindValue(value);
        if (!q.exec())
            return sql::failure(q, "store acknowledged messages"_L1);
        newestMs = std::max(newestMs, createdMs);
        results.append(AppendResult { m, true });
    }
    if (auto error = countAppended(results, newestMs))
        return *error;
    if (auto error = tx.commit())
        return *error;
    return true;
}

Expected<bool> SqlStore::forEachClientId(ClientIdCursor &cursor, int limit,
    const std::function<void(qint64 sender, QStringView clientId)> &visit)
{
    if (auto error = notOpen())
        return *error;
    if (m_isPostgres)
        return Store::forEachClientId(cursor, limit, visit);
    if (cursor.done)
        return true;
    // The unique index on (client_id, sender) covers it: read in its order, no table rows.
    // The next read starts after the id as stored (its bytes): one read back as UTF-16 would
    // not compare the same if it was not valid.
    static const char kFirst[] = "SELECT sender, client_id, CAST(client_id AS BLOB) FROM messages"
                                 " ORDER BY client_id, sender LIMIT ?";
    static const char kNext[] = "SELECT sender, client_id, CAST(client_id AS BLOB) FROM messages"
                                " WHERE (client_id, sender) > (COALESCE(CAST(? AS TEXT), ''), ?)"
                                " ORDER BY client_id, sender LIMIT ?";
    int rows = 0;
    if (sqlite3 *db = m_stmts->sqlite) {
        sqlite3_stmt *raw = nullptr;
        if (sqlite3_prepare_v2(db, cursor.started ? kNext : kFirst, -1, &raw, nullptr) != SQLITE_OK)
            return sqliteFailure(db, "read client ids");
        const SqliteStatement statement(raw);
        int at = 1;
        if (cursor.started) {
            sqlite3_bind_blob(raw, at++, cursor.clientId.constData(), int(cursor.clientId.size()),
                SQLITE_TRANSIENT);
            sqlite3_bind_int64(raw, at++, cursor.sender);
        }
        sqlite3_bind_int(raw, at, limit);
        int rc;
        while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
            ++rows;
            cursor.sender = sqlite3_column_int64(raw, 0);
            const int bytes = sqlite3_column_bytes(raw, 2);
            cursor.clientId.resize(bytes);
            if (bytes > 0)
                std::memcpy(cursor.clientId.data(), sqlite3_column_blob(raw, 2), size_t(bytes));
            // As UTF-16, the form the server holds client ids in (SQLite converts).
            const auto *text = static_cast<const char16_t *>(sqlite3_column_text16(raw, 1));
            visit(cursor.sender, QStringView(text, sqlite3_column_bytes16(raw, 1) / 2));
        }
        if (rc != SQLITE_DONE)
            return sqliteFailure(db, "read client ids");
    } else {
        QSqlQuery q(m_db);
        q.setForwardOnly(true);
        if (!q.prepare(QString::fromLatin1(cursor.started ? kNext : kFirst)))
            return sql::failure(q, "read client ids"_L1);
        if (cursor.started) {
            q.addBindValue(cursor.clientId);
            q.addBindValue(cursor.sender);
        }
        q.addBindValue(limit);
        if (!q.exec())
            return sql::failure(q, "read client ids"_L1);
        while (q.next()) {
            ++rows;
            cursor.sender = q.value(0).toLongLong();
            cursor.clientId = q.value(2).toByteArray();
            visit(cursor.sender, q.value(1).toString());
        }
    }
    cursor.started = true;
    cursor.done = rows < limit;
    return true;
}

} // namespace dpichat::server
