#pragma once

#include "machine.h"
#include "options.h"
#include "stats.h"

#include <QJsonObject>
#include <QTextStream>

#include <vector>

namespace bench {

/// CPU time of the driver (getrusage) and, when its pid is known, of the server (/proc), and
/// of every core of the machine (/proc/stat), so that a report can say what else ran.
struct CpuSample {
    qint64 atNs = 0;
    double driverUserS = 0;
    double driverSysS = 0;
    /// Of the driver's CPU time, the time its loops polled without finding work (--busy-poll).
    double driverBusyPollS = 0;
    double serverCpuS = -1; ///< -1: unknown.
    qint64 serverRssKb = -1;
    qint64 driverRssKb = -1;
    std::vector<CoreTimes> cores;

    static CpuSample take(qint64 serverPid);
};

/// Order statistics of a latency sample, in milliseconds.
struct Percentiles {
    qsizetype n = 0;
    double p50 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;

    /// Sorts `ns` in place.
    static Percentiles of(std::vector<qint64> &ns);
    QJsonObject toJson() const;
};

/// Everything a report needs besides the counters.
struct RunInfo {
    BenchOptions options;
    QByteArray nonce;
    double setupS = 0;
    double measuredS = 0;
    CpuSample beforeSetup; ///< Before the first session opened.
    CpuSample established; ///< Once every session (idle ones included) was set up.
    CpuSample held; ///< Idle mode: options.idleHoldS after `established`.
    CpuSample start;
    CpuSample end;
};

/// The model in one sentence, as printed and written to JSON.
QString describeModel(const BenchOptions &options);

/// The share of its cores (one per load thread, within its CPU affinity) at which the driver
/// counts as saturated over the measured interval.
constexpr double kSaturatedLoad = 0.9;

/// Whether the driver was saturated: then its rates bound the server's from below, and the
/// report and the JSON (`driver.saturated`) say so.
bool driverSaturated(const RunInfo &run);

/// Whether every message arrived exactly once, in order, at every receiving session.
bool integrityOk(const Stats &stats);

void printReport(QTextStream &out, const RunInfo &run, const Stats &stats,
    const Percentiles &delivery, const Percentiles &ack);
QJsonObject reportJson(
    const RunInfo &run, const Stats &stats, const Percentiles &delivery, const Percentiles &ack);

} // namespace bench
