// Tests of the `send` fast path (scanSendRequest): it reads the simple, common form of a send,
// leaves everything else to QJsonDocument, and what it reads is what the general decoder
// reads from the same bytes. The request fuzz target checks the same on random frames.

// moc (Qt 6.4) mis-lexes an apostrophe inside a raw string literal: keep fixtures free of them.
#include "codecfixture.h"
#include "protocol/codec.h"
#include "protocol/sendscanner.h"

using namespace dpichat;
using namespace Qt::StringLiterals;

class TestSendScanner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scan_data();
    void scan();
};

void TestSendScanner::scan_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<bool>("fast"); // whether the fast path reads it

    const QByteArray longClientId = "\"" + QByteArray(65, 'c') + "\"";
    const QByteArray longId = "\"" + QByteArray(65, 'i') + "\"";

    // What clients send: read by the fast path.
    QTest::newRow("as the client writes it")
        << R"({"type":"send","id":12,"thread":3,"clientId":"c-1","text":"hello"})"_ba << true;
    QTest::newRow("no id") << R"({"type":"send","thread":3,"clientId":"c-1","text":"hi"})"_ba
                           << true;
    QTest::newRow("string id")
        << R"({"type":"send","id":"r-9","thread":3,"clientId":"c","text":"hi"})"_ba << true;
    QTest::newRow("negative id")
        << R"({"type":"send","id":-7,"thread":3,"clientId":"c","text":"hi"})"_ba << true;
    QTest::newRow("id 0, thread 0")
        << R"({"type":"send","id":0,"thread":0,"clientId":"c","text":"hi"})"_ba << true;
    QTest::newRow("15 digits")
        << R"({"type":"send","id":999999999999999,"thread":999999999999999,"clientId":"c","text":"x"})"_ba
        << true;
    QTest::newRow("fields in another order")
        << R"({"text":"hi","clientId":"c","thread":3,"id":1,"type":"send"})"_ba << true;
    QTest::newRow("white space everywhere")
        << " \r\n{ \"type\" : \"send\" ,\t\"thread\":3 , \"clientId\":\"c\",\"text\" :\"hi\" } \n"_ba
        << true;
    QTest::newRow("simple escapes")
        << R"({"type":"send","thread":3,"clientId":"c","text":"a\nb\tc\"d\\e\/f\rg\bh\fi"})"_ba
        << true;
    QTest::newRow("UTF-8 text") << "{\"type\":\"send\",\"thread\":3,\"clientId\":\"c\",\"text\":"
                                   "\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80\"}"_ba
                                << true;
    QTest::newRow("UTF-8 and an escape")
        << "{\"type\":\"send\",\"thread\":3,\"clientId\":\"c\",\"text\":\"\xc3\xa9\\n\xc3\xa9\"}"_ba
        << true;
    QTest::newRow("blank text (refused later, by the text rule)")
        << R"({"type":"send","thread":3,"clientId":"c","text":"  "})"_ba << true;

    // Everything else: the general decoder, which accepts some and refuses others.
    QTest::newRow("u escape")
        << R"({"type":"send","thread":3,"clientId":"c","text":"\u00e9"})"_ba << false;
    QTest::newRow("another field")
        << R"({"type":"send","thread":3,"clientId":"c","text":"hi","x":1})"_ba << false;
    QTest::newRow("a key twice")
        << R"({"type":"send","thread":3,"clientId":"c","text":"hi","text":"ho"})"_ba << false;
    QTest::newRow("id null")
        << R"({"type":"send","id":null,"thread":3,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("id 1.0")
        << R"({"type":"send","id":1.0,"thread":3,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("id 1e3")
        << R"({"type":"send","id":1e3,"thread":3,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("id -0")
        << R"({"type":"send","id":-0,"thread":3,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("id of 16 digits")
        << R"({"type":"send","id":1000000000000000,"thread":3,"clientId":"c","text":"hi"})"_ba
        << false;
    QTest::newRow("id 2^53")
        << R"({"type":"send","id":9007199254740992,"thread":3,"clientId":"c","text":"hi"})"_ba
        << false;
    QTest::newRow("id of 65 characters")
        << R"({"type":"send","id":)" + longId + R"(,"thread":3,"clientId":"c","text":"hi"})"
        << false;
    QTest::newRow("id true")
        << R"({"type":"send","id":true,"thread":3,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("thread negative")
        << R"({"type":"send","thread":-3,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("thread as a string")
        << R"({"type":"send","thread":"3","clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("thread with a leading zero")
        << R"({"type":"send","thread":03,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("thread 3.5")
        << R"({"type":"send","thread":3.5,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("no thread") << R"({"type":"send","clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("no clientId") << R"({"type":"send","thread":3,"text":"hi"})"_ba << false;
    QTest::newRow("no text") << R"({"type":"send","thread":3,"clientId":"c"})"_ba << false;
    QTest::newRow("blank clientId")
        << R"({"type":"send","thread":3,"clientId":"  ","text":"hi"})"_ba << false;
    QTest::newRow("clientId of 65 characters")
        << R"({"type":"send","thread":3,"clientId":)" + longClientId + R"(,"text":"hi"})"
        << false;
    QTest::newRow("text not a string")
        << R"({"type":"send","thread":3,"clientId":"c","text":5})"_ba << false;
    QTest::newRow("another type")
        << R"({"type":"read","thread":3,"upTo":4})"_ba << false;
    QTest::newRow("type with an escape")
        << R"({"type":"sen\u0064","thread":3,"clientId":"c","text":"hi"})"_ba << false;
    QTest::newRow("not UTF-8")
        << "{\"type\":\"send\",\"thread\":3,\"clientId\":\"c\",\"text\":\"a\xff\"}"_ba << false;
    QTest::newRow("a surrogate in UTF-8")
        << "{\"type\":\"send\",\"thread\":3,\"clientId\":\"c\",\"text\":\"\xed\xa0\x80\"}"_ba
        << false;
    QTest::newRow("overlong UTF-8")
        << "{\"type\":\"send\",\"thread\":3,\"clientId\":\"c\",\"text\":\"\xc0\xaf\"}"_ba << false;
    QTest::newRow("control character in the text")
        << "{\"type\":\"send\",\"thread\":3,\"clientId\":\"c\",\"text\":\"a\x01\"}"_ba << false;
    QTest::newRow("bad escape")
        << R"({"type":"send","thread":3,"clientId":"c","text":"\x"})"_ba << false;
    QTest::newRow("something after the object")
        << R"({"type":"send","thread":3,"clientId":"c","text":"hi"} x)"_ba << false;
    QTest::newRow("byte order mark")
        << "\xef\xbb\xbf{\"type\":\"send\",\"thread\":3,\"clientId\":\"c\",\"text\":\"hi\"}"_ba
        << false;
    QTest::newRow("cut short") << R"({"type":"send","thread":3,"clientId":"c","text":"hi)"_ba
                               << false;
    QTest::newRow("trailing comma")
        << R"({"type":"send","thread":3,"clientId":"c","text":"hi",})"_ba << false;
    QTest::newRow("empty object") << "{}"_ba << false;
    QTest::newRow("an array") << "[1]"_ba << false;
    QTest::newRow("nothing") << QByteArray() << false;
}

