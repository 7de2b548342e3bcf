// The login dialog against a real server: what a user sees for a wrong password, an
// unreachable server and a refused protocol version, and that "Remember me" without a
// keychain says so and still logs in. CTest runs it a second time inside a private D-Bus
// session with an unlocked gnome-keyring (DPICHAT_EXPECT_KEYCHAIN=1): then a remembered
// login starts straight into the window next time, and logging out forgets it.

#include "appcontroller.h"
#include "chatwindow.h"
#include "customerwindow.h"
#include "logindialog.h"
#include "serverprocess.h"

#include <QCheckBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>
#include <memory>

using dpichat::Connection;
using dpichat::ui::AppController;
using dpichat::ui::LoginDialog;

class TestLoginFlow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void wrongPasswordIsExplained();
    void unreachableServerIsExplained();
    void refusedProtocolIsExplained();
    void rememberWithoutKeychainStillLogsIn();
    void rememberedLoginGoesStraightIn();
    void logoutReturnsToTheDialog();

private:
    static bool expectKeychain()
    {
        return qEnvironmentVariableIntValue("DPICHAT_EXPECT_KEYCHAIN") == 1;
    }
    std::unique_ptr<AppController> makeController(const QString &profile);
    void typeCredentials(LoginDialog *dialog, const QUrl &server, const QString &email,
        const QString &password, bool remember);

    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
    std::list<std::unique_ptr<QSettings>> m_settings;
};

void TestLoginFlow::initTestCase()
{
    // Without the keyring run there must be no secret service: the no-keychain path.
    if (!expectKeychain())
        qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    m_server = std::make_unique<ServerProcess>(m_dir.filePath(QStringLiteral("server.sqlite")));
    QVERIFY(m_server->start(
        { QStringLiteral("--demo"), QStringLiteral("--rate-limit"), QStringLiteral("0") }));
}

std::unique_ptr<AppController> TestLoginFlow::makeController(const QString &profile)
{
    AppController::Options options;
    options.dataDir = m_dir.filePath(profile);
    options.keychainService = QStringLiteral("DPI Chat test ") + profile;
    m_settings.push_back(std::make_unique<QSettings>(
        m_dir.filePath(profile + QStringLiteral(".ini")), QSettings::IniFormat));
    return std::make_unique<AppController>(options, m_settings.back().get());
}

void TestLoginFlow::typeCredentials(LoginDialog *dialog, const QUrl &server, const QString &email,
    const QString &password, bool remember)
{
    dialog->serverEdit()->clear();
    QTest::keyClicks(dialog->serverEdit(), server.toString());
    dialog->emailEdit()->clear();
    QTest::keyClicks(dialog->emailEdit(), email);
    dialog->passwordEdit()->clear();
    QTest::keyClicks(dialog->passwordEdit(), password);
    if (dialog->rememberBox()->isChecked() != remember)
        QTest::mouseClick(dialog->rememberBox(), Qt::LeftButton, {},
            QPoint(2, dialog->rememberBox()->height() / 2));
    QCOMPARE(dialog->rememberBox()->isChecked(), remember);
    QTest::keyClick(dialog->passwordEdit(), Qt::Key_Return);
}

void TestLoginFlow::wrongPasswordIsExplained()
{
    auto app = makeController(QStringLiteral("wrong"));
    app->start();
    LoginDialog *dialog = app->loginDialog();
    QVERIFY(dialog && dialog->isVisible());
    typeCredentials(dialog, m_server->url(), QStringLiteral("john.doe@example.com"),
        QStringLiteral("not the password"), false);
    const QString expected
        = AppController::loginErrorText(Connection::LoginError::AuthFailed, {}, m_server->url());
    QTRY_COMPARE_WITH_TIMEOUT(dialog->statusText(), expected, 10000);
    QVERIFY(!app->window());
    QVERIFY(dialog->loginButton()->isEnabled());
    QVERIFY(dialog->passwordEdit()->hasFocus() || !dialog->isActiveWindow());
}

void TestLoginFlow::unreachableServerIsExplained()
{
    // A port that was free a moment ago: nothing listens there.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(probe.serverPort()));
    probe.close();

    auto app = makeController(QStringLiteral("unreachable"));
    app->start();
    LoginDialog *dialog = app->loginDialog();
    typeCredentials(
        dialog, url, QStringLiteral("john.doe@example.com"), QStringLiteral("customer123"), false);
    const QString expected
        = AppController::loginErrorText(Connection::LoginError::Unreachable, {}, url);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->statusText(), expected, 15000);
    QVERIFY(dialog->statusText().contains(QString::number(url.port())));
    QVERIFY(!app->window());
}

