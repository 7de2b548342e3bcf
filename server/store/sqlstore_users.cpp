// SqlStore: users and sessions.

#include "sqlstore.h"

#include "logging.h"
#include "sqlstore_p.h"
#include "sqlutil.h"

using namespace Qt::StringLiterals;

namespace dpichat::server {

namespace {

QString normalizedEmail(const QString &email)
{
    return email.trimmed().toLower();
}

StoredUser readUser(const QSqlQuery &q)
{
    StoredUser s;
    s.user.id = q.value(0).toLongLong();
    s.user.email = q.value(1).toString();
    s.user.name = q.value(2).toString();
    s.user.role = roleFromName(q.value(3).toString()).value_or(Role::Customer);
    s.user.lastSeen = sql::optionalTimeFromVariant(q.value(7));
    s.passwordHash = q.value(4).toByteArray();
    s.disabled = q.value(5).toLongLong() != 0;
    s.createdAt = sql::timeFromMs(q.value(6).toLongLong());
    s.threadId = q.value(8).toLongLong();
    return s;
}

/// Runs `q` (kUserSelect and a WHERE with one parameter) for `key`: the user, if any.
Expected<std::optional<StoredUser>> readOneUser(QSqlQuery &q, const QVariant &key)
{
    q.addBindValue(key);
    if (!q.exec())
        return sql::failure(q, "read user"_L1);
    if (!q.next())
        return std::optional<StoredUser>();
    return std::optional<StoredUser>(readUser(q));
}

} // namespace

Expected<qint64> SqlStore::ensureSupportThread(qint64 userId)
{
    QSqlQuery q(m_db);
    q.prepare(u"SELECT id FROM threads WHERE owner = ? AND kind = 'support'"_s);
    q.addBindValue(userId);
    if (!q.exec())
        return sql::failure(q, "find support thread"_L1);
    if (q.next())
        return q.value(0).toLongLong();
    q.finish();
    q.prepare(u"INSERT INTO threads (owner, kind, created_at) VALUES (?, 'support', ?) "
              u"RETURNING id"_s);
    q.addBindValue(userId);
    q.addBindValue(sql::nowMs());
    if (!q.exec() || !q.next())
        return sql::failure(q, "create thread"_L1);
    const qint64 id = q.value(0).toLongLong();
    if (m_isPostgres) {
        // Running servers look for new threads every second anyway; this tells them at once
        // (NOTIFY is sent at the commit of the caller's transaction, and not at all without it).
        q.finish();
        q.prepare(u"SELECT pg_notify(?, ?)"_s);
        q.addBindValue(QString::fromUtf16(kEventChannel));
        q.addBindValue(u"{\"k\":\"t\"}"_s);
        if (!q.exec())
            return sql::failure(q, "notify new thread"_L1);
    }
    qCInfo(lcStore) << "created thread" << id << "for user" << userId;
    return id;
}

Expected<StoredUser> SqlStore::addUser(const QString &email, const QString &name, Role role,
                                       const QByteArray &passwordHash)
{
    if (auto error = notOpen())
        return *error;
    StoredUser s;
    s.user.email = normalizedEmail(email);
    s.user.name = name;
    s.user.role = role;
    s.passwordHash = passwordHash;
    if (s.user.email.isEmpty())
        return ProtocolError{ErrorCode::BadRequest, u"the email is empty"_s};

    sql::Transaction tx(m_db);
    if (auto error = tx.begin())
        return *error;
    const qint64 now = sql::nowMs();
    {
        QSqlQuery q(m_db);
        // ON CONFLICT rather than a look-up first: two concurrent adds cannot both pass it.
        q.prepare(u"INSERT INTO users (email, name, role, password_hash, disabled, created_at) "
                  u"VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (email) DO NOTHING RETURNING id"_s);
        q.addBindValue(s.user.email);
        q.addBindValue(s.user.name);
        q.addBindValue(roleName(role));
        q.addBindValue(passwordHash);
        q.addBindValue(now);
        if (!q.exec())
            return sql::failure(q, "add user"_L1);
        if (!q.next())
            return ProtocolError{ErrorCode::BadRequest, u"a user with this email already exists"_s};
        s.user.id = q.value(0).toLongLong();
    }
    s.createdAt = sql::timeFromMs(now);
    if (role != Role::Admin) {
        const Expected<qint64> thread = ensureSupportThread(s.user.id);
        if (hasError(thread))
            return std::get<ProtocolError>(thread);
        s.threadId = std::get<qint64>(thread);
    }
    if (auto error = tx.commit())
        return *error;
    qCInfo(lcStore) << "added user" << s.user.id << "as" << roleName(role);
    return s;
}

Expected<std::optional<StoredUser>> SqlStore::queryUser(const QString &where, const QVariant &key)
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QString::fromUtf16(kUserSelect) + where);
    return readOneUser(q, key);
}

