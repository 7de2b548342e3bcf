#include "generator.h"

#include "auth/passwords.h"
#include "store/migrations.h"
#include "store/sqlstore.h"
#include "bulkinserter.h"
#include "dataset.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QTextStream>
#include <QUuid>

using namespace Qt::StringLiterals;

namespace dpichat::bigdata {

namespace {

constexpr int kRowsPerStatement = 200;

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

int failWith(const QString &message)
{
    QTextStream(stderr) << "dpichat-bigdata: " << message << Qt::endl;
    return 1;
}

QString uuid(std::mt19937_64 &rng)
{
    const quint64 a = rng();
    const quint64 b = rng();
    // A version-4 UUID, as a client makes for clientId.
    const QUuid u(uint(a >> 32), ushort(a >> 16), ushort((a & 0x0fff) | 0x4000),
                  uchar(((b >> 56) & 0x3f) | 0x80), uchar(b >> 48), uchar(b >> 40),
                  uchar(b >> 32), uchar(b >> 24), uchar(b >> 16), uchar(b >> 8), uchar(b));
    return u.toString(QUuid::WithoutBraces);
}

class Generator
{
public:
    explicit Generator(const Options &o)
        : m_o(o)
        , m_rng(o.seed)
    {
    }
    ~Generator()
    {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(u"bigdata-generate"_s);
    }
    int run();

private:
    bool exec(const QString &sql);
    bool commitEvery(qint64 rows);
    int insertUsers(const QByteArray &hash);
    int insertThreads();
    int insertMessages();
    int insertCursors();
    int finish();
    qint64 databaseBytes();

