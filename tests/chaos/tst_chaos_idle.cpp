// 1,000 WebSockets that open and never log in are closed after the login timeout (10 s,
// close code 1008), and half-open handshakes (TCP connected, upgrade never finished) after
// the handshake timeout (10 s); meanwhile a logged-in user's pings are answered within 1 s.

#include "chaos.h"

#include <QElapsedTimer>
#include <QTcpSocket>
#include <sys/resource.h>

using namespace chaos;

class TestChaosIdle : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void silentSocketsAreClosedAndServerStaysResponsive();
};

void TestChaosIdle::initTestCase()
{
    // Two descriptors per socket here and one in the server, which inherits this limit.
    rlimit rl{};
    QCOMPARE(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = rl.rlim_max;
    QCOMPARE(setrlimit(RLIMIT_NOFILE, &rl), 0);
    QVERIFY2(rl.rlim_cur >= 4096, "raise the hard limit of open files (ulimit -Hn)");
}

void TestChaosIdle::silentSocketsAreClosedAndServerStaysResponsive()
{
    constexpr int kSilent = 1000;
    constexpr int kHalfOpen = 200;
    ChaosServer cs;
    QVERIFY(cs.init());
    QVERIFY(cs.addUser(u"carol@customer.test"_s, u"customer"_s));
    QVERIFY(cs.server->start());
    Client carol = cs.login(u"carol@customer.test"_s);
    QVERIFY(carol.c);

    qint64 worstPingMs = 0;
    int pings = 0;
    auto ping = [&] {
        QElapsedTimer t;
        t.start();
        const QJsonObject pong = carol.c->request({{"type"_L1, "ping"_L1}}, 5000);
        worstPingMs = qMax(worstPingMs, t.elapsed());
        ++pings;
        return typeOf(pong) == "pong"_L1;
    };

    QElapsedTimer clock;
    clock.start();
    std::vector<std::unique_ptr<QTcpSocket>> halfOpen;
    for (int i = 0; i < kHalfOpen; ++i) {
        halfOpen.push_back(std::make_unique<QTcpSocket>());
        halfOpen.back()->connectToHost(QHostAddress::LocalHost, cs.server->port());
        if (i % 2) // half of them start the upgrade request and never finish it
            halfOpen.back()->write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        // In small batches: a burst beyond the listen backlog is dropped by the kernel before
        // the server could see it, and such a connection only exists on this side.
        if (i % 20 == 19)
            QTest::qWait(50);
    }
    std::vector<std::unique_ptr<TestClient>> silent;
    for (int i = 0; i < kSilent; ++i) {
        silent.push_back(std::make_unique<TestClient>(cs.server->url()));
        silent.back()->socket().open(cs.server->url());
        if (i % 100 == 99) {
            QVERIFY2(ping(), "ping not answered while sockets open");
        }
    }
    auto count = [&](auto pred) {
        int n = 0;
        for (const auto &s : silent)
            n += pred(*s) ? 1 : 0;
        return n;
    };
    // All of them get through the handshake (nothing refused under the pending limit).
    while (count([](TestClient &c) { return c.isConnected(); }) < kSilent && clock.elapsed() < 30'000) {
        QVERIFY(ping());
        QTest::qWait(100);
    }
    const int opened = count([](TestClient &c) {
        return c.isConnected() || c.closeCode() == 1008;
    });
    qInfo("%d of %d silent sockets connected after %lld ms", opened, kSilent, clock.elapsed());
    QCOMPARE(opened, kSilent);

    // Then the login timeout closes every one of them with 1008, and the handshake timeout
    // the half-open ones; carol is pinging all along.
    auto halfOpenLeft = [&] {
        int n = 0;
        for (const auto &s : halfOpen)
            n += s->state() != QAbstractSocket::UnconnectedState ? 1 : 0;
        return n;
    };
    while ((count([](TestClient &c) { return c.isConnected(); }) > 0 || halfOpenLeft() > 0)
           && clock.elapsed() < 90'000) {
        QVERIFY(ping());
        QTest::qWait(200);
    }
    const qint64 closedAfter = clock.elapsed();
    const int policyClosed = count([](TestClient &c) { return !c.isConnected() && c.closeCode() == 1008; });
    qInfo("closed after %lld ms: %d with 1008, half-open left %d; %d pings, slowest %lld ms",
          closedAfter, policyClosed, halfOpenLeft(), pings, worstPingMs);
    QCOMPARE(policyClosed, kSilent);
    QCOMPARE(halfOpenLeft(), 0);
    QVERIFY2(closedAfter >= 9'000, "closed before the login timeout");
    QVERIFY2(worstPingMs < 1000, qPrintable(u"a ping took %1 ms"_s.arg(worstPingMs)));
    QVERIFY(carol.c->isConnected());
    QVERIFY(ping());
}

QTEST_GUILESS_MAIN(TestChaosIdle)
#include "tst_chaos_idle.moc"
