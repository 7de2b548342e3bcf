// What only PostgreSQL can show (registered only for it): several connections writing at
// the same moment, as several server instances do, and a connection that breaks.

#include "pgtestdb.h"
#include "store/sqlstore.h"

#include "protocol/fastjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSet>
#include <QMutex>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>
#include <QThread>
#include <QUuid>
#include <algorithm>
#include <atomic>
#include <memory>

using namespace dpichat;
using namespace dpichat::server;
using namespace Qt::StringLiterals;

class TestPgStore : public QObject
{
    Q_OBJECT

private:
    SqlStoreOptions options() const
    {
        SqlStoreOptions o;
        o.driver = u"QPSQL"_s;
        o.database = m_pg->databaseName();
        o.host = m_pg->host();
        o.port = m_pg->port();
        o.user = m_pg->userName();
        o.password = m_pg->password();
        return o;
    }

    /// Ends every other connection to the test database: what a restart of PostgreSQL or a
    /// proxy dropping the connection looks like.
    void terminateOtherConnections()
    {
        const QString name = u"killer"_s;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
            db.setHostName(m_pg->host());
            db.setPort(m_pg->port());
            db.setUserName(m_pg->userName());
            db.setPassword(m_pg->password());
            db.setDatabaseName(m_pg->databaseName());
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           u"WHERE datname = current_database() AND pid <> pg_backend_pid()"_s));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(name);
    }

    std::unique_ptr<PgTestDatabase> m_pg;

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(u"dpichat.server.store.info=false"_s); }
    void init()
    {
        m_pg = std::make_unique<PgTestDatabase>();
        QVERIFY2(m_pg->isValid(), qPrintable(m_pg->error()));
    }
    void cleanup() { m_pg.reset(); }

    void recoversAfterTheConnectionBreaks();
    void threadListNamesLastSendersAndRecoversAfterABreak();
    void concurrentWritersKeepIdsInCommitOrderAndExactlyOnce();
    void concurrentCursorNeverMovesBack();
};

void TestPgStore::recoversAfterTheConnectionBreaks()
{
    SqlStore store(options());
    QVERIFY(!hasError(store.open()));
    QVERIFY(!hasError(store.addUser(u"c@example.com"_s, u"C"_s, Role::Customer, "h"_ba)));
    terminateOtherConnections();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"database failure"_s));
    const auto failed = store.userByEmail(u"c@example.com"_s);
    QVERIFY(hasError(failed));
    QCOMPARE(std::get<ProtocolError>(failed).code, ErrorCode::Internal);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reconnecting"_s));
    const auto again = store.userByEmail(u"c@example.com"_s);
    QVERIFY(!hasError(again));
    QVERIFY(std::get<std::optional<StoredUser>>(again).has_value());
    QVERIFY(!hasError(store.messageCount()));
}

// The `threads` reply is read a row at a time and written as the rows arrive; a last
// sender who is not the owner is named from a look-up made after the rows (the first list)
// and remembered (the later ones). Each list must say what encoding threadsFor() says. A
// broken connection fails the call that finds it, and the next call reconnects.
void TestPgStore::threadListNamesLastSendersAndRecoversAfterABreak()
{
    SqlStore store(options());
    QVERIFY(!hasError(store.open()));
    const auto addedAdmin = store.addUser(u"a@example.com"_s, u"Ada Admin"_s, Role::Admin, "h"_ba);
    QVERIFY(!hasError(addedAdmin));
    const User admin = std::get<StoredUser>(addedAdmin).user;
    QSet<qint64> answered; // Threads whose last message is the admin's.
    for (int i = 0; i < 40; ++i) {
        const auto added = store.addUser(u"c%1@example.com"_s.arg(i), u"C%1"_s.arg(i),
                                         Role::Customer, "h"_ba);
        QVERIFY(!hasError(added));
        const StoredUser c = std::get<StoredUser>(added);
        QList<NewMessage> batch{{c.threadId, c.user.id, u"q%1"_s.arg(i), u"question"_s}};
        if (i % 2 == 0) {
            batch.append({c.threadId, admin.id, u"a%1"_s.arg(i), u"answer"_s});
            answered.insert(c.threadId);
        }
        QVERIFY(!hasError(store.appendMessages(batch)));
    }
    const auto presence = [](qint64, qint64) { return OwnerPresence{false, std::nullopt}; };
    const auto expected = store.threadsFor(admin);
    QVERIFY(!hasError(expected));
    const QJsonObject encoded = QJsonDocument::fromJson(fastjson::threadsReply(
            std::get<QList<Thread>>(expected), QJsonValue(7))).object();
    const auto replyNow = [&]() -> std::optional<QJsonObject> {
        const auto reply = store.threadsReply(admin, QJsonValue(7), presence);
        if (hasError(reply) || !std::get<std::optional<QByteArray>>(reply))
            return std::nullopt;
        return QJsonDocument::fromJson(*std::get<std::optional<QByteArray>>(reply)).object();
    };

    for (int round = 0; round < 2; ++round) {
        const std::optional<QJsonObject> reply = replyNow();
        QVERIFY(reply);
        QCOMPARE(*reply, encoded);
        const QJsonArray threads = reply->value(u"threads"_s).toArray();
        QCOMPARE(threads.size(), 40);
        for (const QJsonValue &t : threads) {
            const QJsonObject last = t[u"lastMessage"_s].toObject();
            const QJsonObject owner = t[u"owner"_s].toObject();
            const bool byAdmin = answered.contains(t[u"id"_s].toInteger());
            const qint64 sender = byAdmin ? admin.id : owner[u"id"_s].toInteger();
            QCOMPARE(last[u"sender"_s].toInteger(), sender);
            QCOMPARE(last[u"senderName"_s].toString(),
                     byAdmin ? u"Ada Admin"_s : owner[u"name"_s].toString());
        }
    }

    terminateOtherConnections();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"database failure in list threads"_s));
    const auto broken = store.threadsReply(admin, QJsonValue(7), presence);
    QVERIFY(hasError(broken));
    QCOMPARE(std::get<ProtocolError>(broken).code, ErrorCode::Internal);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"reconnecting"_s));
    const std::optional<QJsonObject> again = replyNow();
    QVERIFY(again);
    QCOMPARE(*again, encoded);
}

