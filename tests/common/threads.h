#pragma once

// A process's threads as Linux shows them: found by name in /proc, and their time slices.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>
#include <QtGlobal>

#ifdef Q_OS_LINUX
#include <cstdint>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace testthreads {

/// The id of the thread named `name` in process `pid` (this one by default), or 0.
inline pid_t threadNamed(const QByteArray &name, qint64 pid = 0)
{
    const QDir tasks(
        pid > 0 ? QStringLiteral("/proc/%1/task").arg(pid) : QStringLiteral("/proc/self/task"));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + QStringLiteral("/comm")));
        if (comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == name)
            return pid_t(tid.toInt());
    }
    return 0;
}

/// A thread's time slice in nanoseconds (sched_getattr; Linux 6.12 and later report it under
/// SCHED_OTHER, earlier ones 0), or -1.
inline qint64 timeSliceOf(pid_t tid)
{
    struct {
        std::uint32_t size, policy;
        std::uint64_t flags;
        std::int32_t nice;
        std::uint32_t priority;
        std::uint64_t runtime, deadline, period;
    } attr {};
    if (::syscall(SYS_sched_getattr, tid, &attr, unsigned(sizeof attr), 0u) != 0)
        return -1;
    return qint64(attr.runtime);
}

} // namespace testthreads
#endif
