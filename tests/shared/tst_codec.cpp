// Tests of the shared protocol library against PROTOCOL.md: literal JSON fixtures for every
// frame type round-trip through decode and encode, every malformed frame gets the right error
// code, and the limits, text validation and time format follow the protocol.

// moc (Qt 6.4) mis-lexes an apostrophe inside a raw string literal: keep fixtures free of them.
#include "protocol/codec.h"
#include "protocol/errors.h"
#include "protocol/limits.h"
#include "protocol/types.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QTimeZone>
#include <initializer_list>
#include <type_traits>
#include <utility>

using namespace dpichat;
using namespace Qt::StringLiterals;

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

namespace {

/// Flattened view of a decoded struct: "user.name" -> value. Built from the struct's members,
/// not from toJson(), so a decoder and an encoder that are wrong the same way still fail.
using Fields = QVariantMap;

Fields F(std::initializer_list<std::pair<const char *, QVariant>> items)
{
    Fields f;
    for (const auto &[key, value] : items)
        f.insert(QString::fromLatin1(key), value);
    return f;
}

QDateTime utc(int y, int mo, int d, int h, int mi, int s, int ms)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s, ms), Qt::UTC);
}

QString roleLabel(Role role)
{
    switch (role) {
    case Role::Admin:
        return u"admin"_s;
    case Role::Customer:
        return u"customer"_s;
    case Role::Member:
        return u"member"_s;
    }
    return u"?"_s;
}

// Independent of errorCodeName(), so that the decode tests do not trust the code under test.
QString codeLabel(ErrorCode code)
{
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

QVariant optionalTime(const std::optional<QDateTime> &t)
{
    return t ? QVariant(*t) : QVariant();
}

void putUser(Fields &f, const QString &p, const User &u)
{
    f.insert(p + u"id"_s, u.id);
    f.insert(p + u"name"_s, u.name);
    f.insert(p + u"email"_s, u.email);
    f.insert(p + u"role"_s, roleLabel(u.role));
    f.insert(p + u"online"_s, u.online);
    f.insert(p + u"lastSeen"_s, optionalTime(u.lastSeen));
}

void putMessage(Fields &f, const QString &p, const Message &m)
{
    f.insert(p + u"id"_s, m.id);
    f.insert(p + u"thread"_s, m.thread);
    f.insert(p + u"sender"_s, m.sender);
    f.insert(p + u"senderName"_s, m.senderName);
    f.insert(p + u"clientId"_s, m.clientId);
    f.insert(p + u"text"_s, m.text);
    f.insert(p + u"createdAt"_s, m.createdAt);
}

void putMessages(Fields &f, const QString &p, const QList<Message> &messages)
{
    f.insert(p + u"count"_s, messages.size());
    for (qsizetype i = 0; i < messages.size(); ++i)
        putMessage(f, p + u"[%1]."_s.arg(i), messages.at(i));
}

void putThread(Fields &f, const QString &p, const Thread &t)
{
    f.insert(p + u"id"_s, t.id);
    putUser(f, p + u"owner."_s, t.owner);
    f.insert(p + u"hasLastMessage"_s, t.lastMessage.has_value());
    if (t.lastMessage)
        putMessage(f, p + u"lastMessage."_s, *t.lastMessage);
    f.insert(p + u"unread"_s, t.unread);
    f.insert(p + u"readUpTo.owner"_s, t.readUpToOwner);
    f.insert(p + u"readUpTo.team"_s, t.readUpToTeam);
}

Fields fieldsOf(const Request &request)
{
    Fields f;
    std::visit(
        [&f](const auto &r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, LoginRequest>) {
                f.insert(u"protocol"_s, r.protocol);
                f.insert(u"email"_s, r.email);
                f.insert(u"password"_s, r.password);
                f.insert(u"token"_s, r.token);
                f.insert(u"tokenLogin"_s, r.isTokenLogin());
            } else if constexpr (std::is_same_v<T, HistoryRequest>) {
                f.insert(u"thread"_s, r.thread);
                f.insert(u"before"_s, r.before ? QVariant(*r.before) : QVariant());
                f.insert(u"limit"_s, r.limit);
            } else if constexpr (std::is_same_v<T, SendRequest>) {
                f.insert(u"thread"_s, r.thread);
                f.insert(u"clientId"_s, r.clientId);
                f.insert(u"text"_s, r.text);
            } else if constexpr (std::is_same_v<T, ReadRequest>) {
                f.insert(u"thread"_s, r.thread);
                f.insert(u"upTo"_s, r.upTo);
            } else if constexpr (std::is_same_v<T, SyncRequest>) {
                f.insert(u"after"_s, r.after);
                f.insert(u"limit"_s, r.limit);
            } else if constexpr (std::is_same_v<T, TypingRequest>) {
                f.insert(u"thread"_s, r.thread);
                f.insert(u"active"_s, r.active);
            }
        },
        request);
    return f;
}

Fields fieldsOf(const ServerFrame &frame)
{
    Fields f;
    std::visit(
        [&f](const auto &s) {
            using T = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<T, WelcomeReply>) {
                f.insert(u"token"_s, s.token);
                putUser(f, u"user."_s, s.user);
                f.insert(u"limits.frameBytes"_s, s.frameBytes);
                f.insert(u"limits.textChars"_s, s.textChars);
                f.insert(u"server.version"_s, s.serverVersion);
            } else if constexpr (std::is_same_v<T, ThreadsReply>) {
                f.insert(u"threads.count"_s, s.threads.size());
                for (qsizetype i = 0; i < s.threads.size(); ++i)
                    putThread(f, u"threads[%1]."_s.arg(i), s.threads.at(i));
            } else if constexpr (std::is_same_v<T, HistoryReply>) {
                f.insert(u"thread"_s, s.thread);
                putMessages(f, u"messages."_s, s.messages);
                f.insert(u"hasMore"_s, s.hasMore);
            } else if constexpr (std::is_same_v<T, SyncReply>) {
                putMessages(f, u"messages."_s, s.messages);
                f.insert(u"hasMore"_s, s.hasMore);
            } else if constexpr (std::is_same_v<T, SentReply> || std::is_same_v<T, MessagePush>) {
                putMessage(f, u"message."_s, s.message);
            } else if constexpr (std::is_same_v<T, ErrorReply>) {
                f.insert(u"code"_s, codeLabel(s.code));
                f.insert(u"message"_s, s.message);
            } else if constexpr (std::is_same_v<T, ReadPush>) {
                f.insert(u"thread"_s, s.thread);
                f.insert(u"user"_s, s.user);
                f.insert(u"upTo"_s, s.upTo);
            } else if constexpr (std::is_same_v<T, TypingPush>) {
                f.insert(u"thread"_s, s.thread);
                f.insert(u"user"_s, s.user);
                f.insert(u"name"_s, s.name);
                f.insert(u"active"_s, s.active);
            } else if constexpr (std::is_same_v<T, PresencePush>) {
                f.insert(u"user"_s, s.user);
                f.insert(u"online"_s, s.online);
                f.insert(u"lastSeen"_s, optionalTime(s.lastSeen));
            } else if constexpr (std::is_same_v<T, ThreadPush>) {
                putThread(f, u"thread."_s, s.thread);
            }
        },
        frame);
    return f;
}

