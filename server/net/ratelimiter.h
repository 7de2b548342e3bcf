#pragma once

#include <QtGlobal>

namespace dpichat::server {

/// A token bucket: `rate` requests a second on average, bursts of `burst`. A rate of 0 lets
/// everything through (for benchmarks).
class TokenBucket
{
public:
    TokenBucket(double rate, double burst) : m_rate(rate), m_burst(burst), m_tokens(burst) { }

    bool tryTake(qint64 nowMs)
    {
        if (m_rate <= 0)
            return true;
        if (m_lastMs != 0)
            m_tokens = qMin(m_burst, m_tokens + double(nowMs - m_lastMs) * m_rate / 1000.0);
        m_lastMs = nowMs;
        if (m_tokens < 1.0)
            return false;
        m_tokens -= 1.0;
        return true;
    }

private:
    double m_rate;
    double m_burst;
    double m_tokens;
    qint64 m_lastMs = 0;
};

} // namespace dpichat::server