    const Options &m_o;
    std::mt19937_64 m_rng;
    Dataset m_data;
    QSqlDatabase m_db;
    bool m_postgres = false;
    QList<QList<qint32>> m_threadMessages; ///< Ids of each thread's messages, for cursors.
    qint64 m_nowMs = QDateTime::currentMSecsSinceEpoch();
    qint64 m_startMs = 0;
    qint64 m_uncommitted = 0;
    qint64 m_cursorRows = 0;
};

bool Generator::exec(const QString &sql)
{
    QSqlQuery q(m_db);
    if (q.exec(sql))
        return true;
    failWith(u"%1: %2"_s.arg(sql.section(u' ', 0, 1),
                             q.lastError().databaseText().section(u'\n', 0, 0)));
    return false;
}

// Large transactions: a commit (and its flush) per rowsPerTransaction rows, not per row.
bool Generator::commitEvery(qint64 rows)
{
    m_uncommitted += rows;
    if (m_uncommitted < m_o.rowsPerTransaction)
        return true;
    m_uncommitted = 0;
    return m_db.commit() && m_db.transaction();
}

int Generator::run()
{
    // The schema, exactly as the server makes it.
    {
        server::SqlStore store(m_o.store);
        const Expected<bool> opened = store.open();
        if (const auto *e = std::get_if<ProtocolError>(&opened))
            return failWith(u"cannot open the database: "_s + e->message);
    }
    m_postgres = m_o.store.driver == u"QPSQL";
    m_db = QSqlDatabase::addDatabase(m_o.store.driver, u"bigdata-generate"_s);
    m_db.setDatabaseName(m_o.store.database);
    if (m_postgres) {
        m_db.setHostName(m_o.store.host);
        m_db.setPort(m_o.store.port);
        m_db.setUserName(m_o.store.user);
        m_db.setPassword(m_o.store.password);
    }
    if (!m_db.open())
        return failWith(u"cannot open the database: "_s + m_db.lastError().text());
    {
        QSqlQuery q(m_db);
        if (!q.exec(u"SELECT COUNT(*) FROM users"_s) || !q.next() || q.value(0).toLongLong() != 0)
            return failWith(u"the database already has users; give a new, empty one"_s);
    }
    // Loading speed only: a lost generator run is simply run again.
    const bool tuned = m_postgres ? exec(u"SET synchronous_commit = off"_s)
                                  : exec(u"PRAGMA synchronous = OFF"_s)
                    && exec(u"PRAGMA cache_size = -262144"_s) && exec(u"PRAGMA temp_store = MEMORY"_s);
    if (!tuned)
        return 1;

    if (!server::passwords::initialise())
        return failWith(u"libsodium did not start"_s);
    // One argon2id hash for everyone: hashing 10,000 passwords would take minutes and
    // measures nothing here.
    const QByteArray hash = server::passwords::hash(m_o.password);
    if (hash.isEmpty())
        return failWith(u"could not hash the password"_s);

    m_data = Dataset::plan(m_o.users, m_o.admins, m_o.messages, m_rng);
    out() << "generating " << m_o.users << " users (" << m_o.admins << " admins), "
          << m_data.threads() << " threads, " << m_o.messages << " messages into "
          << (m_postgres ? u"PostgreSQL"_s : u"SQLite"_s) << ", seed " << m_o.seed << Qt::endl;

    QElapsedTimer total;
    total.start();
    int rc = insertUsers(hash);
    if (rc == 0)
        rc = insertThreads();
    if (rc == 0)
        rc = insertMessages();
    if (rc == 0)
        rc = insertCursors();
    if (rc == 0)
        rc = finish();
    if (rc != 0)
        return rc;
    const qint64 rows = m_o.users + m_data.threads() + m_o.messages + m_cursorRows;
    const double seconds = double(total.elapsed()) / 1000.0;
    out() << QStringLiteral("done: %1 rows in %2 s (%3 rows/s); database %4 MiB")
                     .arg(rows)
                     .arg(seconds, 0, 'f', 1)
                     .arg(qint64(double(rows) / seconds))
                     .arg(double(databaseBytes()) / 1048576.0, 0, 'f', 0)
          << Qt::endl;
    return 0;
}

int Generator::insertUsers(const QByteArray &hash)
{
    QElapsedTimer t;
    t.start();
    BulkInserter users(m_db, u"users"_s,
                       {u"id"_s, u"email"_s, u"name"_s, u"role"_s, u"password_hash"_s,
                        u"disabled"_s, u"created_at"_s, u"last_seen"_s},
                       kRowsPerStatement);
    std::uniform_real_distribution<double> unit(0, 1);
    const qint64 dayMs = 24LL * 3600 * 1000;
    const QVariant noTime(QMetaType::fromType<qint64>());
    if (!m_db.transaction())
        return failWith(u"cannot begin a transaction"_s);
    for (int i = 0; i < m_o.users; ++i) {
        const qint64 id = i + 1;
        const bool admin = i < m_o.admins;
        // A fifth of the non-admins are members (staff of a customer company), the rest customers.
        const QString role = admin ? u"admin"_s : unit(m_rng) < 0.2 ? u"member"_s : u"customer"_s;
        const QString email = admin ? u"admin%1@bigdata.invalid"_s.arg(id)
                                    : u"%1%2@bigdata.invalid"_s.arg(role).arg(id);
        const QString name = admin ? u"Admin %1"_s.arg(id)
                                   : u"%1 %2"_s.arg(role == u"member" ? u"Member"_s : u"Customer"_s)
                                             .arg(id);
        const qint64 created = m_nowMs - 400 * dayMs + qint64(unit(m_rng) * 30 * dayMs);
        const QVariant lastSeen = admin || unit(m_rng) < 0.7
                ? QVariant(m_nowMs - qint64(unit(m_rng) * 30 * dayMs))
                : noTime;
        if (!users.add({id, email, name, role, hash, 0, created, lastSeen}))
            return failWith(users.error());
    }
    if (!users.flush() || !m_db.commit())
        return failWith(users.error().isEmpty() ? u"commit failed"_s : users.error());
    out() << "users: " << users.rows() << " in " << t.elapsed() << " ms" << Qt::endl;
    return 0;
}

int Generator::insertThreads()
{
    QElapsedTimer t;
    t.start();
    BulkInserter threads(m_db, u"threads"_s, {u"id"_s, u"owner"_s, u"kind"_s, u"created_at"_s},
                         kRowsPerStatement);
    if (!m_db.transaction())
        return failWith(u"cannot begin a transaction"_s);
    const qint64 created = m_nowMs - 400LL * 24 * 3600 * 1000;
    for (int i = 0; i < m_data.threads(); ++i) {
        if (!threads.add({Dataset::threadId(i), m_data.ownerOf(i), u"support"_s, created}))
            return failWith(threads.error());
    }
    if (!threads.flush() || !m_db.commit())
        return failWith(threads.error().isEmpty() ? u"commit failed"_s : threads.error());
    out() << "threads: " << threads.rows() << " in " << t.elapsed() << " ms" << Qt::endl;
    return 0;
}

int Generator::insertMessages()
{
    QElapsedTimer t;
    t.start();
    // The counters (threads.message_count and last_*, the senders' read_cursors.own_after) are
    // counted once after the load, by the statements the schema migration runs on an existing
    // database: SQLite's server counts per batch of its own, and PostgreSQL's trigger, which
    // updates a thread's row thousands of times in one transaction, gets slower with every
    // update (each finds its row at the end of a chain of versions that only commit frees), so
    // it is disabled for the load. PostgreSQL loads in one transaction (a failure rolls all of
    // it back, the trigger's state included), SQLite in one per rowsPerTransaction rows.
    const QStringList columns{u"id"_s, u"thread"_s, u"sender"_s, u"client_id"_s, u"body"_s,
                              u"created_at"_s};
    BulkInserter messages(m_db, u"messages"_s, columns, kRowsPerStatement);

    MessageStream stream(m_data, m_nowMs, m_rng);
    m_startMs = stream.startMs();
    m_threadMessages.resize(m_data.threads());
    for (int i = 0; i < m_data.threads(); ++i)
        m_threadMessages[i].reserve(m_data.threadLength.at(i));

    if (!m_db.transaction())
        return failWith(u"cannot begin a transaction"_s);
    const QString trigger = QString::fromUtf16(server::kCounterTrigger);
    if (m_postgres && !exec(u"ALTER TABLE messages DISABLE TRIGGER "_s + trigger))
        return 1;
    PlannedMessage m;
    QElapsedTimer progress;
    progress.start();
    QVariantList row;
    while (stream.next(m)) {
        QList<qint32> &ids = m_threadMessages[m.threadIndex];
        ids.append(qint32(m.id));
        row = {m.id, Dataset::threadId(m.threadIndex), m.sender, uuid(m_rng), messageBody(m_rng),
               m.createdAtMs};
        if (!messages.add(row) || (!m_postgres && !commitEvery(1)))
            return failWith(messages.error().isEmpty() ? u"commit failed"_s : messages.error());
        if (progress.elapsed() >= 10'000) {
            progress.restart();
            out() << "  messages: " << m.id << " ("
                  << qint64(double(m.id) * 1000.0 / double(std::max<qint64>(1, t.elapsed())))
                  << "/s)" << Qt::endl;
        }
    }
    if (!messages.flush())
        return failWith(messages.error());
    QElapsedTimer recount;
    recount.start();
    for (const QString &statement : server::counterBackfill()) {
        if (!exec(statement))
            return 1;
    }
    if (m_postgres && !exec(u"ALTER TABLE messages ENABLE TRIGGER "_s + trigger))
        return 1;
    out() << "  counters counted in " << recount.elapsed() << " ms" << Qt::endl;
    if (!m_db.commit())
        return failWith(u"commit failed: "_s + m_db.lastError().databaseText().section(u'\n', 0, 0));
    m_uncommitted = 0;
    const qint64 ms = std::max<qint64>(1, t.elapsed());
    out() << "messages: " << messages.rows() << " in " << ms << " ms ("
          << qint64(double(messages.rows()) * 1000.0 / double(ms)) << " rows/s)" << Qt::endl;
    return 0;
}

// Most threads are read to (near) the end by their owner and by the admin who answers them;
// other admins have looked at some threads at some point, and never opened the rest. Set
// through SqlStore::advanceReadCursor, the call behind a `read` request, which keeps the
// read counters exact.
int Generator::insertCursors()
{
    QElapsedTimer t;
    t.start();
    server::SqlStoreOptions storeOptions = m_o.store;
    storeOptions.synchronous = u"OFF"_s;
    server::SqlStore store(storeOptions);
    const Expected<bool> opened = store.open();
    if (const auto *e = std::get_if<ProtocolError>(&opened))
        return failWith(u"cannot open the store: "_s + e->message);

    std::uniform_real_distribution<double> unit(0, 1);
    const auto behindEnd = [this](const QList<qint32> &ids, int most) {
        const int back = std::uniform_int_distribution<int>(
                1, std::max<int>(1, std::min<int>(most, int(ids.size()) - 1)))(m_rng);
        return qint64(ids.at(std::max<qint64>(0, ids.size() - 1 - back)));
    };
    const auto advance = [&](qint64 thread, qint64 user, qint64 upTo) {
        const auto moved = store.advanceReadCursor(thread, user, upTo);
        if (const auto *e = std::get_if<ProtocolError>(&moved)) {
            failWith(u"read cursor: "_s + e->message);
            return false;
        }
        ++m_cursorRows;
        return true;
    };
    for (int i = 0; i < m_data.threads(); ++i) {
        const QList<qint32> &ids = m_threadMessages.at(i);
        if (ids.isEmpty())
            continue;
        const qint64 thread = Dataset::threadId(i);
        const double owner = unit(m_rng);
        if (owner < 0.95
            && !advance(thread, m_data.ownerOf(i), owner < 0.8 ? ids.constLast() : behindEnd(ids, 5)))
            return 1;
        for (int a = 0; a < m_data.admins; ++a) {
            qint64 upTo = 0;
            if (a == m_data.primaryAdmin.at(i))
                upTo = unit(m_rng) < 0.9 ? ids.constLast() : behindEnd(ids, 20);
            else if (unit(m_rng) < 0.35)
                upTo = ids.at(std::uniform_int_distribution<qsizetype>(0, ids.size() - 1)(m_rng));
            if (upTo > 0 && !advance(thread, Dataset::adminId(a), upTo))
                return 1;
        }
    }
    out() << "read cursors: " << m_cursorRows << " in " << t.elapsed() << " ms" << Qt::endl;
    m_threadMessages.clear();
    return 0;
}

int Generator::finish()
{
    QElapsedTimer t;
    t.start();
    if (m_postgres) {
        // Explicit ids leave the identity sequences behind; the server's next ids follow on.
        for (const QString &table : {u"users"_s, u"threads"_s, u"messages"_s}) {
            QSqlQuery q(m_db);
            q.prepare(u"SELECT setval(pg_get_serial_sequence(?, 'id'), "
                      u"(SELECT COALESCE(MAX(id), 0) + 1 FROM %1), false)"_s.arg(table));
            q.addBindValue(table);
            if (!q.exec())
                return failWith(u"setval: "_s + q.lastError().databaseText().section(u'\n', 0, 0));
        }
        // What autovacuum would do soon after such a load: statistics for the planner and
        // the visibility map for index-only scans.
        if (!exec(u"VACUUM ANALYZE users, threads, messages, read_cursors"_s))
            return 1;
    } else if (!exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s)) {
        return 1;
    }
    out() << (m_postgres ? "vacuum analyze" : "checkpoint") << " in " << t.elapsed() << " ms"
          << Qt::endl;
    return 0;
}

qint64 Generator::databaseBytes()
{
    if (!m_postgres) {
        const QString path = m_o.store.database;
        return QFileInfo(path).size() + QFileInfo(path + u"-wal"_s).size();
    }
    QSqlQuery q(m_db);
    if (!q.exec(u"SELECT pg_database_size(current_database())"_s) || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

} // namespace

int generate(const Options &options)
{
    Generator g(options);
    return g.run();
}

} // namespace dpichat::bigdata
