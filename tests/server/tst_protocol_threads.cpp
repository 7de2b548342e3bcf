// The thread and message frames of PROTOCOL.md against a real server process on 127.0.0.1:
// threads, send and its pushes, history, read cursors and unread counts, sync, typing, and the
// thread push. The functions share one server and run in order: sync counts on the messages
// that the ones before it sent.

#include "fixture.h"

using namespace Qt::StringLiterals;

class TestProtocolThreads : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void threadsAdminSeesAllCustomerOwn();
    void sendIsAcknowledgedAndPushedToTheRightSessions();
    void sameClientIdStoresOnce();
    void historyPagesOldestFirst();
    void historyLimitIsCapped();
    void readCursorMovesForwardOnlyAndIsPushed();
    void unreadCountsFollowCursors();
    void syncReturnsOnlyVisibleMessagesInPages();
    void typingIsRelayedNotStored();
    void threadPushWhenUserAdded();

private:
    qint64 threadOf(const char *email);
    QJsonObject send(TestClient &c, qint64 thread, const QString &clientId, const QString &text);

    ProtocolFixture m_fx;
};

void TestProtocolThreads::initTestCase()
{
    QVERIFY(!ServerProcess::binary().isEmpty());
    QVERIFY(m_fx.start());
}

qint64 TestProtocolThreads::threadOf(const char *email)
{
    auto c = m_fx.client(email);
    if (!c)
        return -1;
    const QJsonArray threads = c->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
    return threads.size() == 1 ? threads.first()[u"id"_s].toInteger() : -1;
}

QJsonObject TestProtocolThreads::send(TestClient &c, qint64 thread, const QString &clientId,
                                      const QString &text)
{
    return c.request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, thread}, {u"clientId"_s, clientId},
                          {u"text"_s, text}}));
}

void TestProtocolThreads::threadsAdminSeesAllCustomerOwn()
{
    auto admin = m_fx.client("ann@support.test");
    QVERIFY(admin);
    const QJsonArray all = admin->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
    QStringList owners;
    for (const QJsonValue &t : all)
        owners << t[u"owner"_s][u"email"_s].toString();
    QVERIFY2(owners.contains(u"carol@customer.test"_s) && owners.contains(u"dave@customer.test"_s)
                 && owners.contains(u"mia@team.test"_s),
             qPrintable(owners.join(u',')));
    QVERIFY(!owners.contains(u"ann@support.test"_s));
    QVERIFY(!owners.contains(u"bob@support.test"_s));

    // Most recent activity first: a message in Dave's thread puts it on top.
    auto dave = m_fx.client("dave@customer.test");
    QVERIFY(dave);
    const qint64 daveThread = threadOf("dave@customer.test");
    QCOMPARE(typeOf(send(*dave, daveThread, u"order-1"_s, u"hello"_s)), u"sent"_s);
    const QJsonArray after = admin->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
    QCOMPARE(after.first()[u"id"_s].toInteger(), daveThread);
    QCOMPARE(after.first()[u"lastMessage"_s][u"text"_s].toString(), u"hello"_s);
    QCOMPARE(after.first()[u"owner"_s][u"online"_s].toBool(), true);

    QCOMPARE(after.first()[u"lastMessage"_s][u"senderName"_s].toString(), u"Dave"_s);

    // An admin's answer: the last message's sender is no longer the owner, and every list
    // (another admin's, the owner's) names that admin.
    QCOMPARE(typeOf(send(*admin, daveThread, u"answer-1"_s, u"hi Dave"_s)), u"sent"_s);
    auto bob = m_fx.client("bob@support.test");
    QVERIFY(bob);
    const QJsonArray bobs = bob->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
    QCOMPARE(bobs.first()[u"id"_s].toInteger(), daveThread);
    const QJsonObject answer = bobs.first()[u"lastMessage"_s].toObject();
    QCOMPARE(answer[u"text"_s].toString(), u"hi Dave"_s);
    QCOMPARE(answer[u"senderName"_s].toString(), u"Ann"_s);
    QCOMPARE(bobs.first()[u"owner"_s][u"name"_s].toString(), u"Dave"_s);

    const QJsonArray own = dave->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
    QCOMPARE(own.size(), 1);
    QCOMPARE(own.first()[u"owner"_s][u"email"_s].toString(), u"dave@customer.test"_s);
    QCOMPARE(own.first()[u"lastMessage"_s][u"senderName"_s].toString(), u"Ann"_s);
}

