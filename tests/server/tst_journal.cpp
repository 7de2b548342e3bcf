// The server under synchronous=NORMAL, which acknowledges a few messages at a time once they
// are in its journal and stores them in the database right after: a repeated clientId and a
// read right after a send see each message once, and a journal left by a crash is stored
// before the server serves again.

#include "httpget.h"
#include "serverprocess.h"
#include "store/messagejournal.h"
#include "testclient.h"
#include "threads.h"

#include <QDir>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <sched.h>

using namespace Qt::StringLiterals;
using dpichat::Message;
using dpichat::server::MessageJournal;

namespace {

const QStringList kNormal { u"--demo"_s, u"--rate-limit"_s, u"0"_s, u"--sqlite-synchronous"_s,
    u"NORMAL"_s };

QString frame(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QJsonObject sendRequest(qint64 id, qint64 thread, const QString &clientId, const QString &text)
{
    return { { "type"_L1, "send"_L1 }, { "id"_L1, id }, { "thread"_L1, thread },
        { "clientId"_L1, clientId }, { "text"_L1, text } };
}

// Waits for the replies to the frames sent with sendRaw whose ids are in `ids`, returning as
// soon as the last one is read (a frame sent next reaches the server within a millisecond or
// so, well within Committer::kHandOverDelay).
QHash<qint64, QJsonObject> awaitReplies(TestClient &c, const QList<qint64> &ids)
{
    QHash<qint64, QJsonObject> out;
    const auto collect = [&] {
        out.clear();
        for (const QJsonObject &o : std::as_const(c.pushes())) {
            const qint64 re = o.value("re"_L1).toInteger(-1);
            if (ids.contains(re))
                out.insert(re, o);
        }
        return out.size() == ids.size();
    };
    if (collect())
        return out;
    QEventLoop loop;
    // After the client's own slot, which keeps the frame.
    QObject::connect(&c.socket(), &QWebSocket::textMessageReceived, &loop, [&] {
        if (collect())
            loop.quit();
    });
    QTimer::singleShot(10'000, &loop, &QEventLoop::quit);
    loop.exec();
    collect();
    return out;
}

int countWithClientId(const QJsonArray &messages, const QString &clientId)
{
    int n = 0;
    for (const QJsonValue &m : messages)
        n += m.toObject().value("clientId"_L1).toString() == clientId;
    return n;
}

struct Customer {
    qint64 id = 0;
    qint64 thread = 0;
};

Customer loginCustomer(TestClient &c)
{
    const QJsonObject welcome = c.login(u"john.doe@example.com"_s, u"customer123"_s);
    Customer out;
    out.id = welcome.value("user"_L1).toObject().value("id"_L1).toInteger();
    const QJsonArray threads
        = c.request({ { "type"_L1, "threads"_L1 } }).value("threads"_L1).toArray();
    if (threads.size() == 1)
        out.thread = threads.first().toObject().value("id"_L1).toInteger();
    return out;
}

} // namespace

class TestJournal : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void repeatsAndReadsRightAfterASendSeeItOnce();
    void aJournalLeftByACrashIsStoredAtStart();
    void onlyARepeatOrAnOlderClientIdIsLookedUp();
    void theEventLoopIsNotKeptWaitingByTheOtherThreads();
};

void TestJournal::initTestCase()
{
    QVERIFY2(QFile::exists(ServerProcess::binary()), "DPICHAT_SERVER_BIN must name the server");
}

void TestJournal::repeatsAndReadsRightAfterASendSeeItOnce()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerProcess server(dir.filePath(u"chat.db"_s));
    QVERIFY(server.start(kNormal));
    TestClient admin(server.url());
    QVERIFY(admin.open());
    QCOMPARE(admin.login(u"hello@designpi.com"_s, u"admin123"_s).value("type"_L1).toString(),
        u"welcome"_s);
    TestClient customer(server.url());
    QVERIFY(customer.open());
    const Customer c = loginCustomer(customer);
    QVERIFY(c.thread > 0);

