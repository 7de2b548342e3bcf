// The Store's users and sessions: adding users, roles and their threads, statistics, token
// sessions (lookup, revocation, rare touches) and last-seen times.

#include "storefixture.h"

#include <QSqlError>

using namespace storetest;

class TestStoreAccounts : public QObject, protected StoreFixture
{
    Q_OBJECT

    using StoreFixture::addUser; // Beside the slot of the same name.

private Q_SLOTS:
    void init() { setUp(); }
    void cleanup() { tearDown(); }

    void addUser_data();
    void addUser();
    void duplicateEmailIsRefused();
    void userSetters();
    void accountChangesCountWhatSignInDependsOn();
    void sessions_data();
    void sessions();
    void sessionRevocation();
    void sessionTouchIsRare();
    void lastSeenInOneTransaction();
    void setRoleCreatesThread();
    void userStats();
};

void TestStoreAccounts::addUser_data()
{
    QTest::addColumn<QString>("email");
    QTest::addColumn<Role>("role");
    QTest::addColumn<QString>("stored");
    QTest::newRow("customer") << u"  Alice@Example.COM "_s << Role::Customer
                              << u"alice@example.com"_s;
    QTest::newRow("member") << u"mem@example.com"_s << Role::Member << u"mem@example.com"_s;
    QTest::newRow("admin") << u"Boss@Designpi.com"_s << Role::Admin << u"boss@designpi.com"_s;
}

void TestStoreAccounts::addUser()
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

void TestStoreAccounts::duplicateEmailIsRefused()
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

void TestStoreAccounts::userSetters()
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

// The AccountWatcher compares live sessions with the users only after this count moved:
// every change that can end a session must move it, whoever makes it.
void TestStoreAccounts::accountChangesCountWhatSignInDependsOn()
{
    auto store = openStore();
    QVERIFY(store);
    TAKE(initial, store->accountChanges());
    bool ok = false;
    const StoredUser u = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    TAKE(added, store->accountChanges());
    QVERIFY2(added > initial, "adding a user");
    qint64 last = added;
    auto moved = [&]() -> std::optional<bool> {
        const auto now = store->accountChanges();
        if (hasError(now))
            return std::nullopt;
        const bool didMove = std::get<qint64>(now) > last;
        last = std::get<qint64>(now);
        return didMove;
    };

    QVERIFY(!hasError(store->setPasswordHash(u.user.id, "newhash"_ba)));
    QCOMPARE(moved(), std::optional<bool>(true));
    QVERIFY(!hasError(store->setDisabled(u.user.id, true)));
    QCOMPARE(moved(), std::optional<bool>(true));
    QVERIFY(!hasError(store->setDisabled(u.user.id, false)));
    QCOMPARE(moved(), std::optional<bool>(true));
    QVERIFY(!hasError(store->setRole(u.user.id, Role::Member)));
    QCOMPARE(moved(), std::optional<bool>(true));

    // What does not change who may sign in, and as what, leaves it.
    QVERIFY(!hasError(store->setLastSeen(u.user.id, QDateTime::currentDateTimeUtc())));
    QVERIFY(!hasError(
        store->addSession("token-hash"_ba, u.user.id, QDateTime::currentDateTimeUtc().addDays(1))));
    QVERIFY(!hasError(store->appendMessages(
        { NewMessage { u.threadId, u.user.id, newClientId(), u"hello"_s } })));
    QCOMPARE(moved(), std::optional<bool>(false));

    // An edit behind the server's back (another program on the database) counts too.
    RawDb raw(dbOptions());
    QSqlQuery q(raw.db());
    QVERIFY2(q.exec(u"UPDATE users SET disabled = 1 WHERE id = %1"_s.arg(u.user.id)),
        qPrintable(q.lastError().text()));
    QCOMPARE(moved(), std::optional<bool>(true));
}

void TestStoreAccounts::sessions_data()
{
    QTest::addColumn<qint64>("askedAtFromExpiry"); // ms relative to the expiry time
    QTest::addColumn<bool>("valid");
    QTest::newRow("long before expiry") << qint64(-3'600'000) << true;
    QTest::newRow("just before expiry") << qint64(-1) << true;
    QTest::newRow("at expiry") << qint64(0) << false;
    QTest::newRow("after expiry") << qint64(60'000) << false;
}

void TestStoreAccounts::sessions()
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

void TestStoreAccounts::sessionTouchIsRare()
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

void TestStoreAccounts::lastSeenInOneTransaction()
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

void TestStoreAccounts::sessionRevocation()
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

void TestStoreAccounts::setRoleCreatesThread()
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

void TestStoreAccounts::userStats()
{
    auto store = openStore();
    QVERIFY(store);
    bool ok = false;
    const StoredUser a = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    const StoredUser c1 = addUser(*store, u"c1@example.com"_s, Role::Customer, &ok);
    const StoredUser c2 = addUser(*store, u"c2@example.com"_s, Role::Member, &ok);
    const StoredUser b = addUser(*store, u"b@example.com"_s, Role::Admin, &ok);
    const StoredUser c3 = addUser(*store, u"c3@example.com"_s, Role::Customer, &ok);
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
    QCOMPARE(stats.size(), 5);
    QCOMPARE(stats[0].userId, a.user.id);
    QCOMPARE(stats[0].role, Role::Admin);
    QCOMPARE(stats[0].email, u"a@example.com"_s);
    QCOMPARE(stats[0].sent, 3);
    QCOMPARE(stats[0].unread, 2); // "3" in c1's thread and "6" in c2's.
    QCOMPARE(stats[1].sent, 2);
    QCOMPARE(stats[1].unread, 3);
    QCOMPARE(stats[2].sent, 1);
    QCOMPARE(stats[2].unread, 0);
    // An admin who has read nothing has every message of every thread unread; a customer
    // with an empty thread has none.
    QCOMPARE(stats[3].userId, b.user.id);
    QCOMPARE(stats[3].sent, 0);
    QCOMPARE(stats[3].unread, 6);
    QCOMPARE(stats[4].userId, c3.user.id);
    QCOMPARE(stats[4].unread, 0);
    // Reading moves only the reader's count: b reads c2's thread, then c1 reads to "4".
    QVERIFY(!hasError(store->advanceReadCursor(c2.threadId, b.user.id, r[5].message.id)));
    QVERIFY(!hasError(store->advanceReadCursor(c1.threadId, c1.user.id, r[3].message.id)));
    TAKE(after, store->userStats());
    QCOMPARE(after[3].unread, 5);
    QCOMPARE(after[1].unread, 1); // "5".
    QCOMPARE(after[0].unread, 2);
    QCOMPARE(after[2].unread, 0);
    TAKE(total, store->messageCount());
    QCOMPARE(total, 6);
}

QTEST_GUILESS_MAIN(TestStoreAccounts)
#include "tst_storeaccounts.moc"
