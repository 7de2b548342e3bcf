#include "store/migrations.h"
#include "store/sqlstore.h"
#include "pgtestdb.h"

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <memory>

using namespace dpichat;
using namespace dpichat::server;
using namespace Qt::StringLiterals;

namespace {

template<typename T>
QByteArray errorText(const Expected<T> &e)
{
    return hasError(e) ? std::get<ProtocolError>(e).message.toUtf8() : QByteArray();
}

QString newClientId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

/// A second, plain connection to the test's database, to look behind the Store.
class RawDb
{
public:
    explicit RawDb(const SqlStoreOptions &o)
        : m_name(u"raw-"_s + newClientId())
    {
        m_db = QSqlDatabase::addDatabase(o.driver, m_name);
        m_db.setDatabaseName(o.database);
        if (o.driver == u"QPSQL") {
            m_db.setHostName(o.host);
            m_db.setPort(o.port);
            m_db.setUserName(o.user);
            m_db.setPassword(o.password);
        }
        m_db.open();
    }
    ~RawDb()
    {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
    QSqlDatabase &db() { return m_db; }
    QVariant scalar(const QString &sql)
    {
        QSqlQuery q(m_db);
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }

private:
    QString m_name;
    QSqlDatabase m_db;
};

} // namespace

// Unwraps an Expected or fails the test with the store's error.
#define TAKE(var, expr)                                                                            \
    auto var##Expected = (expr);                                                                   \
    QVERIFY2(!hasError(var##Expected), errorText(var##Expected).constData());                      \
    auto var = std::get<0>(std::move(var##Expected))

class TestStore : public QObject
{
    Q_OBJECT

private:
    // The suite runs on SQLite, and on PostgreSQL when DPICHAT_TEST_DB=postgres (a second
    // CTest entry): every test case gets a fresh database either way.
    SqlStoreOptions dbOptions() const
    {
        SqlStoreOptions options;
        if (m_pg) {
            options.driver = u"QPSQL"_s;
            options.database = m_pg->databaseName();
            options.host = m_pg->host();
            options.port = m_pg->port();
            options.user = m_pg->userName();
            options.password = m_pg->password();
        } else {
            options.database = m_dir->filePath(u"chat.db"_s);
        }
        return options;
    }
    bool isSqlite() const { return !m_pg; }
    std::unique_ptr<SqlStore> openStore()
    {
        auto store = std::make_unique<SqlStore>(dbOptions());
        const Expected<bool> opened = store->open();
        if (hasError(opened))
            return nullptr;
        return store;
    }
    // Adds a user or fails the test; `ok` tells the caller to stop.
    StoredUser addUser(SqlStore &store, const QString &email, Role role, bool *ok)
    {
        const auto added = store.addUser(email, email.section(u'@', 0, 0), role, "hash"_ba);
        *ok = !hasError(added);
        return *ok ? std::get<StoredUser>(added) : StoredUser{};
    }
    QList<AppendResult> send(SqlStore &store, const QList<NewMessage> &batch, bool *ok)
    {
        const auto appended = store.appendMessages(batch);
        *ok = !hasError(appended);
        return *ok ? std::get<QList<AppendResult>>(appended) : QList<AppendResult>{};
    }
    NewMessage msg(const StoredUser &sender, qint64 thread, const QString &text)
    {
        return NewMessage{thread, sender.user.id, newClientId(), text};
    }
    void checkCountersAgainstRows(SqlStore &store, const QList<StoredUser> &users);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<PgTestDatabase> m_pg;

private Q_SLOTS:
    void initTestCase()
    {
        // The store's progress notes would bury the test's own output.
        QLoggingCategory::setFilterRules(u"dpichat.server.store.info=false"_s);
    }
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        if (PgTestDatabase::wanted()) {
            m_pg = std::make_unique<PgTestDatabase>();
            QVERIFY2(m_pg->isValid(), qPrintable(m_pg->error()));
        }
    }
    void cleanup()
    {
        m_pg.reset();
        m_dir.reset();
    }

    void migratesEmptyDatabaseAndReopensWithoutChange();
    void migrationIsAllOrNothing();
    void addUser_data();
    void addUser();
    void duplicateEmailIsRefused();
    void userSetters();
    void appendIsIdempotent();
    void batchRollsBackOnFailure();
    void largeBatchSpansStatements_data();
    void largeBatchSpansStatements();
    void idsStrictlyIncreaseAndAreNeverReused();
    void historyPages_data();
    void historyPages();
    void syncPagesAndVisibility_data();
    void syncPagesAndVisibility();
    void readCursorMovesOnlyForwardAndIsClamped();
    void unreadAndReadUpToFromBothSides();
    void threadsOrderedByActivity();
    void sessions_data();
    void sessions();
    void sessionRevocation();
    void sessionTouchIsRare();
    void lastSeenInOneTransaction();
    void setRoleCreatesThread();
    void userStats();
    void countersMatchCountedRows();
    void migrationCountsExistingData();
    void teamCursorFollowsRoleChanges();
    void twoConnectionsSeeEachOthersWrites();
    void dataSurvivesCloseAndReopen();
};

void TestStore::migratesEmptyDatabaseAndReopensWithoutChange()
{
    {
        auto store = openStore();
        QVERIFY(store);
        TAKE(version, store->schemaVersion());
        QCOMPARE(version, latestSchemaVersion());
        QVERIFY(version >= 1);
        bool ok = false;
        addUser(*store, u"kept@example.com"_s, Role::Customer, &ok);
        QVERIFY(ok);
    }
    {
        RawDb raw(dbOptions());
        const QStringList tables = raw.db().tables();
        for (const auto &name : {u"users"_s, u"threads"_s, u"messages"_s, u"read_cursors"_s,
                                 u"sessions"_s, u"schema_version"_s})
            QVERIFY2(tables.contains(name), qPrintable(name));
        if (isSqlite())
            QCOMPARE(raw.scalar(u"PRAGMA journal_mode"_s).toString(), u"wal"_s);
        QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM schema_version"_s).toInt(),
                 latestSchemaVersion());
    }
    auto again = openStore();
    QVERIFY(again);
    TAKE(version, again->schemaVersion());
    QCOMPARE(version, latestSchemaVersion());
    TAKE(kept, again->userByEmail(u"kept@example.com"_s));
    QVERIFY(kept.has_value());
    QVERIFY(kept->threadId > 0);
    again->close();
    RawDb raw(dbOptions());
    QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM schema_version"_s).toInt(), latestSchemaVersion());
}

void TestStore::migrationIsAllOrNothing()
{
    RawDb raw(dbOptions());
    const QList<Migration> broken{
        {1, u"first"_s, {u"CREATE TABLE a (x INTEGER)"_s}},
        {2, u"second"_s, {u"CREATE TABLE b (x INTEGER)"_s, u"THIS IS NOT SQL"_s}},
    };
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"database failure"_s));
    QVERIFY(hasError(migrate(raw.db(), broken)));
    QVERIFY(!raw.db().tables().contains(u"a"_s));
    QVERIFY(!raw.db().tables().contains(u"b"_s));
    TAKE(before, schemaVersion(raw.db()));
    QCOMPARE(before, 0);

    QList<Migration> fixed = broken;
    fixed[1].statements.removeLast();
    TAKE(after, migrate(raw.db(), fixed));
    QCOMPARE(after, 2);
    QVERIFY(raw.db().tables().contains(u"b"_s));
    TAKE(noop, migrate(raw.db(), fixed));
    QCOMPARE(noop, 2);

    // A server older than its database must not touch it.
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(u"newer"_s));
    QVERIFY(hasError(migrate(raw.db(), fixed.mid(0, 1))));
}