Expected<std::optional<StoredUser>> SqlStore::userByEmail(const QString &email)
{
    return queryUser(u"WHERE u.email = ?"_s, normalizedEmail(email));
}

Expected<std::optional<StoredUser>> SqlStore::userById(qint64 id)
{
    // Prepared once: every token login reads its user by id.
    if (auto error = notOpen())
        return *error;
    QSqlQuery &q = m_stmts->userById;
    sql::FinishGuard done(q);
    return readOneUser(q, id);
}

Expected<QList<StoredUser>> SqlStore::users()
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    if (!q.exec(QString::fromUtf16(kUserSelect) + u"ORDER BY u.id"_s))
        return sql::failure(q, "list users"_L1);
    QList<StoredUser> list;
    while (q.next())
        list.append(readUser(q));
    return list;
}

Expected<QList<AccountState>> SqlStore::accountStates()
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    if (!q.exec(u"SELECT id, role, disabled, password_hash FROM users"_s))
        return sql::failure(q, "list account states"_L1);
    QList<AccountState> list;
    while (q.next()) {
        list.append({q.value(0).toLongLong(),
                     roleFromName(q.value(1).toString()).value_or(Role::Customer),
                     q.value(2).toLongLong() != 0, qHash(q.value(3).toByteArray())});
    }
    return list;
}

Expected<qint64> SqlStore::accountChanges()
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery &q = m_stmts->accountChanges;
    sql::FinishGuard done(q);
    if (!q.exec() || !q.next())
        return sql::failure(q, "read the count of account changes"_L1);
    return q.value(0).toLongLong();
}

Expected<bool> SqlStore::updateUser(const QString &assignment, const QVariant &value,
                                    qint64 userId, QLatin1StringView what)
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    q.prepare(u"UPDATE users SET "_s + assignment + u" WHERE id = ?"_s);
    q.addBindValue(value);
    q.addBindValue(userId);
    if (!q.exec())
        return sql::failure(q, what);
    return q.numRowsAffected() > 0;
}

Expected<bool> SqlStore::setPasswordHash(qint64 userId, const QByteArray &hash)
{
    return updateUser(u"password_hash = ?"_s, hash, userId, "set password"_L1);
}

Expected<bool> SqlStore::setDisabled(qint64 userId, bool disabled)
{
    return updateUser(u"disabled = ?"_s, disabled ? 1 : 0, userId, "set disabled"_L1);
}

Expected<bool> SqlStore::setLastSeen(qint64 userId, const QDateTime &when)
{
    return updateUser(u"last_seen = ?"_s, sql::optionalTimeToVariant(when), userId,
                      "set last seen"_L1);
}

Expected<bool> SqlStore::setLastSeen(const QHash<qint64, QDateTime> &whenByUser)
{
    if (auto error = notOpen())
        return *error;
    if (whenByUser.isEmpty())
        return true;
    sql::Transaction tx(m_db);
    if (auto error = tx.begin())
        return *error;
    for (auto it = whenByUser.cbegin(); it != whenByUser.cend(); ++it) {
        if (const auto set = setLastSeen(it.key(), it.value()); hasError(set))
            return set;
    }
    if (auto error = tx.commit())
        return *error;
    return true;
}

