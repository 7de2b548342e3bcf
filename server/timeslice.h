#pragma once

#include <chrono>

namespace dpichat::server {

/// The shortest time slice Linux lets a thread ask for.
constexpr std::chrono::nanoseconds kShortestTimeSlice { 100'000 };

/// Asks the scheduler for a time slice of `slice` for the calling thread, keeping its policy
/// (SCHED_OTHER) and nice value; threads it starts later get the default slice
/// (SCHED_RESET_ON_FORK, which also resets their policy and a negative nice value to the
/// defaults). Linux 6.12 and later
/// honour it (EEVDF): a thread with a shorter slice than the one running takes the core from
/// it as soon as it wakes, instead of waiting for the rest of that slice; earlier kernels
/// accept and ignore it. False where the call fails or does not exist.
bool setOwnTimeSlice(std::chrono::nanoseconds slice);

} // namespace dpichat::server
