// The `dpichat-server` user subcommands and `stats` as an operator meets them: exit codes, what
// each prints, and that what it changes is what a client then sees over the protocol.

#include "clitest.h"
#include "testclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {

QString errorCode(const QJsonObject &reply)
{
    return reply.value("type"_L1).toString() == "error"_L1 ? reply.value("code"_L1).toString()
                                                           : QString();
}

} // namespace

class TestCliUsers : public CliTest
{
    Q_OBJECT

private Q_SLOTS:
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

private:
    int addUser(const QString &email, const QString &role, const QByteArray &password,
                QString *err = nullptr);
};

int TestCliUsers::addUser(const QString &email, const QString &role, const QByteArray &password,
                          QString *err)
{
    return m_server->runCommand({u"user"_s, u"add"_s, u"--email"_s, email, u"--name"_s,
                                 u"Test Person"_s, u"--role"_s, role},
                                password + '\n', nullptr, err);
}

void TestCliUsers::userAddThenList()
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

void TestCliUsers::userAddDuplicateEmail_data()
{
    QTest::addColumn<QString>("second");
    QTest::newRow("same") << u"dup@example.com"_s;
    QTest::newRow("other case") << u"DUP@example.com"_s;
    QTest::newRow("surrounding spaces") << u" dup@example.com "_s;
}

void TestCliUsers::userAddDuplicateEmail()
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

void TestCliUsers::userAddRefusesShortPassword_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("seven characters") << QByteArray("1234567\n");
    QTest::newRow("empty line") << QByteArray("\n");
    QTest::newRow("no input") << QByteArray();
}

void TestCliUsers::userAddRefusesShortPassword()
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

void TestCliUsers::userPasswdChangesLogin()
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

void TestCliUsers::unknownEmail_data()
{
    QTest::addColumn<QStringList>("args");
    const QString e = u"nobody@example.com"_s;
    QTest::newRow("passwd") << QStringList{u"user"_s, u"passwd"_s, e};
    QTest::newRow("role") << QStringList{u"user"_s, u"role"_s, e, u"member"_s};
    QTest::newRow("disable") << QStringList{u"user"_s, u"disable"_s, e};
}

void TestCliUsers::unknownEmail()
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

void TestCliUsers::userRole()
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

void TestCliUsers::userDisableStopsLogin()
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

void TestCliUsers::statsCountsMessages()
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

QTEST_GUILESS_MAIN(TestCliUsers)
#include "tst_cli_users.moc"
