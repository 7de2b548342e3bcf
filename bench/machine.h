#pragma once

#include <QList>

#include <vector>

namespace bench {

/// One core's time since boot, from /proc/stat, in seconds.
struct CoreTimes {
    int cpu = -1;
    double busyS = 0; ///< user, nice, system, irq and softirq
    double idleS = 0;
    double iowaitS = 0;
    double stealS = 0; ///< wanted to run while the hypervisor ran something else
};

/// One core over an interval: shares of its time (0..1).
struct CoreShare {
    int cpu = -1;
    double busy = 0, iowait = 0, steal = 0;
};

/// Every core's times now (empty when /proc/stat cannot be read).
std::vector<CoreTimes> readCoreTimes();

/// Each core present in both samples, over the interval between them.
std::vector<CoreShare> coreShares(
    const std::vector<CoreTimes> &start, const std::vector<CoreTimes> &end);

/// The cores a process may run on (pid 0: this one); empty when unknown.
QList<int> cpuAffinity(qint64 pid);

/// How busy `serverCpus` were with anything but the server, as a share of them (0..1): their
/// busy share less `serverShare` (the server's CPU time over the interval's wall time). -1 when
/// the server may run on every core, or the driver (`driverCpus`) on one of the server's.
double othersOnCores(const std::vector<CoreShare> &shares, const QList<int> &serverCpus,
    const QList<int> &driverCpus, double serverShare);

} // namespace bench
