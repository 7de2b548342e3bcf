// A session that stops reading is cut off at the output bound; nobody else notices.

#include "fixture.h"
#include "rawframe.h"

#include <QTcpSocket>

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

} // namespace

class TestBackpressure : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_fx.start()); }
    void slowReaderIsDisconnectedOthersUnaffected();
    void peerThatStopsAnsweringIsDropped();

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

QTEST_GUILESS_MAIN(TestBackpressure)
#include "tst_backpressure.moc"
