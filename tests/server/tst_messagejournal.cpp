// The message journal (messages acknowledged before their commit under synchronous=NORMAL):
// what it reads back after a crash, where it stops, what a replay stores; and the senders'
// greatest clientIds, which let a new message skip the look-up in the database.

#include "store/greatestclientids.h"
#include "store/messagejournal.h"
#include "storefixture.h"

#include <QFile>
#include <QUuid>

using namespace storetest;

namespace {

Message journaled(qint64 id, qint64 thread, qint64 sender, const QString &text)
{
    Message m;
    m.id = id;
    m.thread = thread;
    m.sender = sender;
    m.clientId = u"j-%1"_s.arg(id);
    m.text = text;
    m.createdAt = QDateTime::fromMSecsSinceEpoch(1'780'000'000'000 + id, Qt::UTC);
    return m;
}

// What a record keeps (the sender's name is not in it).
void compareRecords(const QList<Message> &got, const QList<Message> &expected)
{
    QCOMPARE(got.size(), expected.size());
    for (qsizetype i = 0; i < got.size(); ++i) {
        QCOMPARE(got[i].id, expected[i].id);
        QCOMPARE(got[i].thread, expected[i].thread);
        QCOMPARE(got[i].sender, expected[i].sender);
        QCOMPARE(got[i].clientId, expected[i].clientId);
        QCOMPARE(got[i].text, expected[i].text);
        QCOMPARE(got[i].createdAt, expected[i].createdAt);
    }
}

qint64 fileSize(const QString &path)
{
    return QFileInfo(path).size();
}

} // namespace

class TestMessageJournal : public QObject, protected StoreFixture {
    Q_OBJECT

private Q_SLOTS:
    void init() { setUp(); }
    void cleanup() { tearDown(); }

    void recordsReadBackAsWritten();
    void readingStopsAtATornOrDamagedRecord();
    void aRestartLeavesTheOlderRecordsUnread();
    void replayStoresWhatTheDatabaseLacks_data();
    void replayStoresWhatTheDatabaseLacks();
    void onlyIdsAboveTheSendersGreatestAreSurelyNew();
    void everyIdStoredIsRuledOutHoweverManyAreStored();
    void everyStoredClientIdIsVisited_data();
    void everyStoredClientIdIsVisited();
};

void TestMessageJournal::recordsReadBackAsWritten()
{
    const QString path = m_dir->filePath(u"chat.db-acked"_s);
    TAKE(none, MessageJournal::read(path));
    QVERIFY(none.isEmpty()); // no file yet
    TAKE(journal, MessageJournal::open(path));
    const QList<Message> first { journaled(7, 1, 2, u"hello"_s),
        journaled(8, 3, 2, u"ünïcødé 😀 and a \"quote\"\n"_s) };
    const QList<Message> second { journaled(9, 1, 4, QString(4000, u'x')) };
    QVERIFY(!journal->append(first));
    QVERIFY(!journal->append(second));
    QCOMPARE(journal->offset(), fileSize(path));
    TAKE(read, MessageJournal::read(path));
    compareRecords(read, first + second);
}

void TestMessageJournal::readingStopsAtATornOrDamagedRecord()
{
    const QString path = m_dir->filePath(u"chat.db-acked"_s);
    TAKE(journal, MessageJournal::open(path));
    const QList<Message> all { journaled(1, 1, 2, u"one"_s), journaled(2, 1, 2, u"two"_s),
        journaled(3, 1, 2, u"three"_s) };
    qint64 ends[3];
    for (int i = 0; i < 3; ++i) {
        QVERIFY(!journal->append({ all[i] }));
        ends[i] = journal->offset();
    }
    journal.reset();

    // A write cut short (the file ends inside the third record).
    QVERIFY(QFile::resize(path, ends[2] - 3));
    TAKE(torn, MessageJournal::read(path));
    compareRecords(torn, all.mid(0, 2));

    // A byte of the second record's text changed.
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.seek(ends[1] - 1));
    QVERIFY(file.write("X", 1) == 1);
    file.close();
    TAKE(damaged, MessageJournal::read(path));
    compareRecords(damaged, all.mid(0, 1));
}

void TestMessageJournal::aRestartLeavesTheOlderRecordsUnread()
{
    const QString path = m_dir->filePath(u"chat.db-acked"_s);
    TAKE(journal, MessageJournal::open(path));
    QList<Message> old;
    for (qint64 id = 1; id <= 5; ++id)
        old.append(journaled(id, 1, 2, u"older message %1 with a longer text"_s.arg(id)));
    QVERIFY(!journal->append(old));
    TAKE(oldRead, MessageJournal::read(path));
    QCOMPARE(oldRead.size(), 5);

    // Everything stored: the next record overwrites the first. The same size as the old first
    // record, so that an old whole record (id 2) follows it: its smaller id ends the journal.
    journal->restart();
    QCOMPARE(journal->offset(), 0);
    Message same = journaled(10, 1, 2, old[0].text);
    same.clientId = u"j-X"_s;
    QCOMPARE(same.clientId.size(), old[0].clientId.size());
    QVERIFY(!journal->append({ same }));
    TAKE(afterSame, MessageJournal::read(path));
    compareRecords(afterSame, { same });

    // A shorter one: what follows is the middle of an old record, which is no record at all.
    journal->restart();
    const Message shorter = journaled(11, 1, 2, u"new"_s);
    QVERIFY(!journal->append({ shorter }));
    TAKE(afterShorter, MessageJournal::read(path));
    compareRecords(afterShorter, { shorter });

    // And with more appended after it, all of the new ones.
    const Message next = journaled(12, 1, 2, u"next"_s);
    QVERIFY(!journal->append({ next }));
    TAKE(both, MessageJournal::read(path));
    compareRecords(both, { shorter, next });
}

