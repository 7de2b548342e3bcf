// Tests of the shared protocol library against PROTOCOL.md: every malformed request and server
// frame gets the right error code, the error reply carries the request id back when there is a
// valid one, request ids are checked, and an unknown error code reads as internal.

// moc (Qt 6.4) mis-lexes an apostrophe inside a raw string literal: keep fixtures free of them.
#include "codecfixture.h"
#include "protocol/codec.h"
#include "protocol/types.h"

using namespace dpichat;
using namespace Qt::StringLiterals;

class TestCodecErrors : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestErrors_data();
    void requestErrors();
    void serverFrameErrors_data();
    void serverFrameErrors();
    void requestIds_data();
    void requestIds();
    void unknownErrorCodeIsInternal();
};

void TestCodecErrors::requestErrors_data()
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

void TestCodecErrors::requestErrors()
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

void TestCodecErrors::serverFrameErrors_data()
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

void TestCodecErrors::serverFrameErrors()
{
    QFETCH(QByteArray, json);

    const auto decoded = decodeServerFrame(json);
    const auto *error = std::get_if<ProtocolError>(&decoded);
    QVERIFY2(error, "a malformed server frame was accepted");
    QCOMPARE(codeLabel(error->code), u"bad_request"_s);
    QVERIFY(!error->message.isEmpty());
}

void TestCodecErrors::requestIds_data()
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

void TestCodecErrors::requestIds()
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

void TestCodecErrors::unknownErrorCodeIsInternal()
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

QTEST_GUILESS_MAIN(TestCodecErrors)
#include "tst_codec_errors.moc"
