#include "connection.h"

#include "logging.h"
#include "protocol/limits.h"

#include <QJsonDocument>
#include <QJsonObject>

// Connection, second half: what comes from the server. Frames are decoded, replies matched to
// the request waiting for them (and checked to fit it), pushes and errors handed on.

namespace dpichat {

void Connection::onTextMessage(const QString &text)
{
    // Any frame proves the link is alive.
    if (m_state == State::Online) {
        m_pongTimer.stop();
        m_pingTimer.start();
    }
    const QByteArray utf8 = text.toUtf8();
    auto decoded = decodeServerFrame(utf8);
    if (const auto *error = std::get_if<ProtocolError>(&decoded)) {
        qCWarning(lcClientNet) << "undecodable frame from the server:" << error->message;
        // If it was meant as the answer to a waiting request, no other answer will come.
        const QJsonValue re = QJsonDocument::fromJson(utf8).object().value(QLatin1StringView("re"));
        const auto it = re.isDouble() ? m_pending.constFind(re.toInteger()) : m_pending.cend();
        if (it != m_pending.cend()) {
            const PendingRequest pending = *it;
            m_pending.erase(it);
            failRequest(re.toInteger(), pending, QStringLiteral("the reply could not be read"));
        }
        return;
    }
    const auto &envelope = std::get<ServerFrameEnvelope>(decoded);
    if (envelope.re.isUndefined() || envelope.re.isNull())
        handlePush(envelope.frame);
    else
        handleReply(envelope.re.toInteger(), envelope.frame);
}

void Connection::handleReply(qint64 re, const ServerFrame &frame)
{
    const auto it = m_pending.constFind(re);
    if (it == m_pending.cend()) {
        qCDebug(lcClientNet) << "reply to an unknown request" << re;
        return;
    }
    const PendingRequest pending = *it;
    m_pending.erase(it);
    if (!replyFits(pending, frame)) {
        failRequest(re, pending,
                    QStringLiteral("a '%1' reply does not answer this request").arg(typeOf(frame)));
        return;
    }

    if (const auto *error = std::get_if<ErrorReply>(&frame)) {
        handleError(re, pending, *error);
    } else if (const auto *welcome = std::get_if<WelcomeReply>(&frame)) {
        handleWelcome(*welcome);
    } else if (const auto *threads = std::get_if<ThreadsReply>(&frame)) {
        Q_EMIT threadsReceived(threads->threads);
    } else if (const auto *history = std::get_if<HistoryReply>(&frame)) {
        Q_EMIT historyReceived(history->thread, history->messages, history->hasMore);
    } else if (const auto *sent = std::get_if<SentReply>(&frame)) {
        Q_EMIT messageSent(sent->message);
    } else if (const auto *sync = std::get_if<SyncReply>(&frame)) {
        Q_EMIT syncReceived(sync->messages, sync->hasMore);
    } else if (std::holds_alternative<OkReply>(frame) && pending.kind == RequestKind::Logout) {
        qCInfo(lcClientNet) << "logged out";
        disconnectFromServer();
    }
}

bool Connection::replyFits(const PendingRequest &pending, const ServerFrame &frame) const
{
    if (std::holds_alternative<ErrorReply>(frame))
        return true;
    switch (pending.kind) {
    case RequestKind::Login:
        return std::holds_alternative<WelcomeReply>(frame);
    case RequestKind::Logout:
    case RequestKind::Read:
        return std::holds_alternative<OkReply>(frame);
    case RequestKind::Threads:
        return std::holds_alternative<ThreadsReply>(frame);
    case RequestKind::History: {
        const auto *history = std::get_if<HistoryReply>(&frame);
        return history && history->thread == pending.thread;
    }
    case RequestKind::Send: {
        // The message this request sent, and no other: a stranger's would be taken for ours.
        const auto *sent = std::get_if<SentReply>(&frame);
        return sent && sent->message.clientId == pending.clientId
               && sent->message.thread == pending.thread && sent->message.sender == m_user.id;
    }
    case RequestKind::Sync:
        return std::holds_alternative<SyncReply>(frame);
    case RequestKind::Ping:
        return std::holds_alternative<PongReply>(frame);
    }
    return false;
}

void Connection::failRequest(qint64 re, const PendingRequest &pending, const QString &why)
{
    qCWarning(lcClientNet) << "bad reply to request" << re << "from the server:" << why;
    if (pending.kind == RequestKind::Login && m_everLoggedIn) {
        // A resumed session: as if the answer never came; the next attempt may fare better.
        onDisconnected();
        return;
    }
    // Otherwise as if the server had failed the request, so that nothing waits for it forever
    // (a send, refused as `internal`, goes out again shortly).
    handleError(re, pending, ErrorReply{ErrorCode::Internal, why});
}

void Connection::handlePush(const ServerFrame &frame)
{
    if (const auto *m = std::get_if<MessagePush>(&frame)) {
        Q_EMIT messageReceived(m->message);
    } else if (const auto *r = std::get_if<ReadPush>(&frame)) {
        Q_EMIT readReceived(r->thread, r->user, r->upTo);
    } else if (const auto *t = std::get_if<TypingPush>(&frame)) {
        Q_EMIT typingReceived(t->thread, t->user, t->name, t->active);
    } else if (const auto *p = std::get_if<PresencePush>(&frame)) {
        Q_EMIT presenceReceived(p->user, p->online, p->lastSeen);
    } else if (const auto *t = std::get_if<ThreadPush>(&frame)) {
        Q_EMIT threadReceived(t->thread);
    } else if (const auto *e = std::get_if<ErrorReply>(&frame)) {
        qCInfo(lcClientNet) << "server error without a request:" << errorCodeName(e->code);
    }
}

void Connection::handleWelcome(const WelcomeReply &welcome)
{
    m_pongTimer.stop();
    m_token = welcome.token;
    m_password.clear();
    m_user = welcome.user;
    if (welcome.textChars > 0)
        m_textLimit = int(welcome.textChars);
    m_attempt = 0;
    ++m_sessionGeneration;
    qCInfo(lcClientNet) << "logged in as user" << m_user.id << "server" << welcome.serverVersion;
    setState(State::Online);
    m_pingTimer.start();
    if (!m_everLoggedIn) {
        m_everLoggedIn = true;
        Q_EMIT loggedIn(m_user, m_token);
    } else {
        Q_EMIT resumed();
    }
    Q_EMIT sessionStarted();
}

void Connection::failLogin(LoginError error, const QString &reason)
{
    qCInfo(lcClientNet) << "login failed:" << error;
    m_wantConnection = false;
    m_password.clear();
    m_reconnectTimer.stop();
    m_countdownTimer.stop();
    closeSocket();
    setState(State::Offline);
    Q_EMIT loginFailed(error, reason);
}

namespace {

QString sendErrorReason(ErrorCode code, const QString &serverMessage)
{
    switch (code) {
    case ErrorCode::TooLarge:
        return Connection::tr("The message is too long.");
    case ErrorCode::BadRequest:
        return Connection::tr("The server refused the message as malformed or empty.");
    case ErrorCode::Forbidden:
        return Connection::tr("You cannot write in this conversation.");
    case ErrorCode::NotFound:
        return Connection::tr("This conversation does not exist.");
    case ErrorCode::RateLimited:
        return Connection::tr("Sending too fast; trying again shortly.");
    default:
        return Connection::tr("The server could not store the message (%1).").arg(serverMessage);
    }
}

} // namespace

void Connection::handleError(qint64 re, const PendingRequest &pending, const ErrorReply &error)
{
    qCInfo(lcClientNet) << "error reply to request" << re << errorCodeName(error.code);
    switch (pending.kind) {
    case RequestKind::Login:
        if (error.code == ErrorCode::AuthFailed && m_everLoggedIn) {
            m_wantConnection = false;
            m_token.clear();
            closeSocket();
            setState(State::Offline);
            Q_EMIT sessionExpired(tr("Your session has ended. Please log in again."));
        } else if (error.code == ErrorCode::AuthFailed) {
            failLogin(LoginError::AuthFailed,
                      m_token.isEmpty() ? tr("Wrong email or password.")
                                        : tr("The saved session has expired. Please log in again."));
        } else if (error.code == ErrorCode::UnsupportedProtocol) {
            failLogin(LoginError::UnsupportedProtocol,
                      tr("The server does not support this version of DPI Chat "
                         "(protocol %1). Please update the app or the server.")
                          .arg(limits::kProtocolVersion));
        } else {
            failLogin(LoginError::Other,
                      tr("The server refused the login: %1").arg(error.message));
        }
        return;
    case RequestKind::Send:
        Q_EMIT sendFailed(pending.clientId, error.code, sendErrorReason(error.code, error.message));
        return;
    case RequestKind::History:
        Q_EMIT historyFailed(pending.thread, error.code, error.message);
        return;
    default:
        Q_EMIT requestFailed(re, error.code, error.message);
        return;
    }
}

} // namespace dpichat
