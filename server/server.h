#pragma once

#include "auth/authenticator.h"
#include "config.h"
#include "metrics/metrics.h"
#include "metrics/metricsserver.h"
#include "net/committer.h"
#include "net/dispatcher.h"
#include "net/eventbus.h"
#include "net/listener.h"
#include "net/router.h"
#include "net/accountwatcher.h"
#include "net/threadwatcher.h"

#include <QObject>

namespace dpichat::server {

/// The serving parts wired together over one Store: what `dpichat-server` runs and what the
/// tests start in-process.
class Server : public QObject
{
    Q_OBJECT
public:
    /// One instance: pushes go to this instance's sessions only.
    Server(Store &store, const ServerConfig &config, QObject *parent = nullptr);
    /// Pushes go through `bus` (e.g. a PgEventBus, to reach the other instances too).
    Server(Store &store, const ServerConfig &config, std::unique_ptr<EventBus> bus,
           QObject *parent = nullptr);
    ~Server() override;

    /// Before start(): store messages on a thread of their own, through the store that
    /// `makeStore` makes (a second connection to the same database); see Committer.
    /// With `flushLog`, the store commits without flushing and the Committer flushes its
    /// write-ahead log on a thread of its own (see Committer, LogFlusher).
    void setStorageThreadStore(Committer::StoreFactory makeStore, bool flushLog = false)
    {
        m_storageStore = std::move(makeStore);
        m_flushStorageLog = flushLog;
    }

    /// Before start(), with a storage thread on SQLite under synchronous=NORMAL: acknowledge
    /// small batches once they are in the MessageJournal at `path` (Committer::startJournal()).
    void setMessageJournal(const QString &path) { m_journalPath = path; }

    Expected<bool> start();
    quint16 port() const { return m_listener.port(); }
    /// Stops accepting, commits what is queued and closes every session with 1001.
    void shutdown();

    bool isSecure() const { return m_listener.isSecure(); }
    /// The port of /healthz and /metrics once started with a metrics port; 0 without.
    quint16 metricsPort() const { return m_metricsPort; }
    Metrics &metrics() { return m_metrics; }

    Router &router() { return m_router; }
    /// For in-process drivers (the session fuzz target): requests go straight to it.
    Dispatcher &dispatcher() { return m_dispatcher; }
    Listener &listener() { return m_listener; }

private:
    const ServerConfig m_config;
    std::optional<ProtocolError> m_setupError; ///< E.g. an unusable TLS certificate; start() reports it.
    Store &m_store;
    Metrics m_metrics;
    std::unique_ptr<EventBus> m_bus;
    Authenticator m_auth;
    Router m_router;
    Committer m_committer;
    Dispatcher m_dispatcher;
    Listener m_listener;
    ThreadWatcher m_threadWatcher;
    AccountWatcher m_accountWatcher;
    std::unique_ptr<MetricsServer> m_metricsServer;
    quint16 m_metricsPort = 0;
    Committer::StoreFactory m_storageStore;
    bool m_flushStorageLog = false;
    QString m_journalPath;
};

/// Adds the demo accounts (an admin, a customer, a member) when they are missing.
Expected<bool> ensureDemoAccounts(Store &store);

} // namespace dpichat::server
