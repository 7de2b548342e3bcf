#include "outbox.h"

#include "logging.h"

#include <QSqlError>
#include <QSqlQuery>

namespace dpichat {

namespace {
// SQLite reads a null QString as NULL, which the NOT NULL columns refuse.
QString notNull(const QString &s)
{
    return s.isNull() ? QStringLiteral("") : s;
}
} // namespace

Outbox::Outbox(const QString &databasePath, QObject *parent)
    : QObject(parent), m_db(databasePath)
{
    if (m_db.isOpen()) {
        m_db.exec({QStringLiteral("CREATE TABLE IF NOT EXISTS outbox ("
                                  " client_id TEXT PRIMARY KEY,"
                                  " account TEXT NOT NULL,"
                                  " thread INTEGER NOT NULL,"
                                  " body TEXT NOT NULL,"
                                  " created_at TEXT NOT NULL,"
                                  " seq INTEGER NOT NULL,"
                                  " failed INTEGER NOT NULL DEFAULT 0,"
                                  " error TEXT NOT NULL DEFAULT '')"),
                   QStringLiteral("CREATE INDEX IF NOT EXISTS outbox_account"
                                  " ON outbox (account, seq)")});
    }
}

Outbox::~Outbox() = default;

QString Outbox::accountKey(const QUrl &server, qint64 userId)
{
    return server.toString(QUrl::NormalizePathSegments | QUrl::StripTrailingSlash)
           + QLatin1Char('#') + QString::number(userId);
}

void Outbox::setAccount(const QString &account)
{
    m_account = account.isNull() ? QStringLiteral("") : account;
}

bool Outbox::add(const OutboxEntry &entry)
{
    QSqlQuery q(m_db.database());
    q.prepare(QStringLiteral(
        "INSERT INTO outbox (client_id, account, thread, body, created_at, seq,"
        " failed, error) VALUES (?, ?, ?, ?, ?,"
        " (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?, ?)"
        " ON CONFLICT (client_id) DO NOTHING"));
    q.addBindValue(entry.clientId);
    q.addBindValue(m_account);
    q.addBindValue(entry.thread);
    q.addBindValue(notNull(entry.text));
    q.addBindValue(entry.createdAt.toUTC().toString(Qt::ISODateWithMs));
    q.addBindValue(entry.failed ? 1 : 0);
    q.addBindValue(notNull(entry.error));
    if (!q.exec()) {
        const QString reason = q.lastError().text();
        qCWarning(lcClientStore) << "outbox write failed:" << reason;
        Q_EMIT storageError(tr("The message could not be saved on this computer: %1")
                                .arg(reason));
        return false;
    }
    qCDebug(lcClientStore) << "outbox: queued" << entry.clientId << "thread" << entry.thread;
    return true;
}

bool Outbox::update(const QString &sql, const QVariantList &values)
{
    QSqlQuery q(m_db.database());
    q.prepare(sql);
    for (const QVariant &v : values)
        q.addBindValue(v);
    if (!q.exec()) {
        qCWarning(lcClientStore) << "outbox update failed:" << q.lastError().text();
        return false;
    }
    return q.numRowsAffected() > 0;
}

bool Outbox::remove(const QString &clientId)
{
    const bool removed =
        update(QStringLiteral("DELETE FROM outbox WHERE client_id = ? AND account = ?"),
               {clientId, m_account});
    if (removed)
        qCDebug(lcClientStore) << "outbox: acknowledged" << clientId;
    return removed;
}

bool Outbox::markFailed(const QString &clientId, const QString &reason)
{
    return update(QStringLiteral("UPDATE outbox SET failed = 1, error = ?"
                                 " WHERE client_id = ? AND account = ?"),
                  {notNull(reason), clientId, m_account});
}

bool Outbox::markPending(const QString &clientId)
{
    return update(QStringLiteral("UPDATE outbox SET failed = 0, error = ''"
                                 " WHERE client_id = ? AND account = ?"),
                  {clientId, m_account});
}

QList<OutboxEntry> Outbox::select(const QString &where) const
{
    QList<OutboxEntry> result;
    QSqlQuery q(m_db.database());
    q.prepare(QStringLiteral("SELECT client_id, thread, body, created_at, failed, error"
                             " FROM outbox WHERE account = ? ")
              + where + QStringLiteral(" ORDER BY seq"));
    q.addBindValue(m_account);
    if (!q.exec()) {
        qCWarning(lcClientStore) << "outbox read failed:" << q.lastError().text();
        return result;
    }
    while (q.next()) {
        OutboxEntry e;
        e.clientId = q.value(0).toString();
        e.thread = q.value(1).toLongLong();
        e.text = q.value(2).toString();
        e.createdAt = QDateTime::fromString(q.value(3).toString(), Qt::ISODateWithMs).toUTC();
        e.failed = q.value(4).toInt() != 0;
        e.error = q.value(5).toString();
        result.append(e);
    }
    return result;
}

std::optional<OutboxEntry> Outbox::entry(const QString &clientId) const
{
    const QList<OutboxEntry> all = entries();
    for (const OutboxEntry &e : all) {
        if (e.clientId == clientId)
            return e;
    }
    return std::nullopt;
}

QList<OutboxEntry> Outbox::entries() const
{
    return select(QString());
}

QList<OutboxEntry> Outbox::pendingEntries() const
{
    return select(QStringLiteral("AND failed = 0"));
}

int Outbox::count() const
{
    return int(entries().size());
}

} // namespace dpichat
