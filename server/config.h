#pragma once

#include "protocol/errors.h"
#include "store/sqlstore.h"

#include <QHostAddress>
#include <QStringList>

namespace dpichat::server {

/// Everything `dpichat-server` can be told, from the command line and the config file
/// (INI through QSettings; the command line wins).
struct ServerConfig
{
    QHostAddress listen = QHostAddress::LocalHost;
    quint16 port = 8787;
    QString db; ///< "sqlite:PATH" or "postgres://USER:PASS@HOST:PORT/DB"; empty: the default file.
    QString tlsCert;
    QString tlsKey;
    int metricsPort = -1; ///< -1: no /healthz and /metrics; 0: a free port (printed).
    QHostAddress metricsListen = QHostAddress::LocalHost;
    double rateLimit = 20;
    bool demo = false;
    QString sqliteSynchronous = QStringLiteral("FULL");
    qint64 tokenTtlDays = 30;
    QStringList allowedOrigins;
    qint64 maxOutputBytes = 4 * 1024 * 1024;
    int maxPendingConnections = 1024;
    int pingIntervalSeconds = 30; ///< A session silent for two intervals is dropped.
    /// The main thread's event loop: "epoll" (EpollEventDispatcher) or "qt" (Qt's default).
    QString eventDispatcher = QStringLiteral("epoll");
    /// Plain ws:// through "own" (OwnWebSocket) or "qt" (QWebSocketServer).
    QString webSocket = QStringLiteral("own");

    /// The command's words after the options: empty to serve, or e.g. {"user", "add"}.
    QStringList command;
    /// For `user add`: --email, --name, --role.
    QString email;
    QString name;
    QString role;
};

/// What parsing the command line ended in.
struct ParseOutcome
{
    enum Kind { Run, Help, Version, UsageError };
    Kind kind = Run;
    QString text; ///< The help or version text, or the usage error.
};

/// Parses `arguments` (argv as strings) into `config`.
ParseOutcome parseCommandLine(const QStringList &arguments, ServerConfig &config);

/// --event-dispatcher from `arguments` (or the --config file) before QCoreApplication is
/// constructed, since the main thread's dispatcher must be chosen before that; the default
/// when absent or not understood (parseCommandLine() then reports the mistake).
QString eventDispatcherFor(const QStringList &arguments);

/// The default database: a file in the platform's data directory.
QString defaultDatabasePath();

/// Turns --db into store options; a bad URL is a one-line error.
Expected<SqlStoreOptions> storeOptionsFor(const ServerConfig &config);

} // namespace dpichat::server
