// A customer and an admin, each in their own window as a user sees it, chatting through a
// real server: the admin's unread badge, opening the thread, "seen" on the customer's side,
// messages typed into the composers, typing lines and notifications.

#include "adminwindow.h"
#include "appcontroller.h"
#include "chatsession.h"
#include "chatview.h"
#include "composer.h"
#include "customerwindow.h"
#include "logindialog.h"
#include "models/messagemodel.h"
#include "models/threadmodel.h"
#include "notifier.h"
#include "serverprocess.h"

#include <QApplication>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace dpichat;
using namespace dpichat::ui;

class TestChatWidgets : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void bothLogInThroughTheDialog();
    void adminSeesUnreadBadge();
    void openingTheThreadClearsBadgeAndShowsSeen();
    void messagesGoBothWaysThroughComposers();
    void typingLineShowsOnTheOtherSide();
    void messageInAnotherThreadIsNotified();
    void draftIsKeptPerThread();

private:
    std::unique_ptr<AppController> login(
        const QString &profile, const QString &email, const QString &password);
    static void activate(QWidget *window);
    static void typeAndSend(ChatView *view, const QString &text);
    int rowOfCustomerThread() const;

    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
    std::list<std::unique_ptr<QSettings>> m_settings;
    std::unique_ptr<AppController> m_customer;
    std::unique_ptr<AppController> m_admin;
    AdminWindow *m_adminWindow = nullptr;
    CustomerWindow *m_customerWindow = nullptr;
    qint64 m_customerThread = 0;
};

void TestChatWidgets::initTestCase()
{
    qunsetenv("DBUS_SESSION_BUS_ADDRESS"); // no keychain; "Remember me" stays off below
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    m_server = std::make_unique<ServerProcess>(m_dir.filePath(QStringLiteral("server.sqlite")));
    QVERIFY(m_server->addUser(QStringLiteral("zoe@example.com"), QStringLiteral("Zoe Other"),
        QStringLiteral("customer"), QStringLiteral("zoe12345")));
    QVERIFY(m_server->start(
        { QStringLiteral("--demo"), QStringLiteral("--rate-limit"), QStringLiteral("0") }));
}

void TestChatWidgets::cleanupTestCase()
{
    m_admin.reset();
    m_customer.reset();
}

std::unique_ptr<AppController> TestChatWidgets::login(
    const QString &profile, const QString &email, const QString &password)
{
    AppController::Options options;
    options.dataDir = m_dir.filePath(profile);
    options.keychainService = QStringLiteral("DPI Chat test ") + profile;
    m_settings.push_back(std::make_unique<QSettings>(
        m_dir.filePath(profile + QStringLiteral(".ini")), QSettings::IniFormat));
    auto app = std::make_unique<AppController>(options, m_settings.back().get());
    app->start();
    LoginDialog *dialog = app->loginDialog();
    if (!dialog)
        return app;
    dialog->serverEdit()->clear();
    QTest::keyClicks(dialog->serverEdit(), m_server->url().toString());
    QTest::keyClicks(dialog->emailEdit(), email);
    QTest::keyClicks(dialog->passwordEdit(), password);
    dialog->rememberBox()->setChecked(false);
    QTest::keyClick(dialog->passwordEdit(), Qt::Key_Return);
    return app;
}

void TestChatWidgets::activate(QWidget *window)
{
    window->show();
    window->raise();
    window->activateWindow();
    QApplication::setActiveWindow(window);
    QVERIFY(QTest::qWaitForWindowActive(window));
}

void TestChatWidgets::typeAndSend(ChatView *view, const QString &text)
{
    QPlainTextEdit *editor = view->composer()->editor();
    editor->setFocus();
    QTest::keyClicks(editor, text);
    QTest::keyClick(editor, Qt::Key_Return);
}

int TestChatWidgets::rowOfCustomerThread() const
{
    return m_admin->session()->threadModel()->rowForThread(m_customerThread);
}

void TestChatWidgets::bothLogInThroughTheDialog()
{
    m_customer = login(QStringLiteral("customer"), QStringLiteral("john.doe@example.com"),
        QStringLiteral("customer123"));
    QTRY_VERIFY_WITH_TIMEOUT(m_customer->window(), 10000);
    m_customerWindow = qobject_cast<CustomerWindow *>(m_customer->window());
    QVERIFY(m_customerWindow);
    QTRY_VERIFY(m_customerWindow->chatView()->thread() != 0);
    m_customerThread = m_customerWindow->chatView()->thread();
    QVERIFY(m_customerWindow->windowTitle().contains(QStringLiteral("Support team")));

    // Nobody from the team is online yet.
    QVERIFY(m_customerWindow->teamStatusLabel()->text().contains(QStringLiteral("Nobody")));

    // The customer writes before any admin is there.
    activate(m_customerWindow);
    typeAndSend(m_customerWindow->chatView(), QStringLiteral("Hello, is anyone there?"));
    MessageModel *customerModel = m_customerWindow->chatView()->model();
    QCOMPARE(customerModel->rowCount(), 1); // shown at once, pending
    QTRY_COMPARE_WITH_TIMEOUT(customerModel->stateAt(0), MessageModel::Sent, 10000);

    m_admin = login(
        QStringLiteral("admin"), QStringLiteral("hello@designpi.com"), QStringLiteral("admin123"));
    QTRY_VERIFY_WITH_TIMEOUT(m_admin->window(), 10000);
    m_adminWindow = qobject_cast<AdminWindow *>(m_admin->window());
    QVERIFY(m_adminWindow);
    QTRY_VERIFY(m_customerWindow->teamStatusLabel()->text().contains(QStringLiteral("online")));
    QVERIFY(!m_customerWindow->teamStatusLabel()->text().contains(QStringLiteral("Nobody")));
}

