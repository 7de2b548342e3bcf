// The VFS that writes each commit's log frames in one system call (installLogWriteVfs): a
// commit of many pages costs a handful of write calls, other connections see every commit,
// a transaction larger than the page cache (frames written before the commit, some written
// again in place) commits whole, a commit whose writes fail fails and leaves nothing behind,
// and the database opens again with every committed row.

#include "sqlitetestdb.h"
#include "store/logwritevfs.h"

#include <QFile>
#include <QFileInfo>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace dpichat::server;
using namespace dpichat::test;
using namespace Qt::StringLiterals;

namespace {

// One of this process's counts in /proc/self/io, or -1.
qint64 ioCount(const QByteArray &name)
{
    QFile io(u"/proc/self/io"_s);
    if (!io.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : io.readAll().split('\n')) {
        if (line.startsWith(name + ':'))
            return line.mid(name.size() + 1).trimmed().toLongLong();
    }
    return -1;
}

// Write system calls made by this process so far.
qint64 writeCalls()
{
    return ioCount("syscw");
}

// Bytes this process has had read from a disk so far.
qint64 bytesReadFromDisk()
{
    return ioCount("read_bytes");
}

// Flushes the file, then asks the kernel to drop its pages from the cache, as memory
// pressure would; returns how many of them are still in memory (mincore), or -1.
qint64 dropFromCache(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const off_t size = ::lseek(fd, 0, SEEK_END);
    qint64 resident = -1;
    if (size > 0 && ::fdatasync(fd) == 0 && ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0) {
        void *map = ::mmap(nullptr, std::size_t(size), PROT_READ, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED) {
            const long page = ::sysconf(_SC_PAGESIZE);
            std::vector<unsigned char> inCore(std::size_t((size + page - 1) / page));
            if (::mincore(map, std::size_t(size), inCore.data()) == 0)
                resident = std::count_if(
                    inCore.cbegin(), inCore.cend(), [](unsigned char c) { return c & 1; });
            ::munmap(map, std::size_t(size));
        }
    }
    ::close(fd);
    return resident;
}

// A database in WAL mode with a table of blobs, as the server's store opens it (NORMAL;
// checkpoints only when asked, so that the log keeps every frame).
Db openChatDb(const QString &path)
{
    Db db = openDb(path);
    if (!db || exec(db.get(), "PRAGMA journal_mode = WAL") != SQLITE_OK
        || exec(db.get(), "PRAGMA synchronous = NORMAL") != SQLITE_OK
        || exec(db.get(), "PRAGMA wal_autocheckpoint = 0") != SQLITE_OK
        || exec(db.get(), "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)")
                != SQLITE_OK)
        return nullptr;
    return db;
}

// Inserts `rows` rows of `bytes` random bytes each in one transaction.
int insertRows(sqlite3 *db, int rows, int bytes)
{
    const QByteArray sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                           " WHERE i < " + QByteArray::number(rows) + ") INSERT INTO t (body)"
                           " SELECT randomblob(" + QByteArray::number(bytes) + ") FROM n";
    return exec(db, sql.constData());
}

// A database in a temporary folder with a connection that writes and one that reads.
struct TwoConnections
{
    QTemporaryDir dir;
    QString path = dir.filePath(u"chat.db"_s);
    Db writer = openChatDb(path);
    Db reader = openChatDb(path);

    bool isValid() const { return dir.isValid() && writer && reader; }
};

} // namespace

