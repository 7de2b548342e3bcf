// The authorisation matrix: every request type × role (admin, customer, member, and nobody
// logged in) × own / another user's / a missing thread, with the exact reply, and on every
// refusal nothing stored, no cursor moved and nothing pushed to anyone.

#include "chaos.h"

#include <map>

using namespace chaos;

namespace {
enum class Target { None, Own, Other, Missing };
constexpr qint64 kMissingThread = 999'999;
} // namespace

class TestAuthzMatrix : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void matrix_data();
    void matrix();

private:
    /// What the team sees of every thread plus every stored message: must not change on a refusal.
    QString snapshot();

    ChaosServer m_cs;
    std::map<QString, Client> m_actors; ///< "admin", "customer", "member"; "anonymous" not logged in.
    std::unique_ptr<TestClient> m_anonymous;
    std::vector<Client> m_observers; ///< Another admin and the owner of every thread.
    qint64 m_otherThread = 0; ///< Dave's: nobody's own among the actors.
    int m_seq = 0;
};

void TestAuthzMatrix::initTestCase()
{
    QVERIFY(m_cs.init());
    QVERIFY(m_cs.addUser(u"ann@support.test"_s, u"admin"_s));
    QVERIFY(m_cs.addUser(u"bob@support.test"_s, u"admin"_s));
    QVERIFY(m_cs.addUser(u"carol@customer.test"_s, u"customer"_s));
    QVERIFY(m_cs.addUser(u"dave@customer.test"_s, u"customer"_s));
    QVERIFY(m_cs.addUser(u"mia@team.test"_s, u"member"_s));
    QVERIFY(m_cs.server->start({u"--rate-limit"_s, u"0"_s}));
    m_actors.emplace(u"admin"_s, m_cs.login(u"ann@support.test"_s));
    m_actors.emplace(u"customer"_s, m_cs.login(u"carol@customer.test"_s));
    m_actors.emplace(u"member"_s, m_cs.login(u"mia@team.test"_s));
    for (const auto &[name, a] : m_actors)
        QVERIFY2(a.c, qPrintable(name));
    for (const char *email : {"bob@support.test", "carol@customer.test", "dave@customer.test", "mia@team.test"}) {
        m_observers.push_back(m_cs.login(QString::fromLatin1(email)));
        QVERIFY(m_observers.back().c);
    }
    m_otherThread = m_observers[2].thread;
    // One message from each owner in their thread, so reading and unread counts can change.
    for (size_t i = 1; i < m_observers.size(); ++i) {
        const QJsonObject r = m_observers[i].c->request(
            {{"type"_L1, "send"_L1}, {"thread"_L1, m_observers[i].thread},
             {"clientId"_L1, "seed"_L1}, {"text"_L1, "hello"_L1}});
        QCOMPARE(typeOf(r), u"sent"_s);
    }
}

QString TestAuthzMatrix::snapshot()
{
    TestClient &bob = *m_observers[0].c;
    QJsonArray threads = bob.request({{"type"_L1, "threads"_L1}}).value("threads"_L1).toArray();
    for (qsizetype i = 0; i < threads.size(); ++i) { // presence is not what is under test
        QJsonObject t = threads[i].toObject();
        QJsonObject owner = t.value("owner"_L1).toObject();
        owner.remove("online"_L1);
        owner.remove("lastSeen"_L1);
        t.insert("owner"_L1, owner);
        threads[i] = t;
    }
    QList<QJsonObject> all;
    if (!syncAll(bob, all))
        return {};
    return QString::fromUtf8(QJsonDocument(threads).toJson(QJsonDocument::Compact))
        + QString::number(all.size()) + (all.isEmpty() ? QString() : compact(all.last()));
}