QString describe(const QVariant &v)
{
    if (!v.isValid())
        return u"<none>"_s;
    return QString::fromLatin1(v.typeName()) + u"("_s + v.toString() + u")"_s;
}

/// Every expected field must be present in the decoded struct with the same value.
void compareFields(const Fields &actual, const Fields &expected)
{
    for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
        QVERIFY2(actual.contains(it.key()),
            qPrintable(u"decoded struct has no field '%1'"_s.arg(it.key())));
        const QVariant got = actual.value(it.key());
        QVERIFY2(got == it.value(),
            qPrintable(u"field '%1': got %2, expected %3"_s.arg(
                it.key(), describe(got), describe(it.value()))));
    }
}

QJsonObject parsed(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("fixture is not a JSON object: %s", json.constData());
    return doc.object();
}

QByteArray operator""_j(const char *s, std::size_t n)
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

const QString kClientId = u"3f2b8c1e-5d4a-4e7b-9c2d-1a2b3c4d5e6f"_s;
const QString kMessageText = u"Hello, my parcel 🚚 has not arrived"_s;

const QJsonValue kNoId = QJsonValue(QJsonValue::Undefined);

} // namespace

class TestCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestRoundTrip_data();
    void requestRoundTrip();
    void serverFrameRoundTrip_data();
    void serverFrameRoundTrip();

    void requestErrors_data();
    void requestErrors();
    void serverFrameErrors_data();
    void serverFrameErrors();
    void requestIds_data();
    void requestIds();
    void unknownErrorCodeIsInternal();

    void historyLimit_data();
    void historyLimit();
    void syncLimit_data();
    void syncLimit();

    void validateMessageText_data();
    void validateMessageText();
    void codePointCount_data();
    void codePointCount();

    void errorCodeNames_data();
    void errorCodeNames();
    void unknownErrorCodeNames_data();
    void unknownErrorCodeNames();

    void formatTime_data();
    void formatTime();
    void parseTime_data();
    void parseTime();
};

void TestCodec::requestRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QJsonValue>("id");
    QTest::addColumn<Fields>("fields");

    QTest::newRow("login by password")
        << R"({"type":"login","id":1,"protocol":1,"email":"ada@example.com","password":"correct horse ⚡"})"_j
        << u"login"_s << QJsonValue(1)
        << F({{"protocol", 1}, {"email", u"ada@example.com"_s}, {"password", u"correct horse ⚡"_s},
               {"token", QString()}, {"tokenLogin", false}});
    QTest::newRow("login by token")
        << R"({"type":"login","id":"login-1","protocol":1,"token":"tok_9fA3"})"_j << u"login"_s
        << QJsonValue(u"login-1"_s)
        << F({{"protocol", 1}, {"token", u"tok_9fA3"_s}, {"tokenLogin", true}, {"email", QString()},
               {"password", QString()}});
    QTest::newRow("logout") << R"({"type":"logout","id":2})"_j << u"logout"_s << QJsonValue(2)
                            << Fields();
    QTest::newRow("threads") << R"({"type":"threads","id":3})"_j << u"threads"_s << QJsonValue(3)
                             << Fields();
    QTest::newRow("threads, string id")
        << R"({"type":"threads","id":"t"})"_j << u"threads"_s << QJsonValue(u"t"_s) << Fields();
    QTest::newRow("history, before null")
        << R"({"type":"history","id":4,"thread":7,"before":null,"limit":50})"_j << u"history"_s
        << QJsonValue(4) << F({{"thread", 7}, {"before", QVariant()}, {"limit", 50}});
    QTest::newRow("history, before a number")
        << R"({"type":"history","id":"h-4","thread":7,"before":1001,"limit":20})"_j << u"history"_s
        << QJsonValue(u"h-4"_s) << F({{"thread", 7}, {"before", 1001}, {"limit", 20}});
    QTest::newRow("send")
        << (R"({"type":"send","id":5,"thread":7,"clientId":"3f2b8c1e-5d4a-4e7b-9c2d-1a2b3c4d5e6f","text":"  Hello, my parcel 🚚 has not arrived\n"})"_j)
        << u"send"_s
        << QJsonValue(5)
        // The codec keeps the text as sent; trimming is validateMessageText()'s job.
        << F({{"thread", 7}, {"clientId", kClientId}, {"text", u"  "_s + kMessageText + u"\n"_s}});
    QTest::newRow("read") << R"({"type":"read","id":6,"thread":7,"upTo":1002})"_j << u"read"_s
                          << QJsonValue(6) << F({{"thread", 7}, {"upTo", 1002}});
    QTest::newRow("sync") << R"({"type":"sync","id":7,"after":998,"limit":500})"_j << u"sync"_s
                          << QJsonValue(7) << F({{"after", 998}, {"limit", 500}});
    QTest::newRow("sync from zero")
        << R"({"type":"sync","id":17,"after":0,"limit":100})"_j << u"sync"_s << QJsonValue(17)
        << F({{"after", 0}, {"limit", 100}});
    QTest::newRow("read, ids at 2^53-1")
        << R"({"type":"read","id":9,"thread":9007199254740991,"upTo":9007199254740990})"_j
        << u"read"_s << QJsonValue(9)
        << F({{"thread", qint64(9007199254740991)}, {"upTo", qint64(9007199254740990)}});
    QTest::newRow("typing, no id") << R"({"type":"typing","thread":7,"active":true})"_j
                                   << u"typing"_s << kNoId << F({{"thread", 7}, {"active", true}});
    QTest::newRow("typing stopped")
        << R"({"type":"typing","thread":7,"active":false})"_j << u"typing"_s << kNoId
        << F({{"thread", 7}, {"active", false}});
    QTest::newRow("ping") << R"({"type":"ping","id":8})"_j << u"ping"_s << QJsonValue(8)
                          << Fields();
    QTest::newRow("ping, id 0") << R"({"type":"ping","id":0})"_j << u"ping"_s << QJsonValue(0)
                                << Fields();
    QTest::newRow("ping, id 2^53-1") << R"({"type":"ping","id":9007199254740991})"_j << u"ping"_s
                                     << QJsonValue(qint64(9007199254740991)) << Fields();
    QTest::newRow("ping, id of 64 characters")
        << (R"({"type":"ping","id":")"_j + QByteArray(64, 'x') + R"("})"_j) << u"ping"_s
        << QJsonValue(QString(64, u'x')) << Fields();
    QTest::newRow("ping, empty string id")
        << R"({"type":"ping","id":""})"_j << u"ping"_s << QJsonValue(QString()) << Fields();
}

void TestCodec::requestRoundTrip()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, type);
    QFETCH(QJsonValue, id);
    QFETCH(Fields, fields);

    const auto decoded = decodeRequest(json);
    const auto *frame = std::get_if<RequestFrame>(&decoded);
    if (!frame)
        QFAIL(qPrintable(u"decode failed: "_s + std::get<RequestFailure>(decoded).error.message));

    QCOMPARE(QString(typeOf(frame->request)), type);
    QCOMPARE(frame->id, id);
    // An integer id must stay an integer and a string id a string: the reply echoes it.
    QCOMPARE(frame->id.type(), id.type());
    compareFields(fieldsOf(frame->request), fields);
    if (QTest::currentTestFailed())
        return;

    const QByteArray encoded = encodeRequest(frame->request, frame->id);
    QCOMPARE(parsed(encoded), parsed(json));
}

