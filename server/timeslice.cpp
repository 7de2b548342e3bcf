#include "timeslice.h"

#include <QtGlobal>

#include <cstdint>

#ifdef Q_OS_LINUX
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace dpichat::server {

#ifdef Q_OS_LINUX
namespace {

// The kernel's struct sched_attr as sched_setattr(2) takes it (its first 48 bytes); glibc
// 2.36 has no wrapper for the call.
struct SchedAttr {
    std::uint32_t size;
    std::uint32_t policy;
    std::uint64_t flags;
    std::int32_t nice;
    std::uint32_t priority;
    std::uint64_t runtime; // Under SCHED_OTHER (Linux 6.12 and later): the time slice, in ns.
    std::uint64_t deadline;
    std::uint64_t period;
};

// SCHED_FLAG_RESET_ON_FORK (linux/sched.h).
constexpr std::uint64_t kResetOnFork = 0x01;

} // namespace
#endif

bool setOwnTimeSlice(std::chrono::nanoseconds slice)
{
#ifdef Q_OS_LINUX
    SchedAttr attr {};
    attr.size = sizeof attr;
    attr.policy = SCHED_OTHER;
    attr.flags = kResetOnFork;
    attr.nice = ::getpriority(PRIO_PROCESS, ::gettid());
    attr.runtime = std::uint64_t(slice.count());
    return ::syscall(SYS_sched_setattr, 0, &attr, 0) == 0;
#else
    Q_UNUSED(slice);
    return false;
#endif
}

} // namespace dpichat::server