void TestStore::addUser_data()
{
    QTest::addColumn<QString>("email");
    QTest::addColumn<Role>("role");
    QTest::addColumn<QString>("stored");
    QTest::newRow("customer") << u"  Alice@Example.COM "_s << Role::Customer
                              << u"alice@example.com"_s;
    QTest::newRow("member") << u"mem@example.com"_s << Role::Member << u"mem@example.com"_s;
    QTest::newRow("admin") << u"Boss@Designpi.com"_s << Role::Admin << u"boss@designpi.com"_s;
}

void TestStore::addUser()
{
    QFETCH(QString, email);
    QFETCH(Role, role);
    QFETCH(QString, stored);
    auto store = openStore();
    QVERIFY(store);
    const QByteArray hash("$argon2id$v=19$m=65536,t=2,p=1$\0salt", 36);
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    TAKE(added, store->addUser(email, u"Name"_s, role, hash));
    QCOMPARE(added.user.email, stored);
    QCOMPARE(added.user.role, role);
    QVERIFY(added.user.id > 0);
    QCOMPARE(added.threadId > 0, role != Role::Admin);
    QVERIFY(added.createdAt >= before && added.createdAt <= QDateTime::currentDateTimeUtc());

    TAKE(byEmail, store->userByEmail(stored.toUpper()));
    QVERIFY(byEmail.has_value());
    QCOMPARE(byEmail->user, added.user);
    QCOMPARE(byEmail->passwordHash, hash);
    QCOMPARE(byEmail->threadId, added.threadId);
    QCOMPARE(byEmail->createdAt, added.createdAt);
    QVERIFY(!byEmail->disabled);
    QVERIFY(!byEmail->user.lastSeen.has_value());
    TAKE(byId, store->userById(added.user.id));
    QVERIFY(byId.has_value());
    QCOMPARE(byId->user.email, stored);
    if (role != Role::Admin) {
        TAKE(owner, store->threadOwner(added.threadId));
        QCOMPARE(owner, std::optional<qint64>(added.user.id));
    }
    TAKE(missing, store->userByEmail(u"nobody@example.com"_s));
    QVERIFY(!missing.has_value());
}

void TestStore::duplicateEmailIsRefused()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    addUser(*store, u"bob@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    const auto again = store->addUser(u" BOB@example.com"_s, u"Other Bob"_s, Role::Member, "h"_ba);
    QVERIFY(hasError(again));
    QCOMPARE(std::get<ProtocolError>(again),
             (ProtocolError{ErrorCode::BadRequest, u"a user with this email already exists"_s}));
    TAKE(all, store->users());
    QCOMPARE(all.size(), 1);
    QCOMPARE(all.first().user.name, u"bob"_s);
    store->close();
    RawDb raw(dbOptions());
    QCOMPARE(raw.scalar(u"SELECT COUNT(*) FROM threads"_s).toInt(), 1); // Nothing half-made.
}

void TestStore::userSetters()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser u = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    const QDateTime seen = QDateTime::fromMSecsSinceEpoch(1'790'000'000'123, Qt::UTC);
    TAKE(a, store->setPasswordHash(u.user.id, "newhash"_ba));
    TAKE(b, store->setDisabled(u.user.id, true));
    TAKE(c, store->setLastSeen(u.user.id, seen));
    QVERIFY(a && b && c);
    TAKE(after, store->userById(u.user.id));
    QCOMPARE(after->passwordHash, "newhash"_ba);
    QVERIFY(after->disabled);
    QCOMPARE(after->user.lastSeen, std::optional<QDateTime>(seen));
    TAKE(threads, store->threadsFor(u.user));
    QCOMPARE(threads.first().owner.lastSeen, std::optional<QDateTime>(seen));
    TAKE(missing, store->setDisabled(9999, true));
    QVERIFY(!missing);
}