    // The message and the same clientId again in one write (one batch); once acknowledged,
    // the thread's history at once, before the storage thread has the message (it gathers
    // them for a few milliseconds): the read waits until it is in the database.
    customer.pushes().clear();
    customer.sendRaw(frame(sendRequest(1001, c.thread, u"r-1"_s, u"once"_s)));
    customer.sendRaw(frame(sendRequest(1002, c.thread, u"r-1"_s, u"once"_s)));
    auto replies = awaitReplies(customer, { 1001, 1002 });
    customer.sendRaw(
        frame({ { "type"_L1, "history"_L1 }, { "id"_L1, 1003 }, { "thread"_L1, c.thread } }));
    replies.insert(awaitReplies(customer, { 1003 }));
    QCOMPARE(replies.value(1001).value("type"_L1).toString(), u"sent"_s);
    QCOMPARE(replies.value(1002).value("type"_L1).toString(), u"sent"_s);
    const qint64 id = replies.value(1001).value("message"_L1).toObject().value("id"_L1).toInteger();
    QVERIFY(id > 0);
    QCOMPARE(replies.value(1002).value("message"_L1).toObject().value("id"_L1).toInteger(), id);
    QCOMPARE(replies.value(1003).value("type"_L1).toString(), u"history"_s);
    QCOMPARE(countWithClientId(replies.value(1003).value("messages"_L1).toArray(), u"r-1"_s), 1);

    // Repeated once acknowledged (most likely before the storage thread has it), then once
    // it is surely stored (after a read): the same message each time.
    customer.sendRaw(frame(sendRequest(1004, c.thread, u"r-2"_s, u"twice"_s)));
    replies = awaitReplies(customer, { 1004 });
    const qint64 id2
        = replies.value(1004).value("message"_L1).toObject().value("id"_L1).toInteger();
    QVERIFY(id2 > id);
    customer.sendRaw(frame(sendRequest(1005, c.thread, u"r-2"_s, u"twice"_s)));
    replies = awaitReplies(customer, { 1005 });
    customer.sendRaw(frame({ { "type"_L1, "sync"_L1 }, { "id"_L1, 1006 }, { "after"_L1, 0 } }));
    replies.insert(awaitReplies(customer, { 1006 }));
    customer.sendRaw(frame(sendRequest(1007, c.thread, u"r-2"_s, u"twice"_s)));
    replies.insert(awaitReplies(customer, { 1007 }));
    QCOMPARE(replies.value(1005).value("message"_L1).toObject().value("id"_L1).toInteger(), id2);
    QCOMPARE(replies.value(1007).value("message"_L1).toObject().value("id"_L1).toInteger(), id2);
    const QJsonArray synced = replies.value(1006).value("messages"_L1).toArray();
    QCOMPARE(synced.size(), 2);
    QCOMPARE(countWithClientId(synced, u"r-2"_s), 1);

    // The admin was pushed each message once: a round trip after the replies above, and
    // every push written before them has arrived.
    QVERIFY(!admin.request({ { "type"_L1, "threads"_L1 } }).isEmpty());
    QCOMPARE(admin.pushesOfType(u"message"_s).size(), 2);

    // The unread count the admin sees includes both, from the counters the storage thread
    // keeps.
    const QJsonArray threads
        = admin.request({ { "type"_L1, "threads"_L1 } }).value("threads"_L1).toArray();
    bool found = false;
    for (const QJsonValue &t : threads) {
        if (t.toObject().value("id"_L1).toInteger() != c.thread)
            continue;
        found = true;
        QCOMPARE(t.toObject().value("unread"_L1).toInteger(), 2);
        QCOMPARE(t.toObject().value("lastMessage"_L1).toObject().value("id"_L1).toInteger(), id2);
    }
    QVERIFY(found);
}

