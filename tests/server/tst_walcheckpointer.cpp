// The write-ahead log checkpointer: with SQLite's automatic checkpoint off, the database file
// stays as it was however much is committed, until the checkpointer's threads copy the log
// into it; stopping it copies the rest, so the database file alone then holds every message.
// Which of its two threads copies depends on how fast the log grows.

#include "sqlitetestdb.h"
#include "store/sqlstore.h"
#include "store/walcheckpointer.h"
#include "threads.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <thread>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

using namespace dpichat;
using namespace dpichat::server;
using namespace Qt::StringLiterals;

class TestWalCheckpointer : public QObject
{
    Q_OBJECT

private:
    // Appends `batches` batches of `size` messages of 200 bytes; false on any failure.
    static bool append(SqlStore &store, const StoredUser &user, int batches, int size = 100)
    {
        for (int b = 0; b < batches; ++b) {
            QList<NewMessage> batch;
            for (int i = 0; i < size; ++i)
                batch.append(NewMessage{user.threadId, user.user.id,
                                        QUuid::createUuid().toString(QUuid::WithoutBraces),
                                        QString(200, u'x')});
            if (hasError(store.appendMessages(batch)))
                return false;
        }
        return true;
    }

    // A database in `dir` under synchronous=NORMAL whose commits copy the log back at
    // `limitPages` (0: never).
    static SqlStoreOptions normalIn(const QTemporaryDir &dir, int limitPages)
    {
        SqlStoreOptions options;
        options.database = dir.filePath(u"chat.db"_s);
        options.synchronous = u"NORMAL"_s;
        options.walAutoCheckpointPages = limitPages;
        return options;
    }

    // Opens the store and adds the customer whose thread the messages go to.
    static std::optional<StoredUser> openWithCustomer(SqlStore &store)
    {
        if (hasError(store.open()))
            return std::nullopt;
        const auto added = store.addUser(u"c@example.com"_s, u"c"_s, Role::Customer, "hash"_ba);
        if (hasError(added))
            return std::nullopt;
        return std::get<StoredUser>(added);
    }

    // Messages in a copy of the database file alone, without its log.
    static qint64 messagesInFileAlone(const QString &db, const QString &copy)
    {
        QFile::remove(copy);
        if (!QFile::copy(db, copy))
            return -1;
        qint64 n = -1;
        {
            QSqlDatabase c = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"copy"_s);
            c.setDatabaseName(copy);
            if (c.open()) {
                QSqlQuery q(c);
                if (q.exec(u"SELECT COUNT(*) FROM messages"_s) && q.next())
                    n = q.value(0).toLongLong();
            }
        }
        QSqlDatabase::removeDatabase(u"copy"_s);
        return n;
    }

#ifdef Q_OS_LINUX
    // The nice value of this process's thread named `name`, or -100 when there is none.
    static int niceOfThread(const QString &name)
    {
        const pid_t tid = testthreads::threadNamed(name.toUtf8());
        if (tid == 0)
            return -100;
        errno = 0;
        const int nice = getpriority(PRIO_PROCESS, id_t(tid));
        return errno == 0 ? nice : -100;
    }

    // The time slice of this process's thread named `name` in nanoseconds (sched_getattr;
    // Linux 6.12 and later report it under SCHED_OTHER, earlier ones 0), or -1.
    static qint64 sliceOfThread(const QString &name)
    {
        const pid_t tid = testthreads::threadNamed(name.toUtf8());
        return tid == 0 ? -1 : testthreads::timeSliceOf(tid);
    }
#endif

#ifdef Q_OS_LINUX
    // Pages of `path` in memory that are not written to the disk yet, from the kernel's
    // cachestat call (Linux 6.5 and later); nothing where there is no such call.
    static std::optional<quint64> unwrittenPages(const QString &path)
    {
#ifndef SYS_cachestat
        constexpr long SYS_cachestat = 451; // The same number on every architecture.
#endif
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return std::nullopt;
        struct {
            quint64 offset, length; // A length of 0: to the end of the file.
        } range { 0, 0 };
        struct {
            quint64 cached, dirty, writeback, evicted, recentlyEvicted;
        } stat {};
        if (::syscall(SYS_cachestat, file.handle(), &range, &stat, 0) != 0)
            return std::nullopt;
        return stat.dirty;
    }
