// Several server processes on one PostgreSQL database (registered only for PostgreSQL):
// what a client on one instance does reaches the clients on the others at once, presence is
// the union of the instances, and an instance killed with SIGKILL in the middle of a burst
// loses nothing it acknowledged and leaves the clients of the others unaffected.

#include "pgtestdb.h"
#include "serverprocess.h"
#include "testclient.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace Qt::StringLiterals;

namespace {

constexpr const char *kPassword = "correct horse";

QString typeOf(const QJsonObject &o)
{
    return o.value("type"_L1).toString();
}

/// The presence pushes about `user` received so far, as their `online` values in order.
QList<bool> presenceOf(const TestClient &c, qint64 user)
{
    QList<bool> out;
    for (const QJsonObject &p : c.pushesOfType(u"presence"_s)) {
        if (p.value("user"_L1).toInteger() == user)
            out.append(p.value("online"_L1).toBool());
    }
    return out;
}

QString sendFrame(qint64 requestId, qint64 thread, const QString &clientId, const QString &text)
{
    const QJsonObject o{{"type"_L1, "send"_L1}, {"id"_L1, requestId}, {"thread"_L1, thread},
                        {"clientId"_L1, clientId}, {"text"_L1, text}};
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

} // namespace

class TestMultiInstance : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void messagesReadsAndTypingCross();
    void presenceIsTheUnionOfInstances();
    void deadInstanceUsersGoOffline();
    void sigkillOfOneInstanceMidBurst();

private:
    /// Another instance on the test's database; nullptr (and a failure) if it did not start.
    ServerProcess *startInstance();
    /// A logged-in client on `server`, or nullptr.
    std::unique_ptr<TestClient> client(ServerProcess &server, const QString &email);
    qint64 threadOf(TestClient &c);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<PgTestDatabase> m_pg;
    std::vector<std::unique_ptr<ServerProcess>> m_servers;
    QHash<QString, qint64> m_ids;
};

void TestMultiInstance::init()
{
    QVERIFY2(QFile::exists(ServerProcess::binary()), "DPICHAT_SERVER_BIN must name the server");
    m_dir = std::make_unique<QTemporaryDir>();
    m_pg = std::make_unique<PgTestDatabase>();
    QVERIFY2(m_pg->isValid(), qPrintable(m_pg->error()));
    ServerProcess admin(m_dir->filePath(u"unused.db"_s));
    admin.setDatabaseUrl(m_pg->url());
    const struct { const char *email, *name, *role; } users[] = {
        {"ann@support.test", "Ann", "admin"},
        {"bob@support.test", "Bob", "admin"},
        {"carol@customer.test", "Carol", "customer"},
        {"dave@customer.test", "Dave", "customer"},
    };
    for (const auto &u : users) {
        QVERIFY(admin.addUser(QString::fromLatin1(u.email), QString::fromLatin1(u.name),
                              QString::fromLatin1(u.role), QString::fromLatin1(kPassword)));
    }
}

void TestMultiInstance::cleanup()
{
    m_servers.clear(); // Stops them before the database goes.
    m_pg.reset();
    m_dir.reset();
}

ServerProcess *TestMultiInstance::startInstance()
{
    auto server = std::make_unique<ServerProcess>(m_dir->filePath(u"unused.db"_s));
    server->setDatabaseUrl(m_pg->url());
    if (!server->start({u"--rate-limit"_s, u"0"_s}))
        return nullptr;
    m_servers.push_back(std::move(server));
    return m_servers.back().get();
}

std::unique_ptr<TestClient> TestMultiInstance::client(ServerProcess &server, const QString &email)
{
    auto c = std::make_unique<TestClient>(server.url());
    if (!c->open())
        return nullptr;
    const QJsonObject welcome = c->login(email, QString::fromLatin1(kPassword));
    if (typeOf(welcome) != u"welcome")
        return nullptr;
    m_ids.insert(email, welcome.value("user"_L1).toObject().value("id"_L1).toInteger());
    return c;
}

qint64 TestMultiInstance::threadOf(TestClient &c)
{
    const QJsonArray threads = c.request({{"type"_L1, "threads"_L1}}).value("threads"_L1).toArray();
    return threads.isEmpty() ? 0 : threads.first().toObject().value("id"_L1).toInteger();
}

