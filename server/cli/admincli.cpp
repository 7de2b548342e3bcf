#include "admincli.h"

#include "auth/passwords.h"

namespace dpichat::server {

namespace {
constexpr int kMinPasswordChars = 8;

bool looksLikeEmail(const QString &email)
{
    const qsizetype at = email.indexOf(u'@');
    return at > 0 && at < email.size() - 1 && !email.contains(u' ') && email.size() <= 254;
}
} // namespace

AdminCli::AdminCli(Store &store, QTextStream &in, QTextStream &out, QTextStream &err)
    : m_store(store), m_in(in), m_out(out), m_err(err)
{
}

int AdminCli::usage(const QString &message)
{
    m_err << "dpichat-server: " << message << Qt::endl;
    return 2;
}

int AdminCli::failure(const QString &message)
{
    m_err << "dpichat-server: " << message << Qt::endl;
    return 1;
}

int AdminCli::run(const ServerConfig &config)
{
    const QStringList &c = config.command;
    if (c.first() == u"stats")
        return c.size() == 1 ? stats() : usage(QStringLiteral("stats takes no arguments"));
    if (c.first() != u"user" || c.size() < 2)
        return usage(QStringLiteral("unknown command '%1'; see --help").arg(c.join(u' ')));
    const QString sub = c.at(1);
    const QStringList args = c.mid(2);
    if (sub == u"add")
        return args.isEmpty() ? userAdd(config) : usage(QStringLiteral("user add takes --email, --name and --role"));
    if (sub == u"list")
        return args.isEmpty() ? userList() : usage(QStringLiteral("user list takes no arguments"));
    if (sub == u"passwd")
        return userPasswd(args);
    if (sub == u"role")
        return userRole(args);
    if (sub == u"disable")
        return userDisable(args);
    return usage(QStringLiteral("unknown command 'user %1'; see --help").arg(sub));
}

std::optional<QString> AdminCli::readPassword()
{
    const QString password = m_in.readLine();
    if (password.size() < kMinPasswordChars) {
        failure(QStringLiteral("the password (read from standard input) must have at least %1 characters")
                    .arg(kMinPasswordChars));
        return std::nullopt;
    }
    return password;
}

std::optional<StoredUser> AdminCli::findUser(const QString &email, int &exitCode)
{
    auto found = m_store.userByEmail(email.trimmed().toLower());
    if (auto *e = std::get_if<ProtocolError>(&found)) {
        exitCode = failure(e->message);
        return std::nullopt;
    }
    auto user = std::get<std::optional<StoredUser>>(found);
    if (!user)
        exitCode = failure(QStringLiteral("no user with email %1").arg(email));
    return user;
}

int AdminCli::userAdd(const ServerConfig &config)
{
    if (config.email.isEmpty() || config.name.trimmed().isEmpty() || config.role.isEmpty())
        return usage(QStringLiteral("user add needs --email, --name and --role"));
    if (!looksLikeEmail(config.email.trimmed()))
        return usage(QStringLiteral("not an email address: %1").arg(config.email));
    if (config.name.trimmed().size() > 100)
        return usage(QStringLiteral("the name is longer than 100 characters"));
    const auto role = roleFromName(config.role);
    if (!role)
        return usage(QStringLiteral("unknown role '%1' (admin, customer or member)").arg(config.role));
    const auto password = readPassword();
    if (!password)
        return 1;
    const QByteArray hash = passwords::hash(*password);
    if (hash.isEmpty())
        return failure(QStringLiteral("could not hash the password (out of memory?)"));
    auto added = m_store.addUser(config.email.trimmed(), config.name.trimmed(), *role, hash);
    if (auto *e = std::get_if<ProtocolError>(&added))
        return failure(e->message);
    const StoredUser &u = std::get<StoredUser>(added);
    m_out << "added user " << u.user.id << " " << u.user.email << " (" << roleName(u.user.role)
          << ")" << Qt::endl;
    return 0;
}

int AdminCli::userList()
{
    auto users = m_store.users();
    if (auto *e = std::get_if<ProtocolError>(&users))
        return failure(e->message);
    m_out << QStringLiteral("%1  %2  %3  %4  %5\n")
                 .arg(QStringLiteral("id"), 5)
                 .arg(QStringLiteral("email"), -32)
                 .arg(QStringLiteral("role"), -8)
                 .arg(QStringLiteral("state"), -8)
                 .arg(QStringLiteral("name"));
    for (const StoredUser &u : std::get<QList<StoredUser>>(users)) {
        m_out << QStringLiteral("%1  %2  %3  %4  %5\n")
                     .arg(u.user.id, 5)
                     .arg(u.user.email, -32)
                     .arg(roleName(u.user.role), -8)
                     .arg(u.disabled ? QStringLiteral("disabled") : QStringLiteral("active"), -8)
                     .arg(u.user.name);
    }
    m_out.flush();
    return 0;
}

int AdminCli::userPasswd(const QStringList &args)
{
    if (args.size() != 1)
        return usage(QStringLiteral("usage: user passwd EMAIL (new password on standard input)"));
    int code = 0;
    const auto user = findUser(args.first(), code);
    if (!user)
        return code;
    const auto password = readPassword();
    if (!password)
        return 1;
    auto set = m_store.setPasswordHash(user->user.id, passwords::hash(*password));
    if (auto *e = std::get_if<ProtocolError>(&set))
        return failure(e->message);
    // A new password ends every session made with the old one.
    m_store.revokeUserSessions(user->user.id);
    m_out << "password changed for " << user->user.email << Qt::endl;
    return 0;
}

int AdminCli::userRole(const QStringList &args)
{
    if (args.size() != 2)
        return usage(QStringLiteral("usage: user role EMAIL admin|customer|member"));
    const auto role = roleFromName(args.at(1));
    if (!role)
        return usage(QStringLiteral("unknown role '%1' (admin, customer or member)").arg(args.at(1)));
    int code = 0;
    const auto user = findUser(args.first(), code);
    if (!user)
        return code;
    auto set = m_store.setRole(user->user.id, *role);
    if (auto *e = std::get_if<ProtocolError>(&set))
        return failure(e->message);
    // Sessions carry the role they logged in with; make the user log in again.
    m_store.revokeUserSessions(user->user.id);
    m_out << user->user.email << " is now " << roleName(*role) << Qt::endl;
    return 0;
}

int AdminCli::userDisable(const QStringList &args)
{
    if (args.size() != 1)
        return usage(QStringLiteral("usage: user disable EMAIL"));
    int code = 0;
    const auto user = findUser(args.first(), code);
    if (!user)
        return code;
    auto set = m_store.setDisabled(user->user.id, true);
    if (auto *e = std::get_if<ProtocolError>(&set))
        return failure(e->message);
    m_store.revokeUserSessions(user->user.id);
    m_out << user->user.email << " is disabled" << Qt::endl;
    return 0;
}

int AdminCli::stats()
{
    auto total = m_store.messageCount();
    if (auto *e = std::get_if<ProtocolError>(&total))
        return failure(e->message);
    auto perUser = m_store.userStats();
    if (auto *e = std::get_if<ProtocolError>(&perUser))
        return failure(e->message);
    m_out << "messages in total: " << std::get<qint64>(total) << "\n";
    m_out << QStringLiteral("%1  %2  %3  %4\n")
                 .arg(QStringLiteral("email"), -32)
                 .arg(QStringLiteral("role"), -8)
                 .arg(QStringLiteral("sent"), 8)
                 .arg(QStringLiteral("unread"), 8);
    for (const UserStats &u : std::get<QList<UserStats>>(perUser)) {
        m_out << QStringLiteral("%1  %2  %3  %4\n")
                     .arg(u.email, -32)
                     .arg(roleName(u.role), -8)
                     .arg(u.sent, 8)
                     .arg(u.unread, 8);
    }
    m_out.flush();
    return 0;
}

} // namespace dpichat::server
