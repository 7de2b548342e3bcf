// The Store on SQLite and PostgreSQL: migrations, history and sync pages, read cursors, thread
// lists, and what survives a reopen. Appending is in tst_storeappend.

#include "storefixture.h"

using namespace storetest;

class TestStore : public QObject, protected StoreFixture
{
    Q_OBJECT

private Q_SLOTS:
    void init() { setUp(); }
    void cleanup() { tearDown(); }

    void migratesEmptyDatabaseAndReopensWithoutChange();
    void migrationIsAllOrNothing();
    void clientIdFirstMigrationKeepsMessagesAndIds();
    void historyPages_data();
    void historyPages();
    void syncPagesAndVisibility_data();
    void syncPagesAndVisibility();
    void readCursorMovesOnlyForwardAndIsClamped();
    void unreadAndReadUpToFromBothSides();
    void threadsOrderedByActivity();
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

void TestStore::clientIdFirstMigrationKeepsMessagesAndIds()
{
    // A database of schema version 5, with messages, one of them the last, and on SQLite an
    // AUTOINCREMENT counter above every stored id (a skipped insert uses up an id): version 6
    // makes (client_id, sender) the unique index and must keep every row, id and the counter.
    const QList<Migration> steps = schemaMigrations(dbOptions().driver);
    QVERIFY(steps.constLast().version >= 6);
    qint64 highestUsed = 0;
    QList<std::tuple<qint64, qint64, QString, QString>> rows; // id, sender, clientId, body
    qint64 customer = 0, thread = 0;
    {
        RawDb raw(dbOptions());
        TAKE(v5, migrate(raw.db(), steps.mid(0, 5)));
        QCOMPARE(v5, 5);
        customer = raw.scalar(u"INSERT INTO users (email, name, role, password_hash, created_at) "
                              u"VALUES ('c@example.com', 'c', 'customer', 'h', 0) RETURNING id"_s)
                           .toLongLong();
        thread = raw.scalar(u"INSERT INTO threads (owner, kind, created_at) "
                            u"VALUES (%1, 'support', 0) RETURNING id"_s.arg(customer))
                         .toLongLong();
        QVERIFY(customer > 0 && thread > 0);
        for (int i = 0; i < 5; ++i) {
            const QString clientId = u"0190a2b3-c4d5-7e6f-8%1a-0123456789ab"_s.arg(i, 2, 10, QLatin1Char('0'));
            const QString body = u"before %1"_s.arg(i);
            const qint64 id = raw.scalar(
                    u"INSERT INTO messages (thread, sender, client_id, body, created_at) "
                    u"VALUES (%1, %2, '%3', '%4', %5) RETURNING id"_s.arg(thread).arg(customer)
                            .arg(clientId, body).arg(1000 + i)).toLongLong();
            QVERIFY(id > 0);
            rows.append({id, customer, clientId, body});
        }
        highestUsed = std::get<0>(rows.constLast());
        if (isSqlite()) {
            QSqlQuery q(raw.db());
            QVERIFY(q.exec(u"UPDATE sqlite_sequence SET seq = seq + 7 WHERE name = 'messages'"_s));
            highestUsed += 7;
        }
    }
    auto store = openStore(); // migrates to version 6
    QVERIFY(store);
    TAKE(version, store->schemaVersion());
    QCOMPARE(version, latestSchemaVersion());
    store->close();
    {
        RawDb raw(dbOptions());
        QSqlQuery q(raw.db());
        QVERIFY(q.exec(u"SELECT id, sender, client_id, body FROM messages ORDER BY id"_s));
        QList<std::tuple<qint64, qint64, QString, QString>> after;
        while (q.next())
            after.append({q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toString(),
                          q.value(3).toString()});
        QCOMPARE(after, rows);
        // The unique index leads with the clientId.
        QStringList columns;
        if (isSqlite()) {
            QVERIFY(q.exec(u"SELECT name FROM pragma_index_list('messages') WHERE \"unique\" = 1 "
                           u"AND origin <> 'pk'"_s));
            QVERIFY(q.next());
            const QString index = q.value(0).toString();
            QVERIFY(!q.next()); // one, not two
            QVERIFY(q.exec(u"SELECT name FROM pragma_index_info('%1') ORDER BY seqno"_s.arg(index)));
            while (q.next())
                columns.append(q.value(0).toString());
            QVERIFY(q.exec(u"SELECT COUNT(*) FROM sqlite_master WHERE name = 'messages_rebuilt'"_s));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 0);
        } else {
            QVERIFY(q.exec(u"SELECT a.attname FROM pg_index i "
                           u"JOIN pg_attribute a ON a.attrelid = i.indrelid "
                           u"  AND a.attnum = ANY(i.indkey) "
                           u"WHERE i.indrelid = 'messages'::regclass AND i.indisunique "
                           u"  AND NOT i.indisprimary "
                           u"ORDER BY array_position(i.indkey::int2[], a.attnum)"_s));
            while (q.next())
                columns.append(q.value(0).toString());
        }
        QCOMPARE(columns, (QStringList{u"client_id"_s, u"sender"_s}));
    }
    // The store carries on: an old clientId returns its message, a new one gets an id above
    // every id used before the migration.
    store = openStore();
    QVERIFY(store);
    TAKE(customerUser, store->userById(customer));
    QVERIFY(customerUser.has_value());
    const auto &[oldId, oldSender, oldClientId, oldBody] = rows.at(2);
    bool ok = false;
    const QList<AppendResult> results = send(
            *store,
            {NewMessage{thread, customer, oldClientId, u"again"_s}, msg(*customerUser, thread, u"new"_s)},
            &ok);
    QVERIFY(ok);
    QCOMPARE(results.size(), 2);
    QVERIFY(!results[0].created);
    QCOMPARE(results[0].message.id, oldId);
    QCOMPARE(results[0].message.text, oldBody);
    QVERIFY(results[1].created);
    QVERIFY2(results[1].message.id > highestUsed,
             qPrintable(u"%1 after %2"_s.arg(results[1].message.id).arg(highestUsed)));
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

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