void TestMultiInstance::messagesReadsAndTypingCross()
{
    ServerProcess *a = startInstance();
    ServerProcess *b = startInstance();
    QVERIFY(a && b);
    auto carol = client(*a, u"carol@customer.test"_s);
    auto ann = client(*b, u"ann@support.test"_s);
    QVERIFY(carol && ann);
    const qint64 thread = threadOf(*carol);
    QVERIFY(thread > 0);

    // Customer on A -> admin on B.
    const QJsonObject sent = carol->request({{"type"_L1, "send"_L1}, {"thread"_L1, thread},
                                             {"clientId"_L1, u"m-1"_s}, {"text"_L1, u"hello"_s}});
    QCOMPARE(typeOf(sent), u"sent"_s);
    const QJsonObject pushed = ann->takePush(u"message"_s);
    QCOMPARE(pushed.value("message"_L1).toObject(), sent.value("message"_L1).toObject());

    // Admin on B -> customer on A, with a text far past NOTIFY's 8000 bytes in UTF-8.
    const QString longText = QString(4000, QChar(0x20AC)); // 4,000 euro signs: 12,000 bytes.
    const QJsonObject answer = ann->request({{"type"_L1, "send"_L1}, {"thread"_L1, thread},
                                             {"clientId"_L1, u"m-2"_s}, {"text"_L1, longText}});
    QCOMPARE(typeOf(answer), u"sent"_s);
    const QJsonObject got = carol->takePush(u"message"_s);
    QCOMPARE(got.value("message"_L1).toObject().value("text"_L1).toString(), longText);
    QCOMPARE(got.value("message"_L1).toObject().value("id"_L1).toInteger(),
             answer.value("message"_L1).toObject().value("id"_L1).toInteger());

    // Read receipts both ways.
    const qint64 answerId = answer.value("message"_L1).toObject().value("id"_L1).toInteger();
    QCOMPARE(typeOf(carol->request({{"type"_L1, "read"_L1}, {"thread"_L1, thread},
                                    {"upTo"_L1, answerId}})),
             u"ok"_s);
    const QJsonObject read = ann->takePush(u"read"_s);
    QCOMPARE(read.value("user"_L1).toInteger(), m_ids.value(u"carol@customer.test"_s));
    QCOMPARE(read.value("upTo"_L1).toInteger(), answerId);
    QCOMPARE(typeOf(ann->request({{"type"_L1, "read"_L1}, {"thread"_L1, thread},
                                  {"upTo"_L1, answerId}})),
             u"ok"_s);
    QCOMPARE(carol->takePush(u"read"_s).value("user"_L1).toInteger(),
             m_ids.value(u"ann@support.test"_s));

    // Typing.
    ann->sendRaw(u"{\"type\":\"typing\",\"thread\":%1,\"active\":true}"_s.arg(thread));
    const QJsonObject typing = carol->takePush(u"typing"_s);
    QCOMPARE(typing.value("user"_L1).toInteger(), m_ids.value(u"ann@support.test"_s));
    QCOMPARE(typing.value("name"_L1).toString(), u"Ann"_s);
    QVERIFY(typing.value("active"_L1).toBool());

    // A repeated clientId on the other instance returns the original and pushes nothing.
    auto carolOnB = client(*b, u"carol@customer.test"_s);
    QVERIFY(carolOnB);
    const QJsonObject again = carolOnB->request({{"type"_L1, "send"_L1}, {"thread"_L1, thread},
                                                 {"clientId"_L1, u"m-1"_s},
                                                 {"text"_L1, u"hello"_s}});
    QCOMPARE(again.value("message"_L1).toObject(), sent.value("message"_L1).toObject());
    QTest::qWait(300);
    QVERIFY(ann->pushesOfType(u"message"_s).isEmpty());
    QVERIFY(carol->pushesOfType(u"message"_s).isEmpty());
}

