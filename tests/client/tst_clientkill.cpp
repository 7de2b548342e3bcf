// The client killed with SIGKILL while messages wait in its outbox: after a restart with the
// same outbox file it sends each of them, and the server stores each exactly once, in the
// order they were queued. Real parts only: a dpichat-server process on port 0, the client
// core in its own process (dpichat-outboxdriver) with a SQLite outbox in a temporary folder,
// and a relay (FrameGate) that decides how many of its frames reach the server.

#include "framegate.h"
#include "serverprocess.h"
#include "testclient.h"

#include <QJsonArray>
#include <QMap>
#include <QProcess>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace Qt::StringLiterals;

namespace {

const QString kAdmin = QStringLiteral("admin@test.example");
const QString kPassword = QStringLiteral("correct horse");
constexpr int kQueued = 200;
// Generous (a passing run takes a few seconds), yet a failing wait, which QTRY repeats twice
// over to report, stays within QTest's 300 s per test function.
constexpr int kWait = 30'000;

/// One run of dpichat-outboxdriver, and the lines it printed.
class DriverProcess {
public:
    DriverProcess(const QUrl &url, const QString &email, const QString &outboxPath)
    {
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel); // its log, to ours
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] {
            while (m_process.canReadLine())
                m_lines << QString::fromUtf8(m_process.readLine()).trimmed();
        });
        m_process.start(QStringLiteral(DPICHAT_OUTBOXDRIVER),
            { u"--url"_s, url.toString(), u"--email"_s, email, u"--outbox"_s, outboxPath });
        m_started = m_process.waitForStarted(10'000);
        m_process.write(kPassword.toUtf8() + '\n');
    }
    ~DriverProcess() { kill(); }

    bool started() const { return m_started; }
    void command(const QString &line) { m_process.write(line.toUtf8() + '\n'); }
    /// The value after `word` on the last line starting with it, or -1.
    qint64 value(const QString &word) const
    {
        for (qsizetype i = m_lines.size() - 1; i >= 0; --i) {
            if (m_lines.at(i).startsWith(word + QLatin1Char(' ')))
                return m_lines.at(i).mid(word.size() + 1).toLongLong();
        }
        return -1;
    }
    bool printed(const QString &line) const { return m_lines.contains(line); }
    bool isRunning() const { return m_process.state() == QProcess::Running; }
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill(); // SIGKILL: no destructor, no flush, no goodbye to the server
        m_process.waitForFinished(10'000);
    }
    bool finishedCleanly()
    {
        return m_process.waitForFinished(kWait) && m_process.exitStatus() == QProcess::NormalExit
            && m_process.exitCode() == 0;
    }

private:
    QProcess m_process;
    QStringList m_lines;
    bool m_started = false;
};

/// The texts in the outbox file, oldest first, read by the test itself.
QStringList outboxTexts(const QString &path)
{
    QStringList texts;
    const QString name = QUuid::createUuid().toString();
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("SELECT body FROM outbox ORDER BY seq"))) {
                while (q.next())
                    texts << q.value(0).toString();
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return texts;
}

QStringList expectedTexts(const QString &prefix, int from, int to)
{
    QStringList texts;
    for (int i = from; i < to; ++i)
        texts << QStringLiteral("%1-%2").arg(prefix).arg(i, 3, 10, QLatin1Char('0'));
    return texts;
}

} // namespace

