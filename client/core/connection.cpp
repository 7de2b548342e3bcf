#include "connection.h"

#include "logging.h"
#include "protocol/limits.h"

#include <QNetworkInformation>
#include <QRandomGenerator>
#include <QSettings>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QWebSocket>

namespace dpichat {

namespace {
constexpr int kAnswerTimeoutMs = 15'000;   // connect + login, before giving up on the attempt
constexpr int kWatchdogIntervalMs = 5'000;
constexpr int kSleepJumpMs = 20'000;       // wall clock ran this much ahead: we were asleep
} // namespace

Connection::Connection(QObject *parent)
    : QObject(parent), m_textLimit(limits::kTextChars)
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, [this] {
        m_countdownTimer.stop();
        if (m_wantConnection && !m_socket)
            openSocket();
    });
    m_countdownTimer.setInterval(1000);
    connect(&m_countdownTimer, &QTimer::timeout, this,
            [this] { Q_EMIT reconnectCountdown(secondsUntilReconnect()); });

    m_pingTimer.setSingleShot(true);
    m_pingTimer.setInterval(30'000);
    connect(&m_pingTimer, &QTimer::timeout, this, [this] { sendPing(); });
    m_pongTimer.setSingleShot(true);
    connect(&m_pongTimer, &QTimer::timeout, this, [this] {
        qCInfo(lcClientNet) << "no answer from the server in time; dropping the connection";
        onDisconnected();
    });

    m_watchdogTimer.setInterval(kWatchdogIntervalMs);
    connect(&m_watchdogTimer, &QTimer::timeout, this, &Connection::onWatchdog);
    m_lastWatchdogMs = QDateTime::currentMSecsSinceEpoch();
    m_watchdogTimer.start();

    if (QNetworkInformation::instance()
        || QNetworkInformation::loadBackendByFeatures(QNetworkInformation::Feature::Reachability)) {
        connect(QNetworkInformation::instance(), &QNetworkInformation::reachabilityChanged, this,
                &Connection::onNetworkReachabilityChanged);
    }
}

Connection::~Connection()
{
    closeSocket();
}

void Connection::loginWithPassword(const QUrl &server, const QString &email,
                                   const QString &password)
{
    disconnectFromServer();
    m_server = server;
    m_email = email;
    m_password = password;
    m_token.clear();
    m_everLoggedIn = false;
    m_wantConnection = true;
    m_attempt = 0;
    openSocket();
}

void Connection::loginWithToken(const QUrl &server, const QString &token)
{
    disconnectFromServer();
    m_server = server;
    m_email.clear();
    m_password.clear();
    m_token = token;
    m_everLoggedIn = false;
    m_wantConnection = true;
    m_attempt = 0;
    openSocket();
}

void Connection::logout()
{
    m_wantConnection = false;
    m_reconnectTimer.stop();
    m_countdownTimer.stop();
    if (m_state == State::Online) {
        sendRequest(LogoutRequest{}, {RequestKind::Logout});
        // The server closes the socket after `ok`; forget the token now either way.
    } else {
        closeSocket();
        setState(State::Offline);
    }
    m_token.clear();
    m_password.clear();
    m_everLoggedIn = false;
    Q_EMIT loggedOut();
}

void Connection::disconnectFromServer()
{
    m_wantConnection = false;
    m_reconnectTimer.stop();
    m_countdownTimer.stop();
    closeSocket();
    setState(State::Offline);
}

int Connection::secondsUntilReconnect() const
{
    if (!m_reconnectTimer.isActive())
        return -1;
    return (m_reconnectTimer.remainingTime() + 999) / 1000;
}

void Connection::reconnectNow()
{
    if (!m_wantConnection || m_socket || m_token.isEmpty())
        return;
    qCInfo(lcClientNet) << "reconnecting now";
    m_reconnectTimer.stop();
    m_countdownTimer.stop();
    openSocket();
}

