// /healthz follows the database: 200 "ok" while it answers, 503 (and a database error in
// /metrics) once it does not, and 503 with the reason once messages can no longer be stored
// (a failed flush of the log). In-process, so the test can take the database away.

#include "httpget.h"
#include "metrics/metrics.h"
#include "metrics/metricsserver.h"
#include "net/committer.h"
#include "store/sqlstore.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using namespace dpichat::server;

namespace {

/// A SQLite store on a file of its own, opened.
struct OpenStore
{
    OpenStore() : options(optionsIn(dir)), store(options)
    {
        opened = dir.isValid() && !dpichat::hasError(store.open());
    }
    static SqlStoreOptions optionsIn(const QTemporaryDir &dir)
    {
        SqlStoreOptions o;
        o.database = dir.filePath(u"chat.db"_s);
        return o;
    }
    QTemporaryDir dir;
    SqlStoreOptions options;
    SqlStore store;
    bool opened = false;
};

} // namespace

class TstHealthz : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void followsTheDatabase();
    void reportsAFailedLogFlush();

private:
    static std::pair<int, QByteArray> get(quint16 port, const QString &path);
};

std::pair<int, QByteArray> TstHealthz::get(quint16 port, const QString &path)
{
    const HttpAnswer a = httpGet(port, path, 5000);
    return {a.status, a.body};
}

void TstHealthz::followsTheDatabase()
{
    OpenStore db;
    QVERIFY(db.opened);
    SqlStore &store = db.store;
    Metrics metrics;
    MetricsServer http(metrics, store, [] { return Metrics::Gauges{3, 2}; });
    const auto listening = http.listen(QHostAddress::LocalHost, 0);
    QVERIFY(!dpichat::hasError(listening));
    const quint16 port = std::get<quint16>(listening);

    QCOMPARE(get(port, u"/healthz"_s), std::make_pair(200, QByteArray("ok\n")));
    const QByteArray before = get(port, u"/metrics"_s).second;
    QVERIFY(before.contains("\ndpichat_connections 3\n"));
    QVERIFY(before.contains("\ndpichat_sessions 2\n"));
    QVERIFY(before.contains("\ndpichat_db_errors_total 0\n"));

    store.close();
    QCOMPARE(get(port, u"/healthz"_s).first, 503);
    QVERIFY(get(port, u"/metrics"_s).second.contains("\ndpichat_db_errors_total 1\n"));

    // A port in use is a one-line reason, not a silent failure.
    MetricsServer second(metrics, store, [] { return Metrics::Gauges{}; });
    const auto taken = second.listen(QHostAddress::LocalHost, port);
    QVERIFY(dpichat::hasError(taken));
    QVERIFY(std::get<dpichat::ProtocolError>(taken).message.contains(u"cannot listen for metrics"_s));
}

void TstHealthz::reportsAFailedLogFlush()
{
    // Wired as the server wires it: SQLite under FULL, the log flushed by the Committer's
    // flusher, /healthz asking the Committer.
    OpenStore db;
    QVERIFY(db.opened);
    SqlStore &store = db.store;
    const SqlStoreOptions options = db.options;
    const auto added = store.addUser(u"c@example.com"_s, u"c"_s, dpichat::Role::Customer, "hash"_ba);
    QVERIFY(!dpichat::hasError(added));
    const StoredUser user = std::get<StoredUser>(added);
    Metrics metrics;
    Committer committer(store, metrics);
    QVERIFY(!dpichat::hasError(committer.startStorageThread([options] {
        SqlStoreOptions writer = options;
        writer.synchronous = u"NORMAL"_s;
        return std::make_unique<SqlStore>(writer);
    }, true)));
    MetricsServer http(metrics, store, [] { return Metrics::Gauges{}; });
    http.setStorageProblemSource([&committer] { return committer.storageProblem(); });
    const auto listening = http.listen(QHostAddress::LocalHost, 0);
    QVERIFY(!dpichat::hasError(listening));
    const quint16 port = std::get<quint16>(listening);

    int stored = 0, refused = 0;
    const auto send = [&](const QString &clientId) {
        committer.submit(NewMessage{user.threadId, user.user.id, clientId, u"text"_s},
                         [&](const dpichat::Expected<AppendResult> &r) {
                             ++(dpichat::hasError(r) ? refused : stored);
                         });
    };
    send(u"m-1"_s);
    QTRY_COMPARE_WITH_TIMEOUT(stored, 1, 30000);
    QCOMPARE(get(port, u"/healthz"_s), std::make_pair(200, QByteArray("ok\n")));

    // The log's name now a FIFO: the flusher, finding the file it flushes unlinked, opens the
    // name again and cannot flush what it finds (EINVAL), as with a failing disk; SQLite
    // writes on into the file it has open, and reads still work.
    const QString log = store.writeAheadLogPath();
    QVERIFY(QFile::remove(log));
    QCOMPARE(::mkfifo(QFile::encodeName(log).constData(), 0600), 0);
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(u"flushing the write-ahead log failed"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"was not stored"_s));
    send(u"m-2"_s);
    QTRY_COMPARE_WITH_TIMEOUT(refused, 1, 30000);
    QCOMPARE(stored, 1);
    const auto [status, body] = get(port, u"/healthz"_s);
    QCOMPARE(status, 503);
    QCOMPARE(body, QByteArray("cannot store messages: flushing the write-ahead log failed;"
                              " restart the server once the disk is fixed\n"));
    QVERIFY(!dpichat::hasError(store.maxThreadId()));
}

QTEST_GUILESS_MAIN(TstHealthz)
#include "tst_healthz.moc"
