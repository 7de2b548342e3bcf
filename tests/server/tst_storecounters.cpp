// The counters of schema step 2 (unread, read cursors, last message) against counted rows:
// after random appends and reads, after migrating a version-1 database, across role changes,
// and for large batches stored through several INSERTs.

#include "storefixture.h"

using namespace storetest;

class TestStoreCounters : public QObject, protected StoreFixture
{
    Q_OBJECT

private Q_SLOTS:
    void init() { setUp(); }
    void cleanup() { tearDown(); }

    void largeBatchSpansStatements_data();
    void largeBatchSpansStatements();
    void countersMatchCountedRows();
    void migrationCountsExistingData();
    void teamCursorFollowsRoleChanges();
};

// A batch is stored through INSERTs of up to 32 rows each: repeats within one statement, in
// a later statement and of an earlier batch, and one client id from two senders in one
// statement, must come back as if the messages had been stored one by one.
void TestStoreCounters::largeBatchSpansStatements_data()
{
    QTest::addColumn<bool>("sqliteApi");
    QTest::newRow("QtSql") << false;
    if (!PgTestDatabase::wanted()) // init() has not run yet: m_pg says nothing here.
        QTest::newRow("SQLite's API") << true;
}

void TestStoreCounters::largeBatchSpansStatements()
{
    QFETCH(bool, sqliteApi);
    auto store = openStoreThrough(sqliteApi);
    QVERIFY(store);
    // Debian's Qt plugin and this program link the same libsqlite3: the API path is taken.
    QCOMPARE(store->usesNativeApi(), sqliteApi);
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

void TestStoreCounters::countersMatchCountedRows()
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

void TestStoreCounters::migrationCountsExistingData()
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

void TestStoreCounters::teamCursorFollowsRoleChanges()
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

QTEST_GUILESS_MAIN(TestStoreCounters)
#include "tst_storecounters.moc"
