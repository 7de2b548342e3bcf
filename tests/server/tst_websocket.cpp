// The server's own WebSocket layer (OwnWebSocket, the default for ws://): the RFC 6455 pieces
// it is built from, byte for byte, and a real server spoken to over a raw TCP socket, the way
// no well-behaved client would: pipelined upgrades, fragments with pings between them, broken
// frames, bad upgrades, the closing handshake. The same exchange through QWebSocketServer
// (`--websocket qt`) checks that both layers serve a client alike.

#include "fixture.h"
#include "net/wsframing.h"
#include "rawframe.h"

#include <QTcpSocket>

using namespace Qt::StringLiterals;
namespace ws = dpichat::server::ws;

namespace {
/// One frame as a client sends it (masked), any opcode, FIN or not.
QByteArray clientFrame(quint8 opcode, const QByteArray &payload, bool fin = true, bool masked = true)
{
    QByteArray f;
    f.append(char((fin ? 0x80 : 0) | opcode));
    const quint8 mask[4] = {0xa1, 0x02, 0x7c, 0x3d};
    const char maskBit = masked ? char(0x80) : char(0);
    if (payload.size() < 126) {
        f.append(char(maskBit | payload.size()));
    } else if (payload.size() <= 0xffff) {
        f.append(char(maskBit | 126));
        f.append(char(payload.size() >> 8));
        f.append(char(payload.size() & 0xff));
    } else {
        f.append(char(maskBit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            f.append(char(quint64(payload.size()) >> shift));
    }
    if (!masked)
        return f + payload;
    f.append(reinterpret_cast<const char *>(mask), 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        f.append(char(payload.at(i) ^ mask[i % 4]));
    return f;
}

struct ServerFrame
{
    quint8 opcode = 0;
    bool fin = false;
    QByteArray payload;
};

/// A client on a bare TCP socket that writes what it is told and reads server frames.
class RawClient
{
public:
    bool connectTo(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        return m_socket.waitForConnected(5000);
    }
    void write(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }
    /// Sends an upgrade request (and `then`, in the same write) and reads the HTTP answer.
    QByteArray upgrade(const QByteArray &request, const QByteArray &then = {})
    {
        write(request + then);
        QElapsedTimer t;
        t.start();
        while (!m_in.contains("\r\n\r\n") && t.elapsed() < 5000) {
            if (!m_socket.waitForReadyRead(200) && m_socket.state() != QAbstractSocket::ConnectedState)
                break;
            m_in += m_socket.readAll();
        }
        m_in += m_socket.readAll();
        const qsizetype end = m_in.indexOf("\r\n\r\n");
        const QByteArray head = end < 0 ? std::exchange(m_in, {}) : m_in.left(end + 4);
        m_in.remove(0, head.size());
        return head;
    }
    /// The next whole frame; opcode 0xff on time-out or when the server closed first.
    ServerFrame next(int timeoutMs = 5000)
    {
        QElapsedTimer t;
        t.start();
        for (;;) {
            const ws::FrameHeader h = ws::parseFrameHeader(m_in);
            if (h.size > 0 && quint64(m_in.size() - h.size) >= h.length) {
                ServerFrame f{h.opcode, h.fin, m_in.mid(h.size, qsizetype(h.length))};
                m_in.remove(0, h.size + qsizetype(h.length));
                return f;
            }
            if (t.elapsed() > timeoutMs || !readMore())
                return {0xff, false, {}};
        }
    }
    /// The next text message, fragments joined; skips pings.
    QByteArray nextText()
    {
        QByteArray text;
        for (;;) {
            const ServerFrame f = next();
            if (f.opcode == 0xff || f.opcode == ws::Close)
                return {};
            if (f.opcode == ws::Text || f.opcode == ws::Continuation) {
                text += f.payload;
                if (f.fin)
                    return text;
            }
        }
    }
    /// Whether the server closed the TCP connection within `timeoutMs`.
    bool waitForServerClose(int timeoutMs = 5000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            if (m_socket.state() == QAbstractSocket::UnconnectedState)
                return true;
            if (!readMore() && m_socket.state() != QAbstractSocket::ConnectedState)
                return true;
        }
        return false;
    }

private:
    bool readMore()
    {
        if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(100))
            return m_socket.state() == QAbstractSocket::ConnectedState;
        m_in += m_socket.readAll();
        return true;
    }

    QTcpSocket m_socket;
    QByteArray m_in;
};

QByteArray upgradeRequest(const QByteArray &extra = {}, const QByteArray &version = "13",
                          const QByteArray &method = "GET")
{
    return method + " / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: "
            + version + "\r\n" + extra + "\r\n";
}

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

quint16 closeCodeOf(const ServerFrame &f)
{
    if (f.opcode != ws::Close || f.payload.size() < 2)
        return 0;
    return quint16((quint8(f.payload[0]) << 8) | quint8(f.payload[1]));
}
} // namespace

class TestWebSocket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase() { m_fx.reset(); }

