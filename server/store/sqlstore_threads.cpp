// SqlStore: threads as a viewer sees them, and the figures for `dpichat-server stats`.

#include "sqlstore.h"

#include "sqlstore_p.h"
#include "sqlutil.h"

#include "protocol/fastjson.h"

#include <algorithm>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace dpichat::server {

// One row per thread, everything a Thread needs in one round trip: an admin's inbox lists
// every thread, and a query per thread would not scale with them. Per thread this reads the
// thread's row and two or three rows by key (owner, the viewer's cursor, and the last
// sender's name when that is not the owner): schema step 2 keeps the counts and the newest
// message on the thread's row, where counting messages cost seconds for an inbox of 10,000
// threads and 5,000,000 messages, and looking up each last message by id most of what
// remained (docs/performance.md, "Big data").
// unread = message_count - seen - own_after: messages after the viewer's cursor, less the
// viewer's own among them. The `?` is the viewer. No ORDER BY: see sortByActivity().
// Without `senderNames` the last sender's name (column 11) is NULL and its join left out, for
// a caller that looks the few distinct names up itself.
QString sql::threadSelect(bool sqlite, bool senderNames)
{
    const auto text = [sqlite](QStringView column) { return sql::textColumn(column, sqlite); };
    return u"SELECT t.id, t.owner, %1, %2, %6, o.last_seen, t.owner_up_to, t.team_up_to, "
           u"t.message_count - COALESCE(vc.seen, 0) - COALESCE(vc.own_after, 0), "
           u"t.last_message_id, t.last_sender, %3, %4, %5, t.last_created_at "
           u"FROM threads t JOIN users o ON o.id = t.owner "
           u"LEFT JOIN read_cursors vc ON vc.thread = t.id AND vc.user_id = ? %7"_s.arg(
                   text(u"o.name"), text(u"o.email"),
                   senderNames ? text(u"u.name") : u"NULL"_s, text(u"t.last_client_id"),
                   text(u"t.last_body"), text(u"o.role"),
                   senderNames ? u"LEFT JOIN users u ON u.id = t.last_sender AND "
                                 u"t.last_sender <> t.owner "_s
                               : QString());
}

namespace {

// Newest activity first; threads without messages (last_message_id 0, below every id) after,
// newest thread first. Sorted here rather than by the database: SQLite would walk an index
// and seek each thread's row from it, or sort the joined rows with their text; PostgreSQL
// would sort them too. Sorting 10,000 structures in memory costs well under a millisecond.
void sortByActivity(QList<Thread> &threads)
{
    // Keys sorted, then each thread moved once: swapping whole Threads (strings, the last
    // message) while sorting cost more than the rest of reading them.
    struct Key
    {
        qint64 lastId;
        qint64 id;
        qsizetype index;
    };
    QList<Key> keys;
    keys.reserve(threads.size());
    for (qsizetype i = 0; i < threads.size(); ++i) {
        const Thread &t = threads.at(i);
        keys.append({t.lastMessage ? t.lastMessage->id : 0, t.id, i});
    }
    std::sort(keys.begin(), keys.end(), [](const Key &a, const Key &b) {
        return a.lastId != b.lastId ? a.lastId > b.lastId : a.id > b.id;
    });
    QList<Thread> sorted;
    sorted.reserve(threads.size());
    for (const Key &k : std::as_const(keys))
        sorted.append(std::move(threads[k.index]));
    threads = std::move(sorted);
}

/// A row of a QtSql result.
struct QtRow
{
    const QSqlQuery &q;
    qint64 integer(int column) const { return q.value(column).toLongLong(); }
    bool isNull(int column) const { return q.value(column).isNull(); }
    QString text(int column) const { return sql::text(q.value(column)); }
};

template<typename Row>
Thread readThread(const Row &r)
{
    Thread t;
    t.id = r.integer(0);
    t.owner.id = r.integer(1);
    t.owner.name = r.text(2);
    t.owner.email = r.text(3);
    t.owner.role = roleFromName(r.text(4)).value_or(Role::Customer);
    t.owner.online = false; // Presence is the Router's to fill in.
    if (!r.isNull(5))
        t.owner.lastSeen = sql::timeFromMs(r.integer(5));
    t.readUpToOwner = r.integer(6);
    t.readUpToTeam = r.integer(7);
    t.unread = r.integer(8);
    if (const qint64 lastId = r.integer(9); lastId > 0) {
        Message m;
        m.id = lastId;
        m.thread = t.id;
        m.sender = r.integer(10);
        // NULL when the owner sent it: the owner's name, already read.
        m.senderName = m.sender == t.owner.id ? t.owner.name : r.text(11);
        m.clientId = r.text(12);
        m.text = r.text(13);
        m.createdAt = sql::timeFromMs(r.integer(14));
        t.lastMessage = std::move(m);
    }
    return t;
}

} // namespace

