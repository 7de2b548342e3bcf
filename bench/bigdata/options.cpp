#include "options.h"

#include "config.h"

#include <QCommandLineParser>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace dpichat::bigdata {

namespace {

int fail(const QString &message)
{
    QTextStream(stderr) << "dpichat-bigdata: " << message << Qt::endl;
    return 2;
}

template<typename T>
bool readNumber(const QCommandLineParser &p, const QString &name, T &out, qint64 min)
{
    if (!p.isSet(name))
        return true;
    bool ok = false;
    const qint64 v = p.value(name).toLongLong(&ok);
    if (!ok || v < min)
        return false;
    out = T(v);
    return true;
}

} // namespace

std::variant<Options, int> parseOptions(const QStringList &arguments)
{
    QCommandLineParser p;
    p.setApplicationDescription(
            u"Fills a DPI Chat database with many users and messages (generate), or times the "
            u"server's threads, history and sync queries on it (measure).\n"
            u"Every generated user's password is the one --password names."_s);
    p.addHelpOption();
    p.addPositionalArgument(u"command"_s, u"generate (the default) or measure"_s);
    p.addOptions({
            {u"db"_s, u"Database: a SQLite file path, sqlite:PATH, or postgres://USER:PASS@HOST:PORT/DB."_s,
             u"URL"_s},
            {u"users"_s, u"generate: users, admins included (default 10000)."_s, u"N"_s},
            {u"admins"_s, u"generate: admins among them (default 5)."_s, u"N"_s},
            {u"messages"_s, u"generate: messages (default 5000000)."_s, u"N"_s},
            {u"seed"_s, u"Random seed (default 1): the same seed makes the same data and samples."_s,
             u"N"_s},
            {u"transaction-rows"_s, u"generate: rows per transaction (default 100000)."_s, u"N"_s},
            {u"samples"_s, u"measure: samples per history and sync variant (default 1000)."_s,
             u"N"_s},
            {u"threads-samples"_s, u"measure: samples of an admin's thread list (default 30)."_s,
             u"N"_s},
            {u"appends"_s,
             u"measure: at the end, also append N batches of 32 messages (a group commit) "
             u"through SqlStore::appendMessages. Adds messages to the database."_s,
             u"N"_s},
            {u"server"_s,
             u"measure: also start this dpichat-server on the database and time the same "
             u"requests over a WebSocket, logged in as an admin."_s,
             u"PATH"_s},
            {u"password"_s, u"Every generated user's password (default bigdata-password)."_s,
             u"PW"_s},
    });
    if (!p.parse(arguments))
        return fail(p.errorText());
    if (p.isSet(u"help"_s)) {
        QTextStream(stdout) << p.helpText();
        return 0;
    }

    Options o;
    const QStringList positional = p.positionalArguments();
    if (positional.size() > 1)
        return fail(u"one command at most: generate or measure"_s);
    if (!positional.isEmpty() && positional.first() == u"measure")
        o.command = Options::Command::Measure;
    else if (!positional.isEmpty() && positional.first() != u"generate")
        return fail(u"unknown command '%1'"_s.arg(positional.first()));

    o.db = p.value(u"db"_s);
    if (o.db.isEmpty())
        return fail(u"--db is required"_s);
    server::ServerConfig config;
    const bool isUrl = o.db.startsWith(u"sqlite:") || o.db.startsWith(u"postgres://")
            || o.db.startsWith(u"postgresql://");
    config.db = isUrl ? o.db : u"sqlite:"_s + o.db;
    const auto store = server::storeOptionsFor(config);
    if (const auto *e = std::get_if<ProtocolError>(&store))
        return fail(e->message);
    o.store = std::get<server::SqlStoreOptions>(store);

    if (!readNumber(p, u"users"_s, o.users, 2) || !readNumber(p, u"admins"_s, o.admins, 1)
        || !readNumber(p, u"messages"_s, o.messages, 0) || !readNumber(p, u"seed"_s, o.seed, 0)
        || !readNumber(p, u"transaction-rows"_s, o.rowsPerTransaction, 1000)
        || !readNumber(p, u"samples"_s, o.samples, 1)
        || !readNumber(p, u"threads-samples"_s, o.threadsSamples, 1)
        || !readNumber(p, u"appends"_s, o.appends, 0))
        return fail(u"a numeric option is not a number or too small"_s);
    if (o.admins >= o.users)
        return fail(u"--admins must be fewer than --users"_s);
    o.serverBinary = p.value(u"server"_s);
    o.password = p.isSet(u"password"_s) ? p.value(u"password"_s)
                                         : QString::fromUtf16(kDefaultPassword);
    return o;
}

} // namespace dpichat::bigdata
