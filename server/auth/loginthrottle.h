#pragma once

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>

namespace dpichat::server {

/// Counts failed logins per key (an account or an address) in a sliding window and refuses
/// further attempts once a key has too many. Memory stays bounded: old failures are dropped.
class LoginThrottle
{
public:
    explicit LoginThrottle(int maxFailures = 10, qint64 windowMs = 60'000)
        : m_maxFailures(maxFailures), m_windowMs(windowMs) { }

    bool isBlocked(const QString &key, qint64 nowMs);
    void recordFailure(const QString &key, qint64 nowMs);
    int trackedKeys() const { return int(m_failures.size()); }

private:
    void prune(qint64 nowMs);

    int m_maxFailures;
    qint64 m_windowMs;
    qint64 m_lastPruneMs = 0;
    QHash<QString, QList<qint64>> m_failures;
};

} // namespace dpichat::server
