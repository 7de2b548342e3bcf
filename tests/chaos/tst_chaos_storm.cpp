// Reconnect storm: 2,000 connected clients are dropped at once (the server is killed and
// restarted), reconnect with jittered exponential backoff, log in by token and catch up with
// `sync`; each ends with every message of its thread exactly once. A probe in a process of its
// own (chaos_pingprobe) pings all along, so its figures are the server's lateness, not this
// process's. Reported: storm duration, ping times, the server's peak memory (VmHWM).

#include "chaos.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <sys/resource.h>

#include <algorithm>

using namespace chaos;

namespace {
constexpr int kClients = 2000;
constexpr int kUsers = 10;
constexpr int kMessagesPerThreadEachRound = 5;
constexpr int kPingIntervalMs = 200;

struct StormClient
{
    enum State { Waiting, Opening, LoggingIn, Syncing, Done };
    std::unique_ptr<TestClient> c;
    int user = 0;
    State state = Waiting;
    qint64 dueMs = 0;
    qint64 since = 0;
    int backoffMs = 250;
    qsizetype consumed = 0;
    qint64 nextRequestId = 1;
    qint64 synced = 0; ///< Everything up to here is held: advanced by sync pages only.
    QSet<qint64> have;
    int duplicates = 0;
    int attempts = 0;
};
} // namespace

class TestChaosStorm : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void twoThousandReconnectAndCatchUp();

private:
    /// Drives every client one step; true when all are Done.
    bool step(std::vector<StormClient> &clients, qint64 nowMs);

    ChaosServer m_cs;
    QStringList m_tokens;
    QList<qint64> m_threads;
};

