#pragma once

// Internals shared by the sqlstore*.cpp files; not for use outside the store.

#include "sqlstore.h"

#include <QSqlQuery>

namespace dpichat::server {

/// The statements on the paths every chat message takes, prepared once per connection.
struct SqlStore::Statements
{
    QSqlQuery insertMessage;
    QSqlQuery messageByClientId;
    QSqlQuery userName;
    QSqlQuery historyPage;
    QSqlQuery syncAll;
    QSqlQuery syncOwn;
    QSqlQuery ownThreads;
    QSqlQuery syncThread;
    QSqlQuery threadNewest; ///< Locks the thread's row on PostgreSQL (see advanceReadCursor).
    QSqlQuery cursorAdvance;
    QSqlQuery cursorInsert;
    QSqlQuery threadCursors;
    QSqlQuery sessionLookup;
    QSqlQuery sessionTouch;
    QSqlQuery messageRange;
    QSqlQuery notify; ///< PostgreSQL only.
    QSqlQuery lockAppends; ///< PostgreSQL only.
};

namespace sql {

/// The columns readMessage() expects, in its order, for `messages m JOIN users u`.
inline constexpr char16_t kMessageColumns[] =
        u"m.id, m.thread, m.sender, u.name, m.client_id, m.body, m.created_at";

/// Reads a message from the seven columns of kMessageColumns starting at `first`.
Message readMessage(const QSqlQuery &q, int first = 0);

/// Releases a reused statement however the function that ran it returns: a SQLite statement
/// left active keeps its read snapshot, and the connection would stop seeing other writers.
class FinishGuard
{
public:
    explicit FinishGuard(QSqlQuery &q)
        : m_q(q)
    {
    }
    ~FinishGuard() { m_q.finish(); }
    FinishGuard(const FinishGuard &) = delete;
    FinishGuard &operator=(const FinishGuard &) = delete;

private:
    QSqlQuery &m_q;
};

} // namespace sql
} // namespace dpichat::server
