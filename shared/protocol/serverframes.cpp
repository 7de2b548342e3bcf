#include "serverframes.h"

#include "jsonreader.h"

#include <QJsonArray>

namespace dpichat {

namespace {
QJsonObject typed(QLatin1StringView type)
{
    return QJsonObject{{QLatin1StringView("type"), type}};
}

template<typename T>
QJsonArray toArray(const QList<T> &items)
{
    QJsonArray a;
    for (const T &item : items)
        a.append(item.toJson());
    return a;
}

template<typename T>
std::optional<ProtocolError> fromArray(const QJsonArray &array, QList<T> &out)
{
    out.reserve(array.size());
    for (const QJsonValue &v : array) {
        if (!v.isObject())
            return ProtocolError{ErrorCode::BadRequest, QStringLiteral("array item is not an object")};
        auto item = T::fromJson(v.toObject());
        if (auto *e = std::get_if<ProtocolError>(&item))
            return *e;
        out.append(std::move(std::get<T>(item)));
    }
    return std::nullopt;
}

template<typename T>
std::optional<ProtocolError> fromObject(const QJsonObject &object, T &out)
{
    auto item = T::fromJson(object);
    if (auto *e = std::get_if<ProtocolError>(&item))
        return *e;
    out = std::move(std::get<T>(item));
    return std::nullopt;
}
} // namespace

QJsonObject WelcomeReply::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("token"), token);
    o.insert(QLatin1StringView("user"), user.toJson());
    o.insert(QLatin1StringView("limits"),
             QJsonObject{{QLatin1StringView("frameBytes"), frameBytes},
                         {QLatin1StringView("textChars"), textChars}});
    o.insert(QLatin1StringView("server"),
             QJsonObject{{QLatin1StringView("version"), serverVersion}});
    return o;
}

Expected<WelcomeReply> WelcomeReply::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    WelcomeReply w;
    w.token = r.requireString(QLatin1StringView("token"));
    const QJsonObject user = r.requireObject(QLatin1StringView("user"));
    const QJsonObject lim = r.requireObject(QLatin1StringView("limits"));
    const QJsonObject server = r.requireObject(QLatin1StringView("server"));
    if (!r.ok())
        return r.error();
    JsonReader lr(lim);
    w.frameBytes = lr.requireInt(QLatin1StringView("frameBytes"));
    w.textChars = lr.requireInt(QLatin1StringView("textChars"));
    if (!lr.ok())
        return lr.error();
    JsonReader sr(server);
    w.serverVersion = sr.requireString(QLatin1StringView("version"));
    if (!sr.ok())
        return sr.error();
    if (auto e = fromObject(user, w.user))
        return *e;
    return w;
}

QJsonObject OkReply::toJson() const { return typed(kType); }
Expected<OkReply> OkReply::fromJson(const QJsonObject &) { return OkReply{}; }

QJsonObject PongReply::toJson() const { return typed(kType); }
Expected<PongReply> PongReply::fromJson(const QJsonObject &) { return PongReply{}; }

QJsonObject ThreadsReply::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("threads"), toArray(threads));
    return o;
}

Expected<ThreadsReply> ThreadsReply::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    const QJsonArray a = r.requireArray(QLatin1StringView("threads"));
    if (!r.ok())
        return r.error();
    ThreadsReply t;
    if (auto e = fromArray(a, t.threads))
        return *e;
    return t;
}

QJsonObject HistoryReply::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("thread"), thread);
    o.insert(QLatin1StringView("messages"), toArray(messages));
    o.insert(QLatin1StringView("hasMore"), hasMore);
    return o;
}

Expected<HistoryReply> HistoryReply::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    HistoryReply h;
    h.thread = r.requireInt(QLatin1StringView("thread"));
    const QJsonArray a = r.requireArray(QLatin1StringView("messages"));
    h.hasMore = r.requireBool(QLatin1StringView("hasMore"));
    if (!r.ok())
        return r.error();
    if (auto e = fromArray(a, h.messages))
        return *e;
    return h;
}

