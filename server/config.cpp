#include "config.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>
#include <QUrl>

namespace dpichat::server {

namespace {

QString usageText()
{
    return QStringLiteral(
        "Commands:\n"
        "  (none)                         serve clients\n"
        "  user add --email E --name N --role admin|customer|member   (password on stdin)\n"
        "  user list\n"
        "  user passwd E                  (new password on stdin)\n"
        "  user role E ROLE\n"
        "  user disable E\n"
        "  stats                          messages in total, sent and unread per user\n");
}

QString value(const QCommandLineParser &p, const QSettings *ini, const QString &name)
{
    if (p.isSet(name))
        return p.value(name);
    if (ini && ini->contains(name)) {
        // QSettings reads an unquoted "a,b" as a list; the command line would have said "a,b".
        const QVariant v = ini->value(name);
        if (v.typeId() == QMetaType::QStringList)
            return v.toStringList().join(u',');
        return v.toString();
    }
    return {};
}

/// Every option, for the parse proper and for the early look at --event-dispatcher.
QList<QCommandLineOption> serverOptions()
{
    return {
        {QStringLiteral("listen"), QStringLiteral("Address to listen on (default 127.0.0.1)."), QStringLiteral("ADDR")},
        {QStringLiteral("port"), QStringLiteral("Port to listen on (default 8787; 0 picks a free one)."), QStringLiteral("N")},
        {QStringLiteral("db"), QStringLiteral("Database: sqlite:PATH or postgres://USER:PASS@HOST:PORT/DB."), QStringLiteral("URL")},
        {QStringLiteral("tls-cert"), QStringLiteral("TLS certificate (PEM) for wss://."), QStringLiteral("FILE")},
        {QStringLiteral("tls-key"), QStringLiteral("TLS private key (PEM)."), QStringLiteral("FILE")},
        {QStringLiteral("metrics-port"), QStringLiteral("Port for /healthz and /metrics (default: none; 0 picks a free one)."), QStringLiteral("N")},
        {QStringLiteral("metrics-listen"), QStringLiteral("Address for /healthz and /metrics (default 127.0.0.1)."), QStringLiteral("ADDR")},
        {QStringLiteral("rate-limit"), QStringLiteral("Requests per second per session (default 20; 0 turns it off)."), QStringLiteral("N")},
        {QStringLiteral("config"), QStringLiteral("INI file with any of these options."), QStringLiteral("FILE")},
        {QStringLiteral("demo"), QStringLiteral("Add the demo accounts if they are missing.")},
        {QStringLiteral("sqlite-synchronous"), QStringLiteral("SQLite synchronous mode: FULL (default, survives power loss) or NORMAL."), QStringLiteral("MODE")},
        {QStringLiteral("token-ttl-days"), QStringLiteral("Session token lifetime in days (default 30)."), QStringLiteral("N")},
        {QStringLiteral("ping-interval"), QStringLiteral("Seconds between keep-alive pings; a session silent for two is dropped (default 30)."), QStringLiteral("N")},
        {QStringLiteral("allowed-origins"), QStringLiteral("Comma-separated browser Origins allowed to connect (default: any)."), QStringLiteral("LIST")},
        {QStringLiteral("event-dispatcher"), QStringLiteral("Main thread's event loop: epoll (default; a wake-up costs what is ready, not every connection) or qt (Qt's own)."), QStringLiteral("NAME")},
        {QStringLiteral("websocket"), QStringLiteral("WebSocket layer for plain ws://: own (default; about 1 KiB per idle connection) or qt (QWebSocketServer, as wss:// always uses)."), QStringLiteral("NAME")},
        {QStringLiteral("email"), QStringLiteral("user add: the user's email."), QStringLiteral("E")},
        {QStringLiteral("name"), QStringLiteral("user add: the user's name."), QStringLiteral("N")},
        {QStringLiteral("role"), QStringLiteral("user add: admin, customer or member."), QStringLiteral("ROLE")},
    };
}

bool parsePort(const QString &text, quint16 &out)
{
    bool ok = false;
    const uint v = text.toUInt(&ok);
    if (!ok || v > 65535)
        return false;
    out = quint16(v);
    return true;
}

} // namespace

QString defaultDatabasePath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(dir).filePath(QStringLiteral("dpichat.db"));
}

