// The Store's appends on SQLite and PostgreSQL: idempotent by (sender, clientId), each row
// given the id of the message stored for it across statements, all or nothing (a thread or
// sender that does not exist fails the batch), and ids that only increase and are never
// reused. Each runs twice: on a store whose database enforces its foreign keys, and on one
// like the server's storage thread's, which checks the references itself
// (SqlStoreOptions::appendsOnly).

#include "storefixture.h"

using namespace storetest;

class TestStoreAppend : public QObject, protected StoreFixture
{
    Q_OBJECT

private Q_SLOTS:
    void init() { setUp(); }
    void cleanup() { tearDown(); }

    void appendIsIdempotent_data() { storeKinds(); }
    void appendIsIdempotent();
    void appendGivesEachRowItsIdAcrossStatements_data() { storeKinds(); }
    void appendGivesEachRowItsIdAcrossStatements();
    void batchRollsBackOnFailure_data() { storeKinds(); }
    void batchRollsBackOnFailure();
    void idsStrictlyIncreaseAndAreNeverReused_data() { storeKinds(); }
    void idsStrictlyIncreaseAndAreNeverReused();
    void textIsStoredAsSent_data() { storeKinds(); }
    void textIsStoredAsSent();

private:
    static void storeKinds()
    {
        QTest::addColumn<bool>("appendsOnly");
        QTest::newRow("references enforced by the database") << false;
        QTest::newRow("appends only") << true;
    }
    std::unique_ptr<SqlStore> openStoreForRow()
    {
        QFETCH(bool, appendsOnly);
        return openStore(appendsOnly);
    }
};

