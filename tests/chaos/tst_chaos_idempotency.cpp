// The same message (same clientId) sent 5 times at once, across a reconnect and across a
// server restart: one row, one id, one push to the team.

#include "chaos.h"

#include <QDeadlineTimer>

using namespace chaos;

class TestChaosIdempotency : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void fiveAtOnceOnOneSocket();
    void fiveAtOnceFromFiveSockets();
    void acrossReconnect();
    void acrossRestart();

private:
    /// How many stored messages of the customer carry `clientId`, as the admin syncs them.
    int storedWith(const QString &clientId, qint64 *id = nullptr);
    /// Sends frames with ids 1..count on `c` and returns the replies in order.
    QList<QJsonObject> pipeline(TestClient &c, qint64 thread, const QString &clientId, int count);

    ChaosServer m_cs;
    Client m_admin;
};

void TestChaosIdempotency::initTestCase()
{
    QVERIFY(m_cs.init());
    QVERIFY(m_cs.addUser(u"admin@support.test"_s, u"admin"_s));
    QVERIFY(m_cs.addUser(u"carol@customer.test"_s, u"customer"_s));
    QVERIFY(m_cs.server->start({u"--rate-limit"_s, u"0"_s}));
    m_admin = m_cs.login(u"admin@support.test"_s);
    QVERIFY(m_admin.c);
}

int TestChaosIdempotency::storedWith(const QString &clientId, qint64 *id)
{
    QList<QJsonObject> all;
    if (!syncAll(*m_admin.c, all))
        return -1;
    int n = 0;
    for (const QJsonObject &m : std::as_const(all)) {
        if (str(m, "clientId"_L1) == clientId) {
            ++n;
            if (id)
                *id = m.value("id"_L1).toInteger();
        }
    }
    return n;
}

QList<QJsonObject> TestChaosIdempotency::pipeline(TestClient &c, qint64 thread,
                                                  const QString &clientId, int count)
{
    c.pushes().clear();
    for (int i = 1; i <= count; ++i)
        c.sendRaw(sendFrame(i, thread, clientId, u"same text"_s));
    QDeadlineTimer deadline(30'000);
    while (rawReplies(c).size() < count && !deadline.hasExpired())
        QTest::qWait(5);
    QList<QJsonObject> out;
    const auto replies = rawReplies(c);
    for (int i = 1; i <= count; ++i)
        out.append(replies.value(i));
    return out;
}

void TestChaosIdempotency::fiveAtOnceOnOneSocket()
{
    Client carol = m_cs.login(u"carol@customer.test"_s);
    QVERIFY(carol.c);
    m_admin.c->pushes().clear();
    const QList<QJsonObject> replies = pipeline(*carol.c, carol.thread, u"one-socket"_s, 5);
    qint64 first = 0;
    for (const QJsonObject &r : replies) {
        QCOMPARE(typeOf(r), u"sent"_s);
        const qint64 id = r.value("message"_L1).toObject().value("id"_L1).toInteger();
        QVERIFY(id > 0);
        if (!first)
            first = id;
        QCOMPARE(id, first);
    }
    qint64 storedId = 0;
    QCOMPARE(storedWith(u"one-socket"_s, &storedId), 1);
    QCOMPARE(storedId, first);
    QTest::qWait(200); // a second push would come right after the first
    QCOMPARE(m_admin.c->pushesOfType(u"message"_s).size(), 1);
}

void TestChaosIdempotency::fiveAtOnceFromFiveSockets()
{
    std::vector<Client> clients;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(m_cs.login(u"carol@customer.test"_s, clients.empty() ? QString() : clients.front().token));
        QVERIFY(clients.back().c);
        clients.back().c->pushes().clear();
    }
    m_admin.c->pushes().clear();
    for (Client &c : clients)
        c.c->sendRaw(sendFrame(1, c.thread, u"five-sockets"_s, u"same text"_s));
    QSet<qint64> ids;
    for (Client &c : clients) {
        QDeadlineTimer deadline(30'000);
        while (!rawReplies(*c.c).contains(1) && !deadline.hasExpired())
            QTest::qWait(5);
        const QJsonObject r = rawReplies(*c.c).value(1);
        QCOMPARE(typeOf(r), u"sent"_s);
        ids.insert(r.value("message"_L1).toObject().value("id"_L1).toInteger());
    }
    QCOMPARE(ids.size(), 1);
    QCOMPARE(storedWith(u"five-sockets"_s), 1);
    QTest::qWait(200);
    QCOMPARE(m_admin.c->pushesOfType(u"message"_s).size(), 1);
}

void TestChaosIdempotency::acrossReconnect()
{
    // Sent, and the connection dropped before the reply could be read; then sent again.
    Client carol = m_cs.login(u"carol@customer.test"_s);
    QVERIFY(carol.c);
    carol.c->sendRaw(sendFrame(1, carol.thread, u"reconnect"_s, u"same text"_s));
    carol.c->socket().flush();
    carol.c->socket().abort();
    QDeadlineTimer deadline(10'000);
    while (storedWith(u"reconnect"_s) != 1 && !deadline.hasExpired())
        QTest::qWait(20);
    Client again = m_cs.login(u"carol@customer.test"_s, carol.token);
    QVERIFY(again.c);
    qint64 storedId = 0;
    const int before = storedWith(u"reconnect"_s, &storedId);
    QVERIFY2(before <= 1, "stored twice");
    const QList<QJsonObject> replies = pipeline(*again.c, again.thread, u"reconnect"_s, 5);
    const qint64 id = replies.first().value("message"_L1).toObject().value("id"_L1).toInteger();
    for (const QJsonObject &r : replies) {
        QCOMPARE(typeOf(r), u"sent"_s);
        QCOMPARE(r.value("message"_L1).toObject().value("id"_L1).toInteger(), id);
    }
    if (before == 1)
        QCOMPARE(id, storedId);
    QCOMPARE(storedWith(u"reconnect"_s), 1);
}

void TestChaosIdempotency::acrossRestart()
{
    Client carol = m_cs.login(u"carol@customer.test"_s);
    QVERIFY(carol.c);
    const QList<QJsonObject> first = pipeline(*carol.c, carol.thread, u"restart"_s, 5);
    QCOMPARE(typeOf(first.first()), u"sent"_s);
    const qint64 id = first.first().value("message"_L1).toObject().value("id"_L1).toInteger();
    // And one whose reply the kill may or may not let out.
    carol.c->sendRaw(sendFrame(99, carol.thread, u"restart-inflight"_s, u"same text"_s));
    carol.c->socket().flush();
    m_cs.server->kill();
    QVERIFY(m_cs.server->restart());
    m_admin = m_cs.login(u"admin@support.test"_s);
    QVERIFY(m_admin.c);

    Client again = m_cs.login(u"carol@customer.test"_s, carol.token);
    QVERIFY(again.c);
    for (const QJsonObject &r : pipeline(*again.c, again.thread, u"restart"_s, 5)) {
        QCOMPARE(typeOf(r), u"sent"_s);
        QCOMPARE(r.value("message"_L1).toObject().value("id"_L1).toInteger(), id);
    }
    QCOMPARE(storedWith(u"restart"_s), 1);
    QVERIFY(storedWith(u"restart-inflight"_s) <= 1);
    const QList<QJsonObject> inflight = pipeline(*again.c, again.thread, u"restart-inflight"_s, 5);
    QCOMPARE(typeOf(inflight.first()), u"sent"_s);
    QCOMPARE(storedWith(u"restart-inflight"_s), 1);
}

QTEST_GUILESS_MAIN(TestChaosIdempotency)
#include "tst_chaos_idempotency.moc"