void TestProtocolThreads::sendIsAcknowledgedAndPushedToTheRightSessions()
{
    auto carol1 = m_fx.client("carol@customer.test");
    auto carol2 = m_fx.client("carol@customer.test");
    auto ann1 = m_fx.client("ann@support.test");
    auto ann2 = m_fx.client("ann@support.test");
    auto bob = m_fx.client("bob@support.test");
    auto dave = m_fx.client("dave@customer.test");
    QVERIFY(carol1 && carol2 && ann1 && ann2 && bob && dave);
    const qint64 thread = threadOf("carol@customer.test");

    const QJsonObject sent = send(*carol1, thread, u"c1-hello"_s, u"  Where is my order?  "_s);
    QCOMPARE(typeOf(sent), u"sent"_s);
    const QJsonObject m = sent[u"message"_s].toObject();
    QCOMPARE(m[u"text"_s].toString(), u"Where is my order?"_s); // trimmed
    QCOMPARE(m[u"thread"_s].toInteger(), thread);
    QCOMPARE(m[u"clientId"_s].toString(), u"c1-hello"_s);
    QCOMPARE(m[u"senderName"_s].toString(), u"Carol"_s);
    QVERIFY(m[u"createdAt"_s].toString().endsWith(u'Z'));

    for (TestClient *c : {carol2.get(), ann1.get(), ann2.get(), bob.get()}) {
        const QJsonObject push = c->takePush(u"message"_s);
        QCOMPARE(push[u"message"_s].toObject(), m);
    }
    // An admin's answer reaches every session of the owner, and the other admins.
    const QJsonObject reply = send(*ann1, thread, u"a1-answer"_s, u"On its way."_s);
    QCOMPARE(typeOf(reply), u"sent"_s);
    QVERIFY(reply[u"message"_s][u"id"_s].toInteger() > m[u"id"_s].toInteger());
    for (TestClient *c : {carol1.get(), carol2.get(), ann2.get(), bob.get()})
        QCOMPARE(c->takePush(u"message"_s)[u"message"_s][u"senderName"_s].toString(), u"Ann"_s);

    QTest::qWait(200);
    QVERIFY(carol1->pushesOfType(u"message"_s).isEmpty()); // own message: `sent`, not a push
    QVERIFY(ann1->pushesOfType(u"message"_s).isEmpty());
    QVERIFY(dave->pushesOfType(u"message"_s).isEmpty()); // not his thread
}

void TestProtocolThreads::sameClientIdStoresOnce()
{
    auto carol = m_fx.client("carol@customer.test");
    auto ann = m_fx.client("ann@support.test");
    QVERIFY(carol && ann);
    const qint64 thread = threadOf("carol@customer.test");
    const QJsonObject first = send(*carol, thread, u"dup-1"_s, u"only once"_s);
    QCOMPARE(typeOf(first), u"sent"_s);
    QVERIFY(ann->waitForPushes(u"message"_s, 1));
    const QJsonObject again = send(*carol, thread, u"dup-1"_s, u"only once"_s);
    QCOMPARE(again[u"message"_s].toObject(), first[u"message"_s].toObject());
    // Even with other text, the key decides: the original comes back.
    const QJsonObject changed = send(*carol, thread, u"dup-1"_s, u"something else"_s);
    QCOMPARE(changed[u"message"_s][u"id"_s], first[u"message"_s][u"id"_s]);
    QCOMPARE(changed[u"message"_s][u"text"_s].toString(), u"only once"_s);
    QTest::qWait(200);
    QCOMPARE(ann->pushesOfType(u"message"_s).size(), 1);
    const QJsonArray page = carol->request(obj({{u"type"_s, u"history"_s}, {u"thread"_s, thread},
                                                {u"before"_s, QJsonValue()}, {u"limit"_s, 200}}))[u"messages"_s].toArray();
    int copies = 0;
    for (const QJsonValue &v : page)
        copies += v[u"clientId"_s].toString() == u"dup-1"_s ? 1 : 0;
    QCOMPARE(copies, 1);
}

