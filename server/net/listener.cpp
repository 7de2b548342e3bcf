#include "listener.h"

#include "logging.h"
#include "metrics/metrics.h"
#include "net/dispatcher.h"
#include "net/qtwebsockettransport.h"
#include "protocol/limits.h"

#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketCorsAuthenticator>
#include <QWebSocketServer>

namespace dpichat::server {

namespace {
/// Hands each accepted socket descriptor to a function instead of making a QTcpSocket of it.
class DescriptorServer : public QTcpServer
{
public:
    DescriptorServer(std::function<void(qintptr)> take, QObject *parent)
        : QTcpServer(parent), m_take(std::move(take))
    {
    }

protected:
    void incomingConnection(qintptr fd) override { m_take(fd); }

private:
    std::function<void(qintptr)> m_take;
};

/// With TLS, a QSslServer does the handshake and offers each socket only once it is encrypted;
/// the QWebSocketServer then reads the upgrade request through it like any other socket.
QTcpServer *makeTcpServer(const ListenerOptions &options, QObject *parent,
                          std::function<void(qintptr)> takeDescriptor)
{
    if (!options.tls && options.ownWebSocket)
        return new DescriptorServer(std::move(takeDescriptor), parent);
    if (!options.tls)
        return new QTcpServer(parent);
    auto *ssl = new QSslServer(parent);
    ssl->setSslConfiguration(*options.tls);
    ssl->setHandshakeTimeout(options.handshakeTimeoutMs);
    QObject::connect(ssl, &QSslServer::errorOccurred, parent,
                     [](QSslSocket *socket, QAbstractSocket::SocketError error) {
                         qCInfo(lcNet) << "TLS handshake with" << socket->peerAddress()
                                       << "failed:" << error;
                     });
    return ssl;
}

QString peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + u'|' + QString::number(port);
}
} // namespace

Listener::Listener(Dispatcher &dispatcher, Metrics &metrics, const ListenerOptions &options,
                   QObject *parent)
    : QObject(parent)
    , m_dispatcher(dispatcher)
    , m_metrics(metrics)
    , m_options(options)
    , m_tcp(makeTcpServer(options, this, [this](qintptr fd) { onDescriptor(fd); }))
    , m_ws(new QWebSocketServer(QStringLiteral("dpichat"), QWebSocketServer::NonSecureMode, this))
{
    m_ownConfig.maxIncomingBytes = limits::kFrameBytes;
    m_ownConfig.allowedOrigins = options.allowedOrigins;
    m_ownConfig.scheduler = &m_writeScheduler;
    m_options.sessionLimits.upgradeTimeoutMs = options.handshakeTimeoutMs;
    m_tcp->setMaxPendingConnections(options.maxPendingConnections);
    m_ws->setMaxPendingConnections(options.maxPendingConnections);
    m_ws->setHandshakeTimeout(options.handshakeTimeoutMs);
    // Not newConnection: a QSslServer emits that before the handshake, with nothing pending.
    connect(m_tcp, &QTcpServer::pendingConnectionAvailable, this, &Listener::onTcpConnection);
    connect(m_ws, &QWebSocketServer::newConnection, this, &Listener::onWebSocket);
    connect(m_ws, &QWebSocketServer::originAuthenticationRequired, this,
            [this](QWebSocketCorsAuthenticator *cors) {
                const QString origin = cors->origin();
                cors->setAllowed(m_options.allowedOrigins.isEmpty() || origin.isEmpty()
                                 || m_options.allowedOrigins.contains(origin));
                if (!cors->allowed())
                    qCInfo(lcNet) << "refused a connection from origin" << origin;
            });
    // A quarter of the shortest deadline, at most a second: deadlines are kept within that.
    const int shortest = qMin(options.handshakeTimeoutMs,
                              qMin(options.sessionLimits.loginTimeoutMs,
                                   options.sessionLimits.pingIntervalMs));
    m_tick.setInterval(qBound(50, shortest / 4, 1000));
    connect(&m_tick, &QTimer::timeout, this, &Listener::onTick);
    m_tick.start();
}