void Connection::setBackoff(int initialMs, int maxMs)
{
    m_backoffInitialMs = initialMs;
    m_backoffMaxMs = maxMs;
}

void Connection::setPingInterval(int intervalMs, int timeoutMs)
{
    m_pingTimer.setInterval(intervalMs);
    m_pingTimeoutMs = timeoutMs;
}

void Connection::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void Connection::openSocket()
{
    closeSocket();
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket->setMaxAllowedIncomingMessageSize(quint64(16) * 1024 * 1024);
    connect(m_socket, &QWebSocket::connected, this, &Connection::onConnected);
    connect(m_socket, &QWebSocket::disconnected, this, &Connection::onDisconnected);
    connect(m_socket, &QWebSocket::textMessageReceived, this, &Connection::onTextMessage);
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError error) {
                qCInfo(lcClientNet) << "socket error" << error;
                if (m_socket && m_socket->state() == QAbstractSocket::UnconnectedState)
                    onDisconnected();
            });
    configureTls();
    setState(State::Connecting);
    qCInfo(lcClientNet) << "connecting to" << m_server.toString();
    m_pongTimer.start(kAnswerTimeoutMs);
    m_socket->open(m_server);
}

void Connection::closeSocket()
{
    m_pingTimer.stop();
    m_pongTimer.stop();
    m_pending.clear();
    if (!m_socket)
        return;
    QWebSocket *socket = std::exchange(m_socket, nullptr);
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

void Connection::onConnected()
{
    qCInfo(lcClientNet) << "connected; logging in" << (m_token.isEmpty() ? "by password" : "by token");
    LoginRequest login;
    login.protocol = limits::kProtocolVersion;
    if (m_token.isEmpty()) {
        login.email = m_email;
        login.password = m_password;
    } else {
        login.token = m_token;
    }
    sendRequest(login, {RequestKind::Login});
}

void Connection::onDisconnected()
{
    if (!m_socket)
        return;
    const bool wasOnline = m_state == State::Online;
    const auto closeCode = m_socket->closeCode();
    closeSocket();
    setState(State::Offline);
    qCInfo(lcClientNet) << "connection lost; close code" << closeCode << "was online" << wasOnline;
    if (!m_wantConnection)
        return;
    if (!m_everLoggedIn) {
        m_wantConnection = false;
        if (!m_tlsError.isEmpty())
            failLogin(LoginError::Other, m_tlsError);
        else
            failLogin(LoginError::Unreachable, unreachableReason());
        return;
    }
    scheduleReconnect();
}

void Connection::configureTls()
{
    m_tlsError.clear();
    if (m_server.scheme() != u"wss")
        return;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    const QString caFile =
        m_caFile.value_or(QSettings().value(QStringLiteral("tls/caFile")).toString());
    QString caNote;
    if (!caFile.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(caFile, QSsl::Pem);
        if (cas.isEmpty())
            caNote = tr(" The CA file %1 could not be read.").arg(caFile);
        ssl.addCaCertificates(cas);
    }
    m_socket->setSslConfiguration(ssl);
    // Never ignored: a certificate that does not verify ends the attempt, and the user is told.
    connect(m_socket, &QWebSocket::sslErrors, this, [this, caNote](const QList<QSslError> &errors) {
        QStringList why;
        for (const QSslError &e : errors)
            why.append(e.errorString());
        qCWarning(lcClientNet) << "refused the server's certificate:" << why;
        m_tlsError = tr("The server's certificate is not trusted (%1). If your organisation "
                        "uses its own certificate authority, set its file as tls/caFile in the "
                        "settings.%2")
                         .arg(why.join(QStringLiteral("; ")), caNote);
    });
}

QString Connection::unreachableReason() const
{
    return tr("Cannot reach the server at %1.").arg(m_server.toDisplayString());
}

void Connection::scheduleReconnect()
{
    // Full backoff doubles per attempt up to the cap; jitter spreads a crowd of clients
    // that lost the same server over [50 %, 100 %] of it.
    const int shift = std::min(m_attempt, 20);
    const qint64 full = std::min<qint64>(qint64(m_backoffInitialMs) << shift, m_backoffMaxMs);
    const double jitter = 0.5 + 0.5 * QRandomGenerator::global()->generateDouble();
    const int delay = std::max(1, int(double(full) * jitter));
    ++m_attempt;
    qCInfo(lcClientNet) << "reconnecting in" << delay << "ms (attempt" << m_attempt << ")";
    m_reconnectTimer.start(delay);
    m_countdownTimer.start();
    Q_EMIT reconnectCountdown(secondsUntilReconnect());
}

void Connection::onNetworkReachabilityChanged()
{
    const auto reachability = QNetworkInformation::instance()->reachability();
    qCInfo(lcClientNet) << "network reachability changed" << reachability;
    if (reachability == QNetworkInformation::Reachability::Online && m_state == State::Offline) {
        m_attempt = 0;
        reconnectNow();
    } else if (m_state == State::Online) {
        sendPing(); // the route may have changed under the socket: verify it now
    }
}

void Connection::onWatchdog()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 gap = now - m_lastWatchdogMs;
    m_lastWatchdogMs = now;
    if (gap < kWatchdogIntervalMs + kSleepJumpMs)
        return;
    qCInfo(lcClientNet) << "woke up after" << gap / 1000 << "s";
    if (m_state == State::Online) {
        sendPing();
    } else if (m_state == State::Offline) {
        m_attempt = 0;
        reconnectNow();
    }
}

