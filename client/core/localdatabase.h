#pragma once

#include <QSqlDatabase>
#include <QString>

namespace dpichat {

/// The client's own SQLite file (outbox and drafts), opened under a connection name unique
/// to its owner so several owners (and tests) can use files side by side.
class LocalDatabase
{
public:
    /// `client.sqlite` in QStandardPaths::AppDataLocation.
    static QString defaultPath();

    explicit LocalDatabase(const QString &path);
    ~LocalDatabase();
    LocalDatabase(const LocalDatabase &) = delete;
    LocalDatabase &operator=(const LocalDatabase &) = delete;

    bool isOpen() const { return m_open; }
    QString errorString() const { return m_error; }
    QString path() const { return m_path; }
    QSqlDatabase database() const;
    /// Runs each statement; records the first failure in errorString().
    bool exec(const QStringList &statements);

private:
    QString m_path;
    QString m_connectionName;
    QString m_error;
    bool m_open = false;
};

} // namespace dpichat