class TestClientKill : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<TestClient> m_admin;

    /// Every text the server holds in `thread` whose text starts with `prefix`, by id
    /// (clientIds checked to be unique), as the support team sees it.
    QStringList storedTexts(qint64 thread, const QString &prefix)
    {
        QMap<qint64, QString> byId;
        QSet<QString> clientIds;
        QJsonValue before = QJsonValue::Null;
        for (;;) {
            const QJsonObject page
                = m_admin->request({ { QStringLiteral("type"), QStringLiteral("history") },
                    { QStringLiteral("thread"), thread }, { QStringLiteral("before"), before },
                    { QStringLiteral("limit"), 200 } });
            if (page.value(u"type").toString() != u"history")
                return { QStringLiteral("<no history reply>") };
            const QJsonArray messages = page.value(u"messages").toArray();
            for (const QJsonValue &v : messages) {
                const QJsonObject m = v.toObject();
                if (!m.value(u"text").toString().startsWith(prefix))
                    continue;
                byId.insert(m.value(u"id").toInteger(), m.value(u"text").toString());
                const QString clientId = m.value(u"clientId").toString();
                if (clientIds.contains(clientId))
                    return { QStringLiteral("<a clientId stored twice>") };
                clientIds.insert(clientId);
            }
            if (!page.value(u"hasMore").toBool() || messages.isEmpty())
                return byId.values();
            before = messages.first().toObject().value(u"id");
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(!ServerProcess::binary().isEmpty(), "DPICHAT_SERVER_BIN is not set");
        m_server = std::make_unique<ServerProcess>(m_dir.filePath(QStringLiteral("server.sqlite")));
        QVERIFY(m_server->addUser(
            kAdmin, QStringLiteral("Ada Admin"), QStringLiteral("admin"), kPassword));
        for (const QString &who : { u"stalled"_s, u"midflight"_s })
            QVERIFY(m_server->addUser(who + u"@test.example"_s, who, u"customer"_s, kPassword));
        // No rate limit: the point is the outbox, not the server's token bucket.
        QVERIFY(m_server->start({ QStringLiteral("--rate-limit"), QStringLiteral("0") }));
        m_admin = std::make_unique<TestClient>(m_server->url());
        QVERIFY(m_admin->open());
        QCOMPARE(m_admin->login(kAdmin, kPassword).value(u"type").toString(), u"welcome");
    }

private:
    /// Queues kQueued messages in the client as `user`, lets `ackedBeforeKill` of them reach
    /// the server and their `sent` replies come back, then `unackedBeforeKill` more whose
    /// replies are held back, SIGKILLs the client and starts it again with the same outbox.
    void killAndRestart(const QString &user, int ackedBeforeKill, int unackedBeforeKill)
    {
        const QString email = user + u"@test.example"_s;
        const QString prefix = user;
        const QString outbox = m_dir.filePath(user + u"-client/client.sqlite"_s);
        FrameGate gate(m_server->port());
        QVERIFY(gate.listen());

        qint64 thread = 0;
        {
            DriverProcess first(gate.url(), email, outbox);
            QVERIFY(first.started());
            QTRY_VERIFY_WITH_TIMEOUT(first.value(u"ready"_s) > 0 || !first.isRunning(), kWait);
            thread = first.value(u"ready"_s);
            QVERIFY2(thread > 0, "the client did not log in");

            gate.closeUpstream();
            first.command(u"queue %1 %2"_s.arg(kQueued).arg(prefix));
            QTRY_COMPARE_WITH_TIMEOUT(first.value(u"queued"_s), qint64(kQueued), kWait);
            QTRY_COMPARE_WITH_TIMEOUT(gate.heldMessages(), kQueued, kWait); // all written out
            QCOMPARE(storedTexts(thread, prefix), QStringList()); // none got through

            if (ackedBeforeKill > 0) {
                gate.releaseMessages(ackedBeforeKill);
                QTRY_COMPARE_WITH_TIMEOUT(first.value(u"acked"_s), qint64(ackedBeforeKill), kWait);
                QCOMPARE(storedTexts(thread, prefix), expectedTexts(prefix, 0, ackedBeforeKill));
            }
            if (unackedBeforeKill > 0) {
                gate.holdDownstream(true);
                gate.releaseMessages(unackedBeforeKill);
                QTRY_COMPARE_WITH_TIMEOUT(storedTexts(thread, prefix).size(),
                    qsizetype(ackedBeforeKill + unackedBeforeKill), kWait);
            }
            first.kill();
            QCOMPARE(first.value(u"acked"_s), ackedBeforeKill > 0 ? qint64(ackedBeforeKill) : -1);
        }
        // What the dead process left on disk: exactly the messages it had no `sent` for.
        QCOMPARE(outboxTexts(outbox), expectedTexts(prefix, ackedBeforeKill, kQueued));
        QCOMPARE(storedTexts(thread, prefix),
            expectedTexts(prefix, 0, ackedBeforeKill + unackedBeforeKill));

        // The app starts again with the same profile; nothing holds its frames back now.
        gate.openUpstream();
        gate.holdDownstream(false);
        DriverProcess second(gate.url(), email, outbox);
        QVERIFY(second.started());
        QTRY_VERIFY_WITH_TIMEOUT(second.value(u"restored"_s) >= 0 || !second.isRunning(), kWait);
        QCOMPARE(second.value(u"restored"_s), qint64(kQueued - ackedBeforeKill));
        QTRY_VERIFY_WITH_TIMEOUT(second.printed(u"empty"_s) || !second.isRunning(), kWait);
        QVERIFY2(second.printed(u"empty"_s), "the outbox was not emptied");
        QCOMPARE(second.value(u"acked"_s), qint64(kQueued - ackedBeforeKill));
        second.command(u"quit"_s);
        QVERIFY(second.finishedCleanly());

        // Each of the N texts stored exactly once, in the order queued; the outbox is empty.
        QCOMPARE(storedTexts(thread, prefix), expectedTexts(prefix, 0, kQueued));
        QCOMPARE(outboxTexts(outbox), QStringList());
    }

private Q_SLOTS:
    void killedWhileTheServerStalls()
    {
        // Every message waits in the outbox (and in the socket) when the client dies.
        killAndRestart(u"stalled"_s, 0, 0);
    }

    void killedMidFlight()
    {
        // 50 acknowledged; 25 more stored whose `sent` replies never reached the client.
        killAndRestart(u"midflight"_s, 50, 25);
    }
};

QTEST_GUILESS_MAIN(TestClientKill)
#include "tst_clientkill.moc"
