// Five sessions that never read their sockets while messages flow to them: each is closed
// at the output bound, the server's memory stays bounded (VmHWM reported), the readers that
// keep up see normal latency, and a cut-off user catches up with `sync` after reconnecting.

#include "chaos.h"
#include "rawframe.h"

#include <QElapsedTimer>
#include <QTcpSocket>

using namespace chaos;

namespace {

/// A raw WebSocket logged in by token that then reads (almost) nothing.
bool openSilentReader(QTcpSocket &socket, quint16 port, const QString &token)
{
    socket.setReadBufferSize(1024);
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(5000))
        return false;
    socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    if (!socket.waitForReadyRead(5000))
        return false;
    socket.write(clientTextFrame(
        R"({"type":"login","id":1,"protocol":1,"token":")" + token.toLatin1() + R"("})"));
    return socket.waitForBytesWritten(5000);
}

} // namespace

class TestChaosSlowReader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void slowReadersAreCutOffMemoryStaysBounded();
};

void TestChaosSlowReader::slowReadersAreCutOffMemoryStaysBounded()
{
    constexpr int kSlow = 5;
    ChaosServer cs;
    QVERIFY(cs.init());
    QVERIFY(cs.addUser(u"ann@support.test"_s, u"admin"_s));
    QVERIFY(cs.addUser(u"bob@support.test"_s, u"admin"_s));
    QVERIFY(cs.addUser(u"slow@support.test"_s, u"admin"_s));
    QVERIFY(cs.addUser(u"carol@customer.test"_s, u"customer"_s));
    QVERIFY(cs.server->start({u"--rate-limit"_s, u"0"_s}));
    Client ann = cs.login(u"ann@support.test"_s);
    Client bob = cs.login(u"bob@support.test"_s);
    Client carol = cs.login(u"carol@customer.test"_s);
    Client slowUser = cs.login(u"slow@support.test"_s); // for its token; then gone
    QVERIFY(ann.c && bob.c && carol.c && slowUser.c);
    slowUser.c.reset();
    const qint64 pid = serverPid();
    QVERIFY(pid > 0);
    const qint64 hwmStart = procStatusKiB(pid, "VmHWM:");

    std::vector<std::unique_ptr<QTcpSocket>> slow;
    for (int i = 0; i < kSlow; ++i) {
        slow.push_back(std::make_unique<QTcpSocket>());
        QVERIFY(openSilentReader(*slow.back(), cs.server->port(), slowUser.token));
    }
    QTest::qWait(500);
    bob.c->pushes().clear();

    // Carol writes 4 KB messages until every silent reader is cut off (at most ~80 MiB).
    const QString text(3900, u'z');
    // A silent reader's own socket never sees the close (it does not read), so the server's
    // word counts: the slow user goes offline for Bob when the last of its sessions is gone.
    auto slowLeft = [&] {
        for (const QJsonObject &p : bob.c->pushesOfType(u"presence"_s)) {
            if (p.value("user"_L1).toInteger() == slowUser.userId && !p.value("online"_L1).toBool())
                return 0;
        }
        return 1;
    };
    int total = 0;
    qint64 worstBatchMs = 0;
    while (slowLeft() > 0 && total < 20'000) {
        QElapsedTimer batch;
        batch.start();
        for (int i = 0; i < 50; ++i, ++total)
            carol.c->sendRaw(sendFrame(total + 1, carol.thread, u"sr-%1"_s.arg(total), text));
        // Closed loop: the readers in this process keep up; the silent ones do not.
        QVERIFY(carol.c->waitForPushes(u"sent"_s, total, 30'000));
        QVERIFY(bob.c->waitForPushes(u"message"_s, total, 30'000));
        worstBatchMs = qMax(worstBatchMs, batch.elapsed());
    }
    const qint64 hwm = procStatusKiB(pid, "VmHWM:");
    qInfo("%d silent readers cut off after %d messages of ~4 KB (%d MiB to each); server VmHWM"
          " %lld KiB at the start, %lld KiB at the end; slowest batch of 50 sends to a reader"
          " that keeps up: %lld ms",
          kSlow, total, int(qint64(total) * 3900 / (1 << 20)), hwmStart, hwm, worstBatchMs);
    QCOMPARE(slowLeft(), 0);
    // The bound is 4 MiB of unsent output per session, plus what the kernel holds: the peak
    // must stay far below what went to the five silent readers (7 MiB or more each).
#ifndef DPICHAT_SANITIZED // ASan's quarantine keeps 256 MiB of freed memory resident
    QVERIFY2(hwm - hwmStart < 150 * 1024, qPrintable(QString::number(hwm - hwmStart)));
#endif
    QVERIFY2(worstBatchMs < 10'000, "a reader that keeps up was held back");
    QCOMPARE(carol.c->pushesOfType(u"error"_s).size(), 0);
    QCOMPARE(ann.c->pushesOfType(u"message"_s).size(), qsizetype(total)); // her reading session

    // The slow user, reconnecting on the cut-off token, catches up with everything.
    Client again = cs.login(u"slow@support.test"_s, slowUser.token);
    QVERIFY(again.c);
    QList<QJsonObject> all;
    QVERIFY(syncAll(*again.c, all));
    QCOMPARE(all.size(), qsizetype(total));
}

QTEST_GUILESS_MAIN(TestChaosSlowReader)
#include "tst_chaos_slowreader.moc"
