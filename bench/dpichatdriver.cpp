#include "frames.h"
#include "protocol.h"

#include "protocol/codec.h"
#include "protocol/limits.h"

namespace bench {

namespace {

const QJsonValue kLoginId(QStringLiteral("login"));
const QJsonValue kThreadsId(QStringLiteral("threads"));

/// PROTOCOL.md version 1: log in (password once per user, then its token), find the
/// sender's own thread, send `send` requests, read `sent` replies and `message` pushes.
class DpiChatDriver final : public ProtocolDriver {
public:
    DpiChatDriver(const BenchOptions &options, QHash<QString, QString> &tokens)
        : m_options(options)
        , m_tokens(tokens)
    {
    }

    QUrl sessionUrl(const QUrl &server) const override { return server; }
    bool acknowledges() const override { return true; }

    SetupOutcome onOpened(Session &session) override
    {
        sendLogin(session);
        return SetupOutcome::pending();
    }

    SetupOutcome onSetupFrame(Session &session, QByteArrayView utf8) override;

    void appendSend(QByteArray &out, const Channel &channel, qint64 seq,
        QByteArrayView text) const override
    {
        appendSendFrame(out, seq, channel.thread, channel.prefix, text);
    }

    Incoming scan(Session &session, QByteArrayView utf8) override;

private:
    void sendLogin(Session &session);

    const BenchOptions &m_options;
    QHash<QString, QString> &m_tokens;
};

void DpiChatDriver::sendLogin(Session &session)
{
    dpichat::LoginRequest login;
    login.protocol = dpichat::limits::kProtocolVersion;
    const QString token = m_tokens.value(session.email);
    session.usedToken = !token.isEmpty();
    if (session.usedToken) {
        login.token = token;
    } else {
        login.email = session.email;
        login.password = m_options.password;
    }
    session.stage = Stage::SettingUp;
    session.connection->sendText(dpichat::encodeRequest(login, kLoginId));
}

SetupOutcome DpiChatDriver::onSetupFrame(Session &session, QByteArrayView utf8)
{
    const auto decoded = dpichat::decodeServerFrame(utf8);
    if (const auto *e = std::get_if<dpichat::ProtocolError>(&decoded)) {
        // Pushes of types this build does not know are fine; a reply we cannot read is not.
        if (utf8.contains("\"re\":\"login\"") || utf8.contains("\"re\":\"threads\""))
            return SetupOutcome::failed(
                QStringLiteral("%1: cannot decode reply: %2").arg(session.email, e->message));
        return SetupOutcome::pending();
    }
    const auto &env = std::get<dpichat::ServerFrameEnvelope>(decoded);
    const QString re = env.re.toString();
    const auto *error = std::get_if<dpichat::ErrorReply>(&env.frame);

    if (re == kLoginId.toString() && session.stage == Stage::SettingUp) {
        if (const auto *welcome = std::get_if<dpichat::WelcomeReply>(&env.frame)) {
            m_tokens.insert(session.email, welcome->token);
            session.userId = welcome->user.id;
            if (!session.isSender())
                return SetupOutcome::ready();
            session.stage = Stage::FetchingThreads;
            session.connection->sendText(
                dpichat::encodeRequest(dpichat::ThreadsRequest {}, kThreadsId));
            return SetupOutcome::pending();
        }
        if (error && session.usedToken) {
            m_tokens.remove(session.email); // stale cache entry: fall back to the password
            sendLogin(session);
            return SetupOutcome::pending();
        }
        return SetupOutcome::failed(
            QStringLiteral("login of %1 failed: %2 (%3). Create the bench users first "
                           "(bench/run-server-bench does, with dpichat-server user add).")
                .arg(session.email,
                    error ? dpichat::errorCodeName(error->code) : QStringLiteral("unexpected reply"),
                    error ? error->message : QString()));
    }
    if (re == kThreadsId.toString() && session.stage == Stage::FetchingThreads) {
        const auto *threads = std::get_if<dpichat::ThreadsReply>(&env.frame);
        if (!threads)
            return SetupOutcome::failed(
                QStringLiteral("threads request of %1 failed").arg(session.email));
        for (const dpichat::Thread &t : threads->threads) {
            if (t.owner.id == session.userId)
                session.channel->thread = t.id;
        }
        if (session.channel->thread == 0)
            return SetupOutcome::failed(
                QStringLiteral("%1 has no thread of its own (is it an admin?)").arg(session.email));
        return SetupOutcome::ready();
    }
    return SetupOutcome::pending();
}

Incoming DpiChatDriver::scan(Session &, QByteArrayView utf8)
{
    Incoming in;
    const ScannedFrame f = scanFrame(utf8);
    switch (f.kind) {
    case FrameKind::Message:
        in.kind = IncomingKind::Message;
        in.clientId = f.clientId;
        in.messageId = f.messageId;
        break;
    case FrameKind::Sent:
        in.kind = IncomingKind::Ack;
        in.re = f.re;
        break;
    case FrameKind::Error: {
        in.kind = IncomingKind::Error;
        in.re = f.re;
        in.errorCode = QStringLiteral("undecodable");
        const auto decoded = dpichat::decodeServerFrame(utf8);
        if (const auto *env = std::get_if<dpichat::ServerFrameEnvelope>(&decoded)) {
            if (const auto *e = std::get_if<dpichat::ErrorReply>(&env->frame))
                in.errorCode = dpichat::errorCodeName(e->code);
        }
        break;
    }
    case FrameKind::Other:
        break; // presence, read, typing, thread pushes, pongs
    }
    return in;
}

} // namespace

std::unique_ptr<ProtocolDriver> makeDpiChatDriver(
    const BenchOptions &options, QHash<QString, QString> &tokens)
{
    return std::make_unique<DpiChatDriver>(options, tokens);
}

} // namespace bench