void TestStore::appendIsIdempotent()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser a = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    QVERIFY(ok);
    const NewMessage first = msg(c, c.threadId, u"hello"_s);
    NewMessage repeat = first;
    repeat.text = u"a retry with other text"_s;
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    const auto batch = send(*store, {first, msg(a, c.threadId, u"hi"_s), repeat}, &ok);
    QVERIFY(ok);
    QCOMPARE(batch.size(), 3);
    QVERIFY(batch[0].created);
    QVERIFY(batch[1].created);
    QVERIFY(!batch[2].created);
    QCOMPARE(batch[2].message, batch[0].message);
    QCOMPARE(batch[0].message.text, u"hello"_s);
    QCOMPARE(batch[0].message.senderName, u"c"_s);
    QCOMPARE(batch[1].message.senderName, u"a"_s);
    QCOMPARE(batch[0].message.clientId, first.clientId);
    QVERIFY(batch[0].message.createdAt >= before);
    QCOMPARE(batch[0].message.createdAt.timeSpec(), Qt::UTC);

    // Across batches, and the same clientId from another sender is another message.
    NewMessage otherSender = first;
    otherSender.sender = a.user.id;
    const auto later = send(*store, {repeat, otherSender}, &ok);
    QVERIFY(ok);
    QVERIFY(!later[0].created);
    QCOMPARE(later[0].message, batch[0].message);
    QVERIFY(later[1].created);
    QVERIFY(later[1].message.id > batch[1].message.id);
    TAKE(count, store->messageCount());
    QCOMPARE(count, 3);
}

void TestStore::batchRollsBackOnFailure()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"database failure"_s));
    const auto result = store->appendMessages({msg(c, c.threadId, u"one"_s),
                                               msg(c, 424242, u"no such thread"_s)});
    QVERIFY(hasError(result));
    QCOMPARE(std::get<ProtocolError>(result).code, ErrorCode::Internal);
    TAKE(count, store->messageCount());
    QCOMPARE(count, 0);
}

// A batch is stored through INSERTs of up to 32 rows each: repeats within one statement, in
// a later statement and of an earlier batch, and one client id from two senders in one
// statement, must come back as if the messages had been stored one by one.
void TestStore::largeBatchSpansStatements_data()
{
    QTest::addColumn<bool>("sqliteApi");
    QTest::newRow("QtSql") << false;
    if (!PgTestDatabase::wanted()) // init() has not run yet: m_pg says nothing here.
        QTest::newRow("SQLite's API") << true;
}

void TestStore::largeBatchSpansStatements()
{
    QFETCH(bool, sqliteApi);
    SqlStoreOptions options = dbOptions();
    options.sqliteApiInserts = sqliteApi;
    auto store = std::make_unique<SqlStore>(options);
    QVERIFY(!hasError(store->open()));
    // Debian's Qt plugin and this program link the same libsqlite3: the API path is taken.
    QCOMPARE(store->insertsThroughSqliteApi(), sqliteApi);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser m = addUser(*store, u"m@example.com"_s, Role::Member, &ok);
    const StoredUser a = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    QVERIFY(ok);
    const auto earlier = send(*store, {msg(c, c.threadId, u"earlier"_s)}, &ok);
    QVERIFY(ok);

    QList<NewMessage> batch;
    for (int i = 0; i < 100; ++i) {
        const StoredUser &who = i % 3 == 0 ? c : i % 3 == 1 ? m : a;
        batch.append(msg(who, who.user.role == Role::Admin ? m.threadId : who.threadId,
                         u"body %1"_s.arg(i)));
    }
    batch[36] = batch[35]; // The same statement.
    batch[40] = batch[5]; // A later statement.
    batch[70] = NewMessage{c.threadId, c.user.id, earlier[0].message.clientId, u"retry"_s};
    batch[10].clientId = batch[9].clientId; // Another sender: another message.
    QVERIFY(batch[10].sender != batch[9].sender);
    const QSet<int> repeats{36, 40, 70};

    const auto results = send(*store, batch, &ok);
    QVERIFY(ok);
    QCOMPARE(results.size(), batch.size());
    qint64 last = earlier[0].message.id;
    for (int i = 0; i < results.size(); ++i) {
        const AppendResult &r = results.at(i);
        QCOMPARE(r.created, !repeats.contains(i));
        if (!r.created)
            continue;
        QVERIFY2(r.message.id > last, qPrintable(u"message %1"_s.arg(i)));
        last = r.message.id;
        QCOMPARE(r.message.clientId, batch[i].clientId);
        QCOMPARE(r.message.sender, batch[i].sender);
        QCOMPARE(r.message.thread, batch[i].thread);
        QCOMPARE(r.message.text, batch[i].text);
    }
    QCOMPARE(results[36].message, results[35].message);
    QCOMPARE(results[40].message, results[5].message);
    QCOMPARE(results[70].message, earlier[0].message);
    TAKE(count, store->messageCount());
    QCOMPARE(count, 1 + 100 - repeats.size());
    checkCountersAgainstRows(*store, {c, m, a});
}

void TestStore::idsStrictlyIncreaseAndAreNeverReused()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c1 = addUser(*store, u"c1@example.com"_s, Role::Customer, &ok);
    const StoredUser c2 = addUser(*store, u"c2@example.com"_s, Role::Member, &ok);
    QVERIFY(ok);
    qint64 last = 0;
    for (int round = 0; round < 5; ++round) {
        const auto results = send(*store,
                                  {msg(c1, c1.threadId, u"x"_s), msg(c2, c2.threadId, u"y"_s),
                                   msg(c1, c1.threadId, u"z"_s)},
                                  &ok);
        QVERIFY(ok);
        for (const AppendResult &r : results) {
            QVERIFY2(r.message.id > last, qPrintable(QString::number(r.message.id)));
            last = r.message.id;
        }
    }
    {
        RawDb raw(dbOptions());
        QSqlQuery q(raw.db());
        QVERIFY(q.exec(u"DELETE FROM messages WHERE id = %1"_s.arg(last)));
    }
    const auto next = send(*store, {msg(c2, c2.threadId, u"after delete"_s)}, &ok);
    QVERIFY(ok);
    QVERIFY(next[0].message.id > last);
}

void TestStore::historyPages_data()
{
    QTest::addColumn<int>("total");
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("pages");
    QTest::newRow("three pages, last short") << 25 << 10 << 3;
    QTest::newRow("three exact pages") << 30 << 10 << 3;
    QTest::newRow("one short page") << 3 << 10 << 1;
    QTest::newRow("empty thread") << 0 << 10 << 1;
}

