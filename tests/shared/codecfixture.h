// Helpers and literal JSON fixtures shared by the codec suites (tst_codec_*.cpp).

// moc (Qt 6.4) mis-lexes an apostrophe inside a raw string literal: keep fixtures free of them.
#pragma once

#include "protocol/errors.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

// QCOMPARE prints both sides on failure; Qt 6.4 has no printer for JSON values.
namespace QTest {
template <>
inline char *toString(const QJsonObject &object)
{
    return qstrdup(QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
}

template <>
inline char *toString(const QJsonValue &value)
{
    if (value.isUndefined())
        return qstrdup("<undefined>");
    const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return qstrdup(wrapped.mid(1, wrapped.size() - 2).constData());
}
} // namespace QTest

inline QDateTime utc(int y, int mo, int d, int h, int mi, int s, int ms)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), Qt::UTC);
}

// Independent of errorCodeName(), so that the decode tests do not trust the code under test.
inline QString codeLabel(dpichat::ErrorCode code)
{
    using namespace Qt::StringLiterals;
    using dpichat::ErrorCode;
    switch (code) {
    case ErrorCode::BadRequest:
        return u"bad_request"_s;
    case ErrorCode::Unauthenticated:
        return u"unauthenticated"_s;
    case ErrorCode::AuthFailed:
        return u"auth_failed"_s;
    case ErrorCode::UnsupportedProtocol:
        return u"unsupported_protocol"_s;
    case ErrorCode::Forbidden:
        return u"forbidden"_s;
    case ErrorCode::NotFound:
        return u"not_found"_s;
    case ErrorCode::TooLarge:
        return u"too_large"_s;
    case ErrorCode::RateLimited:
        return u"rate_limited"_s;
    case ErrorCode::Internal:
        return u"internal"_s;
    }
    return u"?"_s;
}

inline QJsonObject parsed(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("fixture is not a JSON object: %s", json.constData());
    return doc.object();
}

inline QByteArray operator""_j(const char *s, std::size_t n)
{
    return QByteArray(s, qsizetype(n));
}

// Fixtures shared by several frames.
const QByteArray kAdmin
    = R"({"id":1,"name":"Ada Admin","email":"ada@example.com","role":"admin","online":true,"lastSeen":null})"_j;
const QByteArray kCustomer
    = R"({"id":42,"name":"Chloé Kunde","email":"chloe@example.com","role":"customer","online":false,"lastSeen":"2026-11-25T07:36:18.123Z"})"_j;
const QByteArray kMember
    = R"({"id":43,"name":"Max Member","email":"max@example.com","role":"member","online":true,"lastSeen":"2026-11-24T23:59:59.999Z"})"_j;
const QByteArray kMessage
    = R"({"id":1001,"thread":7,"sender":42,"senderName":"Chloé Kunde","clientId":"3f2b8c1e-5d4a-4e7b-9c2d-1a2b3c4d5e6f","text":"Hello, my parcel 🚚 has not arrived","createdAt":"2026-11-25T07:36:18.123Z"})"_j;
const QByteArray kReply
    = R"({"id":1002,"thread":7,"sender":1,"senderName":"Ada Admin","clientId":"a1","text":"Let me check.\nOne moment","createdAt":"2026-11-25T07:40:00.000Z"})"_j;
const QByteArray kThreadWithLast = R"({"id":7,"owner":)"_j + kCustomer + R"(,"lastMessage":)"_j
    + kMessage + R"(,"unread":2,"readUpTo":{"owner":1000,"team":1001}})"_j;
const QByteArray kThreadWithoutLast = R"({"id":8,"owner":)"_j + kMember
    + R"(,"lastMessage":null,"unread":0,"readUpTo":{"owner":0,"team":0}})"_j;

const QString kClientId = QStringLiteral("3f2b8c1e-5d4a-4e7b-9c2d-1a2b3c4d5e6f");
const QString kMessageText = QStringLiteral("Hello, my parcel 🚚 has not arrived");

const QJsonValue kNoId = QJsonValue(QJsonValue::Undefined);
