#include "committer.h"
#include "committer_p.h"

#include "logging.h"
#include "metrics/metrics.h"
#include "store/logflusher.h"
#include "store/messagejournal.h"

#include <QCoreApplication>
#include <QTimer>
#include <algorithm>

#include <openssl/crypto.h>

namespace dpichat::server {

Committer::Committer(Store &store, Metrics &metrics, QObject *parent)
    : QObject(parent), m_store(store), m_metrics(metrics)
{
    m_thread.setObjectName(QStringLiteral("dpichat-storage"));
    // On the storage thread as its last act (finished() is emitted there, before wait()
    // returns): OpenSSL's state for this thread is freed now, not by the destructor OpenSSL
    // leaves to run when the thread exits. libpq signs in to PostgreSQL (SCRAM) through
    // OpenSSL, which keeps random generators and error queues per thread. Qt's threads are
    // detached, so wait() returns before that destructor runs, and main() could return at
    // once: OpenSSL's clean-up at process exit frees every thread's state without a lock,
    // and a storage thread still in its destructor then freed the same block again (seen
    // under AddressSanitizer; tests/server/tst_storagethreadexit.cpp checks that nothing is
    // left for that destructor).
    connect(&m_thread, &QThread::finished, this, [] { OPENSSL_thread_stop(); },
            Qt::DirectConnection);
}

Committer::~Committer()
{
    if (!m_worker)
        return;
    // The store closes on the thread that opened it.
    QMetaObject::invokeMethod(m_worker.get(), [w = m_worker.get()] { w->store.reset(); },
                              Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    // Its last callbacks are posted to this object, and dropped with it.
    m_flusher.reset();
}

Expected<bool> Committer::startStorageThread(const StoreFactory &makeStore, bool flushLog)
{
    if (m_worker)
        return true;
    auto worker = std::make_unique<Worker>();
    worker->store = makeStore();
    worker->moveToThread(&m_thread);
    m_thread.start();
    Expected<bool> opened = true;
    QString logPath;
    QMetaObject::invokeMethod(worker.get(), [w = worker.get(), &opened, &logPath] {
        opened = w->store->open();
        if (hasError(opened))
            w->store.reset();
        else
            logPath = w->store->writeAheadLogPath();
    }, Qt::BlockingQueuedConnection);
    if (!hasError(opened) && flushLog) {
        if (logPath.isEmpty()) {
            opened = ProtocolError{ErrorCode::Internal,
                                   QStringLiteral("the storage thread's database has no "
                                                  "write-ahead log to flush")};
        } else {
            auto flusher = LogFlusher::open(logPath);
            if (const auto *e = std::get_if<ProtocolError>(&flusher))
                opened = *e;
            else
                m_flusher = std::move(std::get<std::unique_ptr<LogFlusher>>(flusher));
        }
        if (hasError(opened)) {
            QMetaObject::invokeMethod(worker.get(), [w = worker.get()] { w->store.reset(); },
                                      Qt::BlockingQueuedConnection);
        }
    }
    if (hasError(opened)) {
        m_thread.quit();
        m_thread.wait();
        return opened;
    }
    m_worker = std::move(worker);
    // A store with a write-ahead log is a local SQLite file, whose commit is a few writes;
    // on PostgreSQL it is a round trip to the database, never to be made on the event loop.
    m_storesSmallBatchesHere = !logPath.isEmpty();
    qCInfo(lcStore) << "messages are stored on a thread of their own"
                    << (m_flusher ? "and the write-ahead log flushed on another" : "");
    return true;
}

void Committer::submit(const NewMessage &message, Callback done)
{
    m_pending.append(message);
    m_callbacks.append(std::move(done));
    // After every frame already read in this turn of the event loop.
    if (!m_busy)
        scheduleStart();
}

void Committer::scheduleStart()
{
    if (m_startScheduled)
        return;
    m_startScheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_startScheduled = false;
        startBatch();
    });
}

bool Committer::storesHere(qsizetype batchSize) const
{
    // With a journal the storage thread may be storing at any time: its store is its own.
    return m_worker && !m_journal && m_storesSmallBatchesHere && batchSize <= kStoredHereAtMost
        && !m_worker->store->logCheckpointDue();
}

void Committer::startNext()
{
    if (m_pending.isEmpty())
        return;
    // A commit here would hold up the writes the last batch's callbacks queued (posted to
    // the WriteScheduler): it waits for them. The storage thread starts at once.
    if (storesHere(m_pending.size()))
        scheduleStart();
    else
        startBatch();
}