void TestCodec::serverFrameRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QJsonValue>("re");
    QTest::addColumn<Fields>("fields");

    const QDateTime created = utc(2026, 11, 25, 7, 36, 18, 123);

    QTest::newRow("welcome") << (R"({"type":"welcome","re":1,"token":"tok_9fA3","user":)"_j + kAdmin
        + R"(,"limits":{"frameBytes":65536,"textChars":4000},"server":{"version":"1.0.0"}})"_j)
                             << u"welcome"_s << QJsonValue(1)
                             << F({{"token", u"tok_9fA3"_s}, {"user.id", 1},
                                    {"user.name", u"Ada Admin"_s},
                                    {"user.email", u"ada@example.com"_s}, {"user.role", u"admin"_s},
                                    {"user.online", true}, {"user.lastSeen", QVariant()},
                                    {"limits.frameBytes", 65536}, {"limits.textChars", 4000},
                                    {"server.version", u"1.0.0"_s}});
    QTest::newRow("welcome, customer, string re")
        << (R"({"type":"welcome","re":"login-1","token":"t","user":)"_j + kCustomer
               + R"(,"limits":{"frameBytes":1024,"textChars":10},"server":{"version":"2.3.4-rc1"}})"_j)
        << u"welcome"_s << QJsonValue(u"login-1"_s)
        << F({{"user.id", 42}, {"user.name", u"Chloé Kunde"_s}, {"user.role", u"customer"_s},
               {"user.online", false}, {"user.lastSeen", created}, {"limits.frameBytes", 1024},
               {"limits.textChars", 10}, {"server.version", u"2.3.4-rc1"_s}});
    QTest::newRow("ok") << R"({"type":"ok","re":2})"_j << u"ok"_s << QJsonValue(2) << Fields();
    QTest::newRow("ok, string re")
        << R"({"type":"ok","re":"r-6"})"_j << u"ok"_s << QJsonValue(u"r-6"_s) << Fields();
    QTest::newRow("threads, with and without lastMessage")
        << (R"({"type":"threads","re":3,"threads":[)"_j + kThreadWithLast + ","_j
               + kThreadWithoutLast + "]}"_j)
        << u"threads"_s << QJsonValue(3)
        << F({{"threads.count", 2}, {"threads[0].id", 7}, {"threads[0].owner.id", 42},
               {"threads[0].owner.role", u"customer"_s}, {"threads[0].owner.lastSeen", created},
               {"threads[0].hasLastMessage", true}, {"threads[0].lastMessage.id", 1001},
               {"threads[0].lastMessage.thread", 7}, {"threads[0].lastMessage.sender", 42},
               {"threads[0].lastMessage.senderName", u"Chloé Kunde"_s},
               {"threads[0].lastMessage.clientId", kClientId},
               {"threads[0].lastMessage.text", kMessageText},
               {"threads[0].lastMessage.createdAt", created}, {"threads[0].unread", 2},
               {"threads[0].readUpTo.owner", 1000}, {"threads[0].readUpTo.team", 1001},
               {"threads[1].id", 8}, {"threads[1].owner.name", u"Max Member"_s},
               {"threads[1].owner.role", u"member"_s},
               {"threads[1].owner.lastSeen", utc(2026, 11, 24, 23, 59, 59, 999)},
               {"threads[1].hasLastMessage", false}, {"threads[1].unread", 0},
               {"threads[1].readUpTo.owner", 0}, {"threads[1].readUpTo.team", 0}});
    QTest::newRow("threads, empty") << R"({"type":"threads","re":33,"threads":[]})"_j
                                    << u"threads"_s << QJsonValue(33) << F({{"threads.count", 0}});
    QTest::newRow("history") << (R"({"type":"history","re":4,"thread":7,"messages":[)"_j + kMessage
        + ","_j + kReply + R"(],"hasMore":true})"_j)
                             << u"history"_s << QJsonValue(4)
                             << F({{"thread", 7}, {"messages.count", 2}, {"messages.[0].id", 1001},
                                    {"messages.[0].text", kMessageText}, {"messages.[1].id", 1002},
                                    {"messages.[1].sender", 1},
                                    {"messages.[1].senderName", u"Ada Admin"_s},
                                    {"messages.[1].clientId", u"a1"_s},
                                    {"messages.[1].text", u"Let me check.\nOne moment"_s},
                                    {"messages.[1].createdAt", utc(2026, 11, 25, 7, 40, 0, 0)},
                                    {"hasMore", true}});
    QTest::newRow("history, empty page")
        << R"({"type":"history","re":"h","thread":9,"messages":[],"hasMore":false})"_j
        << u"history"_s << QJsonValue(u"h"_s)
        << F({{"thread", 9}, {"messages.count", 0}, {"hasMore", false}});
    QTest::newRow("sent") << (R"({"type":"sent","re":5,"message":)"_j + kMessage + "}"_j)
                          << u"sent"_s << QJsonValue(5)
                          << F({{"message.id", 1001}, {"message.thread", 7}, {"message.sender", 42},
                                 {"message.clientId", kClientId}, {"message.text", kMessageText},
                                 {"message.createdAt", created}});
    QTest::newRow("sync")
        << (R"({"type":"sync","re":7,"messages":[)"_j + kReply + R"(],"hasMore":false})"_j)
        << u"sync"_s << QJsonValue(7)
        << F({{"messages.count", 1}, {"messages.[0].id", 1002}, {"hasMore", false}});
    QTest::newRow("pong") << R"({"type":"pong","re":8})"_j << u"pong"_s << QJsonValue(8)
                          << Fields();
    QTest::newRow("pong, string re")
        << R"({"type":"pong","re":"p-8"})"_j << u"pong"_s << QJsonValue(u"p-8"_s) << Fields();
    QTest::newRow("error")
        << R"({"type":"error","re":9,"code":"forbidden","message":"not your thread"})"_j
        << u"error"_s << QJsonValue(9)
        << F({{"code", u"forbidden"_s}, {"message", u"not your thread"_s}});
    QTest::newRow("error, string re")
        << R"({"type":"error","re":"x","code":"rate_limited","message":"slow down"})"_j
        << u"error"_s << QJsonValue(u"x"_s)
        << F({{"code", u"rate_limited"_s}, {"message", u"slow down"_s}});
    QTest::newRow("error, no re")
        << R"({"type":"error","code":"bad_request","message":"frame is not valid JSON"})"_j
        << u"error"_s << kNoId
        << F({{"code", u"bad_request"_s}, {"message", u"frame is not valid JSON"_s}});
    QTest::newRow("message push") << (R"({"type":"message","message":)"_j + kReply + "}"_j)
                                  << u"message"_s << kNoId
                                  << F({{"message.id", 1002}, {"message.thread", 7},
                                         {"message.sender", 1},
                                         {"message.senderName", u"Ada Admin"_s}});
    QTest::newRow("read push") << R"({"type":"read","thread":7,"user":1,"upTo":1001})"_j
                               << u"read"_s << kNoId
                               << F({{"thread", 7}, {"user", 1}, {"upTo", 1001}});
    QTest::newRow("typing push")
        << R"({"type":"typing","thread":7,"user":42,"name":"Chloé Kunde","active":true})"_j
        << u"typing"_s << kNoId
        << F({{"thread", 7}, {"user", 42}, {"name", u"Chloé Kunde"_s}, {"active", true}});
    QTest::newRow("presence, lastSeen null")
        << R"({"type":"presence","user":1,"online":true,"lastSeen":null})"_j << u"presence"_s
        << kNoId << F({{"user", 1}, {"online", true}, {"lastSeen", QVariant()}});
    QTest::newRow("presence, lastSeen a time")
        << R"({"type":"presence","user":42,"online":false,"lastSeen":"2026-11-25T07:36:18.123Z"})"_j
        << u"presence"_s << kNoId << F({{"user", 42}, {"online", false}, {"lastSeen", created}});
    QTest::newRow("thread push") << (R"({"type":"thread","thread":)"_j + kThreadWithoutLast + "}"_j)
                                 << u"thread"_s << kNoId
                                 << F({{"thread.id", 8}, {"thread.owner.id", 43},
                                        {"thread.owner.email", u"max@example.com"_s},
                                        {"thread.hasLastMessage", false}, {"thread.unread", 0}});
}