    // The pieces.
    void acceptKeyOfTheRfcExample();
    void upgradeRequests_data();
    void upgradeRequests();
    void frameHeaders_data();
    void frameHeaders();
    void maskAtAnyOffset();
    void closePayloadKeepsCharactersWhole();

    // A real server.
    void pipelinedUpgradeAndRequest();
    void fragmentsWithControlFramesBetween();
    void brokenFrames_data();
    void brokenFrames();
    void messageOverTheLimitInFragments();
    void closingHandshakeFromTheClient();
    void badUpgradesGetHttpErrors_data();
    void badUpgradesGetHttpErrors();
    void bothLayersServeAlike_data();
    void bothLayersServeAlike();

private:
    std::unique_ptr<ProtocolFixture> m_fx;
};

void TestWebSocket::initTestCase()
{
    m_fx = std::make_unique<ProtocolFixture>();
    QVERIFY(m_fx->start({u"--rate-limit"_s, u"0"_s, u"--websocket"_s, u"own"_s}));
}

void TestWebSocket::acceptKeyOfTheRfcExample()
{
    // RFC 6455 section 1.3.
    QCOMPARE(ws::acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
}

void TestWebSocket::upgradeRequests_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status"); // 0: incomplete, 101: upgraded, else the HTTP error
    QTest::addColumn<QByteArray>("origin");

    QTest::newRow("valid") << upgradeRequest() << 101 << QByteArray();
    QTest::newRow("valid, origin, header case") << upgradeRequest("ORIGIN: https://a.example\r\n").replace("Upgrade: websocket", "upgrade: WebSocket")
                                               << 101 << QByteArray("https://a.example");
    QTest::newRow("incomplete") << upgradeRequest().chopped(2) << 0 << QByteArray();
    QTest::newRow("version 8") << upgradeRequest({}, "8") << 426 << QByteArray();
    QTest::newRow("POST") << upgradeRequest({}, "13", "POST") << 405 << QByteArray();
    QTest::newRow("no upgrade header") << upgradeRequest().replace("Upgrade: websocket\r\n", "") << 400 << QByteArray();
    QTest::newRow("connection without upgrade") << upgradeRequest().replace("keep-alive, Upgrade", "keep-alive") << 400 << QByteArray();
    QTest::newRow("short key") << upgradeRequest().replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=") << 400 << QByteArray();
    QTest::newRow("no host") << upgradeRequest().replace("Host: 127.0.0.1\r\n", "") << 400 << QByteArray();
    QTest::newRow("header without colon") << upgradeRequest("nonsense\r\n") << 400 << QByteArray();
    QTest::newRow("not HTTP") << QByteArray("hello there\r\n\r\n") << 400 << QByteArray();
    QTest::newRow("endless headers") << QByteArray("GET / HTTP/1.1\r\n") + QByteArray(9000, 'x') << 431 << QByteArray();
}

void TestWebSocket::upgradeRequests()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QByteArray, origin);
    const ws::Upgrade u = ws::parseUpgrade(request + "leftover");
    if (status == 0) {
        QCOMPARE(u.status, ws::Upgrade::Incomplete);
        return;
    }
    if (status == 101) {
        QCOMPARE(u.status, ws::Upgrade::Ok);
        QCOMPARE(u.consumed, request.size());
        QVERIFY(u.response.startsWith("HTTP/1.1 101 "));
        QVERIFY(u.response.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        QVERIFY(u.response.endsWith("\r\n\r\n"));
        QCOMPARE(u.origin, origin);
        return;
    }
    QCOMPARE(u.status, ws::Upgrade::Bad);
    QVERIFY2(u.response.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '), u.response.constData());
}

void TestWebSocket::frameHeaders_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<int>("opcode");
    QTest::addColumn<bool>("fin");
    QTest::addColumn<quint64>("length");
    QTest::addColumn<int>("size");

    QTest::newRow("7-bit") << clientFrame(ws::Text, "hello") << int(ws::Text) << true << quint64(5) << 6;
    QTest::newRow("16-bit") << clientFrame(ws::Binary, QByteArray(300, 'a'), false) << int(ws::Binary) << false << quint64(300) << 8;
    QTest::newRow("64-bit") << clientFrame(ws::Text, QByteArray(70000, 'a')) << int(ws::Text) << true << quint64(70000) << 14;
    QTest::newRow("one byte") << QByteArray("\x81", 1) << 0 << false << quint64(0) << 0;
    QTest::newRow("16-bit length cut") << clientFrame(ws::Text, QByteArray(300, 'a')).left(3) << 0 << false << quint64(0) << 0;
    QTest::newRow("mask cut") << clientFrame(ws::Text, "hello").left(4) << 0 << false << quint64(0) << 0;
}

