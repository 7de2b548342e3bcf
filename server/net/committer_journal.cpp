// The Committer's message journal (SQLite under synchronous=NORMAL): small batches
// acknowledged once they are in it, stored by the storage thread right after, and each
// sender's greatest stored clientId, which spares new messages a look-up (see
// Committer::startJournal()).

#include "committer.h"
#include "committer_p.h"

#include "logging.h"
#include "store/greatestclientids.h"
#include "store/messagejournal.h"
#include "store/sqlutil.h"

#include <QElapsedTimer>
#include <QTimer>
#include <algorithm>

#include <sched.h>

namespace dpichat::server {

struct Committer::GreatestRead {
    std::shared_ptr<GreatestClientIds> greatest = std::make_shared<GreatestClientIds>();
    Store::ClientIdCursor cursor;
    qint64 pairs = 0;
    QElapsedTimer took;

    GreatestRead() { took.start(); }
};

bool Committer::journalsBatch(qsizetype batchSize) const
{
    // While the database refuses what was acknowledged, nothing more is acknowledged ahead
    // of it: batches then go to the storage thread, which answers them with that error.
    return m_journal && !m_journal->broken() && !m_acknowledgedNotStoring
        && batchSize <= kStoredHereAtMost;
}

Expected<bool> Committer::startJournal(const QString &path)
{
    if (!m_worker) {
        return ProtocolError { ErrorCode::Internal,
            QStringLiteral("a message journal needs the storage thread") };
    }
    const auto next = m_store.nextMessageId();
    if (const auto *e = std::get_if<ProtocolError>(&next))
        return *e;
    auto journal = MessageJournal::open(path);
    if (const auto *e = std::get_if<ProtocolError>(&journal))
        return *e;
    m_journal = std::move(std::get<std::unique_ptr<MessageJournal>>(journal));
    m_nextId = std::get<qint64>(next);
    m_lastAcknowledgedId = m_nextId - 1;
#ifdef Q_OS_LINUX
    // Woken to store what the event loop acknowledged, the storage thread must not take the
    // core from it before the pushes are written: SCHED_BATCH never preempts on waking.
    QMetaObject::invokeMethod(
        m_worker.get(),
        [] {
            const sched_param param {};
            if (::sched_setscheduler(0, SCHED_BATCH, &param) != 0)
                qCDebug(lcStore) << "the storage thread keeps its scheduling policy";
        },
        Qt::BlockingQueuedConnection);
#endif
    m_storedUpTo.store(m_lastAcknowledgedId, std::memory_order_release);
    qCInfo(lcStore) << "a few messages at a time are acknowledged once in" << path
                    << "and stored in the database right after";
    // Every pair stored so far, read on the storage thread a part at a time; what is stored
    // after the read began is kept in m_storedWhileReading meanwhile (every message is created
    // here or its result comes back here).
    m_greatestReading = true;
    QMetaObject::invokeMethod(
        m_worker.get(), [this, read = std::make_shared<GreatestRead>()] { readGreatest(read); },
        Qt::QueuedConnection);
    return true;
}

void Committer::readGreatest(const std::shared_ptr<GreatestRead> &read)
{
    Worker &w = *m_worker;
    if (!w.store)
        return; // closing
    const auto done = w.store->forEachClientId(
        read->cursor, kClientIdsAtOnce, [&read](qint64 sender, QStringView clientId) {
            read->greatest->add(sender, clientId);
            ++read->pairs;
        });
    if (const auto *e = std::get_if<ProtocolError>(&done)) {
        qCWarning(lcStore) << "every new message is looked up in the database: reading the"
                              " client ids failed:"
                           << e->message;
        read->greatest.reset();
    } else if (!read->cursor.done) {
        // Behind whatever else the storage thread has to do (a read may be waiting for it to
        // store what was acknowledged).
        QMetaObject::invokeMethod(
            m_worker.get(), [this, read] { readGreatest(read); }, Qt::QueuedConnection);
        return;
    } else {
        qCInfo(lcStore) << "client ids of" << read->pairs << "messages from"
                        << read->greatest->senders() << "senders read in" << read->took.elapsed()
                        << "ms";
    }
    QMetaObject::invokeMethod(
        this, [this, greatest = read->greatest] { greatestRead(greatest); }, Qt::QueuedConnection);
}

void Committer::noteStored(qint64 sender, const QString &clientId)
{
    if (m_greatest)
        m_greatest->add(sender, clientId);
    else if (m_greatestReading)
        m_storedWhileReading.add(sender, clientId);
}

void Committer::greatestRead(std::shared_ptr<GreatestClientIds> greatest)
{
    m_greatestReading = false;
    const GreatestClientIds stored = std::exchange(m_storedWhileReading, {});
    if (!greatest)
        return;
    greatest->add(stored);
    m_greatest = std::move(greatest);
}

void Committer::journalBatch()
{
    const QList<NewMessage> batch = std::exchange(m_pending, {});
    const QList<Callback> callbacks = std::exchange(m_callbacks, {});
    QList<AppendResult> results;
    results.reserve(batch.size());
    QList<Message> fresh;
    const QDateTime now = sql::timeFromMs(sql::nowMs());
    for (const NewMessage &in : batch) {
        const std::pair key(in.sender, in.clientId);
        // Acknowledged already, perhaps not stored yet (or earlier in this batch).
        if (const auto it = m_acknowledged.constFind(key); it != m_acknowledged.cend()) {
            results.append(AppendResult { *it, false });
            continue;
        }
        if (const auto it = std::find_if(fresh.cbegin(), fresh.cend(),
                [&in](const Message &m) {
                    return m.sender == in.sender && m.clientId == in.clientId;
                });
            it != fresh.cend()) {
            results.append(AppendResult { *it, false });
            continue;
        }
        // New for certain when greater than the sender's greatest stored clientId; else (and
        // until those are read) the database answers.
        const bool surelyNew = m_greatest && QStringView(in.clientId).isValidUtf16()
            && m_greatest->surelyNew(in.sender, in.clientId);
        if (!surelyNew) {
            ++m_lookups;
            const auto existing = m_store.messageByClientId(in.sender, in.clientId);
            if (const auto *e = std::get_if<ProtocolError>(&existing)) {
                runCallbacks(callbacks, *e);
                return;
            }
            if (const auto &found = std::get<std::optional<Message>>(existing)) {
                results.append(AppendResult { *found, false });
                continue;
            }
        }
        Message m;
        m.id = m_nextId++;
        m.thread = in.thread;
        m.sender = in.sender;
        m.senderName = in.senderName;
        m.clientId = in.clientId;
        m.text = in.text;
        m.createdAt = now;
        fresh.append(m);
        results.append(AppendResult { std::move(m), true });
    }
    if (!fresh.isEmpty()) {
        if (auto error = m_journal->append(fresh)) {
            // Nothing is appended after a failed write: from here on, every batch is
            // acknowledged after its commit (the ids given above are not used again).
            qCWarning(lcStore) << "messages are acknowledged after their commit from now on";
            runCallbacks(callbacks, *error);
            return;
        }
        for (const Message &m : std::as_const(fresh)) {
            const std::pair key(m.sender, m.clientId);
            m_acknowledged.insert(key, m);
            m_acknowledgedOrder.emplace_back(m.id, key);
            noteStored(m.sender, m.clientId);
        }
        m_lastAcknowledgedId = fresh.constLast().id;
        m_toHandOver.append(fresh);
        if (!std::exchange(m_handOverScheduled, true)) {
            QTimer::singleShot(kHandOverDelay, Qt::PreciseTimer, this, [this] {
                m_handOverScheduled = false;
                handOverAcknowledged();
            });
        }
    }
    ++m_journaledBatches;
    runCallbacks(callbacks, results);
}

void Committer::handOverAcknowledged()
{
    if (m_toHandOver.isEmpty())
        return;
    QMetaObject::invokeMethod(
        m_worker.get(),
        [this, w = m_worker.get(), messages = std::exchange(m_toHandOver, {})] {
            w->acknowledged.append(messages);
            (void)storeAcknowledged();
        },
        Qt::QueuedConnection);
}

bool Committer::storeAcknowledged()
{
    Worker &w = *m_worker;
    if (w.acknowledged.isEmpty())
        return true;
    const auto stored = w.store->storeAcknowledged(w.acknowledged);
    if (const auto *e = std::get_if<ProtocolError>(&stored)) {
        if (!std::exchange(w.storingFailed, true)) {
            qCWarning(lcStore) << w.acknowledged.size()
                               << "acknowledged messages are not in the database yet (they are "
                                  "in the journal, and tried again):"
                               << e->message;
            QMetaObject::invokeMethod(
                this, [this] { m_acknowledgedNotStoring = true; }, Qt::QueuedConnection);
        }
        return false;
    }
    if (std::exchange(w.storingFailed, false))
        qCInfo(lcStore) << "the acknowledged messages are in the database now";
    const qint64 upTo = w.acknowledged.constLast().id;
    w.acknowledged.clear();
    m_storedUpTo.store(upTo, std::memory_order_release);
    QMetaObject::invokeMethod(
        this, [this, upTo] { acknowledgedStored(upTo); }, Qt::QueuedConnection);
    return true;
}

void Committer::acknowledgedStored(qint64 upTo)
{
    m_acknowledgedNotStoring = false;
    while (!m_acknowledgedOrder.empty() && m_acknowledgedOrder.front().first <= upTo) {
        m_acknowledged.remove(m_acknowledgedOrder.front().second);
        m_acknowledgedOrder.pop_front();
    }
    // Everything appended is in the database: the journal starts over.
    if (upTo == m_lastAcknowledgedId && !m_journal->broken())
        m_journal->restart();
}

bool Committer::settle()
{
    if (!m_journal || m_storedUpTo.load(std::memory_order_acquire) >= m_lastAcknowledgedId)
        return true;
    bool stored = false;
    QMetaObject::invokeMethod(
        m_worker.get(),
        [this, w = m_worker.get(), &stored, messages = std::exchange(m_toHandOver, {})] {
            w->acknowledged.append(messages);
            stored = storeAcknowledged();
        },
        Qt::BlockingQueuedConnection);
    return stored;
}

} // namespace dpichat::server
