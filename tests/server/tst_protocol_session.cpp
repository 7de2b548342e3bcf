// The login and session frames of PROTOCOL.md against a real server process on 127.0.0.1:
// welcome, failed logins, that every request needs a login first, token login, logout,
// presence as sessions come and go, who the presence snapshot at login shows, and ping.

#include "fixture.h"

using namespace Qt::StringLiterals;

class TestProtocolSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void welcomeCarriesTokenUserAndLimits();
    void wrongPasswordAndUnknownEmailLookTheSame();
    void unsupportedProtocolIsRefused();
    void everyRequestNeedsLoginFirst_data();
    void everyRequestNeedsLoginFirst();
    void tokenLoginReturnsTheSameToken();
    void logoutRevokesTokenAndCloses();
    void presenceFollowsSessions();
    void presenceSnapshotShowsCustomersTheTeamOnly();
    void pingPong();

private:
    ProtocolFixture m_fx;
};

void TestProtocolSession::initTestCase()
{
    QVERIFY(!ServerProcess::binary().isEmpty());
    QVERIFY(m_fx.start());
}

void TestProtocolSession::welcomeCarriesTokenUserAndLimits()
{
    TestClient c(m_fx.server->url());
    QVERIFY(c.open());
    const QJsonObject w = c.login(u"Carol@Customer.test "_s, QString::fromLatin1(ProtocolFixture::kPassword));
    QCOMPARE(typeOf(w), u"welcome"_s);
    QCOMPARE(w[u"token"_s].toString().size(), 43); // 32 random bytes, base64url
    const QJsonObject user = w[u"user"_s].toObject();
    QCOMPARE(user[u"email"_s].toString(), u"carol@customer.test"_s);
    QCOMPARE(user[u"name"_s].toString(), u"Carol"_s);
    QCOMPARE(user[u"role"_s].toString(), u"customer"_s);
    QCOMPARE(user[u"online"_s].toBool(), true);
    QCOMPARE(w[u"limits"_s][u"frameBytes"_s].toInteger(), 65536);
    QCOMPARE(w[u"limits"_s][u"textChars"_s].toInteger(), 4000);
    QVERIFY(!w[u"server"_s][u"version"_s].toString().isEmpty());
}

void TestProtocolSession::wrongPasswordAndUnknownEmailLookTheSame()
{
    TestClient c(m_fx.server->url());
    QVERIFY(c.open());
    const QJsonObject wrong = c.login(u"dave@customer.test"_s, u"not the password"_s);
    const QJsonObject unknown = c.login(u"nobody@nowhere.test"_s, u"not the password"_s);
    QCOMPARE(typeOf(wrong), u"error"_s);
    QCOMPARE(codeOf(wrong), u"auth_failed"_s);
    QCOMPARE(codeOf(unknown), u"auth_failed"_s);
    QCOMPARE(wrong[u"message"_s], unknown[u"message"_s]);
    // Still usable afterwards.
    QCOMPARE(typeOf(c.login(u"dave@customer.test"_s, QString::fromLatin1(ProtocolFixture::kPassword))), u"welcome"_s);
}

void TestProtocolSession::unsupportedProtocolIsRefused()
{
    TestClient c(m_fx.server->url());
    QVERIFY(c.open());
    const QJsonObject r = c.request(obj({{u"type"_s, u"login"_s}, {u"protocol"_s, 2},
                                         {u"email"_s, u"carol@customer.test"_s},
                                         {u"password"_s, QString::fromLatin1(ProtocolFixture::kPassword)}}));
    QCOMPARE(codeOf(r), u"unsupported_protocol"_s);
}

void TestProtocolSession::everyRequestNeedsLoginFirst_data()
{
    QTest::addColumn<QJsonObject>("request");
    QTest::newRow("logout") << obj({{u"type"_s, u"logout"_s}});
    QTest::newRow("threads") << obj({{u"type"_s, u"threads"_s}});
    QTest::newRow("history") << obj({{u"type"_s, u"history"_s}, {u"thread"_s, 1}, {u"before"_s, QJsonValue()}, {u"limit"_s, 50}});
    QTest::newRow("send") << obj({{u"type"_s, u"send"_s}, {u"thread"_s, 1}, {u"clientId"_s, u"x"_s}, {u"text"_s, u"hi"_s}});
    QTest::newRow("read") << obj({{u"type"_s, u"read"_s}, {u"thread"_s, 1}, {u"upTo"_s, 1}});
    QTest::newRow("sync") << obj({{u"type"_s, u"sync"_s}, {u"after"_s, 0}, {u"limit"_s, 500}});
    QTest::newRow("typing") << obj({{u"type"_s, u"typing"_s}, {u"thread"_s, 1}, {u"active"_s, true}});
    QTest::newRow("ping") << obj({{u"type"_s, u"ping"_s}});
}

void TestProtocolSession::everyRequestNeedsLoginFirst()
{
    QFETCH(QJsonObject, request);
    TestClient c(m_fx.server->url());
    QVERIFY(c.open());
    const QJsonObject r = c.request(request);
    QCOMPARE(typeOf(r), u"error"_s);
    QCOMPARE(codeOf(r), u"unauthenticated"_s);
}

