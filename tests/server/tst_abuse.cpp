// Bad input, access rules and limits: each gets a clear error, loses nothing, changes nothing.

#include "fixture.h"

#include <QNetworkRequest>
#include <QWebSocket>
#include <QWebSocketProtocol>

using namespace Qt::StringLiterals;

class TestAbuse : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void badFramesGetBadRequestAndChangeNothing_data();
    void badFramesGetBadRequestAndChangeNothing();
    void errorCarriesTheRequestId();
    void textLimits_data();
    void textLimits();
    void binaryFrameIsRefused();
    void customerCannotTouchAnotherThread_data();
    void customerCannotTouchAnotherThread();
    void adminGetsNotFoundForMissingThread();
    void oversizeFrameClosesWith1009OthersGoOn();
    void requestRateIsLimited();
    void failedLoginsAreThrottled();
    void silentSocketIsClosedAfterLoginTimeout();
    void originAllowList_data();
    void originAllowList();

private:
    qint64 threadOf(const char *email);
    qint64 storedCount(); ///< Messages the admin can sync.

    ProtocolFixture m_fx;
};

void TestAbuse::initTestCase()
{
    QVERIFY(m_fx.start());
}

qint64 TestAbuse::threadOf(const char *email)
{
    auto c = m_fx.client(email);
    if (!c)
        return -1;
    const QJsonArray threads = c->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
    return threads.size() == 1 ? threads.first()[u"id"_s].toInteger() : -1;
}

qint64 TestAbuse::storedCount()
{
    auto admin = m_fx.client("bob@support.test");
    if (!admin)
        return -1;
    return admin->request(obj({{u"type"_s, u"sync"_s}, {u"after"_s, 0}, {u"limit"_s, 500}}))[u"messages"_s].toArray().size();
}

void TestAbuse::badFramesGetBadRequestAndChangeNothing_data()
{
    QTest::addColumn<QString>("frame");
    QTest::newRow("not json") << u"{this is not json"_s;
    QTest::newRow("array") << u"[1,2,3]"_s;
    QTest::newRow("string") << u"\"send\""_s;
    QTest::newRow("no type") << u"{\"thread\":1}"_s;
    QTest::newRow("type not a string") << u"{\"type\":7}"_s;
    QTest::newRow("unknown type") << u"{\"type\":\"delete_everything\"}"_s;
    QTest::newRow("send without text") << u"{\"type\":\"send\",\"thread\":%T,\"clientId\":\"b1\"}"_s;
    QTest::newRow("send text number") << u"{\"type\":\"send\",\"thread\":%T,\"clientId\":\"b2\",\"text\":5}"_s;
    QTest::newRow("send thread string") << u"{\"type\":\"send\",\"thread\":\"%T\",\"clientId\":\"b3\",\"text\":\"x\"}"_s;
    QTest::newRow("send thread fraction") << u"{\"type\":\"send\",\"thread\":1.5,\"clientId\":\"b4\",\"text\":\"x\"}"_s;
    QTest::newRow("send clientId too long") << (u"{\"type\":\"send\",\"thread\":%T,\"clientId\":\""_s + QString(65, u'c') + u"\",\"text\":\"x\"}"_s);
    QTest::newRow("read upTo missing") << u"{\"type\":\"read\",\"thread\":%T}"_s;
    QTest::newRow("typing active string") << u"{\"type\":\"typing\",\"thread\":%T,\"active\":\"yes\"}"_s;
    QTest::newRow("history limit zero") << u"{\"type\":\"history\",\"thread\":%T,\"before\":null,\"limit\":0}"_s;
    QTest::newRow("sync after negative") << u"{\"type\":\"sync\",\"after\":-1}"_s;
    QTest::newRow("id an object") << u"{\"type\":\"ping\",\"id\":{}}"_s;
    QTest::newRow("id too long") << (u"{\"type\":\"ping\",\"id\":\""_s + QString(65, u'i') + u"\"}"_s);
}

