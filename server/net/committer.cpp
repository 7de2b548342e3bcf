#include "committer.h"

#include "logging.h"
#include "metrics/metrics.h"

#include <QTimer>
#include <algorithm>

namespace dpichat::server {

Committer::Committer(Store &store, Metrics &metrics, QObject *parent)
    : QObject(parent), m_store(store), m_metrics(metrics)
{
}

void Committer::submit(const NewMessage &message, Callback done)
{
    m_pending.append(message);
    m_callbacks.append(std::move(done));
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        // Runs after every frame already read in this turn of the event loop.
        QTimer::singleShot(0, this, &Committer::flush);
    }
}

void Committer::flush()
{
    m_flushScheduled = false;
    if (m_pending.isEmpty())
        return;
    const QList<NewMessage> batch = std::exchange(m_pending, {});
    const QList<Callback> callbacks = std::exchange(m_callbacks, {});
    const auto stored = m_store.appendMessages(batch);
    ++m_transactions;
    if (const auto *error = std::get_if<ProtocolError>(&stored)) {
        m_metrics.countCommit(false, 0);
        qCWarning(lcStore) << "a batch of" << batch.size() << "messages was not stored:"
                           << error->message;
        for (const Callback &done : callbacks)
            done(ProtocolError{ErrorCode::Internal, QStringLiteral("the message was not stored")});
        return;
    }
    const QList<AppendResult> &results = std::get<QList<AppendResult>>(stored);
    m_metrics.countCommit(true, std::count_if(results.cbegin(), results.cend(),
                                              [](const AppendResult &r) { return r.created; }));
    for (qsizetype i = 0; i < callbacks.size(); ++i) {
        if (i < results.size())
            callbacks[i](results[i]);
        else
            callbacks[i](ProtocolError{ErrorCode::Internal, QStringLiteral("the message was not stored")});
    }
}

} // namespace dpichat::server
