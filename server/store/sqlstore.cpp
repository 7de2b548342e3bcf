#include "sqlstore.h"

#include "logging.h"
#include "logwritevfs.h"
#include "migrations.h"
#include "pagecache.h"
#include "sqlstore_p.h"
#include "sqlutil.h"

#include <QHash>
#include <QSqlError>
#include <QStringList>
#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace dpichat::server {

namespace {

QString nextConnectionName()
{
    static std::atomic<int> counter{0};
    return u"dpichat-store-%1"_s.arg(++counter);
}

} // namespace

QString sql::textColumn(QStringView column, bool sqlite)
{
    return sqlite ? u"CAST(%1 AS BLOB)"_s.arg(column) : column.toString();
}

QString sql::text(const QVariant &value)
{
    if (value.typeId() == QMetaType::QByteArray)
        return QString::fromUtf8(value.toByteArray());
    return value.toString();
}

QString sql::messageColumns(bool sqlite)
{
    return u"m.id, m.thread, m.sender, %1, %2, %3, m.created_at"_s.arg(
            textColumn(u"u.name", sqlite), textColumn(u"m.client_id", sqlite),
            textColumn(u"m.body", sqlite));
}

Message sql::readMessage(const QSqlQuery &q, int first)
{
    Message m;
    m.id = q.value(first).toLongLong();
    m.thread = q.value(first + 1).toLongLong();
    m.sender = q.value(first + 2).toLongLong();
    m.senderName = text(q.value(first + 3));
    m.clientId = text(q.value(first + 4));
    m.text = text(q.value(first + 5));
    m.createdAt = timeFromMs(q.value(first + 6).toLongLong());
    return m;
}

SqlStore::SqlStore(SqlStoreOptions options)
    : m_options(std::move(options))
    , m_connectionName(nextConnectionName())
{
}

SqlStore::~SqlStore()
{
    close();
}

bool SqlStore::isOpen() const
{
    return m_stmts != nullptr || m_connectionLost;
}

std::optional<ProtocolError> SqlStore::notOpen()
{
    // SQLite never gets past the first test; PostgreSQL adds a read of a flag in libpq.
    if (m_isPostgres && (m_connectionLost || (m_stmts && sql::isConnectionLost(m_db))))
        return reconnect();
    if (m_stmts)
        return std::nullopt;
    qCWarning(lcStore) << "store used while closed";
    return ProtocolError{ErrorCode::Internal, u"the database is not open"_s};
}

// The call that found the connection broken has already failed with Internal; this one
// tries again and fails the same way while the database is away. Statements are prepared
// on the server, so they go with the old connection and are prepared anew.
std::optional<ProtocolError> SqlStore::reconnect()
{
    if (!m_connectionLost)
        qCWarning(lcStore) << "the database connection is broken; reconnecting";
    m_connectionLost = true;
    m_stmts.reset();
    m_db.close();
    if (!m_db.open())
        return sql::failure(m_db.lastError(), "reconnect"_L1);
    if (auto error = prepareStatements()) {
        m_db.close();
        return error;
    }
    m_connectionLost = false;
    qCInfo(lcStore) << "reconnected to the database";
    return std::nullopt;
}