void TestLoginFlow::refusedProtocolIsExplained()
{
    // A server from the future: it answers every login with unsupported_protocol.
    QWebSocketServer future(QStringLiteral("future"), QWebSocketServer::NonSecureMode);
    QVERIFY(future.listen(QHostAddress::LocalHost));
    connect(&future, &QWebSocketServer::newConnection, this, [&future] {
        QWebSocket *socket = future.nextPendingConnection();
        socket->setParent(&future); // the server's sockets go with it
        connect(socket, &QWebSocket::textMessageReceived, socket, [socket](const QString &) {
            socket->sendTextMessage(QStringLiteral(
                R"({"type":"error","re":1,"code":"unsupported_protocol","message":"protocol 2 only"})"));
        });
    });
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(future.serverPort()));

    auto app = makeController(QStringLiteral("future"));
    app->start();
    LoginDialog *dialog = app->loginDialog();
    typeCredentials(
        dialog, url, QStringLiteral("john.doe@example.com"), QStringLiteral("customer123"), false);
    const QString expected
        = AppController::loginErrorText(Connection::LoginError::UnsupportedProtocol, {}, url);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->statusText(), expected, 10000);
    QVERIFY(!app->window());
}

void TestLoginFlow::rememberWithoutKeychainStillLogsIn()
{
    if (expectKeychain())
        QSKIP("a keychain service runs in this run");
    auto app = makeController(QStringLiteral("remember"));
    app->start();
    LoginDialog *dialog = app->loginDialog();
    typeCredentials(dialog, m_server->url(), QStringLiteral("john.doe@example.com"),
        QStringLiteral("customer123"), true);
    // The dialog says it could not remember, and offers to continue.
    QTRY_VERIFY_WITH_TIMEOUT(
        dialog->statusText().contains(QStringLiteral("could not remember")), 20000);
    QVERIFY(app->connection()->isOnline());
    QVERIFY(!app->window());
    QTest::mouseClick(dialog->loginButton(), Qt::LeftButton);
    QTRY_VERIFY(app->window());
    QVERIFY(qobject_cast<dpichat::ui::CustomerWindow *>(app->window()));
    QTRY_VERIFY(app->window()->isVisible());
    QVERIFY(!dialog->isVisible());

    // Nothing was remembered, so the next start asks again.
    auto again = makeController(QStringLiteral("remember"));
    again->start();
    QVERIFY(again->loginDialog() && again->loginDialog()->isVisible());
}

void TestLoginFlow::rememberedLoginGoesStraightIn()
{
    if (!expectKeychain())
        QSKIP("needs a Secret Service (the keyring run of this test)");
    {
        auto app = makeController(QStringLiteral("keychain"));
        app->start();
        typeCredentials(app->loginDialog(), m_server->url(), QStringLiteral("john.doe@example.com"),
            QStringLiteral("customer123"), true);
        QTRY_VERIFY_WITH_TIMEOUT(app->window(), 20000); // no "could not remember" stop
    }
    // The next start goes straight in with the stored token, no dialog.
    auto again = makeController(QStringLiteral("keychain"));
    again->start();
    QVERIFY(!again->loginDialog() || !again->loginDialog()->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(again->window(), 20000);
    QVERIFY(!again->loginDialog() || !again->loginDialog()->isVisible());

    // Logging out forgets it: the start after that asks again.
    again->window()->logoutAction()->trigger();
    QTRY_VERIFY(again->loginDialog() && again->loginDialog()->isVisible());
    QTest::qWait(500); // the keychain removal is asynchronous
    auto third = makeController(QStringLiteral("keychain"));
    third->start();
    QVERIFY(third->loginDialog() && third->loginDialog()->isVisible());
}

void TestLoginFlow::logoutReturnsToTheDialog()
{
    auto app = makeController(QStringLiteral("logout"));
    app->start();
    typeCredentials(app->loginDialog(), m_server->url(), QStringLiteral("hello@designpi.com"),
        QStringLiteral("admin123"), false);
    QTRY_VERIFY_WITH_TIMEOUT(app->window(), 10000);
    const QString token = app->connection()->token();
    QVERIFY(!token.isEmpty());
    QSignalSpy loggedOut(app->connection(), &Connection::loggedOut);
    app->window()->logoutAction()->trigger();
    QTRY_VERIFY(app->loginDialog() && app->loginDialog()->isVisible());
    QTRY_VERIFY(!app->window());
    QTRY_COMPARE_WITH_TIMEOUT(loggedOut.size(), 1, 10000);

    // The token was revoked on the server: logging in with it fails.
    Connection probe;
    QSignalSpy failed(&probe, &Connection::loginFailed);
    QTest::qWait(500); // the logout frame reaches the server before this new socket
    probe.loginWithToken(m_server->url(), token);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10000);
}

QTEST_MAIN(TestLoginFlow)
#include "tst_loginflow.moc"
