// The hand-written encoders must say exactly what the generic codec says.

#include "protocol/codec.h"
#include "protocol/fastjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTest>
#include <QTimeZone>

using namespace dpichat;
using namespace Qt::StringLiterals;

class TestFastJson : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void messageMatchesCodec_data();
    void messageMatchesCodec();
    void timeMatchesQt_data();
    void timeMatchesQt();
    void threadsMatchCodec();
    void stringMatchesReference();
    void utf8MatchesQtDecoding();
};

namespace {

// appendString() as it was first written: QString::toUtf8(), then JSON's escapes over the
// bytes. The one-pass encoder must give the same bytes.
QByteArray referenceString(const QString &text)
{
    static const char hex[] = "0123456789abcdef";
    QByteArray out("\"");
    for (const char c : text.toUtf8()) {
        const auto u = static_cast<unsigned char>(c);
        switch (u) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            } else {
                out += c;
            }
        }
    }
    return out + '"';
}

} // namespace

void TestFastJson::messageMatchesCodec_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QJsonValue>("re");
    QTest::newRow("plain") << u"Where is my order?"_s << QJsonValue(5);
    QTest::newRow("quotes and backslashes") << u"say \"hi\" \\ back\\slash"_s << QJsonValue(u"req-1"_s);
    QTest::newRow("control characters") << u"tab\there\nnew line\r\u0001\u001f\b\f"_s << QJsonValue(0);
    QTest::newRow("unicode") << u"Grüße, 你好, \U0001F600 and \u2028"_s << QJsonValue(u"ünï\"cøde"_s);
    QTest::newRow("slash and html") << u"</script><b>&amp;</b>"_s << QJsonValue(9007199254740991LL);
    QTest::newRow("no re") << u"x"_s << QJsonValue(QJsonValue::Undefined);
    QTest::newRow("long") << QString(4000, u'y') << QJsonValue(-3);
}

void TestFastJson::messageMatchesCodec()
{
    QFETCH(QString, text);
    QFETCH(QJsonValue, re);
    Message m;
    m.id = 123456789012LL;
    m.thread = 42;
    m.sender = 7;
    m.senderName = u"Ann \"the\" Admin"_s;
    m.clientId = u"7a1d6a52-4b0e-4c52-9a52-0d8e3a5c2f11"_s;
    m.text = text;
    m.createdAt = QDateTime::fromMSecsSinceEpoch(1795592178123LL, Qt::UTC);

    const QByteArray messageJson = fastjson::message(m);
    const QByteArray fastSent = fastjson::sentReply(messageJson, re);
    const QByteArray fastPush = fastjson::messagePush(messageJson);
    const QByteArray codecSent = encodeServerFrame(SentReply{m}, re);
    const QByteArray codecPush = encodeServerFrame(MessagePush{m});

    QJsonParseError error;
    const QJsonDocument sent = QJsonDocument::fromJson(fastSent, &error);
    QVERIFY2(error.error == QJsonParseError::NoError, fastSent.constData());
    QCOMPARE(sent.object(), QJsonDocument::fromJson(codecSent).object());
    QCOMPARE(QJsonDocument::fromJson(fastPush).object(), QJsonDocument::fromJson(codecPush).object());
    // And a client reading it gets the message back unchanged.
    const auto decoded = decodeServerFrame(fastSent);
    QVERIFY(std::holds_alternative<ServerFrameEnvelope>(decoded));
    QCOMPARE(std::get<SentReply>(std::get<ServerFrameEnvelope>(decoded).frame).message, m);
}

void TestFastJson::timeMatchesQt_data()
{
    QTest::addColumn<qint64>("msecs");
    QTest::newRow("epoch") << qint64(0);
    QTest::newRow("example") << qint64(1795592178123LL); // 2026-11-25T07:36:18.123Z
    QTest::newRow("leap day") << qint64(1709164800999LL); // 2024-02-29T00:00:00.999Z
    QTest::newRow("end of year") << qint64(1767225599999LL); // 2025-12-31T23:59:59.999Z
    QTest::newRow("1999") << qint64(946684799000LL);
    QTest::newRow("before epoch") << qint64(-1);
    QTest::newRow("2100 (no leap)") << qint64(4107542400000LL);
    QTest::newRow("last of 9999") << qint64(253402300799999LL);
    // Every digit position of every field, from a fixed seed.
    QRandomGenerator random(20261125);
    for (int i = 0; i < 200; ++i) {
        const qint64 ms = qint64(random.bounded(quint64(253402300799999ULL)));
        QTest::newRow(qPrintable(u"random %1"_s.arg(ms))) << ms;
    }
}

void TestFastJson::timeMatchesQt()
{
    QFETCH(qint64, msecs);
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(msecs, Qt::UTC);
    QCOMPARE(QString::fromLatin1(fastjson::timeText(t)), t.toString(Qt::ISODateWithMs));
    // A time in another zone is written as the same instant in UTC.
    const QDateTime berlin = t.toTimeZone(QTimeZone("Europe/Berlin"));
    QCOMPARE(QString::fromLatin1(fastjson::timeText(berlin)), t.toString(Qt::ISODateWithMs));
}

