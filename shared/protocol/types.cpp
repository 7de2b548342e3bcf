#include "types.h"

#include "fastjson.h"
#include "jsonreader.h"
#include "limits.h"

namespace dpichat {

QString roleName(Role role)
{
    switch (role) {
    case Role::Admin:
        return QStringLiteral("admin");
    case Role::Customer:
        return QStringLiteral("customer");
    case Role::Member:
        return QStringLiteral("member");
    }
    return QStringLiteral("customer");
}

std::optional<Role> roleFromName(const QString &name)
{
    if (name == u"admin")
        return Role::Admin;
    if (name == u"customer")
        return Role::Customer;
    if (name == u"member")
        return Role::Member;
    return std::nullopt;
}

QString formatTime(const QDateTime &time)
{
    // QDateTime::toString costs ~10 µs a call; every message carries a time.
    return QString::fromLatin1(fastjson::timeText(time));
}

QJsonValue formatOptionalTime(const std::optional<QDateTime> &time)
{
    return time ? QJsonValue(formatTime(*time)) : QJsonValue(QJsonValue::Null);
}

std::optional<QDateTime> parseTime(const QString &text)
{
    QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!t.isValid())
        return std::nullopt;
    return t.toUTC();
}

QJsonObject User::toJson() const
{
    return QJsonObject{
        {QLatin1StringView("id"), id},
        {QLatin1StringView("name"), name},
        {QLatin1StringView("email"), email},
        {QLatin1StringView("role"), roleName(role)},
        {QLatin1StringView("online"), online},
        {QLatin1StringView("lastSeen"), formatOptionalTime(lastSeen)},
    };
}

Expected<User> User::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    User u;
    u.id = r.requireInt(QLatin1StringView("id"));
    u.name = r.requireString(QLatin1StringView("name"));
    u.email = r.requireString(QLatin1StringView("email"));
    const QString role = r.requireString(QLatin1StringView("role"));
    u.online = r.requireBool(QLatin1StringView("online"));
    const auto lastSeen = r.optionalString(QLatin1StringView("lastSeen"));
    if (!r.ok())
        return r.error();
    const auto parsedRole = roleFromName(role);
    if (!parsedRole)
        return ProtocolError{ErrorCode::BadRequest, QStringLiteral("unknown role")};
    u.role = *parsedRole;
    if (lastSeen) {
        u.lastSeen = parseTime(*lastSeen);
        if (!u.lastSeen)
            return ProtocolError{ErrorCode::BadRequest, QStringLiteral("bad time in 'lastSeen'")};
    }
    return u;
}

QJsonObject Message::toJson() const
{
    return QJsonObject{
        {QLatin1StringView("id"), id},
        {QLatin1StringView("thread"), thread},
        {QLatin1StringView("sender"), sender},
        {QLatin1StringView("senderName"), senderName},
        {QLatin1StringView("clientId"), clientId},
        {QLatin1StringView("text"), text},
        {QLatin1StringView("createdAt"), formatTime(createdAt)},
    };
}

Expected<Message> Message::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    Message m;
    m.id = r.requireInt(QLatin1StringView("id"));
    m.thread = r.requireInt(QLatin1StringView("thread"));
    m.sender = r.requireInt(QLatin1StringView("sender"));
    m.senderName = r.requireString(QLatin1StringView("senderName"));
    m.clientId = r.requireString(QLatin1StringView("clientId"));
    m.text = r.requireString(QLatin1StringView("text"));
    const QString created = r.requireString(QLatin1StringView("createdAt"));
    if (!r.ok())
        return r.error();
    const auto t = parseTime(created);
    if (!t)
        return ProtocolError{ErrorCode::BadRequest, QStringLiteral("bad time in 'createdAt'")};
    m.createdAt = *t;
    return m;
}

QJsonObject Thread::toJson() const
{
    return QJsonObject{
        {QLatin1StringView("id"), id},
        {QLatin1StringView("owner"), owner.toJson()},
        {QLatin1StringView("lastMessage"),
         lastMessage ? QJsonValue(lastMessage->toJson()) : QJsonValue(QJsonValue::Null)},
        {QLatin1StringView("unread"), unread},
        {QLatin1StringView("readUpTo"),
         QJsonObject{{QLatin1StringView("owner"), readUpToOwner},
                     {QLatin1StringView("team"), readUpToTeam}}},
    };
}

Expected<Thread> Thread::fromJson(const QJsonObject &json)
{
    JsonReader r(json);
    Thread t;
    t.id = r.requireInt(QLatin1StringView("id"));
    const QJsonObject owner = r.requireObject(QLatin1StringView("owner"));
    const auto last = r.optionalObject(QLatin1StringView("lastMessage"));
    t.unread = r.requireInt(QLatin1StringView("unread"));
    const QJsonObject readUpTo = r.requireObject(QLatin1StringView("readUpTo"));
    if (!r.ok())
        return r.error();
    JsonReader rr(readUpTo);
    t.readUpToOwner = rr.requireInt(QLatin1StringView("owner"));
    t.readUpToTeam = rr.requireInt(QLatin1StringView("team"));
    if (!rr.ok())
        return rr.error();
    auto u = User::fromJson(owner);
    if (auto *e = std::get_if<ProtocolError>(&u))
        return *e;
    t.owner = std::get<User>(u);
    if (last) {
        auto m = Message::fromJson(*last);
        if (auto *e = std::get_if<ProtocolError>(&m))
            return *e;
        t.lastMessage = std::get<Message>(m);
    }
    return t;
}

int codePointCount(const QString &text)
{
    int n = 0;
    const qsizetype size = text.size();
    for (qsizetype i = 0; i < size; ++i) {
        if (text.at(i).isHighSurrogate() && i + 1 < size && text.at(i + 1).isLowSurrogate())
            ++i;
        ++n;
    }
    return n;
}

Expected<QString> validateMessageText(const QString &text, int maxChars)
{
    QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return ProtocolError{ErrorCode::BadRequest, QStringLiteral("text is empty")};
    if (codePointCount(trimmed) > maxChars) {
        return ProtocolError{ErrorCode::TooLarge,
                             QStringLiteral("text is longer than %1 characters").arg(maxChars)};
    }
    return trimmed;
}

} // namespace dpichat
