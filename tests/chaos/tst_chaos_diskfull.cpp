// The disk full while the server runs: sends get `internal` errors, nothing is acknowledged
// that was not stored, everything else keeps working, and once space is back the server
// recovers by itself; resent messages are stored once; a restart finds everything acknowledged.
//
// How the fault is made: a real write failure, from outside the server. The server's
// RLIMIT_FSIZE is lowered with prlimit(2), so every write of SQLite's beyond the first KiB
// of a file fails with EFBIG, as on a full disk (SQLite reports SQLITE_FULL or IOERR_WRITE).
// SIGXFSZ, which such a write would raise, is ignored in this test process and so in the
// server it starts (an ignored signal stays ignored across exec). chmod would not do: the
// server holds its file descriptors open already, and CI runs as root; a tmpfs needs mounting.

#include "chaos.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QSet>

#include <csignal>
#include <sys/resource.h>

using namespace chaos;

class TestChaosDiskFull : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sendsFailCleanlyAndRecover();

private:
    QList<QJsonObject> pipeline(TestClient &c, qint64 thread, const QString &prefix, int count,
                                int idBase);
};

QList<QJsonObject> TestChaosDiskFull::pipeline(TestClient &c, qint64 thread,
                                               const QString &prefix, int count, int idBase)
{
    c.pushes().clear();
    for (int i = 0; i < count; ++i)
        c.sendRaw(sendFrame(idBase + i, thread, u"%1-%2"_s.arg(prefix).arg(i), u"text %1"_s.arg(i)));
    QDeadlineTimer deadline(60'000);
    while (rawReplies(c).size() < count && !deadline.hasExpired())
        QTest::qWait(5);
    QList<QJsonObject> out;
    const auto replies = rawReplies(c);
    for (int i = 0; i < count; ++i)
        out.append(replies.value(idBase + i));
    return out;
}

void TestChaosDiskFull::sendsFailCleanlyAndRecover()
{
    constexpr int kBefore = 20, kDuring = 50;
    std::signal(SIGXFSZ, SIG_IGN);
    ChaosServer cs;
    QVERIFY(cs.init());
    QVERIFY(cs.addUser(u"admin@support.test"_s, u"admin"_s));
    QVERIFY(cs.addUser(u"carol@customer.test"_s, u"customer"_s));
    QVERIFY(cs.server->start({u"--rate-limit"_s, u"0"_s}));
    Client admin = cs.login(u"admin@support.test"_s);
    Client carol = cs.login(u"carol@customer.test"_s);
    QVERIFY(admin.c && carol.c);

    for (const QJsonObject &r : pipeline(*carol.c, carol.thread, u"before"_s, kBefore, 1))
        QCOMPARE(typeOf(r), u"sent"_s);

    const pid_t pid = pid_t(serverPid());
    QVERIFY(pid > 0);
    rlimit original{};
    QCOMPARE(prlimit(pid, RLIMIT_FSIZE, nullptr, &original), 0);
    rlimit full = original;
    full.rlim_cur = 1024;
    QCOMPARE(prlimit(pid, RLIMIT_FSIZE, &full, nullptr), 0);

    // The fault: every send fails with `internal`; none is acknowledged or pushed.
    admin.c->pushes().clear();
    const QList<QJsonObject> during = pipeline(*carol.c, carol.thread, u"during"_s, kDuring, 1000);
    int internal = 0;
    for (const QJsonObject &r : during) {
        QVERIFY2(typeOf(r) != "sent"_L1, "a send was acknowledged while nothing could be written");
        QCOMPARE(typeOf(r), u"error"_s);
        internal += codeOf(r) == "internal"_L1 ? 1 : 0;
    }
    QCOMPARE(internal, kDuring);
    QCOMPARE(typeOf(carol.c->request({{"type"_L1, "ping"_L1}})), u"pong"_s);
    QCOMPARE(typeOf(admin.c->request({{"type"_L1, "threads"_L1}})), u"threads"_s);
    QList<QJsonObject> all;
    QVERIFY(syncAll(*admin.c, all)); // reading still works
    QCOMPARE(all.size(), qsizetype(kBefore));
    QCOMPARE(admin.c->pushesOfType(u"message"_s).size(), 0);

    // Space comes back: the next send goes through, without a restart.
    QCOMPARE(prlimit(pid, RLIMIT_FSIZE, &original, nullptr), 0);
    QElapsedTimer recovery;
    recovery.start();
    int probe = 0;
    QJsonObject r;
    do {
        r = carol.c->request({{"type"_L1, "send"_L1}, {"thread"_L1, carol.thread},
                              {"clientId"_L1, u"probe-%1"_s.arg(++probe)}, {"text"_L1, "back?"_L1}});
    } while (typeOf(r) != "sent"_L1 && recovery.elapsed() < 30'000 && (QTest::qWait(100), true));
    QCOMPARE(typeOf(r), u"sent"_s);
    qInfo("recovered %lld ms after the fault was removed (%d probes)", recovery.elapsed(), probe);

    // The failed ones, sent again with the same clientIds (as the client's outbox does),
    // are stored once each.
    for (const QJsonObject &again : pipeline(*carol.c, carol.thread, u"during"_s, kDuring, 2000))
        QCOMPARE(typeOf(again), u"sent"_s);
    pipeline(*carol.c, carol.thread, u"during"_s, kDuring, 3000);
    QVERIFY(syncAll(*admin.c, all));
    QSet<QString> ids;
    for (const QJsonObject &m : std::as_const(all))
        ids.insert(str(m, "clientId"_L1));
    QCOMPARE(all.size(), qsizetype(kBefore + kDuring + probe));
    QCOMPARE(ids.size(), all.size());

    // Nothing the fault touched is lost or damaged across a crash.
    cs.server->kill();
    QVERIFY(cs.server->restart());
    Client after = cs.login(u"admin@support.test"_s);
    QVERIFY(after.c);
    QList<QJsonObject> again;
    QVERIFY(syncAll(*after.c, again));
    QCOMPARE(again.size(), all.size());
}

QTEST_GUILESS_MAIN(TestChaosDiskFull)
#include "tst_chaos_diskfull.moc"