void TestChatWidgets::adminSeesUnreadBadge()
{
    QVERIFY(m_adminWindow);
    ThreadModel *threads = m_admin->session()->threadModel();
    QTRY_VERIFY_WITH_TIMEOUT(rowOfCustomerThread() >= 0, 10000);
    const QModelIndex row = threads->index(rowOfCustomerThread());
    QTRY_COMPARE(row.data(ThreadModel::UnreadRole).toInt(), 1);
    QCOMPARE(row.data(ThreadModel::NameRole).toString(), QStringLiteral("John Doe"));
    QCOMPARE(row.data(ThreadModel::LastMessageTextRole).toString(),
        QStringLiteral("Hello, is anyone there?"));
    // Most recent first: John's thread is the only one with a message.
    QCOMPARE(m_adminWindow->threadList()
                 ->model()
                 ->index(0, 0)
                 .data(ThreadModel::ThreadIdRole)
                 .toLongLong(),
        m_customerThread);
    QTRY_VERIFY(m_adminWindow->windowTitle().startsWith(QStringLiteral("(1)")));
    QVERIFY(threads->unreadTotal() >= 1);
    // The customer's message is not seen yet.
    QCOMPARE(m_customerWindow->chatView()->model()->index(0).data(MessageModel::SeenRole).toBool(),
        false);
}

void TestChatWidgets::openingTheThreadClearsBadgeAndShowsSeen()
{
    QVERIFY(m_adminWindow);
    ThreadModel *threads = m_admin->session()->threadModel();

    // On screen but in an inactive window: not read yet.
    activate(m_customerWindow);
    m_adminWindow->openThread(m_customerThread);
    QCOMPARE(m_adminWindow->chatView()->thread(), m_customerThread);
    QTRY_COMPARE_WITH_TIMEOUT(m_adminWindow->chatView()->model()->rowCount(), 1, 10000);
    QTest::qWait(500);
    QCOMPARE(threads->index(rowOfCustomerThread()).data(ThreadModel::UnreadRole).toInt(), 1);
    QVERIFY(!m_customerWindow->chatView()->model()->index(0).data(MessageModel::SeenRole).toBool());
    m_adminWindow->chatView()->setThread(0);

    activate(m_adminWindow);
    // Keyboard only: Ctrl+K, filter, Enter.
    QTest::keyClick(m_adminWindow, Qt::Key_K, Qt::ControlModifier);
    QVERIFY(m_adminWindow->filterEdit()->hasFocus());
    QTest::keyClicks(m_adminWindow->filterEdit(), QStringLiteral("john"));
    QCOMPARE(m_adminWindow->threadList()->model()->rowCount(), 1);
    QTest::keyClick(m_adminWindow->filterEdit(), Qt::Key_Return);
    QCOMPARE(m_adminWindow->chatView()->thread(), m_customerThread);

    QTRY_COMPARE_WITH_TIMEOUT(
        threads->index(rowOfCustomerThread()).data(ThreadModel::UnreadRole).toInt(), 0, 10000);
    QTRY_VERIFY(!m_adminWindow->windowTitle().startsWith(QLatin1Char('(')));
    QTRY_COMPARE(m_adminWindow->chatView()->model()->rowCount(), 1);

    MessageModel *customerModel = m_customerWindow->chatView()->model();
    QTRY_VERIFY_WITH_TIMEOUT(customerModel->index(0).data(MessageModel::SeenRole).toBool(), 10000);
    m_adminWindow->filterEdit()->clear();
}

