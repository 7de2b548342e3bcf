// A server that answers with malformed frames, unknown types or replies that do not fit the
// request: the client core the app runs (Connection + ChatSession + Outbox on a SQLite file)
// must neither crash nor hang on it; it keeps or drops the connection with a logged reason,
// still processes the valid frames that follow, and still sends.

#include "chatsession.h"
#include "fakeserver.h"
#include "outbox.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace dpichat;
using namespace Qt::StringLiterals;

namespace {

/// One frame for the fake server to send; `@RE@` in it becomes the id of the held request,
/// `@WELCOME@` a proper `welcome` answering it.
struct Frame {
    QByteArray data;
    bool binary = false;
};

Frame text(const QByteArray &data)
{
    return { data, false };
}
Frame binary(const QByteArray &data)
{
    return { data, true };
}

/// A valid Message object (from the support team, in the customer's thread unless told).
QByteArray message(qint64 id, qint64 thread = FakeServer::kThreadId)
{
    return R"({"id":)" + QByteArray::number(id) + R"(,"thread":)" + QByteArray::number(thread)
        + R"(,"sender":1,"senderName":"Ada","clientId":"c-)" + QByteArray::number(id)
        + R"(","text":"hi","createdAt":"2026-01-01T12:00:00.000Z"})";
}

QByteArray push(const QByteArray &type, const QByteArray &fields)
{
    return R"({"type":")" + type + R"(",)" + fields + '}';
}

const QByteArray kMaxSafe = "9007199254740991"; // 2^53 - 1, the largest id the protocol allows
const QByteArray kLong(1 << 20, 'x'); // 1 MiB

/// The app's non-widget part, as main() wires it up.
struct App {
    explicit App(const QString &outboxPath)
        : outbox(outboxPath)
    {
        connection.setBackoff(50, 200);
        session = std::make_unique<ChatSession>(&connection, &outbox);
    }
    Connection connection;
    Outbox outbox;
    std::unique_ptr<ChatSession> session;
};

int stateOf(const MessageModel *model, const QString &clientId)
{
    for (int i = 0; i < model->rowCount(); ++i) {
        if (model->index(i).data(MessageModel::ClientIdRole).toString() == clientId)
            return model->index(i).data(MessageModel::StateRole).toInt();
    }
    return -1;
}

} // namespace

Q_DECLARE_METATYPE(Frame)