Listener::~Listener()
{
    // Sessions reference the dispatcher; make sure none outlives this.
    const auto sessions = m_sessions;
    for (Session *s : sessions) {
        m_dispatcher.sessionFinished(*s);
        delete s;
    }
    // Finished ones waiting for deleteLater() too: their connections use m_ownConfig.
    qDeleteAll(findChildren<Session *>(Qt::FindDirectChildrenOnly));
}

Expected<bool> Listener::listen(const QHostAddress &address, quint16 port)
{
    if (!m_tcp->listen(address, port)) {
        return ProtocolError{ErrorCode::Internal,
                             QStringLiteral("cannot listen on %1:%2: %3")
                                 .arg(address.toString())
                                 .arg(port)
                                 .arg(m_tcp->errorString())};
    }
    return true;
}

quint16 Listener::port() const
{
    return m_tcp->serverPort();
}

void Listener::onDescriptor(qintptr fd)
{
    // The upgrade is the Session's to time (SessionLimits::upgradeTimeoutMs).
    addSession(std::make_unique<OwnWebSocket>(int(fd), m_ownConfig));
}

void Listener::addSession(std::unique_ptr<Transport> transport)
{
    auto *session = new Session(std::move(transport), m_dispatcher, m_options.sessionLimits,
                                m_metrics, this);
    m_sessions.insert(session);
    connect(session, &Session::finished, this, [this](Session *s) {
        if (!m_sessions.remove(s))
            return;
        m_dispatcher.sessionFinished(*s);
        s->deleteLater();
    });
}

void Listener::onTcpConnection()
{
    while (QTcpSocket *socket = m_tcp->nextPendingConnection()) {
        // QWebSocketServer leaves Nagle's algorithm on; small pushes would wait for ACKs.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        const QString key = peerKey(socket->peerAddress(), socket->peerPort());
        Upgrading u;
        u.socket = socket;
        u.deadlineMs = Session::monotonicMs() + m_options.handshakeTimeoutMs;
        u.onDestroyed = connect(socket, &QObject::destroyed, this, [this, key, socket] {
            if (const auto it = m_upgrading.constFind(key);
                it != m_upgrading.cend() && it->socket == socket) {
                m_upgrading.erase(it);
            }
        });
        m_upgrading.insert(key, u);
        m_ws->handleConnection(socket);
    }
}

void Listener::onWebSocket()
{
    while (QWebSocket *socket = m_ws->nextPendingConnection()) {
        // Upgraded: the Session's login deadline takes over, and it writes its frames onto
        // the connection the WebSocket came from (Session::writeTextFrames()).
        QTcpSocket *transport = nullptr;
        if (const auto it = m_upgrading.constFind(peerKey(socket->peerAddress(), socket->peerPort()));
            it != m_upgrading.cend()) {
            transport = it->socket;
            disconnect(it->onDestroyed);
            m_upgrading.erase(it);
        }
        addSession(std::make_unique<QtWebSocketTransport>(socket, transport, limits::kFrameBytes));
    }
}

void Listener::onTick()
{
    const qint64 now = Session::monotonicMs();
    QList<QTcpSocket *> overdue;
    for (auto it = m_upgrading.begin(); it != m_upgrading.end();) {
        if (now < it->deadlineMs) {
            ++it;
            continue;
        }
        disconnect(it->onDestroyed);
        overdue.append(it->socket);
        it = m_upgrading.erase(it);
    }
    for (QTcpSocket *socket : std::as_const(overdue)) {
        qCInfo(lcNet) << "closing a connection that did not finish its upgrade in time";
        socket->abort();
    }

    m_due.clear();
    for (Session *s : std::as_const(m_sessions)) {
        if (s->nextDeadlineMs() <= now)
            m_due.append(s);
    }
    for (Session *s : std::as_const(m_due)) {
        if (m_sessions.contains(s)) // an earlier one's close may have finished it
            s->onTick(now);
    }
    m_due.clear();
}

void Listener::closeAll(int code, const QString &reason)
{
    m_tcp->close();
    const auto sessions = m_sessions;
    for (Session *s : sessions)
        s->close(code, reason);
}

} // namespace dpichat::server
