#pragma once

#include "net/ownwebsocket.h"
#include "net/session.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QSslConfiguration>
#include <QStringList>
#include <QTimer>

class QTcpServer;
class QTcpSocket;
class QWebSocketServer;

namespace dpichat::server {

class Dispatcher;
class Metrics;

struct ListenerOptions
{
    SessionLimits sessionLimits;
    int maxPendingConnections = 1024; ///< Qt's default of 30 refuses bursts of reconnects.
    int handshakeTimeoutMs = 10'000;
    /// Browser Origins allowed to connect; empty allows all. Clients that send no Origin
    /// (desktop apps) are always allowed: only browsers send one, and only they need this.
    QStringList allowedOrigins;
    /// Set: serve wss:// with this certificate and key; empty: plain ws://.
    std::optional<QSslConfiguration> tls;
    /// Plain ws:// through the server's own WebSocket layer (OwnWebSocket); false: through
    /// QWebSocketServer, as wss:// always is.
    bool ownWebSocket = true;
};

/// Accepts TCP connections, upgrades them to WebSockets and gives each a Session.
class Listener : public QObject
{
    Q_OBJECT
public:
    Listener(Dispatcher &dispatcher, Metrics &metrics, const ListenerOptions &options,
             QObject *parent = nullptr);
    ~Listener() override;

    /// Starts listening; on failure returns a one-line reason (e.g. the port is in use).
    Expected<bool> listen(const QHostAddress &address, quint16 port);
    quint16 port() const;
    bool isSecure() const { return m_options.tls.has_value(); }
    int connectionCount() const { return int(m_sessions.size()); }
    /// Stops accepting and closes every session with `code`.
    void closeAll(int code, const QString &reason);

private:
    /// A connection accepted for OwnWebSocket.
    void onDescriptor(qintptr fd);
    void addSession(std::unique_ptr<Transport> transport);
    void onTcpConnection();
    void onWebSocket();
    /// One timer for every connection: upgrade deadlines, login deadlines, liveness pings.
    void onTick();

    struct Upgrading
    {
        QTcpSocket *socket = nullptr;
        qint64 deadlineMs = 0;
        QMetaObject::Connection onDestroyed; ///< Dropped once upgraded: nothing to hold then.
    };

    Dispatcher &m_dispatcher;
    Metrics &m_metrics;
    ListenerOptions m_options;
    WriteScheduler m_writeScheduler;
    OwnWebSocketConfig m_ownConfig;
    QTcpServer *m_tcp;
    QWebSocketServer *m_ws;
    QSet<Session *> m_sessions;
    /// TCP sockets whose WebSocket upgrade has not finished, by peer "address:port".
    /// QWebSocketServer's handshake timeout covers only the connections it accepts itself,
    /// not those given to handleConnection(): without this, a peer that never finishes its
    /// upgrade would hold its socket forever (found by tst_chaos_idle).
    QHash<QString, Upgrading> m_upgrading;
    QTimer m_tick;
    /// Reused by onTick(): the sessions due, gathered before any is acted on, since acting
    /// may close one and so change m_sessions.
    QList<Session *> m_due;
};

} // namespace dpichat::server
