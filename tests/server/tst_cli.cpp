// The `dpichat-server` command line as an operator meets it: exit codes, what each
// subcommand prints, and that what it changes is what a client then sees over the protocol.

#include "serverprocess.h"
#include "testclient.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
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

/// The `user list` row of `email` split into columns (id, email, role, state, name...).
QStringList listRow(const QString &listOutput, const QString &email)
{
    const QStringList lines = listOutput.split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const QStringList cols = line.simplified().split(u' ');
        if (cols.size() >= 4 && cols.at(1) == email)
            return cols;
    }
    return {};
}

int rowsWithEmail(const QString &listOutput, const QString &email)
{
    int n = 0;
    const QStringList lines = listOutput.split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const QStringList cols = line.simplified().split(u' ');
        if (cols.size() >= 2 && cols.at(1).compare(email, Qt::CaseInsensitive) == 0)
            ++n;
    }
    return n;
}

bool isOneLine(const QString &text)
{
    const QString t = text.trimmed();
    return !t.isEmpty() && !t.contains(u'\n');
}

QString errorCode(const QJsonObject &reply)
{
    return reply.value("type"_L1).toString() == "error"_L1 ? reply.value("code"_L1).toString()
                                                           : QString();
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

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void version();
    void help();
    void usageErrors_data();
    void usageErrors();
    void userAddThenList();
    void userAddDuplicateEmail_data();
    void userAddDuplicateEmail();
    void userAddRefusesShortPassword_data();
    void userAddRefusesShortPassword();
    void userPasswdChangesLogin();
    void unknownEmail_data();
    void unknownEmail();
    void userRole();
    void userDisableStopsLogin();
    void statsCountsMessages();
    void badDbUrl_data();
    void badDbUrl();
    void unusableDatabase_data();
    void unusableDatabase();
    void portInUse();
    void configFilePort();
    void configFileAppliesToSubcommands();

private:
    int addUser(const QString &email, const QString &role, const QByteArray &password,
                QString *err = nullptr);
    QString userList();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ServerProcess> m_server;
};

void TestCli::initTestCase()
{
    QVERIFY2(QFile::exists(ServerProcess::binary()), "DPICHAT_SERVER_BIN must name the server");
}

void TestCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_server = std::make_unique<ServerProcess>(m_dir->filePath(u"chat.db"_s));
}

void TestCli::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

int TestCli::addUser(const QString &email, const QString &role, const QByteArray &password,
                     QString *err)
{
    return m_server->runCommand({u"user"_s, u"add"_s, u"--email"_s, email, u"--name"_s,
                                 u"Test Person"_s, u"--role"_s, role},
                                password + '\n', nullptr, err);
}

QString TestCli::userList()
{
    QString out, err;
    const int code = m_server->runCommand({u"user"_s, u"list"_s}, {}, &out, &err);
    if (code != 0)
        qWarning("user list failed (%d): %s", code, qPrintable(err));
    return out;
}

void TestCli::version()
{
    const Run r = runBinary({u"--version"_s});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out.trimmed(), QString(u"dpichat-server "_s + QLatin1StringView(DPICHAT_VERSION)));
}

void TestCli::help()
{
    const Run r = runBinary({u"--help"_s});
    QCOMPARE(r.code, 0);
    for (const auto word : {"--port"_L1, "--db"_L1, "--config"_L1, "--rate-limit"_L1,
                            "user add"_L1, "user passwd"_L1, "stats"_L1})
        QVERIFY2(r.out.contains(word), qPrintable(u"--help does not mention "_s + word));
}

void TestCli::usageErrors_data()
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
void TestCli::usageErrors()
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

void TestCli::userAddThenList()
{
    QString out, err;
    const int code = m_server->runCommand({u"user"_s, u"add"_s, u"--email"_s,
                                           u"Ann@Example.com"_s, u"--name"_s, u"Ann Example"_s,
                                           u"--role"_s, u"member"_s},
                                          "correct horse\n", &out, &err);
    QCOMPARE(code, 0);
    QVERIFY2(out.contains(u"ann@example.com (member)"_s), qPrintable(out));
    QVERIFY2(!out.contains(u"correct horse"_s) && !err.contains(u"correct horse"_s),
             "the password must never be echoed");
    QCOMPARE(addUser(u"bo@example.com"_s, u"admin"_s, "password1"), 0);

    const QString list = userList();
    const QStringList ann = listRow(list, u"ann@example.com"_s);
    QCOMPARE(ann.value(2), u"member"_s);
    QCOMPARE(ann.value(3), u"active"_s);
    QCOMPARE(ann.mid(4).join(u' '), u"Ann Example"_s);
    QCOMPARE(listRow(list, u"bo@example.com"_s).value(2), u"admin"_s);
    QVERIFY(!list.contains(u"correct horse"_s));
}

