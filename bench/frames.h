#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

#include <optional>

/// The load generator's hot path: send frames written by hand and server frames scanned
/// for the few fields it needs, without building a QJsonDocument per frame. Frames the
/// scan does not classify (setup replies, errors) go through the shared codec instead.
namespace bench {

/// A random tag that makes this run's clientIds unique: the server deduplicates on
/// (sender, clientId), so reusing ids from an earlier run would store and push nothing.
QByteArray makeRunNonce();

/// How one sender's clientIds follow each other.
enum class IdOrder {
    /// `<ms>-<nonce>-<channel>-<seq>`, `<ms>` the wall clock's milliseconds in 12 hex digits
    /// at the time of sending: every id after every earlier one of any sender, as UUIDs of
    /// version 7 (our client's) are, and each sender's ids in order too.
    TimeOrdered,
    /// `<nonce>-<channel>-<seq>`: each sender's ids in order, the senders' not among each
    /// other (a client that counts, without the time).
    PerSender,
    /// `<nonce>-<channel>-x<n>`, `n` the sequence number mixed by an invertible
    /// multiplication: each id at a place of its own in that index, as random ids (UUID
    /// version 4) are.
    Scattered,
};

/// The name of `order` on the command line and in the JSON: "time", "sender", "scattered".
QString idOrderName(IdOrder order);
/// The order named `name`; nothing for a name idOrderName() does not give.
std::optional<IdOrder> idOrderFromName(QStringView name);

/// The clientId of message `seq` is this prefix followed by a number written by
/// appendSendFrame() or appendPusherClientEvent() (`seq` itself unless `order` is Scattered).
QByteArray clientIdPrefix(QByteArrayView nonce, int channel, IdOrder order = IdOrder::TimeOrdered);

/// An ASCII message body of `bytes` characters without white space at either end.
QByteArray makeText(int bytes);

/// Appends `{"type":"send","id":seq,"thread":thread,"clientId":"<prefix><seq>","text":text}`.
/// `text` and `prefix` must not need JSON escaping (they are ours).
void appendSendFrame(
    QByteArray &out, qint64 seq, qint64 thread, QByteArrayView prefix, QByteArrayView text);

enum class FrameKind { Message, Sent, Error, Other };

/// What the scan found in one server frame.
struct ScannedFrame {
    FrameKind kind = FrameKind::Other;
    qint64 re = -1; ///< Integer `re` of a reply; -1 when absent or not an integer.
    QByteArrayView clientId; ///< Message pushes only.
    qint64 messageId = -1; ///< Message pushes only.
};

/// Classifies a server frame by its `type` and pulls out `re`, `clientId` and the message
/// `id`. Relies on JSON escaping: inside a string every `"` is preceded by a backslash, so
/// a pattern like `"type":"` only ever matches a key. Message and User carry no `type` key.
ScannedFrame scanFrame(QByteArrayView utf8);

/// Pusher: appends the client event that sends message `seq` on `channel`:
/// `{"event":"client-msg","channel":C,"data":{"clientId":"<prefix><seq>","sentNs":N,"text":T}}`.
void appendPusherClientEvent(QByteArray &out, QByteArrayView channel, qint64 seq,
    QByteArrayView prefix, qint64 sentNs, QByteArrayView text);

/// What the scan found in one Pusher frame.
struct PusherFrame {
    QByteArrayView event; ///< Empty when absent.
    QByteArrayView clientId; ///< `client-msg` events only.
    qint64 errorCode = -1; ///< `pusher:error`: data.code when present.
};

/// The Pusher counterpart of scanFrame(): `event`, and the clientId of our client events.
PusherFrame scanPusherFrame(QByteArrayView utf8);

/// Splits a clientId made with clientIdPrefix() back into channel and sequence number
/// (either order).
/// False when it does not carry this run's nonce.
bool parseClientId(QByteArrayView clientId, QByteArrayView nonce, int &channel, qint64 &seq);

} // namespace bench
