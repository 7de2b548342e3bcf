// SqlStore: the `threads` reply written as JSON straight from the database's rows, through
// SQLite's own API or libpq on Qt's connection: no Thread, no QString. For an admin's inbox of
// 10,000 threads, making and freeing those (60,000 strings) and turning them back into UTF-8
// took longer than reading the rows (docs/performance.md, "Big data").

#include "sqlstore.h"

#include "sqlstore_p.h"
#include "sqlutil.h"

#include "logging.h"

#include <algorithm>
#include <charconv>

#include <libpq-fe.h>

using namespace Qt::StringLiterals;

namespace dpichat::server {

namespace {

/// A row of a libpq result in text format.
struct PgRow
{
    const PGresult *result;
    int row;
    bool isNull(int column) const { return PQgetisnull(result, row, column); }
    qint64 integer(int column) const
    {
        const char *value = PQgetvalue(result, row, column);
        qint64 number = 0; // NULL (an empty string) reads as 0, as QVariant's would.
        std::from_chars(value, value + PQgetlength(result, row, column), number);
        return number;
    }
    fastjson::Utf8 utf8(int column) const
    {
        return {QByteArrayView(PQgetvalue(result, row, column), PQgetlength(result, row, column))};
    }
};

struct EncodedThread
{
    qint64 lastId; ///< 0 without messages: after every thread with one.
    qint64 id;
    qsizetype start;
    qsizetype size;
};

/// Appends a row of sql::threadSelect() to `rows` as a thread of the reply. `senderName`
/// gives the last sender's name when that is not the owner (Expected<QByteArrayView>).
template<typename Row, typename SenderName>
std::optional<ProtocolError> encodeThread(const Row &r, const ThreadPresence &presence,
                                          SenderName &&senderName, QByteArray &rows,
                                          QList<EncodedThread> &encoded)
{
    fastjson::ThreadFields<fastjson::Utf8> t;
    t.id = r.integer(0);
    t.ownerId = r.integer(1);
    t.ownerName = r.utf8(2);
    t.ownerEmail = r.utf8(3);
    t.ownerRole = sql::roleFromUtf8(r.utf8(4).bytes);
    const OwnerPresence seen = presence(t.id, t.ownerId);
    t.ownerOnline = seen.online;
    if (seen.lastSeen)
        t.ownerLastSeenMs = seen.lastSeen->toMSecsSinceEpoch();
    else if (!r.isNull(5))
        t.ownerLastSeenMs = r.integer(5);
    t.readUpToOwner = r.integer(6);
    t.readUpToTeam = r.integer(7);
    t.unread = r.integer(8);
    t.lastId = r.integer(9);
    if (t.lastId > 0) {
        t.hasLastMessage = true;
        t.lastSender = r.integer(10);
        if (t.lastSender == t.ownerId) {
            t.lastSenderName = t.ownerName;
        } else {
            const Expected<QByteArrayView> name = senderName(t.lastSender);
            if (hasError(name))
                return std::get<ProtocolError>(name);
            t.lastSenderName = {std::get<QByteArrayView>(name)};
        }
        t.lastClientId = r.utf8(12);
        t.lastText = r.utf8(13);
        t.lastCreatedMs = r.integer(14);
    }
    const qsizetype start = rows.size();
    fastjson::appendThread(rows, t);
    encoded.append({std::max<qint64>(t.lastId, 0), t.id, start, rows.size() - start});
    return std::nullopt;
}

/// The last senders' names for encodeThread(): each looked up once through `lookup`
/// (Expected<QByteArray>(qint64)). When not the owner, the last sender is one of a few
/// admins, so this is a handful of look-ups where a join touched every row.
template<typename Lookup>
auto namesOnceEach(Lookup lookup)
{
    return [names = QHash<qint64, QByteArray>(),
            lookup](qint64 id) mutable -> Expected<QByteArrayView> {
        auto it = names.find(id);
        if (it == names.end()) {
            const Expected<QByteArray> name = lookup(id);
            if (hasError(name))
                return std::get<ProtocolError>(name);
            it = names.insert(id, std::get<QByteArray>(name));
        }
        return QByteArrayView(*it);
    };
}

/// The reply, the threads in the order of threadsFor() (newest activity first).
QByteArray replyInActivityOrder(QList<EncodedThread> &encoded, const QByteArray &rows,
                                const QJsonValue &re)
{
    std::sort(encoded.begin(), encoded.end(), [](const EncodedThread &a, const EncodedThread &b) {
        return a.lastId != b.lastId ? a.lastId > b.lastId : a.id > b.id;
    });
    QList<QByteArrayView> inOrder;
    inOrder.reserve(encoded.size());
    for (const EncodedThread &e : std::as_const(encoded))
        inOrder.append(QByteArrayView(rows).sliced(e.start, e.size));
    return fastjson::threadsReply(inOrder, re);
}

} // namespace

Expected<std::optional<QByteArray>> SqlStore::threadsReply(const User &viewer,
                                                           const QJsonValue &re,
                                                           const ThreadPresence &presence)
{
    if (auto error = notOpen())
        return *error;
    if (m_stmts->pg)
        return pgThreadsReply(viewer, re, presence);
    if (!m_stmts->sqlite)
        return std::optional<QByteArray>();
    const ThreadFilter filter =
            viewer.role == Role::Admin ? ThreadFilter::All : ThreadFilter::Owner;
    // The last sender, when not the owner, is one of a few admins: their names are looked up
    // once each here rather than joined to every row (a third of the query).
    const Expected<sqlite3_stmt *> prepared =
            nativeThreadStatement(filter, viewer.id, viewer.id, false);
    if (hasError(prepared))
        return std::get<ProtocolError>(prepared);
    sqlite3_stmt *s = std::get<sqlite3_stmt *>(prepared);
    auto senderName = namesOnceEach([this](qint64 id) { return nativeUserName(id); });

    qsizetype &expected = m_stmts->sqliteThreadsRead.at(std::size_t(filter));
    QList<EncodedThread> encoded;
    encoded.reserve(expected);
    QByteArray rows;
    rows.reserve(expected * 512);
    int rc;
    std::optional<ProtocolError> error;
    while (!error && (rc = sqlite3_step(s)) == SQLITE_ROW)
        error = encodeThread(sql::SqliteRow{s}, presence, senderName, rows, encoded);
    if (!error && rc != SQLITE_DONE)
        error = sqliteFailure(m_stmts->sqlite, "list threads");
    // Reset at once: a statement left active keeps its read snapshot (see sql::FinishGuard).
    sqlite3_reset(s);
    if (error)
        return *error;
    expected = encoded.size();
    return std::optional<QByteArray>(replyInActivityOrder(encoded, rows, re));
}

Expected<QByteArray> SqlStore::nativeUserName(qint64 userId)
{
    sqlite3 *db = m_stmts->sqlite;
    SqliteStatement &statement = m_stmts->sqliteUserName;
    if (!statement) {
        static const char text[] = "SELECT CAST(name AS BLOB) FROM users WHERE id = ?";
        sqlite3_stmt *prepared = nullptr;
        if (sqlite3_prepare_v3(db, text, sizeof text - 1, SQLITE_PREPARE_PERSISTENT, &prepared,
                               nullptr)
            != SQLITE_OK) {
            sqlite3_finalize(prepared);
            return sqliteFailure(db, "prepare statements");
        }
        statement.reset(prepared);
    }
    sqlite3_stmt *s = statement.get();
    sqlite3_bind_int64(s, 1, userId);
    const int rc = sqlite3_step(s);
    QByteArray name; // No such user: empty, as the join gave.
    if (rc == SQLITE_ROW) {
        name = QByteArray(static_cast<const char *>(sqlite3_column_blob(s, 0)),
                          sqlite3_column_bytes(s, 0));
    }
    std::optional<ProtocolError> error;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        error = sqliteFailure(db, "read a user's name");
    sqlite3_reset(s);
    if (error)
        return *error;
    return name;
}

namespace {

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

/// Logs PostgreSQL's reason for a failed statement (the SQLSTATE and the message's first line:
/// these statements name no values but ids) and gives the client's error.
ProtocolError pgFailure(pg_conn *connection, const PGresult *result, const char *what)
{
    qCWarning(lcStore).noquote()
            << "database failure in" << what << "- native code"
            << QString::fromUtf8(result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr)
            << "-" << QString::fromUtf8(PQerrorMessage(connection)).section(u'\n', 0, 0);
    return ProtocolError{ErrorCode::Internal, u"the database failed"_s};
}

/// Reads off whatever result is still pending on the connection, as PQexecParams would first:
/// QPSQL reads a forward-only query's rows one at a time and may leave the end of its last
/// result unread until its next query (which then finds nothing left).
void discardPending(pg_conn *connection)
{
    while (PGresult *left = PQgetResult(connection))
        PQclear(left);
}

} // namespace

Expected<QByteArray> SqlStore::pgUserName(qint64 userId)
{
    QSqlQuery &q = m_stmts->userName; // Prepared once; appendMessages uses it too.
    sql::FinishGuard done(q);
    q.addBindValue(userId);
    if (!q.exec())
        return sql::failure(q, "read a user's name"_L1);
    return q.next() ? q.value(0).toString().toUtf8() : QByteArray(); // None: empty, as on SQLite.
}

// On PostgreSQL the rows come through libpq, as text, one result per row (single-row mode),
// and each is written into the reply as it arrives, while the backend is still producing the
// rest: the server's part (reading the rows, writing the JSON) overlaps the database's
// instead of following it. QPSQL wrapped every value in a QVariant, about half of the thread
// list's time on the client's side. As on SQLite, the last senders' names are looked up
// rather than joined (the join was a quarter of the query's time); a name never changes (no
// statement updates users.name, and PostgreSQL never reuses an id), so each is looked up once
// per connection. A row whose last sender's name is not known yet waits for the end of the
// result, when the connection is free for the look-up.
Expected<std::optional<QByteArray>> SqlStore::pgThreadsReply(const User &viewer,
                                                             const QJsonValue &re,
                                                             const ThreadPresence &presence)
{
    const ThreadFilter filter =
            viewer.role == Role::Admin ? ThreadFilter::All : ThreadFilter::Owner;
    QByteArray text;
    int parameters = 0;
    for (const QChar c : sql::threadSelect(false, false) + threadWhere(filter)) {
        if (c == u'?')
            text += '$' + QByteArray::number(++parameters);
        else
            text += char(c.unicode()); // The statement is ASCII.
    }
    const QByteArray viewerId = QByteArray::number(viewer.id);
    const char *const values[] = {viewerId.constData(), viewerId.constData()}; // Viewer, owner.
    pg_conn *connection = m_stmts->pg;
    discardPending(connection);
    if (!PQsendQueryParams(connection, text.constData(), parameters, nullptr, values, nullptr,
                           nullptr, 0)) {
        return pgFailure(connection, nullptr, "list threads");
    }
    // Without single-row mode the rows come in one result at the end; read the same way.
    PQsetSingleRowMode(connection);

    QHash<qint64, QByteArray> &names = m_stmts->pgUserNames;
    const auto nameKnown = [&names](const PgRow &r) {
        const qint64 lastSender = r.integer(10);
        return r.integer(9) <= 0 || lastSender == r.integer(1) || names.contains(lastSender);
    };
    const auto senderName = [this, &names](qint64 id) -> Expected<QByteArrayView> {
        auto it = names.find(id);
        if (it == names.end()) {
            const Expected<QByteArray> name = pgUserName(id);
            if (hasError(name))
                return std::get<ProtocolError>(name);
            if (std::get<QByteArray>(name).isEmpty()) // No such user: not worth keeping.
                return QByteArrayView();
            it = names.insert(id, std::get<QByteArray>(name));
        }
        return QByteArrayView(*it);
    };
    QList<EncodedThread> encoded;
    qsizetype &expected = m_stmts->pgThreadsRead;
    encoded.reserve(expected);
    QByteArray rows;
    rows.reserve(expected * 512);
    std::vector<PgResult> kept; // Results holding rows that wait for a name.
    QList<PgRow> waiting;
    std::optional<ProtocolError> error;
    // Read to the end even after a failure, so that the connection is left free.
    while (PGresult *next = PQgetResult(connection)) {
        PgResult result(next, &PQclear);
        const ExecStatusType status = PQresultStatus(next);
        if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK) {
            if (!error)
                error = pgFailure(connection, next, "list threads");
            continue;
        }
        bool keep = false;
        for (int row = 0, count = PQntuples(next); !error && row < count; ++row) {
            const PgRow r{next, row};
            if (!nameKnown(r)) {
                waiting.append(r);
                keep = true;
            } else {
                error = encodeThread(r, presence, senderName, rows, encoded);
            }
        }
        if (keep)
            kept.push_back(std::move(result));
    }
    for (const PgRow &r : std::as_const(waiting)) {
        if (!error)
            error = encodeThread(r, presence, senderName, rows, encoded);
    }
    if (error)
        return *error;
    expected = encoded.size();
    return std::optional<QByteArray>(replyInActivityOrder(encoded, rows, re));
}

} // namespace dpichat::server
