// Every option of the command line also works from the --config INI file, and the command
// line wins over the file. Also: the packaged sample configuration parses.

#include "config.h"

#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace dpichat::server;

class TstConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyOptionFromTheFile();
    void commandLineWins();
    void badValuesInTheFileAreUsageErrors_data();
    void badValuesInTheFileAreUsageErrors();
    void packagedSampleParses();

private:
    QString writeIni(const QByteArray &text);
    QTemporaryDir m_dir;
    int m_files = 0;
};

QString TstConfig::writeIni(const QByteArray &text)
{
    const QString path = m_dir.filePath(u"c%1.conf"_s.arg(++m_files));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(text);
    return path;
}

void TstConfig::everyOptionFromTheFile()
{
    const QString ini = writeIni("listen=0.0.0.0\n"
                                 "port=9001\n"
                                 "db=sqlite:/tmp/x.db\n"
                                 "tls-cert=/etc/c.pem\n"
                                 "tls-key=/etc/k.pem\n"
                                 "metrics-port=9002\n"
                                 "metrics-listen=::1\n"
                                 "rate-limit=7\n"
                                 "demo=true\n"
                                 "sqlite-synchronous=normal\n"
                                 "token-ttl-days=3\n"
                                 "ping-interval=9\n"
                                 "allowed-origins=https://a.example,https://b.example\n"
                                 "event-dispatcher=EPOLL\n");
    ServerConfig c;
    const ParseOutcome r = parseCommandLine({u"dpichat-server"_s, u"--config"_s, ini}, c);
    QCOMPARE(r.kind, ParseOutcome::Run);
    QCOMPARE(c.listen, QHostAddress(u"0.0.0.0"_s));
    QCOMPARE(c.port, 9001);
    QCOMPARE(c.db, u"sqlite:/tmp/x.db"_s);
    QCOMPARE(c.tlsCert, u"/etc/c.pem"_s);
    QCOMPARE(c.tlsKey, u"/etc/k.pem"_s);
    QCOMPARE(c.metricsPort, 9002);
    QCOMPARE(c.metricsListen, QHostAddress(u"::1"_s));
    QCOMPARE(c.rateLimit, 7.0);
    QVERIFY(c.demo);
    QCOMPARE(c.sqliteSynchronous, u"NORMAL"_s);
    QCOMPARE(c.tokenTtlDays, 3);
    QCOMPARE(c.pingIntervalSeconds, 9);
    QCOMPARE(c.allowedOrigins, QStringList({u"https://a.example"_s, u"https://b.example"_s}));
    QCOMPARE(c.eventDispatcher, u"epoll"_s);
    // Read again before QCoreApplication would exist, as main() does.
    QCOMPARE(eventDispatcherFor({u"dpichat-server"_s, u"--config"_s, ini}), u"epoll"_s);
}

void TstConfig::commandLineWins()
{
    const QString ini = writeIni("port=9001\nmetrics-port=9002\nrate-limit=7\nping-interval=9\n");
    ServerConfig c;
    const ParseOutcome r = parseCommandLine({u"dpichat-server"_s, u"--config"_s, ini, u"--port"_s,
                                             u"0"_s, u"--metrics-port"_s, u"0"_s,
                                             u"--rate-limit"_s, u"0"_s},
                                            c);
    QCOMPARE(r.kind, ParseOutcome::Run);
    QCOMPARE(c.port, 0);
    QCOMPARE(c.metricsPort, 0);
    QCOMPARE(c.rateLimit, 0.0);
    QCOMPARE(c.pingIntervalSeconds, 9); // Not on the command line: the file's.

    ServerConfig none;
    QCOMPARE(parseCommandLine({u"dpichat-server"_s}, none).kind, ParseOutcome::Run);
    QCOMPARE(none.metricsPort, -1); // No metrics endpoint unless asked for.

    const QString epollIni = writeIni("event-dispatcher=epoll\n");
    const QStringList qtWins{u"dpichat-server"_s, u"--config"_s, epollIni,
                             u"--event-dispatcher"_s, u"qt"_s};
    QCOMPARE(eventDispatcherFor(qtWins), u"qt"_s);
    ServerConfig q;
    QCOMPARE(parseCommandLine(qtWins, q).kind, ParseOutcome::Run);
    QCOMPARE(q.eventDispatcher, u"qt"_s);
    // A mistake falls back to the default early; the parse proper reports it.
    const QStringList bad{u"dpichat-server"_s, u"--event-dispatcher"_s, u"select"_s};
    QCOMPARE(eventDispatcherFor(bad), ServerConfig().eventDispatcher);
    QCOMPARE(parseCommandLine(bad, q).kind, ParseOutcome::UsageError);
}

void TstConfig::badValuesInTheFileAreUsageErrors_data()
{
    QTest::addColumn<QByteArray>("ini");
    QTest::newRow("port") << QByteArray("port=70000\n");
    QTest::newRow("metrics-port") << QByteArray("metrics-port=http\n");
    QTest::newRow("metrics-listen") << QByteArray("metrics-listen=localhost.example\n");
    QTest::newRow("tls-cert alone") << QByteArray("tls-cert=/etc/c.pem\n");
    QTest::newRow("rate-limit") << QByteArray("rate-limit=-1\n");
    QTest::newRow("event-dispatcher") << QByteArray("event-dispatcher=select\n");
}

void TstConfig::badValuesInTheFileAreUsageErrors()
{
    QFETCH(QByteArray, ini);
    ServerConfig c;
    const ParseOutcome r = parseCommandLine({u"dpichat-server"_s, u"--config"_s, writeIni(ini)}, c);
    QCOMPARE(r.kind, ParseOutcome::UsageError);
    QVERIFY(!r.text.isEmpty());
}

void TstConfig::packagedSampleParses()
{
    const QString sample = QFINDTESTDATA("../../packaging/dpichat-server.conf");
    QVERIFY(!sample.isEmpty());
    ServerConfig c;
    const ParseOutcome r = parseCommandLine({u"dpichat-server"_s, u"--config"_s, sample}, c);
    QCOMPARE(r.kind, ParseOutcome::Run);
    QCOMPARE(c.db, u"sqlite:/var/lib/dpichat/dpichat.db"_s);
    QCOMPARE(c.port, 8787);
    QVERIFY(!c.demo);
    QVERIFY(c.tlsCert.isEmpty());
    QCOMPARE(c.metricsPort, -1);
}

QTEST_GUILESS_MAIN(TstConfig)
#include "tst_config.moc"