void TestAuthzMatrix::matrix_data()
{
    QTest::addColumn<QString>("role");
    QTest::addColumn<QString>("type");
    QTest::addColumn<int>("target");
    QTest::addColumn<QString>("expected"); // reply type, or error code, or "none"

    const QStringList roles{u"admin"_s, u"customer"_s, u"member"_s, u"anonymous"_s};
    const QStringList threadTypes{u"history"_s, u"send"_s, u"read"_s, u"typing"_s};
    const QHash<QString, QString> success{{u"history"_s, u"history"_s}, {u"send"_s, u"sent"_s},
                                          {u"read"_s, u"ok"_s}, {u"typing"_s, u"none"_s}};
    for (const QString &role : roles) {
        const bool admin = role == "admin"_L1, anon = role == "anonymous"_L1;
        for (const QString &type : threadTypes) {
            const QString ok = success.value(type);
            auto row = [&](const char *target, Target t, const QString &expected) {
                QTest::addRow("%s %s %s", qPrintable(role), qPrintable(type), target)
                    << role << type << int(t) << (anon ? u"unauthenticated"_s : expected);
            };
            if (!admin)
                row("own", Target::Own, ok);
            row("other", Target::Other, admin ? ok : u"forbidden"_s);
            row("missing", Target::Missing, admin ? u"not_found"_s : u"forbidden"_s);
        }
        for (const QString &type : {u"threads"_s, u"sync"_s, u"ping"_s}) {
            QTest::addRow("%s %s", qPrintable(role), qPrintable(type))
                << role << type << int(Target::None)
                << (anon ? u"unauthenticated"_s : type == "ping"_L1 ? u"pong"_s : type);
        }
    }
}

void TestAuthzMatrix::matrix()
{
    QFETCH(QString, role);
    QFETCH(QString, type);
    QFETCH(int, target);
    QFETCH(QString, expected);

    const bool anon = role == "anonymous"_L1;
    if (anon) { // a fresh socket each time: the login timeout would close a long-lived one
        m_anonymous = std::make_unique<TestClient>(m_cs.server->url());
        QVERIFY(m_anonymous->open());
    }
    TestClient &actor = anon ? *m_anonymous : *m_actors.at(role).c;
    const qint64 own = anon ? 0 : m_actors.at(role).thread;
    const qint64 thread = Target(target) == Target::Own ? own
        : Target(target) == Target::Other              ? m_otherThread
                                                       : kMissingThread;
    QJsonObject request{{"type"_L1, type}};
    if (Target(target) != Target::None)
        request.insert("thread"_L1, thread);
    if (type == "history"_L1)
        request.insert("limit"_L1, 50);
    if (type == "send"_L1) {
        request.insert("clientId"_L1, u"m-%1"_s.arg(++m_seq));
        request.insert("text"_L1, u"matrix"_s);
    }
    if (type == "read"_L1)
        request.insert("upTo"_L1, 1'000'000);
    if (type == "typing"_L1)
        request.insert("active"_L1, true);
    if (type == "sync"_L1)
        request.insert("after"_L1, 0);

    const bool refusal = expected == "forbidden"_L1 || expected == "not_found"_L1
        || expected == "unauthenticated"_L1;
    const QString before = refusal ? snapshot() : QString();
    QVERIFY(!refusal || !before.isEmpty());
    for (Client &o : m_observers)
        o.c->pushes().clear();

    const QJsonObject reply = actor.request(request, expected == "none"_L1 ? 500 : 5000);
    if (expected == "none"_L1) {
        QVERIFY2(reply.isEmpty(), qPrintable(compact(reply)));
    } else if (refusal) {
        QCOMPARE(typeOf(reply), u"error"_s);
        QCOMPARE(codeOf(reply), expected);
        // The same sentence whatever the thread: nothing said about someone else's thread.
        if (expected == "forbidden"_L1)
            QCOMPARE(str(reply, "message"_L1), u"not your thread"_s);
    } else {
        QCOMPARE(typeOf(reply), expected);
    }

    if (type == "threads"_L1 && !refusal) {
        const QJsonArray threads = reply.value("threads"_L1).toArray();
        QCOMPARE(threads.size(), role == "admin"_L1 ? 3 : 1);
        if (role != "admin"_L1)
            QCOMPARE(threads.first().toObject().value("id"_L1).toInteger(), own);
    }
    if (type == "sync"_L1 && !refusal && role != "admin"_L1) {
        for (const QJsonValue &m : reply.value("messages"_L1).toArray())
            QCOMPARE(m.toObject().value("thread"_L1).toInteger(), own);
    }
    if (refusal) {
        QTest::qWait(300); // a push, had there been one, would be here by now
        for (Client &o : m_observers) {
            if (!o.c->pushes().isEmpty())
                QFAIL(qPrintable(u"pushed on a refusal: "_s + compact(o.c->pushes().first())));
        }
        QCOMPARE(snapshot(), before);
    }
}

QTEST_GUILESS_MAIN(TestAuthzMatrix)
#include "tst_authz_matrix.moc"
