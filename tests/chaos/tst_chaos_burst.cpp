// kill -9 during a burst of 10,000 messages from 20 senders: after the restart every
// acknowledged message is stored exactly once, unchanged, and every recipient that syncs
// (the admin: all of them; each sender: their own thread) gets each exactly once, in id order.
//
// The kill follows the burst's progress, not the clock: every sender keeps a window of sends
// in flight and sends the next only for an acknowledgement it has read, and the server is
// stopped the moment the senders hold kKillAfterAcks acknowledgements. The burst therefore
// cannot finish before the kill, however fast or slow the machine. While the server is stopped
// (SIGSTOP: frozen wherever it was, as SIGKILL would leave it) every sender sends one more
// message, so requests are in flight at the moment of death by construction; then SIGKILL.

#include "chaos.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QSet>

#include <csignal>
#include <map>

using namespace chaos;

namespace {
constexpr int kSenders = 20;
constexpr int kPerSender = 500; // 10,000 in all
constexpr int kWindow = 20;     // sends in flight per sender
constexpr int kKillAfterAcks = 3000;
// What can have been sent when the kill comes: the acknowledgements counted (at most one
// window per sender more than kKillAfterAcks, read in the same turn of the event loop), the
// windows still in flight and one more message per sender. Well short of the whole burst.
static_assert(kKillAfterAcks + 2 * kSenders * kWindow + kSenders < kSenders * kPerSender / 2);

QString clientIdOf(int sender, int n)
{
    return u"s%1-%2"_s.arg(sender).arg(n);
}
QString textOf(int sender, int n)
{
    return u"burst %1 from sender %2"_s.arg(n).arg(sender);
}

struct Sender
{
    Client client;
    int next = 0;          ///< Messages 0..next-1 have been sent (request id n + 1).
    int replies = 0;       ///< Replies read so far.
    qsizetype consumed = 0; ///< Frames of client.c->pushes() looked at.
};
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

    std::vector<Sender> senders(kSenders);
    for (int s = 0; s < kSenders; ++s) {
        senders[s].client = cs.login(u"sender%1@customer.test"_s.arg(s));
        QVERIFY(senders[s].client.c && senders[s].client.thread > 0);
        senders[s].client.c->pushes().clear();
    }
    auto sendNext = [&](Sender &sender, int s) {
        sender.client.c->sendRaw(sendFrame(sender.next + 1, sender.client.thread,
                                           clientIdOf(s, sender.next), textOf(s, sender.next)));
        ++sender.next;
    };