void TestStore::historyPages()
{
    QFETCH(int, total);
    QFETCH(int, limit);
    QFETCH(int, pages);
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser other = addUser(*store, u"o@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    QList<qint64> expected;
    for (int i = 0; i < total; ++i) {
        // Another thread's messages in between must not leak into this thread's pages.
        const auto r = send(*store,
                            {msg(c, c.threadId, QString::number(i)),
                             msg(other, other.threadId, u"elsewhere"_s)},
                            &ok);
        QVERIFY(ok);
        expected.append(r[0].message.id);
    }

    QList<qint64> seen;
    std::optional<qint64> before;
    int fetched = 0;
    for (bool more = true; more; ++fetched) {
        QVERIFY(fetched < pages);
        TAKE(page, store->history(c.threadId, before, limit));
        QVERIFY(page.messages.size() <= limit);
        QList<qint64> ids;
        for (const Message &m : page.messages) {
            QCOMPARE(m.thread, c.threadId);
            ids.append(m.id);
        }
        QVERIFY(std::is_sorted(ids.begin(), ids.end())); // Oldest first.
        seen = ids + seen;
        more = page.hasMore;
        if (!ids.isEmpty())
            before = ids.first();
    }
    QCOMPARE(fetched, pages);
    QCOMPARE(seen, expected);
}

void TestStore::syncPagesAndVisibility_data()
{
    QTest::addColumn<int>("viewer"); // 0: admin, 1: first customer, 2: second customer
    QTest::addColumn<int>("limit");
    QTest::newRow("admin, pages of 3") << 0 << 3;
    QTest::newRow("admin, one page") << 0 << 100;
    QTest::newRow("customer, pages of 2") << 1 << 2;
    QTest::newRow("other customer, pages of 1") << 2 << 1;
}

void TestStore::syncPagesAndVisibility()
{
    QFETCH(int, viewer);
    QFETCH(int, limit);
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser admin = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    const StoredUser c1 = addUser(*store, u"c1@example.com"_s, Role::Customer, &ok);
    const StoredUser c2 = addUser(*store, u"c2@example.com"_s, Role::Member, &ok);
    QVERIFY(ok);
    const QList<StoredUser> people{admin, c1, c2};
    QList<QList<qint64>> visible(3);
    for (int i = 0; i < 4; ++i) {
        const auto r = send(*store,
                            {msg(c1, c1.threadId, u"q"_s), msg(admin, c1.threadId, u"a"_s),
                             msg(c2, c2.threadId, u"q2"_s)},
                            &ok);
        QVERIFY(ok);
        visible[0] << r[0].message.id << r[1].message.id << r[2].message.id;
        visible[1] << r[0].message.id << r[1].message.id;
        visible[2] << r[2].message.id;
    }
    const User &who = people[viewer].user;
    QList<qint64> seen;
    qint64 after = 0;
    for (bool more = true; more;) {
        TAKE(page, store->sync(who, after, limit));
        QVERIFY(page.messages.size() <= limit);
        QVERIFY(!page.messages.isEmpty());
        for (const Message &m : page.messages) {
            QVERIFY(m.id > after);
            after = m.id;
            seen.append(m.id);
        }
        more = page.hasMore;
    }
    QCOMPARE(seen, visible[viewer]);
    TAKE(nothing, store->sync(who, after, limit));
    QVERIFY(nothing.messages.isEmpty());
    QVERIFY(!nothing.hasMore);
}

void TestStore::readCursorMovesOnlyForwardAndIsClamped()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser other = addUser(*store, u"o@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    TAKE(empty, store->advanceReadCursor(c.threadId, c.user.id, 5));
    QVERIFY(!empty.has_value()); // Nothing to read yet.

    const auto r = send(*store,
                        {msg(c, c.threadId, u"1"_s), msg(c, c.threadId, u"2"_s),
                         msg(c, c.threadId, u"3"_s), msg(other, other.threadId, u"later"_s)},
                        &ok);
    QVERIFY(ok);
    const qint64 id1 = r[0].message.id, id2 = r[1].message.id, id3 = r[2].message.id;
    const qint64 elsewhere = r[3].message.id;

    const auto advance = [&](qint64 upTo) {
        return store->advanceReadCursor(c.threadId, c.user.id, upTo);
    };
    TAKE(to2, advance(id2));
    QCOMPARE(to2, std::optional<qint64>(id2));
    TAKE(back, advance(id1));
    QVERIFY(!back.has_value());
    TAKE(same, advance(id2));
    QVERIFY(!same.has_value());
    // Clamped to this thread's newest, even though a later id exists in another thread.
    TAKE(far, advance(elsewhere + 1000));
    QCOMPARE(far, std::optional<qint64>(id3));
    TAKE(again, advance(elsewhere));
    QVERIFY(!again.has_value());
    TAKE(thread, store->threadFor(c.threadId, c.user));
    QCOMPARE(thread->readUpToOwner, id3);
}

void TestStore::unreadAndReadUpToFromBothSides()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser a1 = addUser(*store, u"a1@example.com"_s, Role::Admin, &ok);
    const StoredUser a2 = addUser(*store, u"a2@example.com"_s, Role::Admin, &ok);
    QVERIFY(ok);
    const auto r = send(*store,
                        {msg(c, c.threadId, u"q1"_s), msg(c, c.threadId, u"q2"_s),
                         msg(a1, c.threadId, u"a1"_s), msg(c, c.threadId, u"q3"_s),
                         msg(a1, c.threadId, u"a2"_s)},
                        &ok);
    QVERIFY(ok);
    const auto view = [&](const StoredUser &who) {
        return store->threadFor(c.threadId, who.user);
    };
    {
        TAKE(byCustomer, view(c));
        TAKE(byA1, view(a1));
        TAKE(byA2, view(a2));
        QCOMPARE(byCustomer->unread, 2); // The team's two answers.
        QCOMPARE(byA1->unread, 3);       // The customer's three questions.
        QCOMPARE(byA2->unread, 5);       // Everything: a1's answers are not a2's own.
        QCOMPARE(byA1->readUpToOwner, 0);
        QCOMPARE(byA1->readUpToTeam, 0);
    }
    QVERIFY(!hasError(store->advanceReadCursor(c.threadId, a2.user.id, r[1].message.id)));
    QVERIFY(!hasError(store->advanceReadCursor(c.threadId, a1.user.id, r[3].message.id)));
    QVERIFY(!hasError(store->advanceReadCursor(c.threadId, c.user.id, r[2].message.id)));
    {
        TAKE(byCustomer, view(c));
        QCOMPARE(byCustomer->unread, 1);
        QCOMPARE(byCustomer->readUpToOwner, r[2].message.id);
    }
    // The owner now ahead of every admin: the team's cursor must still be the admins' own.
    QVERIFY(!hasError(store->advanceReadCursor(c.threadId, c.user.id, r[4].message.id)));
    TAKE(byCustomer, view(c));
    TAKE(byA1, view(a1));
    TAKE(byA2, view(a2));
    QCOMPARE(byCustomer->unread, 0);
    QCOMPARE(byA1->unread, 0);
    QCOMPARE(byA2->unread, 3);
    for (const auto &t : {*byCustomer, *byA1, *byA2}) {
        QCOMPARE(t.readUpToOwner, r[4].message.id);
        QCOMPARE(t.readUpToTeam, r[3].message.id); // The furthest admin.
        QVERIFY(t.lastMessage.has_value());
        QCOMPARE(*t.lastMessage, r[4].message);
        QCOMPARE(t.owner.id, c.user.id);
        QVERIFY(!t.owner.online);
    }
}