qint64 Connection::sendRequest(const Request &request, PendingRequest pending)
{
    if (!m_socket || (m_state != State::Online && pending.kind != RequestKind::Login))
        return 0;
    const qint64 id = m_nextId++;
    m_pending.insert(id, pending);
    m_socket->sendTextMessage(QString::fromUtf8(encodeRequest(request, QJsonValue(id))));
    return id;
}

qint64 Connection::requestThreads()
{
    return sendRequest(ThreadsRequest{}, {RequestKind::Threads});
}

qint64 Connection::requestHistory(qint64 thread, qint64 beforeId, int limit)
{
    HistoryRequest r;
    r.thread = thread;
    if (beforeId > 0)
        r.before = beforeId;
    r.limit = limit;
    return sendRequest(r, {RequestKind::History, thread, {}});
}

qint64 Connection::requestSync(qint64 afterId, int limit)
{
    SyncRequest r;
    r.after = afterId;
    r.limit = limit;
    return sendRequest(r, {RequestKind::Sync});
}

qint64 Connection::sendMessage(qint64 thread, const QString &clientId, const QString &text)
{
    SendRequest r;
    r.thread = thread;
    r.clientId = clientId;
    r.text = text;
    const qint64 id = sendRequest(r, {RequestKind::Send, thread, clientId});
    if (id)
        qCDebug(lcClientNet) << "send" << clientId << "thread" << thread << "request" << id;
    return id;
}

qint64 Connection::sendRead(qint64 thread, qint64 upTo)
{
    ReadRequest r;
    r.thread = thread;
    r.upTo = upTo;
    return sendRequest(r, {RequestKind::Read, thread, {}});
}

void Connection::sendTyping(qint64 thread, bool active)
{
    if (!m_socket || m_state != State::Online)
        return;
    TypingRequest r;
    r.thread = thread;
    r.active = active;
    m_socket->sendTextMessage(QString::fromUtf8(encodeRequest(r)));
}

qint64 Connection::sendPing()
{
    const qint64 id = sendRequest(PingRequest{}, {RequestKind::Ping});
    if (id && !m_pongTimer.isActive())
        m_pongTimer.start(m_pingTimeoutMs);
    return id;
}

} // namespace dpichat