    // The burst: every sender keeps kWindow sends in flight, topping its window up as replies
    // come in, until kKillAfterAcks are acknowledged. Errors are counted and fail the test below.
    int acks = 0, errors = 0;
    QDeadlineTimer deadline(300'000); // liveness only: the burst stalled
    while (acks < kKillAfterAcks && !deadline.hasExpired()) {
        for (int s = 0; s < kSenders; ++s) {
            Sender &sender = senders[s];
            const QList<QJsonObject> &frames = sender.client.c->pushes();
            for (; sender.consumed < frames.size(); ++sender.consumed) {
                const QString type = typeOf(frames.at(sender.consumed));
                if (type == "sent"_L1 || type == "error"_L1) {
                    ++sender.replies;
                    (type == "sent"_L1 ? acks : errors) += 1;
                }
            }
            while (sender.next - sender.replies < kWindow && sender.next < kPerSender)
                sendNext(sender, s);
        }
        if (acks < kKillAfterAcks)
            QTest::qWait(1);
    }
    QVERIFY2(acks >= kKillAfterAcks, "the burst stalled: too few sends were acknowledged");

    // Freeze the server where it is, put one more send per sender on the wire, and kill it.
    const qint64 pid = serverPid();
    QVERIFY(pid > 0);
    QVERIFY(cs.server->signal(SIGSTOP));
    QDeadlineTimer stopping(10'000);
    while (procState(pid) != 'T' && !stopping.hasExpired())
        QTest::qWait(1);
    QVERIFY2(procState(pid) == 'T', "the server did not stop");
    int inFlightAtStop = 0;
    for (int s = 0; s < kSenders; ++s) {
        inFlightAtStop += senders[s].next - senders[s].replies;
        sendNext(senders[s], s);
        senders[s].client.c->socket().flush();
    }
    cs.server->kill();
    QElapsedTimer recovery;
    recovery.start();

    // What reached a sender before its socket died counts as acknowledged.
    std::map<std::pair<int, int>, qint64> acked; // (sender, n) -> id
    int sent = 0;
    for (int s = 0; s < kSenders; ++s) {
        Sender &sender = senders[s];
        sent += sender.next;
        QVERIFY(sender.client.c->waitForDisconnected(30'000));
        for (const QJsonObject &o : std::as_const(sender.client.c->pushes())) {
            if (typeOf(o) == "error"_L1)
                QFAIL(qPrintable(u"a send failed: "_s + compact(o)));
            if (typeOf(o) != "sent"_L1)
                continue;
            const int n = int(o.value("re"_L1).toInteger()) - 1;
            QVERIFY(n >= 0 && n < sender.next);
            const QJsonObject m = o.value("message"_L1).toObject();
            QCOMPARE(m.value("clientId"_L1).toString(), clientIdOf(s, n));
            QCOMPARE(m.value("text"_L1).toString(), textOf(s, n));
            QVERIFY2(acked.emplace(std::pair(s, n), m.value("id"_L1).toInteger()).second,
                     "two `sent` replies to one request");
        }
    }
    QCOMPARE(errors, 0);
    qInfo("killed after %d acknowledgements were read (%d in flight at the stop, %d more put on"
          " the wire); acknowledged in all: %d of %d sent, of a burst of %d",
          acks, inFlightAtStop, kSenders, int(acked.size()), sent, kSenders * kPerSender);
    // Guards of the construction above (the last sends cannot have been answered).
    QVERIFY(int(acked.size()) < sent);
    QVERIFY(sent < kSenders * kPerSender);

    QVERIFY(cs.server->restart());
    Client admin = cs.login(u"admin@support.test"_s);
    QVERIFY(admin.c);
    const qint64 recoveryMs = recovery.elapsed();

    // The admin sees every message of every thread: each (sender, clientId) once, ids rising,
    // each one sent, unchanged, by its sender.
    QHash<qint64, int> senderOfUser;
    for (int s = 0; s < kSenders; ++s)
        senderOfUser.insert(senders[s].client.userId, s);
    QList<QJsonObject> all;
    QVERIFY(syncAll(*admin.c, all));
    std::map<std::pair<int, QString>, qint64> stored; // (sender, clientId) -> id
    qint64 last = 0;
    for (const QJsonObject &m : std::as_const(all)) {
        const qint64 id = m.value("id"_L1).toInteger();
        QVERIFY2(id > last, "sync out of id order");
        last = id;
        const auto s = senderOfUser.constFind(m.value("sender"_L1).toInteger());
        QVERIFY2(s != senderOfUser.cend(), "a message from nobody who sent");
        const QString clientId = str(m, "clientId"_L1);
        const int n = clientId.section(u'-', 1).toInt();
        QCOMPARE(clientId, clientIdOf(*s, n));
        QVERIFY2(n < senders[*s].next, "stored a message that was never sent");
        QCOMPARE(str(m, "text"_L1), textOf(*s, n));
        QCOMPARE(m.value("thread"_L1).toInteger(), senders[*s].client.thread);
        QVERIFY2(stored.emplace(std::pair(*s, clientId), id).second,
                 qPrintable(u"stored twice: "_s + clientId));
    }
    for (const auto &[key, id] : acked) {
        const auto it = stored.find({key.first, clientIdOf(key.first, key.second)});
        QVERIFY2(it != stored.end(), qPrintable(u"acknowledged %1 was lost"_s
                                                    .arg(clientIdOf(key.first, key.second))));
        QCOMPARE(it->second, id);
    }
    qInfo("recovery: the restarted server answered a login %lld ms after SIGKILL; stored: %d"
          " (%d committed but not acknowledged, %d sent and lost unacknowledged)",
          recoveryMs, int(stored.size()), int(stored.size() - acked.size()),
          sent - int(stored.size()));

    // Every sender sends its whole outbox (the burst: what it sent and what it had not sent
    // yet): what was stored keeps its id and is not stored again, the rest is stored once.
    // Then every sender syncs its own thread: each of its messages exactly once, in id order.
    for (int s = 0; s < kSenders; ++s) {
        Client again = cs.login(u"sender%1@customer.test"_s.arg(s));
        QVERIFY(again.c);
        again.c->pushes().clear();
        for (int n = 0; n < kPerSender; ++n)
            again.c->sendRaw(sendFrame(n + 1, again.thread, clientIdOf(s, n), textOf(s, n)));
        QDeadlineTimer wait(120'000); // liveness only
        while (rawReplies(*again.c).size() < kPerSender && !wait.hasExpired())
            QTest::qWait(5);
        const auto replies = rawReplies(*again.c);
        QCOMPARE(replies.size(), qsizetype(kPerSender));
        for (int n = 0; n < kPerSender; ++n) {
            const QJsonObject r = replies.value(n + 1);
            QCOMPARE(typeOf(r), u"sent"_s);
            const qint64 id = r.value("message"_L1).toObject().value("id"_L1).toInteger();
            if (const auto it = stored.find({s, clientIdOf(s, n)}); it != stored.end())
                QCOMPARE(id, it->second);
        }
        QList<QJsonObject> mine;
        QVERIFY(syncAll(*again.c, mine, 100));
        QCOMPARE(mine.size(), qsizetype(kPerSender));
        QSet<QString> clientIds;
        qint64 prev = 0;
        for (const QJsonObject &m : std::as_const(mine)) {
            QVERIFY(m.value("id"_L1).toInteger() > prev);
            prev = m.value("id"_L1).toInteger();
            QCOMPARE(m.value("thread"_L1).toInteger(), again.thread);
            clientIds.insert(str(m, "clientId"_L1));
        }
        QCOMPARE(clientIds.size(), qsizetype(kPerSender));
    }
    QVERIFY(syncAll(*admin.c, all));
    QCOMPARE(all.size(), qsizetype(kSenders * kPerSender));
    QSet<QPair<qint64, QString>> keys;
    last = 0;
    for (const QJsonObject &m : std::as_const(all)) {
        QVERIFY(m.value("id"_L1).toInteger() > last);
        last = m.value("id"_L1).toInteger();
        keys.insert({m.value("sender"_L1).toInteger(), str(m, "clientId"_L1)});
    }
    QCOMPARE(keys.size(), qsizetype(kSenders * kPerSender));
}

QTEST_GUILESS_MAIN(TestChaosBurst)
#include "tst_chaos_burst.moc"