void TestPgStore::concurrentWritersKeepIdsInCommitOrderAndExactlyOnce()
{
    SqlStore reader(options());
    QVERIFY(!hasError(reader.open()));
    const auto added = reader.addUser(u"c@example.com"_s, u"C"_s, Role::Customer, "h"_ba);
    QVERIFY(!hasError(added));
    const StoredUser c = std::get<StoredUser>(added);

    // Four connections (as four instances) each send the same 300 clientIds in batches of
    // 5; a fifth polls with sync the way a reconnecting client does.
    constexpr int kWriters = 4;
    constexpr int kMessages = 300;
    std::atomic<int> failures{0};
    QMutex mutex;
    QHash<QString, qint64> idOf; // clientId -> id, as each writer got it back
    std::vector<std::unique_ptr<QThread>> threads;
    for (int w = 0; w < kWriters; ++w) {
        threads.emplace_back(QThread::create([&, w] {
            SqlStore store(options());
            if (hasError(store.open())) {
                ++failures;
                return;
            }
            for (int i = 0; i < kMessages; i += 5) {
                QList<NewMessage> batch;
                for (int k = 0; k < 5; ++k) {
                    const int n = (i + k + w * 7) % kMessages; // Different orders per writer.
                    batch.append({c.threadId, c.user.id, u"cid-%1"_s.arg(n), u"m"_s});
                }
                const auto r = store.appendMessages(batch);
                if (hasError(r)) {
                    ++failures;
                    continue;
                }
                QMutexLocker lock(&mutex);
                for (const AppendResult &a : std::get<QList<AppendResult>>(r)) {
                    const auto it = idOf.constFind(a.message.clientId);
                    if (it != idOf.cend() && *it != a.message.id)
                        ++failures; // Two ids for one (sender, clientId).
                    idOf.insert(a.message.clientId, a.message.id);
                }
            }
        }));
        threads.back()->start();
    }
    // The sync reader: everything it has seen must stay everything below its cursor.
    QSet<qint64> seen;
    qint64 after = 0;
    auto poll = [&] {
        const auto page = reader.sync(c.user, after, 1000);
        QVERIFY(!hasError(page));
        for (const Message &m : std::get<MessagePage>(page).messages) {
            seen.insert(m.id);
            after = m.id;
        }
    };
    while (std::any_of(threads.cbegin(), threads.cend(),
                       [](const auto &t) { return t->isRunning(); }))
        poll();
    for (auto &t : threads)
        t->wait();
    poll();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(idOf.size(), kMessages);
    const auto count = reader.messageCount();
    QCOMPARE(std::get<qint64>(count), qint64(kMessages));
    // Every stored message was seen by the reader: none committed below its cursor later.
    QCOMPARE(seen.size(), qsizetype(kMessages));
}

void TestPgStore::concurrentCursorNeverMovesBack()
{
    SqlStore setup(options());
    QVERIFY(!hasError(setup.open()));
    const StoredUser c =
            std::get<StoredUser>(setup.addUser(u"c@example.com"_s, u"C"_s, Role::Customer, "h"_ba));
    QList<NewMessage> batch;
    for (int i = 0; i < 200; ++i)
        batch.append({c.threadId, c.user.id, u"x%1"_s.arg(i), u"m"_s});
    const auto stored = std::get<QList<AppendResult>>(setup.appendMessages(batch));
    std::atomic<int> failures{0};
    std::vector<std::unique_ptr<QThread>> threads;
    for (int w = 0; w < 4; ++w) {
        threads.emplace_back(QThread::create([&, w] {
            SqlStore store(options());
            if (hasError(store.open())) {
                ++failures;
                return;
            }
            // Each connection marks read in its own order, forwards and backwards.
            for (int i = 0; i < 200; ++i) {
                const int k = (w % 2) ? 199 - i : (i * 37 + w) % 200;
                if (hasError(store.advanceReadCursor(c.threadId, c.user.id, stored[k].message.id)))
                    ++failures;
            }
        }));
        threads.back()->start();
    }
    qint64 last = 0;
    auto check = [&] {
        const auto t = setup.threadFor(c.threadId, c.user);
        QVERIFY(!hasError(t));
        const qint64 cursor = std::get<std::optional<Thread>>(t)->readUpToOwner;
        QVERIFY2(cursor >= last, "the read cursor moved back");
        last = cursor;
    };
    while (std::any_of(threads.cbegin(), threads.cend(),
                       [](const auto &t) { return t->isRunning(); }))
        check();
    for (auto &t : threads)
        t->wait();
    check();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(last, stored.constLast().message.id);
}

QTEST_GUILESS_MAIN(TestPgStore)
#include "tst_pgstore.moc"