void TestCodec::serverFrameRoundTrip()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, type);
    QFETCH(QJsonValue, re);
    QFETCH(Fields, fields);

    const auto decoded = decodeServerFrame(json);
    if (const auto *e = std::get_if<ProtocolError>(&decoded))
        QFAIL(qPrintable(u"decode failed: "_s + e->message));
    const ServerFrameEnvelope &envelope = std::get<ServerFrameEnvelope>(decoded);

    QCOMPARE(QString(typeOf(envelope.frame)), type);
    QCOMPARE(envelope.re, re);
    QCOMPARE(envelope.re.type(), re.type());
    compareFields(fieldsOf(envelope.frame), fields);
    if (QTest::currentTestFailed())
        return;

    const QByteArray encoded = encodeServerFrame(envelope.frame, envelope.re);
    QCOMPARE(parsed(encoded), parsed(json));
}

void TestCodec::requestErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QJsonValue>("id"); // the id the error reply must carry as `re`

    const QString bad = u"bad_request"_s;
    const QByteArray longId = QByteArray(65, 'i');
    const QByteArray longClientId = QByteArray(65, 'c');

    // Not a JSON object at all: no id can be recovered.
    QTest::newRow("not JSON") << "hello"_j << bad << kNoId;
    QTest::newRow("truncated JSON") << R"({"type":"ping","id":1)"_j << bad << kNoId;
    QTest::newRow("empty frame") << QByteArray() << bad << kNoId;
    QTest::newRow("trailing garbage") << R"({"type":"ping","id":1} x)"_j << bad << kNoId;
    QTest::newRow("JSON array") << R"([{"type":"ping","id":1}])"_j << bad << kNoId;
    QTest::newRow("JSON string") << R"("ping")"_j << bad << kNoId;
    QTest::newRow("JSON number") << "42"_j << bad << kNoId;

    // The frame is an object with a valid id: the failure carries it.
    QTest::newRow("missing type") << R"({"id":1})"_j << bad << QJsonValue(1);
    QTest::newRow("type null") << R"({"type":null,"id":2})"_j << bad << QJsonValue(2);
    QTest::newRow("type a number") << R"({"type":1,"id":"s"})"_j << bad << QJsonValue(u"s"_s);
    QTest::newRow("unknown type") << R"({"type":"shout","id":3})"_j << bad << QJsonValue(3);
    QTest::newRow("type in upper case") << R"({"type":"PING","id":4})"_j << bad << QJsonValue(4);
    QTest::newRow("server frame type as request")
        << R"({"type":"welcome","id":5})"_j << bad << QJsonValue(5);
    QTest::newRow("empty type") << R"({"type":"","id":"e"})"_j << bad << QJsonValue(u"e"_s);

    // Missing required fields.
    QTest::newRow("login without protocol")
        << R"({"type":"login","id":10,"email":"a@b.c","password":"p"})"_j << bad << QJsonValue(10);
    QTest::newRow("login without password")
        << R"({"type":"login","id":11,"protocol":1,"email":"a@b.c"})"_j << bad << QJsonValue(11);
    QTest::newRow("login without email")
        << R"({"type":"login","id":12,"protocol":1,"password":"p"})"_j << bad << QJsonValue(12);
    QTest::newRow("login without credentials")
        << R"({"type":"login","id":13,"protocol":1})"_j << bad << QJsonValue(13);
    QTest::newRow("history without thread")
        << R"({"type":"history","id":14,"before":null,"limit":5})"_j << bad << QJsonValue(14);
    QTest::newRow("history thread null")
        << R"({"type":"history","id":15,"thread":null})"_j << bad << QJsonValue(15);
    QTest::newRow("send without text")
        << R"({"type":"send","id":16,"thread":7,"clientId":"c1"})"_j << bad << QJsonValue(16);
    QTest::newRow("send without clientId")
        << R"({"type":"send","id":17,"thread":7,"text":"hi"})"_j << bad << QJsonValue(17);
    QTest::newRow("send without thread")
        << R"({"type":"send","id":18,"clientId":"c1","text":"hi"})"_j << bad << QJsonValue(18);
    QTest::newRow("read without upTo")
        << R"({"type":"read","id":19,"thread":7})"_j << bad << QJsonValue(19);
    QTest::newRow("read without thread")
        << R"({"type":"read","id":20,"upTo":7})"_j << bad << QJsonValue(20);
    QTest::newRow("sync without after")
        << R"({"type":"sync","id":21,"limit":10})"_j << bad << QJsonValue(21);
    QTest::newRow("typing without active")
        << R"({"type":"typing","id":22,"thread":7})"_j << bad << QJsonValue(22);
    QTest::newRow("typing without thread")
        << R"({"type":"typing","active":true})"_j << bad << kNoId;

    // Wrongly typed fields.
    QTest::newRow("string for int (thread)")
        << R"({"type":"read","id":30,"thread":"7","upTo":1})"_j << bad << QJsonValue(30);
    QTest::newRow("string for int (protocol)")
        << R"({"type":"login","id":31,"protocol":"1","token":"t"})"_j << bad << QJsonValue(31);
    QTest::newRow("string for int (before)")
        << R"({"type":"history","id":32,"thread":7,"before":"10"})"_j << bad << QJsonValue(32);
    QTest::newRow("string for int (limit)")
        << R"({"type":"sync","id":33,"after":0,"limit":"50"})"_j << bad << QJsonValue(33);
    QTest::newRow("bool for int (upTo)")
        << R"({"type":"read","id":34,"thread":7,"upTo":true})"_j << bad << QJsonValue(34);
    QTest::newRow("number for bool (active 1)")
        << R"({"type":"typing","id":35,"thread":7,"active":1})"_j << bad << QJsonValue(35);
    QTest::newRow("number for bool (active 0)")
        << R"({"type":"typing","id":36,"thread":7,"active":0})"_j << bad << QJsonValue(36);
    QTest::newRow("string for bool (active)")
        << R"({"type":"typing","id":37,"thread":7,"active":"true"})"_j << bad << QJsonValue(37);
    QTest::newRow("float for int (thread 1.5)")
        << R"({"type":"history","id":38,"thread":1.5})"_j << bad << QJsonValue(38);
    QTest::newRow("float for int (upTo 0.1)")
        << R"({"type":"read","id":39,"thread":7,"upTo":0.1})"_j << bad << QJsonValue(39);
    QTest::newRow("float for int (limit 2.5)")
        << R"({"type":"history","id":40,"thread":7,"limit":2.5})"_j << bad << QJsonValue(40);
    QTest::newRow("integer beyond 2^53 (2^53+1)")
        << R"({"type":"read","id":41,"thread":9007199254740993,"upTo":1})"_j << bad
        << QJsonValue(41);
    QTest::newRow("integer beyond 2^53 (2^60)")
        << R"({"type":"sync","id":42,"after":1152921504606846976})"_j << bad << QJsonValue(42);
    QTest::newRow("integer beyond 2^53 (1e300)")
        << R"({"type":"read","id":43,"thread":7,"upTo":1e300})"_j << bad << QJsonValue(43);
    QTest::newRow("number for string (text)")
        << R"({"type":"send","id":44,"thread":7,"clientId":"c1","text":5})"_j << bad
        << QJsonValue(44);
    QTest::newRow("number for string (clientId)")
        << R"({"type":"send","id":45,"thread":7,"clientId":1,"text":"hi"})"_j << bad
        << QJsonValue(45);
    QTest::newRow("array for string (email)")
        << R"({"type":"login","id":46,"protocol":1,"email":["a@b.c"],"password":"p"})"_j << bad
        << QJsonValue(46);
    QTest::newRow("number for string (token)")
        << R"({"type":"login","id":47,"protocol":1,"token":12345})"_j << bad << QJsonValue(47);
    QTest::newRow("object for int (thread)")
        << R"({"type":"typing","id":48,"thread":{"id":7},"active":true})"_j << bad
        << QJsonValue(48);

    // Bad ids: the failure cannot carry them back.
    QTest::newRow("id of 65 characters")
        << (R"({"type":"ping","id":")"_j + longId + R"("})"_j) << bad << kNoId;
    QTest::newRow("id a bool") << R"({"type":"ping","id":true})"_j << bad << kNoId;
    QTest::newRow("id an object") << R"({"type":"ping","id":{"n":1}})"_j << bad << kNoId;
    QTest::newRow("id an array") << R"({"type":"ping","id":[1]})"_j << bad << kNoId;
    QTest::newRow("id a float") << R"({"type":"ping","id":1.5})"_j << bad << kNoId;
    QTest::newRow("id beyond 2^53") << R"({"type":"ping","id":9007199254740993})"_j << bad << kNoId;
    QTest::newRow("bad id and unknown type") << R"({"type":"shout","id":false})"_j << bad << kNoId;

    // Negative ids of threads and messages.
    QTest::newRow("history, negative thread")
        << R"({"type":"history","id":50,"thread":-1})"_j << bad << QJsonValue(50);
    QTest::newRow("history, negative before")
        << R"({"type":"history","id":51,"thread":7,"before":-5})"_j << bad << QJsonValue(51);
    QTest::newRow("send, negative thread")
        << R"({"type":"send","id":52,"thread":-7,"clientId":"c1","text":"hi"})"_j << bad
        << QJsonValue(52);
    QTest::newRow("read, negative thread")
        << R"({"type":"read","id":53,"thread":-7,"upTo":1})"_j << bad << QJsonValue(53);
    QTest::newRow("read, negative upTo")
        << R"({"type":"read","id":54,"thread":7,"upTo":-1})"_j << bad << QJsonValue(54);
    QTest::newRow("sync, negative after")
        << R"({"type":"sync","id":55,"after":-1})"_j << bad << QJsonValue(55);
    QTest::newRow("typing, negative thread")
        << R"({"type":"typing","id":56,"thread":-2,"active":true})"_j << bad << QJsonValue(56);

    // Limits.
    QTest::newRow("history, limit 0")
        << R"({"type":"history","id":60,"thread":7,"limit":0})"_j << bad << QJsonValue(60);
    QTest::newRow("history, negative limit")
        << R"({"type":"history","id":61,"thread":7,"limit":-50})"_j << bad << QJsonValue(61);
    QTest::newRow("sync, limit 0")
        << R"({"type":"sync","id":62,"after":0,"limit":0})"_j << bad << QJsonValue(62);
    QTest::newRow("sync, negative limit")
        << R"({"type":"sync","id":63,"after":0,"limit":-1})"_j << bad << QJsonValue(63);

    // clientId.
    QTest::newRow("clientId empty")
        << R"({"type":"send","id":70,"thread":7,"clientId":"","text":"hi"})"_j << bad
        << QJsonValue(70);
    QTest::newRow("clientId blank")
        << R"({"type":"send","id":71,"thread":7,"clientId":"   ","text":"hi"})"_j << bad
        << QJsonValue(71);
    QTest::newRow("clientId of 65 characters")
        << (R"({"type":"send","id":72,"thread":7,"clientId":")"_j + longClientId
               + R"(","text":"hi"})"_j)
        << bad << QJsonValue(72);

    // Login credentials.
    QTest::newRow("login, empty token")
        << R"({"type":"login","id":80,"protocol":1,"token":""})"_j << bad << QJsonValue(80);
    QTest::newRow("login, token too long") << (R"({"type":"login","id":81,"protocol":1,"token":")"_j
        + QByteArray(129, 't') + R"("})"_j) << bad
                                           << QJsonValue(81);
    QTest::newRow("login, email too long") << (R"({"type":"login","id":82,"protocol":1,"email":")"_j
        + QByteArray(250, 'e') + R"(@b.cd","password":"p"})"_j)
                                           << bad << QJsonValue(82);
}