void TestProtocolThreads::historyPagesOldestFirst()
{
    auto mia = m_fx.client("mia@team.test");
    QVERIFY(mia);
    const qint64 thread = threadOf("mia@team.test");
    QList<qint64> ids;
    for (int i = 0; i < 5; ++i)
        ids << send(*mia, thread, u"h-%1"_s.arg(i), u"page %1"_s.arg(i))[u"message"_s][u"id"_s].toInteger();

    auto history = [&](QJsonValue before, int limit) {
        return mia->request(obj({{u"type"_s, u"history"_s}, {u"thread"_s, thread},
                                 {u"before"_s, before}, {u"limit"_s, limit}}));
    };
    const QJsonObject newest = history(QJsonValue(), 2);
    QCOMPARE(typeOf(newest), u"history"_s);
    QCOMPARE(newest[u"thread"_s].toInteger(), thread);
    QJsonArray msgs = newest[u"messages"_s].toArray();
    QCOMPARE(msgs.size(), 2);
    QCOMPARE(msgs[0][u"id"_s].toInteger(), ids[3]);
    QCOMPARE(msgs[1][u"id"_s].toInteger(), ids[4]);
    QCOMPARE(newest[u"hasMore"_s].toBool(), true);

    const QJsonObject older = history(ids[3], 2);
    msgs = older[u"messages"_s].toArray();
    QCOMPARE(msgs.size(), 2);
    QCOMPARE(msgs[0][u"id"_s].toInteger(), ids[1]);
    QCOMPARE(msgs[1][u"id"_s].toInteger(), ids[2]);

    const QJsonObject oldest = history(ids[1], 50);
    msgs = oldest[u"messages"_s].toArray();
    QCOMPARE(msgs.size(), 1);
    QCOMPARE(msgs[0][u"id"_s].toInteger(), ids[0]);
    QCOMPARE(oldest[u"hasMore"_s].toBool(), false);
}

