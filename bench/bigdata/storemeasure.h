#pragma once

#include "options.h"
#include "stats.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <random>

namespace dpichat::bigdata {

/// Picks what to ask for: random threads, message ids and cursors from the database, read on
/// a connection of its own and never timed.
class Sampler
{
public:
    Sampler(const server::SqlStoreOptions &store, quint64 seed);
    ~Sampler();
    Sampler(const Sampler &) = delete;
    Sampler &operator=(const Sampler &) = delete;

    /// Reads the admins, threads and the highest message id; false (with error()) on failure.
    bool load();
    QString error() const { return m_error; }

    const QList<User> &admins() const { return m_admins; }
    qint64 maxMessageId() const { return m_maxMessageId; }
    int threadCount() const { return int(m_threads.size()); }

    /// A thread, every thread equally likely.
    qint64 randomThread();
    /// The owner of a random thread, as the server knows them after login.
    User randomOwner();
    /// A random thread and its owner's id.
    std::pair<qint64, qint64> randomThreadWithOwner();
    /// A random message id and its thread: long threads come up as often as they have messages.
    std::pair<qint64, qint64> randomMessage();
    /// A sync cursor: anywhere from the first message to the newest.
    qint64 randomCursor();

private:
    QString m_connection;
    QSqlDatabase m_db;
    QSqlQuery m_threadOf;
    std::mt19937_64 m_rng;
    QList<User> m_admins;
    QList<std::pair<qint64, User>> m_threads; ///< (thread id, owner)
    qint64 m_maxMessageId = 0;
    QString m_error;
};

/// The Store-level timings: the very SqlStore calls the dispatcher makes for `threads` (as an
/// admin), `history` (newest page and before an id; 50 a page, the protocol's default) and
/// `sync` (after a cursor; pages of 500, the server's cap), as an admin and as an owner.
/// With options.appends, also times appending batches of 32 messages (the data grows).
/// Returns false when the store failed; the series are filled either way.
bool measureStore(const Options &options, Sampler &sampler, QList<Series> &series);

} // namespace dpichat::bigdata