void TestCli::userAddDuplicateEmail_data()
{
    QTest::addColumn<QString>("second");
    QTest::newRow("same") << u"dup@example.com"_s;
    QTest::newRow("other case") << u"DUP@example.com"_s;
    QTest::newRow("surrounding spaces") << u" dup@example.com "_s;
}

void TestCli::userAddDuplicateEmail()
{
    QFETCH(QString, second);
    QCOMPARE(addUser(u"dup@example.com"_s, u"customer"_s, "password1"), 0);
    QString err;
    QCOMPARE(addUser(second, u"admin"_s, "password2", &err), 1);
    QVERIFY2(isOneLine(err), qPrintable(err));
    QVERIFY2(err.contains(u"already exists"_s), qPrintable(err));

    const QString list = userList();
    QCOMPARE(rowsWithEmail(list, u"dup@example.com"_s), 1);
    QCOMPARE(listRow(list, u"dup@example.com"_s).value(2), u"customer"_s);
}

void TestCli::userAddRefusesShortPassword_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("seven characters") << QByteArray("1234567\n");
    QTest::newRow("empty line") << QByteArray("\n");
    QTest::newRow("no input") << QByteArray();
}

void TestCli::userAddRefusesShortPassword()
{
    QFETCH(QByteArray, input);
    QString out, err;
    const int code = m_server->runCommand({u"user"_s, u"add"_s, u"--email"_s,
                                           u"short@example.com"_s, u"--name"_s, u"S"_s,
                                           u"--role"_s, u"customer"_s},
                                          input, &out, &err);
    QCOMPARE(code, 1);
    QVERIFY2(isOneLine(err), qPrintable(err));
    QVERIFY2(err.contains(u"at least 8"_s), qPrintable(err));
    QCOMPARE(rowsWithEmail(userList(), u"short@example.com"_s), 0);
}

void TestCli::userPasswdChangesLogin()
{
    const QString email = u"pat@example.com"_s;
    QCOMPARE(addUser(email, u"customer"_s, "old-password"), 0);
    QVERIFY(m_server->start());

    TestClient before(m_server->url());
    QVERIFY(before.open());
    const QJsonObject welcome = before.login(email, u"old-password"_s);
    QCOMPARE(welcome.value("type"_L1).toString(), u"welcome"_s);
    const QString oldToken = welcome.value("token"_L1).toString();

    QString out, err;
    QCOMPARE(m_server->runCommand({u"user"_s, u"passwd"_s, email}, "new-password\n", &out, &err),
             0);
    QVERIFY2(out.contains(email), qPrintable(out));
    QVERIFY(!out.contains(u"new-password"_s) && !err.contains(u"new-password"_s));

    TestClient withOld(m_server->url());
    QVERIFY(withOld.open());
    QCOMPARE(errorCode(withOld.login(email, u"old-password"_s)), u"auth_failed"_s);

    // A session made with the old password ends with it.
    TestClient withToken(m_server->url());
    QVERIFY(withToken.open());
    QCOMPARE(errorCode(withToken.loginWithToken(oldToken)), u"auth_failed"_s);

    TestClient withNew(m_server->url());
    QVERIFY(withNew.open());
    const QJsonObject again = withNew.login(email, u"new-password"_s);
    QCOMPARE(again.value("type"_L1).toString(), u"welcome"_s);
    QCOMPARE(again.value("user"_L1).toObject().value("email"_L1).toString(), email);
}

void TestCli::unknownEmail_data()
{
    QTest::addColumn<QStringList>("args");
    const QString e = u"nobody@example.com"_s;
    QTest::newRow("passwd") << QStringList{u"user"_s, u"passwd"_s, e};
    QTest::newRow("role") << QStringList{u"user"_s, u"role"_s, e, u"member"_s};
    QTest::newRow("disable") << QStringList{u"user"_s, u"disable"_s, e};
}

void TestCli::unknownEmail()
{
    QFETCH(QStringList, args);
    QCOMPARE(addUser(u"somebody@example.com"_s, u"customer"_s, "password1"), 0);
    QString out, err;
    QCOMPARE(m_server->runCommand(args, "password2\n", &out, &err), 1);
    QVERIFY2(isOneLine(err), qPrintable(err));
    QVERIFY2(err.contains(u"nobody@example.com"_s), qPrintable(err));
    QCOMPARE(out, QString());
    // Nobody else was touched.
    const QStringList row = listRow(userList(), u"somebody@example.com"_s);
    QCOMPARE(row.value(2), u"customer"_s);
    QCOMPARE(row.value(3), u"active"_s);
}

