// The server under synchronous=NORMAL when the database refuses the messages it acknowledged
// from its journal: here another connection holds the database's write lock for longer than
// the server waits for it (busy_timeout, 5 s). /healthz says so, nothing more is acknowledged
// ahead of the database (a send is refused), and once the lock is released the acknowledged
// message is stored once, the refused one can be sent again, and /healthz is ok again; the
// journal's figures in /metrics follow.

#include "httpget.h"
#include "serverprocess.h"
#include "testclient.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestJournalRefused : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void healthSaysSoAndNothingIsLost();
};

void TestJournalRefused::initTestCase()
{
    QVERIFY2(QFile::exists(ServerProcess::binary()), "DPICHAT_SERVER_BIN must name the server");
}

namespace {

QJsonObject sendRequest(qint64 thread, const QString &clientId, const QString &text)
{
    return { { "type"_L1, "send"_L1 }, { "thread"_L1, thread }, { "clientId"_L1, clientId },
        { "text"_L1, text } };
}

QStringList clientIdsIn(const QJsonObject &history)
{
    QStringList out;
    for (const QJsonValue &m : history.value("messages"_L1).toArray())
        out.append(m.toObject().value("clientId"_L1).toString());
    return out;
}

// Polls /healthz until it answers `status` or 20 s pass; returns the last answer.
HttpAnswer awaitHealth(quint16 port, int status)
{
    QDeadlineTimer deadline(20'000);
    HttpAnswer answer = httpGet(port, u"/healthz"_s);
    while (answer.status != status && !deadline.hasExpired()) {
        QTest::qWait(100);
        answer = httpGet(port, u"/healthz"_s);
    }
    return answer;
}

} // namespace

void TestJournalRefused::healthSaysSoAndNothingIsLost()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerProcess server(dir.filePath(u"chat.db"_s));
    QVERIFY(server.start({ u"--demo"_s, u"--rate-limit"_s, u"0"_s, u"--sqlite-synchronous"_s,
        u"NORMAL"_s, u"--metrics-port"_s, u"0"_s }));
    QVERIFY(server.metricsPort() != 0);

    TestClient customer(server.url());
    QVERIFY(customer.open());
    QCOMPARE(
        customer.login(u"john.doe@example.com"_s, u"customer123"_s).value("type"_L1).toString(),
        u"welcome"_s);
    const QJsonArray threads
        = customer.request({ { "type"_L1, "threads"_L1 } }).value("threads"_L1).toArray();
    QCOMPARE(threads.size(), 1);
    const qint64 thread = threads.first().toObject().value("id"_L1).toInteger();
    QCOMPARE(
        customer.request(sendRequest(thread, u"j-1"_s, u"before"_s)).value("type"_L1).toString(),
        u"sent"_s);
    QCOMPARE(httpGet(server.metricsPort(), u"/healthz"_s).body, QByteArray("ok\n"));
    QCOMPARE(metricSample(server.metricsPort(), "dpichat_journal_batches_total"), qint64(1));
    // Stored a moment later (Committer::kHandOverDelay).
    QTRY_COMPARE_WITH_TIMEOUT(
        metricSample(server.metricsPort(), "dpichat_journal_unstored_messages"), qint64(0), 10'000);
    // The first message from this sender: new without a look-up in the database.
    QCOMPARE(
        metricSample(server.metricsPort(), "dpichat_journal_client_id_lookups_total"), qint64(0));

    {
        QSqlDatabase lock = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"lock"_s);
        lock.setDatabaseName(server.databasePath());
        QVERIFY(lock.open());
        QSqlQuery q(lock);
        QVERIFY2(q.exec(u"PRAGMA busy_timeout = 10000"_s), qPrintable(q.lastError().text()));
        // The write lock (the server's log mode lets readers on meanwhile).
        QVERIFY2(q.exec(u"BEGIN IMMEDIATE"_s), qPrintable(q.lastError().text()));

        // Acknowledged from the journal; the storage thread then waits for the lock in vain.
        const QJsonObject acknowledged
            = customer.request(sendRequest(thread, u"j-2"_s, u"acked"_s));
        QCOMPARE(acknowledged.value("type"_L1).toString(), u"sent"_s);
        const qint64 acknowledgedId
            = acknowledged.value("message"_L1).toObject().value("id"_L1).toInteger();
        const HttpAnswer health = awaitHealth(server.metricsPort(), 503);
        QCOMPARE(health.status, 503);
        QVERIFY2(health.body.startsWith("cannot store messages: "), health.body.constData());
        QCOMPARE(metricSample(server.metricsPort(), "dpichat_journal_batches_total"), qint64(2));
        QCOMPARE(
            metricSample(server.metricsPort(), "dpichat_journal_unstored_messages"), qint64(1));

        // Nothing more acknowledged ahead of the database: refused after its wait.
        const QJsonObject refused
            = customer.request(sendRequest(thread, u"j-3"_s, u"refused"_s), 20'000);
        QCOMPARE(refused.value("type"_L1).toString(), u"error"_s);
        QCOMPARE(refused.value("code"_L1).toString(), u"internal"_s);

        QVERIFY(q.exec(u"ROLLBACK"_s));
        q.finish();
        lock.close();

        // The next send stores what waited first, then itself.
        const QJsonObject after
            = customer.request(sendRequest(thread, u"j-4"_s, u"after"_s), 20'000);
        QCOMPARE(after.value("type"_L1).toString(), u"sent"_s);
        QVERIFY(after.value("message"_L1).toObject().value("id"_L1).toInteger() > acknowledgedId);
    }
    QSqlDatabase::removeDatabase(u"lock"_s);
    QCOMPARE(awaitHealth(server.metricsPort(), 200).body, QByteArray("ok\n"));
    QCOMPARE(metricSample(server.metricsPort(), "dpichat_journal_unstored_messages"), qint64(0));
    // j-3 and j-4 went through a commit: nothing is acknowledged ahead of a refusing database.
    QCOMPARE(metricSample(server.metricsPort(), "dpichat_journal_batches_total"), qint64(2));

    // The refused message sent again with its clientId: stored now, and every message once.
    QCOMPARE(
        customer.request(sendRequest(thread, u"j-3"_s, u"refused"_s)).value("type"_L1).toString(),
        u"sent"_s);
    const QJsonObject history = customer.request(
        { { "type"_L1, "history"_L1 }, { "thread"_L1, thread }, { "limit"_L1, 50 } });
    QCOMPARE(clientIdsIn(history), (QStringList { u"j-1"_s, u"j-2"_s, u"j-4"_s, u"j-3"_s }));

    // And after a restart (nothing left in the journal to store twice).
    server.stop();
    QVERIFY(server.restart());
    TestClient again(server.url());
    QVERIFY(again.open());
    QCOMPARE(again.login(u"john.doe@example.com"_s, u"customer123"_s).value("type"_L1).toString(),
        u"welcome"_s);
    QCOMPARE(clientIdsIn(again.request(
                 { { "type"_L1, "history"_L1 }, { "thread"_L1, thread }, { "limit"_L1, 50 } })),
        (QStringList { u"j-1"_s, u"j-2"_s, u"j-4"_s, u"j-3"_s }));
}

QTEST_MAIN(TestJournalRefused)
#include "tst_journalrefused.moc"