void TestMessageJournal::replayStoresWhatTheDatabaseLacks_data()
{
    QTest::addColumn<bool>("sqliteApi");
    QTest::newRow("QtSql") << false;
    QTest::newRow("SQLite's API") << true;
}

void TestMessageJournal::replayStoresWhatTheDatabaseLacks()
{
    QFETCH(bool, sqliteApi);
    auto store = openStoreThrough(sqliteApi);
    QVERIFY(store);
    QCOMPARE(store->usesNativeApi(), sqliteApi);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser a = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    QVERIFY(ok);
    const auto stored
        = send(*store, { msg(c, c.threadId, u"first"_s), msg(a, c.threadId, u"answer"_s) }, &ok);
    QVERIFY(ok);
    const qint64 lastStored = stored.last().message.id;
    TAKE(next, store->nextMessageId());
    QCOMPARE(next, lastStored + 1);

    // The journal holds the last stored message (acknowledged from it and stored before the
    // crash) and two that never reached the database.
    const QString path = m_dir->filePath(u"chat.db-acked"_s);
    Message already = stored.last().message;
    const QList<Message> lacking { journaled(next, c.threadId, c.user.id, u"lost?"_s),
        journaled(next + 1, c.threadId, a.user.id, u"not lost"_s) };
    {
        TAKE(journal, MessageJournal::open(path));
        QVERIFY(!journal->append({ already }));
        QVERIFY(!journal->append(lacking));
    }
    TAKE(replayed, MessageJournal::replay(path, *store));
    QCOMPARE(replayed, 2);
    TAKE(again, MessageJournal::replay(path, *store));
    QCOMPARE(again, 0);
    TAKE(after, store->nextMessageId());
    QCOMPARE(after, next + 2);

    TAKE(page, store->history(c.threadId, std::nullopt, 10));
    QCOMPARE(page.messages.size(), 4);
    compareRecords(page.messages.mid(2), lacking);
    QCOMPARE(page.messages[2].senderName, c.user.name);
    QCOMPARE(page.messages[3].senderName, a.user.name);
    for (const Message &m : lacking) {
        TAKE(found, store->messageByClientId(m.sender, m.clientId));
        QVERIFY(found);
        QCOMPARE(found->id, m.id);
    }
    // The counters (unread, last message, cursors) as if appendMessages() had stored them.
    checkCountersAgainstRows(*store, { c, a });
    TAKE(threads, store->threadsFor(a.user));
    QCOMPARE(threads.size(), 1);
    QCOMPARE(threads[0].lastMessage->id, next + 1);
}

void TestMessageJournal::onlyIdsAboveTheSendersGreatestAreSurelyNew()
{
    GreatestClientIds greatest;
    // Nothing stored from a sender: every id of theirs is new.
    QVERIFY(greatest.surelyNew(7, u"0190a1b2-0000-7000-8000-000000000001"_s));
    // Time-ordered ids, stored out of order (two batches crossing).
    greatest.add(7, u"0190a1b2-0000-7000-8000-000000000002"_s);
    greatest.add(7, u"0190a1b2-0000-7000-8000-000000000001"_s);
    greatest.add(8, u"0190a1b2-0000-7000-8000-000000000009"_s);
    QCOMPARE(greatest.senders(), 2);
    // Each stored id, and any id below the greatest, is for the database to answer.
    QVERIFY(!greatest.surelyNew(7, u"0190a1b2-0000-7000-8000-000000000002"_s));
    QVERIFY(!greatest.surelyNew(7, u"0190a1b2-0000-7000-8000-000000000001"_s));
    QVERIFY(!greatest.surelyNew(7, u"0190a1b2-0000-7000-8000-000000000000"_s));
    QVERIFY(!greatest.surelyNew(7, QString()));
    // The next id is new; another sender's greatest says nothing about this one's ids.
    QVERIFY(greatest.surelyNew(7, u"0190a1b2-0000-7000-8000-000000000003"_s));
    QVERIFY(greatest.surelyNew(7, u"0190a1b2-0000-7000-8000-000000000005"_s));
    QVERIFY(!greatest.surelyNew(8, u"0190a1b2-0000-7000-8000-000000000005"_s));
    QVERIFY(greatest.surelyNew(9, u"0190a1b2-0000-7000-8000-000000000001"_s));
    // Ids as the database gives them back (views), the same rule.
    const QString read = u"0190a1b2-0000-7000-8000-00000000000a"_s;
    greatest.add(7, QStringView(read));
    QVERIFY(!greatest.surelyNew(7, u"0190a1b2-0000-7000-8000-000000000005"_s));
    QVERIFY(!greatest.surelyNew(7, read));
    QVERIFY(greatest.surelyNew(7, u"0190a1b2-0000-7000-8000-00000000000b"_s));
    // Views of other lengths, into the buffer kept for the sender.
    const QString longer = u"a-0190a1b2-0000-7000-8000-000000000001"_s;
    greatest.add(10, QStringView(longer));
    greatest.add(10, QStringView(u"b"));
    greatest.add(10, QStringView(u"a-2"));
    QVERIFY(!greatest.surelyNew(10, u"a-3"_s));
    QVERIFY(!greatest.surelyNew(10, u"b"_s));
    QVERIFY(greatest.surelyNew(10, u"b-1"_s));
    QCOMPARE(longer, u"a-0190a1b2-0000-7000-8000-000000000001"_s);
}

