// Tests of the shared protocol library against PROTOCOL.md: literal JSON fixtures for every
// request and server frame type decode to the right fields, then encode back to the same JSON.

// moc (Qt 6.4) mis-lexes an apostrophe inside a raw string literal: keep fixtures free of them.
#include "codecfixture.h"
#include "protocol/codec.h"
#include "protocol/types.h"

#include <initializer_list>
#include <type_traits>
#include <utility>

using namespace dpichat;
using namespace Qt::StringLiterals;

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

} // namespace

class TestCodecRoundTrip : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestRoundTrip_data();
    void requestRoundTrip();
    void serverFrameRoundTrip_data();
    void serverFrameRoundTrip();
};

void TestCodecRoundTrip::requestRoundTrip_data()
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

void TestCodecRoundTrip::requestRoundTrip()
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

void TestCodecRoundTrip::serverFrameRoundTrip_data()
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

void TestCodecRoundTrip::serverFrameRoundTrip()
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

QTEST_GUILESS_MAIN(TestCodecRoundTrip)
#include "tst_codec_roundtrip.moc"
