#pragma once

#include <QtGlobal>

#include <chrono>

namespace bench {

/// Monotonic nanoseconds, comparable across the driver's threads.
inline qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace bench
