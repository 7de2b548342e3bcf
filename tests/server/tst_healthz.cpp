// /healthz follows the database: 200 "ok" while it answers, 503 (and a database error in
// /metrics) once it does not. In-process, so the test can take the database away.

#include "metrics/metrics.h"
#include "metrics/metricsserver.h"
#include "store/sqlstore.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace dpichat::server;

class TstHealthz : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void followsTheDatabase();

private:
    std::pair<int, QByteArray> get(quint16 port, const QString &path);
    QNetworkAccessManager m_nam;
};

std::pair<int, QByteArray> TstHealthz::get(quint16 port, const QString &path)
{
    QNetworkReply *reply = m_nam.get(QNetworkRequest(QUrl(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path))));
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 5000))
        return {0, {}};
    const std::pair<int, QByteArray> answer{
        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    delete reply;
    return answer;
}

void TstHealthz::followsTheDatabase()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    SqlStoreOptions options;
    options.database = dir.filePath(u"chat.db"_s);
    SqlStore store(options);
    QVERIFY(!dpichat::hasError(store.open()));
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

QTEST_GUILESS_MAIN(TstHealthz)
#include "tst_healthz.moc"