void TestMultiInstance::presenceIsTheUnionOfInstances()
{
    ServerProcess *a = startInstance();
    ServerProcess *b = startInstance();
    QVERIFY(a && b);
    auto dave = client(*a, u"dave@customer.test"_s);
    QVERIFY(dave);
    const qint64 daveId = m_ids.value(u"dave@customer.test"_s);

    // A newcomer on B learns that Dave is online on A, and the thread list says so.
    auto ann = client(*b, u"ann@support.test"_s);
    QVERIFY(ann);
    QTRY_COMPARE(presenceOf(*ann, daveId), QList<bool>{true});
    const QJsonArray threads = ann->request({{"type"_L1, "threads"_L1}}).value("threads"_L1).toArray();
    bool listedOnline = false;
    for (const QJsonValue &t : threads) {
        const QJsonObject owner = t.toObject().value("owner"_L1).toObject();
        if (owner.value("id"_L1).toInteger() == daveId)
            listedOnline = owner.value("online"_L1).toBool();
    }
    QVERIFY(listedOnline);

    // Carol comes online on B, then also on A; leaving B keeps her online (she is on A).
    const qint64 carolId = [&] {
        auto probe = client(*b, u"carol@customer.test"_s);
        return probe ? m_ids.value(u"carol@customer.test"_s) : 0;
    }();
    QVERIFY(carolId > 0);
    QTRY_COMPARE(presenceOf(*ann, carolId), (QList<bool>{true, false}));
    ann->pushes().clear();
    auto carolOnB = client(*b, u"carol@customer.test"_s);
    auto carolOnA = client(*a, u"carol@customer.test"_s);
    QVERIFY(carolOnB && carolOnA);
    QTRY_COMPARE(presenceOf(*ann, carolId), QList<bool>{true});
    carolOnB.reset();
    QTest::qWait(1000);
    QCOMPARE(presenceOf(*ann, carolId), QList<bool>{true}); // Still online on A.
    carolOnA.reset();
    QTRY_COMPARE(presenceOf(*ann, carolId), (QList<bool>{true, false}));

    // An admin's presence crosses to customers on the other instance.
    auto bob = client(*a, u"bob@support.test"_s);
    QVERIFY(bob);
    const qint64 bobId = m_ids.value(u"bob@support.test"_s);
    QTRY_COMPARE(presenceOf(*ann, bobId), QList<bool>{true});
    // Dave is on A too: local, but nothing orders it against Ann's push through PostgreSQL.
    QTRY_VERIFY(presenceOf(*dave, bobId) == QList<bool>{true});
    auto carolAgain = client(*b, u"carol@customer.test"_s);
    QVERIFY(carolAgain);
    QTRY_VERIFY(presenceOf(*carolAgain, bobId).contains(true)); // From the snapshot.
}