Expected<bool> SqlStore::open()
{
    if (isOpen())
        return true;
    m_isPostgres = m_options.driver == u"QPSQL";
    m_ownThread = QThread::currentThread();
    if (m_options.driver == u"QSQLITE"_s) {
        // Before the first SQLite connection opens (sqlite3_config() only works before SQLite
        // initializes, and is refused harmlessly after): no count of the memory SQLite
        // allocates, which takes a process-wide mutex around every allocation and free.
        static std::once_flag configured;
        std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
        // Commits that do not walk the whole page cache (also only before SQLite initializes).
        if (!installPageCacheTruncationFilter())
            qCInfo(lcStore) << "SQLite's page cache serves without the truncation filter";
        // Each commit's log writes in one system call.
        if (!installLogWriteVfs())
            qCWarning(lcStore) << "SQLite writes its log frame by frame (its VFS could not be wrapped)";
    }
    m_db = QSqlDatabase::addDatabase(m_options.driver, m_connectionName);
    if (!m_db.isValid()) {
        qCCritical(lcStore) << "no Qt SQL driver" << m_options.driver;
        close();
        return ProtocolError{ErrorCode::Internal, u"the database driver is not available"_s};
    }
    m_db.setDatabaseName(m_options.database);
    if (!m_options.host.isEmpty())
        m_db.setHostName(m_options.host);
    if (m_options.port > 0)
        m_db.setPort(m_options.port);
    if (!m_options.user.isEmpty())
        m_db.setUserName(m_options.user);
    if (!m_options.password.isEmpty())
        m_db.setPassword(m_options.password);
    if (!m_db.open()) {
        const ProtocolError error = sql::failure(m_db.lastError(), "open"_L1);
        close();
        return error;
    }

    std::optional<ProtocolError> error;
    if (sql::isSqlite(m_db))
        error = configureSqlite();
    if (!error) {
        const Expected<int> migrated = migrate(m_db, schemaMigrations(m_db.driverName()));
        if (hasError(migrated))
            error = std::get<ProtocolError>(migrated);
    }
    if (!error)
        error = prepareStatements();
    if (error) {
        close();
        return *error;
    }
    qCInfo(lcStore) << "opened" << m_options.driver << "database, connection" << m_connectionName;
    return true;
}

void SqlStore::close()
{
    // Every query on the connection must be gone before removeDatabase(), or Qt warns that
    // the connection is still in use and keeps it.
    m_stmts.reset();
    m_connectionLost = false;
    if (m_db.isValid())
        m_db.close();
    m_db = QSqlDatabase();
    if (QSqlDatabase::contains(m_connectionName))
        QSqlDatabase::removeDatabase(m_connectionName);
}

QString SqlStore::writeAheadLogPath()
{
    if (m_isPostgres || !m_db.isOpen())
        return {};
    QSqlQuery q(m_db);
    if (!q.exec(u"PRAGMA journal_mode"_s) || !q.next()
        || q.value(0).toString().compare(u"wal"_s, Qt::CaseInsensitive) != 0)
        return {};
    q.finish();
    // The file as SQLite resolved it (absolute, links followed), which is where it puts the
    // log: the same name with "-wal" (sqlite3_filename_wal()). Empty for ":memory:".
    if (!q.exec(u"PRAGMA database_list"_s))
        return {};
    while (q.next()) {
        if (q.value(1).toString() == u"main"_s) {
            const QString file = q.value(2).toString();
            return file.isEmpty() ? QString() : file + u"-wal"_s;
        }
    }
    return {};
}

int SqlStore::logCommitted(void *store, sqlite3 *db, const char *schema, int frames)
{
    auto *self = static_cast<SqlStore *>(store);
    const bool ownThread = QThread::currentThread() == self->m_ownThread;
    if (frames < self->m_options.walAutoCheckpointPages) {
        // Under the limit again: on this thread, the commit after a complete copy below
        // started the log over.
        if (ownThread)
            self->m_checkpointDue.store(false, std::memory_order_relaxed);
        return SQLITE_OK;
    }
    if (!ownThread) {
        self->m_checkpointDue.store(true, std::memory_order_relaxed);
        return SQLITE_OK;
    }
    // What SQLite's own hook does at the limit (sqlite3WalDefaultHook). A checkpoint that
    // cannot finish now is tried again after the next commit, as there.
    int logFrames = -1;
    int copied = -1;
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied);
    // Everything copied: the next commit starts the log over, and SQLite flushes the log's
    // new header before it writes a frame (even under NORMAL). That flush is left to this
    // thread too.
    self->m_checkpointDue.store(logFrames > 0 && copied == logFrames, std::memory_order_relaxed);
    return SQLITE_OK;
}

