#pragma once

#include <QString>
#include <QUrl>

/// A fresh PostgreSQL database for one test (case or suite), made in the throwaway cluster
/// that scripts/pg-testenv starts and names in DPICHAT_TEST_PG_URL; dropped again at the end.
///
/// A test entry registered for PostgreSQL sets DPICHAT_TEST_DB=postgres. Such a test must
/// fail, never skip, when the cluster is missing: error() then says why (the reason
/// scripts/pg-testenv gave in DPICHAT_TEST_PG_ERROR, or that the variable is unset).
class PgTestDatabase
{
public:
    /// Whether this run is the PostgreSQL variant of a suite (DPICHAT_TEST_DB=postgres).
    static bool wanted();

    PgTestDatabase();
    ~PgTestDatabase();
    PgTestDatabase(const PgTestDatabase &) = delete;
    PgTestDatabase &operator=(const PgTestDatabase &) = delete;

    bool isValid() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }

    /// postgres://USER:PASS@HOST:PORT/DB of the fresh database, as `--db` takes it.
    QString url() const;
    QString databaseName() const { return m_name; }
    QString host() const { return m_base.host(); }
    int port() const { return m_base.port(5432); }
    QString userName() const { return m_base.userName(); }
    QString password() const { return m_base.password(); }

private:
    bool adminExec(const QString &statement);

    QUrl m_base;
    QString m_name;
    QString m_error;
    bool m_created = false;
};
