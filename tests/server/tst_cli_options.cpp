// The `dpichat-server` command line as an operator meets it, apart from the user subcommands
// (tst_cli_users.cpp): --version and --help, usage errors, a database that is named wrongly or
// cannot be used, a port in use, and the config file; exit codes and what each case prints.

#include "clitest.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

/// Runs the binary with exactly `args` (no --db added), feeding `input` on stdin.
Run runBinary(const QStringList &args, const QByteArray &input = {})
{
    Run r;
    QProcess p;
    p.start(ServerProcess::binary(), args);
    if (!p.waitForStarted(10'000))
        return r;
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(60'000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

/// The last line a failing process wrote: its own message, after any log lines.
QString lastLine(const QString &text)
{
    return text.trimmed().split(u'\n').last();
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace

class TestCliOptions : public CliTest
{
    Q_OBJECT

private Q_SLOTS:
    void version();
    void help();
    void usageErrors_data();
    void usageErrors();
    void badDbUrl_data();
    void badDbUrl();
    void unusableDatabase_data();
    void unusableDatabase();
    void portInUse();
    void configFilePort();
    void configFileAppliesToSubcommands();
};

void TestCliOptions::version()
{
    const Run r = runBinary({u"--version"_s});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out.trimmed(), QString(u"dpichat-server "_s + QLatin1StringView(DPICHAT_VERSION)));
}

void TestCliOptions::help()
{
    const Run r = runBinary({u"--help"_s});
    QCOMPARE(r.code, 0);
    for (const auto word : {"--port"_L1, "--db"_L1, "--config"_L1, "--rate-limit"_L1,
                            "user add"_L1, "user passwd"_L1, "stats"_L1})
        QVERIFY2(r.out.contains(word), qPrintable(u"--help does not mention "_s + word));
}

void TestCliOptions::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("errorContains");

    const QString e = u"someone@example.com"_s;
    QTest::newRow("unknown option") << QStringList{u"--frobnicate"_s} << u"frobnicate"_s;
    QTest::newRow("password as option")
        << QStringList{u"user"_s, u"add"_s, u"--email"_s, e, u"--name"_s, u"N"_s,
                       u"--role"_s, u"member"_s, u"--password"_s, u"secret123"_s}
        << u"password"_s;
    QTest::newRow("unknown command") << QStringList{u"frobnicate"_s} << u"frobnicate"_s;
    QTest::newRow("user without subcommand") << QStringList{u"user"_s} << u"user"_s;
    QTest::newRow("unknown user subcommand") << QStringList{u"user"_s, u"zap"_s} << u"zap"_s;
    QTest::newRow("unknown role")
        << QStringList{u"user"_s, u"add"_s, u"--email"_s, e, u"--name"_s, u"N"_s,
                       u"--role"_s, u"superuser"_s}
        << u"superuser"_s;
    QTest::newRow("missing --email")
        << QStringList{u"user"_s, u"add"_s, u"--name"_s, u"N"_s, u"--role"_s, u"member"_s}
        << u"--email"_s;
    QTest::newRow("missing --role")
        << QStringList{u"user"_s, u"add"_s, u"--email"_s, e, u"--name"_s, u"N"_s}
        << u"--role"_s;
    QTest::newRow("not an email")
        << QStringList{u"user"_s, u"add"_s, u"--email"_s, u"nobody"_s, u"--name"_s, u"N"_s,
                       u"--role"_s, u"member"_s}
        << u"nobody"_s;
    QTest::newRow("passwd without email") << QStringList{u"user"_s, u"passwd"_s} << u"passwd"_s;
    QTest::newRow("passwd with password in argv")
        << QStringList{u"user"_s, u"passwd"_s, e, u"secret123"_s} << u"passwd"_s;
    QTest::newRow("role without role") << QStringList{u"user"_s, u"role"_s, e} << u"role"_s;
    QTest::newRow("role unknown role")
        << QStringList{u"user"_s, u"role"_s, e, u"owner"_s} << u"owner"_s;
    QTest::newRow("stats with argument") << QStringList{u"stats"_s, u"x"_s} << u"stats"_s;
    QTest::newRow("bad port") << QStringList{u"--port"_s, u"70000"_s} << u"70000"_s;
    QTest::newRow("negative rate limit") << QStringList{u"--rate-limit"_s, u"-1"_s} << u"-1"_s;
    QTest::newRow("missing config file")
        << QStringList{u"--config"_s, u"/nonexistent/dpichat.ini"_s} << u"dpichat.ini"_s;
}

// Every usage error: exit code 2, one line on stderr naming what was wrong, nothing on stdout,
// nothing stored.
void TestCliOptions::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, errorContains);

    QString out, err;
    const int code = m_server->runCommand(args, {"secret123\n"}, &out, &err);
    QCOMPARE(code, 2);
    QVERIFY2(isOneLine(err), qPrintable(err));
    QVERIFY2(err.contains(errorContains), qPrintable(err));
    QCOMPARE(out, QString());
    QCOMPARE(rowsWithEmail(userList(), u"someone@example.com"_s), 0);
}

void TestCliOptions::badDbUrl_data()
{
    QTest::addColumn<QString>("db");
    QTest::newRow("unknown scheme") << u"mysql://u:p@localhost/chat"_s;
    QTest::newRow("bare path") << u"/tmp/chat.db"_s;
    QTest::newRow("sqlite without path") << u"sqlite:"_s;
    QTest::newRow("postgres without database") << u"postgres://u:p@localhost:5432"_s;
}

void TestCliOptions::badDbUrl()
{
    QFETCH(QString, db);
    for (const QStringList &command : {QStringList{u"user"_s, u"list"_s}, QStringList{}}) {
        const Run r = runBinary(command + QStringList{u"--port"_s, u"0"_s, u"--db"_s, db});
        QCOMPARE(r.code, 2);
        QVERIFY2(isOneLine(r.err), qPrintable(r.err));
        QVERIFY2(r.err.contains(u"--db"_s), qPrintable(r.err));
        QCOMPARE(r.out, QString());
    }
}

void TestCliOptions::unusableDatabase_data()
{
    QTest::addColumn<QString>("db");
    QTest::addColumn<QStringList>("command");
    QTest::addColumn<QString>("errorContains");

    const QStringList list{u"user"_s, u"list"_s};
    QTest::newRow("directory cannot be made, user list")
        << u"sqlite:/proc/forbidden/x.db"_s << list << u"/proc/forbidden"_s;
    QTest::newRow("directory cannot be made, serve")
        << u"sqlite:/proc/forbidden/x.db"_s << QStringList{u"--port"_s, u"0"_s}
        << u"/proc/forbidden"_s;
    QTest::newRow("path is a directory, user list")
        << u"sqlite:DIR"_s << list << u"cannot open the database DIR"_s;
    QTest::newRow("path is a directory, stats")
        << u"sqlite:DIR"_s << QStringList{u"stats"_s} << u"cannot open the database DIR"_s;
    QTest::newRow("path is a directory, serve")
        << u"sqlite:DIR"_s << QStringList{u"--port"_s, u"0"_s} << u"cannot open the database DIR"_s;
    QTest::newRow("not a database file")
        << u"sqlite:GARBAGE"_s << list << u"cannot open the database GARBAGE"_s;
}

void TestCliOptions::unusableDatabase()
{
    QFETCH(QString, db);
    QFETCH(QStringList, command);
    QFETCH(QString, errorContains);

    QFile garbage(m_dir->filePath(u"garbage.db"_s));
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    garbage.write(QByteArray(8192, 'x'));
    garbage.close();
    for (QString *s : {&db, &errorContains})
        s->replace(u"DIR"_s, m_dir->path()).replace(u"GARBAGE"_s, garbage.fileName());

    const Run r = runBinary(command + QStringList{u"--db"_s, db});
    QCOMPARE(r.code, 1);
    // Log lines (SQLite's own reason, as a warning) may come first; the verdict is last.
    QVERIFY2(lastLine(r.err).startsWith(u"dpichat-server: "_s), qPrintable(r.err));
    QVERIFY2(lastLine(r.err).contains(errorContains), qPrintable(r.err));
    QVERIFY2(!r.out.contains(u"listening"_s), qPrintable(r.out));
}

void TestCliOptions::portInUse()
{
    QVERIFY(m_server->start());
    const QString port = QString::number(m_server->port());

    QProcess second;
    second.start(ServerProcess::binary(),
                 {u"--port"_s, port, u"--db"_s, u"sqlite:"_s + m_dir->filePath(u"other.db"_s)});
    QVERIFY(second.waitForStarted(10'000));
    if (!second.waitForFinished(30'000)) {
        second.kill();
        second.waitForFinished();
        QFAIL("a second server on a port in use kept running");
    }
    QCOMPARE(second.exitStatus(), QProcess::NormalExit);
    QCOMPARE(second.exitCode(), 1);
    const QString err = lastLine(QString::fromUtf8(second.readAllStandardError()));
    QVERIFY2(err.startsWith(u"dpichat-server: "_s), qPrintable(err));
    QVERIFY2(err.contains(u"127.0.0.1:"_s + port), qPrintable(err));
    QVERIFY2(err.contains(u"in use"_s), qPrintable(err));
    QVERIFY2(!QString::fromUtf8(second.readAllStandardOutput()).contains(u"listening"_s),
             "the second server must not claim to listen");
    QVERIFY(m_server->isRunning());
}

void TestCliOptions::configFilePort()
{
    const quint16 port = freePort();
    QVERIFY(port != 0);
    const QString ini = m_dir->filePath(u"server.ini"_s);
    QFile f(ini);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("port=" + QByteArray::number(port) + "\nrate-limit=0\n");
    f.close();

    // The server prints where it listens; that line says which port won.
    auto listeningPort = [&](const QStringList &args) -> int {
        QProcess p;
        p.start(ServerProcess::binary(), args);
        if (!p.waitForStarted(10'000))
            return -1;
        static const QRegularExpression re(u"listening on ws://[^:]+:(\\d+)/"_s);
        QByteArray seen;
        int found = -1;
        QDeadlineTimer deadline(20'000);
        while (found < 0 && !deadline.hasExpired() && p.state() == QProcess::Running) {
            p.waitForReadyRead(200);
            seen += p.readAllStandardOutput();
            if (const auto m = re.match(QString::fromUtf8(seen)); m.hasMatch())
                found = m.captured(1).toInt();
        }
        if (found < 0)
            qWarning("server output: %s %s", seen.constData(), p.readAllStandardError().constData());
        p.terminate();
        if (!p.waitForFinished(10'000))
            p.kill();
        p.waitForFinished();
        return found;
    };

    const QString db = u"sqlite:"_s + m_dir->filePath(u"chat.db"_s);
    QCOMPARE(listeningPort({u"--config"_s, ini, u"--db"_s, db}), int(port));
    // The command line wins over the file, wherever --config stands.
    const int other = listeningPort({u"--port"_s, u"0"_s, u"--config"_s, ini, u"--db"_s, db});
    QVERIFY(other > 0);
    QVERIFY(other != int(port));
}

void TestCliOptions::configFileAppliesToSubcommands()
{
    const QString ini = m_dir->filePath(u"server.ini"_s);
    QFile f(ini);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("db=sqlite:" + m_dir->filePath(u"from-config.db"_s).toUtf8() + "\n");
    f.close();

    // --config after the subcommand and before it; the file's db is the one used.
    const Run added = runBinary({u"user"_s, u"add"_s, u"--email"_s, u"cfg@example.com"_s,
                                 u"--name"_s, u"C"_s, u"--role"_s, u"member"_s, u"--config"_s,
                                 ini},
                                "password1\n");
    QCOMPARE(added.code, 0);
    const Run listed = runBinary({u"--config"_s, ini, u"user"_s, u"list"_s});
    QCOMPARE(listed.code, 0);
    QCOMPARE(listRow(listed.out, u"cfg@example.com"_s).value(2), u"member"_s);
    QVERIFY(QFile::exists(m_dir->filePath(u"from-config.db"_s)));

    // --db on the command line wins over the file's.
    QCOMPARE(rowsWithEmail(userList(), u"cfg@example.com"_s), 0);
    const Run overridden = runBinary({u"--config"_s, ini, u"--db"_s,
                                      u"sqlite:"_s + m_server->databasePath(), u"user"_s,
                                      u"list"_s});
    QCOMPARE(overridden.code, 0);
    QCOMPARE(rowsWithEmail(overridden.out, u"cfg@example.com"_s), 0);
}

QTEST_GUILESS_MAIN(TestCliOptions)
#include "tst_cli_options.moc"