void TestStore::threadsOrderedByActivity()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser admin = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    QList<StoredUser> cs;
    for (int i = 0; i < 4; ++i)
        cs.append(addUser(*store, u"c%1@example.com"_s.arg(i), Role::Customer, &ok));
    QVERIFY(ok);
    send(*store, {msg(cs[0], cs[0].threadId, u"first"_s)}, &ok);
    send(*store, {msg(cs[1], cs[1].threadId, u"second"_s)}, &ok);
    const auto last = send(*store, {msg(admin, cs[0].threadId, u"answer"_s)}, &ok);
    QVERIFY(ok);

    TAKE(inbox, store->threadsFor(admin.user));
    QList<qint64> order;
    for (const Thread &t : inbox)
        order.append(t.id);
    // Active threads by newest message, then silent ones, newest thread first.
    const QList<qint64> expected{cs[0].threadId, cs[1].threadId, cs[3].threadId, cs[2].threadId};
    QCOMPARE(order, expected);
    QCOMPARE(inbox[0].lastMessage, std::optional<Message>(last[0].message));
    QCOMPARE(inbox[0].lastMessage->senderName, u"a"_s);
    QCOMPARE(inbox[1].lastMessage->text, u"second"_s);
    QVERIFY(!inbox[2].lastMessage.has_value());
    QCOMPARE(inbox[2].owner.email, u"c3@example.com"_s);

    TAKE(own, store->threadsFor(cs[1].user));
    QCOMPARE(own.size(), 1);
    QCOMPARE(own[0].id, cs[1].threadId);
    TAKE(none, store->threadFor(987654, admin.user));
    QVERIFY(!none.has_value());
    TAKE(noOwner, store->threadOwner(987654));
    QVERIFY(!noOwner.has_value());
    TAKE(maxId, store->maxThreadId());
    QCOMPARE(maxId, cs[3].threadId);
}

void TestStore::sessions_data()
{
    QTest::addColumn<qint64>("askedAtFromExpiry"); // ms relative to the expiry time
    QTest::addColumn<bool>("valid");
    QTest::newRow("long before expiry") << qint64(-3'600'000) << true;
    QTest::newRow("just before expiry") << qint64(-1) << true;
    QTest::newRow("at expiry") << qint64(0) << false;
    QTest::newRow("after expiry") << qint64(60'000) << false;
}

void TestStore::sessions()
{
    QFETCH(qint64, askedAtFromExpiry);
    QFETCH(bool, valid);
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    const QByteArray hash = QByteArray(32, '\x7f') + QByteArray(1, '\0');
    const QDateTime expires = QDateTime::currentDateTimeUtc().addDays(30);
    TAKE(added, store->addSession(hash, c.user.id, expires));
    QVERIFY(added);
    const QDateTime asked = expires.addMSecs(askedAtFromExpiry);
    TAKE(user, store->sessionUser(hash, asked));
    QCOMPARE(user.has_value(), valid);
    if (valid) {
        QCOMPARE(*user, c.user.id);
        store->close();
        RawDb raw(dbOptions());
        QCOMPARE(raw.scalar(u"SELECT last_used FROM sessions"_s).toLongLong(),
                 asked.toMSecsSinceEpoch());
    }
}

void TestStore::sessionTouchIsRare()
{
    // A token login within kSessionTouchInterval of the last recorded use writes nothing;
    // one after it records the new time.
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    const QByteArray hash(32, '\x42');
    const QDateTime created = QDateTime::currentDateTimeUtc();
    TAKE(added, store->addSession(hash, c.user.id, created.addDays(30)));
    QVERIFY(added);
    const auto lastUsed = [&] {
        RawDb raw(dbOptions());
        return raw.scalar(u"SELECT last_used FROM sessions"_s).toLongLong();
    };
    const qint64 recorded = lastUsed();
    const QDateTime soon = QDateTime::fromMSecsSinceEpoch(recorded).addSecs(60);
    TAKE(first, store->sessionUser(hash, soon));
    QCOMPARE(first, std::optional<qint64>(c.user.id));
    QCOMPARE(lastUsed(), recorded);
    const QDateTime later = QDateTime::fromMSecsSinceEpoch(recorded)
                                .addMSecs(kSessionTouchInterval.count() + 1);
    TAKE(second, store->sessionUser(hash, later));
    QCOMPARE(second, std::optional<qint64>(c.user.id));
    QCOMPARE(lastUsed(), later.toMSecsSinceEpoch());
}

void TestStore::lastSeenInOneTransaction()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser a = addUser(*store, u"a@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    const StoredUser b = addUser(*store, u"b@example.com"_s, Role::Member, &ok);
    QVERIFY(ok);
    const QDateTime seenA = QDateTime::fromMSecsSinceEpoch(1'790'000'000'001, Qt::UTC);
    const QDateTime seenB = QDateTime::fromMSecsSinceEpoch(1'790'000'000'002, Qt::UTC);
    TAKE(set, store->setLastSeen(QHash<qint64, QDateTime>{{a.user.id, seenA}, {b.user.id, seenB}}));
    QVERIFY(set);
    TAKE(afterA, store->userById(a.user.id));
    TAKE(afterB, store->userById(b.user.id));
    QCOMPARE(afterA->user.lastSeen, std::optional<QDateTime>(seenA));
    QCOMPARE(afterB->user.lastSeen, std::optional<QDateTime>(seenB));
    TAKE(none, store->setLastSeen(QHash<qint64, QDateTime>{}));
    QVERIFY(none);
}

void TestStore::sessionRevocation()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser d = addUser(*store, u"d@example.com"_s, Role::Member, &ok);
    QVERIFY(ok);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime expires = now.addDays(1);
    for (const char *h : {"c-one", "c-two", "d-one"})
        QVERIFY(!hasError(store->addSession(QByteArray(h), h[0] == 'c' ? c.user.id : d.user.id,
                                            expires)));
    TAKE(unknown, store->sessionUser("nope"_ba, now));
    QVERIFY(!unknown.has_value());

    TAKE(revoked, store->revokeSession("c-one"_ba));
    QVERIFY(revoked);
    TAKE(twice, store->revokeSession("c-one"_ba));
    QVERIFY(!twice);
    TAKE(gone, store->sessionUser("c-one"_ba, now));
    QVERIFY(!gone.has_value());
    TAKE(stillThere, store->sessionUser("c-two"_ba, now));
    QCOMPARE(stillThere, std::optional<qint64>(c.user.id));

    TAKE(all, store->revokeUserSessions(c.user.id));
    QVERIFY(all);
    TAKE(two, store->sessionUser("c-two"_ba, now));
    QVERIFY(!two.has_value());
    TAKE(other, store->sessionUser("d-one"_ba, now));
    QCOMPARE(other, std::optional<qint64>(d.user.id));

    // A disabled user's token stops working at once.
    QVERIFY(!hasError(store->setDisabled(d.user.id, true)));
    TAKE(disabled, store->sessionUser("d-one"_ba, now));
    QVERIFY(!disabled.has_value());
}

