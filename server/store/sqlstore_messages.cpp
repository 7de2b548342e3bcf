// SqlStore, messages: appending batches (on SQLite INSERTs of up to kRowsPerInsert rows,
// through SQLite's own API where it can; on PostgreSQL one INSERT of arrays per batch),
// history and sync pages, look-ups by id.

#include "sqlstore.h"

#include "migrations.h"
#include "sqlstore_p.h"
#include "sqlutil.h"

#include <QHash>
#include <QSqlQuery>
#include <algorithm>
#include <map>
#include <utility>

using namespace Qt::StringLiterals;

namespace dpichat::server {

Expected<QSqlQuery *> SqlStore::insertStatement(int rows)
{
    QSqlQuery &q = m_stmts->insertMessages[rows];
    if (!q.lastQuery().isEmpty())
        return &q;
    QString text = u"INSERT INTO messages (thread, sender, client_id, body, created_at) VALUES "_s;
    for (int i = 0; i < rows; ++i)
        text += i == 0 ? u"(?, ?, ?, ?, ?)"_s : u", (?, ?, ?, ?, ?)"_s;
    text += u" ON CONFLICT (sender, client_id) DO NOTHING RETURNING id, sender, client_id"_s;
    q = QSqlQuery(m_db);
    q.setForwardOnly(true);
    if (!q.prepare(text)) {
        auto error = sql::failure(q, "prepare statements"_L1);
        m_stmts->insertMessages.remove(rows);
        return error;
    }
    return &q;
}

bool SqlStore::usesNativeApi() const
{
    return m_stmts && (m_stmts->sqlite || m_stmts->pg);
}

namespace {

// PostgreSQL's text form of an array of one column of messages[first, first + rows):
// `{e1,e2,...}`, each element written by `append(text, message)`.
template<typename Append>
QString arrayText(const QList<NewMessage> &messages, qsizetype first, int rows, Append append)
{
    QString text;
    text.reserve(rows * 16 + 2);
    text += u'{';
    for (qsizetype i = first; i < first + rows; ++i) {
        if (i != first)
            text += u',';
        append(text, messages.at(i));
    }
    text += u'}';
    return text;
}

// An array of bigint: {1,2,3}.
QString bigintArray(const QList<NewMessage> &messages, qsizetype first, int rows,
                    qint64 NewMessage::*field)
{
    return arrayText(messages, first, rows, [field](QString &text, const NewMessage &m) {
        text += QString::number(m.*field);
    });
}

// An array of text: every element quoted, `"` and `\` escaped with a backslash, so that no
// value reads as NULL, a separator or a nested array.
QString textArray(const QList<NewMessage> &messages, qsizetype first, int rows,
                  QString NewMessage::*field)
{
    return arrayText(messages, first, rows, [field](QString &text, const NewMessage &m) {
        text += u'"';
        for (const QChar c : m.*field) {
            if (c == u'"' || c == u'\\')
                text += u'\\';
            text += c;
        }
        text += u'"';
    });
}

} // namespace

std::optional<ProtocolError> SqlStore::insertRows(const QList<NewMessage> &messages,
                                                  qsizetype first, int rows, qint64 now,
                                                  QList<qint64> *ids)
{
    if (m_stmts->sqliteAppender)
        return m_stmts->sqliteAppender->insert(messages, first, rows, now, ids);
    QSqlQuery *insert = nullptr;
    if (m_isPostgres) {
        insert = &m_stmts->insertBatch;
        insert->addBindValue(now);
        insert->addBindValue(bigintArray(messages, first, rows, &NewMessage::thread));
        insert->addBindValue(bigintArray(messages, first, rows, &NewMessage::sender));
        insert->addBindValue(textArray(messages, first, rows, &NewMessage::clientId));
        insert->addBindValue(textArray(messages, first, rows, &NewMessage::text));
    } else {
        const Expected<QSqlQuery *> statement = insertStatement(rows);
        if (hasError(statement))
            return std::get<ProtocolError>(statement);
        insert = std::get<QSqlQuery *>(statement);
        for (qsizetype i = first; i < first + rows; ++i) {
            const NewMessage &in = messages.at(i);
            insert->addBindValue(in.thread);
            insert->addBindValue(in.sender);
            insert->addBindValue(in.clientId);
            insert->addBindValue(in.text);
            insert->addBindValue(now);
        }
    }
    QSqlQuery &q = *insert;
    sql::FinishGuard insertDone(q);
    if (!q.exec())
        return sql::failure(q, "insert messages"_L1);
    // RETURNING names no order, and a row whose (sender, client id) is stored already returns
    // nothing: each row returned goes to the first row of the statement with its key (a later
    // copy in the same statement is the one not stored).
    ids->fill(0, rows);
    QHash<std::pair<qint64, QString>, qsizetype> firstWithKey;
    firstWithKey.reserve(rows);
    for (qsizetype i = 0; i < rows; ++i) {
        const NewMessage &in = messages.at(first + i);
        const std::pair key(in.sender, in.clientId);
        if (!firstWithKey.contains(key))
            firstWithKey.insert(key, i);
    }
    while (q.next()) {
        const auto row = firstWithKey.constFind(
                std::pair(q.value(1).toLongLong(), q.value(2).toString()));
        if (row != firstWithKey.constEnd())
            (*ids)[*row] = q.value(0).toLongLong();
    }
    return std::nullopt;
}

Expected<QList<AppendResult>> SqlStore::appendMessages(const QList<NewMessage> &messages)
{
    if (auto error = notOpen())
        return *error;
    QList<AppendResult> results;
    if (messages.isEmpty())
        return results;
    results.reserve(messages.size());

    AppendTransaction tx(m_db, m_stmts->sqliteAppender.get());
    if (auto error = tx.begin())
        return *error;
    if (m_isPostgres) {
        QSqlQuery &lock = m_stmts->lockAppends;
        sql::FinishGuard lockDone(lock);
        if (!lock.exec())
            return sql::failure(lock, "lock for appending"_L1);
    }
    // Names are kept from batch to batch (m_senderNames): users are never deleted, nor
    // renamed, so a name read once stays right, and the reference it checks stays valid.
    if (m_senderNames.size() > kSenderNamesKept)
        m_senderNames.clear();
    const qint64 now = sql::nowMs();
    QList<qint64> ids; // Per row of a statement: the new id, or 0 when stored already.
    // PostgreSQL: the whole batch in one statement (its trigger counts per statement).
    const qsizetype perInsert = m_isPostgres ? kPostgresRowsPerInsert : kRowsPerInsert;
    for (qsizetype first = 0; first < messages.size(); first += perInsert) {
        const int rows = int(std::min<qsizetype>(perInsert, messages.size() - first));
        if (auto error = insertRows(messages, first, rows, now, &ids))
            return *error;
        for (qsizetype i = first; i < first + rows; ++i) {
            const NewMessage &in = messages.at(i);
            if (const qint64 id = ids.at(i - first); id > 0) {
                AppendResult r;
                r.created = true;
                r.message.id = id;
                r.message.thread = in.thread;
                r.message.sender = in.sender;
                r.message.clientId = in.clientId;
                r.message.text = in.text;
                r.message.createdAt = sql::timeFromMs(now);
                auto name = m_senderNames.constFind(in.sender);
                if (name == m_senderNames.constEnd()) {
                    QSqlQuery &nq = m_stmts->userName;
                    sql::FinishGuard done(nq);
                    nq.addBindValue(in.sender);
                    if (!nq.exec())
                        return sql::failure(nq, "read sender name"_L1);
                    // The messages' reference to their sender, checked here once per sender
                    // (SQLite does not enforce it on a storage thread's connection:
                    // SqlStoreOptions::appendsOnly).
                    if (!nq.next())
                        return sql::unknownReference("sender", in.sender);
                    name = m_senderNames.insert(in.sender, nq.value(0).toString());
                }
                r.message.senderName = *name;
                results.append(r);
                continue;
            }
            // (sender, clientId) is already stored, perhaps earlier in this same batch.
            QSqlQuery &eq = m_stmts->messageByClientId;
            sql::FinishGuard done(eq);
            eq.addBindValue(in.sender);
            eq.addBindValue(in.clientId);
            if (!eq.exec() || !eq.next())
                return sql::failure(eq, "read existing message"_L1);
            results.append(AppendResult{sql::readMessage(eq), false});
        }
    }
    if (auto error = countAppended(results, now))
        return *error;
    if (m_isPostgres && m_appendNotification) {
        const QString payload = m_appendNotification(results);
        if (!payload.isEmpty()) {
            QSqlQuery &q = m_stmts->notify;
            sql::FinishGuard done(q);
            q.addBindValue(QString::fromUtf16(kEventChannel));
            q.addBindValue(payload);
            if (!q.exec())
                return sql::failure(q, "notify appended messages"_L1);
        }
    }
    if (auto error = tx.commit())
        return *error;
    return results;
}

std::optional<ProtocolError> SqlStore::countAppended(const QList<AppendResult> &results,
                                                     qint64 now)
{
    if (m_isPostgres)
        return std::nullopt; // Its trigger counts each row (migrations.cpp, step 4).
    // In order of thread (and sender), so that two PostgreSQL transactions that count into
    // the same rows lock them in the same order.
    struct ThreadCount
    {
        qint64 added = 0;
        const Message *newest = nullptr;
    };
    std::map<qint64, ThreadCount> threads;
    std::map<std::pair<qint64, qint64>, qint64> senders;
    for (const AppendResult &r : results) {
        if (!r.created)
            continue;
        ThreadCount &t = threads[r.message.thread];
        ++t.added;
        if (!t.newest || r.message.id > t.newest->id)
            t.newest = &r.message;
        ++senders[{r.message.thread, r.message.sender}];
    }
    SqliteAppender *native = m_stmts->sqliteAppender.get();
    for (const auto &[thread, count] : threads) {
        if (native) {
            if (auto error = native->countIntoThread(thread, count.added, *count.newest, now))
                return error;
            continue;
        }
        const Message &m = *count.newest;
        QSqlQuery &q = m_stmts->threadCounted;
        sql::FinishGuard done(q);
        for (const QVariant &value : {QVariant(count.added), QVariant(m.id), QVariant(m.sender),
                                      QVariant(m.id), QVariant(m.clientId), QVariant(m.id),
                                      QVariant(m.text), QVariant(m.id), QVariant(now),
                                      QVariant(m.id), QVariant(m.id), QVariant(thread)})
            q.addBindValue(value);
        if (!q.exec())
            return sql::failure(q, "count messages into their thread"_L1);
        if (q.numRowsAffected() != 1)
            return sql::unknownReference("thread", thread);
    }
    for (const auto &[key, added] : senders) {
        if (native) {
            if (auto error = native->countIntoCursor(key.first, key.second, added))
                return error;
            continue;
        }
        QSqlQuery &q = m_stmts->cursorCounted;
        sql::FinishGuard done(q);
        q.addBindValue(key.first);
        q.addBindValue(key.second);
        q.addBindValue(added);
        if (!q.exec())
            return sql::failure(q, "count messages into their sender's cursor"_L1);
    }
    return std::nullopt;
}

Expected<QList<Message>> SqlStore::messagesInRange(qint64 first, qint64 last)
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery &q = m_stmts->messageRange;
    sql::FinishGuard done(q);
    q.addBindValue(first);
    q.addBindValue(last);
    if (!q.exec())
        return sql::failure(q, "read messages by id"_L1);
    QList<Message> messages;
    while (q.next())
        messages.append(sql::readMessage(q));
    return messages;
}

