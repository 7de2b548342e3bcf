#include "localdatabase.h"

#include "logging.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>

namespace dpichat {

QString LocalDatabase::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
           + QStringLiteral("/client.sqlite");
}

LocalDatabase::LocalDatabase(const QString &path)
    : m_path(path),
      m_connectionName(QStringLiteral("dpichat-local-")
                       + QUuid::createUuid().toString(QUuid::WithoutBraces))
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open()) {
        m_error = db.lastError().text();
        qCWarning(lcClientStore) << "cannot open local database" << path << m_error;
        return;
    }
    // FULL: a queued message must survive a crash the moment send() returns.
    m_open = exec({QStringLiteral("PRAGMA journal_mode=WAL"),
                   QStringLiteral("PRAGMA synchronous=FULL")});
}

LocalDatabase::~LocalDatabase()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

QSqlDatabase LocalDatabase::database() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

bool LocalDatabase::exec(const QStringList &statements)
{
    QSqlQuery q(database());
    for (const QString &sql : statements) {
        if (!q.exec(sql)) {
            m_error = q.lastError().text();
            qCWarning(lcClientStore) << "local database statement failed:" << m_error;
            return false;
        }
    }
    return true;
}

} // namespace dpichat
