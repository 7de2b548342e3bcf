// A flood of wrong passwords against one account, all from one address: the server throttles
// it (rate_limited, with no more password checks), the right password is refused too while
// the throttle holds, and message traffic of users already logged in keeps flowing.

#include "chaos.h"

#include <QElapsedTimer>

using namespace chaos;

class TestChaosLoginFlood : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void wrongPasswordFloodIsThrottledWhileTrafficFlows();
};

void TestChaosLoginFlood::wrongPasswordFloodIsThrottledWhileTrafficFlows()
{
    constexpr int kAttackers = 8;
    constexpr int kAttempts = 400; // at least; the flood goes on for kFloodMs
    constexpr qint64 kFloodMs = 5000;
    ChaosServer cs;
    QVERIFY(cs.init());
    QVERIFY(cs.addUser(u"admin@support.test"_s, u"admin"_s));
    QVERIFY(cs.addUser(u"carol@customer.test"_s, u"customer"_s));
    QVERIFY(cs.addUser(u"victim@customer.test"_s, u"customer"_s));
    QVERIFY(cs.server->start()); // the default request rate limit, as deployed

    Client admin = cs.login(u"admin@support.test"_s);
    Client carol = cs.login(u"carol@customer.test"_s);
    QVERIFY(admin.c && carol.c);
    admin.c->pushes().clear();
    carol.c->pushes().clear();

    std::vector<std::unique_ptr<TestClient>> attackers;
    std::vector<int> pendingId(kAttackers, 0);
    for (int i = 0; i < kAttackers; ++i) {
        attackers.push_back(std::make_unique<TestClient>(cs.server->url()));
        QVERIFY(attackers.back()->open());
    }
    auto wrongLogin = [](int id) {
        return compact({{"type"_L1, "login"_L1}, {"id"_L1, id}, {"protocol"_L1, 1},
                        {"email"_L1, "victim@customer.test"_L1}, {"password"_L1, "guess"_L1}});
    };

    int attempts = 0, authFailed = 0, throttled = 0, other = 0;
    int carolSent = 0;
    qint64 worstSendMs = 0;
    QHash<int, qint64> sentAt; // carol's request id -> ms
    QElapsedTimer clock;
    clock.start();
    qint64 nextCarolMs = 0;
    auto flooding = [&] { return attempts < kAttempts || clock.elapsed() < kFloodMs; };
    while ((flooding() || std::find_if(pendingId.begin(), pendingId.end(),
                                                 [](int p) { return p != 0; }) != pendingId.end())
           && clock.elapsed() < 240'000) {
        for (int i = 0; i < kAttackers; ++i) {
            TestClient &a = *attackers[size_t(i)];
            if (pendingId[size_t(i)]) {
                const QJsonObject r = rawReplies(a).value(pendingId[size_t(i)]);
                if (r.isEmpty())
                    continue;
                const QString code = codeOf(r);
                code == "auth_failed"_L1 ? ++authFailed : code == "rate_limited"_L1 ? ++throttled : ++other;
                pendingId[size_t(i)] = 0;
            }
            if (flooding() && a.isConnected()) {
                pendingId[size_t(i)] = ++attempts;
                a.sendRaw(wrongLogin(attempts));
            }
        }
        // Carol keeps talking to the team, ten messages a second.
        if (clock.elapsed() >= nextCarolMs) {
            nextCarolMs = clock.elapsed() + 100;
            ++carolSent;
            sentAt.insert(carolSent, clock.elapsed());
            carol.c->sendRaw(sendFrame(carolSent, carol.thread, u"t-%1"_s.arg(carolSent), u"still here"_s));
        }
        const auto replies = rawReplies(*carol.c);
        for (auto it = sentAt.begin(); it != sentAt.end();) {
            if (replies.contains(it.key())) {
                QCOMPARE(typeOf(replies.value(it.key())), u"sent"_s);
                worstSendMs = qMax(worstSendMs, clock.elapsed() - it.value());
                it = sentAt.erase(it);
            } else {
                ++it;
            }
        }
        QTest::qWait(2);
    }
    qInfo("%d wrong logins: %d auth_failed, %d rate_limited, %d other, in %lld ms; carol sent %d,"
          " slowest sent reply %lld ms",
          attempts, authFailed, throttled, other, clock.elapsed(), carolSent, worstSendMs);
    QVERIFY(attempts >= kAttempts);
    QCOMPARE(other, 0);
    QCOMPARE(authFailed + throttled, attempts);
    // The throttle holds ten failures a minute; a few more may be checked while they race.
    QVERIFY2(authFailed <= 10 + kAttackers, qPrintable(QString::number(authFailed)));
    QVERIFY(throttled >= attempts - 10 - kAttackers);
    QVERIFY(carolSent >= 40);

    // Carol's messages all went through and reached the team, each once.
    QTRY_VERIFY_WITH_TIMEOUT(sentAt.isEmpty() || rawReplies(*carol.c).size() >= carolSent, 10'000);
    QVERIFY2(worstSendMs < 2000, "a user's send waited behind the flood");
    QTRY_COMPARE_WITH_TIMEOUT(admin.c->pushesOfType(u"message"_s).size(), qsizetype(carolSent), 10'000);

    // While the throttle holds, even the right password gets rate_limited: what the victim
    // sees is "try again in a minute", not a wrong-password error.
    TestClient victim(cs.server->url());
    QVERIFY(victim.open());
    const QJsonObject r = victim.login(u"victim@customer.test"_s, QString::fromLatin1(kPassword));
    QCOMPARE(typeOf(r), u"error"_s);
    QCOMPARE(codeOf(r), u"rate_limited"_s);
    // And the server still answers everyone else.
    QCOMPARE(typeOf(carol.c->request({{"type"_L1, "ping"_L1}})), u"pong"_s);
}

QTEST_GUILESS_MAIN(TestChaosLoginFlood)
#include "tst_chaos_loginflood.moc"