void TestStoreAppend::appendIsIdempotent()
{
    auto store = openStoreForRow();
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

// Texts and clientIds with the characters that mean something in an array's text form (how
// PostgreSQL receives a batch: quotes, backslashes, braces, commas, the word NULL, spaces at
// either end) come back exactly as sent, each as its own message, with the thread's last
// message counted from the same batch.
void TestStoreAppend::textIsStoredAsSent()
{
    auto store = openStoreForRow();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    const QStringList texts{
            u"NULL"_s, u"null"_s, u"\"\""_s, u"a \"quoted\" word"_s, u"back\\slash\\"_s,
            u"{braces}"_s, u"{1,2}"_s, u"a, b, c"_s, u" spaces "_s, u"line\nbreak\ttab"_s,
            u"\\\""_s, u"é ü 中文 \U0001F600"_s, u"'single'"_s, u"$1 ? :name"_s,
            QString(300, u'"'),
    };
    QList<NewMessage> batch;
    for (const QString &text : texts) {
        NewMessage m = msg(c, c.threadId, text);
        m.clientId = u"id \"%1\" {,} \\ NULL"_s.arg(batch.size());
        batch.append(m);
    }
    const auto results = send(*store, batch, &ok);
    QVERIFY(ok);
    QCOMPARE(results.size(), batch.size());
    TAKE(page, store->history(c.threadId, std::nullopt, 100));
    QCOMPARE(page.messages.size(), texts.size());
    for (qsizetype i = 0; i < batch.size(); ++i) {
        QVERIFY(results[i].created);
        const qint64 id = results[i].message.id;
        const auto stored = std::find_if(page.messages.cbegin(), page.messages.cend(),
                                         [id](const Message &m) { return m.id == id; });
        QVERIFY(stored != page.messages.cend());
        QCOMPARE(stored->text, texts[i]);
        QCOMPARE(stored->clientId, batch[i].clientId);
    }
    TAKE(inbox, store->threadsFor(c.user));
    QCOMPARE(inbox.size(), 1);
    QVERIFY(inbox[0].lastMessage);
    QCOMPARE(inbox[0].lastMessage->text, texts.constLast());
    QCOMPARE(inbox[0].lastMessage->clientId, batch.constLast().clientId);
}

// A batch longer than one INSERT statement (32 rows), with repeats of stored messages and
// copies of its own rows in the first, middle and last statements: every row gets the id of
// the message stored under its (sender, clientId), new ones in the batch's order.
void TestStoreAppend::appendGivesEachRowItsIdAcrossStatements()
{
    auto store = openStoreForRow();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    const StoredUser a = addUser(*store, u"a@example.com"_s, Role::Admin, &ok);
    QVERIFY(ok);
    QList<NewMessage> earlier;
    for (int i = 0; i < 5; ++i)
        earlier.append(msg(i % 2 ? a : c, c.threadId, u"earlier %1"_s.arg(i)));
    const auto stored = send(*store, earlier, &ok);
    QVERIFY(ok);

    QList<NewMessage> batch;
    QList<bool> expectNew;
    for (int i = 0; i < 75; ++i) {
        if (i == 3 || i == 33 || i == 70) { // stored before, with other text this time
            NewMessage repeat = earlier.at(i % 5);
            repeat.text = u"retry"_s;
            batch.append(repeat);
            expectNew.append(false);
        } else if (i == 40 || i == 64 || i == 74) { // a copy of a row of this batch
            batch.append(batch.at(i == 40 ? 35 : i == 64 ? 10 : 72));
            expectNew.append(false);
        } else {
            batch.append(msg(i % 3 ? c : a, c.threadId, u"new %1"_s.arg(i)));
            expectNew.append(true);
        }
    }
    const auto results = send(*store, batch, &ok);
    QVERIFY(ok);
    QCOMPARE(results.size(), batch.size());
    TAKE(page, store->history(c.threadId, std::nullopt, 200));
    QCOMPARE(page.messages.size(), 5 + 69);
    qint64 lastNew = stored.last().message.id;
    for (qsizetype i = 0; i < batch.size(); ++i) {
        QCOMPARE(results[i].created, expectNew[i]);
        const auto storedAs = std::find_if(page.messages.cbegin(), page.messages.cend(),
                                           [&](const Message &m) {
                                               return m.sender == batch[i].sender
                                                       && m.clientId == batch[i].clientId;
                                           });
        QVERIFY(storedAs != page.messages.cend());
        QCOMPARE(results[i].message.id, storedAs->id);
        QCOMPARE(results[i].message.text, storedAs->text);
        if (expectNew[i]) {
            QVERIFY(results[i].message.id > lastNew);
            lastNew = results[i].message.id;
        }
    }
}

void TestStoreAppend::batchRollsBackOnFailure()
{
    auto store = openStoreForRow();
    QVERIFY(store);
    bool ok = false;
    const StoredUser c = addUser(*store, u"c@example.com"_s, Role::Customer, &ok);
    QVERIFY(ok);
    // The database's own check, or the store's ("... a thread 424242 that is not in the
    // database").
    const QRegularExpression refused(u"database failure|424242 that is not in the database"_s);
    QTest::ignoreMessage(QtWarningMsg, refused);
    const auto result = store->appendMessages({msg(c, c.threadId, u"one"_s),
                                               msg(c, 424242, u"no such thread"_s)});
    QVERIFY(hasError(result));
    QCOMPARE(std::get<ProtocolError>(result).code, ErrorCode::Internal);
    TAKE(count, store->messageCount());
    QCOMPARE(count, 0);

    // A sender who is not a user, in the middle of a batch longer than one statement.
    QList<NewMessage> batch;
    for (int i = 0; i < 40; ++i)
        batch.append(msg(c, c.threadId, u"m%1"_s.arg(i)));
    batch[20].sender = 424242;
    QTest::ignoreMessage(QtWarningMsg, refused);
    const auto bySomeoneElse = store->appendMessages(batch);
    QVERIFY(hasError(bySomeoneElse));
    QCOMPARE(std::get<ProtocolError>(bySomeoneElse).code, ErrorCode::Internal);
    TAKE(stillNone, store->messageCount());
    QCOMPARE(stillNone, 0);
    TAKE(inbox, store->threadsFor(c.user));
    QCOMPARE(inbox.size(), 1);
    QVERIFY(!inbox[0].lastMessage);
    QCOMPARE(inbox[0].unread, 0);

    // And the same batch with every sender a user is stored whole.
    batch[20].sender = c.user.id;
    batch[20].clientId = newClientId();
    send(*store, batch, &ok);
    QVERIFY(ok);
    TAKE(all, store->messageCount());
    QCOMPARE(all, 40);
}

void TestStoreAppend::idsStrictlyIncreaseAndAreNeverReused()
{
    auto store = openStoreForRow();
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

QTEST_GUILESS_MAIN(TestStoreAppend)
#include "tst_storeappend.moc"
