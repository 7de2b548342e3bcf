// The write-ahead log flushed on a thread of its own (LogFlusher), and the Committer that
// uses it: callbacks run in commit order and only after a flush that follows their commit,
// awaitFlushed() waits for every commit begun before it, a failed flush is reported as
// such (and so is every flush after it), and messages acknowledged through the Committer
// are in the database when it opens again.

#include "metrics/metrics.h"
#include "net/committer.h"
#include "sqlitetestdb.h"
#include "store/logflusher.h"
#include "store/sqlstore.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <chrono>
#include <functional>
#include <future>
#include <sched.h>
#include <sys/stat.h>

using namespace dpichat;
using namespace dpichat::server;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

/// A database file with one customer, and a Committer on it whose storage thread writes
/// through its own store, made from the same options changed by `writer`.
struct CommitterOnFile {
    QTemporaryDir dir;
    SqlStoreOptions options;
    std::unique_ptr<SqlStore> store;
    StoredUser user;
    Metrics metrics;
    std::unique_ptr<Committer> committer;

    /// False on any failure (with the reason in a warning).
    bool start(const std::function<void(SqlStoreOptions &)> &writer, bool flushLog)
    {
        if (!dir.isValid())
            return false;
        options.database = dir.filePath(u"chat.db"_s);
        store = std::make_unique<SqlStore>(options);
        if (hasError(store->open()))
            return false;
        const auto added = store->addUser(u"c@example.com"_s, u"c"_s, Role::Customer, "hash"_ba);
        if (hasError(added))
            return false;
        user = std::get<StoredUser>(added);
        committer = std::make_unique<Committer>(*store, metrics);
        const auto started = committer->startStorageThread(
            [o = options, writer] {
                SqlStoreOptions w = o;
                writer(w);
                return std::make_unique<SqlStore>(w);
            },
            flushLog);
        if (const auto *e = std::get_if<ProtocolError>(&started)) {
            qWarning("the storage thread did not start: %s", qPrintable(e->message));
            return false;
        }
        return true;
    }
    NewMessage message(const QString &clientId) const
    {
        return NewMessage { user.threadId, user.user.id, clientId, u"text "_s + clientId };
    }
    /// Messages in the database, read through another connection; -1 on failure.
    qint64 messagesStored() const
    {
        SqlStore reader(options);
        if (hasError(reader.open()))
            return -1;
        const auto count = reader.messageCount();
        return hasError(count) ? -1 : std::get<qint64>(count);
    }
};

class TestLogFlusher : public QObject
{
    Q_OBJECT

private:
    static std::unique_ptr<LogFlusher> openFlusher(const QString &path)
    {
        auto opened = LogFlusher::open(path);
        if (hasError(opened))
            return nullptr;
        return std::move(std::get<std::unique_ptr<LogFlusher>>(opened));
    }

    // One commit handed over and waited for: 1 when its callback heard "flushed", else 0;
    // -2 when awaitFlushed() disagrees with the callback.
    static int flushOne(LogFlusher &flusher)
    {
        std::atomic<int> result{-1};
        flusher.beginCommit();
        flusher.committed([&](bool ok) { result = ok ? 1 : 0; });
        const bool durable = flusher.awaitFlushed();
        return durable == (result.load() == 1) ? result.load() : -2;
    }