void TestCodec::requestErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, code);
    QFETCH(QJsonValue, id);

    const auto decoded = decodeRequest(json);
    const auto *failure = std::get_if<RequestFailure>(&decoded);
    QVERIFY2(failure, "a malformed request was accepted");
    QCOMPARE(codeLabel(failure->error.code), code);
    QVERIFY(!failure->error.message.isEmpty());
    QCOMPARE(failure->id, id);
    QCOMPARE(failure->id.type(), id.type());

    // The server answers with exactly this frame.
    QJsonObject reply{
        {u"type"_s, u"error"_s}, {u"code"_s, code}, {u"message"_s, failure->error.message}};
    if (!id.isUndefined())
        reply.insert(u"re"_s, id);
    QCOMPARE(parsed(encodeError(failure->error.code, failure->error.message, failure->id)), reply);
}

void TestCodec::serverFrameErrors_data()
{
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("not JSON") << "{type: ok}"_j;
    QTest::newRow("JSON array") << R"([{"type":"ok"}])"_j;
    QTest::newRow("missing type") << R"({"re":1})"_j;
    QTest::newRow("unknown type") << R"({"type":"login","re":1})"_j;
    QTest::newRow("welcome without user")
        << R"({"type":"welcome","re":1,"token":"t","limits":{"frameBytes":1,"textChars":1},"server":{"version":"1"}})"_j;
    QTest::newRow("welcome, textChars a string")
        << (R"({"type":"welcome","re":1,"token":"t","user":)"_j + kAdmin
               + R"(,"limits":{"frameBytes":1,"textChars":"1"},"server":{"version":"1"}})"_j);
    QTest::newRow("welcome, unknown role")
        << R"({"type":"welcome","token":"t","user":{"id":1,"name":"n","email":"e","role":"root","online":true,"lastSeen":null},"limits":{"frameBytes":1,"textChars":1},"server":{"version":"1"}})"_j;
    QTest::newRow("thread, owner online a number")
        << R"({"type":"thread","thread":{"id":8,"owner":{"id":1,"name":"n","email":"e","role":"member","online":1,"lastSeen":null},"lastMessage":null,"unread":0,"readUpTo":{"owner":0,"team":0}}})"_j;
    QTest::newRow("thread, readUpTo without team")
        << R"({"type":"thread","thread":{"id":8,"owner":)"_j + kMember
            + R"(,"lastMessage":null,"unread":0,"readUpTo":{"owner":0}}})"_j;
    QTest::newRow("message, createdAt not a time")
        << R"({"type":"message","message":{"id":1,"thread":7,"sender":1,"senderName":"n","clientId":"c","text":"t","createdAt":"yesterday"}})"_j;
    QTest::newRow("message, id 1.5")
        << R"({"type":"message","message":{"id":1.5,"thread":7,"sender":1,"senderName":"n","clientId":"c","text":"t","createdAt":"2026-11-25T07:36:18.123Z"}})"_j;
    QTest::newRow("message, id beyond 2^53")
        << R"({"type":"sent","re":1,"message":{"id":9007199254740993,"thread":7,"sender":1,"senderName":"n","clientId":"c","text":"t","createdAt":"2026-11-25T07:36:18.123Z"}})"_j;
    QTest::newRow("message, text missing")
        << R"({"type":"sent","re":1,"message":{"id":1,"thread":7,"sender":1,"senderName":"n","clientId":"c","createdAt":"2026-11-25T07:36:18.123Z"}})"_j;
    QTest::newRow("threads not an array") << R"({"type":"threads","re":3,"threads":{}})"_j;
    QTest::newRow("threads item not an object") << R"({"type":"threads","re":3,"threads":[7]})"_j;
    QTest::newRow("history without hasMore")
        << R"({"type":"history","re":4,"thread":7,"messages":[]})"_j;
    QTest::newRow("sync, hasMore a string")
        << R"({"type":"sync","re":4,"messages":[],"hasMore":"no"})"_j;
    QTest::newRow("presence, lastSeen a number")
        << R"({"type":"presence","user":1,"online":false,"lastSeen":1700000000})"_j;
    QTest::newRow("presence, lastSeen not a time")
        << R"({"type":"presence","user":1,"online":false,"lastSeen":"never"})"_j;
    QTest::newRow("read push, upTo a string")
        << R"({"type":"read","thread":7,"user":1,"upTo":"9"})"_j;
    QTest::newRow("typing push, active 1")
        << R"({"type":"typing","thread":7,"user":1,"name":"n","active":1})"_j;
    QTest::newRow("error without code") << R"({"type":"error","re":1,"message":"m"})"_j;
}