void TestStore::setRoleCreatesThread()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser admin = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    const StoredUser boss = addUser(*store, u"boss@example.com"_s, Role::Admin, &ok);
    QVERIFY(ok);
    QCOMPARE(boss.threadId, 0);
    TAKE(inboxBefore, store->threadsFor(admin.user));
    QVERIFY(inboxBefore.isEmpty());
    TAKE(noThreads, store->maxThreadId());
    QCOMPARE(noThreads, 0);

    TAKE(changed, store->setRole(boss.user.id, Role::Member));
    QVERIFY(changed);
    TAKE(member, store->userById(boss.user.id));
    QCOMPARE(member->user.role, Role::Member);
    QVERIFY(member->threadId > 0);
    TAKE(inbox, store->threadsFor(admin.user));
    QCOMPARE(inbox.size(), 1);
    QCOMPARE(inbox[0].id, member->threadId);
    QCOMPARE(inbox[0].owner.role, Role::Member);

    // Back to admin and out again: the same thread, not a second one.
    QVERIFY(!hasError(store->setRole(boss.user.id, Role::Admin)));
    TAKE(promoted, store->userById(boss.user.id));
    QCOMPARE(promoted->threadId, 0);
    QVERIFY(!hasError(store->setRole(boss.user.id, Role::Customer)));
    TAKE(customer, store->userById(boss.user.id));
    QCOMPARE(customer->threadId, member->threadId);
    TAKE(noSuchUser, store->setRole(4242, Role::Customer));
    QVERIFY(!noSuchUser);
}

void TestStore::userStats()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser a = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    const StoredUser c1 = addUser(*store, u"c1@example.com"_s, Role::Customer, &ok);
    const StoredUser c2 = addUser(*store, u"c2@example.com"_s, Role::Member, &ok);
    QVERIFY(ok);
    const auto r = send(*store,
                        {msg(c1, c1.threadId, u"1"_s), msg(a, c1.threadId, u"2"_s),
                         msg(c1, c1.threadId, u"3"_s), msg(a, c1.threadId, u"4"_s),
                         msg(a, c1.threadId, u"5"_s), msg(c2, c2.threadId, u"6"_s)},
                        &ok);
    QVERIFY(ok);
    QVERIFY(!hasError(store->advanceReadCursor(c1.threadId, a.user.id, r[0].message.id)));
    QVERIFY(!hasError(store->advanceReadCursor(c2.threadId, c2.user.id, r[5].message.id)));
    TAKE(stats, store->userStats());
    QCOMPARE(stats.size(), 3);
    QCOMPARE(stats[0].userId, a.user.id);
    QCOMPARE(stats[0].role, Role::Admin);
    QCOMPARE(stats[0].email, u"a@example.com"_s);
    QCOMPARE(stats[0].sent, 3);
    QCOMPARE(stats[0].unread, 2); // "3" in c1's thread and "6" in c2's.
    QCOMPARE(stats[1].sent, 2);
    QCOMPARE(stats[1].unread, 3);
    QCOMPARE(stats[2].sent, 1);
    QCOMPARE(stats[2].unread, 0);
    TAKE(total, store->messageCount());
    QCOMPARE(total, 6);
}

