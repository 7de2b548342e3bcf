// ChatSession, Connection and Outbox against a real dpichat-server on port 0 (no mocks).

#include "chatsession.h"
#include "outbox.h"
#include "serverprocess.h"
#include "tcpproxy.h"
#include "testclient.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace dpichat;

namespace {

const QString kAdmin = QStringLiteral("admin@test.example");
const QString kAnn = QStringLiteral("ann@test.example");
const QString kBob = QStringLiteral("bob@test.example");
const QString kPassword = QStringLiteral("correct horse");

/// One running copy of the app's non-widget part: what main() would wire up.
struct App
{
    explicit App(const QString &outboxPath) : outbox(outboxPath)
    {
        connection.setBackoff(100, 400);
        session = std::make_unique<ChatSession>(&connection, &outbox);
    }
    Connection connection;
    Outbox outbox;
    std::unique_ptr<ChatSession> session;
};

int countClientId(const MessageModel *model, const QString &clientId)
{
    int n = 0;
    for (int i = 0; i < model->rowCount(); ++i) {
        if (model->index(i).data(MessageModel::ClientIdRole).toString() == clientId)
            ++n;
    }
    return n;
}

int stateOf(const MessageModel *model, const QString &clientId)
{
    for (int i = 0; i < model->rowCount(); ++i) {
        if (model->index(i).data(MessageModel::ClientIdRole).toString() == clientId)
            return model->index(i).data(MessageModel::StateRole).toInt();
    }
    return -1;
}

} // namespace

