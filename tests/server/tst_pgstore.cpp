// What only PostgreSQL can show (registered only for it): several connections writing at
// the same moment, as several server instances do, and a connection that breaks.

#include "pgtestdb.h"
#include "store/sqlstore.h"

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
    void concurrentWritersKeepIdsInCommitOrderAndExactlyOnce();
    void concurrentCursorNeverMovesBack();
};

void TestPgStore::recoversAfterTheConnectionBreaks()
{
    SqlStore store(options());
    QVERIFY(!hasError(store.open()));
    QVERIFY(!hasError(store.addUser(u"c@example.com"_s, u"C"_s, Role::Customer, "h"_ba)));
    {
        // What a restart of PostgreSQL or a proxy dropping the connection looks like.
        const QString name = u"killer"_s;
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
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
    }
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