void TestAbuse::badFramesGetBadRequestAndChangeNothing()
{
    QFETCH(QString, frame);
    const qint64 thread = threadOf("carol@customer.test");
    auto carol = m_fx.client("carol@customer.test");
    auto ann = m_fx.client("ann@support.test");
    QVERIFY(carol && ann);
    const qint64 before = storedCount();
    carol->sendRaw(frame.replace(u"%T"_s, QString::number(thread)));
    QVERIFY(carol->waitForPushes(u"error"_s, 1));
    const QJsonObject error = carol->pushesOfType(u"error"_s).first();
    QCOMPARE(codeOf(error), u"bad_request"_s);
    QVERIFY(!error[u"message"_s].toString().isEmpty());
    // The session goes on, and nothing was stored or pushed.
    QCOMPARE(typeOf(carol->request(obj({{u"type"_s, u"ping"_s}}))), u"pong"_s);
    QCOMPARE(storedCount(), before);
    QVERIFY(ann->pushesOfType(u"message"_s).isEmpty());
}

void TestAbuse::errorCarriesTheRequestId()
{
    auto carol = m_fx.client("carol@customer.test");
    QVERIFY(carol);
    carol->sendRaw(u"{\"type\":\"nonsense\",\"id\":\"req-42\"}"_s);
    carol->sendRaw(u"{\"type\":\"send\",\"id\":43,\"thread\":\"x\"}"_s);
    QVERIFY(carol->waitForPushes(u"error"_s, 2));
    const auto errors = carol->pushesOfType(u"error"_s);
    QCOMPARE(errors[0][u"re"_s].toString(), u"req-42"_s);
    QCOMPARE(errors[1][u"re"_s].toInteger(), 43);
}

void TestAbuse::textLimits_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected"); // reply type or error code
    QTest::newRow("empty") << QString() << u"bad_request"_s;
    QTest::newRow("blank") << u" \n\t  "_s << u"bad_request"_s;
    QTest::newRow("4000") << QString(4000, u'a') << u"sent"_s;
    QTest::newRow("4000 after trimming") << (u"   "_s + QString(4000, u'b') + u"\n\n"_s) << u"sent"_s;
    QTest::newRow("4001") << QString(4001, u'a') << u"too_large"_s;
    QString emoji;
    for (int i = 0; i < 4000; ++i)
        emoji += u"\U0001F600"_s;
    QTest::newRow("4000 emoji") << emoji << u"sent"_s;
    QTest::newRow("4001 emoji") << (emoji + u"\U0001F600"_s) << u"too_large"_s;
}

void TestAbuse::textLimits()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const qint64 thread = threadOf("dave@customer.test");
    auto dave = m_fx.client("dave@customer.test");
    QVERIFY(dave);
    const qint64 before = storedCount();
    const QJsonObject r = dave->request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, thread},
                                             {u"clientId"_s, QString::fromLatin1(QTest::currentDataTag())},
                                             {u"text"_s, text}}));
    if (expected == u"sent"_s) {
        QCOMPARE(typeOf(r), u"sent"_s);
        QCOMPARE(r[u"message"_s][u"text"_s].toString(), text.trimmed());
        QCOMPARE(storedCount(), before + 1);
    } else {
        QCOMPARE(typeOf(r), u"error"_s);
        QCOMPARE(codeOf(r), expected);
        QCOMPARE(storedCount(), before);
    }
}

void TestAbuse::binaryFrameIsRefused()
{
    auto carol = m_fx.client("carol@customer.test");
    QVERIFY(carol);
    carol->sendRawBinary(QByteArrayLiteral("\x00\x01\x02"));
    QVERIFY(carol->waitForPushes(u"error"_s, 1));
    QCOMPARE(codeOf(carol->pushesOfType(u"error"_s).first()), u"bad_request"_s);
    QCOMPARE(typeOf(carol->request(obj({{u"type"_s, u"ping"_s}}))), u"pong"_s);
}

void TestAbuse::customerCannotTouchAnotherThread_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("existing"); // someone else's thread, or one that does not exist
    for (const char *kind : {"history", "send", "read", "typing"}) {
        QTest::addRow("%s other", kind) << QString::fromLatin1(kind) << true;
        QTest::addRow("%s missing", kind) << QString::fromLatin1(kind) << false;
    }
}

