#pragma once

// SQLite's own API for the tests of the layers the server puts under it (the log-writing VFS,
// the page cache filter): a connection that closes itself, one-value queries, and the
// write-ahead log's salts.

#include <QFile>
#include <QString>

#include <memory>
#include <sqlite3.h>

namespace dpichat::test {

struct SqliteCloser
{
    void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, SqliteCloser>;

/// Opens (creating) the database at `path`, waiting up to 5 s for locks; null on failure.
inline Db openDb(const QString &path)
{
    sqlite3 *db = nullptr;
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    Db owned(db);
    if (rc != SQLITE_OK)
        return nullptr;
    sqlite3_busy_timeout(db, 5000);
    return owned;
}

inline int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

/// The first column of the first row, or -1.
inline qint64 queryInt(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
        return -1;
    const qint64 value = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return value;
}

/// The first column of the first row as text, or a null string.
inline QString queryText(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
        return {};
    QString value;
    if (sqlite3_step(s) == SQLITE_ROW)
        value = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    return value;
}

/// The salts in the header of the write-ahead log of the database at `path`: new with every
/// round of the log; empty while there is no log.
inline QByteArray logSalts(const QString &path)
{
    QFile log(path + QStringLiteral("-wal"));
    if (!log.open(QIODevice::ReadOnly))
        return {};
    return log.read(24).mid(16);
}

} // namespace dpichat::test
