#include "session.h"

#include "logging.h"
#include "metrics/metrics.h"
#include "net/dispatcher.h"
#include "protocol/limits.h"

#include <QWebSocketProtocol>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <limits>

namespace dpichat::server {

namespace {
// A client that keeps hammering after this many refused frames in a row is cut off.
constexpr int kMaxRefusedInARow = 200;
// A peer that has not answered a close frame by then is dropped.
constexpr qint64 kCloseGraceMs = 2000;
} // namespace

Session::Session(std::unique_ptr<Transport> transport, Dispatcher &dispatcher,
                 const SessionLimits &limits, Metrics &metrics, QObject *parent)
    : QObject(parent)
    , m_transport(std::move(transport))
    , m_dispatcher(dispatcher)
    , m_metrics(metrics)
    , m_limits(limits)
    , m_bucket(limits.rateLimit, limits.rateLimit * 5)
{
    m_transport->setEvents(this);
    const qint64 now = monotonicMs();
    if (m_transport->isUpgraded())
        m_metrics.countConnection();
    else
        m_upgradeDeadlineMs = now + limits.upgradeTimeoutMs;
    m_loginDeadlineMs = now + limits.loginTimeoutMs;
    m_nextLivenessMs = now + limits.pingIntervalMs;
    m_lastActivityMs = coarseMonotonicMs();
}

Session::~Session() = default;

QHostAddress Session::peerAddress() const
{
    return m_transport->peerAddress();
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
    if (m_transport->bytesQueued() > m_limits.maxOutputBytes
        && (m_transport->flushNow(), m_transport->bytesQueued() > m_limits.maxOutputBytes)) {
        // Not a close handshake: the peer is not reading, so a close frame would only queue
        // behind everything else. Drop the connection and free its buffers now.
        qCWarning(lcNet) << "session of user" << m_user.id << "fell behind; disconnecting";
        m_closing = true;
        m_transport->abort();
        return;
    }
    m_transport->sendText(frame);
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
    // A peer that never answers the close frame must not keep the socket forever (onTick()).
    m_closeDeadlineMs = monotonicMs() + kCloseGraceMs;
    m_transport->close(code, reason);
}

qint64 Session::monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

qint64 Session::coarseMonotonicMs()
{
#ifdef CLOCK_MONOTONIC_COARSE
    timespec now;
    if (::clock_gettime(CLOCK_MONOTONIC_COARSE, &now) == 0)
        return qint64(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
#endif
    return monotonicMs();
}

qint64 Session::nextDeadlineMs() const
{
    if (m_closing)
        return m_closeDeadlineMs != 0 ? m_closeDeadlineMs : std::numeric_limits<qint64>::max();
    qint64 next = m_nextLivenessMs;
    if (m_loginDeadlineMs != 0)
        next = qMin(next, m_loginDeadlineMs);
    if (m_upgradeDeadlineMs != 0)
        next = qMin(next, m_upgradeDeadlineMs);
    return next;
}

void Session::onTick(qint64 nowMs)
{
    if (m_closing) {
        if (m_closeDeadlineMs != 0 && nowMs >= m_closeDeadlineMs) {
            m_closeDeadlineMs = 0;
            m_transport->abort();
        }
        return;
    }
    if (m_upgradeDeadlineMs != 0 && nowMs >= m_upgradeDeadlineMs) {
        qCInfo(lcNet) << "closing a connection that did not finish its upgrade in time";
        m_closing = true;
        m_transport->abort();
        return;
    }
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

void Session::onUpgraded()
{
    m_upgradeDeadlineMs = 0;
    m_metrics.countConnection();
}

void Session::onText(QByteArrayView utf8)
{
    m_lastActivityMs = coarseMonotonicMs();
    if (m_closing)
        return;
    auto decoded = decodeRequest(utf8);
    const QJsonValue id = std::visit([](const auto &d) { return d.id; }, decoded);
    if (!m_bucket.tryTake(m_lastActivityMs)) {
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
    m_lastActivityMs = coarseMonotonicMs();
    replyError(QJsonValue::Undefined,
               {ErrorCode::BadRequest, QStringLiteral("binary frames are not supported")});
}

void Session::onLivenessCheck()
{
    if (coarseMonotonicMs() - m_lastActivityMs > 2 * m_limits.pingIntervalMs) {
        qCInfo(lcNet) << "dropping a session that stopped answering";
        m_closing = true;
        m_transport->abort();
        return;
    }
    m_transport->ping();
}

void Session::onPong()
{
    m_lastActivityMs = coarseMonotonicMs();
}

void Session::onClosing()
{
    if (m_closing)
        return;
    m_closing = true;
    m_closeDeadlineMs = monotonicMs() + kCloseGraceMs;
}

void Session::onClosed()
{
    m_closing = true;
    Q_EMIT finished(this);
}

} // namespace dpichat::server
