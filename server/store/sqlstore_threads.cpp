// SqlStore: threads as a viewer sees them, and the figures for `dpichat-server stats`.

#include "sqlstore.h"

#include "sqlstore_p.h"
#include "sqlutil.h"

using namespace Qt::StringLiterals;

namespace dpichat::server {

namespace {

// One row per thread, everything a Thread needs in one round trip: an admin's inbox lists
// every thread, and a query per thread would not scale with them. The first two `?` are the
// viewer, whose cursor the unread count is measured from.
constexpr char16_t kThreadSelect[] =
        u"SELECT t.id, o.id, o.name, o.email, o.role, o.last_seen, "
        u"COALESCE((SELECT rc.up_to FROM read_cursors rc "
        u"  WHERE rc.thread = t.id AND rc.user_id = t.owner), 0), "
        u"COALESCE((SELECT MAX(rc.up_to) FROM read_cursors rc JOIN users a ON a.id = rc.user_id "
        u"  WHERE rc.thread = t.id AND a.role = 'admin'), 0), "
        u"(SELECT COUNT(*) FROM messages c WHERE c.thread = t.id AND c.sender <> ? "
        u"  AND c.id > COALESCE((SELECT rc.up_to FROM read_cursors rc "
        u"    WHERE rc.thread = t.id AND rc.user_id = ?), 0)), "
        u"m.id, m.thread, m.sender, u.name, m.client_id, m.body, m.created_at "
        u"FROM threads t JOIN users o ON o.id = t.owner "
        u"LEFT JOIN messages m ON m.id = (SELECT MAX(x.id) FROM messages x WHERE x.thread = t.id) "
        u"LEFT JOIN users u ON u.id = m.sender ";

// Newest activity first; threads without messages (COALESCE to 0, below every id) after,
// newest thread first.
constexpr char16_t kThreadOrder[] = u" ORDER BY COALESCE(m.id, 0) DESC, t.id DESC";

Thread readThread(const QSqlQuery &q)
{
    Thread t;
    t.id = q.value(0).toLongLong();
    t.owner.id = q.value(1).toLongLong();
    t.owner.name = q.value(2).toString();
    t.owner.email = q.value(3).toString();
    t.owner.role = roleFromName(q.value(4).toString()).value_or(Role::Customer);
    t.owner.online = false; // Presence is the Router's to fill in.
    t.owner.lastSeen = sql::optionalTimeFromVariant(q.value(5));
    t.readUpToOwner = q.value(6).toLongLong();
    t.readUpToTeam = q.value(7).toLongLong();
    t.unread = q.value(8).toLongLong();
    if (!q.value(9).isNull())
        t.lastMessage = sql::readMessage(q, 9);
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

Expected<QList<Thread>> SqlStore::queryThreads(const QString &where, const QList<QVariant> &binds,
                                               qint64 viewerId)
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QString::fromUtf16(kThreadSelect) + where + QString::fromUtf16(kThreadOrder));
    q.addBindValue(viewerId);
    q.addBindValue(viewerId);
    for (const QVariant &value : binds)
        q.addBindValue(value);
    if (!q.exec())
        return sql::failure(q, "list threads"_L1);
    QList<Thread> threads;
    while (q.next())
        threads.append(readThread(q));
    return threads;
}

Expected<QList<Thread>> SqlStore::threadsFor(const User &viewer)
{
    if (viewer.role == Role::Admin)
        return queryThreads(QString(), {}, viewer.id);
    return queryThreads(u"WHERE t.owner = ?"_s, {viewer.id}, viewer.id);
}

Expected<std::optional<Thread>> SqlStore::threadFor(qint64 threadId, const User &viewer)
{
    const Expected<QList<Thread>> found = queryThreads(u"WHERE t.id = ?"_s, {threadId}, viewer.id);
    if (hasError(found))
        return std::get<ProtocolError>(found);
    const QList<Thread> &threads = std::get<QList<Thread>>(found);
    if (threads.isEmpty())
        return std::optional<Thread>();
    return std::optional<Thread>(threads.constFirst());
}

Expected<QList<UserStats>> SqlStore::userStats()
{
    if (auto error = notOpen())
        return *error;
    // An admin's unread spans every thread, a non-admin's only their own; both count what
    // others sent after the user's cursor in that thread. This scans all messages once per
    // admin, which is fine for an offline command but not for a request path.
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    const bool ok = q.exec(
            u"SELECT u.id, u.email, u.name, u.role, "
            u"(SELECT COUNT(*) FROM messages s WHERE s.sender = u.id), "
            u"(SELECT COUNT(*) FROM messages m JOIN threads t ON t.id = m.thread "
            u"  WHERE m.sender <> u.id AND (u.role = 'admin' OR t.owner = u.id) "
            u"  AND m.id > COALESCE((SELECT rc.up_to FROM read_cursors rc "
            u"    WHERE rc.thread = m.thread AND rc.user_id = u.id), 0)) "
            u"FROM users u ORDER BY u.id"_s);
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