#endif

    // How many of this process's open descriptors name `path` (Linux: /proc/self/fd).
    static int descriptorsOn(const QString &path)
    {
        const QString target = QFileInfo(path).canonicalFilePath();
        const QDir fds(u"/proc/self/fd"_s);
        int n = 0;
        for (const QString &fd : fds.entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot))
            n += QFileInfo(fds.filePath(fd)).symLinkTarget() == target;
        return n;
    }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(u"dpichat.server.store.info=false"_s); }

    void copiesTheLogOffTheCommits()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        SqlStoreOptions options;
        options.database = dir.filePath(u"chat.db"_s);
        options.walAutoCheckpointPages = 0; // Never inside a commit.
        SqlStore store(options);
        const auto customer = openWithCustomer(store);
        QVERIFY(customer);
        const StoredUser user = *customer;
        QVERIFY(append(store, user, 1));
        const QString db = options.database;
        // The schema and the first 100 messages into the file, by hand; from here the file
        // must not move without a checkpointer.
        {
            QSqlDatabase c = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"manual"_s);
            c.setDatabaseName(db);
            QVERIFY(c.open());
            QSqlQuery q(c);
            QVERIFY(q.exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s) && q.next());
            QCOMPARE(q.value(0).toInt(), 0); // Not busy: everything copied.
        }
        QSqlDatabase::removeDatabase(u"manual"_s);
        const QString copy = dir.filePath(u"copy.db"_s);
        const qint64 before = messagesInFileAlone(db, copy);
        QCOMPARE(before, qint64(100));
        const qint64 sizeBefore = QFileInfo(db).size();

        QVERIFY(append(store, user, 20));
        QCOMPARE(QFileInfo(db).size(), sizeBefore);
        QCOMPARE(messagesInFileAlone(db, copy), before);
        QVERIFY(QFileInfo(db + u"-wal"_s).size() > 20 * 100 * 200);

        WalCheckpointer checkpointer(db, u"FULL"_s); // the server's intervals
        checkpointer.start();
        // The thread copies on its own, while the store stays open and idle.
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(db).size() > sizeBefore + 20 * 100 * 200, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(messagesInFileAlone(db, copy), qint64(2100), 20000);

        // More commits, then stop: the last checkpoint leaves nothing behind in the log.
        QVERIFY(append(store, user, 5));
        checkpointer.stop();
        QCOMPARE(messagesInFileAlone(db, copy), qint64(2600));
        store.close();
    }

    // A commit on another thread than the store's own (the Committer's small batches) does
    // not copy the log back at the limit, which would hold that thread up for the copy and
    // its flushes: it leaves it to the next commit on the store's own thread.
    void theLimitIsLeftToTheStoresOwnThread()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const SqlStoreOptions options = normalIn(dir, 50);
        SqlStore store(options);
        const auto customer = openWithCustomer(store);
        QVERIFY(customer);
        const StoredUser user = *customer;
        QVERIFY(store.usesNativeApi());
        auto appendElsewhere = [&](int batches) {
            bool ok = false;
            std::thread other([&] { ok = append(store, user, batches, 10); });
            other.join();
            return ok;
        };

        int commits = 0;
        while (!store.logCheckpointDue() && commits < 200) {
            QVERIFY(appendElsewhere(1));
            ++commits;
        }
        QVERIFY2(store.logCheckpointDue(), "commits on another thread passed the limit unnoticed");
        QVERIFY(appendElsewhere(3));
        QVERIFY(store.logCheckpointDue());

        // Here the commit copies the log back. The next commit starts the log over and
        // flushes it first: that one is left to this thread too.
        const QByteArray saltsBefore = test::logSalts(options.database);
        QVERIFY(append(store, user, 1, 10));
        QVERIFY2(
            store.logCheckpointDue(), "the commit that starts the log over is not asked for here");
        QCOMPARE(test::logSalts(options.database), saltsBefore);
        QVERIFY(append(store, user, 1, 10));
        QVERIFY(test::logSalts(options.database) != saltsBefore); // A new round of the log.
        QVERIFY(!store.logCheckpointDue());
        QVERIFY(appendElsewhere(1));
        QVERIFY2(!store.logCheckpointDue(), "the log was not copied back on the store's thread");
    }

    // Under commits that never pause, the checkpointer's copy ends after the next commit has
    // added frames, so SQLite never finds the whole log copied when a transaction begins and
    // never starts the log over: the automatic limit is what bounds it (the server keeps one
    // for that reason). Without the limit the file grows by every commit.
    void theLimitBoundsTheLogUnderSteadyCommits_data()
    {
        QTest::addColumn<int>("limitPages");
        QTest::newRow("limit 100 pages") << 100;
        QTest::newRow("no limit") << 0;
    }

    void theLimitBoundsTheLogUnderSteadyCommits()
    {
        QFETCH(int, limitPages);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const SqlStoreOptions options = normalIn(dir, limitPages);
        SqlStore store(options);
        const auto customer = openWithCustomer(store);
        QVERIFY(customer);
        const StoredUser user = *customer;
        const QString wal = options.database + u"-wal"_s;

        WalCheckpointer checkpointer(options.database, u"NORMAL"_s, std::chrono::milliseconds(20));
        checkpointer.start();
        // 300 commits of 100 messages of 200 bytes, one after the other.
        constexpr int kBatches = 300;
        QVERIFY(append(store, user, kBatches));
        const qint64 logBytes = QFileInfo(wal).size();
        checkpointer.stop();
        store.close();

        // Each commit writes about 100 frames (the messages' pages, and a leaf of the
        // (sender, client id) index for nearly every random id): some 30,000 in all.
        constexpr qint64 kFrame = 24 + 4096;
        const qint64 frames = logBytes / kFrame;
        qDebug("log file: %lld frames", frames);
        if (limitPages > 0) {
            // The limit, plus the commits that passed it while the checkpointer's thread held
            // the checkpoint lock: 200 to 900 frames here, two runs at once included, and once
            // 3,586 on a machine busy with other tests (a pass at nice 19 waited for the core
            // with the lock held). Under a third of what was written, whatever else runs.
            QVERIFY2(frames < kBatches * 30, qPrintable(QString::number(frames)));
        } else {
            // About 29,000 here: every frame. More than the limit ever lets through is what
            // matters (a file system whose flushes cost nothing might let a pass finish
            // between two commits now and then).
            QVERIFY2(frames > kBatches * 10, qPrintable(QString::number(frames)));
        }
    }

    // Under a steady stream of commits the checkpoints start writing the database file back,
    // through a descriptor of their own: the checkpointer holds them (one per thread) while it
    // runs and none once stopped, and every message is in the file alone after stop().
    void closesItsOwnDescriptor()
    {
        if (!QFileInfo::exists(u"/proc/self/fd"_s))
            QSKIP("no /proc/self/fd to count descriptors with");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const SqlStoreOptions options = normalIn(dir, 0);
        SqlStore store(options);
        const auto customer = openWithCustomer(store);
        QVERIFY(customer);
        const int before = descriptorsOn(options.database);
        QVERIFY(before >= 1); // The store's own connection.
        const QString log = options.database + u"-wal"_s;
        const int logBefore = descriptorsOn(log);
        QVERIFY(logBefore >= 1);
        {
            WalCheckpointer checkpointer(options.database, u"NORMAL"_s,
                                         std::chrono::milliseconds(20),
                                         std::chrono::milliseconds(20));
            checkpointer.start();
            // Each of its two threads' connection and own descriptor, once opened.
            QTRY_COMPARE_WITH_TIMEOUT(descriptorsOn(options.database), before + 4, 10000);
            // The log: each connection's, and the one for writing it back as it grows.
            QTRY_COMPARE_WITH_TIMEOUT(descriptorsOn(log), logBefore + 3, 10000);
            // Enough commits, quickly enough, for the busy interval and the write-back.
            QVERIFY(append(store, *customer, 100));
            checkpointer.stop();
            QCOMPARE(descriptorsOn(log), logBefore);
        }
        QCOMPARE(messagesInFileAlone(options.database, dir.filePath(u"copy.db"_s)),
                 qint64(100 * 100));
        // SQLite keeps a closed connection's descriptor while another connection of the
        // process holds a lock on the file (closing it would drop the process's locks), so
        // the count is checked with every connection closed: none is left.
        store.close();
        QCOMPARE(descriptorsOn(options.database), 0);
    }

    // Checkpoints run at the lowest scheduling weight while the log grows slowly, move to the
    // thread at the default weight while it grows fast, and come back when it slows down;
    // every message is in the database file alone after stop().
    void takesTurnsByHowFastTheLogGrows()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const SqlStoreOptions options = normalIn(dir, 0); // Only the checkpointer copies.
        SqlStore store(options);
        const auto customer = openWithCustomer(store);
        QVERIFY(customer);
        // Fast from 2,000 frames a second: a commit of 100 messages writes about 100 frames, one
        // of a single message a few.
        WalCheckpointer checkpointer(options.database, u"NORMAL"_s, std::chrono::milliseconds(20),
            std::chrono::milliseconds(20), 2000);
        checkpointer.start();
