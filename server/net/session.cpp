#include "session.h"

#include "logging.h"
#include "metrics/metrics.h"
#include "net/dispatcher.h"
#include "protocol/limits.h"

#include <QTimer>
#include <QWebSocket>

#include <chrono>
#include <limits>

namespace dpichat::server {

namespace {
// A client that keeps hammering after this many refused frames in a row is cut off.
constexpr int kMaxRefusedInARow = 200;
} // namespace

Session::Session(QWebSocket *socket, Dispatcher &dispatcher, const SessionLimits &limits,
                 Metrics &metrics, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_dispatcher(dispatcher)
    , m_metrics(metrics)
    , m_limits(limits)
    , m_bucket(limits.rateLimit, limits.rateLimit * 5)
{
    m_socket->setParent(this);
    m_socket->setMaxAllowedIncomingFrameSize(limits::kFrameBytes);
    m_socket->setMaxAllowedIncomingMessageSize(limits::kFrameBytes);
    connect(m_socket, &QWebSocket::textMessageReceived, this, &Session::onText);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &Session::onBinary);
    connect(m_socket, &QWebSocket::disconnected, this, &Session::onDisconnected);
    connect(m_socket, &QWebSocket::pong, this, [this] { m_sinceActivity.start(); });

    const qint64 now = monotonicMs();
    m_loginDeadlineMs = now + limits.loginTimeoutMs;
    m_nextLivenessMs = now + limits.pingIntervalMs;
    m_sinceActivity.start();
}

Session::~Session() = default;

QHostAddress Session::peerAddress() const
{
    return m_socket->peerAddress();
}

void Session::setLoggedIn(const User &user, qint64 ownThread, const QString &token)
{
    m_user = user;
    m_ownThread = ownThread;
    m_token = token;
    m_loggedIn = true;
    m_loginPending = false;
    m_loginDeadlineMs = 0;
}

void Session::sendText(const QString &frame)
{
    if (m_closing)
        return;
    m_metrics.countPushes(1);
    write(frame);
}

void Session::write(const QString &frame)
{
    if (m_closing)
        return;
    m_socket->sendTextMessage(frame);
    // Output written in this turn of the event loop has not been offered to the kernel yet;
    // only what the kernel refuses shows a peer that does not read.
    if (m_socket->bytesToWrite() > m_limits.maxOutputBytes
        && (m_socket->flush(), m_socket->bytesToWrite() > m_limits.maxOutputBytes)) {
        // Not a close handshake: the peer is not reading, so a close frame would only queue
        // behind everything else. Drop the connection and free its buffers now.
        qCWarning(lcNet) << "session of user" << m_user.id << "fell behind; disconnecting";
        m_closing = true;
        m_socket->abort();
    }
}

void Session::reply(const QJsonValue &re, const ServerFrame &frame)
{
    write(QString::fromUtf8(encodeServerFrame(frame, re)));
}

void Session::replyError(const QJsonValue &re, const ProtocolError &error)
{
    m_metrics.countError(error.code);
    write(QString::fromUtf8(encodeError(error.code, error.message, re)));
}

void Session::close(int code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
    // A peer that never answers the close frame must not keep the socket forever.
    QTimer::singleShot(2000, this, [this] { m_socket->abort(); });
}

qint64 Session::monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

qint64 Session::nextDeadlineMs() const
{
    if (m_closing)
        return std::numeric_limits<qint64>::max();
    return m_loginDeadlineMs != 0 ? qMin(m_loginDeadlineMs, m_nextLivenessMs) : m_nextLivenessMs;
}

void Session::onTick(qint64 nowMs)
{
    if (m_closing)
        return;
    if (m_loginDeadlineMs != 0 && nowMs >= m_loginDeadlineMs && !m_loggedIn) {
        m_loginDeadlineMs = 0;
        qCInfo(lcNet) << "closing a session that did not log in in time";
        close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("login timeout"));
        return;
    }
    if (nowMs >= m_nextLivenessMs) {
        m_nextLivenessMs = nowMs + m_limits.pingIntervalMs;
        onLivenessCheck();
    }
}

void Session::onText(const QString &text)
{
    m_sinceActivity.start();
    if (m_closing)
        return;
    auto decoded = decodeRequest(QByteArrayView(text.toUtf8()));
    const QJsonValue id = std::visit([](const auto &d) { return d.id; }, decoded);
    if (!m_bucket.tryTake(QDateTime::currentMSecsSinceEpoch())) {
        replyError(id, {ErrorCode::RateLimited, QStringLiteral("too many requests")});
        if (++m_refusedInARow > kMaxRefusedInARow)
            close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("too many requests"));
        return;
    }
    if (auto *failure = std::get_if<RequestFailure>(&decoded)) {
        replyError(failure->id, failure->error);
        if (++m_refusedInARow > kMaxRefusedInARow)
            close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("too many bad frames"));
        return;
    }
    m_refusedInARow = 0;
    m_dispatcher.handle(*this, std::move(std::get<RequestFrame>(decoded)));
}

void Session::onBinary()
{
    m_sinceActivity.start();
    replyError(QJsonValue::Undefined,
               {ErrorCode::BadRequest, QStringLiteral("binary frames are not supported")});
}

void Session::onLivenessCheck()
{
    if (m_sinceActivity.elapsed() > 2 * m_limits.pingIntervalMs) {
        qCInfo(lcNet) << "dropping a session that stopped answering";
        m_closing = true;
        m_socket->abort();
        return;
    }
    m_socket->ping();
}

void Session::onDisconnected()
{
    m_closing = true;
    Q_EMIT finished(this);
}

} // namespace dpichat::server
