#pragma once

#include "store/store.h"

#include <QObject>
#include <functional>

namespace dpichat::server {

class Metrics;

/// Group commit: sends that arrive in the same turn of the event loop are stored in one
/// transaction, so one disk flush serves them all; each is acknowledged only after it.
class Committer : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const Expected<AppendResult> &)>;

    Committer(Store &store, Metrics &metrics, QObject *parent = nullptr);

    /// Queues a message; `done` runs after the transaction that stores it (or fails).
    void submit(const NewMessage &message, Callback done);
    /// Commits everything queued now (also called at shutdown).
    void flush();

    qint64 transactions() const { return m_transactions; }

private:
    Store &m_store;
    Metrics &m_metrics;
    QList<NewMessage> m_pending;
    QList<Callback> m_callbacks;
    bool m_flushScheduled = false;
    qint64 m_transactions = 0;
};

} // namespace dpichat::server