Expected<bool> SqlStore::notify(const QString &channel, const QString &payload)
{
    if (auto error = notOpen())
        return *error;
    if (!m_isPostgres)
        return false; // Nobody could listen.
    QSqlQuery &q = m_stmts->notify;
    sql::FinishGuard done(q);
    q.addBindValue(channel);
    q.addBindValue(payload);
    if (!q.exec())
        return sql::failure(q, "notify"_L1);
    return true;
}

Expected<MessagePage> SqlStore::readPage(QSqlQuery &q, int limit, bool newestFirst)
{
    sql::FinishGuard done(q);
    if (!q.exec())
        return sql::failure(q, "read messages"_L1);
    MessagePage page;
    while (q.next()) {
        if (page.messages.size() == limit) {
            page.hasMore = true; // One row more than asked for was fetched to learn this.
            break;
        }
        page.messages.append(sql::readMessage(q));
    }
    if (newestFirst)
        std::reverse(page.messages.begin(), page.messages.end());
    return page;
}

Expected<MessagePage> SqlStore::history(qint64 threadId, std::optional<qint64> before, int limit)
{
    if (auto error = notOpen())
        return *error;
    limit = std::max(limit, 0);
    QSqlQuery &q = m_stmts->historyPage;
    q.addBindValue(threadId);
    q.addBindValue(before.value_or(std::numeric_limits<qint64>::max()));
    q.addBindValue(limit + 1);
    return readPage(q, limit, true);
}