#ifdef Q_OS_LINUX
        // Nice 19 for the one, the process's own value for the other.
        const int processNice = getpriority(PRIO_PROCESS, 0);
        QTRY_COMPARE_WITH_TIMEOUT(niceOfThread(u"dpichat-wal-low"_s), 19, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(niceOfThread(u"dpichat-wal"_s), processNice, 10000);
        // Under NORMAL both keep the default time slice, where the kernel has slices of its
        // own: the server's event loop has the shortest, and takes the core from them.
        const qint64 defaultSlice = sliceOfThread(u"dpichat-wal"_s);
        if (defaultSlice > 0) {
            QCOMPARE(sliceOfThread(u"dpichat-wal-low"_s), defaultSlice);
            QVERIFY2(defaultSlice > 100'000, qPrintable(QString::number(defaultSlice)));
        } else {
            qInfo("the kernel reports no time slices (before Linux 6.12): not checked");
        }
#endif
        // A few small commits, slowly: the thread at the lowest weight copies them.
        qint64 messages = 0;
        for (int i = 0; i < 5; ++i, ++messages) {
            QVERIFY(append(store, *customer, 1, 1));
            QTest::qWait(100);
        }
        QTRY_VERIFY_WITH_TIMEOUT(checkpointer.lightPasses() >= 3, 10000);
        QCOMPARE(checkpointer.busyPasses(), 0);

        // Commits one after the other, until the other thread has taken over (well under a
        // second; 20 s at most).
        QElapsedTimer fast;
        fast.start();
        while (checkpointer.busyPasses() < 3 && fast.elapsed() < 20000) {
            QVERIFY(append(store, *customer, 1));
            messages += 100;
        }
        QVERIFY2(checkpointer.busyPasses() >= 3, qPrintable(QString::number(messages)));

        // No more commits: back to the lowest weight.
        const int lightBefore = checkpointer.lightPasses();
        QTRY_VERIFY_WITH_TIMEOUT(checkpointer.lightPasses() > lightBefore, 10000);
        const int busyAfter = checkpointer.busyPasses();
        QTest::qWait(200);
        QCOMPARE(checkpointer.busyPasses(), busyAfter);

        checkpointer.stop();
        QCOMPARE(messagesInFileAlone(options.database, dir.filePath(u"copy.db"_s)), messages);
        store.close();
    }

    // Under NORMAL nothing but a checkpoint flushes the log, and a flush that finds a quarter
    // of a second of commits to write holds the core for a millisecond: between checkpoints,
    // the thread at the lowest weight writes the log's new pages back as it grows.
    void writesTheLogBackAsItGrows()
    {
#ifndef Q_OS_LINUX
        QSKIP("the log is written back with Linux's sync_file_range");
#else
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const SqlStoreOptions options = normalIn(dir, 0);
        SqlStore store(options);
        const auto customer = openWithCustomer(store);
        QVERIFY(customer);
        const QString log = options.database + u"-wal"_s;
        if (QStorageInfo(dir.path()).fileSystemType() == "tmpfs")
            QSKIP("the log is on tmpfs, whose pages are never written to a disk");
        // Committed under NORMAL, the log's pages wait in memory (for the kernel's own
        // write-back, half a minute later).
        QVERIFY(append(store, *customer, 5, 10));
        const std::optional<quint64> unwritten = unwrittenPages(log);
        if (!unwritten)
            QSKIP("no cachestat call (Linux 6.5) to count the log's pages not yet written");
        QVERIFY2(*unwritten > 0, "the log was written to the disk without being asked to");

        // Checkpoints a minute apart, so that none flushes the log during the test.
        WalCheckpointer checkpointer(
            options.database, u"NORMAL"_s, std::chrono::minutes(1), std::chrono::minutes(1));
        checkpointer.start();
        QTRY_COMPARE_WITH_TIMEOUT(unwrittenPages(log).value_or(1), quint64(0), 5000);
        // Commits at a light pace: written back as they come, none left a moment later.
        for (int i = 0; i < 20; ++i) {
            QVERIFY(append(store, *customer, 1, 1));
            QTest::qWait(5);
        }
        QTRY_COMPARE_WITH_TIMEOUT(unwrittenPages(log).value_or(1), quint64(0), 5000);
        QCOMPARE(checkpointer.lightPasses(), 0);
        QCOMPARE(checkpointer.busyPasses(), 0);
        checkpointer.stop();
        store.close();
#endif
    }

    void stopsWithoutADatabase()
    {
        // A path that cannot open: the thread warns once and stop() still returns.
        QTest::ignoreMessage(
            QtWarningMsg, QRegularExpression(u"cannot open a connection of their own"_s));
        WalCheckpointer checkpointer(u"/nonexistent-dir/x/chat.db"_s, u"FULL"_s);
        checkpointer.start();
        checkpointer.stop();
    }
};

QTEST_GUILESS_MAIN(TestWalCheckpointer)
#include "tst_walcheckpointer.moc"
