#include "drafts.h"

#include "logging.h"

#include <QSqlError>
#include <QSqlQuery>

namespace dpichat {

Drafts::Drafts(const QString &databasePath, QObject *parent)
    : QObject(parent), m_db(databasePath)
{
    if (m_db.isOpen()) {
        m_db.exec({QStringLiteral("CREATE TABLE IF NOT EXISTS drafts ("
                                  " account TEXT NOT NULL,"
                                  " thread INTEGER NOT NULL,"
                                  " body TEXT NOT NULL,"
                                  " PRIMARY KEY (account, thread))")});
    }
}

Drafts::~Drafts() = default;

void Drafts::setAccount(const QString &account)
{
    m_account = account.isNull() ? QStringLiteral("") : account;
}

QString Drafts::draft(qint64 thread) const
{
    QSqlQuery q(m_db.database());
    q.prepare(QStringLiteral("SELECT body FROM drafts WHERE account = ? AND thread = ?"));
    q.addBindValue(m_account);
    q.addBindValue(thread);
    if (q.exec() && q.next())
        return q.value(0).toString();
    return QString();
}

void Drafts::setDraft(qint64 thread, const QString &text)
{
    QSqlQuery q(m_db.database());
    if (text.trimmed().isEmpty()) {
        q.prepare(QStringLiteral("DELETE FROM drafts WHERE account = ? AND thread = ?"));
        q.addBindValue(m_account);
        q.addBindValue(thread);
    } else {
        q.prepare(QStringLiteral("INSERT OR REPLACE INTO drafts (account, thread, body)"
                                 " VALUES (?, ?, ?)"));
        q.addBindValue(m_account);
        q.addBindValue(thread);
        q.addBindValue(text);
    }
    if (!q.exec())
        qCWarning(lcClientStore) << "draft write failed:" << q.lastError().text();
}

} // namespace dpichat