std::optional<ProtocolError> SqlStore::configureSqlite()
{
    const QString synchronous = m_options.synchronous.trimmed().toUpper();
    // PRAGMA takes no bound values, so the setting is checked against the modes SQLite knows.
    static const QStringList modes{u"OFF"_s, u"NORMAL"_s, u"FULL"_s, u"EXTRA"_s};
    if (!modes.contains(synchronous)) {
        qCCritical(lcStore) << "unknown SQLite synchronous mode" << m_options.synchronous;
        return ProtocolError{ErrorCode::Internal, u"unknown SQLite synchronous mode"_s};
    }
    const QStringList pragmas {
        u"PRAGMA busy_timeout = %1"_s.arg(std::max(0, m_options.busyTimeoutMs)),
        m_options.appendsOnly ? u"PRAGMA foreign_keys = OFF"_s : u"PRAGMA foreign_keys = ON"_s,
        u"PRAGMA journal_mode = WAL"_s,
        u"PRAGMA synchronous = %1"_s.arg(synchronous),
        // The default page cache (2 MiB) holds a fraction of what an admin's inbox reads (the
        // threads, their owners, cursors and last messages: ~40 MiB at 10,000 threads), so
        // every `threads` request read those pages again through the kernel, and its sort
        // spilled to a temporary file. Per connection; see docs/performance.md, "Big data".
        u"PRAGMA cache_size = -65536"_s,
        u"PRAGMA temp_store = MEMORY"_s,
        // The automatic checkpoint runs inside a commit; a WalCheckpointer takes it off the
        // commits and this becomes a limit it should never reach. On SQLite's own API the
        // log's hook (logCommitted(), set in prepareStatements()) takes its place.
        u"PRAGMA wal_autocheckpoint = %1"_s.arg(std::max(0, m_options.walAutoCheckpointPages)),
    };
    QSqlQuery q(m_db);
    for (const QString &pragma : pragmas) {
        if (!q.exec(pragma))
            return sql::failure(q, "configure SQLite"_L1);
        // An in-memory database answers "memory": nothing to warn about.
        if (pragma.contains(u"journal_mode"_s) && q.next()
            && q.value(0).toString().compare(u"wal"_s, Qt::CaseInsensitive) != 0
            && q.value(0).toString() != u"memory"_s)
            qCWarning(lcStore) << "SQLite refused WAL mode; journal mode is" << q.value(0);
        q.finish();
    }
    return std::nullopt;
}

