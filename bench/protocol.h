#pragma once

#include "options.h"
#include "sessionstate.h"

#include <QByteArrayView>
#include <QHash>
#include <QString>
#include <QUrl>

#include <memory>

namespace bench {

/// Where a session's setup stands after a frame.
struct SetupOutcome {
    enum Status { Pending, Ready, Failed };
    Status status = Pending;
    QString error; ///< Failed only; never carries a password, a token or message text.

    static SetupOutcome pending() { return {}; }
    static SetupOutcome ready() { return { Ready, {} }; }
    static SetupOutcome failed(const QString &why) { return { Failed, why }; }
};

enum class IncomingKind { Message, Ack, Error, Other };

/// What the hot-path scan found in one frame of a session that is ready.
struct Incoming {
    IncomingKind kind = IncomingKind::Other;
    qint64 re = -1; ///< Ack or Error: the sequence number it answers; -1 when none.
    QByteArrayView clientId; ///< Message: the clientId it carries.
    qint64 messageId = -1; ///< Message: the server's id; -1 when the protocol has none.
    QString errorCode; ///< Error only.
};

/// The part of a load that depends on the wire protocol: how a session gets ready, what a
/// send frame looks like, and how incoming frames are classified. The Worker does the rest
/// (schedule, window, counting) the same way for every protocol.
class ProtocolDriver {
public:
    virtual ~ProtocolDriver() = default;

    /// The URL a session opens, from --url (and --receiver-url).
    virtual QUrl sessionUrl(const QUrl &server) const = 0;
    /// Whether the server acknowledges each send (DPI Chat's `sent`). Without acks a message
    /// leaves the window once every receiver has it.
    virtual bool acknowledges() const = 0;
    /// The WebSocket of `session` is open.
    virtual SetupOutcome onOpened(Session &session) = 0;
    /// A frame that arrived before `session` was ready.
    virtual SetupOutcome onSetupFrame(Session &session, QByteArrayView utf8) = 0;
    /// Appends the frame that sends message `seq` of `channel`.
    virtual void appendSend(
        QByteArray &out, const Channel &channel, qint64 seq, QByteArrayView text) const
        = 0;
    /// Classifies a frame of a ready session; may answer protocol pings itself.
    virtual Incoming scan(Session &session, QByteArrayView utf8) = 0;
};

/// PROTOCOL.md version 1. `tokens` (session tokens by e-mail) outlives the driver, which
/// reads and updates it: a user logs in with the password once, then with the token.
std::unique_ptr<ProtocolDriver> makeDpiChatDriver(
    const BenchOptions &options, QHash<QString, QString> &tokens);

/// Pusher Channels protocol 7: private channels signed with the app secret, client events.
std::unique_ptr<ProtocolDriver> makePusherDriver(const BenchOptions &options);

inline std::unique_ptr<ProtocolDriver> makeProtocolDriver(
    const BenchOptions &options, QHash<QString, QString> &tokens)
{
    return options.protocol == Protocol::Pusher ? makePusherDriver(options)
                                                : makeDpiChatDriver(options, tokens);
}

} // namespace bench
