#pragma once

#include "store/greatestclientids.h"
#include "store/store.h"

#include <QHash>
#include <QObject>
#include <QThread>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

namespace dpichat::server {

class LogFlusher;
class MessageJournal;
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
    /// With a journal: how long messages acknowledged from it gather before the storage
    /// thread stores them, in one transaction. Each commit writes the same few pages of the
    /// log (the table's and indexes' last leaves, the counters) however many messages it
    /// holds, and the checkpoint copies them again: at 2,000 msg/s, 20 ms rather than 5 took
    /// the server's CPU per message from 56 to 47 µs, on the core that also answers.
    static constexpr std::chrono::milliseconds kHandOverDelay { 20 };
    /// The stored clientIds are read at start this many at a time (some 10 ms each), so that
    /// the storage thread can store in between.
    static constexpr int kClientIdsAtOnce = 50'000;

    Committer(Store &store, Metrics &metrics, QObject *parent = nullptr);
    ~Committer() override;

    /// Opens `makeStore()`'s store on a new storage thread and stores every later batch
    /// there. Fails (and stays on the calling thread) when that store cannot open.
    /// With `flushLog`, the store must commit without flushing (synchronous=NORMAL) and
    /// have a write-ahead log (Store::writeAheadLogPath()), which a LogFlusher then flushes
    /// after every commit; fails when it has none or it cannot be opened.
    Expected<bool> startStorageThread(const StoreFactory &makeStore, bool flushLog = false);
    bool hasStorageThread() const { return m_worker != nullptr; }

    /// After startStorageThread(), on SQLite under synchronous=NORMAL: a batch of at most
    /// kStoredHereAtMost messages is acknowledged once it is appended to the MessageJournal at
    /// `path` (one write into the page cache, which survives the process), and committed
    /// afterwards on the storage thread; larger batches (full speed) are still acknowledged
    /// after their commit there. Ids are given here, from the store's nextMessageId(), and a
    /// repeated (sender, clientId) is found among the messages not stored yet, then in the
    /// database. Whatever reads messages or their counters calls settle() first. The journal
    /// must have been replayed (MessageJournal::replay()).
    Expected<bool> startJournal(const QString &path);
    bool journals() const { return m_journal != nullptr; }
    /// Blocks until every message acknowledged from the journal is in the database (at once
    /// when none is waiting). False while some cannot be stored (the database fails): what
    /// would be read lacks messages someone has been shown.
    [[nodiscard]] bool settle();
    /// Batches acknowledged from the journal before their commit.
    qint64 journaledBatches() const { return m_journaledBatches; }
    /// Messages acknowledged from the journal and not in the database yet.
    qint64 acknowledgedNotStored() const { return qint64(m_acknowledgedOrder.size()); }
    /// New messages looked up in the database before they were acknowledged from the
    /// journal: all until the senders' greatest clientIds are read at start; then those whose
    /// clientId is not greater than the sender's greatest stored, or not valid UTF-16.
    qint64 clientIdLookups() const { return m_lookups; }

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
    /// Why messages cannot be stored, or empty while they can: once a flush of the log
    /// failed (nothing is acknowledged after that until the server restarts), and while the
    /// database refuses what was acknowledged from the journal (sends are refused until it
    /// takes them).
    QString storageProblem() const;

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
    /// Whether a batch of `batchSize` messages is acknowledged from the journal.
    bool journalsBatch(qsizetype batchSize) const;
    void journalBatch();
    /// On the storage thread: stores what was acknowledged from the journal and is not in
    /// the database yet; false when that failed (it is tried again with the next call).
    bool storeAcknowledged();
    void acknowledgedStored(qint64 upTo);
    /// A message the database has or will have: in m_greatest, or kept for it while that is
    /// being read.
    void noteStored(qint64 sender, const QString &clientId);
    struct GreatestRead;
    /// On the storage thread: reads the next kClientIdsAtOnce pairs into `read`, and posts
    /// itself again, or greatestRead() once every pair is read.
    void readGreatest(const std::shared_ptr<GreatestRead> &read);
    void greatestRead(std::shared_ptr<GreatestClientIds> greatest);
    /// Hands what was acknowledged from the journal since the last call to the storage thread.
    void handOverAcknowledged();

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

    // startJournal(): the journal, and what it holds that may not be stored yet, by
    // (sender, clientId) and in order of id.
    std::unique_ptr<MessageJournal> m_journal;
    QHash<std::pair<qint64, QString>, Message> m_acknowledged;
    std::deque<std::pair<qint64, std::pair<qint64, QString>>> m_acknowledgedOrder;
    qint64 m_nextId = 0;
    qint64 m_lastAcknowledgedId = 0;
    /// The newest message from the journal in the database (set by the storage thread).
    std::atomic<qint64> m_storedUpTo { 0 };
    qint64 m_journaledBatches = 0;
    /// Acknowledged from the journal, not handed to the storage thread yet: it stores them
    /// together, kHandOverDelay after the first.
    QList<Message> m_toHandOver;
    bool m_handOverScheduled = false;
    /// The storage thread failed to store what was acknowledged from the journal, and has
    /// not succeeded since.
    bool m_acknowledgedNotStoring = false;
    /// Each sender's greatest stored clientId (read on the storage thread after
    /// startJournal(); until then every new message is looked up in the database), and the
    /// pairs stored since that read began.
    std::shared_ptr<GreatestClientIds> m_greatest;
    bool m_greatestReading = false;
    GreatestClientIds m_storedWhileReading;
    qint64 m_lookups = 0;
};

} // namespace dpichat::server