void TestStore::twoConnectionsSeeEachOthersWrites()
{
    auto first = openStore();
    auto second = openStore();
    QVERIFY(first && second);
    bool ok = false;
    const StoredUser c = addUser(*first, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    for (int i = 0; i < 3; ++i) {
        // Alternating, so that a statement left holding an old snapshot would show.
        SqlStore &writer = i % 2 ? *second : *first;
        SqlStore &reader = i % 2 ? *first : *second;
        const auto r = send(writer, {msg(c, c.threadId, QString::number(i))}, &ok);
        QVERIFY(ok);
        TAKE(page, reader.history(c.threadId, std::nullopt, 10));
        QCOMPARE(page.messages.size(), i + 1);
        QCOMPARE(page.messages.constLast().id, r[0].message.id);
        TAKE(synced, reader.sync(c.user, 0, 10));
        QCOMPARE(synced.messages.size(), i + 1);
    }
}

void TestStore::dataSurvivesCloseAndReopen()
{
    StoredUser c;
    StoredUser a;
    QList<AppendResult> sent;
    const QDateTime expires = QDateTime::currentDateTimeUtc().addDays(1);
    {
        auto store = openStore();
        QVERIFY(store);
        bool ok = false;
        c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
        a = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
        QVERIFY(ok);
        sent = send(*store, {msg(c, c.threadId, u"before restart"_s), msg(a, c.threadId, u"ok"_s)},
                    &ok);
        QVERIFY(ok);
        QVERIFY(!hasError(store->advanceReadCursor(c.threadId, c.user.id, sent[1].message.id)));
        QVERIFY(!hasError(store->addSession("token-hash"_ba, c.user.id, expires)));
        store->close();
        QVERIFY(!store->isOpen());
    }
    auto store = openStore();
    QVERIFY(store);
    TAKE(page, store->history(c.threadId, std::nullopt, 50));
    QCOMPARE(page.messages.size(), 2);
    QCOMPARE(page.messages[0], sent[0].message);
    QCOMPARE(page.messages[1], sent[1].message);
    TAKE(thread, store->threadFor(c.threadId, a.user));
    QCOMPARE(thread->readUpToOwner, sent[1].message.id);
    QCOMPARE(thread->unread, 1);
    TAKE(session, store->sessionUser("token-hash"_ba, QDateTime::currentDateTimeUtc()));
    QCOMPARE(session, std::optional<qint64>(c.user.id));
    // A retry after the restart still finds the original.
    bool ok = false;
    const auto retry = send(*store, {NewMessage{c.threadId, c.user.id, sent[0].message.clientId,
                                                u"before restart"_s}},
                            &ok);
    QVERIFY(ok);
    QVERIFY(!retry[0].created);
    QCOMPARE(retry[0].message, sent[0].message);
    const auto fresh = send(*store, {msg(c, c.threadId, u"after"_s)}, &ok);
    QVERIFY(ok);
    QVERIFY(fresh[0].message.id > sent[1].message.id);
}

// Every thread as each user sees it, against what counting the rows gives: the counters that
// schema step 2 keeps (docs/performance.md, "Big data") must always say what PROTOCOL.md
// defines: unread, readUpTo.owner, readUpTo.team, lastMessage, and the inbox's order.
void TestStore::checkCountersAgainstRows(SqlStore &store, const QList<StoredUser> &users)
{
    RawDb raw(dbOptions());
    const auto count = [&](const QString &sql) { return raw.scalar(sql).toLongLong(); };
    for (const StoredUser &viewer : users) {
        TAKE(threads, store.threadsFor(viewer.user));
        qint64 previousLast = std::numeric_limits<qint64>::max();
        for (const Thread &t : threads) {
            const QByteArray where = u"viewer %1, thread %2"_s.arg(viewer.user.id).arg(t.id).toUtf8();
            const qint64 last = count(u"SELECT COALESCE(MAX(id), 0) FROM messages WHERE thread = %1"_s
                                              .arg(t.id));
            const qint64 unread = count(
                    u"SELECT COUNT(*) FROM messages m WHERE m.thread = %1 AND m.sender <> %2 "
                    u"AND m.id > COALESCE((SELECT up_to FROM read_cursors "
                    u"WHERE thread = %1 AND user_id = %2), 0)"_s.arg(t.id).arg(viewer.user.id));
            const qint64 owner = count(u"SELECT COALESCE(MAX(up_to), 0) FROM read_cursors "
                                       u"WHERE thread = %1 AND user_id = %2"_s.arg(t.id).arg(
                                               t.owner.id));
            const qint64 team = count(
                    u"SELECT COALESCE(MAX(rc.up_to), 0) FROM read_cursors rc JOIN users a "
                    u"ON a.id = rc.user_id WHERE rc.thread = %1 AND a.role = 'admin'"_s.arg(t.id));
            QVERIFY2(t.unread == unread, where.constData());
            QVERIFY2(t.readUpToOwner == owner, where.constData());
            QVERIFY2(t.readUpToTeam == team, where.constData());
            QVERIFY2(t.lastMessage.has_value() == (last > 0), where.constData());
            if (t.lastMessage) {
                // The thread's copy of its newest message is that message, field for field.
                TAKE(newest, store.history(t.id, std::nullopt, 1));
                QVERIFY2(newest.messages.size() == 1, where.constData());
                QVERIFY2(newest.messages.constFirst().id == last, where.constData());
                QVERIFY2(*t.lastMessage == newest.messages.constFirst(), where.constData());
            }
            QVERIFY2(last <= previousLast, where.constData()); // Newest activity first.
            previousLast = last;
        }
    }
}

void TestStore::countersMatchCountedRows()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    QList<StoredUser> admins, owners;
    for (int i = 0; i < 2; ++i)
        admins.append(addUser(*store, u"a%1@example.com"_s.arg(i), Role::Admin, &ok));
    for (int i = 0; i < 3; ++i)
        owners.append(addUser(*store, u"c%1@example.com"_s.arg(i),
                              i == 2 ? Role::Member : Role::Customer, &ok));
    QVERIFY(ok);
    QRandomGenerator rng(20261125);
    QList<NewMessage> sent;
    qint64 newest = 0;
    for (int step = 1; step <= 200; ++step) {
        const StoredUser &owner = owners.at(rng.bounded(int(owners.size())));
        const StoredUser &admin = admins.at(rng.bounded(int(admins.size())));
        if (rng.bounded(10) < 6) {
            QList<NewMessage> batch;
            for (int n = 1 + rng.bounded(4); n > 0; --n) {
                const StoredUser &other = owners.at(rng.bounded(int(owners.size())));
                const StoredUser &sender = rng.bounded(2) ? other : admin;
                // Now and then a resend: stored once, counted once.
                if (!sent.isEmpty() && rng.bounded(8) == 0)
                    batch.append(sent.at(rng.bounded(int(sent.size()))));
                else
                    batch.append(msg(sender, other.threadId, u"m%1"_s.arg(step)));
            }
            const auto results = send(*store, batch, &ok);
            QVERIFY(ok);
            for (qsizetype i = 0; i < batch.size(); ++i) {
                sent.append(batch.at(i));
                newest = std::max(newest, results.at(i).message.id);
            }
        } else {
            const StoredUser &reader = rng.bounded(2) ? owner : admin;
            const qint64 upTo = rng.bounded(int(newest + 3));
            QVERIFY(!hasError(store->advanceReadCursor(owner.threadId, reader.user.id, upTo)));
        }
        if (step % 40 == 0) {
            checkCountersAgainstRows(*store, admins + owners);
            if (QTest::currentTestFailed())
                return;
        }
    }
}

