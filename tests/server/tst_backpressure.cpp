// A session that stops reading is cut off at the output bound; nobody else notices.

#include "fixture.h"
#include "rawframe.h"

#include <QElapsedTimer>
#include <QTcpSocket>

#include <optional>

using namespace Qt::StringLiterals;

namespace {

/// A raw WebSocket connection logged in as `email`: it answers nothing, not even pings.
bool openRawSession(QTcpSocket &socket, quint16 port, const QByteArray &email)
{
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(5000))
        return false;
    socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    if (!socket.waitForReadyRead(5000)) // the 101 handshake answer
        return false;
    socket.write(clientTextFrame("{\"type\":\"login\",\"id\":1,\"protocol\":1,\"email\":\"" + email
                                 + "\",\"password\":\"correct horse\"}"));
    return true;
}

/// Reads server frames (unmasked, RFC 6455 section 5.2) off a raw socket opened by
/// openRawSession(), after the handshake's answer, as the data comes: a peer with small
/// buffers still gets all of it.
class RawReader
{
public:
    explicit RawReader(QTcpSocket &socket)
        : m_socket(socket)
    {
    }

    /// The next whole text message that answers request `re`; the others (the welcome,
    /// presence) are skipped. Empty on a timeout.
    QJsonObject replyTo(qint64 re, int timeoutMs)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            while (const auto frame = nextMessage()) {
                if (frame->value(u"re"_s).toInteger(-1) == re)
                    return *frame;
            }
            if (m_socket.bytesAvailable() == 0
                && m_socket.state() != QAbstractSocket::ConnectedState)
                break; // Dropped: nothing more will come.
            if (m_socket.bytesAvailable() == 0)
                m_socket.waitForReadyRead(1000);
            m_buffer += m_socket.readAll();
        }
        return {};
    }

private:
    std::optional<QJsonObject> nextMessage()
    {
        if (!m_upgraded) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return std::nullopt;
            m_buffer.remove(0, end + 4);
            m_upgraded = true;
        }
        for (;;) {
            if (m_buffer.size() < 2)
                return std::nullopt;
            const auto b0 = quint8(m_buffer.at(0)), b1 = quint8(m_buffer.at(1));
            qint64 length = b1 & 0x7f;
            int header = 2;
            if (length == 126) {
                header = 4;
                if (m_buffer.size() < header)
                    return std::nullopt;
                length = (quint8(m_buffer.at(2)) << 8) | quint8(m_buffer.at(3));
            } else if (length == 127) {
                header = 10;
                if (m_buffer.size() < header)
                    return std::nullopt;
                length = 0;
                for (int i = 2; i < 10; ++i)
                    length = (length << 8) | quint8(m_buffer.at(i));
            }
            if (b1 & 0x80) // A server never masks.
                return QJsonObject{{u"error"_s, u"masked frame"_s}};
            if (m_buffer.size() < header + length)
                return std::nullopt;
            m_message += m_buffer.mid(header, length);
            m_buffer.remove(0, header + length);
            if (b0 & 0x80) { // FIN: the message is whole.
                const QJsonObject frame = QJsonDocument::fromJson(m_message).object();
                m_message.clear();
                return frame;
            }
        }
    }

    QTcpSocket &m_socket;
    QByteArray m_buffer;
    QByteArray m_message;
    bool m_upgraded = false;
};

} // namespace

class TestBackpressure : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_fx.start()); }
    void slowReaderIsDisconnectedOthersUnaffected();
    void peerThatStopsAnsweringIsDropped();
    void replyLargerThanTheBoundReachesAReader();

private:
    ProtocolFixture m_fx;
};