void TestJournal::aJournalLeftByACrashIsStoredAtStart()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString db = dir.filePath(u"chat.db"_s);
    ServerProcess server(db);
    QVERIFY(server.start(kNormal));
    qint64 stored = 0;
    Customer c;
    {
        TestClient customer(server.url());
        QVERIFY(customer.open());
        c = loginCustomer(customer);
        QVERIFY(c.thread > 0);
        const QJsonObject sent
            = customer.request({ { "type"_L1, "send"_L1 }, { "thread"_L1, c.thread },
                { "clientId"_L1, u"before"_s }, { "text"_L1, u"stored before the stop"_s } });
        stored = sent.value("message"_L1).toObject().value("id"_L1).toInteger();
        QVERIFY(stored > 0);
    }
    server.stop();

    // What a crash would leave: two messages acknowledged from the journal that never
    // reached the database, after one that did.
    QList<Message> lost;
    for (int i = 1; i <= 2; ++i) {
        Message m;
        m.id = stored + i;
        m.thread = c.thread;
        m.sender = c.id;
        m.clientId = u"j-%1"_s.arg(i);
        m.text = u"only in the journal %1"_s.arg(i);
        m.createdAt = QDateTime::currentDateTimeUtc();
        lost.append(m);
    }
    {
        Message before;
        before.id = stored;
        before.thread = c.thread;
        before.sender = c.id;
        before.clientId = u"before"_s;
        before.text = u"stored before the stop"_s;
        before.createdAt = QDateTime::currentDateTimeUtc();
        auto opened = MessageJournal::open(MessageJournal::pathFor(db));
        QVERIFY(!dpichat::hasError(opened));
        auto &journal = std::get<std::unique_ptr<MessageJournal>>(opened);
        QVERIFY(!journal->append({ before }));
        QVERIFY(!journal->append(lost));
    }
    QVERIFY(server.restart());

    TestClient admin(server.url());
    QVERIFY(admin.open());
    QCOMPARE(admin.login(u"hello@designpi.com"_s, u"admin123"_s).value("type"_L1).toString(),
        u"welcome"_s);
    const QJsonArray all = admin.request({ { "type"_L1, "sync"_L1 }, { "after"_L1, 0 } })
                               .value("messages"_L1)
                               .toArray();
    QCOMPARE(all.size(), 3);
    for (int i = 0; i < 2; ++i) {
        const QJsonObject m = all.at(i + 1).toObject();
        QCOMPARE(m.value("id"_L1).toInteger(), lost[i].id);
        QCOMPARE(m.value("clientId"_L1).toString(), lost[i].clientId);
        QCOMPARE(m.value("text"_L1).toString(), lost[i].text);
        QCOMPARE(m.value("senderName"_L1).toString(), u"John Doe"_s);
    }
    const QJsonArray threads
        = admin.request({ { "type"_L1, "threads"_L1 } }).value("threads"_L1).toArray();
    int matching = 0;
    for (const QJsonValue &t : threads) {
        if (t.toObject().value("id"_L1).toInteger() != c.thread)
            continue;
        ++matching;
        QCOMPARE(t.toObject().value("unread"_L1).toInteger(), 3);
        QCOMPARE(
            t.toObject().value("lastMessage"_L1).toObject().value("id"_L1).toInteger(), lost[1].id);
    }
    QCOMPARE(matching, 1);

    // Their clientIds again: the stored messages, nothing new; and a new message follows them.
    TestClient customer(server.url());
    QVERIFY(customer.open());
    QCOMPARE(loginCustomer(customer).thread, c.thread);
    const QJsonObject again = customer.request({ { "type"_L1, "send"_L1 },
        { "thread"_L1, c.thread }, { "clientId"_L1, u"j-1"_s }, { "text"_L1, u"x"_s } });
    QCOMPARE(again.value("message"_L1).toObject().value("id"_L1).toInteger(), lost[0].id);
    QCOMPARE(again.value("message"_L1).toObject().value("text"_L1).toString(), lost[0].text);
    const QJsonObject next = customer.request({ { "type"_L1, "send"_L1 }, { "thread"_L1, c.thread },
        { "clientId"_L1, u"after"_s }, { "text"_L1, u"new"_s } });
    QCOMPARE(next.value("message"_L1).toObject().value("id"_L1).toInteger(), lost[1].id + 1);
    QCOMPARE(admin.request({ { "type"_L1, "sync"_L1 }, { "after"_L1, 0 } })
                 .value("messages"_L1)
                 .toArray()
                 .size(),
        4);
}