void TestProtocolSession::tokenLoginReturnsTheSameToken()
{
    auto first = m_fx.client("mia@team.test");
    QVERIFY(first);
    TestClient a(m_fx.server->url());
    QVERIFY(a.open());
    const QString token = a.login(u"mia@team.test"_s, QString::fromLatin1(ProtocolFixture::kPassword))[u"token"_s].toString();
    QVERIFY(!token.isEmpty());
    TestClient b(m_fx.server->url());
    QVERIFY(b.open());
    const QJsonObject w = b.loginWithToken(token);
    QCOMPARE(typeOf(w), u"welcome"_s);
    QCOMPARE(w[u"token"_s].toString(), token);
    QCOMPARE(w[u"user"_s][u"email"_s].toString(), u"mia@team.test"_s);

    TestClient bogus(m_fx.server->url());
    QVERIFY(bogus.open());
    QCOMPARE(codeOf(bogus.loginWithToken(u"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"_s)), u"auth_failed"_s);
}

void TestProtocolSession::logoutRevokesTokenAndCloses()
{
    TestClient a(m_fx.server->url());
    QVERIFY(a.open());
    const QString token = a.login(u"dave@customer.test"_s, QString::fromLatin1(ProtocolFixture::kPassword))[u"token"_s].toString();
    auto other = m_fx.client("dave@customer.test"); // another token: must survive
    QVERIFY(other);
    QCOMPARE(typeOf(a.request(obj({{u"type"_s, u"logout"_s}}))), u"ok"_s);
    QVERIFY(a.waitForDisconnected());
    QCOMPARE(a.closeCode(), 1000);

    TestClient b(m_fx.server->url());
    QVERIFY(b.open());
    QCOMPARE(codeOf(b.loginWithToken(token)), u"auth_failed"_s);
    QCOMPARE(typeOf(other->request(obj({{u"type"_s, u"ping"_s}}))), u"pong"_s);
}

void TestProtocolSession::presenceFollowsSessions()
{
    auto ann = m_fx.client("ann@support.test");
    QVERIFY(ann);
    ann->pushes().clear();
    auto dave1 = m_fx.client("dave@customer.test");
    QVERIFY(dave1);
    // Dave learns who of the team is online when he logs in.
    QVERIFY(dave1->waitForPushes(u"presence"_s, 1));
    bool sawAnn = false;
    for (const QJsonObject &p : dave1->pushesOfType(u"presence"_s))
        sawAnn |= p[u"online"_s].toBool();
    QVERIFY(sawAnn);

    // Dave may already have been online through another test's client; find his pushes.
    auto daveId = dave1->request(obj({{u"type"_s, u"threads"_s}}))[u"threads"_s][0][u"owner"_s][u"id"_s].toInteger();
    dave1.reset();
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        for (const QJsonObject &p : ann->pushesOfType(u"presence"_s)) {
            if (p[u"user"_s].toInteger() == daveId && !p[u"online"_s].toBool() && p[u"lastSeen"_s].isString())
                return true;
        }
        return false;
    }()), 5000);
    ann->pushes().clear();
    auto dave2 = m_fx.client("dave@customer.test");
    QVERIFY(dave2);
    const QJsonObject online = ann->takePush(u"presence"_s);
    QCOMPARE(online[u"user"_s].toInteger(), daveId);
    QCOMPARE(online[u"online"_s].toBool(), true);
}

void TestProtocolSession::presenceSnapshotShowsCustomersTheTeamOnly()
{
    // Online first: an admin with two sessions, a member and a customer.
    auto ann1 = m_fx.client("ann@support.test");
    auto ann2 = m_fx.client("ann@support.test");
    auto mia = m_fx.client("mia@team.test");
    auto carol = m_fx.client("carol@customer.test");
    QVERIFY(ann1 && ann2 && mia && carol);
    const qint64 annId = m_fx.userIds.value(u"ann@support.test"_s);
    const qint64 miaId = m_fx.userIds.value(u"mia@team.test"_s);
    const qint64 carolId = m_fx.userIds.value(u"carol@customer.test"_s);
    // Who a freshly logged-in client was told is online: the snapshot follows the welcome
    // at once, so a ping's reply comes after all of it.
    const auto snapshot = [](TestClient &c) {
        [[maybe_unused]] const QJsonObject pong = c.request(obj({{u"type"_s, u"ping"_s}}));
        QList<qint64> online;
        for (const QJsonObject &p : c.pushesOfType(u"presence"_s)) {
            if (p[u"online"_s].toBool())
                online.append(p[u"user"_s].toInteger());
        }
        return online;
    };

    // A customer learns of the admin, once however many sessions she has, and of no member
    // or other customer.
    auto dave = m_fx.client("dave@customer.test");
    QVERIFY(dave);
    const qint64 daveId = m_fx.userIds.value(u"dave@customer.test"_s);
    const QList<qint64> daveSees = snapshot(*dave);
    QCOMPARE(daveSees.count(annId), 1);
    QVERIFY(!daveSees.contains(miaId));
    QVERIFY(!daveSees.contains(carolId));
    QVERIFY(!daveSees.contains(daveId));

    // An admin learns of everyone online, each once. (Bob's own coming online reaches him
    // too, as it reaches every session, right after the snapshot.)
    auto bob = m_fx.client("bob@support.test");
    QVERIFY(bob);
    const QList<qint64> bobSees = snapshot(*bob);
    for (const qint64 id : {annId, miaId, carolId, daveId})
        QCOMPARE(bobSees.count(id), 1);
}

void TestProtocolSession::pingPong()
{
    auto c = m_fx.client("mia@team.test");
    QVERIFY(c);
    c->sendRaw(u"{\"type\":\"ping\",\"id\":\"abc-1\"}"_s);
    QTRY_VERIFY(!c->pushesOfType(u"pong"_s).isEmpty());
    QCOMPARE(c->pushesOfType(u"pong"_s).first()[u"re"_s].toString(), u"abc-1"_s);
}

QTEST_GUILESS_MAIN(TestProtocolSession)
#include "tst_protocol_session.moc"