ParseOutcome parseCommandLine(const QStringList &arguments, ServerConfig &config)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        QStringLiteral("DPI Chat server: stores and routes support chat messages.\n\n")
        + usageText());
    p.addOptions(serverOptions());
    const QCommandLineOption help = p.addHelpOption();
    const QCommandLineOption version = p.addVersionOption();
    p.addPositionalArgument(QStringLiteral("command"), QStringLiteral("user … or stats; none to serve."),
                            QStringLiteral("[command]"));

    if (!p.parse(arguments))
        return {ParseOutcome::UsageError, p.errorText()};
    if (p.isSet(help))
        return {ParseOutcome::Help, p.helpText()};
    if (p.isSet(version))
        return {ParseOutcome::Version,
                QStringLiteral("dpichat-server %1").arg(QStringLiteral(DPICHAT_VERSION))};

    std::unique_ptr<QSettings> ini;
    if (p.isSet(QStringLiteral("config"))) {
        const QString file = p.value(QStringLiteral("config"));
        if (!QFileInfo(file).isReadable())
            return {ParseOutcome::UsageError, QStringLiteral("cannot read config file %1").arg(file)};
        ini = std::make_unique<QSettings>(file, QSettings::IniFormat);
        if (ini->status() != QSettings::NoError)
            return {ParseOutcome::UsageError, QStringLiteral("cannot parse config file %1").arg(file)};
    }
    const QSettings *s = ini.get();

    if (const QString v = value(p, s, QStringLiteral("listen")); !v.isEmpty()) {
        if (!config.listen.setAddress(v))
            return {ParseOutcome::UsageError, QStringLiteral("--listen: not an IP address: %1").arg(v)};
    }
    if (const QString v = value(p, s, QStringLiteral("port")); !v.isEmpty() && !parsePort(v, config.port))
        return {ParseOutcome::UsageError, QStringLiteral("--port: not a port number: %1").arg(v)};
    if (const QString v = value(p, s, QStringLiteral("metrics-port")); !v.isEmpty()) {
        quint16 port = 0;
        if (!parsePort(v, port))
            return {ParseOutcome::UsageError, QStringLiteral("--metrics-port: not a port number: %1").arg(v)};
        config.metricsPort = port;
    }
    if (const QString v = value(p, s, QStringLiteral("metrics-listen")); !v.isEmpty()) {
        if (!config.metricsListen.setAddress(v))
            return {ParseOutcome::UsageError, QStringLiteral("--metrics-listen: not an IP address: %1").arg(v)};
    }
    if (const QString v = value(p, s, QStringLiteral("rate-limit")); !v.isEmpty()) {
        bool ok = false;
        config.rateLimit = v.toDouble(&ok);
        if (!ok || config.rateLimit < 0)
            return {ParseOutcome::UsageError, QStringLiteral("--rate-limit: not a number >= 0: %1").arg(v)};
    }
    if (const QString v = value(p, s, QStringLiteral("token-ttl-days")); !v.isEmpty()) {
        bool ok = false;
        config.tokenTtlDays = v.toLongLong(&ok);
        if (!ok || config.tokenTtlDays < 1)
            return {ParseOutcome::UsageError, QStringLiteral("--token-ttl-days: not a number >= 1: %1").arg(v)};
    }
    if (const QString v = value(p, s, QStringLiteral("ping-interval")); !v.isEmpty()) {
        bool ok = false;
        config.pingIntervalSeconds = v.toInt(&ok);
        if (!ok || config.pingIntervalSeconds < 1 || config.pingIntervalSeconds > 3600)
            return {ParseOutcome::UsageError, QStringLiteral("--ping-interval: seconds from 1 to 3600: %1").arg(v)};
    }
    if (const QString v = value(p, s, QStringLiteral("sqlite-synchronous")); !v.isEmpty()) {
        config.sqliteSynchronous = v.toUpper();
        if (config.sqliteSynchronous != u"FULL" && config.sqliteSynchronous != u"NORMAL")
            return {ParseOutcome::UsageError, QStringLiteral("--sqlite-synchronous: FULL or NORMAL")};
    }
    if (const QString v = value(p, s, QStringLiteral("event-dispatcher")); !v.isEmpty()) {
        config.eventDispatcher = v.toLower();
        if (config.eventDispatcher != u"epoll" && config.eventDispatcher != u"qt")
            return {ParseOutcome::UsageError, QStringLiteral("--event-dispatcher: epoll or qt")};
    }
    if (const QString v = value(p, s, QStringLiteral("websocket")); !v.isEmpty()) {
        config.webSocket = v.toLower();
        if (config.webSocket != u"own" && config.webSocket != u"qt")
            return {ParseOutcome::UsageError, QStringLiteral("--websocket: own or qt")};
    }
    if (const QString v = value(p, s, QStringLiteral("allowed-origins")); !v.isEmpty())
        config.allowedOrigins = v.split(u',', Qt::SkipEmptyParts);
    config.db = value(p, s, QStringLiteral("db"));
    config.tlsCert = value(p, s, QStringLiteral("tls-cert"));
    config.tlsKey = value(p, s, QStringLiteral("tls-key"));
    if (config.tlsCert.isEmpty() != config.tlsKey.isEmpty())
        return {ParseOutcome::UsageError, QStringLiteral("--tls-cert and --tls-key go together")};
    config.demo = p.isSet(QStringLiteral("demo"))
        || (s && s->value(QStringLiteral("demo")).toBool());
    config.email = p.value(QStringLiteral("email"));
    config.name = p.value(QStringLiteral("name"));
    config.role = p.value(QStringLiteral("role"));
    config.command = p.positionalArguments();
    return {};
}