void TestStore::migrationCountsExistingData()
{
    // A database of schema version 1 with messages and cursors, as a server before the
    // counters left it.
    qint64 a1 = 0, a2 = 0, c1 = 0, c2 = 0, t1 = 0, t2 = 0;
    {
        RawDb raw(dbOptions());
        TAKE(v1, migrate(raw.db(), schemaMigrations(dbOptions().driver).mid(0, 1)));
        QCOMPARE(v1, 1);
        const auto insert = [&](const QString &sql) { return raw.scalar(sql).toLongLong(); };
        const auto user = [&](const QString &name, const QString &role) {
            return insert(u"INSERT INTO users (email, name, role, password_hash, created_at) "
                          u"VALUES ('%1@example.com', '%1', '%2', 'h', 0) RETURNING id"_s.arg(
                                  name, role));
        };
        a1 = user(u"a1"_s, u"admin"_s);
        a2 = user(u"a2"_s, u"admin"_s);
        c1 = user(u"c1"_s, u"customer"_s);
        c2 = user(u"c2"_s, u"member"_s);
        const auto thread = [&](qint64 owner) {
            return insert(u"INSERT INTO threads (owner, kind, created_at) "
                          u"VALUES (%1, 'support', 0) RETURNING id"_s.arg(owner));
        };
        t1 = thread(c1);
        t2 = thread(c2);
        QList<qint64> ids;
        const QList<std::pair<qint64, qint64>> rows{{t1, c1}, {t1, c1}, {t1, a1}, {t2, c2},
                                                    {t1, a2}, {t1, c1}, {t2, a1}};
        for (const auto &[t, sender] : rows) {
            ids.append(insert(u"INSERT INTO messages (thread, sender, client_id, body, created_at) "
                              u"VALUES (%1, %2, 'k%3', 'x', 0) RETURNING id"_s.arg(t).arg(sender).arg(
                                      ids.size())));
        }
        QSqlQuery q(raw.db());
        for (const auto &[t, u, upTo] : {std::tuple{t1, a1, ids[2]}, std::tuple{t1, c1, ids[5]},
                                          std::tuple{t2, a2, ids[3]}})
            QVERIFY(q.exec(u"INSERT INTO read_cursors (thread, user_id, up_to) VALUES (%1, %2, %3)"_s
                                   .arg(t).arg(u).arg(upTo)));
    }
    auto store = openStore(); // Migrates to the newest version.
    QVERIFY(store);
    TAKE(version, store->schemaVersion());
    QCOMPARE(version, latestSchemaVersion());
    QList<StoredUser> users;
    for (const qint64 id : {a1, a2, c1, c2}) {
        TAKE(u, store->userById(id));
        QVERIFY(u.has_value());
        users.append(*u);
    }
    checkCountersAgainstRows(*store, users);
    if (QTest::currentTestFailed())
        return;
    TAKE(byA1, store->threadFor(t1, users[0].user));
    QCOMPARE(byA1->unread, 2); // a2's answer and c1's last question.
    // The trigger and the cursor code carry on from the recounted figures.
    bool ok = false;
    send(*store, {msg(users[2], t1, u"again"_s), msg(users[1], t2, u"hello"_s)}, &ok);
    QVERIFY(ok);
    QVERIFY(!hasError(store->advanceReadCursor(t2, c2, 1'000'000)));
    QVERIFY(!hasError(store->advanceReadCursor(t1, a2, 1'000'000)));
    checkCountersAgainstRows(*store, users);
}

void TestStore::teamCursorFollowsRoleChanges()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser a1 = addUser(*store, u"a1@example.com"_s, Role::Admin, &ok);
    const StoredUser a2 = addUser(*store, u"a2@example.com"_s, Role::Admin, &ok);
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    const auto r = send(*store,
                        {msg(c, c.threadId, u"1"_s), msg(c, c.threadId, u"2"_s),
                         msg(c, c.threadId, u"3"_s)},
                        &ok);
    QVERIFY(ok);
    QVERIFY(!hasError(store->advanceReadCursor(c.threadId, a1.user.id, r[0].message.id)));
    QVERIFY(!hasError(store->advanceReadCursor(c.threadId, a2.user.id, r[2].message.id)));
    TAKE(before, store->threadFor(c.threadId, c.user));
    QCOMPARE(before->readUpToTeam, r[2].message.id);
    // An admin who leaves the team takes their cursor out of the team's.
    QVERIFY(!hasError(store->setRole(a2.user.id, Role::Member)));
    TAKE(demoted, store->threadFor(c.threadId, c.user));
    QCOMPARE(demoted->readUpToTeam, r[0].message.id);
    QVERIFY(!hasError(store->setRole(a2.user.id, Role::Admin)));
    TAKE(back, store->threadFor(c.threadId, c.user));
    QCOMPARE(back->readUpToTeam, r[2].message.id);
    TAKE(a2again, store->userById(a2.user.id));
    checkCountersAgainstRows(*store, {a1, *a2again, c});
}

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
