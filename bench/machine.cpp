#include "machine.h"

#include <QFile>

#include <algorithm>
#include <sched.h>
#include <unistd.h>

namespace bench {

// "cpuN user nice system idle iowait irq softirq steal ..."; guest time is inside user.
std::vector<CoreTimes> readCoreTimes()
{
    std::vector<CoreTimes> cores;
    QFile f(QStringLiteral("/proc/stat"));
    if (!f.open(QIODevice::ReadOnly))
        return cores;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (!line.startsWith("cpu") || line.size() < 4 || line.at(3) < '0' || line.at(3) > '9')
            continue;
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (fields.size() < 9)
            continue;
        const auto at = [&fields, ticks](int i) { return fields.at(i).toDouble() / ticks; };
        CoreTimes c;
        c.cpu = fields.at(0).mid(3).toInt();
        c.busyS = at(1) + at(2) + at(3) + at(6) + at(7);
        c.idleS = at(4);
        c.iowaitS = at(5);
        c.stealS = at(8);
        cores.push_back(c);
    }
    return cores;
}

std::vector<CoreShare> coreShares(
    const std::vector<CoreTimes> &start, const std::vector<CoreTimes> &end)
{
    std::vector<CoreShare> shares;
    for (const CoreTimes &e : end) {
        const auto s = std::find_if(
            start.cbegin(), start.cend(), [&e](const CoreTimes &c) { return c.cpu == e.cpu; });
        if (s == start.cend())
            continue;
        const double busy = e.busyS - s->busyS, iowait = e.iowaitS - s->iowaitS,
                     steal = e.stealS - s->stealS;
        const double total = busy + iowait + steal + (e.idleS - s->idleS);
        if (total > 0)
            shares.push_back({ e.cpu, busy / total, iowait / total, steal / total });
    }
    return shares;
}

QList<int> cpuAffinity(qint64 pid)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    QList<int> cpus;
    if (sched_getaffinity(pid_t(pid), sizeof(set), &set) != 0)
        return cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &set))
            cpus.append(cpu);
    }
    return cpus;
}

double othersOnCores(const std::vector<CoreShare> &shares, const QList<int> &serverCpus,
    const QList<int> &driverCpus, double serverShare)
{
    if (serverCpus.isEmpty() || serverCpus.size() >= int(shares.size()))
        return -1;
    double busy = 0;
    int counted = 0;
    for (const CoreShare &c : shares) {
        if (!serverCpus.contains(c.cpu))
            continue;
        if (driverCpus.contains(c.cpu))
            return -1;
        busy += c.busy;
        ++counted;
    }
    return counted > 0 ? std::max(0.0, (busy - serverShare) / counted) : -1;
}

} // namespace bench