class TestLogWriteVfs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(installLogWriteVfs());
        QVERIFY(installLogWriteVfs()); // Once per process; the second call changes nothing.
        QCOMPARE(QByteArray(sqlite3_vfs_find(nullptr)->zName), QByteArray("dpichat-logwrite"));
    }

    void writesACommitInAFewCalls()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"chat.db"_s);
        Db db = openChatDb(path);
        QVERIFY(db);
        QCOMPARE(insertRows(db.get(), 1, 10), SQLITE_OK); // The log's header is written.

        // 64 rows of 3,000 bytes: 64 pages or more, each its own frame (two writes each
        // without this VFS); 200 KiB, so in two calls of at most 124 KiB.
        const qint64 logBefore = QFileInfo(path + u"-wal"_s).size();
        const std::optional<std::uint64_t> countedBefore = logBytesWritten();
        QVERIFY(countedBefore);
        const qint64 callsBefore = writeCalls();
        QVERIFY(callsBefore >= 0);
        QCOMPARE(insertRows(db.get(), 64, 3000), SQLITE_OK);
        const qint64 calls = writeCalls() - callsBefore;
        const qint64 logGrew = QFileInfo(path + u"-wal"_s).size() - logBefore;
        const qint64 frames = logGrew / (4096 + 24);
        QVERIFY2(frames >= 64, qPrintable(u"frames: %1"_s.arg(frames)));
        QVERIFY2(calls <= 4, qPrintable(u"%1 write calls for %2 frames"_s.arg(calls).arg(frames)));
        // The count of the log's bytes (WalCheckpointer's measure of its growth) has them all;
        // the file also holds the zeros that end a commit's write at a block's end.
        const qint64 counted = qint64(*logBytesWritten() - *countedBefore);
        QVERIFY2(counted > logGrew - 4096 && counted < logGrew + 4096,
            qPrintable(u"counted %1 bytes, the log grew by %2"_s.arg(counted).arg(logGrew)));
        QCOMPARE(queryInt(db.get(), "SELECT count(*) FROM t"), qint64(65));
    }

    void anotherConnectionSeesEveryCommit()
    {
        TwoConnections db;
        QVERIFY(db.isValid());
        sqlite3 *writer = db.writer.get();
        sqlite3 *reader = db.reader.get();
        for (int i = 1; i <= 300; ++i) {
            QCOMPARE(insertRows(writer, i % 7 + 1, 100 + 37 * i), SQLITE_OK);
            QCOMPARE(queryInt(reader, "SELECT count(*) FROM t"),
                     queryInt(writer, "SELECT count(*) FROM t"));
            if (i % 50 == 0) // Copied into the database now and then; the log starts over.
                QCOMPARE(exec(reader, "PRAGMA wal_checkpoint(PASSIVE)"), SQLITE_OK);
        }
        QCOMPARE(queryText(reader, "PRAGMA integrity_check"), u"ok"_s);
    }

    void aTransactionLargerThanTheCacheCommitsWhole_data()
    {
        QTest::addColumn<int>("rows");
        QTest::newRow("all held until the commit (about 100 KiB)") << 60;
        QTest::newRow("written in several calls (about 1 MiB)") << 600;
    }

    void aTransactionLargerThanTheCacheCommitsWhole()
    {
        QFETCH(int, rows);
        TwoConnections db;
        QVERIFY(db.isValid());
        sqlite3 *writer = db.writer.get();
        sqlite3 *reader = db.reader.get();
        // A cache of 4 pages: SQLite writes frames before the commit, reads pages back from
        // them, and writes the frame of a page changed again over the one it wrote (a write
        // back in the file).
        QCOMPARE(exec(writer, "PRAGMA cache_size = 4"), SQLITE_OK);
        QCOMPARE(exec(writer, "BEGIN"), SQLITE_OK);
        QCOMPARE(insertRows(writer, rows, 1500), SQLITE_OK);
        QCOMPARE(exec(writer, "UPDATE t SET body = zeroblob(1400) WHERE id % 3 = 0"),
                 SQLITE_OK);
        QCOMPARE(insertRows(writer, rows / 3, 1500), SQLITE_OK);
        const qint64 bytes = rows / 3 * 1400 + (rows - rows / 3) * 1500 + rows / 3 * 1500;
        QCOMPARE(queryInt(writer, "SELECT sum(length(body)) FROM t"), bytes);
        QCOMPARE(queryInt(reader, "SELECT count(*) FROM t"), qint64(0));
        QCOMPARE(exec(writer, "COMMIT"), SQLITE_OK);

        QCOMPARE(queryInt(reader, "SELECT count(*) FROM t"), qint64(rows + rows / 3));
        QCOMPARE(queryInt(reader, "SELECT sum(length(body)) FROM t"), bytes);
        QCOMPARE(queryInt(reader, "SELECT count(*) FROM t WHERE body = zeroblob(1400)"),
                 qint64(rows / 3));
        QCOMPARE(queryText(reader, "PRAGMA integrity_check"), u"ok"_s);
    }

    void aCommitThatCannotBeWrittenFails_data()
    {
        QTest::addColumn<int>("rows");
        QTest::newRow("held until the commit (about 40 KiB)") << 10;
        QTest::newRow("written in several calls (about 400 KiB)") << 100;
    }

    void aCommitThatCannotBeWrittenFails()
    {
        QFETCH(int, rows);
        TwoConnections db;
        QVERIFY(db.isValid());
        sqlite3 *writer = db.writer.get();
        sqlite3 *reader = db.reader.get();
        QCOMPARE(insertRows(writer, 10, 500), SQLITE_OK);
        const qint64 logSize = QFileInfo(db.path + u"-wal"_s).size();
        QVERIFY(logSize > 0);

        // No file of this process may grow past the log's size plus 8 KiB: the next
        // commit's writes fail (EFBIG, with SIGXFSZ ignored).
        rlimit saved{};
        QCOMPARE(getrlimit(RLIMIT_FSIZE, &saved), 0);
        const auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = saved;
        limited.rlim_cur = rlim_t(logSize + 8192);
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &limited), 0);
        const int rc = insertRows(writer, rows, 4000);
        setrlimit(RLIMIT_FSIZE, &saved);
        std::signal(SIGXFSZ, previousHandler);

        QVERIFY2(rc != SQLITE_OK, "a commit whose log could not be written succeeded");
        QCOMPARE(queryInt(reader, "SELECT count(*) FROM t"), qint64(10));
        QCOMPARE(queryInt(writer, "SELECT count(*) FROM t"), qint64(10));

        // The same connection commits again once the file may grow.
        QCOMPARE(insertRows(writer, rows, 4000), SQLITE_OK);
        QCOMPARE(queryInt(reader, "SELECT count(*) FROM t"), qint64(10 + rows));
        QCOMPARE(queryText(reader, "PRAGMA integrity_check"), u"ok"_s);
    }

    void opensAgainWithEveryCommittedRow()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"chat.db"_s);
        {
            Db db = openChatDb(path);
            QVERIFY(db);
            for (int i = 0; i < 100; ++i)
                QCOMPARE(insertRows(db.get(), 3, 700), SQLITE_OK);
            // Closed without a checkpoint copying the log (the last connection's close
            // would): the rows must come back from the log when the database opens again.
            QCOMPARE(sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr),
                     SQLITE_OK);
        }
        QVERIFY(QFileInfo(path + u"-wal"_s).size() > 100 * 3 * 700);
        Db db = openChatDb(path);
        QVERIFY(db);
        QCOMPARE(queryInt(db.get(), "SELECT count(*) FROM t"), qint64(300));
        QCOMPARE(queryText(db.get(), "PRAGMA integrity_check"), u"ok"_s);
    }

    // Once the log starts over, commits write over the blocks of the previous round, which
    // the kernel may have dropped from its cache since. A write of part of such a block
    // would first read it back from the disk; each commit's write ends at a block's end, so
    // none does. What the last commit leaves after its frames (zeros, then the previous
    // round's frames) is not taken for part of the log when the database opens again.
    void startsTheLogOverWithoutReadingTheOldRound()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        if (QStorageInfo(dir.path()).fileSystemType() == "tmpfs")
            QSKIP("the temporary folder is on tmpfs, which never reads anything from a disk");
        if (bytesReadFromDisk() < 0)
            QSKIP("no /proc/self/io: the bytes read from the disk cannot be counted");
        const QString path = dir.filePath(u"chat.db"_s);
        const QString logPath = path + u"-wal"_s;
        Db db = openChatDb(path);
        QVERIFY(db);
        // A first round of the log: 200 commits of 3 rows.
        for (int i = 0; i < 200; ++i)
            QCOMPARE(insertRows(db.get(), 3, 700), SQLITE_OK);
        const qint64 firstRound = QFileInfo(logPath).size();
        // Everything copied into the database: the next commit starts the log over. Once
        // before the measured round, so that SQLite's code for it is in memory then.
        for (int round = 0; round < 2; ++round) {
            QCOMPARE(exec(db.get(), "PRAGMA wal_checkpoint(PASSIVE)"), SQLITE_OK);
            if (round == 0)
                QCOMPARE(insertRows(db.get(), 3, 700), SQLITE_OK);
        }
        const qint64 resident = dropFromCache(logPath);
        QVERIFY(resident >= 0);
        if (resident > firstRound / 4096 / 10)
            QSKIP(
                qPrintable(u"the kernel kept %1 of the log's pages in its cache"_s.arg(resident)));

        const qint64 readBefore = bytesReadFromDisk();
        for (int i = 0; i < 100; ++i)
            QCOMPARE(insertRows(db.get(), 3, 700), SQLITE_OK);
        const qint64 read = bytesReadFromDisk() - readBefore;
        QVERIFY2(read == 0,
            qPrintable(u"100 commits over the old round read %1 bytes from the disk"_s.arg(read)));
        QCOMPARE(QFileInfo(logPath).size(), firstRound); // The second round is the shorter.

        // Closed without copying the log: the second round's rows come back, and no frame of
        // the first round after it.
        QCOMPARE(
            sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr), SQLITE_OK);
        db.reset();
        db = openChatDb(path);
        QVERIFY(db);
        QCOMPARE(queryInt(db.get(), "SELECT count(*) FROM t"), qint64(903));
        QCOMPARE(queryText(db.get(), "PRAGMA integrity_check"), u"ok"_s);
    }
};

QTEST_GUILESS_MAIN(TestLogWriteVfs)
#include "tst_logwritevfs.moc"