void TestCodec::serverFrameErrors()
{
    QFETCH(QByteArray, json);

    const auto decoded = decodeServerFrame(json);
    const auto *error = std::get_if<ProtocolError>(&decoded);
    QVERIFY2(error, "a malformed server frame was accepted");
    QCOMPARE(codeLabel(error->code), u"bad_request"_s);
    QVERIFY(!error->message.isEmpty());
}

void TestCodec::requestIds_data()
{
    QTest::addColumn<QJsonValue>("id");
    QTest::addColumn<bool>("valid");

    QTest::newRow("0") << QJsonValue(0) << true;
    QTest::newRow("1") << QJsonValue(1) << true;
    QTest::newRow("2^53-1") << QJsonValue(qint64(9007199254740991)) << true;
    QTest::newRow("-2^53+1") << QJsonValue(qint64(-9007199254740991)) << true;
    // 2^53 itself is refused too: as a double it cannot be told apart from 2^53 + 1.
    QTest::newRow("2^53") << QJsonValue(qint64(9007199254740992)) << false;
    QTest::newRow("2^53+1") << QJsonValue(qint64(9007199254740993)) << false;
    QTest::newRow("2^62") << QJsonValue(qint64(1) << 62) << false;
    QTest::newRow("1.5") << QJsonValue(1.5) << false;
    QTest::newRow("NaN") << QJsonValue(qQNaN()) << false;
    QTest::newRow("empty string") << QJsonValue(QString()) << true;
    QTest::newRow("64 characters") << QJsonValue(QString(64, u'a')) << true;
    QTest::newRow("65 characters") << QJsonValue(QString(65, u'a')) << false;
    QTest::newRow("true") << QJsonValue(true) << false;
    QTest::newRow("false") << QJsonValue(false) << false;
    QTest::newRow("object") << QJsonValue(QJsonObject{{u"n"_s, 1}}) << false;
    QTest::newRow("array") << QJsonValue(QJsonArray{1}) << false;
    QTest::newRow("null") << QJsonValue(QJsonValue::Null) << false;
}

void TestCodec::requestIds()
{
    QFETCH(QJsonValue, id);
    QFETCH(bool, valid);

    QCOMPARE(isValidRequestId(id), valid);

    QJsonObject frame{{u"type"_s, u"ping"_s}, {u"id"_s, id}};
    const auto decoded = decodeRequest(frame);
    QCOMPARE(std::holds_alternative<RequestFrame>(decoded), valid);
    if (valid)
        QCOMPARE(std::get<RequestFrame>(decoded).id, id);
}

void TestCodec::unknownErrorCodeIsInternal()
{
    // A code from a newer server is still an error the client must show.
    const auto decoded
        = decodeServerFrame(R"({"type":"error","re":3,"code":"quota_exceeded","message":"m"})"_j);
    QVERIFY(!hasError(decoded));
    const auto &envelope = std::get<ServerFrameEnvelope>(decoded);
    const auto *error = std::get_if<ErrorReply>(&envelope.frame);
    QVERIFY(error);
    QCOMPARE(codeLabel(error->code), u"internal"_s);
    QCOMPARE(error->message, u"m"_s);
    QCOMPARE(envelope.re, QJsonValue(3));
}

