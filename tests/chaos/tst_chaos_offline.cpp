// 1,000 messages sent while the recipient is offline: on reconnect it catches up by `sync`
// pages of 100, all in order, no gaps, no duplicates; then it is live again (pushes).

#include "chaos.h"

#include <QDeadlineTimer>
#include <QSet>

using namespace chaos;

class TestChaosOffline : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void catchesUpAThousandInPagesOfHundred();
};

void TestChaosOffline::catchesUpAThousandInPagesOfHundred()
{
    constexpr int kMessages = 1000;
    ChaosServer cs;
    QVERIFY(cs.init());
    QVERIFY(cs.addUser(u"admin@support.test"_s, u"admin"_s));
    QVERIFY(cs.addUser(u"carol@customer.test"_s, u"customer"_s));
    QVERIFY(cs.server->start({u"--rate-limit"_s, u"0"_s}));

    // Carol is online once, remembers the highest id she holds, and goes away.
    Client carol = cs.login(u"carol@customer.test"_s);
    QVERIFY(carol.c);
    const QJsonObject hello = carol.c->request(
        {{"type"_L1, "send"_L1}, {"thread"_L1, carol.thread}, {"clientId"_L1, "hello"_L1},
         {"text"_L1, "hello"_L1}});
    QCOMPARE(typeOf(hello), u"sent"_s);
    const qint64 highestHeld = hello.value("message"_L1).toObject().value("id"_L1).toInteger();
    const QString token = carol.token;
    carol.c.reset();

    // The team answers 1,000 times while she is offline.
    Client admin = cs.login(u"admin@support.test"_s);
    QVERIFY(admin.c);
    admin.c->pushes().clear();
    for (int i = 0; i < kMessages; ++i)
        admin.c->sendRaw(sendFrame(i + 1, carol.thread, u"a-%1"_s.arg(i), u"answer %1"_s.arg(i)));
    QDeadlineTimer deadline(120'000);
    while (rawReplies(*admin.c).size() < kMessages && !deadline.hasExpired())
        QTest::qWait(10);
    const auto replies = rawReplies(*admin.c);
    QCOMPARE(replies.size(), qsizetype(kMessages));
    QList<qint64> expected;
    for (int i = 0; i < kMessages; ++i) {
        QCOMPARE(typeOf(replies.value(i + 1)), u"sent"_s);
        expected.append(replies.value(i + 1).value("message"_L1).toObject().value("id"_L1).toInteger());
    }
    std::sort(expected.begin(), expected.end());

    // She comes back and catches up from the highest id she holds, 100 at a time.
    Client back = cs.login(u"carol@customer.test"_s, token);
    QVERIFY(back.c);
    QList<QJsonObject> caught;
    int pages = 0;
    QVERIFY(syncAll(*back.c, caught, 100, highestHeld, &pages));
    QCOMPARE(caught.size(), qsizetype(kMessages));
    QVERIFY2(pages >= kMessages / 100 && pages <= kMessages / 100 + 1, qPrintable(QString::number(pages)));
    QList<qint64> got;
    for (const QJsonObject &m : std::as_const(caught)) {
        got.append(m.value("id"_L1).toInteger());
        QCOMPARE(m.value("thread"_L1).toInteger(), back.thread);
        QCOMPARE(m.value("sender"_L1).toInteger(), admin.userId);
    }
    QCOMPARE(got, expected); // in order, nothing missing, nothing twice
    QCOMPARE(str(caught.first(), "text"_L1), u"answer 0"_s);
    QCOMPARE(str(caught.last(), "text"_L1), u"answer %1"_s.arg(kMessages - 1));

    // Live again: the next answer arrives as a push, once.
    back.c->pushes().clear();
    const QJsonObject live = admin.c->request(
        {{"type"_L1, "send"_L1}, {"thread"_L1, back.thread}, {"clientId"_L1, "live"_L1},
         {"text"_L1, "still there?"_L1}});
    QCOMPARE(typeOf(live), u"sent"_s);
    const QJsonObject push = back.c->takePush(u"message"_s, 10'000);
    QCOMPARE(push.value("message"_L1).toObject().value("clientId"_L1).toString(), u"live"_s);
    QTest::qWait(200);
    QCOMPARE(back.c->pushesOfType(u"message"_s).size(), 0);
}

QTEST_GUILESS_MAIN(TestChaosOffline)
#include "tst_chaos_offline.moc"
