// Graceful shutdown: SIGTERM (and SIGINT) while clients are connected and sends are in flight.
// The server closes every session with 1001 (going away), exits 0 within 5 s, and every
// message it acknowledged with `sent` is stored when it comes back.

#include "fixture.h"

#include <QDeadlineTimer>

#include <csignal>

using namespace Qt::StringLiterals;

class TstShutdown : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void closesSessionsAndKeepsAcknowledged_data();
    void closesSessionsAndKeepsAcknowledged();
};

void TstShutdown::closesSessionsAndKeepsAcknowledged_data()
{
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void TstShutdown::closesSessionsAndKeepsAcknowledged()
{
    QFETCH(int, signal);
    ProtocolFixture fx;
    QVERIFY(fx.start());
    auto carol = fx.client("carol@customer.test");
    auto ann = fx.client("ann@support.test");
    auto mia = fx.client("mia@team.test");
    QVERIFY(carol && ann && mia);
    const qint64 thread = carol->request(obj({{u"type"_s, u"threads"_s}}))
                              .value("threads"_L1).toArray().first().toObject()
                              .value("id"_L1).toInteger();
    const QJsonObject first = carol->request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, thread},
                                                  {u"clientId"_s, u"before"_s},
                                                  {u"text"_s, u"acknowledged before"_s}}));
    QCOMPARE(typeOf(first), u"sent"_s);

    // A burst that is still arriving when the signal comes: some are committed and
    // acknowledged, the rest never reach the server's event loop. No third outcome.
    constexpr int kBurst = 2000;
    const auto sendBurst = [&](int from) {
        for (int i = from; i < from + kBurst; ++i) {
            const QJsonObject send = obj({{u"type"_s, u"send"_s}, {u"id"_s, i + 1},
                                          {u"thread"_s, thread},
                                          {u"clientId"_s, u"burst-%1"_s.arg(i)},
                                          {u"text"_s, u"burst"_s}});
            carol->sendRaw(QString::fromUtf8(QJsonDocument(send).toJson(QJsonDocument::Compact)));
        }
    };
    sendBurst(0);
    QVERIFY(carol->waitForPushes(u"sent"_s, 1)); // The burst is being served.
    QVERIFY(fx.server->signal(signal));
    const QDeadlineTimer fiveSeconds(5000);
    sendBurst(kBurst); // Still coming while the server shuts down.

    // The clients that are listening get the close frame. Carol, still sending, may not: Qt
    // closes the TCP connection right after the close frame, and unread input on it makes the
    // kernel answer with a reset that can discard the frame before she reads it. She reconnects
    // and resends; what matters for her is below.
    QVERIFY(ann->waitForDisconnected(5000));
    QVERIFY(mia->waitForDisconnected(5000));
    QVERIFY(carol->waitForDisconnected(5000));
    QCOMPARE(ann->closeCode(), 1001);
    QCOMPARE(mia->closeCode(), 1001);
    // waitForFinished() says false for a process that has already exited: wait on the state.
    while (fx.server->isRunning() && !fiveSeconds.hasExpired())
        fx.server->waitForFinished(50);
    QVERIFY2(!fx.server->isRunning(), "the server took longer than 5 s to exit");
    QCOMPARE(fx.server->exitStatus(), QProcess::NormalExit);
    QCOMPARE(fx.server->exitCode(), 0);

    QSet<QString> acknowledged{u"before"_s};
    for (const QJsonObject &o : std::as_const(carol->pushes())) {
        if (typeOf(o) == u"sent")
            acknowledged.insert(o.value("message"_L1).toObject().value("clientId"_L1).toString());
    }

    // Back up on the same database: everything acknowledged is there, nothing twice.
    QVERIFY(fx.server->restart());
    auto reader = fx.client("ann@support.test");
    QVERIFY(reader);
    QSet<QString> stored;
    qint64 after = 0;
    for (;;) {
        const QJsonObject page = reader->request(
            obj({{u"type"_s, u"sync"_s}, {u"after"_s, after}, {u"limit"_s, 500}}));
        QCOMPARE(typeOf(page), u"sync"_s);
        for (const QJsonValue &m : page.value("messages"_L1).toArray()) {
            const QString clientId = m.toObject().value("clientId"_L1).toString();
            QVERIFY2(!stored.contains(clientId), qPrintable(clientId));
            stored.insert(clientId);
            after = m.toObject().value("id"_L1).toInteger();
        }
        if (!page.value("hasMore"_L1).toBool())
            break;
    }
    for (const QString &clientId : std::as_const(acknowledged))
        QVERIFY2(stored.contains(clientId), qPrintable(clientId));
    qInfo() << acknowledged.size() << "acknowledged," << stored.size() << "stored";
}

QTEST_GUILESS_MAIN(TstShutdown)
#include "tst_shutdown.moc"