void TestWebSocket::frameHeaders()
{
    QFETCH(QByteArray, frame);
    QFETCH(int, opcode);
    QFETCH(bool, fin);
    QFETCH(quint64, length);
    QFETCH(int, size);
    const ws::FrameHeader h = ws::parseFrameHeader(frame);
    QCOMPARE(h.size, size);
    if (size == 0)
        return;
    QCOMPARE(int(h.opcode), opcode);
    QCOMPARE(h.fin, fin);
    QCOMPARE(h.length, length);
    QVERIFY(h.masked);
    QCOMPARE(h.rsv, quint8(0));

    // And back: a server header for the same payload, parsed, says the same (unmasked).
    char header[ws::kMaxFrameHeaderBytes];
    const int n = ws::writeFrameHeader(header, quint8(opcode), fin, length);
    const ws::FrameHeader back = ws::parseFrameHeader(QByteArrayView(header, n));
    QCOMPARE(back.size, n);
    QCOMPARE(back.length, length);
    QCOMPARE(back.fin, fin);
    QVERIFY(!back.masked);
}

void TestWebSocket::maskAtAnyOffset()
{
    const QByteArray text = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox.";
    const QByteArray frame = clientFrame(ws::Text, text);
    const ws::FrameHeader h = ws::parseFrameHeader(frame);
    QByteArray payload = frame.mid(h.size);
    // Unmasked in pieces of odd sizes, each at its offset in the payload.
    for (qsizetype at = 0, step = 3; at < payload.size(); at += step, step += 2) {
        const qsizetype n = std::min(step, payload.size() - at);
        ws::applyMask(payload.data() + at, n, h.mask, quint64(at));
    }
    QCOMPARE(payload, text);
}

void TestWebSocket::closePayloadKeepsCharactersWhole()
{
    const QByteArray reason = QString(100, QChar(0x00e9)).toUtf8(); // 200 bytes of 'é'
    const QByteArray p = ws::closePayload(1008, reason);
    QCOMPARE(quint8(p[0]), quint8(1008 >> 8));
    QCOMPARE(quint8(p[1]), quint8(1008 & 0xff));
    QVERIFY(p.size() <= 125);
    QCOMPARE(p.size(), 2 + 122); // 61 whole characters: the 62nd would need byte 124
    QVERIFY(QByteArrayView(p).sliced(2).isValidUtf8());
}

