// The administration command line disables users, changes roles and passwords while the
// server runs: the sessions those users have open end within the check's interval (2 s), with
// 1008, and cannot come back with their tokens; everyone else stays, and so does a session
// made with the new password.

#include "fixture.h"

using namespace Qt::StringLiterals;

class TestAccountWatch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_fx = std::make_unique<ProtocolFixture>();
        QVERIFY(m_fx->start());
    }
    void cleanup() { m_fx.reset(); }
    void disabledUserIsDisconnected();
    void roleChangeEndsTheSessions();
    void newPasswordEndsTheOldSessions();

private:
    std::unique_ptr<ProtocolFixture> m_fx;
};

void TestAccountWatch::disabledUserIsDisconnected()
{
    auto carol = std::make_unique<TestClient>(m_fx->server->url());
    QVERIFY(carol->open());
    const QJsonObject welcome =
            carol->login(u"carol@customer.test"_s, QString::fromLatin1(ProtocolFixture::kPassword));
    QCOMPARE(typeOf(welcome), u"welcome"_s);
    const QString token = welcome[u"token"_s].toString();
    QVERIFY(!token.isEmpty());
    auto carolAgain = m_fx->client("carol@customer.test"); // a second window
    auto dave = m_fx->client("dave@customer.test");
    auto ann = m_fx->client("ann@support.test");
    QVERIFY(carol && carolAgain && dave && ann);

    QString out;
    QCOMPARE(m_fx->server->runCommand({u"user"_s, u"disable"_s, u"carol@customer.test"_s}, {},
                                     &out),
             0);
    QTRY_VERIFY_WITH_TIMEOUT(!carol->isConnected() && !carolAgain->isConnected(), 10'000);
    QCOMPARE(carol->closeCode(), 1008);
    QCOMPARE(carolAgain->closeCode(), 1008);
    // The others noticed nothing.
    QVERIFY(dave->isConnected() && ann->isConnected());
    QCOMPARE(typeOf(dave->request(obj({{u"type"_s, u"ping"_s}}))), u"pong"_s);
    // Neither the token nor the password lets her back in.
    TestClient back(m_fx->server->url());
    QVERIFY(back.open());
    QCOMPARE(typeOf(back.request(obj({{u"type"_s, u"login"_s}, {u"protocol"_s, 1},
                                      {u"token"_s, token}}))),
             u"error"_s);
    TestClient again(m_fx->server->url());
    QVERIFY(again.open());
    QCOMPARE(typeOf(again.login(u"carol@customer.test"_s, QString::fromLatin1(ProtocolFixture::kPassword))),
             u"error"_s);
}

void TestAccountWatch::roleChangeEndsTheSessions()
{
    auto bob = m_fx->client("bob@support.test");
    auto mia = m_fx->client("mia@team.test");
    auto ann = m_fx->client("ann@support.test");
    QVERIFY(bob && mia && ann);
    // Bob stops being an admin: his admin session must not go on listing every thread.
    QCOMPARE(m_fx->server->runCommand({u"user"_s, u"role"_s, u"bob@support.test"_s, u"member"_s}),
             0);
    QTRY_VERIFY_WITH_TIMEOUT(!bob->isConnected(), 10'000);
    QCOMPARE(bob->closeCode(), 1008);
    QVERIFY(mia->isConnected() && ann->isConnected());
    // Logging in again gives the new role, and a thread of his own.
    auto bobAgain = m_fx->client("bob@support.test");
    QVERIFY(bobAgain);
    const QJsonObject threads = bobAgain->request(obj({{u"type"_s, u"threads"_s}}));
    QCOMPARE(threads[u"threads"_s].toArray().size(), 1);
    QCOMPARE(threads[u"threads"_s][0][u"owner"_s][u"role"_s].toString(), u"member"_s);
    // Ann stays an admin and keeps her session through the checks that follow.
    QTest::qWait(2500);
    QVERIFY(ann->isConnected());
}

void TestAccountWatch::newPasswordEndsTheOldSessions()
{
    auto dave = m_fx->client("dave@customer.test");
    auto daveAgain = m_fx->client("dave@customer.test"); // a second window
    auto carol = m_fx->client("carol@customer.test");
    QVERIFY(dave && daveAgain && carol);
    // A check passes with every session in place.
    QTest::qWait(2500);
    QVERIFY(dave->isConnected() && daveAgain->isConnected());

    QString out;
    QCOMPARE(m_fx->server->runCommand({u"user"_s, u"passwd"_s, u"dave@customer.test"_s},
                                     "a-new-password\n", &out),
             0);
    // Logged in with the new password before the next check: this one stays.
    TestClient withNew(m_fx->server->url());
    QVERIFY(withNew.open());
    QCOMPARE(typeOf(withNew.login(u"dave@customer.test"_s, u"a-new-password"_s)), u"welcome"_s);

    QTRY_VERIFY_WITH_TIMEOUT(!dave->isConnected() && !daveAgain->isConnected(), 10'000);
    QCOMPARE(dave->closeCode(), 1008);
    QCOMPARE(daveAgain->closeCode(), 1008);
    QVERIFY(withNew.isConnected() && carol->isConnected());
    QCOMPARE(typeOf(withNew.request(obj({{u"type"_s, u"ping"_s}}))), u"pong"_s);
    // And through the checks that follow.
    QTest::qWait(2500);
    QVERIFY(withNew.isConnected() && carol->isConnected());
}

QTEST_GUILESS_MAIN(TestAccountWatch)
#include "tst_accountwatch.moc"