void TestFastJson::threadsMatchCodec()
{
    Message last;
    last.id = 9007199254740991LL;
    last.thread = 3;
    last.sender = 4;
    last.senderName = u"Zoë \"Z\" \U0001F600"_s;
    last.clientId = u"c-1"_s;
    last.text = u"line\nnext\u2028</script>"_s;
    last.createdAt = QDateTime::fromMSecsSinceEpoch(1795592178123LL, Qt::UTC);
    Thread withMessage;
    withMessage.id = 3;
    withMessage.owner = User{4, u"Zoë"_s, u"zoe@example.com"_s, Role::Customer, true,
                             QDateTime::fromMSecsSinceEpoch(1709164800999LL, Qt::UTC)};
    withMessage.lastMessage = last;
    withMessage.unread = 12;
    withMessage.readUpToOwner = 9007199254740991LL;
    withMessage.readUpToTeam = 7;
    Thread empty;
    empty.id = 5;
    empty.owner = User{6, u"Max"_s, u"max@example.com"_s, Role::Member, false, std::nullopt};
    for (const QList<Thread> &threads : {QList<Thread>{}, QList<Thread>{withMessage, empty}}) {
        for (const QJsonValue &re : {QJsonValue(17), QJsonValue(u"r"_s), QJsonValue(QJsonValue::Undefined)}) {
            const QByteArray fast = fastjson::threadsReply(threads, re);
            QJsonParseError error;
            const QJsonDocument doc = QJsonDocument::fromJson(fast, &error);
            QVERIFY2(error.error == QJsonParseError::NoError, fast.constData());
            QCOMPARE(doc.object(), QJsonDocument::fromJson(encodeServerFrame(ThreadsReply{threads}, re)).object());
            const auto decoded = decodeServerFrame(fast);
            QVERIFY(std::holds_alternative<ServerFrameEnvelope>(decoded));
            QCOMPARE(std::get<ThreadsReply>(std::get<ServerFrameEnvelope>(decoded).frame).threads, threads);
        }
    }
}

void TestFastJson::stringMatchesReference()
{
    // Every class of UTF-16 unit, and the edges between them: ASCII (printable, escaped,
    // control), two- and three-byte UTF-8, surrogate pairs, and lone or misordered surrogates
    // (which toUtf8() writes as '?').
    const QList<char16_t> units{0x0,    0x1,    0x8,    0x9,    0xa,    0xc,    0xd,    0x1f,
                                0x20,   u'"',   u'\\', u'/',   u'a',   0x7e,   0x7f,   0x80,
                                0xe9,   0x7ff,  0x800,  0x2028, 0xd7ff, 0xe000, 0xfffd, 0xffff,
                                0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d, 0xde00};
    QRandomGenerator random(20261125);
    for (int i = 0; i < 5000; ++i) {
        QString text;
        for (int n = int(random.bounded(24)); n > 0; --n)
            text += QChar(units.at(random.bounded(int(units.size()))));
        QByteArray fast("[");
        fastjson::appendString(fast, text);
        QCOMPARE(fast.mid(1), referenceString(text));
        // Without lone surrogates the text comes back from a JSON parser unchanged.
        if (QString::fromUtf8(text.toUtf8()) == text) {
            fast += ']';
            QJsonParseError error;
            const QJsonDocument doc = QJsonDocument::fromJson(fast, &error);
            QVERIFY2(error.error == QJsonParseError::NoError, fast.constData());
            QCOMPARE(doc.array().at(0).toString(), text);
        }
    }
    // Appending keeps what was there, also when the string is long enough to grow the array.
    QByteArray out("prefix:");
    fastjson::appendString(out, QString(5000, u'\u00e9'));
    QCOMPARE(out, "prefix:" + referenceString(QString(5000, u'\u00e9')));
}

void TestFastJson::utf8MatchesQtDecoding()
{
    // Bytes as a database may hold them, written straight (Utf8) or first read into a QString
    // the way QtSql's rows are: the JSON must be the same. Valid sequences of every length and
    // at the edges of their ranges, and what is not UTF-8 (overlong, surrogates, above
    // U+10FFFF, stray or missing continuation bytes), and a byte order mark, which
    // QString::fromUtf8() drops at the start.
    const QList<QByteArray> pieces{"a", "\"", "\\", "\n", QByteArray(1, '\0'), "\x01", "\x1f",
                                   "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
                                   "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
                                   "\xf4\x8f\xbf\xbf", "\xef\xbb\xbf", "\xc0\xaf", "\xc1\xbf",
                                   "\xe0\x9f\xbf", "\xed\xa0\x80", "\xf0\x8f\xbf\xbf",
                                   "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\x80", "\xe2\x82",
                                   "\xf0\x9f\x98"};
    QRandomGenerator random(20261126);
    for (int i = 0; i < 5000; ++i) {
        QByteArray bytes;
        for (int n = int(random.bounded(12)); n > 0; --n)
            bytes += pieces.at(random.bounded(int(pieces.size())));
        QByteArray fast("prefix");
        fastjson::appendString(fast, fastjson::Utf8{bytes});
        QByteArray viaQt("prefix");
        fastjson::appendString(viaQt, QString::fromUtf8(bytes));
        QCOMPARE(fast, viaQt);
    }
}

QTEST_GUILESS_MAIN(TestFastJson)
#include "tst_fastjson.moc"