void TestMessageJournal::everyIdStoredIsRuledOutHoweverManyAreStored()
{
    // Random ids (not time-ordered), 200,000 of them from 101 senders: none may ever be
    // called new again, and the memory is one id per sender.
    GreatestClientIds greatest;
    QList<QString> ids;
    constexpr int kPairs = 200'000;
    ids.reserve(kPairs);
    for (int i = 0; i < kPairs; ++i) {
        ids.append(QUuid::createUuid().toString(QUuid::WithoutBraces));
        greatest.add(i % 101, ids.last());
    }
    QCOMPARE(greatest.senders(), 101);
    for (int i = 0; i < kPairs; ++i) {
        if (greatest.surelyNew(i % 101, ids[i]))
            QFAIL(qPrintable(u"a stored pair was called new: %1"_s.arg(i)));
    }
}

void TestMessageJournal::everyStoredClientIdIsVisited_data()
{
    replayStoresWhatTheDatabaseLacks_data();
}

// Read a part at a time, with messages stored between the parts (as the storage thread does at
// start): every pair stored before the first part is visited once, in the index's order, and
// so is every pair stored later that comes after the cursor. An id that is not valid UTF-16
// and ids sent by two senders are among them.
void TestMessageJournal::everyStoredClientIdIsVisited()
{
    QFETCH(bool, sqliteApi);
    auto store = openStoreThrough(sqliteApi);
    QVERIFY(store);
    QCOMPARE(store->usesNativeApi(), sqliteApi);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser a = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    QVERIFY(ok);
    QSet<std::pair<qint64, QString>> before;
    const auto store40 = [&](int batch, QSet<std::pair<qint64, QString>> *into) {
        QList<NewMessage> messages;
        for (int i = 0; i < 40; ++i) {
            const StoredUser &who = i % 2 ? a : c;
            messages.append(msg(who, c.threadId, u"m"_s));
            if (i == 7)
                messages.last().clientId = u"ünïcødé-%1"_s.arg(batch);
            if (i == 8 || i == 9)
                messages.last().clientId = u"shared-%1"_s.arg(batch);
            if (batch == 0 && i == 10)
                messages.last().clientId = QString(QChar(0xd800)) + u"lone"_s;
            if (into)
                into->insert({ who.user.id, messages.last().clientId });
        }
        send(*store, messages, &ok);
    };
    for (int batch = 0; batch < 5; ++batch) {
        store40(batch, &before);
        QVERIFY(ok);
    }
    Store::ClientIdCursor cursor;
    QList<std::pair<qint64, QString>> visited;
    QSet<std::pair<qint64, QString>> storedBetween;
    for (int part = 0; !cursor.done; ++part) {
        QVERIFY(part < 100);
        TAKE(done, store->forEachClientId(cursor, 7, [&](qint64 sender, QStringView clientId) {
            visited.append({ sender, clientId.toString() });
        }));
        QVERIFY(done);
        if (part % 5 == 2) {
            store40(10 + part, &storedBetween);
            QVERIFY(ok);
        }
    }
    QSet<std::pair<qint64, QString>> unique;
    for (const auto &pair : std::as_const(visited))
        unique.insert(pair);
    QCOMPARE(unique.size(), visited.size());
    // Every pair stored before (the one not valid UTF-16 as SQLite gives it back).
    for (const auto &pair : std::as_const(before)) {
        if (pair.second.isValidUtf16())
            QVERIFY2(unique.contains(pair), qPrintable(pair.second));
    }
    QCOMPARE(visited.size() - (unique & storedBetween).size(), before.size());
    QVERIFY(!(unique & storedBetween).isEmpty());
    // The read after the last part finds nothing more.
    TAKE(
        more, store->forEachClientId(cursor, 7, [&](qint64, QStringView) { QFAIL("read again"); }));
    QVERIFY(more);
}

QTEST_GUILESS_MAIN(TestMessageJournal)
#include "tst_messagejournal.moc"
