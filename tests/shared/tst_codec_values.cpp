// Tests of the shared protocol library against PROTOCOL.md: the history and sync limits, message
// text validation (trimming, the limit in code points), the error code names on the wire and
// the time format follow the protocol.

// moc (Qt 6.4) mis-lexes an apostrophe inside a raw string literal: keep fixtures free of them.
#include "codecfixture.h"
#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/types.h"

#include <QTimeZone>

using namespace dpichat;
using namespace Qt::StringLiterals;

class TestCodecValues : public QObject
{
    Q_OBJECT

private Q_SLOTS:
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

void TestCodecValues::historyLimit_data()
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

void TestCodecValues::historyLimit()
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

void TestCodecValues::syncLimit_data()
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

void TestCodecValues::syncLimit()
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

void TestCodecValues::validateMessageText_data()
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

void TestCodecValues::validateMessageText()
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

void TestCodecValues::codePointCount_data()
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

void TestCodecValues::codePointCount()
{
    QFETCH(QString, text);
    QFETCH(int, count);
    QCOMPARE(dpichat::codePointCount(text), count);
}

void TestCodecValues::errorCodeNames_data()
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

void TestCodecValues::errorCodeNames()
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

void TestCodecValues::unknownErrorCodeNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("empty") << QString();
    QTest::newRow("upper case") << u"BAD_REQUEST"_s;
    QTest::newRow("dash") << u"bad-request"_s;
    QTest::newRow("leading space") << u" internal"_s;
    QTest::newRow("not a code") << u"ok"_s;
}

void TestCodecValues::unknownErrorCodeNames()
{
    QFETCH(QString, name);
    QVERIFY(!errorCodeFromName(name).has_value());
}

void TestCodecValues::formatTime_data()
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

void TestCodecValues::formatTime()
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

void TestCodecValues::parseTime_data()
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

void TestCodecValues::parseTime()
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

QTEST_GUILESS_MAIN(TestCodecValues)
#include "tst_codec_values.moc"
