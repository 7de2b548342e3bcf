#include "session.h"

#include "logging.h"
#include "metrics/metrics.h"
#include "net/dispatcher.h"
#include "protocol/limits.h"

#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <chrono>
#include <limits>

namespace dpichat::server {

namespace {
// A client that keeps hammering after this many refused frames in a row is cut off.
constexpr int kMaxRefusedInARow = 200;
// Frames at least this large are handed to the kernel at once (Session::writeTextFrames()).
constexpr qsizetype kFlushAtOnceBytes = 64 * 1024;
} // namespace

Session::Session(QWebSocket *socket, QTcpSocket *transport, Dispatcher &dispatcher,
                 const SessionLimits &limits, Metrics &metrics, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_transport(transport)
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

void Session::sendText(const QByteArray &frame)
{
    if (m_closing)
        return;
    m_metrics.countPushes(1);
    write(frame);
}

void Session::write(const QByteArray &frame)
{
    if (m_closing)
        return;
    // The bound applies to what was queued before this frame, so that a reply larger than
    // the bound (an admin's list of 10,000 threads is megabytes) still reaches a peer that
    // reads. Output written in this turn of the event loop has not been offered to the kernel
    // yet; only what the kernel refuses shows a peer that does not read.
    if (m_socket->bytesToWrite() > m_limits.maxOutputBytes
        && (m_socket->flush(), m_socket->bytesToWrite() > m_limits.maxOutputBytes)) {
        // Not a close handshake: the peer is not reading, so a close frame would only queue
        // behind everything else. Drop the connection and free its buffers now.
        qCWarning(lcNet) << "session of user" << m_user.id << "fell behind; disconnecting";
        m_closing = true;
        m_socket->abort();
        return;
    }
    writeTextFrames(frame);
}

// QWebSocket takes text as a QString and turns it back into UTF-8 (and copies it once more
// before framing it): for frames that are UTF-8 already, two conversions and three copies of
// every reply and push, a tenth of the event loop at full speed and most of a 4.7 MB thread
// list's time. So the frames are written here, onto the socket QWebSocket writes to, as
// RFC 6455 section 5.2 has a server send them: unmasked, no extensions (Qt negotiates none),
// split into frames of QWebSocket's own outgoingFrameSize(). QWebSocket writes each of its
// frames (pongs, the close frame) into that socket whole and at once, so frames never
// interleave. Every frame comes from a QString or a QJsonDocument, so it is valid UTF-8.
void Session::writeTextFrames(const QByteArray &utf8)
{
    if (!m_transport || m_transport->state() != QAbstractSocket::ConnectedState
        || m_socket->state() != QAbstractSocket::ConnectedState) {
        m_socket->sendTextMessage(QString::fromUtf8(utf8)); // Says why it cannot, if so.
        return;
    }
    const qsizetype frameSize = qsizetype(std::max<quint64>(m_socket->outgoingFrameSize(), 1));
    qsizetype offset = 0;
    do {
        const qsizetype size = std::min(frameSize, utf8.size() - offset);
        const bool first = offset == 0;
        const bool last = offset + size == utf8.size();
        char header[10];
        int n = 0;
        header[n++] = char((last ? 0x80 : 0x00) | (first ? 0x1 : 0x0)); // FIN; text, continuation
        if (size < 126) {
            header[n++] = char(size);
        } else if (size <= 0xffff) {
            header[n++] = char(126);
            header[n++] = char(size >> 8);
            header[n++] = char(size);
        } else {
            header[n++] = char(127);
            for (int shift = 56; shift >= 0; shift -= 8)
                header[n++] = char(quint64(size) >> shift);
        }
        m_transport->write(header, n);
        if (size > 0)
            m_transport->write(utf8.constData() + offset, size);
        offset += size;
    } while (offset < utf8.size());
    // A large reply goes to the kernel now rather than when the event loop next polls: the
    // peer starts reading it while this turn of the loop finishes (freeing what it was made
    // from takes milliseconds for an inbox of 10,000 threads). Small frames wait, so that a
    // turn's replies and pushes leave in one write.
    if (utf8.size() >= kFlushAtOnceBytes)
        m_transport->flush();
}

void Session::reply(const QJsonValue &re, const ServerFrame &frame)
{
    write(encodeServerFrame(frame, re));
}

void Session::replyError(const QJsonValue &re, const ProtocolError &error)
{
    m_metrics.countError(error.code);
    write(encodeError(error.code, error.message, re));
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