Expected<std::optional<qint64>> SqlStore::threadOwner(qint64 threadId)
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(u"SELECT owner FROM threads WHERE id = ?"_s);
    q.addBindValue(threadId);
    if (!q.exec())
        return sql::failure(q, "read thread owner"_L1);
    if (!q.next())
        return std::optional<qint64>();
    return std::optional<qint64>(q.value(0).toLongLong());
}

QString SqlStore::threadWhere(ThreadFilter filter)
{
    switch (filter) {
    case ThreadFilter::All:
        return QString();
    case ThreadFilter::Owner:
        return u"WHERE t.owner = ?"_s;
    case ThreadFilter::Id:
        return u"WHERE t.id = ?"_s;
    }
    Q_UNREACHABLE();
    return QString();
}

Expected<QList<Thread>> SqlStore::queryThreads(ThreadFilter filter, qint64 key, qint64 viewerId)
{
    if (auto error = notOpen())
        return *error;
    if (m_stmts->sqlite)
        return queryThreadsNative(filter, key, viewerId);
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(sql::threadSelect(!m_isPostgres) + threadWhere(filter));
    q.addBindValue(viewerId);
    if (filter != ThreadFilter::All)
        q.addBindValue(key);
    if (!q.exec())
        return sql::failure(q, "list threads"_L1);
    QList<Thread> threads;
    while (q.next())
        threads.emplace_back(readThread(QtRow{q}));
    sortByActivity(threads);
    return threads;
}

Expected<sqlite3_stmt *> SqlStore::nativeThreadStatement(ThreadFilter filter, qint64 key,
                                                         qint64 viewerId, bool senderNames)
{
    sqlite3 *db = m_stmts->sqlite;
    SqliteStatement &statement =
            m_stmts->sqliteThreads.at(std::size_t(filter) + (senderNames ? 0 : 3));
    if (!statement) {
        const QByteArray text = (sql::threadSelect(true, senderNames) + threadWhere(filter)).toUtf8();
        sqlite3_stmt *prepared = nullptr;
        if (sqlite3_prepare_v3(db, text.constData(), int(text.size()), SQLITE_PREPARE_PERSISTENT,
                               &prepared, nullptr)
            != SQLITE_OK) {
            sqlite3_finalize(prepared);
            return sqliteFailure(db, "prepare statements");
        }
        statement.reset(prepared);
    }
    sqlite3_stmt *s = statement.get();
    sqlite3_bind_int64(s, 1, viewerId);
    if (filter != ThreadFilter::All)
        sqlite3_bind_int64(s, 2, key);
    return s;
}

// An admin's inbox is one row per thread, 10,000 rows: through QtSql about half of reading
// them was its per-row work (a QVariant per value, the row cache), as much as SQLite's own.
Expected<QList<Thread>> SqlStore::queryThreadsNative(ThreadFilter filter, qint64 key,
                                                     qint64 viewerId)
{
    const Expected<sqlite3_stmt *> prepared = nativeThreadStatement(filter, key, viewerId, true);
    if (hasError(prepared))
        return std::get<ProtocolError>(prepared);
    sqlite3_stmt *s = std::get<sqlite3_stmt *>(prepared);
    // Room for as many as last time: growing a list of 10,000 Threads moved each of them a
    // dozen times and faulted fresh pages in for every larger copy.
    qsizetype &expected = m_stmts->sqliteThreadsRead.at(std::size_t(filter));
    QList<Thread> threads;
    threads.reserve(expected);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        threads.emplace_back(readThread(sql::SqliteRow{s}));
    expected = threads.size();
    // Reset at once: a statement left active keeps its read snapshot (see sql::FinishGuard).
    std::optional<ProtocolError> error;
    if (rc != SQLITE_DONE)
        error = sqliteFailure(m_stmts->sqlite, "list threads");
    sqlite3_reset(s);
    if (error)
        return *error;
    sortByActivity(threads);
    return threads;
}

Expected<QList<Thread>> SqlStore::threadsFor(const User &viewer)
{
    if (viewer.role == Role::Admin)
        return queryThreads(ThreadFilter::All, 0, viewer.id);
    return queryThreads(ThreadFilter::Owner, viewer.id, viewer.id);
}

Expected<std::optional<Thread>> SqlStore::threadFor(qint64 threadId, const User &viewer)
{
    const Expected<QList<Thread>> found = queryThreads(ThreadFilter::Id, threadId, viewer.id);
    if (hasError(found))
        return std::get<ProtocolError>(found);
    const QList<Thread> &threads = std::get<QList<Thread>>(found);
    if (threads.isEmpty())
        return std::optional<Thread>();
    return std::optional<Thread>(threads.constFirst());
}

