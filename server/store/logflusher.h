#pragma once

#include "store.h"

#include <QString>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace dpichat::server {

/// Flushes SQLite's write-ahead log to disk (`fdatasync`) on a thread of its own, for a
/// writer that commits without flushing (synchronous=NORMAL), so that the writer stores the
/// next batch while the last one is being flushed.
///
/// Under synchronous=FULL, SQLite flushes the log inside every commit, and nothing else can
/// be written meanwhile: at full speed the server's core was idle a quarter of the time,
/// waiting for it. Here a batch's callback runs only after a flush that began after its
/// commit had written the log, so what it acknowledges is on disk exactly as with FULL
/// (the log's header is flushed by SQLite itself when the log starts over, under NORMAL as
/// under FULL). What differs: other connections can read a batch between its commit and
/// that flush. A reply built from such a read must wait for awaitFlushed() before it goes
/// out, or a power cut could take back a message someone was shown.
class LogFlusher
{
public:
    /// Runs on the flusher's thread once the batch is flushed; `flushed` is false when the
    /// flush failed (the batch must not be acknowledged as stored). After one failed flush
    /// every later batch is reported as not flushed too, until the flusher is made again.
    using Done = std::function<void(bool flushed)>;

    /// Opens `logPath` (it must exist: SQLite creates it when the database opens in WAL
    /// mode) and starts the thread.
    static Expected<std::unique_ptr<LogFlusher>> open(const QString &logPath);
    /// Flushes what was handed over, runs its callbacks and joins the thread.
    ~LogFlusher();
    LogFlusher(const LogFlusher &) = delete;
    LogFlusher &operator=(const LogFlusher &) = delete;

    /// On the writer's thread, before a commit whose log writes committed() will flush:
    /// from here on, awaitFlushed() waits for that flush too.
    void beginCommit();
    /// On the writer's thread, after that commit (or its failure): `done` runs after the
    /// next flush. Callbacks run in the order of their commits.
    void committed(Done done);
    /// Blocks until every commit begun before this call has been flushed (at once when none
    /// is pending). Callable from any thread but the flusher's. Returns false once a flush
    /// has failed: what was read may then hold commits that are not on disk.
    [[nodiscard]] bool awaitFlushed();

    /// Flushes done so far (for tests and figures).
    std::uint64_t flushes() const;

private:
    LogFlusher(QString path, int fd);
    void run();
    bool flush();

    const QString m_path;
    int m_fd = -1;

    mutable std::mutex m_mutex;
    std::condition_variable m_work;    ///< To the thread: a commit to flush, or stop.
    std::condition_variable m_flushed; ///< From the thread: m_flushedCommits moved.
    std::deque<Done> m_queue;
    std::uint64_t m_begunCommits = 0;
    std::uint64_t m_flushedCommits = 0;
    std::uint64_t m_flushes = 0;
    bool m_stop = false;
    /// A flush failed. Written only by the flusher's thread, under m_mutex for the others.
    bool m_flushFailed = false;
    std::thread m_thread;
};

} // namespace dpichat::server