void TestAbuse::customerCannotTouchAnotherThread()
{
    QFETCH(QString, kind);
    QFETCH(bool, existing);
    const qint64 target = existing ? threadOf("mia@team.test") : 999'999;
    auto carol = m_fx.client("carol@customer.test");
    auto mia = m_fx.client("mia@team.test");
    auto ann = m_fx.client("ann@support.test");
    QVERIFY(carol && mia && ann);
    const qint64 before = storedCount();
    QJsonObject request{{u"type"_s, kind}, {u"thread"_s, target}};
    if (kind == u"history") {
        request.insert(u"before"_s, QJsonValue());
        request.insert(u"limit"_s, 50);
    } else if (kind == u"send") {
        request.insert(u"clientId"_s, u"intrude-%1"_s.arg(QString::fromLatin1(QTest::currentDataTag())));
        request.insert(u"text"_s, u"let me in"_s);
    } else if (kind == u"read") {
        request.insert(u"upTo"_s, 1'000'000);
    } else {
        request.insert(u"active"_s, true);
    }
    const QJsonObject r = carol->request(request);
    QCOMPARE(typeOf(r), u"error"_s);
    QCOMPARE(codeOf(r), u"forbidden"_s);
    // The same words whether or not the thread exists.
    QCOMPARE(r[u"message"_s].toString(), u"not your thread"_s);
    QTest::qWait(150);
    QCOMPARE(storedCount(), before);
    QVERIFY(mia->pushesOfType(u"message"_s).isEmpty());
    QVERIFY(mia->pushesOfType(u"read"_s).isEmpty());
    QVERIFY(ann->pushesOfType(u"typing"_s).isEmpty());
    QVERIFY(ann->pushesOfType(u"message"_s).isEmpty());
}

void TestAbuse::adminGetsNotFoundForMissingThread()
{
    auto ann = m_fx.client("ann@support.test");
    QVERIFY(ann);
    const QJsonObject r = ann->request(obj({{u"type"_s, u"history"_s}, {u"thread"_s, 424242},
                                            {u"before"_s, QJsonValue()}, {u"limit"_s, 10}}));
    QCOMPARE(codeOf(r), u"not_found"_s);
    const QJsonObject s = ann->request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, 424242},
                                            {u"clientId"_s, u"nf"_s}, {u"text"_s, u"hello?"_s}}));
    QCOMPARE(codeOf(s), u"not_found"_s);
}

void TestAbuse::oversizeFrameClosesWith1009OthersGoOn()
{
    const qint64 thread = threadOf("carol@customer.test");
    auto big = m_fx.client("carol@customer.test");
    auto other = m_fx.client("carol@customer.test");
    auto ann = m_fx.client("ann@support.test");
    QVERIFY(big && other && ann);
    const qint64 before = storedCount();
    big->sendRaw(u"{\"type\":\"send\",\"thread\":%1,\"clientId\":\"huge\",\"text\":\"%2\"}"_s
                     .arg(thread)
                     .arg(QString(200 * 1024, u'x')));
    QVERIFY(big->waitForDisconnected(10'000));
    QCOMPARE(big->closeCode(), int(QWebSocketProtocol::CloseCodeTooMuchData));
    QCOMPARE(storedCount(), before);
    const QJsonObject sent = other->request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, thread},
                                                 {u"clientId"_s, u"after-huge"_s}, {u"text"_s, u"still here"_s}}));
    QCOMPARE(typeOf(sent), u"sent"_s);
    QCOMPARE(ann->takePush(u"message"_s)[u"message"_s][u"clientId"_s].toString(), u"after-huge"_s);
}

void TestAbuse::requestRateIsLimited()
{
    // A server of its own with a low limit: 2 a second, bursts of 10.
    QTemporaryDir dir;
    ServerProcess server(dir.filePath(u"rate.db"_s));
    QVERIFY(server.start({u"--rate-limit"_s, u"2"_s, u"--demo"_s}));
    TestClient c(server.url());
    QVERIFY(c.open());
    QCOMPARE(typeOf(c.login(u"john.doe@example.com"_s, u"customer123"_s)), u"welcome"_s);
    for (int i = 0; i < 30; ++i)
        c.sendRaw(u"{\"type\":\"ping\",\"id\":%1}"_s.arg(i + 1));
    QTRY_COMPARE(c.pushes().size(), 30);
    const int pongs = int(c.pushesOfType(u"pong"_s).size());
    const auto refused = c.pushesOfType(u"error"_s);
    QVERIFY2(pongs >= 9 && pongs <= 12, qPrintable(QString::number(pongs))); // the burst, ±refill
    QCOMPARE(pongs + refused.size(), 30);
    QCOMPARE(codeOf(refused.first()), u"rate_limited"_s);
    QVERIFY(refused.first()[u"re"_s].isDouble());
    // The bucket refills: after a second there is room again.
    QTest::qWait(1100);
    QCOMPARE(typeOf(c.request(obj({{u"type"_s, u"ping"_s}}))), u"pong"_s);
}