void TestProtocolThreads::historyLimitIsCapped()
{
    // A thread of its own, so that the count is known.
    QVERIFY(m_fx.server->addUser(u"erin@customer.test"_s, u"Erin"_s, u"customer"_s,
                                 QString::fromLatin1(ProtocolFixture::kPassword)));
    auto erin = m_fx.client("erin@customer.test");
    QVERIFY(erin);
    const qint64 thread = threadOf("erin@customer.test");
    for (int i = 0; i < 230; ++i)
        erin->sendRaw(QString::fromUtf8(QJsonDocument(obj({{u"type"_s, u"send"_s}, {u"id"_s, i + 1}, {u"thread"_s, thread},
                                                            {u"clientId"_s, u"cap-%1"_s.arg(i)}, {u"text"_s, u"m%1"_s.arg(i)}}))
                                            .toJson(QJsonDocument::Compact)));
    QVERIFY(erin->waitForPushes(u"sent"_s, 230, 20'000));
    const QJsonObject page = erin->request(obj({{u"type"_s, u"history"_s}, {u"thread"_s, thread},
                                                {u"before"_s, QJsonValue()}, {u"limit"_s, 1000}}));
    QCOMPARE(page[u"messages"_s].toArray().size(), 200);
    QCOMPARE(page[u"hasMore"_s].toBool(), true);
    QCOMPARE(page[u"messages"_s].toArray().last()[u"text"_s].toString(), u"m229"_s);
}

void TestProtocolThreads::readCursorMovesForwardOnlyAndIsPushed()
{
    auto dave = m_fx.client("dave@customer.test");
    auto ann = m_fx.client("ann@support.test");
    auto bob = m_fx.client("bob@support.test");
    QVERIFY(dave && ann && bob);
    const qint64 thread = threadOf("dave@customer.test");
    const qint64 m1 = send(*dave, thread, u"r-1"_s, u"one"_s)[u"message"_s][u"id"_s].toInteger();
    const qint64 m2 = send(*dave, thread, u"r-2"_s, u"two"_s)[u"message"_s][u"id"_s].toInteger();

    auto read = [&](TestClient &c, qint64 upTo) {
        return c.request(obj({{u"type"_s, u"read"_s}, {u"thread"_s, thread}, {u"upTo"_s, upTo}}));
    };
    QCOMPARE(typeOf(read(*ann, m2)), u"ok"_s);
    const QJsonObject push = dave->takePush(u"read"_s);
    QCOMPARE(push[u"thread"_s].toInteger(), thread);
    QCOMPARE(push[u"upTo"_s].toInteger(), m2);
    QCOMPARE(push[u"user"_s].toInteger(), m_fx.userIds.value(u"ann@support.test"_s));
    QCOMPARE(bob->takePush(u"read"_s)[u"upTo"_s].toInteger(), m2);

    // Backwards: ok, but nothing moves and nothing is pushed.
    QCOMPARE(typeOf(read(*ann, m1)), u"ok"_s);
    // Beyond the newest message: clamped to it, so a later message still counts as unread.
    QCOMPARE(typeOf(read(*ann, m2 + 1'000'000)), u"ok"_s);
    QTest::qWait(200);
    QVERIFY(dave->pushesOfType(u"read"_s).isEmpty());

    const QJsonArray threads = ann->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
    for (const QJsonValue &t : threads) {
        if (t[u"id"_s].toInteger() == thread) {
            QCOMPARE(t[u"readUpTo"_s][u"team"_s].toInteger(), m2);
            QCOMPARE(t[u"unread"_s].toInteger(), 0);
        }
    }
    const qint64 m3 = send(*dave, thread, u"r-3"_s, u"three"_s)[u"message"_s][u"id"_s].toInteger();
    QVERIFY(m3 > m2);
    QCOMPARE(typeOf(read(*dave, m3)), u"ok"_s);
    const QJsonObject ownerRead = ann->takePush(u"read"_s);
    QCOMPARE(ownerRead[u"user"_s].toInteger(), m_fx.userIds.value(u"dave@customer.test"_s));
    QCOMPARE(ownerRead[u"upTo"_s].toInteger(), m3);
}

void TestProtocolThreads::unreadCountsFollowCursors()
{
    QVERIFY(m_fx.server->addUser(u"fay@customer.test"_s, u"Fay"_s, u"customer"_s,
                                 QString::fromLatin1(ProtocolFixture::kPassword)));
    auto fay = m_fx.client("fay@customer.test");
    auto bob = m_fx.client("bob@support.test");
    QVERIFY(fay && bob);
    const qint64 thread = threadOf("fay@customer.test");
    qint64 last = 0;
    for (int i = 0; i < 3; ++i)
        last = send(*fay, thread, u"u-%1"_s.arg(i), u"q%1"_s.arg(i))[u"message"_s][u"id"_s].toInteger();

    auto unreadFor = [&](TestClient &c) -> qint64 {
        const QJsonArray threads = c.request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
        for (const QJsonValue &t : threads) {
            if (t[u"id"_s].toInteger() == thread)
                return t[u"unread"_s].toInteger();
        }
        return -1;
    };
    QCOMPARE(unreadFor(*bob), 3);
    QCOMPARE(unreadFor(*fay), 0); // her own messages never count
    QCOMPARE(typeOf(bob->request(obj({{u"type"_s, u"read"_s}, {u"thread"_s, thread}, {u"upTo"_s, last}}))), u"ok"_s);
    QCOMPARE(unreadFor(*bob), 0);
    QCOMPARE(typeOf(send(*bob, thread, u"b-1"_s, u"answer"_s)), u"sent"_s);
    QCOMPARE(unreadFor(*fay), 1);
    QCOMPARE(unreadFor(*bob), 0);
    const QJsonArray own = fay->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s].toArray();
    QCOMPARE(own.first()[u"readUpTo"_s][u"team"_s].toInteger(), last);
    QCOMPARE(own.first()[u"readUpTo"_s][u"owner"_s].toInteger(), 0);
}

void TestProtocolThreads::syncReturnsOnlyVisibleMessagesInPages()
{
    auto ann = m_fx.client("ann@support.test");
    auto mia = m_fx.client("mia@team.test");
    QVERIFY(ann && mia);
    const qint64 miaThread = threadOf("mia@team.test");

    auto syncAll = [](TestClient &c, qint64 after, int limit, int *pages) {
        QList<QJsonObject> all;
        for (;;) {
            const QJsonObject page = c.request(obj({{u"type"_s, u"sync"_s}, {u"after"_s, after}, {u"limit"_s, limit}}));
            const QJsonArray msgs = page[u"messages"_s].toArray();
            ++*pages;
            for (const QJsonValue &v : msgs) {
                all << v.toObject();
                after = v[u"id"_s].toInteger();
            }
            if (!page[u"hasMore"_s].toBool() || msgs.isEmpty())
                return all;
        }
    };
    int adminPages = 0, miaPages = 0;
    const QList<QJsonObject> adminSees = syncAll(*ann, 0, 7, &adminPages);
    const QList<QJsonObject> miaSees = syncAll(*mia, 0, 3, &miaPages);
    QVERIFY(adminPages > 1);
    QVERIFY(miaPages > 1);
    qint64 previous = 0;
    QSet<qint64> threads;
    for (const QJsonObject &m : adminSees) {
        QVERIFY(m[u"id"_s].toInteger() > previous); // oldest first, no repeats
        previous = m[u"id"_s].toInteger();
        threads.insert(m[u"thread"_s].toInteger());
    }
    QVERIFY(threads.size() >= 3);
    QVERIFY(!miaSees.isEmpty());
    for (const QJsonObject &m : miaSees)
        QVERIFY2(m[u"thread"_s].toInteger() == miaThread, QJsonDocument(m).toJson().constData());
    int inMiaThread = 0;
    for (const QJsonObject &m : adminSees)
        inMiaThread += m[u"thread"_s].toInteger() == miaThread ? 1 : 0;
    QCOMPARE(miaSees.size(), inMiaThread);
}

void TestProtocolThreads::typingIsRelayedNotStored()
{
    auto carol = m_fx.client("carol@customer.test");
    auto ann = m_fx.client("ann@support.test");
    auto dave = m_fx.client("dave@customer.test");
    QVERIFY(carol && ann && dave);
    const qint64 thread = threadOf("carol@customer.test");
    const qint64 before = carol->request(obj({{u"type"_s, u"sync"_s}, {u"after"_s, 0}, {u"limit"_s, 500}}))[u"messages"_s].toArray().size();
    carol->sendRaw(u"{\"type\":\"typing\",\"thread\":%1,\"active\":true}"_s.arg(thread));
    const QJsonObject push = ann->takePush(u"typing"_s);
    QCOMPARE(push[u"thread"_s].toInteger(), thread);
    QCOMPARE(push[u"name"_s].toString(), u"Carol"_s);
    QCOMPARE(push[u"active"_s].toBool(), true);
    ann->sendRaw(u"{\"type\":\"typing\",\"thread\":%1,\"active\":false}"_s.arg(thread));
    const QJsonObject back = carol->takePush(u"typing"_s);
    QCOMPARE(back[u"name"_s].toString(), u"Ann"_s);
    QCOMPARE(back[u"active"_s].toBool(), false);
    QTest::qWait(200);
    QVERIFY(dave->pushesOfType(u"typing"_s).isEmpty());
    QVERIFY(carol->pushesOfType(u"typing"_s).isEmpty()); // nobody sees themselves typing
    const qint64 after = carol->request(obj({{u"type"_s, u"sync"_s}, {u"after"_s, 0}, {u"limit"_s, 500}}))[u"messages"_s].toArray().size();
    QCOMPARE(after, before);
}

void TestProtocolThreads::threadPushWhenUserAdded()
{
    auto ann = m_fx.client("ann@support.test");
    QVERIFY(ann);
    QVERIFY(m_fx.server->addUser(u"gus@customer.test"_s, u"Gus"_s, u"customer"_s,
                                 QString::fromLatin1(ProtocolFixture::kPassword)));
    // The watcher looks for new threads once a second: a user added by an earlier test case
    // (fay) may be pushed to this session first. Gus's push must come, with his thread.
    QJsonObject push;
    for (int seen = 0; seen < 10; ++seen) {
        push = ann->takePush(u"thread"_s, 10'000);
        if (push.isEmpty()
            || push[u"thread"_s][u"owner"_s][u"email"_s].toString() == u"gus@customer.test"_s)
            break;
    }
    QCOMPARE(push[u"thread"_s][u"owner"_s][u"email"_s].toString(), u"gus@customer.test"_s);
    QCOMPARE(push[u"thread"_s][u"unread"_s].toInteger(), 0);
    QVERIFY(push[u"thread"_s][u"lastMessage"_s].isNull());
}

QTEST_GUILESS_MAIN(TestProtocolThreads)
#include "tst_protocol_threads.moc"
