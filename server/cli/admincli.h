#pragma once

#include "config.h"
#include "store/store.h"

#include <QTextStream>

namespace dpichat::server {

/// The administration subcommands (`user …`, `stats`). Passwords come from `in`, one line,
/// never from the command line. Returns the process exit code: 0 ok, 1 failure, 2 bad usage.
class AdminCli
{
public:
    AdminCli(Store &store, QTextStream &in, QTextStream &out, QTextStream &err);

    int run(const ServerConfig &config);

private:
    int userAdd(const ServerConfig &config);
    int userList();
    int userPasswd(const QStringList &args);
    int userRole(const QStringList &args);
    int userDisable(const QStringList &args);
    int stats();

    int usage(const QString &message);
    int failure(const QString &message);
    /// Reads a password line from `in`; empty optional (and a message) when unusable.
    std::optional<QString> readPassword();
    std::optional<StoredUser> findUser(const QString &email, int &exitCode);

    Store &m_store;
    QTextStream &m_in;
    QTextStream &m_out;
    QTextStream &m_err;
};

} // namespace dpichat::server
