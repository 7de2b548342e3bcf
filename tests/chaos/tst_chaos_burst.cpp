// kill -9 during a burst of 10,000 messages from 20 senders: after the restart every
// acknowledged message is stored exactly once, unchanged, and every recipient that syncs
// (the admin: all of them; each sender: their own thread) gets each exactly once, in id order.

#include "chaos.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QSet>

#include <map>

using namespace chaos;

namespace {
constexpr int kSenders = 20;
constexpr int kPerSender = 500; // 10,000 in all
constexpr int kChunk = 10;
constexpr int kKillAfterAcks = 3000;

QString clientIdOf(int sender, int n)
{
    return u"s%1-%2"_s.arg(sender).arg(n);
}
QString textOf(int sender, int n)
{
    return u"burst %1 from sender %2"_s.arg(n).arg(sender);
}
} // namespace

class TestChaosBurst : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sigkillDuringBurstFromTwentySenders();
};

void TestChaosBurst::sigkillDuringBurstFromTwentySenders()
{
    ChaosServer cs;
    QVERIFY(cs.init());
    QVERIFY(cs.addUser(u"admin@support.test"_s, u"admin"_s));
    for (int s = 0; s < kSenders; ++s)
        QVERIFY(cs.addUser(u"sender%1@customer.test"_s.arg(s), u"customer"_s));
    QVERIFY(cs.server->start({u"--rate-limit"_s, u"0"_s}));

    std::vector<Client> senders;
    for (int s = 0; s < kSenders; ++s) {
        senders.push_back(cs.login(u"sender%1@customer.test"_s.arg(s)));
        QVERIFY(senders.back().c && senders.back().thread > 0);
        senders.back().c->pushes().clear();
    }

    // Every sender pipelines its sends in small chunks, round robin, without waiting for
    // replies; the server dies once kKillAfterAcks are acknowledged, with the rest in flight.
    std::vector<int> next(kSenders, 0);
    auto acks = [&] {
        int n = 0;
        for (const Client &c : senders)
            n += int(c.c->pushesOfType(u"sent"_s).size());
        return n;
    };
    QDeadlineTimer deadline(300'000);
    int sent = 0;
    while (acks() < kKillAfterAcks && !deadline.hasExpired()) {
        for (int s = 0; s < kSenders; ++s) {
            for (int i = 0; i < kChunk && next[s] < kPerSender; ++i, ++next[s], ++sent)
                senders[s].c->sendRaw(sendFrame(next[s] + 1, senders[s].thread,
                                                clientIdOf(s, next[s]), textOf(s, next[s])));
        }
        QTest::qWait(sent >= kSenders * kPerSender ? 5 : 1);
    }
    for (Client &c : senders)
        c.c->socket().flush();
    cs.server->kill();
    QElapsedTimer recovery;
    recovery.start();
    QVERIFY2(!deadline.hasExpired(), "too few sends were acknowledged in time");

    // What reached us before the socket died counts as acknowledged.
    std::map<std::pair<int, int>, qint64> acked; // (sender, n) -> id
    for (int s = 0; s < kSenders; ++s) {
        senders[s].c->waitForDisconnected(10'000);
        for (const QJsonObject &o : std::as_const(senders[s].c->pushes())) {
            if (typeOf(o) == "error"_L1)
                QFAIL(qPrintable(u"a send failed: "_s + compact(o)));
            if (typeOf(o) != "sent"_L1)
                continue;
            const int n = int(o.value("re"_L1).toInteger()) - 1;
            const QJsonObject m = o.value("message"_L1).toObject();
            QCOMPARE(m.value("clientId"_L1).toString(), clientIdOf(s, n));
            QVERIFY2(acked.emplace(std::pair(s, n), m.value("id"_L1).toInteger()).second,
                     "two `sent` replies to one request");
        }
    }
    qInfo("acknowledged before the kill: %d of %d sent", int(acked.size()), sent);
    QVERIFY2(int(acked.size()) < sent, "everything was acknowledged: the kill was not mid-burst");

    QVERIFY(cs.server->restart());
    Client admin = cs.login(u"admin@support.test"_s);
    QVERIFY(admin.c);
    qInfo("recovery: the server answered a login %lld ms after SIGKILL", recovery.elapsed());

    // The admin sees every message of every thread: each (sender, clientId) once, ids rising.
    QList<QJsonObject> all;
    QVERIFY(syncAll(*admin.c, all));
    std::map<std::pair<qint64, QString>, qint64> stored; // (sender id, clientId) -> id
    qint64 last = 0;
    for (const QJsonObject &m : std::as_const(all)) {
        const qint64 id = m.value("id"_L1).toInteger();
        QVERIFY2(id > last, "sync out of id order");
        last = id;
        QVERIFY2(stored.emplace(std::pair(m.value("sender"_L1).toInteger(),
                                          str(m, "clientId"_L1)), id).second,
                 qPrintable(u"stored twice: "_s + compact(m)));
    }
    QVERIFY(stored.size() <= size_t(sent));
    for (const auto &[key, id] : acked) {
        const auto it = stored.find({senders[key.first].userId, clientIdOf(key.first, key.second)});
        QVERIFY2(it != stored.end(), qPrintable(u"acknowledged %1 was lost"_s
                                                    .arg(clientIdOf(key.first, key.second))));
        QCOMPARE(it->second, id);
    }
    qInfo("stored: %d (%d more than acknowledged)", int(stored.size()),
          int(stored.size() - acked.size()));

    // Every sender resends all it sent (its outbox): nothing new for what was stored, the
    // rest once. Then every sender syncs its own thread: each of its messages exactly once.
    for (int s = 0; s < kSenders; ++s) {
        Client again = cs.login(u"sender%1@customer.test"_s.arg(s));
        QVERIFY(again.c);
        again.c->pushes().clear();
        for (int n = 0; n < next[s]; ++n)
            again.c->sendRaw(sendFrame(n + 1, again.thread, clientIdOf(s, n), textOf(s, n)));
        QDeadlineTimer wait(120'000);
        while (rawReplies(*again.c).size() < next[s] && !wait.hasExpired())
            QTest::qWait(5);
        const auto replies = rawReplies(*again.c);
        QCOMPARE(replies.size(), qsizetype(next[s]));
        for (int n = 0; n < next[s]; ++n) {
            const QJsonObject r = replies.value(n + 1);
            QCOMPARE(typeOf(r), u"sent"_s);
            const qint64 id = r.value("message"_L1).toObject().value("id"_L1).toInteger();
            if (const auto it = acked.find({s, n}); it != acked.end())
                QCOMPARE(id, it->second);
        }
        QList<QJsonObject> mine;
        QVERIFY(syncAll(*again.c, mine, 100));
        QCOMPARE(mine.size(), qsizetype(next[s]));
        QSet<QString> clientIds;
        qint64 prev = 0;
        for (const QJsonObject &m : std::as_const(mine)) {
            QVERIFY(m.value("id"_L1).toInteger() > prev);
            prev = m.value("id"_L1).toInteger();
            QCOMPARE(m.value("thread"_L1).toInteger(), again.thread);
            clientIds.insert(str(m, "clientId"_L1));
        }
        QCOMPARE(clientIds.size(), qsizetype(next[s]));
    }
    QVERIFY(syncAll(*admin.c, all));
    QCOMPARE(all.size(), qsizetype(sent));
}

QTEST_GUILESS_MAIN(TestChaosBurst)
#include "tst_chaos_burst.moc"