QJsonObject SentReply::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("message"), message.toJson());
    return o;
}

Expected<SentReply> SentReply::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    const QJsonObject m = r.requireObject(QLatin1StringView("message"));
    if (!r.ok())
        return r.error();
    SentReply s;
    if (auto e = fromObject(m, s.message))
        return *e;
    return s;
}

QJsonObject SyncReply::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("messages"), toArray(messages));
    o.insert(QLatin1StringView("hasMore"), hasMore);
    return o;
}

Expected<SyncReply> SyncReply::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    SyncReply s;
    const QJsonArray a = r.requireArray(QLatin1StringView("messages"));
    s.hasMore = r.requireBool(QLatin1StringView("hasMore"));
    if (!r.ok())
        return r.error();
    if (auto e = fromArray(a, s.messages))
        return *e;
    return s;
}

QJsonObject ErrorReply::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("code"), errorCodeName(code));
    o.insert(QLatin1StringView("message"), message);
    return o;
}

Expected<ErrorReply> ErrorReply::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    ErrorReply e;
    const QString code = r.requireString(QLatin1StringView("code"));
    e.message = r.optionalString(QLatin1StringView("message")).value_or(QString());
    if (!r.ok())
        return r.error();
    // An unknown code from a newer server still is an error; treat it as internal.
    e.code = errorCodeFromName(code).value_or(ErrorCode::Internal);
    return e;
}

QJsonObject MessagePush::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("message"), message.toJson());
    return o;
}

Expected<MessagePush> MessagePush::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    const QJsonObject m = r.requireObject(QLatin1StringView("message"));
    if (!r.ok())
        return r.error();
    MessagePush p;
    if (auto e = fromObject(m, p.message))
        return *e;
    return p;
}

QJsonObject ReadPush::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("thread"), thread);
    o.insert(QLatin1StringView("user"), user);
    o.insert(QLatin1StringView("upTo"), upTo);
    return o;
}

Expected<ReadPush> ReadPush::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    ReadPush p;
    p.thread = r.requireInt(QLatin1StringView("thread"));
    p.user = r.requireInt(QLatin1StringView("user"));
    p.upTo = r.requireInt(QLatin1StringView("upTo"));
    if (!r.ok())
        return r.error();
    return p;
}

QJsonObject TypingPush::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("thread"), thread);
    o.insert(QLatin1StringView("user"), user);
    o.insert(QLatin1StringView("name"), name);
    o.insert(QLatin1StringView("active"), active);
    return o;
}

Expected<TypingPush> TypingPush::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    TypingPush p;
    p.thread = r.requireInt(QLatin1StringView("thread"));
    p.user = r.requireInt(QLatin1StringView("user"));
    p.name = r.requireString(QLatin1StringView("name"));
    p.active = r.requireBool(QLatin1StringView("active"));
    if (!r.ok())
        return r.error();
    return p;
}

QJsonObject PresencePush::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("user"), user);
    o.insert(QLatin1StringView("online"), online);
    o.insert(QLatin1StringView("lastSeen"), formatOptionalTime(lastSeen));
    return o;
}

Expected<PresencePush> PresencePush::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    PresencePush p;
    p.user = r.requireInt(QLatin1StringView("user"));
    p.online = r.requireBool(QLatin1StringView("online"));
    const auto lastSeen = r.optionalString(QLatin1StringView("lastSeen"));
    if (!r.ok())
        return r.error();
    if (lastSeen) {
        p.lastSeen = parseTime(*lastSeen);
        if (!p.lastSeen)
            return ProtocolError{ErrorCode::BadRequest, QStringLiteral("bad time in 'lastSeen'")};
    }
    return p;
}

QJsonObject ThreadPush::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("thread"), thread.toJson());
    return o;
}

Expected<ThreadPush> ThreadPush::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    const QJsonObject t = r.requireObject(QLatin1StringView("thread"));
    if (!r.ok())
        return r.error();
    ThreadPush p;
    if (auto e = fromObject(t, p.thread))
        return *e;
    return p;
}

} // namespace dpichat