// A message is acknowledged from the journal once it is known to be new. Ids made by DPI
// Chat's clients begin with the time, each greater than the last: those are new without a
// look-up in the database, however many messages are stored. A repeat, or an id below the
// sender's greatest, is looked up and answered right, before a restart and after it.
void TestJournal::onlyARepeatOrAnOlderClientIdIsLookedUp()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ServerProcess server(dir.filePath(u"chat.db"_s));
    QVERIFY(server.start(kNormal + QStringList { u"--metrics-port"_s, u"0"_s }));
    const auto lookups = [&server] {
        return metricSample(server.metricsPort(), "dpichat_journal_client_id_lookups_total");
    };
    const auto unstored = [&server] {
        return metricSample(server.metricsPort(), "dpichat_journal_unstored_messages");
    };
    const auto send = [](TestClient &client, qint64 thread, const QString &clientId) {
        return client
            .request({ { "type"_L1, "send"_L1 }, { "thread"_L1, thread },
                { "clientId"_L1, clientId }, { "text"_L1, u"hello"_s } })
            .value("message"_L1)
            .toObject()
            .value("id"_L1)
            .toInteger();
    };
    const QString base = u"0190a1b2-0000-7000-8000-00000000000"_s;
    QHash<QString, qint64> ids;
    {
        TestClient customer(server.url());
        QVERIFY(customer.open());
        const Customer c = loginCustomer(customer);
        QVERIFY(c.thread > 0);
        for (const QChar last : QStringView(u"246")) {
            ids.insert(base + last, send(customer, c.thread, base + last));
            QVERIFY(ids.value(base + last) > 0);
        }
        QCOMPARE(lookups(), 0);
        // Below the greatest and new: looked up, then stored.
        ids.insert(base + u'3', send(customer, c.thread, base + u'3'));
        QCOMPARE(lookups(), 1);
        QVERIFY(ids.value(base + u'3') > ids.value(base + u'6'));
        // Repeats, once stored: looked up, answered with the message stored.
        QTRY_COMPARE_WITH_TIMEOUT(unstored(), 0, 10'000);
        QCOMPARE(send(customer, c.thread, base + u'4'), ids.value(base + u'4'));
        QCOMPARE(send(customer, c.thread, base + u'6'), ids.value(base + u'6'));
        QCOMPARE(lookups(), 3);
    }
    // After a restart the greatest ids are read from the database.
    QVERIFY(server.restart());
    TestClient customer(server.url());
    QVERIFY(customer.open());
    const Customer c = loginCustomer(customer);
    QCOMPARE(send(customer, c.thread, base + u'6'), ids.value(base + u'6'));
    QCOMPARE(lookups(), 1);
    const qint64 next = send(customer, c.thread, base + u'8');
    QVERIFY(next > ids.value(base + u'3'));
    QCOMPARE(lookups(), 1);
    QCOMPARE(send(customer, c.thread, base + u'2'), ids.value(base + u'2'));
    QCOMPARE(lookups(), 2);
    const QJsonArray all = customer.request({ { "type"_L1, "sync"_L1 }, { "after"_L1, 0 } })
                               .value("messages"_L1)
                               .toArray();
    QCOMPARE(all.size(), 5);
    for (const QString &clientId : ids.keys())
        QCOMPARE(countWithClientId(all, clientId), 1);
}

// Woken to store what was acknowledged, the storage thread would take the core from the
// event loop before it has written the pushes (at a light load on one core the p99 was 0.31 to
// 0.45 ms instead of 0.21 to 0.26): under NORMAL it runs as SCHED_BATCH, which never preempts
// on waking; under FULL, where it stores before anything is acknowledged, it keeps the default.
// And under NORMAL, woken by a frame, the event loop takes the core at once from a storage or
// checkpoint thread that has it: it asks for the shortest slice (0.1 ms), they keep the
// default, and the kernel lets a thread with a shorter slice preempt on waking. Under FULL
// (full speed was slower with it) the light-load checkpoint thread has the short slice.
void TestJournal::theEventLoopIsNotKeptWaitingByTheOtherThreads()
{
#ifndef Q_OS_LINUX
    QSKIP("scheduling policies and slices are Linux's");
#else
    using testthreads::threadNamed;
    using testthreads::timeSliceOf;
    for (const QString &mode : { u"NORMAL"_s, u"FULL"_s }) {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ServerProcess server(dir.filePath(u"chat.db"_s));
        QVERIFY(server.start({ u"--sqlite-synchronous"_s, mode }));
        const pid_t storage = threadNamed("dpichat-storage", server.processId());
        QVERIFY2(storage > 0, "no thread named dpichat-storage");
        QCOMPARE(::sched_getscheduler(storage), mode == u"NORMAL"_s ? SCHED_BATCH : SCHED_OTHER);

        const qint64 defaultSlice = timeSliceOf(storage);
        if (defaultSlice <= 0) {
            qInfo("the kernel reports no time slices (before Linux 6.12): not checked");
            continue;
        }
        QVERIFY2(defaultSlice > 100'000, qPrintable(QString::number(defaultSlice)));
        // The main thread's id is the process's.
        QCOMPARE(timeSliceOf(pid_t(server.processId())),
            mode == u"NORMAL"_s ? qint64(100'000) : defaultSlice);
        // The checkpoint threads name themselves once they first run, which on a busy
        // machine may come after the server says it listens.
        for (const QByteArray name : { "dpichat-wal-low", "dpichat-wal" }) {
            pid_t tid = 0;
            QTRY_VERIFY2_WITH_TIMEOUT(
                (tid = threadNamed(name, server.processId())) > 0, name.constData(), 10'000);
            const bool shortest = mode == u"FULL"_s && name == "dpichat-wal-low";
            QTRY_COMPARE_WITH_TIMEOUT(
                timeSliceOf(tid), shortest ? qint64(100'000) : defaultSlice, 10'000);
        }
    }
#endif
}

QTEST_GUILESS_MAIN(TestJournal)
#include "tst_journal.moc"