void TestBackpressure::slowReaderIsDisconnectedOthersUnaffected()
{
    // The slow reader: a raw socket that logs in as an admin and then reads (almost) nothing.
    QTcpSocket slow;
    slow.setReadBufferSize(1024);
    QVERIFY(openRawSession(slow, m_fx.server->port(), QByteArrayLiteral("ann@support.test")));

    auto bob = m_fx.client("bob@support.test"); // sees Ann's presence
    auto carol = m_fx.client("carol@customer.test");
    QVERIFY(bob && carol);
    const qint64 annId = [&] {
        auto ann = m_fx.client("ann@support.test"); // learn her id, then go away again
        return ann ? m_fx.userIds.value(u"ann@support.test"_s) : -1;
    }();
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        for (const QJsonObject &p : bob->pushesOfType(u"presence"_s)) {
            if (p[u"user"_s].toInteger() == annId && p[u"online"_s].toBool())
                return true;
        }
        return false;
    }()), 10'000);
    bob->pushes().clear();

    const qint64 thread = carol->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s][0][u"id"_s].toInteger();
    const QString text(3900, u'z');
    auto annDropped = [&] {
        for (const QJsonObject &p : bob->pushesOfType(u"presence"_s)) {
            if (p[u"user"_s].toInteger() == annId && !p[u"online"_s].toBool())
                return true;
        }
        return false;
    };
    // Send until the slow reader is cut off: how much that takes depends on the kernel's socket
    // buffers (several MiB on loopback) plus the server's 4 MiB bound, so it is not fixed here.
    const int maxTotal = 20'000; // ~80 MiB: far beyond any buffer; bounds the test
    int total = 0;
    while (total < maxTotal && !annDropped()) {
        for (int i = 0; i < 50; ++i, ++total) {
            carol->sendRaw(QString::fromUtf8(
                QJsonDocument(obj({{u"type"_s, u"send"_s}, {u"id"_s, total + 1}, {u"thread"_s, thread},
                                   {u"clientId"_s, u"bp-%1"_s.arg(total)}, {u"text"_s, text}}))
                    .toJson(QJsonDocument::Compact)));
        }
        // Closed loop for the readers in this process: they keep up, the slow one does not.
        QVERIFY(carol->waitForPushes(u"sent"_s, total - 50, 30'000));
    }
    QVERIFY2(annDropped(), "the slow reader was never disconnected");
    qInfo("slow reader cut off after %d messages of ~4 KB", total);
    // Every send is acknowledged and reaches the admin who reads.
    QVERIFY(carol->waitForPushes(u"sent"_s, total, 60'000));
    QVERIFY(bob->waitForPushes(u"message"_s, total, 60'000));
    QCOMPARE(carol->pushesOfType(u"error"_s).size(), 0);
    // Her data is intact: on reconnect she catches up with sync.
    auto annAgain = m_fx.client("ann@support.test");
    QVERIFY(annAgain);
    qint64 after = 0;
    int seen = 0;
    for (;;) {
        const QJsonObject page = annAgain->request(obj({{u"type"_s, u"sync"_s}, {u"after"_s, after}, {u"limit"_s, 500}}), 30'000);
        const QJsonArray msgs = page[u"messages"_s].toArray();
        for (const QJsonValue &m : msgs) {
            seen += m[u"clientId"_s].toString().startsWith(u"bp-"_s) ? 1 : 0;
            after = m[u"id"_s].toInteger();
        }
        if (!page[u"hasMore"_s].toBool())
            break;
    }
    QCOMPARE(seen, total);
}

void TestBackpressure::peerThatStopsAnsweringIsDropped()
{
    ProtocolFixture fx;
    QVERIFY(fx.start({u"--ping-interval"_s, u"1"_s}));
    QTcpSocket dead;
    QVERIFY(openRawSession(dead, fx.server->port(), QByteArrayLiteral("carol@customer.test")));
    auto alive = fx.client("carol@customer.test"); // answers pings (QWebSocket does)
    QVERIFY(alive);
    // Two silent intervals, then the server drops the connection that never answers pings.
    QTRY_COMPARE_WITH_TIMEOUT(dead.state(), QAbstractSocket::UnconnectedState, 10'000);
    QTest::qWait(2500);
    QVERIFY(alive->isConnected());
    QCOMPARE(typeOf(alive->request(obj({{u"type"_s, u"ping"_s}}))), u"pong"_s);
}

void TestBackpressure::replyLargerThanTheBoundReachesAReader()
{
    // The bound is on output queued before a frame: a reply larger than the bound (an admin's
    // inbox of 10,000 threads is megabytes) goes out whole to a peer that reads it, however
    // small its buffers. Here a sync page of 500 messages of 4,000 characters that JSON
    // writes as six bytes each (\u0001): 12 MB, more than the 4 MiB bound plus the most the
    // kernel buffers for a socket (tcp_wmem, 4 MiB here) plus the reader's 64 KiB.
    ProtocolFixture fx;
    QVERIFY(fx.start());
    auto carol = fx.client("carol@customer.test");
    QVERIFY(carol);
    const QString text = u'x' + QString(3998, QChar(1)) + u'x';
    for (int i = 0; i < 500; ++i) {
        carol->sendRaw(QString::fromUtf8(
            QJsonDocument(obj({{u"type"_s, u"send"_s}, {u"id"_s, i + 1},
                               {u"thread"_s, carol->request(obj({{u"type"_s, u"threads"_s}}))
                                                     [u"threads"_s][0][u"id"_s].toInteger()},
                               {u"clientId"_s, u"big-%1"_s.arg(i)}, {u"text"_s, text}}))
                .toJson(QJsonDocument::Compact)));
    }
    QVERIFY(carol->waitForPushes(u"sent"_s, 500, 60'000));

    QTcpSocket reader;
    reader.setReadBufferSize(64 * 1024);
    QVERIFY(openRawSession(reader, fx.server->port(), QByteArrayLiteral("ann@support.test")));
    reader.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 64 * 1024);
    RawReader frames(reader);
    QCOMPARE(frames.replyTo(1, 10'000).value(u"type"_s).toString(), u"welcome"_s);
    reader.write(clientTextFrame(R"({"type":"sync","id":2,"after":0,"limit":500})"));
    QVERIFY(reader.waitForBytesWritten(5000));
    QTest::qWait(500); // The server writes the whole reply while nothing is read.
    const QJsonObject page = frames.replyTo(2, 60'000);
    QCOMPARE(page.value(u"type"_s).toString(), u"sync"_s);
    const QJsonArray messages = page.value(u"messages"_s).toArray();
    QCOMPARE(messages.size(), 500);
    QCOMPARE(messages.last()[u"text"_s].toString(), text);
    QCOMPARE(reader.state(), QAbstractSocket::ConnectedState);
    reader.write(clientTextFrame(R"({"type":"ping","id":3})"));
    QCOMPARE(frames.replyTo(3, 10'000).value(u"type"_s).toString(), u"pong"_s);
}

QTEST_GUILESS_MAIN(TestBackpressure)
#include "tst_backpressure.moc"
