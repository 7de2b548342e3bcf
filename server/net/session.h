#pragma once

#include "net/ratelimiter.h"
#include "net/transport.h"
#include "protocol/codec.h"
#include "protocol/types.h"

#include <QHostAddress>
#include <QObject>

#include <memory>

namespace dpichat::server {

class Dispatcher;
class Metrics;

/// Limits and timings a Session enforces.
struct SessionLimits
{
    double rateLimit = 20; ///< Requests a second; bursts of 5× that; 0 turns it off.
    qint64 maxOutputBytes = 4 * 1024 * 1024; ///< Unsent output beyond this closes the session.
    int loginTimeoutMs = 10'000;
    int upgradeTimeoutMs = 10'000; ///< For the WebSocket upgrade, where the Session sees it.
    int pingIntervalMs = 30'000; ///< A session silent for two intervals is dropped.
};

/// One client connection: owns its socket, enforces the per-connection limits (login
/// timeout, request rate, output bound, liveness) and hands decoded requests to the
/// Dispatcher. Knows who is logged in on it once login succeeded.
class Session : public QObject, private TransportEvents
{
    Q_OBJECT
public:
    Session(std::unique_ptr<Transport> transport, Dispatcher &dispatcher,
            const SessionLimits &limits, Metrics &metrics, QObject *parent = nullptr);
    ~Session() override;

    bool isLoggedIn() const { return m_loggedIn; }
    bool isLoginPending() const { return m_loginPending; }
    const User &user() const { return m_user; }
    qint64 ownThread() const { return m_ownThread; }
    const QString &token() const { return m_token; }
    QHostAddress peerAddress() const;

    void setLoginPending(bool pending) { m_loginPending = pending; }
    void setLoggedIn(const User &user, qint64 ownThread, const QString &token);

    /// Sends one frame of UTF-8 JSON (a push, or a reply encoded by the caller), unless the
    /// session is closing. Closes the session if the output it has not sent yet passes the
    /// bound: it catches up with `sync` when it comes back.
    void sendText(const QByteArray &frame);
    void reply(const QJsonValue &re, const ServerFrame &frame);
    void replyError(const QJsonValue &re, const ProtocolError &error);
    /// Closes the socket with a close frame; the session goes away when it is closed.
    void close(int code, const QString &reason);

    /// The login deadline and the liveness check, driven by the Listener's one timer for all
    /// sessions (a QTimer each would cost two timer objects, their connections and two
    /// dispatcher entries per connection). `nowMs` is monotonicMs().
    void onTick(qint64 nowMs);
    /// The earliest time onTick() has something to do.
    qint64 nextDeadlineMs() const;
    static qint64 monotonicMs();
    /// The same clock to the kernel's tick (a few ms), read from memory without the time
    /// counter: for what every frame stamps (activity, the rate limit).
    static qint64 coarseMonotonicMs();

Q_SIGNALS:
    /// The socket is gone; the owner removes and deletes the session.
    void finished(dpichat::server::Session *session);

private:
    void onUpgraded() override;
    void onText(QByteArrayView utf8) override;
    void onBinary() override;
    void onPong() override;
    void onClosing() override;
    void onClosed() override;
    void onLivenessCheck();
    void write(const QByteArray &frame);

    std::unique_ptr<Transport> m_transport;
    Dispatcher &m_dispatcher;
    Metrics &m_metrics;
    SessionLimits m_limits;
    TokenBucket m_bucket;
    qint64 m_upgradeDeadlineMs = 0; ///< 0 once upgraded.
    qint64 m_loginDeadlineMs = 0; ///< 0 once logged in.
    qint64 m_closeDeadlineMs = 0; ///< Closing: when a peer that has not answered is dropped.
    qint64 m_nextLivenessMs = 0;
    qint64 m_lastActivityMs = 0; ///< coarseMonotonicMs() at the last frame or pong.
    User m_user;
    qint64 m_ownThread = 0;
    QString m_token;
    bool m_loggedIn = false;
    bool m_loginPending = false;
    bool m_closing = false;
    int m_refusedInARow = 0;
};

} // namespace dpichat::server