void TestCodec::historyLimit_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("limit");

    QCOMPARE(limits::kHistoryDefaultLimit, 50);
    QCOMPARE(limits::kHistoryMaxLimit, 200);

    QTest::newRow("absent: default 50") << R"({"type":"history","thread":7})"_j << 50;
    QTest::newRow("null: default 50") << R"({"type":"history","thread":7,"limit":null})"_j << 50;
    QTest::newRow("1") << R"({"type":"history","thread":7,"limit":1})"_j << 1;
    QTest::newRow("50") << R"({"type":"history","thread":7,"limit":50})"_j << 50;
    QTest::newRow("199") << R"({"type":"history","thread":7,"limit":199})"_j << 199;
    QTest::newRow("200") << R"({"type":"history","thread":7,"limit":200})"_j << 200;
    QTest::newRow("201: capped") << R"({"type":"history","thread":7,"limit":201})"_j << 200;
    QTest::newRow("10^6: capped") << R"({"type":"history","thread":7,"limit":1000000})"_j << 200;
    QTest::newRow("2^32+1: capped, no int overflow")
        << R"({"type":"history","thread":7,"limit":4294967297})"_j << 200;
    QTest::newRow("2^53-1: capped")
        << R"({"type":"history","thread":7,"limit":9007199254740991})"_j << 200;
}

void TestCodec::historyLimit()
{
    QFETCH(QByteArray, json);
    QFETCH(int, limit);

    const auto decoded = decodeRequest(json);
    const auto *frame = std::get_if<RequestFrame>(&decoded);
    QVERIFY(frame);
    const auto *history = std::get_if<HistoryRequest>(&frame->request);
    QVERIFY(history);
    QCOMPARE(history->limit, limit);
    QCOMPARE(history->thread, 7);
    QVERIFY(!history->before);
}

void TestCodec::syncLimit_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("limit");

    QCOMPARE(limits::kSyncMaxLimit, 500);

    QTest::newRow("absent: 500") << R"({"type":"sync","after":3})"_j << 500;
    QTest::newRow("1") << R"({"type":"sync","after":3,"limit":1})"_j << 1;
    QTest::newRow("499") << R"({"type":"sync","after":3,"limit":499})"_j << 499;
    QTest::newRow("500") << R"({"type":"sync","after":3,"limit":500})"_j << 500;
    QTest::newRow("501: capped") << R"({"type":"sync","after":3,"limit":501})"_j << 500;
    QTest::newRow("10^9: capped") << R"({"type":"sync","after":3,"limit":1000000000})"_j << 500;
    QTest::newRow("2^32+1: capped") << R"({"type":"sync","after":3,"limit":4294967297})"_j << 500;
}

void TestCodec::syncLimit()
{
    QFETCH(QByteArray, json);
    QFETCH(int, limit);

    const auto decoded = decodeRequest(json);
    const auto *frame = std::get_if<RequestFrame>(&decoded);
    QVERIFY(frame);
    const auto *sync = std::get_if<SyncRequest>(&frame->request);
    QVERIFY(sync);
    QCOMPARE(sync->limit, limit);
    QCOMPARE(sync->after, 3);
}

void TestCodec::validateMessageText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("code"); // empty when valid
    QTest::addColumn<QString>("expected"); // the trimmed text when valid
    QTest::addColumn<qsizetype>("expectedUtf16Size");

    QCOMPARE(limits::kTextChars, 4000);

    const QString emoji = u"😀"_s; // U+1F600: one code point, two UTF-16 units
    QCOMPARE(emoji.size(), 2);
    const QString a4000(4000, u'a');
    const QString emoji4000 = emoji.repeated(4000);
    const QString combining2000 = u"e\u0301"_s.repeated(2000); // 4000 code points, 2000 letters

    QTest::newRow("plain") << u"hello"_s << QString() << u"hello"_s << qsizetype(5);
    QTest::newRow("trims both ends") << u"  hello  "_s << QString() << u"hello"_s << qsizetype(5);
    QTest::newRow("trims tabs and newlines")
        << u"\n\t hi there \r\n"_s << QString() << u"hi there"_s << qsizetype(8);
    QTest::newRow("keeps inner white space")
        << u" a \n\n b "_s << QString() << u"a \n\n b"_s << qsizetype(6);
    QTest::newRow("empty") << QString() << u"bad_request"_s << QString() << qsizetype(0);
    QTest::newRow("spaces only") << u"    "_s << u"bad_request"_s << QString() << qsizetype(0);
    QTest::newRow("white space only")
        << u" \t\r\n\v\f "_s << u"bad_request"_s << QString() << qsizetype(0);
    QTest::newRow("Unicode spaces only (NBSP, ideographic)")
        << u"\u00a0\u3000\u2003"_s << u"bad_request"_s << QString() << qsizetype(0);
    QTest::newRow("4000 code points") << a4000 << QString() << a4000 << qsizetype(4000);
    QTest::newRow("4001 code points")
        << (a4000 + u'a') << u"too_large"_s << QString() << qsizetype(0);
    QTest::newRow("4000 code points after trimming")
        << (u"   \n"_s + a4000 + u"\t  "_s) << QString() << a4000 << qsizetype(4000);
    QTest::newRow("4000 emoji") << emoji4000 << QString() << emoji4000 << qsizetype(8000);
    QTest::newRow("4001 emoji") << (emoji4000 + emoji) << u"too_large"_s << QString()
                                << qsizetype(0);
    QTest::newRow("3999 letters + 1 emoji") << (QString(3999, u'a') + emoji) << QString()
                                            << (QString(3999, u'a') + emoji) << qsizetype(4001);
    QTest::newRow("4000 letters + 1 emoji")
        << (a4000 + emoji) << u"too_large"_s << QString() << qsizetype(0);
    QTest::newRow("combining marks, 4000 code points")
        << combining2000 << QString() << combining2000 << qsizetype(4000);
    QTest::newRow("combining marks, 4002 code points in 2001 letters")
        << (combining2000 + u"e\u0301"_s) << u"too_large"_s << QString() << qsizetype(0);
}

void TestCodec::validateMessageText()
{
    QFETCH(QString, text);
    QFETCH(QString, code);
    QFETCH(QString, expected);
    QFETCH(qsizetype, expectedUtf16Size);

    const auto result = dpichat::validateMessageText(text, limits::kTextChars);
    if (code.isEmpty()) {
        if (const auto *e = std::get_if<ProtocolError>(&result))
            QFAIL(qPrintable(u"rejected: "_s + e->message));
        QCOMPARE(std::get<QString>(result), expected);
        QCOMPARE(std::get<QString>(result).size(), expectedUtf16Size);
    } else {
        const auto *e = std::get_if<ProtocolError>(&result);
        QVERIFY2(e, "accepted");
        QCOMPARE(codeLabel(e->code), code);
        QVERIFY(!e->message.isEmpty());
    }
}

void TestCodec::codePointCount_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("count");

    QTest::newRow("empty") << QString() << 0;
    QTest::newRow("ASCII") << u"abc"_s << 3;
    QTest::newRow("Latin-1") << u"Chloé"_s << 5;
    QTest::newRow("CJK") << u"你好"_s << 2;
    QTest::newRow("emoji (surrogate pair)") << u"😀"_s << 1;
    QTest::newRow("combining acute") << u"e\u0301"_s << 2;
    QTest::newRow("flag: two regional indicators") << u"🇫🇷"_s << 2;
    QTest::newRow("ZWJ family") << u"👨\u200d👩\u200d👧"_s << 5;
    QTest::newRow("mixed") << u"a😀b"_s << 3;
}