Expected<bool> SqlStore::setRole(qint64 userId, Role role)
{
    if (auto error = notOpen())
        return *error;
    sql::Transaction tx(m_db);
    if (auto error = tx.begin())
        return *error;
    const Expected<bool> updated = updateUser(u"role = ?"_s, roleName(role), userId, "set role"_L1);
    if (hasError(updated) || !std::get<bool>(updated))
        return updated;
    if (role != Role::Admin) {
        const Expected<qint64> thread = ensureSupportThread(userId);
        if (hasError(thread))
            return std::get<ProtocolError>(thread);
    }
    {
        // The team's cursor counts admins only: recount it where this user has read.
        QSqlQuery q(m_db);
        q.prepare(u"UPDATE threads SET team_up_to = COALESCE((SELECT MAX(rc.up_to) "
                  u"FROM read_cursors rc JOIN users a ON a.id = rc.user_id "
                  u"WHERE rc.thread = threads.id AND a.role = 'admin'), 0) "
                  u"WHERE id IN (SELECT rc.thread FROM read_cursors rc WHERE rc.user_id = ?)"_s);
        q.addBindValue(userId);
        if (!q.exec())
            return sql::failure(q, "recount team read positions"_L1);
    }
    if (auto error = tx.commit())
        return *error;
    qCInfo(lcStore) << "user" << userId << "is now" << roleName(role);
    return true;
}

Expected<bool> SqlStore::addSession(const QByteArray &tokenHash, qint64 userId,
                                    const QDateTime &expires)
{
    if (auto error = notOpen())
        return *error;
    const qint64 now = sql::nowMs();
    QSqlQuery q(m_db);
    q.prepare(u"INSERT INTO sessions (token_hash, user_id, created, last_used, expires, revoked) "
              u"VALUES (?, ?, ?, ?, ?, 0)"_s);
    q.addBindValue(tokenHash);
    q.addBindValue(userId);
    q.addBindValue(now);
    q.addBindValue(now);
    q.addBindValue(expires.toMSecsSinceEpoch());
    if (!q.exec())
        return sql::failure(q, "add session"_L1);
    return true;
}

Expected<std::optional<qint64>> SqlStore::sessionUser(const QByteArray &tokenHash,
                                                      const QDateTime &now)
{
    if (auto error = notOpen())
        return *error;
    const qint64 nowMs = now.toMSecsSinceEpoch();
    qint64 userId = 0;
    qint64 lastUsedMs = 0;
    {
        QSqlQuery &q = m_stmts->sessionLookup;
        sql::FinishGuard done(q);
        q.addBindValue(tokenHash);
        q.addBindValue(nowMs);
        if (!q.exec())
            return sql::failure(q, "look up session"_L1);
        if (!q.next())
            return std::optional<qint64>();
        userId = q.value(0).toLongLong();
        lastUsedMs = q.value(1).toLongLong();
    }
    // A write (and, on SQLite with synchronous=FULL, a disk flush) per token login would
    // hold up the event loop during a reconnect storm; last_used only needs to be roughly
    // right (it says which devices are still in use).
    if (nowMs >= lastUsedMs && nowMs - lastUsedMs < kSessionTouchInterval.count())
        return std::optional<qint64>(userId);
    QSqlQuery &touch = m_stmts->sessionTouch;
    sql::FinishGuard done(touch);
    touch.addBindValue(nowMs);
    touch.addBindValue(tokenHash);
    if (!touch.exec())
        return sql::failure(touch, "touch session"_L1);
    return std::optional<qint64>(userId);
}

Expected<bool> SqlStore::revokeSession(const QByteArray &tokenHash)
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    q.prepare(u"UPDATE sessions SET revoked = 1 WHERE token_hash = ? AND revoked = 0"_s);
    q.addBindValue(tokenHash);
    if (!q.exec())
        return sql::failure(q, "revoke session"_L1);
    return q.numRowsAffected() > 0;
}

Expected<bool> SqlStore::revokeUserSessions(qint64 userId)
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    q.prepare(u"UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0"_s);
    q.addBindValue(userId);
    if (!q.exec())
        return sql::failure(q, "revoke user sessions"_L1);
    const int revoked = q.numRowsAffected();
    qCInfo(lcStore) << "revoked" << revoked << "sessions of user" << userId;
    return revoked > 0;
}

} // namespace dpichat::server