class TestChatSession : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
    int m_apps = 0;

    QString newOutboxPath() { return m_dir.filePath(QStringLiteral("app%1.sqlite").arg(++m_apps)); }

    std::unique_ptr<App> loggedIn(const QString &email, const QString &path = QString(),
                                  const QUrl &url = QUrl())
    {
        auto app = std::make_unique<App>(path.isEmpty() ? newOutboxPath() : path);
        QSignalSpy caughtUp(app->session.get(), &ChatSession::caughtUp);
        app->connection.loginWithPassword(url.isEmpty() ? m_server->url() : url, email, kPassword);
        if (!caughtUp.wait(10'000) && caughtUp.isEmpty())
            return nullptr;
        return app;
    }

    /// How often the server stored `clientId` in `thread`, asked by a separate admin client.
    int storedCount(qint64 thread, const QString &clientId)
    {
        TestClient admin(m_server->url());
        if (!admin.open() || admin.login(kAdmin, kPassword).value(u"type").toString() != u"welcome")
            return -1;
        int n = 0;
        QJsonValue before = QJsonValue::Null;
        for (;;) {
            const QJsonObject page = admin.request({{QStringLiteral("type"), QStringLiteral("history")},
                                                    {QStringLiteral("thread"), thread},
                                                    {QStringLiteral("before"), before},
                                                    {QStringLiteral("limit"), 200}});
            const QJsonArray messages = page.value(u"messages").toArray();
            for (const QJsonValue &m : messages) {
                if (m.toObject().value(u"clientId").toString() == clientId)
                    ++n;
            }
            if (!page.value(u"hasMore").toBool() || messages.isEmpty())
                return n;
            before = messages.first().toObject().value(u"id");
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(!ServerProcess::binary().isEmpty(), "DPICHAT_SERVER_BIN is not set");
        m_server = std::make_unique<ServerProcess>(m_dir.filePath(QStringLiteral("server.sqlite")));
        QVERIFY(m_server->addUser(kAdmin, QStringLiteral("Ada Admin"), QStringLiteral("admin"), kPassword));
        QVERIFY(m_server->addUser(kAnn, QStringLiteral("Ann"), QStringLiteral("customer"), kPassword));
        QVERIFY(m_server->addUser(kBob, QStringLiteral("Bob"), QStringLiteral("member"), kPassword));
        QVERIFY(m_server->start({QStringLiteral("--rate-limit"), QStringLiteral("0")}));
    }

    void loginErrorsAreSentences()
    {
        App app(newOutboxPath());
        QSignalSpy failed(&app.connection, &Connection::loginFailed);
        app.connection.loginWithPassword(m_server->url(), kAnn, QStringLiteral("wrong"));
        QVERIFY(failed.wait(10'000));
        QCOMPARE(failed.at(0).at(0).value<Connection::LoginError>(), Connection::LoginError::AuthFailed);
        QCOMPARE(failed.at(0).at(1).toString(), u"Wrong email or password.");
        QCOMPARE(app.connection.state(), Connection::State::Offline);

        // A port nobody listens on: the sentence names the server.
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const QUrl nowhere(QStringLiteral("ws://127.0.0.1:%1/").arg(closed.serverPort()));
        closed.close();
        app.connection.loginWithPassword(nowhere, kAnn, kPassword);
        QVERIFY(failed.wait(10'000));
        QCOMPARE(failed.at(1).at(0).value<Connection::LoginError>(), Connection::LoginError::Unreachable);
        QVERIFY2(failed.at(1).at(1).toString().startsWith(u"Cannot reach the server at ws://127.0.0.1:"),
                 qPrintable(failed.at(1).at(1).toString()));
        QTest::qWait(300);
        QCOMPARE(app.connection.secondsUntilReconnect(), -1); // no retry of a failed login
    }

    void sessionMadeInTheLoggedInSlot()
    {
        // What the UI does: the login dialog owns the Connection; the window and its session
        // are made when `welcome` arrives. A read marked while offline goes out on return.
        Connection connection;
        Outbox outbox(newOutboxPath());
        std::unique_ptr<ChatSession> session;
        connect(&connection, &Connection::loggedIn, this,
                [&] { session = std::make_unique<ChatSession>(&connection, &outbox); });
        QSignalSpy threadsReplies(&connection, &Connection::threadsReceived);
        connection.loginWithPassword(m_server->url(), kAnn, kPassword);
        QTRY_VERIFY(session && session->ownThreadId() > 0);
        QTest::qWait(200);
        QCOMPARE(threadsReplies.size(), 1); // the welcome was handled once
        QCOMPARE(session->localUser().name, u"Ann");
        QVERIFY(!session->isAdmin());
    }

    void optimisticSendThenSent()
    {
        auto ann = loggedIn(kAnn);
        QVERIFY(ann);
        const qint64 thread = ann->session->ownThreadId();
        QVERIFY(thread > 0);
        ann->session->openThread(thread);
        MessageModel *model = ann->session->modelFor(thread);

        const QString clientId = ann->session->send(thread, QStringLiteral("  Hello, support!  "));
        QVERIFY(!clientId.isEmpty());
        // At once, before any answer: a pending row, and the message on disk.
        const int row = model->rowForClientId(clientId);
        QVERIFY(row >= 0);
        QCOMPARE(model->index(row).data(MessageModel::StateRole).toInt(), int(MessageModel::Pending));
        QCOMPARE(model->index(row).data(MessageModel::TextRole).toString(), u"Hello, support!");
        QCOMPARE(model->index(row).data(MessageModel::IsOwnRole).toBool(), true);
        QCOMPARE(ann->outbox.count(), 1);

        QTRY_COMPARE(stateOf(model, clientId), int(MessageModel::Sent));
        QCOMPARE(countClientId(model, clientId), 1);
        QVERIFY(model->index(model->rowForId(model->highestId())).data(MessageModel::IdRole).toLongLong() > 0);
        QCOMPARE(ann->outbox.count(), 0);
        QCOMPARE(storedCount(thread, clientId), 1);
        QVERIFY(ann->session->send(thread, QStringLiteral(" \n ")).isEmpty()); // nothing to send
    }

    void tooLongTextFailsAndCanBeDiscarded()
    {
        auto ann = loggedIn(kAnn);
        QVERIFY(ann);
        const qint64 thread = ann->session->ownThreadId();
        MessageModel *model = ann->session->modelFor(thread);
        QSignalSpy failed(ann->session.get(), &ChatSession::sendFailed);
        // The UI stops this before sending; the server must refuse it anyway.
        const QString clientId = ann->session->send(thread, QString(4001, u'x'));
        QTRY_COMPARE(stateOf(model, clientId), int(MessageModel::Failed));
        const int row = model->rowForClientId(clientId);
        QCOMPARE(model->index(row).data(MessageModel::ErrorRole).toString(), u"The message is too long.");
        QCOMPARE(failed.size(), 1);
        // It stays in the outbox, marked failed, until Retry or Discard.
        const auto entry = ann->outbox.entry(clientId);
        QVERIFY(entry && entry->failed);
        QVERIFY(ann->outbox.pendingEntries().isEmpty());

        QVERIFY(ann->session->discard(clientId));
        QCOMPARE(countClientId(model, clientId), 0);
        QCOMPARE(ann->outbox.count(), 0);
        QCOMPARE(storedCount(thread, clientId), 0);
    }

    void forbiddenThreadFails()
    {
        auto ann = loggedIn(kAnn);
        auto bob = loggedIn(kBob);
        QVERIFY(ann && bob);
        const qint64 bobsThread = bob->session->ownThreadId();
        const QString clientId = ann->session->send(bobsThread, QStringLiteral("peek"));
        MessageModel *model = ann->session->modelFor(bobsThread);
        QTRY_COMPARE(stateOf(model, clientId), int(MessageModel::Failed));
        QCOMPARE(model->index(model->rowForClientId(clientId)).data(MessageModel::ErrorRole).toString(),
                 u"You cannot write in this conversation.");
        QCOMPARE(storedCount(bobsThread, clientId), 0);
    }

    void retryOfFixedEntrySucceeds()
    {
        // An admin writes to a thread that does not exist yet (not_found); the user is then
        // created, and Retry sends the same message, with the same clientId, successfully.
        auto admin = loggedIn(kAdmin);
        QVERIFY(admin);
        ThreadModel *threads = admin->session->threadModel();
        qint64 maxThread = 0;
        for (int i = 0; i < threads->rowCount(); ++i)
            maxThread = std::max(maxThread, threads->threadAt(i).id);
        const qint64 future = maxThread + 1;
        const QString clientId = admin->session->send(future, QStringLiteral("Welcome aboard"));
        MessageModel *model = admin->session->modelFor(future);
        QTRY_COMPARE(stateOf(model, clientId), int(MessageModel::Failed));
        QVERIFY(!admin->session->retry(QStringLiteral("not-a-client-id")));

        const QString email = QStringLiteral("cleo%1@test.example").arg(future);
        QVERIFY(m_server->addUser(email, QStringLiteral("Cleo"), QStringLiteral("customer"), kPassword));
        QTRY_VERIFY_WITH_TIMEOUT(threads->rowForThread(future) >= 0, 10'000); // `thread` push
        QVERIFY(admin->session->retry(clientId));
        QCOMPARE(stateOf(model, clientId), int(MessageModel::Pending));
        QTRY_COMPARE(stateOf(model, clientId), int(MessageModel::Sent));
        QCOMPARE(admin->outbox.count(), 0);
        QCOMPARE(storedCount(future, clientId), 1);
        // The new thread's preview shows it, and it is not unread for its sender.
        const int row = threads->rowForThread(future);
        QCOMPARE(threads->index(row).data(ThreadModel::LastMessageTextRole).toString(), u"Welcome aboard");
        QCOMPARE(threads->index(row).data(ThreadModel::UnreadRole).toInt(), 0);
    }

    void pushBeforeSentDoesNotDuplicate()
    {
        // A slow uplink: Ann's send waits in the relay while her other device sends the same
        // clientId; the push of that copy reaches her first, the `sent` reply afterwards.
        TcpProxy proxy(m_server->port());
        QVERIFY(proxy.listen());
        auto ann = loggedIn(kAnn, QString(), proxy.url());
        QVERIFY(ann);
        const qint64 thread = ann->session->ownThreadId();
        ann->session->openThread(thread);
        MessageModel *model = ann->session->modelFor(thread);
        QTRY_VERIFY(!ann->session->isLoadingOlder(thread));

        proxy.holdUpstream(true);
        const QString clientId = ann->session->send(thread, QStringLiteral("twice?"));
        TestClient otherDevice(m_server->url());
        QVERIFY(otherDevice.open());
        QCOMPARE(otherDevice.login(kAnn, kPassword).value(u"type").toString(), u"welcome");
        QSignalSpy pushes(&ann->connection, &Connection::messageReceived);
        QSignalSpy sent(&ann->connection, &Connection::messageSent);
        const QJsonObject reply = otherDevice.request({{QStringLiteral("type"), QStringLiteral("send")},
                                                       {QStringLiteral("thread"), thread},
                                                       {QStringLiteral("clientId"), clientId},
                                                       {QStringLiteral("text"), QStringLiteral("twice?")}});
        QCOMPARE(reply.value(u"type").toString(), u"sent");
        QTRY_COMPARE(pushes.size(), 1);
        QCOMPARE(sent.size(), 0);
        QCOMPARE(countClientId(model, clientId), 1);
        QCOMPARE(stateOf(model, clientId), int(MessageModel::Sent)); // the push stored it

        proxy.holdUpstream(false);
        QTRY_COMPARE(sent.size(), 1);
        QCOMPARE(countClientId(model, clientId), 1);
        QCOMPARE(ann->outbox.count(), 0);
        QCOMPARE(storedCount(thread, clientId), 1);
    }

    void queuedMessagesSurviveServerKill()
    {
        auto ann = loggedIn(kAnn);
        auto admin = loggedIn(kAdmin);
        QVERIFY(ann && admin);
        const qint64 thread = ann->session->ownThreadId();
        ann->session->openThread(thread);
        admin->session->openThread(thread);
        MessageModel *annModel = ann->session->modelFor(thread);
        MessageModel *adminModel = admin->session->modelFor(thread);
        QTRY_VERIFY(!ann->session->isLoadingOlder(thread) && !admin->session->isLoadingOlder(thread));

        QStringList ids;
        ids << ann->session->send(thread, QStringLiteral("in flight 1"));
        ids << ann->session->send(thread, QStringLiteral("in flight 2"));
        m_server->kill(); // SIGKILL: whatever was not committed is gone, replies are lost
        QTRY_COMPARE(ann->connection.state(), Connection::State::Offline);
        QTRY_COMPARE(admin->connection.state(), Connection::State::Offline);
        for (int i = 1; i <= 3; ++i)
            ids << ann->session->send(thread, QStringLiteral("queued %1").arg(i));
        QCOMPARE(ann->outbox.pendingEntries().size() >= 3, true);
        QVERIFY(ann->connection.secondsUntilReconnect() >= 0);

        QVERIFY(m_server->restart());
        QTRY_COMPARE_WITH_TIMEOUT(ann->connection.state(), Connection::State::Online, 15'000);
        for (const QString &id : std::as_const(ids))
            QTRY_COMPARE_WITH_TIMEOUT(stateOf(annModel, id), int(MessageModel::Sent), 10'000);
        QTRY_COMPARE(ann->outbox.count(), 0);
        // The admin, back too, caught up through sync: each message once, in order.
        QTRY_COMPARE_WITH_TIMEOUT(admin->connection.state(), Connection::State::Online, 15'000);
        for (const QString &id : std::as_const(ids)) {
            QCOMPARE(storedCount(thread, id), 1);
            QCOMPARE(countClientId(annModel, id), 1);
            QTRY_COMPARE(countClientId(adminModel, id), 1);
        }
        QCOMPARE(annModel->pendingCount(), 0);
        QCOMPARE(annModel->rowCount(), adminModel->rowCount());
    }

    void outboxSurvivesAppRestart()
    {
        const QString path = newOutboxPath();
        QString clientId;
        qint64 thread = 0;
        {
            auto ann = loggedIn(kAnn, path);
            QVERIFY(ann);
            thread = ann->session->ownThreadId();
            ann->connection.disconnectFromServer(); // the app is offline...
            clientId = ann->session->send(thread, QStringLiteral("written offline"));
            QCOMPARE(ann->outbox.count(), 1);
        } // ...and quits (or crashes) before it could send
        QCOMPARE(storedCount(thread, clientId), 0);

        auto again = loggedIn(kAnn, path);
        QVERIFY(again);
        MessageModel *model = again->session->modelFor(thread);
        QTRY_COMPARE(stateOf(model, clientId), int(MessageModel::Sent));
        QCOMPARE(countClientId(model, clientId), 1);
        QCOMPARE(again->outbox.count(), 0);
        QCOMPARE(storedCount(thread, clientId), 1);

        // The restored row and the history page meet without a duplicate.
        again->session->openThread(thread);
        QTRY_VERIFY(!again->session->isLoadingOlder(thread));
        QCOMPARE(countClientId(model, clientId), 1);
    }

    void readReceiptsShowSeen()
    {
        auto ann = loggedIn(kAnn);
        auto admin = loggedIn(kAdmin);
        QVERIFY(ann && admin);
        const qint64 thread = ann->session->ownThreadId();
        ann->session->openThread(thread);
        MessageModel *annModel = ann->session->modelFor(thread);
        QSignalSpy incoming(admin->session.get(), &ChatSession::incomingMessage);
        const QString clientId = ann->session->send(thread, QStringLiteral("did you see this?"));
        QTRY_COMPARE(stateOf(annModel, clientId), int(MessageModel::Sent));
        QTRY_COMPARE(incoming.size(), 1);
        ThreadModel *threads = admin->session->threadModel();
        const int row = threads->rowForThread(thread);
        QCOMPARE(row, 0); // most recent activity first
        QVERIFY(threads->index(row).data(ThreadModel::UnreadRole).toInt() >= 1);
        const int seenRow = annModel->rowForId(annModel->highestId());
        QCOMPARE(annModel->index(seenRow).data(MessageModel::SeenRole).toBool(), false);

        admin->session->openThread(thread);
        QTRY_VERIFY(admin->session->modelFor(thread)->highestId() >= annModel->highestId());
        admin->session->markRead(thread);
        QCOMPARE(threads->index(threads->rowForThread(thread)).data(ThreadModel::UnreadRole).toInt(), 0);
        QTRY_COMPARE(annModel->index(seenRow).data(MessageModel::SeenRole).toBool(), true);
    }

    void typingIsThrottledAndShown()
    {
        auto ann = loggedIn(kAnn);
        auto admin = loggedIn(kAdmin);
        QVERIFY(ann && admin);
        const qint64 thread = ann->session->ownThreadId();
        QSignalSpy typing(&admin->connection, &Connection::typingReceived);
        for (int i = 0; i < 10; ++i) {
            ann->session->setTyping(thread, true);
            QTest::qWait(50);
        }
        QTRY_VERIFY(!admin->session->typingUsers(thread).isEmpty());
        QCOMPARE(admin->session->typingUsers(thread), QStringList{QStringLiteral("Ann")});
        QTest::qWait(200);
        QCOMPARE(typing.size(), 1); // ten keystrokes in half a second: one frame
        ann->session->setTyping(thread, false);
        QTRY_VERIFY(admin->session->typingUsers(thread).isEmpty());
    }

    void deadLinkIsNoticedByPing()
    {
        // The server stops answering without closing anything (a dead Wi-Fi, a suspended
        // laptop): the keep-alive notices, and the queued message goes out once it is back.
        TcpProxy proxy(m_server->port());
        QVERIFY(proxy.listen());
        auto ann = loggedIn(kAnn, QString(), proxy.url());
        QVERIFY(ann);
        ann->connection.setPingInterval(200, 300);
        const qint64 thread = ann->session->ownThreadId();
        MessageModel *model = ann->session->modelFor(thread);
        QSignalSpy states(&ann->connection, &Connection::stateChanged);
        proxy.holdUpstream(true);
        const QString clientId = ann->session->send(thread, QStringLiteral("through the fog"));
        QTRY_VERIFY_WITH_TIMEOUT(states.contains(QVariantList{QVariant::fromValue(Connection::State::Offline)}),
                                 5'000);
        QCOMPARE(stateOf(model, clientId), int(MessageModel::Pending));
        proxy.holdUpstream(false);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(model, clientId), int(MessageModel::Sent), 10'000);
        QCOMPARE(storedCount(thread, clientId), 1);
    }

    void reconnectNowSkipsTheWait()
    {
        TcpProxy proxy(m_server->port());
        QVERIFY(proxy.listen());
        auto ann = loggedIn(kAnn, QString(), proxy.url());
        QVERIFY(ann);
        ann->connection.setBackoff(20'000, 30'000);
        QSignalSpy countdown(&ann->connection, &Connection::reconnectCountdown);
        proxy.dropAll();
        QTRY_COMPARE(ann->connection.state(), Connection::State::Offline);
        const int seconds = ann->connection.secondsUntilReconnect();
        QVERIFY2(seconds >= 10 && seconds <= 20, qPrintable(QString::number(seconds)));
        QVERIFY(!countdown.isEmpty());
        QSignalSpy caughtUp(ann->session.get(), &ChatSession::caughtUp);
        ann->connection.reconnectNow();
        QTRY_COMPARE_WITH_TIMEOUT(ann->connection.state(), Connection::State::Online, 3'000);
        QVERIFY(caughtUp.wait(5'000) || !caughtUp.isEmpty()); // sync, then threads
        QCOMPARE(ann->connection.secondsUntilReconnect(), -1);
    }

    void logoutForgetsToken()
    {
        auto ann = loggedIn(kAnn);
        QVERIFY(ann);
        const QString token = ann->connection.token();
        QVERIFY(!token.isEmpty());
        QSignalSpy out(&ann->connection, &Connection::loggedOut);
        ann->connection.logout();
        QCOMPARE(out.size(), 1);
        QVERIFY(ann->connection.token().isEmpty());
        QTRY_COMPARE(ann->connection.state(), Connection::State::Offline);
        // The token is revoked on the server.
        App later(newOutboxPath());
        QSignalSpy failed(&later.connection, &Connection::loginFailed);
        later.connection.loginWithToken(m_server->url(), token);
        QVERIFY(failed.wait(10'000));
        QCOMPARE(failed.at(0).at(0).value<Connection::LoginError>(), Connection::LoginError::AuthFailed);
    }
};

QTEST_GUILESS_MAIN(TestChatSession)
#include "tst_chatsession.moc"
