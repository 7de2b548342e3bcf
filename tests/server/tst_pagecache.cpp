// The page cache layer that skips truncations with nothing to remove
// (installPageCacheTruncationFilter): once SQLite's B-tree has moved a page through its
// temporary number past the end of the file, commits that only grow the database no longer
// reach SQLite's cache walk; a rollback that leaves pages past the end still removes them,
// and what the database holds afterwards, read by this connection and a new one, is what
// was committed.

#include "sqlitetestdb.h"
#include "store/pagecache.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace dpichat::server;
using namespace dpichat::test;
using namespace Qt::StringLiterals;

namespace {

// Opens a database as the server does (WAL, a 64 MiB cache) with a table whose index takes
// keys in random order, so that its pages split and are rebalanced all over the tree.
Db openIndexed(const QString &path)
{
    Db db = openDb(path);
    if (!db || exec(db.get(), "PRAGMA journal_mode = WAL") != SQLITE_OK
        || exec(db.get(), "PRAGMA cache_size = -65536") != SQLITE_OK
        || exec(db.get(), "CREATE TABLE IF NOT EXISTS t (k TEXT NOT NULL, v BLOB NOT NULL)")
                != SQLITE_OK
        || exec(db.get(), "CREATE INDEX IF NOT EXISTS t_k ON t(k)") != SQLITE_OK)
        return nullptr;
    return db;
}

// One transaction of `rows` rows with random keys and `size`-byte values of `fill`.
bool insertRows(sqlite3 *db, int rows, int size, char fill, bool commit = true)
{
    sqlite3_stmt *s = nullptr;
    if (exec(db, "BEGIN") != SQLITE_OK
        || sqlite3_prepare_v2(db, "INSERT INTO t (k, v) VALUES (?, ?)", -1, &s, nullptr)
                != SQLITE_OK)
        return false;
    const QByteArray value(size, fill);
    bool ok = true;
    for (int i = 0; i < rows && ok; ++i) {
        const QByteArray key = QByteArray::number(QRandomGenerator::global()->generate64(), 16);
        sqlite3_bind_text(s, 1, key.constData(), int(key.size()), SQLITE_TRANSIENT);
        sqlite3_bind_blob(s, 2, value.constData(), int(value.size()), SQLITE_TRANSIENT);
        ok = sqlite3_step(s) == SQLITE_DONE;
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return exec(db, ok && commit ? "COMMIT" : "ROLLBACK") == SQLITE_OK && ok;
}

} // namespace

class TestPageCache : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Before anything in this process initializes SQLite, as the server does.
        QVERIFY(installPageCacheTruncationFilter());
        QVERIFY(installPageCacheTruncationFilter()); // once per process
    }

    void commitsAfterAPageSwapSkipTheCacheWalk()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        Db db = openIndexed(dir.filePath(u"swap.db"_s));
        QVERIFY(db);
        // Grow the index until SQLite has moved a page through its temporary number.
        const PageCacheTruncations start = pageCacheTruncations();
        int committed = 0;
        while (pageCacheTruncations().movedAbove == start.movedAbove && committed < 400 * 200) {
            QVERIFY(insertRows(db.get(), 200, 100, 'a'));
            committed += 200;
        }
        QVERIFY2(pageCacheTruncations().movedAbove > start.movedAbove,
                 "no page was moved past the end: the case this layer is for did not occur");
        // Every later commit that only grows the file has nothing past its end to remove.
        const PageCacheTruncations before = pageCacheTruncations();
        for (int i = 0; i < 50; ++i) {
            QVERIFY(insertRows(db.get(), 200, 100, 'a'));
            committed += 200;
        }
        const PageCacheTruncations after = pageCacheTruncations();
        QCOMPARE(after.passedOn, before.passedOn);
        QVERIFY2(after.skipped - before.skipped >= 50,
                 qPrintable(u"%1 truncations skipped in 50 commits"_s
                                    .arg(after.skipped - before.skipped)));
        QCOMPARE(queryText(db.get(), "PRAGMA integrity_check"), u"ok"_s);
        QCOMPARE(queryInt(db.get(), "SELECT count(*) FROM t"), qint64(committed));
        Db other = openDb(dir.filePath(u"swap.db"_s));
        QVERIFY(other);
        QCOMPARE(queryInt(other.get(), "SELECT count(*) FROM t WHERE v = CAST(replace(hex("
                                       "zeroblob(100)), '00', 'a') AS BLOB)"),
                 qint64(committed));
    }

    void aRollbackRemovesThePagesPastTheEnd()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"rollback.db"_s);
        Db db = openIndexed(path);
        QVERIFY(db);
        QVERIFY(insertRows(db.get(), 100, 1000, 'a'));
        const qint64 pagesBefore = queryInt(db.get(), "PRAGMA page_count");
        // A transaction that grows the file by hundreds of pages, then rolls back: the cache
        // holds pages past the end that must go.
        const PageCacheTruncations before = pageCacheTruncations();
        QVERIFY(insertRows(db.get(), 500, 2000, 'x', false));
        QVERIFY(pageCacheTruncations().passedOn > before.passedOn);
        QCOMPARE(queryInt(db.get(), "PRAGMA page_count"), pagesBefore);
        // The same page numbers again, with other contents.
        QVERIFY(insertRows(db.get(), 300, 1500, 'b'));
        QCOMPARE(queryText(db.get(), "PRAGMA integrity_check"), u"ok"_s);
        Db other = openDb(path);
        QVERIFY(other);
        for (sqlite3 *reader : {db.get(), other.get()}) {
            QCOMPARE(queryInt(reader, "SELECT count(*) FROM t"), qint64(400));
            QCOMPARE(queryInt(reader, "SELECT count(*) FROM t WHERE instr(v, 'x') > 0"), 0);
            QCOMPARE(queryInt(reader, "SELECT count(*) FROM t WHERE v = CAST(replace(hex("
                                      "zeroblob(1000)), '00', 'a') AS BLOB)"),
                     qint64(100));
            QCOMPARE(queryInt(reader, "SELECT count(*) FROM t WHERE v = CAST(replace(hex("
                                      "zeroblob(1500)), '00', 'b') AS BLOB)"),
                     qint64(300));
        }
    }
};

QTEST_GUILESS_MAIN(TestPageCache)
#include "tst_pagecache.moc"