void TestWebSocket::pipelinedUpgradeAndRequest()
{
    RawClient c;
    QVERIFY(c.connectTo(m_fx->server->port()));
    // The upgrade and a first request in one write: the request is not lost behind the upgrade.
    const QByteArray head = c.upgrade(upgradeRequest(), clientFrame(ws::Text, json(obj({{u"type"_s, u"ping"_s}, {u"id"_s, 7}}))));
    QVERIFY2(head.startsWith("HTTP/1.1 101 "), head.constData());
    QVERIFY(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    const QJsonObject reply = QJsonDocument::fromJson(c.nextText()).object();
    // Not logged in: an error, but an answer to request 7.
    QCOMPARE(typeOf(reply), u"error"_s);
    QCOMPARE(codeOf(reply), u"unauthenticated"_s);
    QCOMPARE(reply[u"re"_s].toInt(), 7);
}

void TestWebSocket::fragmentsWithControlFramesBetween()
{
    RawClient c;
    QVERIFY(c.connectTo(m_fx->server->port()));
    QVERIFY(c.upgrade(upgradeRequest()).startsWith("HTTP/1.1 101 "));
    const QByteArray login = json(obj({{u"type"_s, u"login"_s}, {u"id"_s, 1}, {u"protocol"_s, 1},
                                       {u"email"_s, u"carol@customer.test"_s},
                                       {u"password"_s, QString::fromLatin1(ProtocolFixture::kPassword)}}));
    // Three fragments, a ping between the first two, each written on its own.
    c.write(clientFrame(ws::Text, login.left(10), false));
    c.write(clientFrame(ws::Ping, "are you there"));
    const ServerFrame pong = c.next();
    QCOMPARE(int(pong.opcode), int(ws::Pong));
    QCOMPARE(pong.payload, QByteArray("are you there"));
    c.write(clientFrame(ws::Continuation, login.mid(10, 20), false));
    c.write(clientFrame(ws::Continuation, login.mid(30), true));
    const QJsonObject welcome = QJsonDocument::fromJson(c.nextText()).object();
    QCOMPARE(typeOf(welcome), u"welcome"_s);
    QCOMPARE(welcome[u"re"_s].toInt(), 1);

    // A message with a character split across fragments is still one valid text.
    c.write(clientFrame(ws::Text, json(obj({{u"type"_s, u"threads"_s}, {u"id"_s, 2}}))));
    const QJsonObject threads = QJsonDocument::fromJson(c.nextText()).object();
    const int thread = threads[u"threads"_s][0][u"id"_s].toInt();
    QVERIFY(thread > 0);
    const QByteArray text = json(obj({{u"type"_s, u"send"_s}, {u"id"_s, 3}, {u"thread"_s, thread},
                                      {u"clientId"_s, u"frag-1"_s}, {u"text"_s, u"caf\u00e9"_s}}));
    const qsizetype split = text.indexOf("\xc3") + 1; // inside the two bytes of 'é'
    QVERIFY(split > 0);
    c.write(clientFrame(ws::Text, text.left(split), false) + clientFrame(ws::Continuation, text.mid(split)));
    const QJsonObject sent = QJsonDocument::fromJson(c.nextText()).object();
    QCOMPARE(typeOf(sent), u"sent"_s);
    QCOMPARE(sent[u"re"_s].toInt(), 3);
    QCOMPARE(sent[u"message"_s][u"text"_s].toString(), u"caf\u00e9"_s);
}

void TestWebSocket::brokenFrames_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<int>("closeCode");

    const QByteArray ping = json(obj({{u"type"_s, u"ping"_s}}));
    QTest::newRow("unmasked") << clientFrame(ws::Text, ping, true, false) << 1002;
    QTest::newRow("reserved bit") << QByteArray(clientFrame(ws::Text, ping)).replace(0, 1, "\xc1") << 1002;
    QTest::newRow("unknown opcode") << clientFrame(0x3, ping) << 1002;
    QTest::newRow("unknown control opcode") << clientFrame(0xB, "x") << 1002;
    QTest::newRow("continuation first") << clientFrame(ws::Continuation, ping) << 1002;
    QTest::newRow("text inside a message") << clientFrame(ws::Text, "{", false) + clientFrame(ws::Text, "}") << 1002;
    QTest::newRow("fragmented ping") << clientFrame(ws::Ping, "x", false) << 1002;
    QTest::newRow("long ping") << clientFrame(ws::Ping, QByteArray(126, 'x')) << 1002;
    QTest::newRow("text not UTF-8") << clientFrame(ws::Text, "{\"type\":\"\xff\xfe\"}") << 1007;
    QTest::newRow("frame over the limit") << clientFrame(ws::Text, QByteArray(64 * 1024 + 1, ' ')) << 1009;
    QTest::newRow("close code 1005 sent") << clientFrame(ws::Close, QByteArray("\x03\xed", 2)) << 1002;
    QTest::newRow("close with one byte") << clientFrame(ws::Close, "x") << 1002;
}

void TestWebSocket::brokenFrames()
{
    QFETCH(QByteArray, frame);
    QFETCH(int, closeCode);
    RawClient c;
    QVERIFY(c.connectTo(m_fx->server->port()));
    QVERIFY(c.upgrade(upgradeRequest()).startsWith("HTTP/1.1 101 "));
    c.write(frame);
    ServerFrame f = c.next();
    QCOMPARE(int(f.opcode), int(ws::Close));
    QCOMPARE(int(closeCodeOf(f)), closeCode);
    // The server ends the TCP connection once the client answers (or goes).
    c.write(clientFrame(ws::Close, QByteArray("\x03\xe8", 2)));
    QVERIFY(c.waitForServerClose());

    // Others are served as before.
    auto other = m_fx->client("dave@customer.test");
    QVERIFY(other);
    QCOMPARE(typeOf(other->request(obj({{u"type"_s, u"ping"_s}}))), u"pong"_s);
}

