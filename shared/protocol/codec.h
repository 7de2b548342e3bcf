#pragma once

#include "errors.h"
#include "requests.h"
#include "serverframes.h"

#include <QByteArray>
#include <QJsonValue>
#include <variant>

/// Turning frames into bytes and back. A frame is one JSON object with a string `type`;
/// requests may carry `id` (an integer or a string of at most 64 characters), replies `re`.
namespace dpichat {

using Request = std::variant<LoginRequest, LogoutRequest, ThreadsRequest, HistoryRequest,
                             SendRequest, ReadRequest, SyncRequest, TypingRequest, PingRequest>;

using ServerFrame = std::variant<WelcomeReply, OkReply, ThreadsReply, HistoryReply, SentReply,
                                 SyncReply, PongReply, ErrorReply, MessagePush, ReadPush,
                                 TypingPush, PresencePush, ThreadPush>;

/// A decoded request with its `id` (undefined when the client sent none).
struct RequestFrame
{
    QJsonValue id = QJsonValue(QJsonValue::Undefined);
    Request request;
};

/// A request that could not be decoded: the error and the `id` to answer with, when the
/// frame had a usable one.
struct RequestFailure
{
    QJsonValue id = QJsonValue(QJsonValue::Undefined);
    ProtocolError error;
};

/// A decoded server frame with its `re` (undefined for pushes).
struct ServerFrameEnvelope
{
    QJsonValue re = QJsonValue(QJsonValue::Undefined);
    ServerFrame frame;
};

std::variant<RequestFrame, RequestFailure> decodeRequest(QByteArrayView utf8);
/// decodeRequest() without its fast path for `send` (scanSendRequest()): through
/// QJsonDocument, whatever the frame.
std::variant<RequestFrame, RequestFailure> decodeRequestInGeneral(QByteArrayView utf8);
std::variant<RequestFrame, RequestFailure> decodeRequest(const QJsonObject &object);
Expected<ServerFrameEnvelope> decodeServerFrame(QByteArrayView utf8);

/// Whether `id` is a valid request id: an integer, or a string of at most 64 characters.
bool isValidRequestId(const QJsonValue &id);

QByteArray encodeRequest(const Request &request, const QJsonValue &id = {});
QByteArray encodeServerFrame(const ServerFrame &frame, const QJsonValue &re = {});
QByteArray encodeError(ErrorCode code, const QString &message, const QJsonValue &re = {});

/// The `type` string of a request or server frame.
QLatin1StringView typeOf(const Request &request);
QLatin1StringView typeOf(const ServerFrame &frame);

} // namespace dpichat