void TestCodec::codePointCount()
{
    QFETCH(QString, text);
    QFETCH(int, count);
    QCOMPARE(dpichat::codePointCount(text), count);
}

void TestCodec::errorCodeNames_data()
{
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("name");

    QTest::newRow("bad_request") << ErrorCode::BadRequest << u"bad_request"_s;
    QTest::newRow("unauthenticated") << ErrorCode::Unauthenticated << u"unauthenticated"_s;
    QTest::newRow("auth_failed") << ErrorCode::AuthFailed << u"auth_failed"_s;
    QTest::newRow("unsupported_protocol")
        << ErrorCode::UnsupportedProtocol << u"unsupported_protocol"_s;
    QTest::newRow("forbidden") << ErrorCode::Forbidden << u"forbidden"_s;
    QTest::newRow("not_found") << ErrorCode::NotFound << u"not_found"_s;
    QTest::newRow("too_large") << ErrorCode::TooLarge << u"too_large"_s;
    QTest::newRow("rate_limited") << ErrorCode::RateLimited << u"rate_limited"_s;
    QTest::newRow("internal") << ErrorCode::Internal << u"internal"_s;
}

void TestCodec::errorCodeNames()
{
    QFETCH(ErrorCode, code);
    QFETCH(QString, name);

    QCOMPARE(errorCodeName(code), name);
    const auto back = errorCodeFromName(name);
    QVERIFY(back.has_value());
    QCOMPARE(int(*back), int(code));

    // On the wire: an error reply with `re`, and one without.
    const QJsonObject withRe{{u"type"_s, u"error"_s}, {u"re"_s, 12}, {u"code"_s, name},
        {u"message"_s, u"what happened"_s}};
    QCOMPARE(parsed(encodeError(code, u"what happened"_s, QJsonValue(12))), withRe);
    const QJsonObject push{{u"type"_s, u"error"_s}, {u"code"_s, name}, {u"message"_s, u"m"_s}};
    QCOMPARE(parsed(encodeError(code, u"m"_s)), push);

    const auto decoded = decodeServerFrame(QJsonDocument(withRe).toJson());
    QVERIFY(!hasError(decoded));
    const auto *reply = std::get_if<ErrorReply>(&std::get<ServerFrameEnvelope>(decoded).frame);
    QVERIFY(reply);
    QCOMPARE(int(reply->code), int(code));
}

void TestCodec::unknownErrorCodeNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("empty") << QString();
    QTest::newRow("upper case") << u"BAD_REQUEST"_s;
    QTest::newRow("dash") << u"bad-request"_s;
    QTest::newRow("leading space") << u" internal"_s;
    QTest::newRow("not a code") << u"ok"_s;
}

void TestCodec::unknownErrorCodeNames()
{
    QFETCH(QString, name);
    QVERIFY(!errorCodeFromName(name).has_value());
}

void TestCodec::formatTime_data()
{
    QTest::addColumn<QDateTime>("time");
    QTest::addColumn<QString>("text");

    const QDateTime instant = utc(2026, 11, 25, 7, 36, 18, 123);

    QTest::newRow("UTC") << instant << u"2026-11-25T07:36:18.123Z"_s;
    QTest::newRow("UTC, zero milliseconds")
        << utc(2026, 11, 25, 7, 36, 18, 0) << u"2026-11-25T07:36:18.000Z"_s;
    QTest::newRow("UTC, 1 millisecond")
        << utc(2026, 1, 2, 3, 4, 5, 1) << u"2026-01-02T03:04:05.001Z"_s;
    QTest::newRow("offset +02:00") << QDateTime(QDate(2026, 11, 25), QTime(9, 36, 18, 123),
        QTimeZone(2 * 3600)) << u"2026-11-25T07:36:18.123Z"_s;
    QTest::newRow("offset -05:00, previous day")
        << QDateTime(QDate(2026, 11, 24), QTime(23, 0, 0, 500), QTimeZone(-5 * 3600))
        << u"2026-11-25T04:00:00.500Z"_s;
    QTest::newRow("offset +05:45")
        << QDateTime(QDate(2026, 11, 25), QTime(13, 21, 18, 123), QTimeZone(5 * 3600 + 45 * 60))
        << u"2026-11-25T07:36:18.123Z"_s;
    QTest::newRow("local time") << instant.toLocalTime() << u"2026-11-25T07:36:18.123Z"_s;
    if (QTimeZone::isTimeZoneIdAvailable("Europe/Berlin")) {
        QTest::newRow("Europe/Berlin (CET, +01:00)")
            << QDateTime(QDate(2026, 11, 25), QTime(8, 36, 18, 123), QTimeZone("Europe/Berlin"))
            << u"2026-11-25T07:36:18.123Z"_s;
        QTest::newRow("Europe/Berlin (CEST, +02:00)")
            << QDateTime(QDate(2026, 7, 1), QTime(12, 0, 0, 0), QTimeZone("Europe/Berlin"))
            << u"2026-07-01T10:00:00.000Z"_s;
    }
}

void TestCodec::formatTime()
{
    QFETCH(QDateTime, time);
    QFETCH(QString, text);

    QVERIFY(time.isValid());
    QCOMPARE(dpichat::formatTime(time), text);

    const auto back = dpichat::parseTime(text);
    QVERIFY(back.has_value());
    QCOMPARE(*back, time); // the same instant
    QCOMPARE(back->timeSpec(), Qt::UTC);
    QCOMPARE(dpichat::formatTime(*back), text);
    QCOMPARE(formatOptionalTime(time), QJsonValue(text));
}

void TestCodec::parseTime_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QDateTime>("time"); // invalid when the text must be rejected

    QTest::newRow("UTC with milliseconds")
        << u"2026-11-25T07:36:18.123Z"_s << utc(2026, 11, 25, 7, 36, 18, 123);
    QTest::newRow("end of year") << u"2026-12-31T23:59:59.999Z"_s
                                 << utc(2026, 12, 31, 23, 59, 59, 999);
    QTest::newRow("offset is converted to UTC")
        << u"2026-11-25T09:36:18.123+02:00"_s << utc(2026, 11, 25, 7, 36, 18, 123);
    QTest::newRow("empty") << QString() << QDateTime();
    QTest::newRow("not a time") << u"yesterday"_s << QDateTime();
    QTest::newRow("month 13") << u"2026-13-01T00:00:00.000Z"_s << QDateTime();
    QTest::newRow("hour 25") << u"2026-11-25T25:00:00.000Z"_s << QDateTime();
}

void TestCodec::parseTime()
{
    QFETCH(QString, text);
    QFETCH(QDateTime, time);

    const auto parsedTime = dpichat::parseTime(text);
    if (!time.isValid()) {
        QVERIFY2(!parsedTime.has_value(), qPrintable(parsedTime->toString(Qt::ISODateWithMs)));
        return;
    }
    QVERIFY(parsedTime.has_value());
    QCOMPARE(*parsedTime, time);
    QCOMPARE(parsedTime->timeSpec(), Qt::UTC);
    QCOMPARE(dpichat::formatTime(*parsedTime), dpichat::formatTime(time));
    QCOMPARE(parsedTime->time().msec(), time.time().msec());
}

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