void TestCli::userRole()
{
    const QString email = u"rae@example.com"_s;
    QCOMPARE(addUser(email, u"customer"_s, "password1"), 0);
    QString out;
    QCOMPARE(m_server->runCommand({u"user"_s, u"role"_s, email, u"member"_s}, {}, &out), 0);
    QVERIFY2(out.contains(u"member"_s), qPrintable(out));
    QCOMPARE(listRow(userList(), email).value(2), u"member"_s);

    // The new role is what the protocol reports at the next login.
    QVERIFY(m_server->start());
    TestClient c(m_server->url());
    QVERIFY(c.open());
    const QJsonObject welcome = c.login(email, u"password1"_s);
    QCOMPARE(welcome.value("user"_L1).toObject().value("role"_L1).toString(), u"member"_s);
}

void TestCli::userDisableStopsLogin()
{
    const QString email = u"dan@example.com"_s;
    QCOMPARE(addUser(email, u"customer"_s, "password1"), 0);
    QVERIFY(m_server->start());
    {
        TestClient c(m_server->url());
        QVERIFY(c.open());
        QCOMPARE(c.login(email, u"password1"_s).value("type"_L1).toString(), u"welcome"_s);
    }
    QCOMPARE(m_server->runCommand({u"user"_s, u"disable"_s, email}), 0);
    QCOMPARE(listRow(userList(), email).value(3), u"disabled"_s);

    TestClient c(m_server->url());
    QVERIFY(c.open());
    QCOMPARE(errorCode(c.login(email, u"password1"_s)), u"auth_failed"_s);
}

void TestCli::statsCountsMessages()
{
    QVERIFY(m_server->start({u"--demo"_s}));
    TestClient customer(m_server->url());
    QVERIFY(customer.open());
    QCOMPARE(customer.login(u"john.doe@example.com"_s, u"customer123"_s).value("type"_L1).toString(),
             u"welcome"_s);
    const QJsonArray threads = customer.request({{"type"_L1, "threads"_L1}})
                                   .value("threads"_L1)
                                   .toArray();
    QCOMPARE(threads.size(), 1);
    const qint64 thread = threads.first().toObject().value("id"_L1).toInteger();
    for (int i = 0; i < 3; ++i) {
        const QJsonObject sent = customer.request({{"type"_L1, "send"_L1},
                                                   {"thread"_L1, thread},
                                                   {"clientId"_L1, u"stats-%1"_s.arg(i)},
                                                   {"text"_L1, u"hello %1"_s.arg(i)}});
        QVERIFY2(sent.value("type"_L1).toString() == "sent"_L1,
                 QJsonDocument(sent).toJson(QJsonDocument::Compact).constData());
    }

    QString out, err;
    QCOMPARE(m_server->runCommand({u"stats"_s}, {}, &out, &err), 0);
    QVERIFY2(out.contains(u"messages in total: 3"_s), qPrintable(out));
    // email, role, sent, unread
    static const QRegularExpression row(u"^(\\S+@\\S+)\\s+(\\w+)\\s+(\\d+)\\s+(\\d+)\\s*$"_s,
                                        QRegularExpression::MultilineOption);
    QHash<QString, QPair<int, int>> figures;
    for (auto it = row.globalMatch(out); it.hasNext();) {
        const auto m = it.next();
        figures.insert(m.captured(1), {m.captured(3).toInt(), m.captured(4).toInt()});
    }
    QCOMPARE(figures.value(u"john.doe@example.com"_s), qMakePair(3, 0));
    QCOMPARE(figures.value(u"hello@designpi.com"_s), qMakePair(0, 3));
    QVERIFY2(figures.contains(u"mia.member@example.com"_s), qPrintable(out));
    QCOMPARE(figures.value(u"mia.member@example.com"_s), qMakePair(0, 0));
}

void TestCli::badDbUrl_data()
{
    QTest::addColumn<QString>("db");
    QTest::newRow("unknown scheme") << u"mysql://u:p@localhost/chat"_s;
    QTest::newRow("bare path") << u"/tmp/chat.db"_s;
    QTest::newRow("sqlite without path") << u"sqlite:"_s;
    QTest::newRow("postgres without database") << u"postgres://u:p@localhost:5432"_s;
}

void TestCli::badDbUrl()
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

void TestCli::unusableDatabase_data()
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

void TestCli::unusableDatabase()
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

void TestCli::portInUse()
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

void TestCli::configFilePort()
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

void TestCli::configFileAppliesToSubcommands()
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

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
