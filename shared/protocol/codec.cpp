#include "codec.h"

#include "jsonreader.h"
#include "limits.h"
#include "sendscanner.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace dpichat {

namespace {

template<typename Variant, typename T>
bool tryDecode(const QString &type, const QJsonObject &object, std::optional<Variant> &out,
               std::optional<ProtocolError> &error)
{
    if (type != T::kType)
        return false;
    auto decoded = T::fromJson(object);
    if (auto *e = std::get_if<ProtocolError>(&decoded))
        error = *e;
    else
        out = std::move(std::get<T>(decoded));
    return true;
}

/// Finds the alternative of `Variant` whose kType is `type` and decodes it.
template<typename Variant, std::size_t... I>
bool decodeAlternative(const QString &type, const QJsonObject &object,
                       std::optional<Variant> &out, std::optional<ProtocolError> &error,
                       std::index_sequence<I...>)
{
    return (tryDecode<Variant, std::variant_alternative_t<I, Variant>>(type, object, out, error)
            || ...);
}

template<typename Variant>
Expected<Variant> decodeVariant(const QJsonObject &object)
{
    const QJsonValue typeValue = object.value(QLatin1StringView("type"));
    if (!typeValue.isString())
        return ProtocolError{ErrorCode::BadRequest, QStringLiteral("missing field 'type'")};
    const QString type = typeValue.toString();
    std::optional<Variant> out;
    std::optional<ProtocolError> error;
    if (!decodeAlternative<Variant>(type, object, out, error,
                                    std::make_index_sequence<std::variant_size_v<Variant>>{})) {
        return ProtocolError{ErrorCode::BadRequest, QStringLiteral("unknown type")};
    }
    if (error)
        return *error;
    return std::move(*out);
}

Expected<QJsonObject> parseObject(QByteArrayView utf8)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(utf8.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return ProtocolError{ErrorCode::BadRequest, QStringLiteral("frame is not valid JSON")};
    if (!doc.isObject())
        return ProtocolError{ErrorCode::BadRequest, QStringLiteral("frame is not a JSON object")};
    return doc.object();
}

QByteArray encodeObject(QJsonObject object, QLatin1StringView key, const QJsonValue &value)
{
    if (!value.isUndefined() && !value.isNull())
        object.insert(key, value);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

bool isValidRequestId(const QJsonValue &id)
{
    if (id.isString())
        return id.toString().size() <= limits::kRequestIdChars;
    return JsonReader::isInteger(id);
}

std::variant<RequestFrame, RequestFailure> decodeRequest(const QJsonObject &object)
{
    QJsonValue id = object.value(QLatin1StringView("id"));
    if (!id.isUndefined() && !isValidRequestId(id)) {
        return RequestFailure{
            QJsonValue::Undefined,
            {ErrorCode::BadRequest,
             QStringLiteral("field 'id' must be an integer or a string of at most %1 characters")
                 .arg(limits::kRequestIdChars)}};
    }
    auto decoded = decodeVariant<Request>(object);
    if (auto *e = std::get_if<ProtocolError>(&decoded))
        return RequestFailure{id, *e};
    return RequestFrame{id, std::move(std::get<Request>(decoded))};
}

std::variant<RequestFrame, RequestFailure> decodeRequest(QByteArrayView utf8)
{
    if (auto send = scanSendRequest(utf8))
        return std::move(*send);
    return decodeRequestInGeneral(utf8);
}

std::variant<RequestFrame, RequestFailure> decodeRequestInGeneral(QByteArrayView utf8)
{
    auto object = parseObject(utf8);
    if (auto *e = std::get_if<ProtocolError>(&object))
        return RequestFailure{QJsonValue::Undefined, *e};
    return decodeRequest(std::get<QJsonObject>(object));
}

Expected<ServerFrameEnvelope> decodeServerFrame(QByteArrayView utf8)
{
    auto object = parseObject(utf8);
    if (auto *e = std::get_if<ProtocolError>(&object))
        return *e;
    const QJsonObject &o = std::get<QJsonObject>(object);
    auto decoded = decodeVariant<ServerFrame>(o);
    if (auto *e = std::get_if<ProtocolError>(&decoded))
        return *e;
    return ServerFrameEnvelope{o.value(QLatin1StringView("re")),
                               std::move(std::get<ServerFrame>(decoded))};
}

QByteArray encodeRequest(const Request &request, const QJsonValue &id)
{
    return encodeObject(std::visit([](const auto &r) { return r.toJson(); }, request),
                        QLatin1StringView("id"), id);
}

QByteArray encodeServerFrame(const ServerFrame &frame, const QJsonValue &re)
{
    return encodeObject(std::visit([](const auto &f) { return f.toJson(); }, frame),
                        QLatin1StringView("re"), re);
}

QByteArray encodeError(ErrorCode code, const QString &message, const QJsonValue &re)
{
    return encodeServerFrame(ErrorReply{code, message}, re);
}

QLatin1StringView typeOf(const Request &request)
{
    return std::visit([](const auto &r) { return std::decay_t<decltype(r)>::kType; }, request);
}

QLatin1StringView typeOf(const ServerFrame &frame)
{
    return std::visit([](const auto &f) { return std::decay_t<decltype(f)>::kType; }, frame);
}

} // namespace dpichat