Expected<MessagePage> SqlStore::sync(const User &viewer, qint64 after, int limit)
{
    if (auto error = notOpen())
        return *error;
    limit = std::max(limit, 0);
    if (viewer.role == Role::Admin) {
        QSqlQuery &q = m_stmts->syncAll;
        q.addBindValue(after);
        q.addBindValue(limit + 1);
        return readPage(q, limit, false);
    }
    // A non-admin has one thread. Named by its id, the thread's index gives the page in id
    // order; with `thread IN (...)` the database reads every later message of the thread and
    // sorts them (half a million for a long thread). Several threads keep the general query.
    QList<qint64> own;
    {
        QSqlQuery &q = m_stmts->ownThreads;
        sql::FinishGuard done(q);
        q.addBindValue(viewer.id);
        if (!q.exec())
            return sql::failure(q, "find own threads"_L1);
        while (q.next())
            own.append(q.value(0).toLongLong());
    }
    if (own.isEmpty())
        return MessagePage{};
    QSqlQuery &q = own.size() == 1 ? m_stmts->syncThread : m_stmts->syncOwn;
    q.addBindValue(own.size() == 1 ? own.constFirst() : viewer.id);
    q.addBindValue(after);
    q.addBindValue(limit + 1);
    return readPage(q, limit, false);
}

Expected<qint64> SqlStore::messageCount()
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    if (!q.exec(u"SELECT COUNT(*) FROM messages"_s) || !q.next())
        return sql::failure(q, "count messages"_L1);
    return q.value(0).toLongLong();
}

} // namespace dpichat::server
