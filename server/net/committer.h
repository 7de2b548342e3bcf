#pragma once

#include "store/store.h"

#include <QObject>
#include <QThread>
#include <deque>
#include <functional>
#include <memory>

namespace dpichat::server {

class LogFlusher;
class Metrics;

/// Group commit: sends that arrive while the previous batch is being stored are stored
/// together in one transaction, so one disk flush serves them all; each is acknowledged only
/// after it.
///
/// By default the batch is stored on the calling thread. With startStorageThread(), batches
/// are stored on a thread of their own through a second Store (its own connection), so the
/// disk flush never holds up the event loop that reads, answers and pushes: while one batch
/// is being flushed, the next one gathers; on SQLite a batch of a few messages is still
/// stored here, through the storage thread's store (kStoredHereAtMost). Either way one batch
/// at a time, in order, and the callbacks run on the Committer's thread.
///
/// With a LogFlusher (SQLite under synchronous=FULL, startStorageThread's `flushLog`), the
/// storage thread's store commits without flushing and the flusher's thread flushes the log
/// while the storage thread stores the next batch; a batch's callbacks run after that flush.
/// Readers on other connections can then see a batch before it is on disk: a reply built
/// from the database waits for awaitDurable() first.
class Committer : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const Expected<AppendResult> &)>;
    /// Makes the (not yet opened) Store the storage thread writes through.
    using StoreFactory = std::function<std::unique_ptr<Store>()>;

    /// On SQLite, batches of at most this many messages are stored on the Committer's own
    /// thread, through the storage thread's store, even when there is a storage thread: at
    /// a light load, where a batch is one or two messages, the two wake-ups of handing it
    /// over and back cost more than the commit holds up the event loop. Larger batches
    /// (full speed) go to the storage thread, so that the next one gathers while they are
    /// stored, and so does any batch while the log is due to be copied back into the
    /// database file, or to start over after that copy (Store::logCheckpointDue()): both
    /// flush, and take that thread's next commit.
    static constexpr qsizetype kStoredHereAtMost = 4;

    Committer(Store &store, Metrics &metrics, QObject *parent = nullptr);
    ~Committer() override;

    /// Opens `makeStore()`'s store on a new storage thread and stores every later batch
    /// there. Fails (and stays on the calling thread) when that store cannot open.
    /// With `flushLog`, the store must commit without flushing (synchronous=NORMAL) and
    /// have a write-ahead log (Store::writeAheadLogPath()), which a LogFlusher then flushes
    /// after every commit; fails when it has none or it cannot be opened.
    Expected<bool> startStorageThread(const StoreFactory &makeStore, bool flushLog = false);
    bool hasStorageThread() const { return m_worker != nullptr; }

    /// Queues a message; `done` runs after the transaction that stores it (or fails).
    void submit(const NewMessage &message, Callback done);
    /// Stores everything queued and waits for it (at shutdown): every callback has run when
    /// this returns.
    void flush();

    /// Blocks until every message committed so far is on disk: call it after reading the
    /// database and before replying with what was read. At once without a LogFlusher (a
    /// commit is then on disk before anyone can read it). Returns false once a flush of the
    /// log has failed: what was read may hold messages that are not on disk (and were
    /// refused to their senders), so it must not be shown; storageProblem() says why.
    [[nodiscard]] bool awaitDurable();
    bool flushesLogSeparately() const { return m_flusher != nullptr; }

    qint64 transactions() const { return m_transactions; }
    /// Of those, batches stored on the Committer's own thread although there is a storage
    /// thread (kStoredHereAtMost).
    qint64 batchesStoredHere() const { return m_batchesStoredHere; }
    /// Why no message can be stored any more, or empty while they can: set once a flush of
    /// the log failed (nothing is acknowledged after that until the server restarts).
    QString storageProblem() const { return m_storageProblem; }

private:
    class Worker;

    /// Starts the next batch at the end of this turn of the event loop.
    void scheduleStart();
    /// Whether a batch of `batchSize` messages would be stored on this thread.
    bool storesHere(qsizetype batchSize) const;
    /// After a batch: starts the next one, if any (see startNext's comment for when later).
    void startNext();
    void startBatch();
    void storeHere(const QList<NewMessage> &batch);
    void finishBatch(const Expected<QList<AppendResult>> &stored);
    void committed();
    /// On the thread that committed `stored`: hands it to the LogFlusher, whose thread
    /// posts it back to finishFlushed() once the log is flushed.
    void flushThenFinish(Expected<QList<AppendResult>> stored);
    void finishFlushed(const Expected<QList<AppendResult>> &stored);
    void runCallbacks(const QList<Callback> &callbacks,
                      const Expected<QList<AppendResult>> &stored);
    void noteFlushFailed();

    Store &m_store;
    Metrics &m_metrics;
    QList<NewMessage> m_pending;
    QList<Callback> m_callbacks;
    QList<Callback> m_inFlight; ///< The callbacks of the batch being stored.
    /// With a LogFlusher: the callbacks of each batch stored or being stored and not yet
    /// flushed, oldest first.
    std::deque<QList<Callback>> m_awaitingFlush;
    bool m_busy = false;        ///< A batch is being stored.
    bool m_startScheduled = false;
    bool m_storesSmallBatchesHere = false; ///< kStoredHereAtMost applies.
    qint64 m_transactions = 0;
    qint64 m_batchesStoredHere = 0;
    QString m_storageProblem;
    QThread m_thread;
    std::unique_ptr<Worker> m_worker;
    std::unique_ptr<LogFlusher> m_flusher;
};

} // namespace dpichat::server
