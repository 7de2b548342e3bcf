#pragma once

#include "serverprocess.h"

#include <QObject>
#include <QStringList>
#include <QTemporaryDir>
#include <memory>

/// The base of the command-line suites (tst_cli_*.cpp): each test function gets a fresh folder
/// and a server (not started) whose SQLite database is in it.
class CliTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

protected:
    /// What `user list` prints (a warning when it fails).
    QString userList();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ServerProcess> m_server;
};

/// The `user list` row of `email` split into columns (id, email, role, state, name...).
QStringList listRow(const QString &listOutput, const QString &email);
/// How many `user list` rows have `email`, in any case.
int rowsWithEmail(const QString &listOutput, const QString &email);
/// One line, not empty: what a failing command writes to stderr.
bool isOneLine(const QString &text);
