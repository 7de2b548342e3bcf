#pragma once

#include "protocol/codec.h"
#include "protocol/types.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <QUrl>

class QWebSocket;

namespace dpichat {

/// The client's WebSocket session with the server: logs in (password or token), matches
/// replies to requests, turns pushes into signals, pings to notice dead links and
/// reconnects with jittered exponential backoff once it has been logged in.
class Connection : public QObject
{
    Q_OBJECT

public:
    enum class State { Offline, Connecting, Online };
    Q_ENUM(State)

    /// Why a login did not succeed.
    enum class LoginError { AuthFailed, Unreachable, UnsupportedProtocol, Other };
    Q_ENUM(LoginError)

    explicit Connection(QObject *parent = nullptr);
    ~Connection() override;

    /// Connects and logs in; on success emits loggedIn(). The password is kept only until
    /// the server answers; reconnects use the session token.
    void loginWithPassword(const QUrl &server, const QString &email, const QString &password);
    void loginWithToken(const QUrl &server, const QString &token);
    /// Sends `logout` (revoking the token), forgets the token and goes offline for good.
    void logout();
    /// Closes the socket and stops reconnecting, keeping the token (e.g. at shutdown).
    void disconnectFromServer();

    State state() const { return m_state; }
    bool isOnline() const { return m_state == State::Online; }
    QUrl serverUrl() const { return m_server; }
    User user() const { return m_user; }
    QString token() const { return m_token; }
    /// Counts `welcome`s: lets a late listener tell whether it has seen the current one.
    int sessionGeneration() const { return m_sessionGeneration; }
    /// The server's text limit from `welcome.limits` (PROTOCOL.md default until then).
    int textLimit() const { return m_textLimit; }

    /// Seconds until the next reconnect attempt, or -1 when none is scheduled.
    int secondsUntilReconnect() const;
    /// Tries to reconnect at once (the banner's "Reconnect now").
    void reconnectNow();

    /// Backoff bounds; tests shorten them.
    void setBackoff(int initialMs, int maxMs);
    /// Keep-alive: a `ping` after `intervalMs` of silence; no answer within `timeoutMs`
    /// counts as a dead link.
    void setPingInterval(int intervalMs, int timeoutMs);
    /// A PEM file of certificate authorities trusted for wss:// besides the system's. Unset,
    /// the `tls/caFile` setting (QSettings) is used; empty trusts the system's CAs only.
    void setCaFile(const QString &path) { m_caFile = path; }

    // Requests. Each returns the request id (0 when offline, nothing sent).
    qint64 requestThreads();
    qint64 requestHistory(qint64 thread, qint64 beforeId, int limit); ///< beforeId 0: newest
    qint64 requestSync(qint64 afterId, int limit = 500);
    qint64 sendMessage(qint64 thread, const QString &clientId, const QString &text);
    qint64 sendRead(qint64 thread, qint64 upTo);
    void sendTyping(qint64 thread, bool active);
    qint64 sendPing();

Q_SIGNALS:
    void stateChanged(dpichat::Connection::State state);
    /// The first `welcome` after loginWithPassword()/loginWithToken().
    void loggedIn(const dpichat::User &user, const QString &token);
    /// A `welcome` after an automatic reconnect (or reconnectNow()).
    void resumed();
    /// Emitted on every `welcome` (first and resumed), after loggedIn()/resumed().
    void sessionStarted();
    /// The login did not succeed; `reason` is a sentence for the user. No reconnect follows.
    void loginFailed(dpichat::Connection::LoginError error, const QString &reason);
    /// The stored token was refused on a reconnect: the user must log in again.
    void sessionExpired(const QString &reason);
    /// A reconnect attempt is due in `seconds`; re-emitted every second while waiting.
    void reconnectCountdown(int seconds);
    void loggedOut();

    void messageReceived(const dpichat::Message &message); ///< `message` push
    void messageSent(const dpichat::Message &message);     ///< `sent` reply
    void sendFailed(const QString &clientId, dpichat::ErrorCode code, const QString &reason);
    void readReceived(qint64 thread, qint64 user, qint64 upTo);
    void typingReceived(qint64 thread, qint64 user, const QString &name, bool active);
    void presenceReceived(qint64 user, bool online, const std::optional<QDateTime> &lastSeen);
    void threadReceived(const dpichat::Thread &thread);
    void threadsReceived(const QList<dpichat::Thread> &threads);
    void historyReceived(qint64 thread, const QList<dpichat::Message> &messages, bool hasMore);
    void historyFailed(qint64 thread, dpichat::ErrorCode code, const QString &reason);
    void syncReceived(const QList<dpichat::Message> &messages, bool hasMore);
    /// An error reply to any other request (read, threads, sync, ...).
    void requestFailed(qint64 requestId, dpichat::ErrorCode code, const QString &reason);

private:
    enum class RequestKind { Login, Logout, Threads, History, Send, Read, Sync, Ping };
    struct PendingRequest
    {
        PendingRequest(RequestKind k, qint64 t = 0, const QString &c = QString())
            : kind(k), thread(t), clientId(c)
        {
        }
        RequestKind kind;
        qint64 thread;
        QString clientId;
    };

    void openSocket();
    void closeSocket();
    void setState(State state);
    qint64 sendRequest(const Request &request, PendingRequest pending);
    void onConnected();
    void onDisconnected();
    void onTextMessage(const QString &text);
    void handleReply(qint64 re, const ServerFrame &frame);
    void handlePush(const ServerFrame &frame);
    void handleError(qint64 re, const PendingRequest &pending, const ErrorReply &error);
    /// Whether `frame` can be the answer to `pending` (an error always can).
    bool replyFits(const PendingRequest &pending, const ServerFrame &frame) const;
    /// A reply that could not be read or does not fit its request.
    void failRequest(qint64 re, const PendingRequest &pending, const QString &why);
    void handleWelcome(const WelcomeReply &welcome);
    void failLogin(LoginError error, const QString &reason);
    void scheduleReconnect();
    void onNetworkReachabilityChanged();
    void onWatchdog();
    QString unreachableReason() const;
    void configureTls();

    QWebSocket *m_socket = nullptr;
    State m_state = State::Offline;
    QUrl m_server;
    QString m_email;
    QString m_password; ///< Only between loginWithPassword() and the answer.
    QString m_token;
    User m_user;
    int m_textLimit;
    int m_sessionGeneration = 0;
    bool m_everLoggedIn = false;  ///< Reconnect only once a login has succeeded.
    bool m_wantConnection = false;
    qint64 m_nextId = 1;
    QHash<qint64, PendingRequest> m_pending;
    std::optional<QString> m_caFile;
    QString m_tlsError; ///< Why the last attempt's certificate was refused, for the user.

    QTimer m_reconnectTimer;
    QTimer m_countdownTimer;
    int m_attempt = 0;
    int m_backoffInitialMs = 1000;
    int m_backoffMaxMs = 30000;

    QTimer m_pingTimer;     ///< Silence before a ping.
    QTimer m_pongTimer;     ///< Time allowed for the answer (to a ping, or to connect+login).
    int m_pingTimeoutMs = 10'000;
    QTimer m_watchdogTimer; ///< Notices a suspend/resume by a jump in wall-clock time.
    QElapsedTimer m_watchdogClock;
    qint64 m_lastWatchdogMs = 0;
};

} // namespace dpichat
