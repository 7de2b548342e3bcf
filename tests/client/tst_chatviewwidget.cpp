// The chat view with a long history, as a user scrolls it: opens at the newest message,
// loads older pages at the top without jumping, follows new messages only at the bottom
// (else offers "new messages"), shows failed sends with Discard, and the offline banner.

#include "appcontroller.h"
#include "chatsession.h"
#include "chatview.h"
#include "customerwindow.h"
#include "models/messagemodel.h"
#include "offlinebanner.h"
#include "serverprocess.h"
#include "testclient.h"

#include <QJsonArray>
#include <QListView>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <memory>

using namespace dpichat;
using namespace dpichat::ui;

namespace {
constexpr int kSeeded = 130;
}

class TestChatViewWidget : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void opensAtNewest();
    void scrollingUpLoadsOlderWithoutJumping();
    void newMessageWhileScrolledUpShowsMarker();
    void newMessageAtBottomFollows();
    void refusedMessageShowsFailedAndDiscardRemovesIt();
    void offlineBannerAndReconnectNow();

private:
    void adminSends(const QString &text);

    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<TestClient> m_adminClient;
    qint64 m_thread = 0;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<AppController> m_app;
    ChatView *m_view = nullptr;
};

void TestChatViewWidget::initTestCase()
{
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    m_server = std::make_unique<ServerProcess>(m_dir.filePath(QStringLiteral("server.sqlite")));
    QVERIFY(m_server->start(
        { QStringLiteral("--demo"), QStringLiteral("--rate-limit"), QStringLiteral("0") }));

    m_adminClient = std::make_unique<TestClient>(m_server->url());
    QVERIFY(m_adminClient->open());
    QCOMPARE(m_adminClient->login(QStringLiteral("hello@designpi.com"), QStringLiteral("admin123"))
                 .value(QStringLiteral("type"))
                 .toString(),
        QStringLiteral("welcome"));
    const QJsonObject threads
        = m_adminClient->request({ { QStringLiteral("type"), QStringLiteral("threads") } });
    for (const auto &t : threads.value(QStringLiteral("threads")).toArray()) {
        const QJsonObject owner = t.toObject().value(QStringLiteral("owner")).toObject();
        if (owner.value(QStringLiteral("email")).toString()
            == QStringLiteral("john.doe@example.com"))
            m_thread = t.toObject().value(QStringLiteral("id")).toInteger();
    }
    QVERIFY(m_thread != 0);
    for (int i = 1; i <= kSeeded; ++i)
        adminSends(QStringLiteral("History message %1").arg(i));

    AppController::Options options;
    options.dataDir = m_dir.filePath(QStringLiteral("customer"));
    options.keychainService = QStringLiteral("DPI Chat test view");
    options.server = m_server->url();
    options.email = QStringLiteral("john.doe@example.com");
    options.password = QStringLiteral("customer123");
    options.autoLogin = true;
    m_settings = std::make_unique<QSettings>(
        m_dir.filePath(QStringLiteral("c.ini")), QSettings::IniFormat);
    m_app = std::make_unique<AppController>(options, m_settings.get());
    m_app->start();
    QTRY_VERIFY_WITH_TIMEOUT(m_app->window(), 10000);
    m_app->window()->resize(800, 600); // the smallest size it must be usable at
    m_view = m_app->window()->chatView();
    QTRY_COMPARE(m_view->thread(), m_thread);
}

void TestChatViewWidget::cleanupTestCase()
{
    m_app.reset();
}

void TestChatViewWidget::adminSends(const QString &text)
{
    const QJsonObject reply
        = m_adminClient->request({ { QStringLiteral("type"), QStringLiteral("send") },
            { QStringLiteral("thread"), m_thread },
            { QStringLiteral("clientId"), QUuid::createUuid().toString(QUuid::WithoutBraces) },
            { QStringLiteral("text"), text } });
    QCOMPARE(reply.value(QStringLiteral("type")).toString(), QStringLiteral("sent"));
}

void TestChatViewWidget::opensAtNewest()
{
    MessageModel *model = m_view->model();
    QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() > 0, 10000);
    QVERIFY(model->rowCount() < kSeeded); // one page, not everything
    QCOMPARE(model->index(model->rowCount() - 1).data(MessageModel::TextRole).toString(),
        QStringLiteral("History message %1").arg(kSeeded));
    QTRY_VERIFY(m_view->listView()->verticalScrollBar()->maximum() > 0);
    QTRY_VERIFY(m_view->isAtBottom());
}