void TestChatWidgets::messagesGoBothWaysThroughComposers()
{
    QVERIFY(m_adminWindow);
    activate(m_adminWindow);
    typeAndSend(m_adminWindow->chatView(), QStringLiteral("Hi John, Ann here. How can I help?"));
    MessageModel *adminModel = m_adminWindow->chatView()->model();
    QCOMPARE(adminModel->rowCount(), 2);
    QVERIFY(adminModel->index(1).data(MessageModel::IsOwnRole).toBool());
    QTRY_COMPARE_WITH_TIMEOUT(adminModel->stateAt(1), MessageModel::Sent, 10000);
    QVERIFY(m_adminWindow->chatView()->composer()->text().isEmpty());

    MessageModel *customerModel = m_customerWindow->chatView()->model();
    QTRY_COMPARE_WITH_TIMEOUT(customerModel->rowCount(), 2, 10000);
    const QModelIndex reply = customerModel->index(1);
    QCOMPARE(reply.data(MessageModel::TextRole).toString(),
        QStringLiteral("Hi John, Ann here. How can I help?"));
    QVERIFY(!reply.data(MessageModel::IsOwnRole).toBool());
    QVERIFY(!reply.data(MessageModel::SenderNameRole).toString().isEmpty());

    activate(m_customerWindow);
    typeAndSend(m_customerWindow->chatView(),
        QStringLiteral("My order has not arrived.")); // Enter sends
    QTRY_COMPARE_WITH_TIMEOUT(adminModel->rowCount(), 3, 10000);
    QCOMPARE(adminModel->index(2).data(MessageModel::TextRole).toString(),
        QStringLiteral("My order has not arrived."));
    // Each side shows each message exactly once.
    QTest::qWait(300);
    QCOMPARE(adminModel->rowCount(), 3);
    QCOMPARE(customerModel->rowCount(), 3);

    // The customer's window is active, so the admin's reply is read: the admin sees it seen.
    QTRY_VERIFY_WITH_TIMEOUT(adminModel->index(1).data(MessageModel::SeenRole).toBool(), 10000);
}

void TestChatWidgets::typingLineShowsOnTheOtherSide()
{
    QVERIFY(m_adminWindow);
    activate(m_customerWindow);
    QTest::keyClicks(m_customerWindow->chatView()->composer()->editor(), QStringLiteral("Also"));
    QTRY_VERIFY_WITH_TIMEOUT(m_adminWindow->chatView()->typingLabel()->text().contains(
                                 QStringLiteral("John Doe is typing")),
        10000);
    m_customerWindow->chatView()->composer()->clear();
}

void TestChatWidgets::messageInAnotherThreadIsNotified()
{
    QVERIFY(m_adminWindow);
    activate(m_adminWindow);
    QVERIFY(m_admin->notifier());
    QSignalSpy notified(m_admin->notifier(), &Notifier::notified);

    // A message in the open thread while the window is active: no notification.
    activate(m_customerWindow);
    typeAndSend(m_customerWindow->chatView(), QStringLiteral("One more thing"));
    activate(m_adminWindow);
    QTRY_COMPARE_WITH_TIMEOUT(m_adminWindow->chatView()->model()->rowCount(), 4, 10000);

    // Zoe writes in a thread the admin does not have open.
    auto zoe = login(
        QStringLiteral("zoe"), QStringLiteral("zoe@example.com"), QStringLiteral("zoe12345"));
    QTRY_VERIFY_WITH_TIMEOUT(zoe->window(), 10000);
    auto *zoeWindow = qobject_cast<CustomerWindow *>(zoe->window());
    QTRY_VERIFY(zoeWindow->chatView()->thread() != 0);
    activate(m_adminWindow);
    notified.clear();
    zoe->session()->send(zoeWindow->chatView()->thread(), QStringLiteral("Hello from Zoe"));
    QTRY_COMPARE_WITH_TIMEOUT(notified.size(), 1, 10000);
    QCOMPARE(notified.at(0).at(0).toLongLong(), zoeWindow->chatView()->thread());
    QCOMPARE(notified.at(0).at(2).toString(), QStringLiteral("Hello from Zoe"));

    // With message text hidden, the notification says only that something came.
    m_adminWindow->hideTextAction()->setChecked(true);
    zoe->session()->send(zoeWindow->chatView()->thread(), QStringLiteral("Secret order number"));
    QTRY_COMPARE_WITH_TIMEOUT(notified.size(), 2, 10000);
    QVERIFY(!notified.at(1).at(2).toString().contains(QStringLiteral("Secret")));

    // Clicking it opens Zoe's thread.
    m_admin->notifier()->openLastNotified();
    QCOMPARE(m_adminWindow->chatView()->thread(), zoeWindow->chatView()->thread());
}

void TestChatWidgets::draftIsKeptPerThread()
{
    QVERIFY(m_adminWindow);
    activate(m_adminWindow);
    m_adminWindow->openThread(m_customerThread);
    Composer *composer = m_adminWindow->chatView()->composer();
    QTest::keyClicks(composer->editor(), QStringLiteral("Half-written answer"));
    // Another thread: its own (empty) draft.
    const QModelIndex other = m_adminWindow->threadList()->model()->index(0, 0);
    const qint64 otherThread
        = other.data(ThreadModel::ThreadIdRole).toLongLong() != m_customerThread
        ? other.data(ThreadModel::ThreadIdRole).toLongLong()
        : m_adminWindow->threadList()
              ->model()
              ->index(1, 0)
              .data(ThreadModel::ThreadIdRole)
              .toLongLong();
    m_adminWindow->openThread(otherThread);
    QCOMPARE(m_adminWindow->chatView()->thread(), otherThread);
    QVERIFY(composer->text().isEmpty());
    // Back: the half-written text is still there, unsent.
    m_adminWindow->openThread(m_customerThread);
    QCOMPARE(composer->text(), QStringLiteral("Half-written answer"));
    QCOMPARE(m_adminWindow->chatView()->model()->rowCount(), 4);
}

QTEST_MAIN(TestChatWidgets)
#include "tst_chatwidgets.moc"