void TestMultiInstance::deadInstanceUsersGoOffline()
{
    ServerProcess *a = startInstance();
    ServerProcess *b = startInstance();
    QVERIFY(a && b);
    auto ann = client(*a, u"ann@support.test"_s);
    auto dave = client(*b, u"dave@customer.test"_s);
    QVERIFY(ann && dave);
    const qint64 daveId = m_ids.value(u"dave@customer.test"_s);
    QTRY_COMPARE(presenceOf(*ann, daveId), QList<bool>{true});
    b->kill(); // No goodbye: A notices the missing heartbeats.
    QTRY_COMPARE_WITH_TIMEOUT(presenceOf(*ann, daveId), (QList<bool>{true, false}), 20'000);
    QVERIFY(ann->isConnected());
}

void TestMultiInstance::sigkillOfOneInstanceMidBurst()
{
    ServerProcess *a = startInstance();
    ServerProcess *b = startInstance();
    QVERIFY(a && b);
    auto carol = client(*a, u"carol@customer.test"_s);
    auto ann = client(*b, u"ann@support.test"_s);
    auto dave = client(*b, u"dave@customer.test"_s);
    QVERIFY(carol && ann && dave);
    const qint64 carolThread = threadOf(*carol);
    const qint64 daveThread = threadOf(*dave);
    QVERIFY(carolThread > 0 && daveThread > 0);

    // Carol pipelines sends into A; A dies once some hundreds are acknowledged.
    carol->pushes().clear();
    int sent = 0;
    auto sendChunk = [&](int count) {
        for (int i = 0; i < count; ++i, ++sent)
            carol->sendRaw(sendFrame(1000 + sent, carolThread, u"burst-%1"_s.arg(sent),
                                     u"burst %1"_s.arg(sent)));
    };
    QDeadlineTimer deadline(60'000);
    while (carol->pushesOfType(u"sent"_s).size() < 300 && !deadline.hasExpired()) {
        sendChunk(20);
        QTest::qWait(2);
    }
    sendChunk(300);
    carol->socket().flush();
    a->kill();
    QList<qint64> acked;
    for (const QJsonObject &o : carol->pushesOfType(u"sent"_s))
        acked.append(o.value("message"_L1).toObject().value("id"_L1).toInteger());
    QVERIFY2(acked.size() >= 300, "instance A acknowledged too few sends in time");

    // Ann on B got the acknowledged messages pushed, in increasing id order, and keeps
    // receiving: Dave on B still sends, and Carol comes back through B.
    QTRY_VERIFY_WITH_TIMEOUT(ann->pushesOfType(u"message"_s).size() >= acked.size(), 20'000);
    QList<qint64> pushedIds;
    for (const QJsonObject &o : ann->pushesOfType(u"message"_s))
        pushedIds.append(o.value("message"_L1).toObject().value("id"_L1).toInteger());
    for (qsizetype i = 1; i < pushedIds.size(); ++i)
        QVERIFY2(pushedIds[i] > pushedIds[i - 1], "pushes out of order");
    const QSet<qint64> pushedSet(pushedIds.cbegin(), pushedIds.cend());
    for (qint64 id : std::as_const(acked))
        QVERIFY2(pushedSet.contains(id), qPrintable(u"acknowledged %1 never pushed"_s.arg(id)));

    QVERIFY(ann->isConnected() && dave->isConnected());
    ann->pushes().clear();
    const QJsonObject fromDave = dave->request({{"type"_L1, "send"_L1}, {"thread"_L1, daveThread},
                                                {"clientId"_L1, u"after-kill"_s},
                                                {"text"_L1, u"still here"_s}});
    QCOMPARE(typeOf(fromDave), u"sent"_s);
    // Messages A stored but never acknowledged before it died may still be arriving (each
    // at most once, after the acknowledged ones); Dave's must come through among them.
    QJsonObject daveOnAnn;
    for (int i = 0; i < 5000 && daveOnAnn.isEmpty(); ++i) {
        const QJsonObject push = ann->takePush(u"message"_s, 10'000);
        if (push.isEmpty())
            break;
        if (push.value("message"_L1).toObject().value("clientId"_L1).toString() == u"after-kill"_s)
            daveOnAnn = push.value("message"_L1).toObject();
    }
    QCOMPARE(daveOnAnn, fromDave.value("message"_L1).toObject());

    // Every acknowledged message is stored once, as sync from B shows.
    auto carolOnB = client(*b, u"carol@customer.test"_s);
    QVERIFY(carolOnB);
    QSet<qint64> stored;
    QSet<QString> clientIds;
    qint64 after = 0;
    for (bool more = true; more;) {
        const QJsonObject page = carolOnB->request(
                {{"type"_L1, "sync"_L1}, {"after"_L1, after}, {"limit"_L1, 500}}, 30'000);
        QCOMPARE(typeOf(page), u"sync"_s);
        for (const QJsonValue &v : page.value("messages"_L1).toArray()) {
            const QJsonObject m = v.toObject();
            stored.insert(m.value("id"_L1).toInteger());
            const QString clientId = m.value("clientId"_L1).toString();
            QVERIFY2(!clientIds.contains(clientId), "a message was stored twice");
            clientIds.insert(clientId);
            after = m.value("id"_L1).toInteger();
        }
        more = page.value("hasMore"_L1).toBool();
    }
    for (qint64 id : std::as_const(acked))
        QVERIFY2(stored.contains(id), qPrintable(u"acknowledged %1 lost"_s.arg(id)));
    const QJsonObject resumed = carolOnB->request({{"type"_L1, "send"_L1},
                                                   {"thread"_L1, carolThread},
                                                   {"clientId"_L1, u"after-kill-c"_s},
                                                   {"text"_L1, u"back"_s}});
    QCOMPARE(typeOf(resumed), u"sent"_s);
    QCOMPARE(ann->takePush(u"message"_s).value("message"_L1).toObject(),
             resumed.value("message"_L1).toObject());
}

QTEST_GUILESS_MAIN(TestMultiInstance)
#include "tst_multiinstance.moc"
