#include "requests.h"

#include "jsonreader.h"
#include "limits.h"

namespace dpichat {

namespace {
QJsonObject typed(QLatin1StringView type)
{
    return QJsonObject{{QLatin1StringView("type"), type}};
}

// Ids are positive; a negative one can only be a client's mistake.
void requireNonNegative(JsonReader &r, qint64 value, const char *field)
{
    if (value < 0)
        r.fail(QStringLiteral("field '%1' must not be negative").arg(QLatin1StringView(field)));
}
} // namespace

QJsonObject LoginRequest::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("protocol"), protocol);
    if (isTokenLogin()) {
        o.insert(QLatin1StringView("token"), token);
    } else {
        o.insert(QLatin1StringView("email"), email);
        o.insert(QLatin1StringView("password"), password);
    }
    return o;
}

Expected<LoginRequest> LoginRequest::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    LoginRequest l;
    l.protocol = r.requireInt(QLatin1StringView("protocol"));
    const auto token = r.optionalString(QLatin1StringView("token"), limits::kTokenChars);
    if (token) {
        l.token = *token;
        if (l.token.isEmpty())
            r.fail(QStringLiteral("field 'token' is empty"));
    } else {
        l.email = r.requireString(QLatin1StringView("email"), limits::kEmailChars);
        l.password = r.requireString(QLatin1StringView("password"), limits::kPasswordBytes);
    }
    if (!r.ok())
        return r.error();
    return l;
}

QJsonObject LogoutRequest::toJson() const { return typed(kType); }
Expected<LogoutRequest> LogoutRequest::fromJson(const QJsonObject &) { return LogoutRequest{}; }

QJsonObject ThreadsRequest::toJson() const { return typed(kType); }
Expected<ThreadsRequest> ThreadsRequest::fromJson(const QJsonObject &) { return ThreadsRequest{}; }

QJsonObject PingRequest::toJson() const { return typed(kType); }
Expected<PingRequest> PingRequest::fromJson(const QJsonObject &) { return PingRequest{}; }

QJsonObject HistoryRequest::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("thread"), thread);
    o.insert(QLatin1StringView("before"), before ? QJsonValue(*before) : QJsonValue(QJsonValue::Null));
    o.insert(QLatin1StringView("limit"), limit);
    return o;
}

Expected<HistoryRequest> HistoryRequest::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    HistoryRequest h;
    h.thread = r.requireInt(QLatin1StringView("thread"));
    h.before = r.optionalInt(QLatin1StringView("before"));
    const auto limit = r.optionalInt(QLatin1StringView("limit"));
    requireNonNegative(r, h.thread, "thread");
    if (h.before)
        requireNonNegative(r, *h.before, "before");
    if (limit && *limit < 1)
        r.fail(QStringLiteral("field 'limit' must be at least 1"));
    if (!r.ok())
        return r.error();
    h.limit = int(qMin<qint64>(limit.value_or(limits::kHistoryDefaultLimit), limits::kHistoryMaxLimit));
    return h;
}

QJsonObject SendRequest::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("thread"), thread);
    o.insert(QLatin1StringView("clientId"), clientId);
    o.insert(QLatin1StringView("text"), text);
    return o;
}

Expected<SendRequest> SendRequest::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    SendRequest s;
    s.thread = r.requireInt(QLatin1StringView("thread"));
    s.clientId = r.requireString(QLatin1StringView("clientId"), limits::kClientIdChars);
    s.text = r.requireString(QLatin1StringView("text"));
    requireNonNegative(r, s.thread, "thread");
    if (r.ok() && s.clientId.trimmed().isEmpty())
        r.fail(QStringLiteral("field 'clientId' is empty"));
    if (!r.ok())
        return r.error();
    return s;
}

QJsonObject ReadRequest::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("thread"), thread);
    o.insert(QLatin1StringView("upTo"), upTo);
    return o;
}

Expected<ReadRequest> ReadRequest::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    ReadRequest rr;
    rr.thread = r.requireInt(QLatin1StringView("thread"));
    rr.upTo = r.requireInt(QLatin1StringView("upTo"));
    requireNonNegative(r, rr.thread, "thread");
    requireNonNegative(r, rr.upTo, "upTo");
    if (!r.ok())
        return r.error();
    return rr;
}

QJsonObject SyncRequest::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("after"), after);
    o.insert(QLatin1StringView("limit"), limit);
    return o;
}

Expected<SyncRequest> SyncRequest::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    SyncRequest s;
    s.after = r.requireInt(QLatin1StringView("after"));
    const auto limit = r.optionalInt(QLatin1StringView("limit"));
    requireNonNegative(r, s.after, "after");
    if (limit && *limit < 1)
        r.fail(QStringLiteral("field 'limit' must be at least 1"));
    if (!r.ok())
        return r.error();
    s.limit = int(qMin<qint64>(limit.value_or(limits::kSyncDefaultLimit), limits::kSyncMaxLimit));
    return s;
}

QJsonObject TypingRequest::toJson() const
{
    QJsonObject o = typed(kType);
    o.insert(QLatin1StringView("thread"), thread);
    o.insert(QLatin1StringView("active"), active);
    return o;
}

Expected<TypingRequest> TypingRequest::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    TypingRequest t;
    t.thread = r.requireInt(QLatin1StringView("thread"));
    t.active = r.requireBool(QLatin1StringView("active"));
    requireNonNegative(r, t.thread, "thread");
    if (!r.ok())
        return r.error();
    return t;
}

} // namespace dpichat
