#include "server.h"

#include "auth/passwords.h"
#include "logging.h"
#include "net/tls.h"

#include <QWebSocketProtocol>

namespace dpichat::server {

namespace {
ListenerOptions listenerOptions(const ServerConfig &c, std::optional<ProtocolError> &error)
{
    ListenerOptions o;
    if (!c.tlsCert.isEmpty()) {
        auto tls = loadServerTls(c.tlsCert, c.tlsKey);
        if (auto *e = std::get_if<ProtocolError>(&tls))
            error = *e;
        else
            o.tls = std::get<QSslConfiguration>(std::move(tls));
    }
    o.sessionLimits.rateLimit = c.rateLimit;
    o.sessionLimits.maxOutputBytes = c.maxOutputBytes;
    o.sessionLimits.pingIntervalMs = c.pingIntervalSeconds * 1000;
    o.maxPendingConnections = c.maxPendingConnections;
    o.allowedOrigins = c.allowedOrigins;
    o.ownWebSocket = c.webSocket == u"own";
    return o;
}
} // namespace

Server::Server(Store &store, const ServerConfig &config, QObject *parent)
    : Server(store, config, std::make_unique<EventBus>(), parent)
{
}

Server::Server(Store &store, const ServerConfig &config, std::unique_ptr<EventBus> bus,
               QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_store(store)
    , m_bus(std::move(bus))
    , m_auth(store, config.tokenTtlDays * 24 * 3600)
    , m_router(store)
    , m_committer(store, m_metrics)
    , m_dispatcher(store, m_auth, m_router, m_committer, m_metrics, *m_bus)
    , m_listener(m_dispatcher, m_metrics, listenerOptions(config, m_setupError))
    , m_threadWatcher(store, m_router)
    , m_accountWatcher(store, m_router)
{
    m_bus->attach(m_router, m_threadWatcher);
}

Server::~Server() = default;

Expected<bool> Server::start()
{
    if (m_setupError)
        return *m_setupError;
    if (m_storageStore) {
        if (auto started = m_committer.startStorageThread(m_storageStore, m_flushStorageLog); hasError(started))
            return started;
        if (!m_journalPath.isEmpty()) {
            if (auto started = m_committer.startJournal(m_journalPath); hasError(started))
                return started;
        }
    }
    // Listening to the other instances before accepting clients, so none misses a push.
    if (auto joined = m_bus->start(); std::holds_alternative<ProtocolError>(joined))
        return joined;
    auto listening = m_listener.listen(m_config.listen, m_config.port);
    if (std::holds_alternative<ProtocolError>(listening))
        return listening;
    m_threadWatcher.start();
    m_accountWatcher.start();
    if (m_config.metricsPort >= 0) {
        m_metricsServer = std::make_unique<MetricsServer>(m_metrics, m_store, [this] {
            return Metrics::Gauges { m_listener.connectionCount(), m_router.sessionCount(),
                m_committer.journaledBatches(), m_committer.acknowledgedNotStored(),
                m_committer.clientIdLookups() };
        });
        m_metricsServer->setStorageProblemSource([this] { return m_committer.storageProblem(); });
        auto port = m_metricsServer->listen(m_config.metricsListen, quint16(m_config.metricsPort));
        if (const auto *e = std::get_if<ProtocolError>(&port))
            return *e;
        m_metricsPort = std::get<quint16>(port);
    }
    return true;
}

void Server::shutdown()
{
    m_committer.flush();
    m_listener.closeAll(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("server shutting down"));
    m_bus->stop();
}

Expected<bool> ensureDemoAccounts(Store &store)
{
    struct Demo
    {
        const char *email;
        const char *name;
        Role role;
        const char *password;
    };
    static const Demo demos[] = {
        {"hello@designpi.com", "Ann Support", Role::Admin, "admin123"},
        {"john.doe@example.com", "John Doe", Role::Customer, "customer123"},
        {"mia.member@example.com", "Mia Member", Role::Member, "member123"},
    };
    for (const Demo &d : demos) {
        const QString email = QString::fromLatin1(d.email);
        auto existing = store.userByEmail(email);
        if (auto *e = std::get_if<ProtocolError>(&existing))
            return *e;
        if (std::get<std::optional<StoredUser>>(existing))
            continue;
        auto added = store.addUser(email, QString::fromLatin1(d.name), d.role,
                                   passwords::hash(QString::fromLatin1(d.password)));
        if (auto *e = std::get_if<ProtocolError>(&added))
            return *e;
        qCInfo(lcAuth) << "added demo account" << email;
    }
    return true;
}

} // namespace dpichat::server