void TestChatViewWidget::scrollingUpLoadsOlderWithoutJumping()
{
    MessageModel *model = m_view->model();
    QScrollBar *bar = m_view->listView()->verticalScrollBar();
    const int before = model->rowCount();
    const QString oldestShown = model->index(0).data(MessageModel::TextRole).toString();
    bar->setValue(0);
    QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() > before, 10000);
    // The message that was at the top is still near the top of the viewport, not scrolled away.
    const int row = model->rowCount() - before;
    QCOMPARE(model->index(row).data(MessageModel::TextRole).toString(), oldestShown);
    QTRY_VERIFY(bar->value() > 0);
    const QRect rect = m_view->listView()->visualRect(model->index(row));
    QVERIFY2(
        rect.top() > -rect.height() * 2 && rect.top() < m_view->listView()->viewport()->height(),
        qPrintable(QStringLiteral("row at y=%1").arg(rect.top())));

    // Keep scrolling up until everything is there, exactly once.
    for (int i = 0; i < 10 && model->hasMoreHistory(); ++i) {
        const int count = model->rowCount();
        bar->setValue(0);
        QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() > count || !model->hasMoreHistory(), 10000);
    }
    QCOMPARE(model->rowCount(), kSeeded);
    QCOMPARE(model->index(0).data(MessageModel::TextRole).toString(),
        QStringLiteral("History message 1"));
}

void TestChatViewWidget::newMessageWhileScrolledUpShowsMarker()
{
    MessageModel *model = m_view->model();
    QScrollBar *bar = m_view->listView()->verticalScrollBar();
    bar->setValue(bar->maximum() / 2);
    QVERIFY(!m_view->isAtBottom());
    const int value = bar->value();
    const int count = model->rowCount();
    adminSends(QStringLiteral("Are you still there?"));
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), count + 1, 10000);
    QTRY_VERIFY(m_view->newMessagesButton()->isVisible());
    QVERIFY(m_view->newMessagesButton()->text().contains(QLatin1Char('1')));
    QCOMPARE(bar->value(), value); // not yanked to the bottom
    QTest::mouseClick(m_view->newMessagesButton(), Qt::LeftButton);
    QTRY_VERIFY(m_view->isAtBottom());
    QVERIFY(!m_view->newMessagesButton()->isVisible());
}

void TestChatViewWidget::newMessageAtBottomFollows()
{
    MessageModel *model = m_view->model();
    QTRY_VERIFY(m_view->isAtBottom());
    const int count = model->rowCount();
    adminSends(QStringLiteral("A longer answer that should scroll into view at once, "
                              "because the reader was already at the bottom."));
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), count + 1, 10000);
    QTRY_VERIFY(m_view->isAtBottom());
    const QRect last = m_view->listView()->visualRect(model->index(model->rowCount() - 1));
    QVERIFY(last.bottom() <= m_view->listView()->viewport()->height() + 1);
    QVERIFY(!m_view->newMessagesButton()->isVisible());
}

void TestChatViewWidget::refusedMessageShowsFailedAndDiscardRemovesIt()
{
    MessageModel *model = m_view->model();
    const int count = model->rowCount();
    // The composer never sends this much; the server refuses it (too_large).
    const QString clientId = m_app->session()->send(m_thread, QString(5000, QLatin1Char('x')));
    QVERIFY(!clientId.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(model->stateAt(model->rowCount() - 1), MessageModel::Failed, 10000);
    const QModelIndex failed = model->index(model->rowCount() - 1);
    QVERIFY(!failed.data(MessageModel::ErrorRole).toString().isEmpty());

    // Click "Discard", drawn under the bubble at its right edge.
    QListView *list = m_view->listView();
    list->scrollToBottom();
    QTRY_VERIFY(m_view->isAtBottom());
    const QRect rect = list->visualRect(failed);
    const int em = list->fontMetrics().height();
    const QPoint discard(rect.right() - em, rect.bottom() - int(em * 0.15) - em / 2);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, discard);
    QTRY_COMPARE(model->rowCount(), count);
}

void TestChatViewWidget::offlineBannerAndReconnectNow()
{
    OfflineBanner *banner = m_app->window()->banner();
    QVERIFY(!banner->isVisible());
    m_server->kill();
    QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(banner->text().contains(QStringLiteral("reconnecting in")), 15000);
    QVERIFY(m_server->restart());
    QTest::mouseClick(banner->reconnectButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!banner->isVisible(), 15000);

    // Nothing missed while away: a message sent meanwhile arrives by sync.
    m_adminClient = std::make_unique<TestClient>(m_server->url());
    QVERIFY(m_adminClient->open());
    m_adminClient->login(QStringLiteral("hello@designpi.com"), QStringLiteral("admin123"));
    const int count = m_view->model()->rowCount();
    adminSends(QStringLiteral("Back again"));
    QTRY_COMPARE_WITH_TIMEOUT(m_view->model()->rowCount(), count + 1, 10000);
}

QTEST_MAIN(TestChatViewWidget)
#include "tst_chatviewwidget.moc"
