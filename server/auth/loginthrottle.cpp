#include "loginthrottle.h"

namespace dpichat::server {

bool LoginThrottle::isBlocked(const QString &key, qint64 nowMs)
{
    prune(nowMs);
    auto it = m_failures.find(key);
    if (it == m_failures.end())
        return false;
    QList<qint64> &times = *it;
    while (!times.isEmpty() && times.first() <= nowMs - m_windowMs)
        times.removeFirst();
    return times.size() >= m_maxFailures;
}

void LoginThrottle::recordFailure(const QString &key, qint64 nowMs)
{
    QList<qint64> &times = m_failures[key];
    times.append(nowMs);
    // Only the newest maxFailures matter for the decision; more would only cost memory.
    while (times.size() > m_maxFailures)
        times.removeFirst();
}

void LoginThrottle::prune(qint64 nowMs)
{
    if (nowMs - m_lastPruneMs < m_windowMs)
        return;
    m_lastPruneMs = nowMs;
    for (auto it = m_failures.begin(); it != m_failures.end();) {
        if (it->isEmpty() || it->last() <= nowMs - m_windowMs)
            it = m_failures.erase(it);
        else
            ++it;
    }
}

} // namespace dpichat::server