void TestWebSocket::messageOverTheLimitInFragments()
{
    RawClient c;
    QVERIFY(c.connectTo(m_fx->server->port()));
    QVERIFY(c.upgrade(upgradeRequest()).startsWith("HTTP/1.1 101 "));
    // Each fragment is within the limit; together they are not.
    c.write(clientFrame(ws::Text, QByteArray(40 * 1024, ' '), false));
    c.write(clientFrame(ws::Continuation, QByteArray(40 * 1024, ' '), true));
    const ServerFrame f = c.next();
    QCOMPARE(int(f.opcode), int(ws::Close));
    QCOMPARE(int(closeCodeOf(f)), 1009);
    // A client that does not answer the close frame is dropped all the same.
    QVERIFY(c.waitForServerClose(6000));
}

void TestWebSocket::closingHandshakeFromTheClient()
{
    RawClient c;
    QVERIFY(c.connectTo(m_fx->server->port()));
    QVERIFY(c.upgrade(upgradeRequest()).startsWith("HTTP/1.1 101 "));
    c.write(clientFrame(ws::Close, QByteArray("\x0f\xa0", 2) + "bye")); // 4000, an application's code
    const ServerFrame f = c.next();
    QCOMPARE(int(f.opcode), int(ws::Close));
    QCOMPARE(int(closeCodeOf(f)), 4000);
    QVERIFY(c.waitForServerClose());
}

void TestWebSocket::badUpgradesGetHttpErrors_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("status");
    QTest::newRow("version 8") << upgradeRequest({}, "8") << QByteArray("426");
    QTest::newRow("plain HTTP") << QByteArray("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") << QByteArray("400");
    QTest::newRow("POST") << upgradeRequest({}, "13", "POST") << QByteArray("405");
}

void TestWebSocket::badUpgradesGetHttpErrors()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, status);
    RawClient c;
    QVERIFY(c.connectTo(m_fx->server->port()));
    const QByteArray head = c.upgrade(request);
    QVERIFY2(head.startsWith("HTTP/1.1 " + status + ' '), head.constData());
    QVERIFY(c.waitForServerClose());
}

void TestWebSocket::bothLayersServeAlike_data()
{
    QTest::addColumn<QString>("layer");
    QTest::newRow("own") << u"own"_s;
    QTest::newRow("qt") << u"qt"_s;
}

void TestWebSocket::bothLayersServeAlike()
{
    QFETCH(QString, layer);
    ProtocolFixture fx;
    QVERIFY(fx.start({u"--rate-limit"_s, u"0"_s, u"--websocket"_s, layer}));
    auto carol = fx.client("carol@customer.test");
    auto ann = fx.client("ann@support.test");
    QVERIFY(carol && ann);
    const QJsonObject threads = carol->request(obj({{u"type"_s, u"threads"_s}}));
    const int thread = threads[u"threads"_s][0][u"id"_s].toInt();
    // A text of 4,000 characters outside the BMP: 16,000 bytes each way, as one frame.
    QString text;
    for (int i = 0; i < 4000; ++i)
        text += QString::fromUcs4(U"\U0001F600", 1);
    const QJsonObject sent = carol->request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, thread},
                                                 {u"clientId"_s, u"alike-1"_s}, {u"text"_s, text}}));
    QCOMPARE(typeOf(sent), u"sent"_s);
    const QJsonObject push = ann->takePush(u"message"_s);
    QCOMPARE(push[u"message"_s][u"text"_s].toString(), text);
    QCOMPARE(push[u"message"_s][u"id"_s], sent[u"message"_s][u"id"_s]);
    // Closing from the server side: a logout ends in a normal close.
    QCOMPARE(typeOf(carol->request(obj({{u"type"_s, u"logout"_s}}))), u"ok"_s);
    QVERIFY(carol->waitForDisconnected());
    QCOMPARE(carol->closeCode(), 1000);
}

QTEST_GUILESS_MAIN(TestWebSocket)
#include "tst_websocket.moc"