void TestChaosStorm::initTestCase()
{
    rlimit rl{};
    QCOMPARE(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = rl.rlim_max; // the server inherits it
    QCOMPARE(setrlimit(RLIMIT_NOFILE, &rl), 0);
    QVERIFY2(rl.rlim_cur >= 3 * kClients, "raise the hard limit of open files (ulimit -Hn)");
}

bool TestChaosStorm::step(std::vector<StormClient> &clients, qint64 now)
{
    bool allDone = true;
    for (StormClient &s : clients) {
        auto retry = [&] {
            s.c = std::make_unique<TestClient>(m_cs.server->url());
            s.consumed = 0;
            s.state = StormClient::Waiting;
            s.dueMs = now + s.backoffMs / 2 + QRandomGenerator::global()->bounded(s.backoffMs);
            s.backoffMs = qMin(s.backoffMs * 2, 8000);
        };
        if (s.state != StormClient::Done)
            allDone = false;
        switch (s.state) {
        case StormClient::Waiting:
            if (now >= s.dueMs) {
                ++s.attempts;
                s.c->socket().open(m_cs.server->url());
                s.state = StormClient::Opening;
                s.since = now;
            }
            break;
        case StormClient::Opening:
            if (s.c->isConnected()) {
                s.c->sendRaw(compact({{"type"_L1, "login"_L1}, {"id"_L1, s.nextRequestId},
                                      {"protocol"_L1, 1}, {"token"_L1, m_tokens[s.user]}}));
                s.state = StormClient::LoggingIn;
            } else if (now - s.since > 10'000 || s.c->socket().state() == QAbstractSocket::UnconnectedState) {
                retry();
            }
            break;
        default: // logged in, syncing or done: a dropped connection starts over
            if (!s.c->isConnected()) {
                retry();
                break;
            }
        }
        // Frames: the login reply, sync pages, pushes.
        QList<QJsonObject> &frames = s.c->pushes();
        for (; s.consumed < frames.size(); ++s.consumed) {
            const QJsonObject o = frames.at(s.consumed);
            const QString type = typeOf(o);
            QJsonArray messages;
            if (type == "message"_L1)
                messages.append(o.value("message"_L1));
            if (o.value("re"_L1).toInteger() == s.nextRequestId) {
                ++s.nextRequestId;
                if (type == "welcome"_L1) {
                    s.state = StormClient::Syncing;
                } else if (type == "sync"_L1) {
                    messages = o.value("messages"_L1).toArray();
                    if (!o.value("hasMore"_L1).toBool())
                        s.state = StormClient::Done;
                } else { // an error: back off and try again
                    s.c->socket().abort();
                    retry();
                    break;
                }
                qint64 previous = 0;
                for (const QJsonValue &m : std::as_const(messages)) {
                    const qint64 id = m.toObject().value("id"_L1).toInteger();
                    if (id <= previous)
                        s.duplicates += 1'000'000; // a sync page out of order: fails below
                    previous = id;
                    s.synced = qMax(s.synced, id);
                }
                if (s.state == StormClient::Syncing)
                    s.c->sendRaw(compact({{"type"_L1, "sync"_L1}, {"id"_L1, s.nextRequestId},
                                          {"after"_L1, s.synced}, {"limit"_L1, 100}}));
            }
            for (const QJsonValue &m : std::as_const(messages)) {
                const qint64 id = m.toObject().value("id"_L1).toInteger();
                if (s.have.contains(id))
                    ++s.duplicates; // dropped, as PROTOCOL.md tells clients to
                s.have.insert(id);
            }
        }
        if (s.state == StormClient::Done)
            s.backoffMs = 250;
    }
    return allDone;
}

void TestChaosStorm::twoThousandReconnectAndCatchUp()
{
    QVERIFY(m_cs.init());
    QVERIFY(m_cs.addUser(u"admin@support.test"_s, u"admin"_s));
    for (int u = 0; u < kUsers; ++u)
        QVERIFY(m_cs.addUser(u"user%1@customer.test"_s.arg(u), u"customer"_s));
    QVERIFY(m_cs.server->start({u"--rate-limit"_s, u"0"_s}));
    for (int u = 0; u < kUsers; ++u) {
        Client c = m_cs.login(u"user%1@customer.test"_s.arg(u));
        QVERIFY(c.c);
        m_tokens.append(c.token);
        m_threads.append(c.thread);
    }
    QMap<qint64, QSet<qint64>> expected; // thread -> message ids
    int round = 0;
    auto answerEveryone = [&](Client &admin) {
        ++round;
        for (int u = 0; u < kUsers; ++u) {
            for (int i = 0; i < kMessagesPerThreadEachRound; ++i) {
                const QJsonObject r = admin.c->request(
                    {{"type"_L1, "send"_L1}, {"thread"_L1, m_threads[u]},
                     {"clientId"_L1, u"r%1-%2-%3"_s.arg(round).arg(u).arg(i)}, {"text"_L1, "hi"_L1}}, 30'000);
                if (typeOf(r) != "sent"_L1)
                    return false;
                expected[m_threads[u]].insert(r.value("message"_L1).toObject().value("id"_L1).toInteger());
            }
        }
        return true;
    };

    // Everyone connects (jittered over 2 s) and catches up.
    std::vector<StormClient> clients(kClients);
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < kClients; ++i) {
        clients[size_t(i)].user = i % kUsers;
        clients[size_t(i)].c = std::make_unique<TestClient>(m_cs.server->url());
        clients[size_t(i)].dueMs = QRandomGenerator::global()->bounded(2000);
    }
    while (!step(clients, clock.elapsed()) && clock.elapsed() < 240'000)
        QTest::qWait(5);
    QVERIFY2(clock.elapsed() < 240'000, "the clients did not all connect");
    qInfo("%d clients connected and synced in %lld ms", kClients, clock.elapsed());

    // Live traffic reaches all of them.
    {
        Client admin = m_cs.login(u"admin@support.test"_s);
        QVERIFY(admin.c);
        QVERIFY(answerEveryone(admin));
    }
    auto allHoldEverything = [&] {
        for (const StormClient &c : clients) {
            if (c.have != expected.value(m_threads[c.user]))
                return false;
        }
        return true;
    };
    while (!(step(clients, clock.elapsed()) && allHoldEverything()) && clock.elapsed() < 300'000)
        QTest::qWait(5);
    QVERIFY2(allHoldEverything(), "a live push did not reach every session");
    const qint64 pid = serverPid();
    qint64 hwmBefore = procStatusKiB(pid, "VmHWM:");

    // The drop: the server dies with 2,000 sessions; it comes back at once.
    m_cs.server->kill();
    QElapsedTimer noticed;
    noticed.start();
    auto anyConnected = [&] {
        for (const StormClient &c : clients) {
            if (c.c->isConnected())
                return true;
        }
        return false;
    };
    while (anyConnected() && noticed.elapsed() < 60'000)
        QTest::qWait(10);
    QVERIFY2(!anyConnected(), "the clients did not notice the server was gone");
    QVERIFY(m_cs.server->restart());
    clock.restart();
    Client admin = m_cs.login(u"admin@support.test"_s);
    QVERIFY(admin.c);
    QVERIFY(answerEveryone(admin)); // what they missed while away
    // The probe pings from a process of its own (logged in before the storm begins), so that
    // a ping is answered as soon as the server answers it, not when this busy process gets to
    // the answer.
    QProcess probe;
    probe.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    probe.start(qEnvironmentVariable("DPICHAT_PINGPROBE_BIN"),
                {m_cs.server->url().toString(), m_tokens[0], QString::number(kPingIntervalMs)});
    QVERIFY2(probe.waitForStarted(10'000), "set DPICHAT_PINGPROBE_BIN (CTest does)");
    QTRY_VERIFY_WITH_TIMEOUT(probe.canReadLine(), 30'000);
    QCOMPARE(probe.readLine().trimmed(), QByteArray("ready"));
    clock.restart();
    while (!(step(clients, clock.elapsed()) && allHoldEverything()) && clock.elapsed() < 300'000)
        QTest::qWait(5);
    const qint64 stormMs = clock.elapsed();
    probe.closeWriteChannel();
    QVERIFY(probe.waitForFinished(30'000));
    QCOMPARE(probe.exitStatus(), QProcess::NormalExit);
    QList<qint64> pingMs;
    qint64 pings = 0, answered = 0, worstOutstandingMs = 0;
    for (const QByteArray &line : probe.readAllStandardOutput().split('\n')) {
        const QList<QByteArray> f = line.trimmed().split(' ');
        if (f.size() == 3 && f.at(0) == "rtt") {
            pingMs.append(f.at(2).toLongLong());
        } else if (f.size() == 4 && f.at(0) == "done") {
            pings = f.at(1).toLongLong();
            answered = f.at(2).toLongLong();
            worstOutstandingMs = f.at(3).toLongLong();
        }
    }
    QCOMPARE(probe.exitCode(), 0);
    QVERIFY2(pings > 0, "the probe reported nothing");
    QCOMPARE(qsizetype(answered), pingMs.size());
    std::sort(pingMs.begin(), pingMs.end());
    const qint64 worstPingMs = qMax(pingMs.isEmpty() ? 0 : pingMs.last(), worstOutstandingMs);
    const qint64 hwm = procStatusKiB(serverPid(), "VmHWM:");
    int duplicates = 0, attempts = 0;
    for (const StormClient &s : clients) {
        duplicates += s.duplicates;
        attempts += s.attempts;
    }
    qInfo("storm: %d clients back and caught up in %lld ms (%d reconnections); %lld pings from"
          " another process, %lld answered: median %lld ms, 99th percentile %lld ms, slowest %lld"
          " ms (%lld ms for one still unanswered at the end); server VmHWM %lld KiB (%lld KiB"
          " before the drop); %d duplicate receipts dropped",
          kClients, stormMs, attempts - kClients, pings, answered,
          pingMs.isEmpty() ? 0 : pingMs.at(pingMs.size() / 2),
          pingMs.isEmpty() ? 0 : pingMs.at(pingMs.size() * 99 / 100), worstPingMs,
          worstOutstandingMs, hwm, hwmBefore, duplicates);
    QVERIFY2(stormMs < 300'000, "not every client came back");
    for (const StormClient &s : clients) {
        if (s.have != expected.value(m_threads[s.user])) {
            QFAIL(qPrintable(u"a client of user %1 holds %2 messages, expected %3"_s.arg(s.user)
                                 .arg(s.have.size()).arg(expected.value(m_threads[s.user]).size())));
        }
    }
    QVERIFY2(duplicates < 1'000'000, "a sync page came out of id order");
    // The server stays responsive: every ping answered within 1 s, throughout. (A token login
    // is reads only and leaving users' last seen times are written once a second, so the
    // storm no longer puts a disk flush per client on the event loop: docs/robustness.md.)
#if defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer the server runs several times slower: this build checks that
    // nothing is lost, doubled or leaked in the storm; the 1 s promise is the normal build's.
    constexpr qint64 kPingBoundMs = 10'000;
#else
    constexpr qint64 kPingBoundMs = 1'000;
#endif
    QVERIFY2(worstPingMs < kPingBoundMs, qPrintable(u"a ping took %1 ms"_s.arg(worstPingMs)));
}

QTEST_GUILESS_MAIN(TestChaosStorm)
#include "tst_chaos_storm.moc"