QString eventDispatcherFor(const QStringList &arguments)
{
    // Before QCoreApplication exists: no help text, no messages; the parse proper that
    // follows reports any mistake.
    QCommandLineParser p;
    p.addOptions(serverOptions());
    p.addOption({{QStringLiteral("h"), QStringLiteral("help")}, QString()});
    p.addOption({{QStringLiteral("v"), QStringLiteral("version")}, QString()});
    QString chosen;
    if (p.parse(arguments)) {
        std::unique_ptr<QSettings> ini;
        if (p.isSet(QStringLiteral("config")) && QFileInfo(p.value(QStringLiteral("config"))).isReadable())
            ini = std::make_unique<QSettings>(p.value(QStringLiteral("config")), QSettings::IniFormat);
        chosen = value(p, ini.get(), QStringLiteral("event-dispatcher")).toLower();
    }
    return chosen == u"epoll" || chosen == u"qt" ? chosen : ServerConfig().eventDispatcher;
}

Expected<SqlStoreOptions> storeOptionsFor(const ServerConfig &config)
{
    SqlStoreOptions o;
    o.synchronous = config.sqliteSynchronous;
    const QString db = config.db.isEmpty() ? QStringLiteral("sqlite:") + defaultDatabasePath()
                                           : config.db;
    if (db.startsWith(u"sqlite:")) {
        o.driver = QStringLiteral("QSQLITE");
        o.database = db.mid(7);
        if (o.database.startsWith(u"//"))
            o.database = o.database.mid(2);
        if (o.database.isEmpty())
            return ProtocolError{ErrorCode::BadRequest, QStringLiteral("--db sqlite: needs a path")};
        return o;
    }
    if (db.startsWith(u"postgres://") || db.startsWith(u"postgresql://")) {
        const QUrl url(db, QUrl::StrictMode);
        if (!url.isValid() || url.path().size() < 2)
            return ProtocolError{ErrorCode::BadRequest,
                                 QStringLiteral("--db: expected postgres://USER:PASS@HOST:PORT/DB")};
        o.driver = QStringLiteral("QPSQL");
        o.host = url.host();
        o.port = url.port(5432);
        o.user = url.userName();
        o.password = url.password();
        o.database = url.path().mid(1);
        return o;
    }
    return ProtocolError{ErrorCode::BadRequest,
                         QStringLiteral("--db: expected sqlite:PATH or postgres://USER:PASS@HOST:PORT/DB")};
}

} // namespace dpichat::server