void TestSendScanner::scan()
{
    QFETCH(QByteArray, frame);
    QFETCH(bool, fast);

    const auto scanned = scanSendRequest(frame);
    QCOMPARE(scanned.has_value(), fast);
    const auto general = decodeRequestInGeneral(frame);
    const auto decoded = decodeRequest(frame);
    QCOMPARE(decoded.index(), general.index());
    if (const auto *failure = std::get_if<RequestFailure>(&general)) {
        QVERIFY(!fast);
        const auto &f = std::get<RequestFailure>(decoded);
        QCOMPARE(f.error.code, failure->error.code);
        QCOMPARE(f.error.message, failure->error.message);
        QCOMPARE(f.id, failure->id);
        return;
    }
    const auto &expected = std::get<RequestFrame>(general);
    // decodeRequest() gives the general decoder's frame, by either path.
    for (const RequestFrame *got : {&std::get<RequestFrame>(decoded),
                                    scanned ? &*scanned : &std::get<RequestFrame>(decoded)}) {
        QCOMPARE(got->id, expected.id);
        QCOMPARE(got->id.type(), expected.id.type());
        QCOMPARE(got->request.index(), expected.request.index());
        if (const auto *send = std::get_if<SendRequest>(&expected.request)) {
            const auto &s = std::get<SendRequest>(got->request);
            QCOMPARE(s.thread, send->thread);
            QCOMPARE(s.clientId, send->clientId);
            QCOMPARE(s.text, send->text);
        }
    }
}

QTEST_GUILESS_MAIN(TestSendScanner)
#include "tst_sendscanner.moc"