void TestAbuse::failedLoginsAreThrottled()
{
    // Against one account: ten failures a minute, then even the right password waits.
    QVERIFY(m_fx.server->addUser(u"victim@customer.test"_s, u"Victim"_s, u"customer"_s,
                                 QString::fromLatin1(ProtocolFixture::kPassword)));
    auto bystander = m_fx.client("dave@customer.test");
    QVERIFY(bystander);
    // A connection per guess: eleven argon2id checks can take longer than the 10 s a socket
    // has to log in (under the sanitizers), and the throttle counts across connections.
    const auto guess = [this](const QString &email, const QString &password) {
        TestClient attacker(m_fx.server->url());
        return attacker.open() ? codeOf(attacker.login(email, password)) : u"no connection"_s;
    };
    for (int i = 0; i < 10; ++i)
        QCOMPARE(guess(u"victim@customer.test"_s, u"guess %1"_s.arg(i)), u"auth_failed"_s);
    QCOMPARE(guess(u"victim@customer.test"_s, u"guess 11"_s), u"rate_limited"_s);
    TestClient victim(m_fx.server->url());
    QVERIFY(victim.open());
    QCOMPARE(codeOf(victim.login(u"victim@customer.test"_s, QString::fromLatin1(ProtocolFixture::kPassword))),
             u"rate_limited"_s);
    // From the same address, other accounts are now refused too (at most 10 failures a
    // minute per address); sessions already open keep working.
    QCOMPARE(guess(u"dave@customer.test"_s, u"wrong"_s), u"rate_limited"_s);
    QCOMPARE(typeOf(bystander->request(obj({{u"type"_s, u"threads"_s}}))), u"threads"_s);
}

void TestAbuse::silentSocketIsClosedAfterLoginTimeout()
{
    TestClient idle(m_fx.server->url());
    QVERIFY(idle.open());
    QVERIFY(idle.waitForDisconnected(15'000));
    QCOMPARE(idle.closeCode(), int(QWebSocketProtocol::CloseCodePolicyViolated));
}

void TestAbuse::originAllowList_data()
{
    QTest::addColumn<QString>("origin");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("listed") << u"https://support.example"_s << true;
    QTest::newRow("second listed") << u"https://app.example"_s << true;
    QTest::newRow("not listed") << u"https://evil.example"_s << false;
    QTest::newRow("no origin (desktop client)") << QString() << true;
}

void TestAbuse::originAllowList()
{
    QFETCH(QString, origin);
    QFETCH(bool, allowed);
    static QTemporaryDir dir;
    static ServerProcess server(dir.filePath(u"origin.db"_s));
    if (!server.isRunning())
        QVERIFY(server.start({u"--allowed-origins"_s, u"https://support.example,https://app.example"_s}));
    QWebSocket socket;
    QNetworkRequest request(server.url());
    if (!origin.isEmpty())
        request.setRawHeader("Origin", origin.toUtf8());
    socket.open(request);
    QTRY_VERIFY_WITH_TIMEOUT(socket.state() == QAbstractSocket::ConnectedState
                                 || socket.state() == QAbstractSocket::UnconnectedState,
                             5000);
    if (socket.state() == QAbstractSocket::ConnectingState)
        QTRY_VERIFY(socket.state() != QAbstractSocket::ConnectingState);
    QCOMPARE(socket.state() == QAbstractSocket::ConnectedState, allowed);
}

QTEST_GUILESS_MAIN(TestAbuse)
#include "tst_abuse.moc"