std::optional<ProtocolError> SqlStore::prepareStatements()
{
    auto s = std::make_unique<Statements>();
    const auto messageSelect = [sqlite = !m_isPostgres](const QString &rest) {
        return u"SELECT "_s + sql::messageColumns(sqlite)
                + u" FROM messages m JOIN users u ON u.id = m.sender "_s + rest;
    };
    QList<std::pair<QSqlQuery *, QString>> statements{
        {&s->messageByClientId, messageSelect(u"WHERE m.sender = ? AND m.client_id = ?"_s)},
        {&s->userName, u"SELECT name FROM users WHERE id = ?"_s},
        {&s->historyPage,
         messageSelect(u"WHERE m.thread = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?"_s)},
        {&s->syncAll, messageSelect(u"WHERE m.id > ? ORDER BY m.id LIMIT ?"_s)},
        {&s->syncOwn,
         messageSelect(u"WHERE m.thread IN (SELECT t.id FROM threads t WHERE t.owner = ?) "
                       u"AND m.id > ? ORDER BY m.id LIMIT ?"_s)},
        {&s->ownThreads, u"SELECT id FROM threads WHERE owner = ?"_s},
        {&s->syncThread,
         messageSelect(u"WHERE m.thread = ? AND m.id > ? ORDER BY m.id LIMIT ?"_s)},
        // The counters of migration 2 (see advanceReadCursor in sqlstore_threads.cpp). SET
        // expressions see the row as it was, so the ranges start at the old cursor.
        {&s->threadNewest,
         m_isPostgres ? u"SELECT last_message_id FROM threads WHERE id = ? FOR UPDATE"_s
                      : u"SELECT last_message_id FROM threads WHERE id = ?"_s},
        {&s->cursorAdvance,
         u"UPDATE read_cursors SET "
         u"seen = seen + (SELECT COUNT(*) FROM messages m WHERE m.thread = read_cursors.thread "
         u"  AND m.id > read_cursors.up_to AND m.id <= ?), "
         u"own_after = own_after - (SELECT COUNT(*) FROM messages m "
         u"  WHERE m.thread = read_cursors.thread AND m.sender = read_cursors.user_id "
         u"  AND m.id > read_cursors.up_to AND m.id <= ?), "
         u"up_to = ? "
         u"WHERE thread = ? AND user_id = ? AND up_to < ?"_s},
        {&s->cursorInsert,
         u"INSERT INTO read_cursors (thread, user_id, up_to, seen, own_after) VALUES (?, ?, ?, "
         u"(SELECT COUNT(*) FROM messages m WHERE m.thread = ? AND m.id <= ?), "
         u"(SELECT COUNT(*) FROM messages m WHERE m.thread = ? AND m.sender = ? AND m.id > ?)) "
         u"ON CONFLICT (thread, user_id) DO NOTHING"_s},
        {&s->threadCursors,
         u"UPDATE threads SET "
         u"owner_up_to = CASE WHEN owner = ? AND ? > owner_up_to THEN ? ELSE owner_up_to END, "
         u"team_up_to = CASE WHEN ? > team_up_to AND EXISTS (SELECT 1 FROM users a "
         u"  WHERE a.id = ? AND a.role = 'admin') THEN ? ELSE team_up_to END "
         u"WHERE id = ?"_s},
        {&s->sessionLookup,
         u"SELECT s.user_id, s.last_used FROM sessions s JOIN users u ON u.id = s.user_id "
         u"WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires > ? AND u.disabled = 0"_s},
        {&s->sessionTouch, u"UPDATE sessions SET last_used = ? WHERE token_hash = ?"_s},
        {&s->userById, QString::fromUtf16(kUserSelect) + u"WHERE u.id = ?"_s},
        {&s->messageRange, messageSelect(u"WHERE m.id BETWEEN ? AND ? ORDER BY m.id"_s)},
    };
    statements.append({ &s->accountChanges, u"SELECT latest FROM account_changes WHERE id = 1"_s });
    if (!m_isPostgres) {
        statements.append({&s->threadCounted, counterStatements().first});
        statements.append({&s->cursorCounted, counterStatements().second});
    }
    if (m_isPostgres) {
        statements.append({&s->notify, u"SELECT pg_notify(?, ?)"_s});
        // Ids come from a sequence in the order transactions draw them, but become visible in
        // the order they commit: without this lock, instance A could commit id 11 while B still
        // holds 10, and a client that synced after 11 would never see 10. One appender at a
        // time (per batch: group commit keeps it cheap) makes commit order id order.
        statements.append({&s->lockAppends, u"SELECT pg_advisory_xact_lock(7487319)"_s});
        // The rows in the batch's order, so that ids follow it (a sender's messages get ids in
        // the order they were sent). One statement per batch: the counting trigger of schema
        // step 7 then touches each thread's row once per batch.
        statements.append(
                {&s->insertBatch,
                 u"INSERT INTO messages (thread, sender, client_id, body, created_at) "
                 u"SELECT r.thread, r.sender, r.client_id, r.body, ? "
                 u"FROM unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), "
                 u"CAST(? AS TEXT[])) WITH ORDINALITY AS r(thread, sender, client_id, body, n) "
                 u"ORDER BY r.n "
                 u"ON CONFLICT (sender, client_id) DO NOTHING RETURNING id, sender, client_id"_s});
    }
    for (const auto &[query, text] : statements) {
        *query = QSqlQuery(m_db);
        query->setForwardOnly(true);
        if (!query->prepare(text))
            return sql::failure(*query, "prepare statements"_L1);
    }
    if (!m_isPostgres && m_options.nativeApi)
        s->sqlite = sameBuildSqliteHandle(m_db);
    if (s->sqlite)
        s->sqliteAppender = std::make_unique<SqliteAppender>(s->sqlite);
    if (s->sqlite && m_options.walAutoCheckpointPages > 0)
        sqlite3_wal_hook(s->sqlite, &SqlStore::logCommitted, this);
    if (m_isPostgres && m_options.nativeApi)
        s->pg = sql::postgresHandle(m_db);
    m_stmts = std::move(s);
    return std::nullopt;
}

Expected<int> SqlStore::schemaVersion()
{
    if (auto error = notOpen())
        return *error;
    return dpichat::server::schemaVersion(m_db);
}

} // namespace dpichat::server
