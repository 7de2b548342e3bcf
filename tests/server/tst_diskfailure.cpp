// A disk that fails under a running server, end to end: once a flush of the write-ahead log
// fails, every send is refused, so is every reply read from the database (it could show a
// message that is not on disk), and /healthz says why. After a restart on a working disk,
// what was acknowledged is there, and the refused message, sent again with its clientId, is
// stored once.
//
// The failure: the log's name replaced by a FIFO while the server runs. The flush thread,
// finding the file it flushes unlinked, opens the name again and cannot flush a FIFO
// (EINVAL), as with a failing disk; SQLite writes on into the file it has open.

#include "httpget.h"
#include "serverprocess.h"
#include "testclient.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Qt::StringLiterals;

class TestDiskFailure : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void refusesSendsAndReadsAfterAFailedFlush();
};

void TestDiskFailure::initTestCase()
{
    QVERIFY2(QFile::exists(ServerProcess::binary()), "DPICHAT_SERVER_BIN must name the server");
}

namespace {

QJsonObject sendRequest(qint64 thread, const QString &clientId, const QString &text)
{
    return {{"type"_L1, "send"_L1}, {"thread"_L1, thread}, {"clientId"_L1, clientId}, {"text"_L1, text}};
}

QJsonObject historyRequest(qint64 thread)
{
    return {{"type"_L1, "history"_L1}, {"thread"_L1, thread}, {"before"_L1, QJsonValue()}, {"limit"_L1, 50}};
}

} // namespace

void TestDiskFailure::refusesSendsAndReadsAfterAFailedFlush()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerProcess server(dir.filePath(u"chat.db"_s));
    // The default --sqlite-synchronous FULL: the log is flushed by a thread of its own.
    QVERIFY(server.start({u"--demo"_s, u"--rate-limit"_s, u"0"_s, u"--metrics-port"_s, u"0"_s}));
    QVERIFY(server.metricsPort() != 0);

    auto customer = std::make_unique<TestClient>(server.url());
    QVERIFY(customer->open());
    QCOMPARE(customer->login(u"john.doe@example.com"_s, u"customer123"_s).value("type"_L1).toString(), u"welcome"_s);
    const QJsonArray threads = customer->request({{"type"_L1, "threads"_L1}}).value("threads"_L1).toArray();
    QCOMPARE(threads.size(), 1);
    const qint64 thread = threads.first().toObject().value("id"_L1).toInteger();

    const QJsonObject first = customer->request(sendRequest(thread, u"d-1"_s, u"before the failure"_s));
    QCOMPARE(first.value("type"_L1).toString(), u"sent"_s);
    const qint64 firstId = first.value("message"_L1).toObject().value("id"_L1).toInteger();
    QCOMPARE(httpGet(server.metricsPort(), u"/healthz"_s).status, 200);
    QCOMPARE(httpGet(server.metricsPort(), u"/healthz"_s).body, QByteArray("ok\n"));

    const QString log = server.databasePath() + u"-wal"_s;
    QVERIFY(QFile::exists(log));
    QVERIFY(QFile::remove(log));
    QCOMPARE(::mkfifo(QFile::encodeName(log).constData(), 0600), 0);

    const QJsonObject refused = customer->request(sendRequest(thread, u"d-2"_s, u"during the failure"_s), 10'000);
    QCOMPARE(refused.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(refused.value("code"_L1).toString(), u"internal"_s);
    // Reads now refused too: the refused message is in the database, not on disk.
    const QJsonObject history = customer->request(historyRequest(thread), 10'000);
    QCOMPARE(history.value("type"_L1).toString(), u"error"_s);
    QCOMPARE(history.value("code"_L1).toString(), u"internal"_s);
    const QJsonObject sync = customer->request({{"type"_L1, "sync"_L1}, {"after"_L1, 0}, {"limit"_L1, 50}}, 10'000);
    QCOMPARE(sync.value("code"_L1).toString(), u"internal"_s);
    const QJsonObject again = customer->request(sendRequest(thread, u"d-3"_s, u"still failing"_s), 10'000);
    QCOMPARE(again.value("code"_L1).toString(), u"internal"_s);
    const HttpAnswer health = httpGet(server.metricsPort(), u"/healthz"_s);
    QCOMPARE(health.status, 503);
    QVERIFY2(health.body.startsWith("cannot store messages: flushing the write-ahead log failed"), health.body.constData());

    // The disk "fixed": a clean stop copies the log SQLite still has open into the database
    // (and removes the FIFO by the log's name); a restart serves again.
    customer.reset();
    server.stop();
    QFile::remove(log);
    QVERIFY(server.restart());
    QCOMPARE(httpGet(server.metricsPort(), u"/healthz"_s).status, 200);
    QCOMPARE(httpGet(server.metricsPort(), u"/healthz"_s).body, QByteArray("ok\n"));
    TestClient after(server.url());
    QVERIFY(after.open());
    QCOMPARE(after.login(u"john.doe@example.com"_s, u"customer123"_s).value("type"_L1).toString(), u"welcome"_s);
    // The refused ones sent again with their clientIds: each stored once (or answered with
    // the id it already had, had it reached the database).
    const QJsonObject resent = after.request(sendRequest(thread, u"d-2"_s, u"during the failure"_s));
    QCOMPARE(resent.value("type"_L1).toString(), u"sent"_s);
    QCOMPARE(after.request(sendRequest(thread, u"d-3"_s, u"still failing"_s)).value("type"_L1).toString(), u"sent"_s);
    const QJsonArray messages = after.request(historyRequest(thread)).value("messages"_L1).toArray();
    QStringList clientIds;
    for (const QJsonValue &m : messages)
        clientIds.append(m.toObject().value("clientId"_L1).toString());
    QCOMPARE(clientIds, (QStringList{u"d-1"_s, u"d-2"_s, u"d-3"_s}));
    QCOMPARE(messages.first().toObject().value("id"_L1).toInteger(), firstId);
}

QTEST_MAIN(TestDiskFailure)
#include "tst_diskfailure.moc"
