#include "clock.h"
#include "frames.h"
#include "protocol.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QUrlQuery>

namespace bench {

namespace {

/// Pusher Channels protocol 7 as soketi speaks it: wait for `pusher:connection_established`,
/// subscribe to a private channel with an HMAC-SHA256 signature of `socket_id:channel` made
/// with the app secret (the driver plays the application's auth endpoint), wait for
/// `pusher_internal:subscription_succeeded`. Messages are client events, which the server
/// relays to every other subscriber of the channel and not back to the sender; there is no
/// acknowledgement.
class PusherDriver final : public ProtocolDriver {
public:
    explicit PusherDriver(const BenchOptions &options)
        : m_key(options.appKey.toUtf8())
        , m_secret(options.appSecret.toUtf8())
    {
    }

    QUrl sessionUrl(const QUrl &server) const override
    {
        QUrl url = server;
        url.setPath(QStringLiteral("/app/") + QString::fromUtf8(m_key));
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("protocol"), QStringLiteral("7"));
        query.addQueryItem(QStringLiteral("client"), QStringLiteral("dpichat-bench"));
        query.addQueryItem(QStringLiteral("version"), QStringLiteral("1.0"));
        url.setQuery(query);
        return url;
    }

    bool acknowledges() const override { return false; }

    SetupOutcome onOpened(Session &session) override
    {
        session.stage = Stage::SettingUp; // the server speaks first
        return SetupOutcome::pending();
    }

    SetupOutcome onSetupFrame(Session &session, QByteArrayView utf8) override;

    void appendSend(QByteArray &out, const Channel &channel, qint64 seq,
        QByteArrayView text) const override
    {
        appendPusherClientEvent(out, channel.spec.pusherChannel, seq, channel.prefix, nowNs(), text);
    }

    Incoming scan(Session &session, QByteArrayView utf8) override;

private:
    QByteArray subscribeFrame(const QByteArray &socketId, const QByteArray &channel) const;

    const QByteArray m_key;
    const QByteArray m_secret;
};

QByteArray PusherDriver::subscribeFrame(const QByteArray &socketId, const QByteArray &channel) const
{
    const QByteArray signature = QMessageAuthenticationCode::hash(
        socketId + ':' + channel, m_secret, QCryptographicHash::Sha256)
                                     .toHex();
    const QJsonObject data { { QStringLiteral("channel"), QString::fromUtf8(channel) },
        { QStringLiteral("auth"), QString::fromUtf8(m_key + ':' + signature) } };
    const QJsonObject frame { { QStringLiteral("event"), QStringLiteral("pusher:subscribe") },
        { QStringLiteral("data"), data } };
    return QJsonDocument(frame).toJson(QJsonDocument::Compact);
}

SetupOutcome PusherDriver::onSetupFrame(Session &session, QByteArrayView utf8)
{
    const QJsonObject frame = QJsonDocument::fromJson(utf8.toByteArray()).object();
    const QString event = frame.value(QStringLiteral("event")).toString();
    if (event == u"pusher:connection_established") {
        // `data` is itself JSON, encoded as a string.
        const QJsonObject data
            = QJsonDocument::fromJson(frame.value(QStringLiteral("data")).toString().toUtf8())
                  .object();
        const QByteArray socketId = data.value(QStringLiteral("socket_id")).toString().toUtf8();
        if (socketId.isEmpty())
            return SetupOutcome::failed(QStringLiteral("connection_established without socket_id"));
        session.connection->sendText(subscribeFrame(socketId, session.pusherChannel));
        return SetupOutcome::pending();
    }
    if (event == u"pusher_internal:subscription_succeeded")
        return SetupOutcome::ready();
    if (event == u"pusher:error" || event == u"pusher:subscription_error") {
        const QJsonValue data = frame.value(QStringLiteral("data"));
        const QJsonObject details = data.isObject()
            ? data.toObject()
            : QJsonDocument::fromJson(data.toString().toUtf8()).object();
        return SetupOutcome::failed(QStringLiteral("subscribing to %1 failed: %2 (code %3)")
                                        .arg(QString::fromUtf8(session.pusherChannel),
                                            event,
                                            QString::number(details.value(QStringLiteral("code"))
                                                                .toInt(details.value(
                                                                    QStringLiteral("status"))
                                                                        .toInt()))));
    }
    return SetupOutcome::pending();
}

Incoming PusherDriver::scan(Session &session, QByteArrayView utf8)
{
    Incoming in;
    const PusherFrame f = scanPusherFrame(utf8);
    if (f.event == "client-msg") {
        in.kind = IncomingKind::Message;
        in.clientId = f.clientId;
    } else if (f.event == "pusher:error") {
        in.kind = IncomingKind::Error;
        in.errorCode = QStringLiteral("pusher:%1").arg(f.errorCode);
    } else if (f.event == "pusher:ping") {
        session.connection->sendText("{\"event\":\"pusher:pong\",\"data\":{}}");
    }
    return in;
}

} // namespace

std::unique_ptr<ProtocolDriver> makePusherDriver(const BenchOptions &options)
{
    return std::make_unique<PusherDriver>(options);
}

} // namespace bench