void Committer::startBatch()
{
    if (m_busy || m_pending.isEmpty())
        return;
    if (journalsBatch(m_pending.size())) {
        journalBatch();
        return;
    }
    m_busy = true;
    const QList<NewMessage> batch = std::exchange(m_pending, {});
    m_inFlight = std::exchange(m_callbacks, {});
    if (!m_worker) {
        finishBatch(m_store.appendMessages(batch));
        return;
    }
    if (storesHere(batch.size())) {
        storeHere(batch);
        return;
    }
    if (m_flusher) {
        // The batch is committed, then flushed while the next one is stored; its callbacks
        // wait in m_awaitingFlush for the flush.
        m_awaitingFlush.push_back(std::exchange(m_inFlight, {}));
        QMetaObject::invokeMethod(
            m_worker.get(),
            [this, w = m_worker.get(), batch] {
                m_flusher->beginCommit(); // before anyone can read the batch
                Expected<QList<AppendResult>> stored = w->store->appendMessages(batch);
                // Queued for the flush before the Committer can store the next batch (committed()
                // lets it, and it may do so on its own thread): the flusher answers in this order.
                flushThenFinish(std::move(stored));
                QMetaObject::invokeMethod(
                    this, [this] { committed(); }, Qt::QueuedConnection);
            },
            Qt::QueuedConnection);
        return;
    }
    handOverAcknowledged(); // its ids come before any the database gives this batch
    QMetaObject::invokeMethod(
        m_worker.get(),
        [this, w = m_worker.get(), batch] {
            // After what was acknowledged from the journal: its ids come first.
            Expected<QList<AppendResult>> stored = storeAcknowledged()
                ? w->store->appendMessages(batch)
                : Expected<QList<AppendResult>>(ProtocolError {
                    ErrorCode::Internal, QStringLiteral("earlier messages are not stored yet") });
            QMetaObject::invokeMethod(
                this, [this, stored = std::move(stored)] { finishBatch(stored); },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void Committer::storeHere(const QList<NewMessage> &batch)
{
    // The storage thread is idle (one batch at a time) and its store is used by one thread at
    // a time: Qt opens SQLite connections with SQLITE_OPEN_NOMUTEX, which allows any thread
    // but never two at once. The hand-over to it and back, which this saves, happens-before
    // every use on either side (the posted events' mutex).
    Store &store = *m_worker->store;
    ++m_batchesStoredHere;
    if (!m_flusher) {
        finishBatch(store.appendMessages(batch));
        return;
    }
    m_awaitingFlush.push_back(std::exchange(m_inFlight, {}));
    m_flusher->beginCommit();
    Expected<QList<AppendResult>> stored = store.appendMessages(batch);
    flushThenFinish(std::move(stored));
    committed();
}

void Committer::flushThenFinish(Expected<QList<AppendResult>> stored)
{
    m_flusher->committed([this, stored = std::move(stored)](bool flushed) {
        QMetaObject::invokeMethod(
            this,
            [this, flushed, stored] {
                if (!flushed)
                    noteFlushFailed();
                finishFlushed(flushed
                        ? stored
                        : Expected<QList<AppendResult>>(ProtocolError {
                            ErrorCode::Internal, QStringLiteral("the log was not flushed") }));
            },
            Qt::QueuedConnection);
    });
}

void Committer::finishBatch(const Expected<QList<AppendResult>> &stored)
{
    const QList<Callback> callbacks = std::exchange(m_inFlight, {});
    m_busy = false;
    ++m_transactions;
    runCallbacks(callbacks, stored);
    // What gathered while this batch was stored goes next.
    startNext();
}

void Committer::committed()
{
    m_busy = false;
    ++m_transactions;
    // What gathered while this batch was stored goes next, while this one is flushed.
    startNext();
}

void Committer::finishFlushed(const Expected<QList<AppendResult>> &stored)
{
    Q_ASSERT(!m_awaitingFlush.empty());
    const QList<Callback> callbacks = std::move(m_awaitingFlush.front());
    m_awaitingFlush.pop_front();
    runCallbacks(callbacks, stored);
}

void Committer::runCallbacks(const QList<Callback> &callbacks,
                             const Expected<QList<AppendResult>> &stored)
{
    if (const auto *error = std::get_if<ProtocolError>(&stored)) {
        m_metrics.countCommit(false, 0);
        qCWarning(lcStore) << "a batch of" << callbacks.size() << "messages was not stored:"
                           << error->message;
        for (const Callback &done : callbacks)
            done(ProtocolError{ErrorCode::Internal, QStringLiteral("the message was not stored")});
    } else {
        const QList<AppendResult> &results = std::get<QList<AppendResult>>(stored);
        // Ids the database gave (a batch not acknowledged from the journal) are never given
        // again by journalBatch().
        if (m_journal) {
            for (const AppendResult &r : results) {
                if (r.created) {
                    m_nextId = std::max(m_nextId, r.message.id + 1);
                    noteStored(r.message.sender, r.message.clientId);
                }
            }
        }
        m_metrics.countCommit(true, std::count_if(results.cbegin(), results.cend(),
                                                  [](const AppendResult &r) { return r.created; }));
        for (qsizetype i = 0; i < callbacks.size(); ++i) {
            if (i < results.size())
                callbacks[i](results[i]);
            else
                callbacks[i](ProtocolError{ErrorCode::Internal,
                                           QStringLiteral("the message was not stored")});
        }
    }
}

void Committer::flush()
{
    startBatch(); // without a storage thread, stored when this returns
    while (m_busy || !m_awaitingFlush.empty() || !m_pending.isEmpty()) {
        if (!m_busy && !m_pending.isEmpty()) {
            // startNext() left it to the event loop, which is not running now.
            startBatch();
            continue;
        }
        // Wait for the storage thread to finish what it was given (and the flusher to flush
        // it), then take their answers.
        QMetaObject::invokeMethod(m_worker.get(), [] {}, Qt::BlockingQueuedConnection);
        if (m_flusher)
            (void)m_flusher->awaitFlushed(); // a failure reaches the callbacks below
        QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
    }
    if (!settle())
        qCWarning(lcStore) << "some acknowledged messages are only in the journal; they are stored"
                              " at the next start";
}

bool Committer::awaitDurable()
{
    if (!m_flusher || m_flusher->awaitFlushed())
        return true;
    noteFlushFailed();
    return false;
}

QString Committer::storageProblem() const
{
    if (!m_storageProblem.isEmpty())
        return m_storageProblem;
    if (m_acknowledgedNotStoring)
        return QStringLiteral("the database refuses messages acknowledged from the journal;"
                              " they are kept there and stored once it takes them");
    return {};
}

void Committer::noteFlushFailed()
{
    if (m_storageProblem.isEmpty())
        m_storageProblem = QStringLiteral("flushing the write-ahead log failed;"
                                          " restart the server once the disk is fixed");
}

} // namespace dpichat::server
