// The crash test: a customer pipelines a burst of sends (or sends them one at a time), the
// server is SIGKILLed in the middle of it, and after a restart on the same file nothing that
// was acknowledged with `sent` is lost, changed or stored twice, and resending is still
// exactly-once.

#include "serverprocess.h"
#include "testclient.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace Qt::StringLiterals;

namespace {

// The kill comes once kKillAfterAcks `sent` replies are back, right after a last chunk of
// sends went out (the test's data: a burst of at least 2,000 first and chunks of 500, or
// sends one at a time).
constexpr int kMaxBurst = 20'000;
constexpr int kKillAfterAcks = 300;

struct Stored
{
    qint64 id = 0;
    qint64 thread = 0;
    qint64 sender = 0;
    QString text;
};

QString clientIdOf(int n)
{
    return u"c-%1"_s.arg(n);
}

QString textOf(int n)
{
    return u"burst message %1"_s.arg(n);
}

QString sendFrame(qint64 requestId, qint64 thread, int n)
{
    const QJsonObject o{{"type"_L1, "send"_L1},
                        {"id"_L1, requestId},
                        {"thread"_L1, thread},
                        {"clientId"_L1, clientIdOf(n)},
                        {"text"_L1, textOf(n)}};
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

Stored storedFrom(const QJsonObject &message)
{
    return {message.value("id"_L1).toInteger(), message.value("thread"_L1).toInteger(),
            message.value("sender"_L1).toInteger(), message.value("text"_L1).toString()};
}

/// Replies to raw frames (re below TestClient's own ids) that arrived so far, by `re`.
QHash<qint64, QJsonObject> rawReplies(TestClient &c)
{
    QHash<qint64, QJsonObject> out;
    for (const QJsonObject &o : std::as_const(c.pushes())) {
        const QJsonValue re = o.value("re"_L1);
        if (re.isDouble())
            out.insert(re.toInteger(), o);
    }
    return out;
}

int sentRepliesSoFar(const TestClient &c)
{
    return int(c.pushesOfType(u"sent"_s).size());
}

} // namespace

class TestCrash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void sigkillMidBurstLosesNothingAcknowledged_data();
    void sigkillMidBurstLosesNothingAcknowledged();

private:
    /// Every message the admin sees, by `sync` from 0 with paging; ids in the order received.
    bool syncAll(TestClient &admin, QList<QJsonObject> &out);
    /// Pipelines a send for every n in `ns` (request id = idBase + n) and waits for all replies.
    bool resend(TestClient &c, qint64 thread, const QList<int> &ns, qint64 idBase,
                QHash<int, QJsonObject> &replies);
};

void TestCrash::initTestCase()
{
    QVERIFY2(QFile::exists(ServerProcess::binary()), "DPICHAT_SERVER_BIN must name the server");
}

