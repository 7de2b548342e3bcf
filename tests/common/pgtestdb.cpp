#include "pgtestdb.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

using namespace Qt::StringLiterals;

bool PgTestDatabase::wanted()
{
    return qEnvironmentVariable("DPICHAT_TEST_DB") == u"postgres";
}

PgTestDatabase::PgTestDatabase()
{
    const QString url = qEnvironmentVariable("DPICHAT_TEST_PG_URL");
    if (url.isEmpty()) {
        const QString why = qEnvironmentVariable("DPICHAT_TEST_PG_ERROR");
        m_error = why.isEmpty()
            ? u"DPICHAT_TEST_PG_URL is not set: run the tests through scripts/test "
              u"(or scripts/pg-testenv ctest ...), which starts a PostgreSQL cluster"_s
            : u"the PostgreSQL test cluster could not start: "_s + why;
        return;
    }
    m_base = QUrl(url);
    if (!m_base.isValid() || m_base.host().isEmpty()) {
        m_error = u"DPICHAT_TEST_PG_URL is not a postgres:// URL"_s;
        return;
    }
    // Only [a-z0-9_]: the name goes into CREATE DATABASE, which takes no bound values.
    m_name = u"dpichat_t_"_s + QUuid::createUuid().toString(QUuid::Id128);
    if (!adminExec(u"CREATE DATABASE "_s + m_name))
        return;
    m_created = true;
}

PgTestDatabase::~PgTestDatabase()
{
    if (m_created)
        adminExec(u"DROP DATABASE IF EXISTS "_s + m_name + u" WITH (FORCE)"_s);
}

QString PgTestDatabase::url() const
{
    QUrl u = m_base;
    u.setPath(u"/"_s + m_name);
    return u.toString();
}

bool PgTestDatabase::adminExec(const QString &statement)
{
    const QString connection = u"pgtestdb-"_s + QUuid::createUuid().toString(QUuid::Id128);
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connection);
        db.setHostName(m_base.host());
        db.setPort(m_base.port(5432));
        db.setUserName(m_base.userName());
        db.setPassword(m_base.password());
        db.setDatabaseName(m_base.path().mid(1));
        if (!db.open()) {
            m_error = u"cannot connect to the PostgreSQL test cluster: "_s + db.lastError().text();
        } else {
            QSqlQuery q(db);
            ok = q.exec(statement);
            if (!ok)
                m_error = u"PostgreSQL refused to make a test database: "_s + q.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(connection);
    return ok;
}