// Moves the cursor and keeps the counters of migration 2 exact: `seen` grows by the messages
// between the old and the new cursor, `own_after` shrinks by the user's own among them, and
// the thread's owner_up_to / team_up_to follow. All in one transaction. On PostgreSQL the
// thread's row is locked first, in the same order as the insert trigger (thread, then
// cursor), so that a read and an append in one thread wait for each other instead of
// deadlocking; two sessions of one user marking read at once are serialised by that lock
// (and on SQLite by the write lock), and the `up_to < ?` condition keeps a cursor from moving
// back.
Expected<std::optional<qint64>> SqlStore::advanceReadCursor(qint64 threadId, qint64 userId,
                                                            qint64 upTo)
{
    if (auto error = notOpen())
        return *error;
    sql::Transaction tx(m_db);
    if (auto error = tx.begin())
        return *error;
    qint64 newest = 0;
    {
        QSqlQuery &q = m_stmts->threadNewest;
        sql::FinishGuard done(q);
        q.addBindValue(threadId);
        if (!q.exec())
            return sql::failure(q, "read newest message"_L1);
        if (q.next())
            newest = q.value(0).toLongLong(); // 0 for a thread without messages.
    }
    const qint64 clamped = std::min(upTo, newest);
    if (clamped <= 0)
        return std::optional<qint64>();

    bool moved = false;
    {
        QSqlQuery &q = m_stmts->cursorAdvance;
        sql::FinishGuard done(q);
        for (const qint64 value : {clamped, clamped, clamped, threadId, userId, clamped})
            q.addBindValue(value);
        if (!q.exec())
            return sql::failure(q, "advance read cursor"_L1);
        moved = q.numRowsAffected() > 0;
    }
    if (!moved) {
        // No row yet (or one at or beyond `clamped`, which DO NOTHING leaves alone).
        QSqlQuery &q = m_stmts->cursorInsert;
        sql::FinishGuard done(q);
        for (const qint64 value :
             {threadId, userId, clamped, threadId, clamped, threadId, userId, clamped})
            q.addBindValue(value);
        if (!q.exec())
            return sql::failure(q, "add read cursor"_L1);
        moved = q.numRowsAffected() > 0;
    }
    if (!moved)
        return std::optional<qint64>();
    {
        QSqlQuery &q = m_stmts->threadCursors;
        sql::FinishGuard done(q);
        for (const qint64 value : {userId, clamped, clamped, clamped, userId, clamped, threadId})
            q.addBindValue(value);
        if (!q.exec())
            return sql::failure(q, "update thread read positions"_L1);
    }
    if (auto error = tx.commit())
        return *error;
    return std::optional<qint64>(clamped);
}

Expected<QList<UserStats>> SqlStore::userStats()
{
    if (auto error = notOpen())
        return *error;
    // An admin's unread spans every thread, a non-admin's only their own threads. Both come
    // from the counters the inbox reads (a user's unread in a thread is message_count - seen -
    // own_after of their cursor row, none meaning 0), so each user costs a look-up per
    // thread, not a scan of the messages: at 10,000 users and 5,000,000 messages the counting
    // scan took longer than ten minutes, this a twentieth of a second. The sent counts are
    // one pass over the messages (no index leads with the sender).
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    const QString unreadIn =
            u"(SELECT CAST(COALESCE(SUM(t.message_count - COALESCE(rc.seen, 0) "
            u"- COALESCE(rc.own_after, 0)), 0) AS BIGINT) FROM threads t "
            u"LEFT JOIN read_cursors rc ON rc.thread = t.id AND rc.user_id = u.id"_s;
    const bool ok = q.exec(
            u"SELECT u.id, u.email, u.name, u.role, COALESCE(sent.n, 0), "
            u"CASE WHEN u.role = 'admin' THEN "_s + unreadIn + u") "_s
            + u"ELSE "_s + unreadIn + u" WHERE t.owner = u.id) END "_s
            + u"FROM users u "
              u"LEFT JOIN (SELECT sender, COUNT(*) AS n FROM messages GROUP BY sender) sent "
              u"  ON sent.sender = u.id "
              u"ORDER BY u.id"_s);
    if (!ok)
        return sql::failure(q, "user stats"_L1);
    QList<UserStats> stats;
    while (q.next()) {
        UserStats s;
        s.userId = q.value(0).toLongLong();
        s.email = q.value(1).toString();
        s.name = q.value(2).toString();
        s.role = roleFromName(q.value(3).toString()).value_or(Role::Customer);
        s.sent = q.value(4).toLongLong();
        s.unread = q.value(5).toLongLong();
        stats.append(s);
    }
    return stats;
}

} // namespace dpichat::server