bool TestCrash::syncAll(TestClient &admin, QList<QJsonObject> &out)
{
    out.clear();
    qint64 after = 0;
    for (int page = 0; page < 1000; ++page) {
        const QJsonObject reply = admin.request(
            {{"type"_L1, "sync"_L1}, {"after"_L1, after}, {"limit"_L1, 500}}, 30'000);
        if (reply.value("type"_L1).toString() != "sync"_L1) {
            qWarning("sync failed: %s", QJsonDocument(reply).toJson().constData());
            return false;
        }
        const QJsonArray messages = reply.value("messages"_L1).toArray();
        for (const QJsonValue &m : messages)
            out.append(m.toObject());
        const bool hasMore = reply.value("hasMore"_L1).toBool();
        if (!hasMore)
            return true;
        if (messages.isEmpty()) {
            qWarning("sync said hasMore with an empty page");
            return false;
        }
        after = messages.last().toObject().value("id"_L1).toInteger();
    }
    qWarning("sync did not end");
    return false;
}

bool TestCrash::resend(TestClient &c, qint64 thread, const QList<int> &ns, qint64 idBase,
                       QHash<int, QJsonObject> &replies)
{
    c.pushes().clear();
    for (int n : ns)
        c.sendRaw(sendFrame(idBase + n, thread, n));
    QDeadlineTimer deadline(120'000);
    QHash<qint64, QJsonObject> got;
    while (!deadline.hasExpired() && c.isConnected()) {
        got = rawReplies(c);
        if (got.size() >= ns.size())
            break;
        QTest::qWait(10);
    }
    got = rawReplies(c);
    replies.clear();
    for (int n : ns) {
        if (got.contains(idBase + n))
            replies.insert(n, got.value(idBase + n));
    }
    return replies.size() == ns.size();
}

void TestCrash::sigkillMidBurstLosesNothingAcknowledged_data()
{
    QTest::addColumn<int>("minBurst"); // pipelined at first, in chunks of 100
    QTest::addColumn<int>("chunk"); // then this many at a time, a millisecond apart
    QTest::addColumn<int>("lastChunk"); // and this many right before the kill
    QTest::addColumn<QString>("synchronous");
    // Whether some sends must still be unacknowledged at the kill (else the kill came late).
    QTest::addColumn<bool>("cutMidBurst");
    for (const QString &mode : { u"FULL"_s, u"NORMAL"_s }) {
        // Batches of hundreds, stored on the server's storage thread.
        // Under NORMAL the server keeps up with a last chunk of 500 before the kill lands.
        QTest::addRow("burst, %s", qPrintable(mode))
            << 2000 << 20 << (mode == u"FULL"_s ? 500 : 5000) << mode << true;
        // Batches of one or two (Committer::kStoredHereAtMost): under FULL committed on the
        // server's event loop thread; under NORMAL acknowledged from the message journal and
        // stored a few milliseconds later, so the kill, right after the last acknowledgements,
        // takes some that are only in the journal (and the server may well have acknowledged
        // the last two sends by then).
        QTest::addRow("one at a time, %s", qPrintable(mode))
            << 0 << 1 << 2 << mode << (mode == u"FULL"_s);
    }
}

void TestCrash::sigkillMidBurstLosesNothingAcknowledged()
{
    QFETCH(int, minBurst);
    QFETCH(int, chunk);
    QFETCH(int, lastChunk);
    QFETCH(QString, synchronous);
    QFETCH(bool, cutMidBurst);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerProcess server(dir.filePath(u"chat.db"_s));
    QVERIFY(server.start(
        { u"--demo"_s, u"--rate-limit"_s, u"0"_s, u"--sqlite-synchronous"_s, synchronous }));

    TestClient customer(server.url());
    QVERIFY(customer.open());
    const QJsonObject welcome = customer.login(u"john.doe@example.com"_s, u"customer123"_s);
    QCOMPARE(welcome.value("type"_L1).toString(), u"welcome"_s);
    const qint64 customerId = welcome.value("user"_L1).toObject().value("id"_L1).toInteger();
    const QJsonArray threads =
        customer.request({{"type"_L1, "threads"_L1}}).value("threads"_L1).toArray();
    QCOMPARE(threads.size(), 1);
    const qint64 thread = threads.first().toObject().value("id"_L1).toInteger();
    QVERIFY(thread > 0);

    // The burst: frames go out in chunks as fast as the socket takes them, none waiting for
    // its reply. Once enough were sent and some hundreds acknowledged, one more large chunk
    // is flushed and the server killed at once, so that it dies with sends in flight and
    // (most likely) a commit under way.
    customer.pushes().clear();
    int sent = 0;
    auto sendChunk = [&](int count) {
        for (int i = 0; i < count; ++i, ++sent)
            customer.sendRaw(sendFrame(sent + 1, thread, sent));
    };
    QDeadlineTimer deadline(120'000);
    while (sent < minBurst) {
        sendChunk(100);
        QCoreApplication::processEvents();
    }
    // Keep the stream going, more gently, until some hundreds are acknowledged.
    while (sentRepliesSoFar(customer) < kKillAfterAcks && sent < kMaxBurst
           && !deadline.hasExpired()) {
        sendChunk(chunk);
        QTest::qWait(1);
    }
    sendChunk(lastChunk);
    customer.socket().flush();
    server.kill();
    const int acksAtKill = sentRepliesSoFar(customer);
    QVERIFY2(acksAtKill >= kKillAfterAcks, "the server acknowledged too few sends in time");
    QVERIFY(sent >= minBurst);
    // Replies the server wrote before it died still count: read whatever reached us.
    customer.waitForDisconnected(10'000);
    QVERIFY(!customer.isConnected());

    std::map<int, Stored> acked; // n -> what `sent` reported
    for (const QJsonObject &o : std::as_const(customer.pushes())) {
        const QString type = o.value("type"_L1).toString();
        if (type == "error"_L1)
            QFAIL(qPrintable(u"a send in the burst failed: "_s
                             + QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact))));
        if (type != "sent"_L1)
            continue;
        const int n = int(o.value("re"_L1).toInteger()) - 1;
        const QJsonObject m = o.value("message"_L1).toObject();
        QCOMPARE(m.value("clientId"_L1).toString(), clientIdOf(n));
        QVERIFY2(acked.emplace(n, storedFrom(m)).second, "two `sent` replies to one request");
    }
    qInfo("acknowledged before the kill: %d of %d sent (%d when the kill was decided)",
          int(acked.size()), sent, acksAtKill);
    if (cutMidBurst) {
        QVERIFY2(int(acked.size()) < sent,
            "every send was acknowledged before the kill: the crash did not hit mid-burst");
    }

    QVERIFY(server.restart());

    TestClient admin(server.url());
    QVERIFY(admin.open());
    QCOMPARE(admin.login(u"hello@designpi.com"_s, u"admin123"_s).value("type"_L1).toString(),
             u"welcome"_s);

    // (a) Every acknowledged message is there once, unchanged; ids strictly increase.
    QList<QJsonObject> all;
    QVERIFY(syncAll(admin, all));
    std::map<int, Stored> stored;
    qint64 lastId = 0;
    for (const QJsonObject &m : std::as_const(all)) {
        const qint64 id = m.value("id"_L1).toInteger();
        QVERIFY2(id > lastId, qPrintable(u"sync out of order: %1 after %2"_s.arg(id).arg(lastId)));
        lastId = id;
        const QString clientId = m.value("clientId"_L1).toString();
        QVERIFY2(clientId.startsWith(u"c-"_s), qPrintable(clientId));
        bool ok = false;
        const int n = clientId.mid(2).toInt(&ok);
        QVERIFY(ok && n >= 0 && n < sent);
        QVERIFY2(stored.emplace(n, storedFrom(m)).second,
                 qPrintable(u"clientId %1 is stored twice"_s.arg(clientId)));
    }
    QVERIFY(stored.size() >= acked.size());
    for (const auto &[n, a] : acked) {
        const auto it = stored.find(n);
        QVERIFY2(it != stored.end(), qPrintable(u"acknowledged %1 was lost"_s.arg(clientIdOf(n))));
        QCOMPARE(it->second.id, a.id);
        QCOMPARE(it->second.text, textOf(n));
        QCOMPARE(it->second.thread, thread);
        QCOMPARE(it->second.sender, customerId);
    }
    for (const auto &[n, s] : stored) {
        QCOMPARE(s.text, textOf(n));
        QCOMPARE(s.sender, customerId);
    }
    const qsizetype storedAfterCrash = all.size();
    qInfo("stored after the restart: %d (%d more than acknowledged)", int(storedAfterCrash),
          int(storedAfterCrash - qsizetype(acked.size())));

    // (b) Resending every acknowledged clientId returns the same message and stores nothing.
    TestClient again(server.url());
    QVERIFY(again.open());
    QCOMPARE(again.login(u"john.doe@example.com"_s, u"customer123"_s).value("type"_L1).toString(),
             u"welcome"_s);
    QList<int> ackedNs;
    for (const auto &[n, a] : acked)
        ackedNs.append(n);
    QHash<int, QJsonObject> replies;
    QVERIFY(resend(again, thread, ackedNs, 100'000, replies));
    for (int n : std::as_const(ackedNs)) {
        const QJsonObject r = replies.value(n);
        QCOMPARE(r.value("type"_L1).toString(), u"sent"_s);
        QCOMPARE(r.value("message"_L1).toObject().value("id"_L1).toInteger(), acked.at(n).id);
    }
    QVERIFY(syncAll(admin, all));
    QCOMPARE(all.size(), storedAfterCrash);

    // (c) The unacknowledged ones: stored at most once already; resending stores each once.
    QList<int> unackedNs;
    for (int n = 0; n < sent; ++n) {
        if (!acked.count(n))
            unackedNs.append(n);
    }
    QVERIFY(resend(again, thread, unackedNs, 200'000, replies));
    std::map<int, qint64> firstResend;
    for (int n : std::as_const(unackedNs)) {
        const QJsonObject r = replies.value(n);
        QCOMPARE(r.value("type"_L1).toString(), u"sent"_s);
        const QJsonObject m = r.value("message"_L1).toObject();
        QCOMPARE(m.value("clientId"_L1).toString(), clientIdOf(n));
        QCOMPARE(m.value("text"_L1).toString(), textOf(n));
        const qint64 id = m.value("id"_L1).toInteger();
        if (const auto it = stored.find(n); it != stored.end())
            QCOMPARE(id, it->second.id); // survived the crash unacknowledged: the same one
        else
            QVERIFY2(id > lastId, "a newly stored message must get a new, higher id");
        firstResend.emplace(n, id);
    }
    QVERIFY(syncAll(admin, all));
    QCOMPARE(all.size(), qsizetype(sent));

    QVERIFY(resend(again, thread, unackedNs, 300'000, replies));
    for (int n : std::as_const(unackedNs))
        QCOMPARE(replies.value(n).value("message"_L1).toObject().value("id"_L1).toInteger(),
                 firstResend.at(n));
    QVERIFY(syncAll(admin, all));
    QCOMPARE(all.size(), qsizetype(sent));
    QSet<QString> clientIds;
    for (const QJsonObject &m : std::as_const(all))
        clientIds.insert(m.value("clientId"_L1).toString());
    QCOMPARE(clientIds.size(), qsizetype(sent));
}

QTEST_GUILESS_MAIN(TestCrash)
#include "tst_crash.moc"