    // A file of 4 KiB standing in for the log, and a flusher over it; null on failure.
    static std::unique_ptr<LogFlusher> flusherOverNewFile(const QString &path)
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(QByteArray(4096, 'x')) != 4096)
            return nullptr;
        f.close();
        return openFlusher(path);
    }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(u"dpichat.server.store.info=false"_s); }

    void runsCallbacksInOrderAfterAFlush()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto flusher = flusherOverNewFile(dir.filePath(u"chat.db-wal"_s));
        QVERIFY(flusher);
        QCOMPARE(flusher->flushes(), std::uint64_t(0));
        QVERIFY(flusher->awaitFlushed()); // nothing begun: returns at once

        std::mutex mutex;
        std::vector<int> order;
        std::vector<std::uint64_t> flushesSeen;
        int failed = 0;
        for (int i = 0; i < 50; ++i) {
            flusher->beginCommit();
            flusher->committed([&, i](bool ok) {
                std::lock_guard lock(mutex);
                failed += ok ? 0 : 1;
                order.push_back(i);
                flushesSeen.push_back(flusher->flushes());
            });
        }
        QVERIFY(flusher->awaitFlushed());
        std::lock_guard lock(mutex);
        QCOMPARE(failed, 0);
        QCOMPARE(order.size(), size_t(50));
        for (int i = 0; i < 50; ++i)
            QCOMPARE(order[size_t(i)], i);
        // A callback runs after its flush, before that flush is counted: never with more
        // flushes counted than have ended, never before the first.
        const std::uint64_t total = flusher->flushes();
        QVERIFY(total >= 1 && total <= 50);
        QVERIFY(flushesSeen.back() < total);
    }

    void awaitFlushedWaitsForACommitInProgress()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto flusher = flusherOverNewFile(dir.filePath(u"chat.db-wal"_s));
        QVERIFY(flusher);

        // Begun and not yet handed over: a reader that may already see it must wait.
        flusher->beginCommit();
        auto waiting = std::async(std::launch::async, [&] { return flusher->awaitFlushed(); });
        QCOMPARE(waiting.wait_for(100ms), std::future_status::timeout);
        QCOMPARE(flusher->flushes(), std::uint64_t(0));

        std::atomic<bool> flushed{false};
        flusher->committed([&](bool ok) { flushed = ok; });
        QCOMPARE(waiting.wait_for(30s), std::future_status::ready);
        QVERIFY(flushed);
        QCOMPARE(flusher->flushes(), std::uint64_t(1));
    }

    void reportsAFailedFlushAndEveryOneAfter()
    {
        // The log at first a FIFO, which opens read-write but cannot be flushed (EINVAL): the
        // callback hears it. Then a regular file in its place, which the flusher opens and
        // could flush; after the failure it must still report no batch as flushed, since
        // what the failed flush lost would take the later commits with it on recovery.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"chat.db-wal"_s);
        QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
        auto flusher = openFlusher(path);
        QVERIFY(flusher);
        QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(u"flushing the write-ahead log failed"_s));
        QCOMPARE(flushOne(*flusher), 0);
        QVERIFY(QFile::remove(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(QByteArray(4096, 'x')), qint64(4096));
        file.close();
        QCOMPARE(flushOne(*flusher), 0);
        QCOMPARE(flushOne(*flusher), 0);
        // A new flusher over the regular file flushes it: the refusal above was the
        // failure remembered, not this file.
        auto fresh = openFlusher(path);
        QVERIFY(fresh);
        QCOMPARE(flushOne(*fresh), 1);
    }

    void refusesAMissingLog()
    {
        QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(u"cannot open the write-ahead log"_s));
        const auto opened = LogFlusher::open(u"/nonexistent-dir/chat.db-wal"_s);
        QVERIFY(hasError(opened));
        QVERIFY(std::get<ProtocolError>(opened).message.contains(u"/nonexistent-dir/chat.db-wal"_s));
    }

    void committerStoresAndAcknowledgesInOrder()
    {
        CommitterOnFile fx;
        QVERIFY(fx.start([](SqlStoreOptions &w) { w.synchronous = u"NORMAL"_s; }, true));
        QCOMPARE(fx.store->writeAheadLogPath(),
            QFileInfo(fx.options.database).canonicalFilePath() + u"-wal"_s);
        Committer &committer = *fx.committer;
        QVERIFY(committer.flushesLogSeparately());

        // Several batches in flight at once: some stored while others are flushed.
        constexpr int kMessages = 600;
        std::vector<qint64> ids;
        int failures = 0;
        for (int i = 0; i < kMessages; ++i) {
            committer.submit(fx.message(u"m-%1"_s.arg(i)), [&](const Expected<AppendResult> &r) {
                if (hasError(r))
                    ++failures;
                else
                    ids.push_back(std::get<AppendResult>(r).message.id);
            });
            if (i % 50 == 0)
                QCoreApplication::processEvents();
        }
        QTRY_COMPARE_WITH_TIMEOUT(int(ids.size()) + failures, kMessages, 30000);
        QCOMPARE(failures, 0);
        QVERIFY(committer.transactions() >= 2);
        for (size_t i = 1; i < ids.size(); ++i)
            QVERIFY2(ids[i] > ids[i - 1], "callbacks out of commit order");
        QVERIFY(committer.awaitDurable());
        committer.flush();

        // Another connection sees every acknowledged message.
        QCOMPARE(fx.messagesStored(), qint64(kMessages));
    }

    void committerStoresSmallBatchesOnItsOwnThread_data()
    {
        QTest::addColumn<bool>("flushLog");
        QTest::newRow("NORMAL") << false;
        QTest::newRow("FULL, log flushed on its own thread") << true;
    }

    void committerStoresSmallBatchesOnItsOwnThread()
    {
        QFETCH(bool, flushLog);
        CommitterOnFile fx;
        QVERIFY(fx.start(
            [flushLog](SqlStoreOptions &w) {
                w.appendsOnly = true;
                if (flushLog)
                    w.synchronous = u"NORMAL"_s;
            },
            flushLog));
        Committer &committer = *fx.committer;
        QCOMPARE(committer.flushesLogSeparately(), flushLog);

        std::vector<AppendResult> stored;
        int failures = 0;
        auto submit = [&](int n) {
            committer.submit(fx.message(u"m-%1"_s.arg(n)), [&](const Expected<AppendResult> &r) {
                if (hasError(r))
                    ++failures;
                else
                    stored.push_back(std::get<AppendResult>(r));
            });
        };
        // A batch of one and one of kStoredHereAtMost: stored here; one more: on the storage
        // thread.
        submit(0);
        QTRY_COMPARE(stored.size() + failures, size_t(1));
        QCOMPARE(committer.batchesStoredHere(), qint64(1));
        int next = 1;
        for (const qsizetype batch :
            { Committer::kStoredHereAtMost, Committer::kStoredHereAtMost + 1 }) {
            const size_t before = stored.size();
            for (qsizetype i = 0; i < batch; ++i)
                submit(next++);
            QTRY_COMPARE(stored.size() + failures, before + size_t(batch));
        }
        QCOMPARE(failures, 0);
        QCOMPARE(committer.transactions(), qint64(3));
        QCOMPARE(committer.batchesStoredHere(), qint64(2));
        for (size_t i = 0; i < stored.size(); ++i) {
            QVERIFY(stored[i].created);
            QCOMPARE(stored[i].message.clientId, u"m-%1"_s.arg(i));
            QCOMPARE(stored[i].message.senderName, u"c"_s);
            if (i > 0)
                QVERIFY2(
                    stored[i].message.id > stored[i - 1].message.id, "acknowledged out of order");
        }

        // The same message again, from a batch stored here: the original, nothing new.
        const size_t before = stored.size();
        submit(0);
        QTRY_COMPARE(stored.size() + failures, before + 1);
        QVERIFY(!stored.back().created);
        QCOMPARE(stored.back().message.id, stored.front().message.id);
        QVERIFY(committer.awaitDurable());
        committer.flush();
        QCOMPARE(fx.messagesStored(), qint64(next));
    }

    // A batch stored here right after one the storage thread stored: the flusher must hand
    // the callbacks back in the order of the commits. On one core, the storage thread's
    // hand-back wakes this thread, which can then commit the next batch and queue it for
    // the flush before the storage thread has queued its own.
    void committerAcknowledgesEachMessageWithItsOwnResult()
    {
        cpu_set_t oneCore;
        CPU_ZERO(&oneCore);
        CPU_SET(sched_getcpu(), &oneCore);
        cpu_set_t before;
        QCOMPARE(sched_getaffinity(0, sizeof before, &before), 0);
        QCOMPARE(
            sched_setaffinity(0, sizeof oneCore, &oneCore), 0); // threads started below inherit it
        auto restore = qScopeGuard([&] { sched_setaffinity(0, sizeof before, &before); });

        CommitterOnFile fx;
        QVERIFY(fx.start(
            [](SqlStoreOptions &w) {
                w.appendsOnly = true;
                w.synchronous = u"NORMAL"_s;
                // No limit: no copy of the log or new round of it takes a small batch away.
                w.walAutoCheckpointPages = 0;
            },
            true));
        Committer &committer = *fx.committer;

        int next = 0;
        int answered = 0;
        QStringList wrong;
        QEventLoop loop; // blocked in the event loop, woken by the storage thread's hand-back
        QTimer tooLong;
        tooLong.setSingleShot(true);
        connect(&tooLong, &QTimer::timeout, &loop, [&] { loop.exit(1); });
        auto submit = [&] {
            const QString clientId = u"m-%1"_s.arg(next++);
            committer.submit(fx.message(clientId), [&, clientId](const Expected<AppendResult> &r) {
                if (++answered == next)
                    loop.quit();
                if (hasError(r))
                    wrong << clientId + u": "_s + std::get<ProtocolError>(r).message;
                else if (std::get<AppendResult>(r).message.clientId != clientId)
                    wrong << clientId + u": answered with "_s
                            + std::get<AppendResult>(r).message.clientId;
            });
        };
        constexpr int kRounds = 200;
        for (int round = 0; round < kRounds; ++round) {
            // A batch for the storage thread, then, while it is stored, one for here.
            for (qsizetype i = 0; i <= Committer::kStoredHereAtMost; ++i)
                submit();
            QCoreApplication::sendPostedEvents(&committer); // starts the first batch
            submit();
            tooLong.start(10s);
            QCOMPARE(loop.exec(), 0);
        }
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong.mid(0, 5).join(u"; "_s)));
        QCOMPARE(committer.batchesStoredHere(), qint64(kRounds));
        QVERIFY(committer.awaitDurable());
        committer.flush();
    }

    // A small batch that gathered while the storage thread stored one is committed here
    // only after what that batch's callbacks posted (the connections' writes): a commit here
    // first would hold up the pushes of the batch before it.
    void committerLetsTheLastBatchsWritesGoFirst()
    {
        CommitterOnFile fx;
        QVERIFY(fx.start([](SqlStoreOptions &w) { w.appendsOnly = true; }, false));
        Committer &committer = *fx.committer;

        const int big = int(Committer::kStoredHereAtMost) + 1;
        int answered = 0;
        qint64 committedWhenPostedRan = -1;
        for (int i = 0; i < big; ++i) {
            committer.submit(
                fx.message(u"big-%1"_s.arg(i)), [&, i](const Expected<AppendResult> &) {
                    ++answered;
                    if (i == big - 1) {
                        QMetaObject::invokeMethod(
                            &committer, [&] { committedWhenPostedRan = committer.transactions(); },
                            Qt::QueuedConnection);
                    }
                });
        }
        QCoreApplication::sendPostedEvents(&committer); // the storage thread takes them
        committer.submit(
            fx.message(u"small"_s), [&](const Expected<AppendResult> &) { ++answered; });
        QTRY_COMPARE(answered, big + 1);
        QTRY_VERIFY(committedWhenPostedRan >= 0);
        QCOMPARE(committedWhenPostedRan, qint64(1));
        QCOMPARE(committer.transactions(), qint64(2));
        QCOMPARE(committer.batchesStoredHere(), qint64(1));
        committer.flush();
        QCOMPARE(fx.messagesStored(), qint64(big + 1));
    }

    // Once the log reaches its limit in a commit made here, the next batch goes to the
    // storage thread, whose commit copies the log back, however small the batch; and so does
    // the batch after that copy, whose commit starts the log over and flushes it first.
    void committerLeavesTheLogsLimitToTheStorageThread()
    {
        CommitterOnFile fx;
        QVERIFY(fx.start(
            [](SqlStoreOptions &w) {
                w.appendsOnly = true;
                w.synchronous = u"NORMAL"_s;
                w.walAutoCheckpointPages = 30;
            },
            false));
        Committer &committer = *fx.committer;

        constexpr int kMessages = 60;
        int answered = 0;
        int failures = 0;
        int newRounds = 0;
        QStringList newRoundsHere;
        for (int i = 0; i < kMessages; ++i) {
            const QByteArray saltsBefore = test::logSalts(fx.options.database);
            const qint64 hereBefore = committer.batchesStoredHere();
            committer.submit(fx.message(u"m-%1"_s.arg(i)), [&](const Expected<AppendResult> &r) {
                ++answered;
                failures += hasError(r);
            });
            QTRY_COMPARE(answered, i + 1); // one message a batch
            if (test::logSalts(fx.options.database) != saltsBefore) { // the log started over
                ++newRounds;
                if (committer.batchesStoredHere() > hereBefore)
                    newRoundsHere << u"m-%1"_s.arg(i);
            }
        }
        QCOMPARE(failures, 0);
        QVERIFY2(newRounds >= 1, "the log never started over");
        QVERIFY2(newRoundsHere.isEmpty(),
            qPrintable(
                u"the log started over in a commit made here: "_s + newRoundsHere.join(u", "_s)));
        QCOMPARE(committer.transactions(), qint64(kMessages));
        // A few went to the storage thread at the limit; the rest were stored here.
        const qint64 there = committer.transactions() - committer.batchesStoredHere();
        QVERIFY2(there >= 1 && there < kMessages / 2, qPrintable(QString::number(there)));
        committer.flush();
        QCOMPARE(fx.messagesStored(), qint64(kMessages));
    }

    void committerRefusesADatabaseWithoutALog()
    {
        SqlStoreOptions options;
        options.database = u":memory:"_s;
        SqlStore store(options);
        QVERIFY(!hasError(store.open()));
        QVERIFY(store.writeAheadLogPath().isEmpty());
        Metrics metrics;
        Committer committer(store, metrics);
        const auto started = committer.startStorageThread([options] {
            return std::make_unique<SqlStore>(options);
        }, true);
        QVERIFY(hasError(started));
        QVERIFY(!committer.flushesLogSeparately());
        QVERIFY(!committer.hasStorageThread());
    }
};

QTEST_GUILESS_MAIN(TestLogFlusher)
#include "tst_logflusher.moc"