class TestHostileServer : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_apps = 0;

    std::unique_ptr<App> newApp()
    {
        return std::make_unique<App>(m_dir.filePath(u"app%1.sqlite"_s.arg(++m_apps)));
    }

    static void sendFrames(FakeServer &server, const QList<Frame> &frames)
    {
        for (Frame f : frames) {
            f.data.replace("@WELCOME@", server.welcome(server.heldId()));
            f.data.replace("@RE@", server.heldId());
            if (f.binary)
                server.sendBinary(f.data);
            else
                server.sendText(QString::fromUtf8(f.data));
        }
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void badFramesWhileLoggedIn_data();
    void badFramesWhileLoggedIn()
    {
        QFETCH(QList<Frame>, frames);
        QFETCH(QString, held);
        QFETCH(bool, drops);
        QFETCH(qint64, mustNotShow);

        FakeServer server;
        QVERIFY(server.listen());
        auto app = newApp();
        QSignalSpy caughtUp(app->session.get(), &ChatSession::caughtUp);
        app->connection.loginWithPassword(server.url(), u"cara@test.example"_s, u"secret"_s);
        QTRY_COMPARE(caughtUp.size(), 1);
        const qint64 thread = FakeServer::kThreadId;
        QCOMPARE(app->session->ownThreadId(), thread);
        app->session->openThread(thread);
        QTRY_VERIFY(!app->session->isLoadingOlder(thread));
        MessageModel *model = app->session->modelFor(thread);
        const QString token = app->connection.token();
        QSignalSpy states(&app->connection, &Connection::stateChanged);

        // A request whose reply the row supplies.
        QString heldClientId;
        const qint64 otherThread = thread + 1;
        server.holdRequests(held);
        const int before = server.requestCount(held);
        if (held == u"history")
            app->session->openThread(otherThread);
        else if (held == u"send")
            heldClientId = app->session->send(thread, u"answered badly"_s);
        else if (held == u"threads")
            app->connection.requestThreads();
        else if (held == u"ping")
            app->connection.sendPing();
        if (!held.isEmpty())
            QTRY_COMPARE(server.requestCount(held), before + 1);
        server.holdRequests(QString());

        sendFrames(server, frames);

        if (drops) {
            QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 2, 15'000); // it came back
            QTRY_VERIFY(app->connection.isOnline());
        }
        // Valid frames after the bad ones are processed: a push shows, a send goes out.
        const qint64 pushed = server.pushTeamMessage(u"valid after the bad ones"_s);
        QTRY_VERIFY(model->rowForId(pushed) >= 0);
        const QString after = app->session->send(thread, u"still works"_s);
        QTRY_COMPARE(stateOf(model, after), int(MessageModel::Sent));
        QCOMPARE(server.storedCount(after), 1);

        if (!drops) {
            QCOMPARE(server.connectionCount(), 1);
            QCOMPARE(states.size(), 0); // never went offline
        }
        // Nothing a bad frame said was taken for true.
        QCOMPARE(app->connection.user().id, FakeServer::kUserId);
        QCOMPARE(app->connection.token(), token);
        QCOMPARE(app->session->localUser().id, FakeServer::kUserId);
        QCOMPARE(app->session->ownThreadId(), thread);
        if (mustNotShow)
            QCOMPARE(model->rowForId(mustNotShow), -1);
        // A request answered badly does not wait forever.
        if (held == u"history")
            QTRY_VERIFY(!app->session->isLoadingOlder(otherThread));
        if (held == u"send") {
            QTRY_COMPARE_WITH_TIMEOUT(
                stateOf(model, heldClientId), int(MessageModel::Sent), 15'000);
            QCOMPARE(server.storedCount(heldClientId), 1);
        }
        QTRY_COMPARE(app->outbox.count(), 0);
    }

    void badLoginAnswers_data()
    {
        QTest::addColumn<QList<Frame>>("frames");
        QTest::addColumn<bool>("loggedIn");
        QTest::addColumn<Connection::LoginError>("error"); // when not logged in
        const auto other = Connection::LoginError::Other;
        QTest::newRow("error with an unknown code")
            << QList<Frame> { text(R"({"type":"error","re":@RE@,"code":"weird","message":"no"})") }
            << false << other;
        // A reply that cannot be read or does not fit fails the login at once, as an error would.
        QTest::newRow("welcome without its fields")
            << QList<Frame> { text(R"({"type":"welcome","re":@RE@})") } << false << other;
        QTest::newRow("welcome with a mistyped user") << QList<Frame> {
            text(R"({"type":"welcome","re":@RE@,"token":"t","user":{"id":"7"},)"
                 R"("limits":{"frameBytes":1,"textChars":1},"server":{"version":"x"}})")
        } << false << other;
        QTest::newRow("reply of another type")
            << QList<Frame> { text(R"({"type":"ok","re":@RE@})") } << false << other;
        QTest::newRow("garbage, then a proper welcome") << QList<Frame> { text("nonsense"),
            text("[1]"), binary(QByteArray("\x00\xff", 2)), text(R"({"type":"welcome"})"),
            text(R"({"type":"ok","re":424242})"), text("@WELCOME@") }
                                                        << true << other;
        // Nothing that answers the login: the client gives up after its answer timeout (15 s).
        QTest::newRow("garbage and no answer")
            << QList<Frame> { text("{"), text(R"({"type":"pong"})"), binary("{}") } << false
            << Connection::LoginError::Unreachable;
    }

    void badLoginAnswers()
    {
        QFETCH(QList<Frame>, frames);
        QFETCH(bool, loggedIn);
        QFETCH(Connection::LoginError, error);
        FakeServer server;
        QVERIFY(server.listen());
        auto app = newApp();
        QSignalSpy ok(&app->connection, &Connection::loggedIn);
        QSignalSpy failed(&app->connection, &Connection::loginFailed);
        server.holdRequests(u"login"_s);
        app->connection.loginWithPassword(server.url(), u"cara@test.example"_s, u"secret"_s);
        QTRY_COMPARE(server.requestCount(u"login"_s), 1);
        sendFrames(server, frames);
        QTRY_COMPARE_WITH_TIMEOUT(ok.size() + failed.size(), 1, 30'000);
        QCOMPARE(ok.size(), loggedIn ? 1 : 0);
        if (!loggedIn) {
            QCOMPARE(failed.at(0).at(0).value<Connection::LoginError>(), error);
            QCOMPARE(app->connection.state(), Connection::State::Offline);
            QCOMPARE(app->connection.secondsUntilReconnect(), -1); // no retry of a failed login
            QVERIFY(!failed.at(0).at(1).toString().isEmpty()); // a sentence for the user
            // The user tries again, and this time the server answers properly.
            server.holdRequests(QString());
            app->connection.loginWithPassword(server.url(), u"cara@test.example"_s, u"secret"_s);
            QTRY_COMPARE(ok.size(), 1);
        }
        QCOMPARE(app->connection.user().id, FakeServer::kUserId);
        QTRY_VERIFY(app->session->ownThreadId() > 0);
    }

    void badWelcomeOnReconnect()
    {
        // Back after a dropped link, the token login gets an answer that cannot be read: the
        // client does not give up on the user's session, it drops the link and tries again.
        FakeServer server;
        QVERIFY(server.listen());
        auto app = newApp();
        QSignalSpy caughtUp(app->session.get(), &ChatSession::caughtUp);
        QSignalSpy failed(&app->connection, &Connection::loginFailed);
        QSignalSpy expired(&app->connection, &Connection::sessionExpired);
        app->connection.loginWithPassword(server.url(), u"cara@test.example"_s, u"secret"_s);
        QTRY_COMPARE(caughtUp.size(), 1);
        server.holdRequests(u"login"_s);
        server.dropClient();
        QTRY_COMPARE_WITH_TIMEOUT(server.requestCount(u"login"_s), 2, 15'000);
        sendFrames(server, { text(R"({"type":"welcome","re":@RE@,"token":5})") });
        server.holdRequests(QString());
        QTRY_COMPARE_WITH_TIMEOUT(caughtUp.size(), 2, 15'000);
        QCOMPARE(server.connectionCount(), 3);
        QCOMPARE(failed.size(), 0);
        QCOMPARE(expired.size(), 0);
        QCOMPARE(app->connection.user().id, FakeServer::kUserId);
    }

    void syncThatNeverEnds()
    {
        // A catch-up whose pages keep saying "more" without anything new must end.
        FakeServer server;
        QVERIFY(server.listen());
        auto app = newApp();
        QSignalSpy caughtUp(app->session.get(), &ChatSession::caughtUp);
        app->connection.loginWithPassword(server.url(), u"cara@test.example"_s, u"secret"_s);
        QTRY_COMPARE(caughtUp.size(), 1);
        const qint64 pushed = server.pushTeamMessage(u"seen before the drop"_s);
        QTRY_VERIFY(app->session->modelFor(FakeServer::kThreadId)->rowForId(pushed) >= 0);
        server.setEndlessSync(true);
        server.dropClient();
        QTRY_COMPARE_WITH_TIMEOUT(caughtUp.size(), 2, 15'000);
        // Requests are answered in order: once the ping is in, every sync before it is too.
        QVERIFY(app->connection.sendPing() > 0);
        QTRY_COMPARE(server.requestCount(u"ping"_s), 1);
        QVERIFY2(server.requestCount(u"sync"_s) <= 2,
            qPrintable(QString::number(server.requestCount(u"sync"_s))));
    }
};

void TestHostileServer::badFramesWhileLoggedIn_data()
{
    QTest::addColumn<QList<Frame>>("frames");
    QTest::addColumn<QString>("held"); // the request the frames answer ("" for none)
    QTest::addColumn<bool>("drops"); // the client drops the connection (and returns)
    QTest::addColumn<qint64>("mustNotShow"); // a message id that must not reach the model
    const auto row = [](const char *name, const QList<Frame> &frames, qint64 mustNotShow = 0,
                         const QString &held = QString(), bool drops = false) {
        QTest::newRow(name) << frames << held << drops << mustNotShow;
    };
    const QByteArray m = message(900001);

    row("invalid JSON",
        { text("{\"type\":\"message\","), text("not json"), text(""),
            text(push("message", "\"message\":" + m).chopped(2)) },
        900001);
    row("binary frames",
        { binary(QByteArray("\x00\x01\xff", 3)), binary(push("message", "\"message\":" + m)) },
        900001);
    row("JSON that is not an object",
        { text("[]"), text("[" + push("message", "\"message\":" + m) + "]"), text("42"),
            text("\"message\""), text("null"), text("true") },
        900001);
    row("deeply nested JSON",
        { text(QByteArray(100'000, '[') + QByteArray(100'000, ']')),
            text(QByteArray(50'000, '{').replace("{", "{\"a\":")) });
    row("missing or odd type",
        { text("{}"), text(R"({"type":null})"), text(R"({"type":42})"),
            text(R"({"type":["message"]})"), text(R"({"type":""})") });
    row("unknown types",
        { text(R"({"type":"nonsense"})"), text(push("MESSAGE", "\"message\":" + m)),
            text(R"({"type":"login","id":1,"protocol":1,"token":"t"})"),
            text(R"({"type":"send","thread":70,"clientId":"x","text":"y"})") },
        900001);
    row("message: missing or mistyped fields",
        { text(R"({"type":"message"})"), text(R"({"type":"message","message":5})"),
            text(R"({"type":"message","message":{}})"),
            text(push("message", "\"message\":" + QByteArray(m).replace("900001", "\"900001\""))),
            text(push("message", "\"message\":" + QByteArray(m).replace("900001,", "900001.5,"))),
            text(push("message",
                "\"message\":" + QByteArray(m).replace("\"thread\":70", "\"thread\":\"70\""))),
            text(push("message", "\"message\":" + QByteArray(m).replace("\"hi\"", "5"))),
            text(push("message",
                "\"message\":" + QByteArray(m).replace("2026-01-01T12:00:00.000Z", "yesterday"))),
            text(push("message",
                "\"message\":" + QByteArray(m).replace("\"sender\":1", "\"sender\":null"))),
            text(push("message",
                "\"message\":" + QByteArray(m).replace("\"clientId\":\"c-900001\",", ""))) },
        900001);
    row("message: negative and zero ids",
        { text(push("message", "\"message\":" + message(-5))),
            text(push("message", "\"message\":" + message(0))),
            text(push("message", "\"message\":" + message(900002, -70))),
            text(push("message",
                "\"message\":" + QByteArray(m).replace("\"sender\":1", "\"sender\":-1"))) });
    row("message: huge ids",
        { text(push(
              "message", "\"message\":" + QByteArray(m).replace("900001", "9007199254740993"))),
            text(push("message", "\"message\":" + QByteArray(m).replace("900001,", "1e300,"))),
            text(push("message", "\"message\":" + message(900003, 9007199254740991))),
            text(push("message",
                "\"message\":"
                    + QByteArray(m).replace("\"sender\":1", "\"sender\":" + kMaxSafe))) });
    row("message: very long strings",
        { text(
              push("message", "\"message\":" + QByteArray(m).replace("\"hi\"", '"' + kLong + '"'))),
            text(push(
                "message", "\"message\":" + message(900004).replace("\"Ada\"", '"' + kLong + '"'))),
            text(push("message", "\"message\":" + message(900005).replace("c-900005", kLong))) });
    row("replies to no request",
        { text(push("sent", "\"message\":" + m)),
            text(push("sent", "\"re\":999999,\"message\":" + m)),
            text(push("sent", "\"re\":\"abc\",\"message\":" + m)),
            text(push("sent", "\"re\":1.5,\"message\":" + m)),
            text(push("sent", "\"re\":-1,\"message\":" + m)),
            text(push("sent", "\"re\":1e300,\"message\":" + m)),
            text(push("sent", "\"re\":{},\"message\":" + m)),
            text(push("sent", "\"re\":[1],\"message\":" + m)),
            text(push("history", "\"thread\":70,\"messages\":[" + m + "],\"hasMore\":false")),
            text(push("sync", "\"messages\":[" + m + "],\"hasMore\":true")),
            text(R"({"type":"threads","threads":[]})"), text(R"({"type":"ok","re":0})") },
        900001);
    row("replies with missing or mistyped fields",
        { text(R"({"type":"history","re":999,"thread":"x"})"),
            text(R"({"type":"threads","re":999,"threads":{}})"),
            text(R"({"type":"threads","re":999,"threads":[1,2]})"),
            text(R"({"type":"sync","re":999,"messages":null,"hasMore":"yes"})") });
    row("read: missing, mistyped and odd fields",
        { text(R"({"type":"read"})"), text(R"({"type":"read","thread":70,"user":1,"upTo":"all"})"),
            text(R"({"type":"read","thread":70,"user":1,"upTo":-5})"),
            text(R"({"type":"read","thread":70,"user":1,"upTo":)" + kMaxSafe + "}"),
            text(R"({"type":"read","thread":-1,"user":-1,"upTo":0})") });
    QList<Frame> typing { text(R"({"type":"typing"})"),
        text(R"({"type":"typing","thread":70,"user":1,"name":5,"active":true})"),
        text(R"({"type":"typing","thread":70,"user":1,"name":"Ada","active":"yes"})"),
        text(R"({"type":"typing","thread":70,"user":1,"name":")" + kLong + R"(","active":true})"),
        text(R"({"type":"typing","thread":-70,"user":-1,"name":"","active":true})") };
    for (int user = 2; user < 2002; ++user) // a flood of typists
        typing << text(R"({"type":"typing","thread":70,"name":"n","active":true,"user":)"
            + QByteArray::number(user) + "}");
    row("typing: missing, mistyped and odd fields, a flood", typing);
    row("presence: missing, mistyped and odd fields",
        { text(R"({"type":"presence","user":1,"online":"yes"})"),
            text(R"({"type":"presence","user":1,"online":true,"lastSeen":"garbage"})"),
            text(R"({"type":"presence","user":1,"online":true,"lastSeen":5})"),
            text(R"({"type":"presence","user":-1,"online":true,"lastSeen":null})") });
    row("thread: missing, mistyped and odd fields",
        { text(R"({"type":"thread","thread":{}})"), text(R"({"type":"thread","thread":[]})"),
            text(
                R"({"type":"thread","thread":{"id":71,"unread":0,"readUpTo":{"owner":0,"team":0}}})") });
    row("error: missing, mistyped and odd fields",
        { text(R"({"type":"error"})"), text(R"({"type":"error","code":42})"),
            text(R"({"type":"error","code":"weird"})"),
            text(R"({"type":"error","code":"internal","message":5})"),
            text(R"({"type":"error","re":999999,"code":"forbidden","message":"x"})"),
            text(R"({"type":"error","code":"internal","message":")" + kLong + "\"}") });
    row("welcome outside a login",
        { text(
            R"({"type":"welcome","token":"evil","user":{"id":8,"name":"Eve","email":"e@x","role":"admin",)"
            R"("online":true,"lastSeen":null},"limits":{"frameBytes":1,"textChars":1},"server":{"version":"x"}})") });
    // Larger than the client's 16 MiB limit: it closes (1009), says why in its log, and comes back.
    row("frame larger than the client's limit",
        { text(QByteArray(16 * 1024 * 1024 + 16, ' ') + "{}") }, 0, QString(), true);

    // Replies to a held request that do not fit it.
    const QByteArray intruder = message(900006);
    row("history reply for another thread",
        { text(R"({"type":"history","re":@RE@,"thread":70,"messages":[],"hasMore":false})") }, 0,
        u"history"_s);
    row("malformed history reply",
        { text(R"({"type":"history","re":@RE@,"thread":71,"messages":[1],"hasMore":false})") }, 0,
        u"history"_s);
    row("history answered by a sent", { text(push("sent", "\"re\":@RE@,\"message\":" + intruder)) },
        900006, u"history"_s);
    row("send answered by a malformed sent",
        { text(R"({"type":"sent","re":@RE@,"message":{"id":"x"}})") }, 0, u"send"_s);
    row("send answered with another message",
        { text(push("sent", "\"re\":@RE@,\"message\":" + intruder)) }, 900006, u"send"_s);
    row("send answered by a welcome",
        { text(
            R"({"type":"welcome","re":@RE@,"token":"evil","user":{"id":8,"name":"Eve","email":"e@x",)"
            R"("role":"admin","online":true,"lastSeen":null},"limits":{"frameBytes":1,"textChars":1},)"
            R"("server":{"version":"x"}})") },
        0, u"send"_s);
    row("threads answered by garbage",
        { text(R"({"type":"threads","re":@RE@,"threads":[{"id":"x"}]})") }, 0, u"threads"_s);
    QByteArray many = R"({"type":"threads","re":@RE@,"threads":[)";
    for (int t = 1; t <= 1100; ++t) {
        many += QByteArray(t > 1 ? "," : "") + R"({"id":)" + QByteArray::number(t)
            + R"(,"owner":{"id":)" + QByteArray::number(t)
            + R"(,"name":"n","email":"e","role":"customer","online":false,"lastSeen":null},"lastMessage":null,)"
            + R"("unread":)" + kMaxSafe + R"(,"readUpTo":{"owner":0,"team":0}})";
    }
    row("threads with unread counts beyond any sum", { text(many + "]}") }, 0, u"threads"_s);
    row("ping answered by an error", { text(R"({"type":"error","re":@RE@,"code":"internal"})") }, 0,
        u"ping"_s);
}

QTEST_GUILESS_MAIN(TestHostileServer)
#include "tst_hostileserver.moc"
