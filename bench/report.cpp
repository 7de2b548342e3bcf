#include "report.h"

#include "clock.h"

#include <QFile>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <sys/resource.h>
#include <unistd.h>

namespace bench {

void Stats::add(Stats &&o)
{
    sent += o.sent;
    acked += o.acked;
    rejected += o.rejected;
    delivered += o.delivered;
    duplicated += o.duplicated;
    outOfOrder += o.outOfOrder;
    idOrderViolations += o.idOrderViolations;
    lost += o.lost;
    unacked += o.unacked;
    foreign += o.foreign;
    disconnects += o.disconnects;
    sentInWindow += o.sentInWindow;
    ackedInWindow += o.ackedInWindow;
    deliveredInWindow += o.deliveredInWindow;
    lateSends += o.lateSends;
    maxScheduleLagNs = qMax(maxScheduleLagNs, o.maxScheduleLagNs);
    deliveryLatencyNs.insert(
        deliveryLatencyNs.end(), o.deliveryLatencyNs.begin(), o.deliveryLatencyNs.end());
    ackLatencyNs.insert(ackLatencyNs.end(), o.ackLatencyNs.begin(), o.ackLatencyNs.end());
    for (auto it = o.errorCodes.cbegin(); it != o.errorCodes.cend(); ++it)
        errorCodes[it.key()] += it.value();
    problems += o.problems;
}

namespace {

double seconds(const timeval &tv)
{
    return double(tv.tv_sec) + double(tv.tv_usec) / 1e6;
}

// utime + stime of a process, from /proc/PID/stat (fields 14 and 15).
double processCpuSeconds(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    // The command name (field 2) may contain spaces; the fields after it are fixed.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    return (fields[11].toDouble() + fields[12].toDouble()) / ticks;
}

qint64 processRssKb(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

QString fixed(double v, int decimals = 2)
{
    return QString::number(v, 'f', decimals);
}

} // namespace

CpuSample CpuSample::take(qint64 serverPid)
{
    CpuSample s;
    s.atNs = nowNs();
    rusage usage {};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
        s.driverUserS = seconds(usage.ru_utime);
        s.driverSysS = seconds(usage.ru_stime);
    }
    if (serverPid > 0) {
        s.serverCpuS = processCpuSeconds(serverPid);
        s.serverRssKb = processRssKb(serverPid);
    }
    s.driverRssKb = processRssKb(getpid());
    s.cores = readCoreTimes();
    return s;
}

Percentiles Percentiles::of(std::vector<qint64> &ns)
{
    Percentiles p;
    p.n = qsizetype(ns.size());
    if (ns.empty())
        return p;
    std::sort(ns.begin(), ns.end());
    // Nearest rank: the smallest value with at least q of the sample at or below it.
    const auto at = [&ns](double q) {
        const size_t rank = size_t(std::max(1.0, std::ceil(q * double(ns.size()))));
        return double(ns[std::min(rank, ns.size()) - 1]) / 1e6;
    };
    p.p50 = at(0.50);
    p.p95 = at(0.95);
    p.p99 = at(0.99);
    p.p999 = at(0.999);
    p.max = double(ns.back()) / 1e6;
    long double sum = 0;
    for (qint64 v : ns)
        sum += v;
    p.mean = double(sum / ns.size()) / 1e6;
    return p;
}

QJsonObject Percentiles::toJson() const
{
    return QJsonObject { { QStringLiteral("n"), n }, { QStringLiteral("p50"), p50 },
        { QStringLiteral("p95"), p95 }, { QStringLiteral("p99"), p99 },
        { QStringLiteral("p99.9"), p999 }, { QStringLiteral("max"), max },
        { QStringLiteral("mean"), mean } };
}

namespace {

/// How much of its CPU the driver may use at once: a core per load thread (fan-out runs on
/// one), no more than its CPU affinity allows (bench/run pins it to one core).
int driverCores(const BenchOptions &o)
{
    const int threads = o.fanout > 0 ? 1 : qMax(1, o.threads);
    const qsizetype allowed = cpuAffinity(0).size();
    return qMax(1, qMin(threads, allowed > 0 ? int(allowed) : threads));
}

/// The driver's share of driverCores() over the measured interval (0..1).
double driverLoad(const RunInfo &run)
{
    const double wall = double(run.end.atNs - run.start.atNs) / 1e9;
    // Polling in vain is time the driver would have slept without --busy-poll.
    const double cpu = run.end.driverUserS - run.start.driverUserS + run.end.driverSysS
            - run.start.driverSysS - (run.end.driverBusyPollS - run.start.driverBusyPollS);
    return wall > 0 ? cpu / wall / driverCores(run.options) : 0;
}

/// What else kept the server's cores busy over the measured interval (machine.h); -1 when
/// unknown.
double othersOnServerCores(const RunInfo &run, const std::vector<CoreShare> &shares)
{
    const double wall = double(run.end.atNs - run.start.atNs) / 1e9;
    if (run.options.serverPid <= 0 || run.start.serverCpuS < 0 || run.end.serverCpuS < 0
        || wall <= 0)
        return -1;
    return othersOnCores(shares, cpuAffinity(run.options.serverPid), cpuAffinity(0),
        (run.end.serverCpuS - run.start.serverCpuS) / wall);
}

QString idleModel(const BenchOptions &o)
{
    if (o.protocol == Protocol::Pusher) {
        return QStringLiteral("%1 idle sessions, each subscribed to a private channel of its own "
                              "(private-idle-<j>), then silent")
            .arg(o.idleConnections);
    }
    return QStringLiteral("%1 idle sessions: token logins spread over %2 users %3 (the first "
                          "session of each logs in with the password), then silent")
        .arg(o.idleConnections)
        .arg(qMin(o.idleUsers, o.idleConnections))
        .arg(QStringLiteral("%1-i<j>@%2").arg(o.usersPrefix, o.emailDomain));
}

QString loadModel(const BenchOptions &o)
{
    if (o.protocol == Protocol::Pusher) {
        if (o.fanout > 0) {
            return QStringLiteral("fan-out (Pusher): one session sends client events on "
                                  "private-fanout; %1 other subscribers receive each one (%1 "
                                  "deliveries per message; the server does not echo to the "
                                  "sender); nothing stored, no acknowledgement")
                .arg(o.fanout);
        }
        return QStringLiteral("%1 pairs (Pusher): pair i = two sessions subscribed to "
                              "private-pair-<i>; A sends client events, B receives them (the "
                              "server does not echo to the sender), so 1 delivery per message; "
                              "nothing stored, no acknowledgement")
            .arg(o.pairs);
    }
    if (o.fanout > 0) {
        return QStringLiteral("fan-out: customer %1 sends into its thread; %2 sessions of "
                              "admin %3 receive every message (%2 deliveries per message)")
            .arg(o.customerEmail(1))
            .arg(o.fanout)
            .arg(o.adminEmail());
    }
    return QStringLiteral("%1 pairs: pair i = customer %2 logged in twice; session A sends into "
                          "the user's own thread, session B receives the push (the server "
                          "pushes to the owner's other sessions and to admins; no admin is "
                          "connected), so 1 delivery per message, each message persisted")
        .arg(o.pairs)
        .arg(QStringLiteral("%1-c<i>@%2").arg(o.usersPrefix, o.emailDomain));
}

QString modeName(LoadMode mode)
{
    switch (mode) {
    case LoadMode::Light:
        return QStringLiteral("light");
    case LoadMode::Full:
        return QStringLiteral("full");
    case LoadMode::Idle:
        break;
    }
    return QStringLiteral("idle");
}

QString protocolName(Protocol protocol)
{
    return protocol == Protocol::Pusher ? QStringLiteral("pusher") : QStringLiteral("dpichat");
}

// Server RSS growth per idle session, KiB; -1 when unknown.
double rssPerSessionKib(const RunInfo &run, const CpuSample &after)
{
    const int n = run.options.idleConnections;
    if (n <= 0 || run.beforeSetup.serverRssKb < 0 || after.serverRssKb < 0)
        return -1;
    return double(after.serverRssKb - run.beforeSetup.serverRssKb) / n;
}

} // namespace

QString describeModel(const BenchOptions &o)
{
    if (o.mode == LoadMode::Idle)
        return idleModel(o);
    const QString load = loadModel(o)
        + (o.idOrder == IdOrder::Scattered ? QStringLiteral("; clientIds scattered (as random UUIDs)")
           : o.idOrder == IdOrder::PerSender ? QStringLiteral("; clientIds in order per sender, no time")
                                           : QString());
    if (o.idleConnections > 0)
        return load + QStringLiteral("; beside them ") + idleModel(o);
    return load;
}

bool driverSaturated(const RunInfo &run)
{
    return driverLoad(run) >= kSaturatedLoad;
}

bool integrityOk(const Stats &s)
{
    return s.lost == 0 && s.duplicated == 0 && s.outOfOrder == 0 && s.idOrderViolations == 0
        && s.unacked == 0 && s.rejected == 0 && s.disconnects == 0 && s.foreign == 0;
}

void printReport(QTextStream &out, const RunInfo &run, const Stats &s, const Percentiles &d,
    const Percentiles &a)
{
    const BenchOptions &o = run.options;
    const bool light = o.mode == LoadMode::Light;
    out << "== dpichat-bench " << modeName(o.mode) << " load, " << protocolName(o.protocol)
        << (o.label.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(o.label)) << " ==\n";
    out << "model:   " << describeModel(o) << "\n";
    if (o.idleConnections > 0) {
        const CpuSample &after = o.mode == LoadMode::Idle ? run.held : run.established;
        out << "idle:    " << o.idleConnections << " sessions set up in " << fixed(run.setupS, 1)
            << " s";
        if (after.serverRssKb >= 0) {
            out << "; server RSS " << fixed(run.beforeSetup.serverRssKb / 1024.0, 1)
                << " MiB before, " << fixed(after.serverRssKb / 1024.0, 1) << " MiB with them"
                << (o.mode == LoadMode::Idle
                           ? QStringLiteral(" (after %1 s)").arg(fixed(o.idleHoldS, 0))
                           : QString())
                << " = " << fixed(rssPerSessionKib(run, after), 2) << " KiB per session";
        }
        out << "; driver RSS " << fixed(after.driverRssKb / 1024.0, 1) << " MiB\n";
    }
    if (o.mode == LoadMode::Idle) {
        out << "counts:  disconnects " << s.disconnects << "\n";
        for (const QString &p : s.problems)
            out << "problem: " << p << "\n";
        out << "result:  " << (integrityOk(s) ? "OK (every session stayed open)" : "FAILED")
            << "\n";
        out.flush();
        return;
    }
    out << "load:    ";
    if (light) {
        out << "open loop, " << fixed(o.rate, 1)
            << " msg/s per sender = " << fixed(o.rate * o.senders(), 0) << " msg/s offered";
    } else {
        out << "window of " << o.window << " in flight per sender, " << o.senders()
            << (o.protocol == Protocol::Pusher
                       ? " senders (a message is in flight until every receiver has it)"
                       : " senders (a message is in flight until its 'sent' reply and every "
                         "push of it have arrived)");
    }
    out << "; text " << o.textBytes << " B; warmup " << fixed(o.warmupS, 1) << " s, measured "
        << fixed(run.measuredS, 1) << " s; driver threads " << (o.fanout > 0 ? 1 : o.threads)
        << ", client " << (o.client == ClientKind::Lean ? "lean" : "qt") << ", event loop "
        << (o.epollDispatcher ? "epoll" : "qt")
        << (o.busyPollUs > 0 ? QStringLiteral(", busy poll %1 us").arg(o.busyPollUs) : QString())
        << "; setup "
        << fixed(run.setupS, 1) << " s\n";
    out << "counts:  sent " << s.sent << ", acked " << s.acked << ", delivered " << s.delivered
        << ", lost " << s.lost << ", duplicated " << s.duplicated << ", out-of-order "
        << s.outOfOrder << ", id-order " << s.idOrderViolations << ", unacked " << s.unacked
        << ", rejected " << s.rejected << ", foreign " << s.foreign << ", disconnects "
        << s.disconnects << "\n";
    out << "rate:    delivered " << fixed(double(s.deliveredInWindow) / run.measuredS, 0)
        << " msg/s, acked " << fixed(double(s.ackedInWindow) / run.measuredS, 0) << " msg/s, sent "
        << fixed(double(s.sentInWindow) / run.measuredS, 0) << " msg/s\n";
    const auto line = [&out](const char *name, const Percentiles &p) {
        out << name << "p50 " << fixed(p.p50, 3) << "  p95 " << fixed(p.p95, 3) << "  p99 "
            << fixed(p.p99, 3) << "  p99.9 " << fixed(p.p999, 3) << "  max " << fixed(p.max, 3)
            << " ms  (n=" << p.n << ")\n";
    };
    line("latency send->push: ", d);
    if (o.protocol == Protocol::DpiChat)
        line("latency send->sent: ", a);
    const double wall = double(run.end.atNs - run.start.atNs) / 1e9;
    const double user = run.end.driverUserS - run.start.driverUserS;
    const double sys = run.end.driverSysS - run.start.driverSysS;
    out << "driver:  CPU " << fixed(user + sys) << " s (user " << fixed(user) << ", sys "
        << fixed(sys) << ") in " << fixed(wall) << " s = " << fixed(100 * (user + sys) / wall, 0)
        << "% of one core";
    if (o.busyPollUs > 0) {
        const double polled = run.end.driverBusyPollS - run.start.driverBusyPollS;
        out << " (of it " << fixed(polled) << " s polling in vain with --busy-poll "
            << o.busyPollUs << ": load " << fixed(100 * driverLoad(run), 0) << "%)";
    }
    if (light) {
        out << "; late sends " << s.lateSends << ", max schedule lag "
            << fixed(double(s.maxScheduleLagNs) / 1e6, 1) << " ms";
    }
    out << "\n";
    if (driverSaturated(run)) {
        out << "SATURATED: the driver used " << fixed(100 * driverLoad(run), 0) << "% of the "
            << driverCores(o) << " core(s) it may use; the rates are its limit as much as the "
            << "server's (a lower bound for the server), and its latencies include its own "
            << "queueing\n";
    }
    if (run.start.serverCpuS >= 0 && run.end.serverCpuS >= 0) {
        const double cpu = run.end.serverCpuS - run.start.serverCpuS;
        out << "server:  CPU " << fixed(cpu) << " s = " << fixed(100 * cpu / wall, 0)
            << "% of one core; "
            << (cpu > 0 ? fixed(double(s.deliveredInWindow) / cpu * wall / run.measuredS, 0)
                        : QStringLiteral("-"))
            << " delivered msg per server CPU-second; RSS " << run.end.serverRssKb / 1024
            << " MiB\n";
    }
    const std::vector<CoreShare> shares = coreShares(run.start.cores, run.end.cores);
    if (!shares.empty()) {
        out << "machine:";
        for (const CoreShare &c : shares) {
            out << (c.cpu == shares.front().cpu ? " " : "; ") << "cpu" << c.cpu << " busy "
                << fixed(100 * c.busy, 0) << "%, iowait " << fixed(100 * c.iowait, 1)
                << "%, steal " << fixed(100 * c.steal, 1) << "%";
        }
        const double others = othersOnServerCores(run, shares);
        if (others >= 0)
            out << "; the server's core(s) busy with other work " << fixed(100 * others, 1) << "%";
        out << "\n";
    }
    if (!s.errorCodes.isEmpty()) {
        out << "errors: ";
        for (auto it = s.errorCodes.cbegin(); it != s.errorCodes.cend(); ++it)
            out << " " << it.key() << "=" << it.value();
        out << "\n";
    }
    for (const QString &p : s.problems)
        out << "problem: " << p << "\n";
    out << "result:  "
        << (integrityOk(s) ? "OK (every message exactly once, in order)"
                           : "FAILED integrity checks")
        << "\n";
    out.flush();
}

QJsonObject reportJson(
    const RunInfo &run, const Stats &s, const Percentiles &d, const Percentiles &a)
{
    const BenchOptions &o = run.options;
    const double wall = double(run.end.atNs - run.start.atNs) / 1e9;
    const double user = run.end.driverUserS - run.start.driverUserS;
    const double sys = run.end.driverSysS - run.start.driverSysS;
    QJsonObject counts { { QStringLiteral("sent"), s.sent }, { QStringLiteral("acked"), s.acked },
        { QStringLiteral("delivered"), s.delivered }, { QStringLiteral("lost"), s.lost },
        { QStringLiteral("duplicated"), s.duplicated },
        { QStringLiteral("outOfOrder"), s.outOfOrder },
        { QStringLiteral("idOrderViolations"), s.idOrderViolations },
        { QStringLiteral("unacked"), s.unacked }, { QStringLiteral("rejected"), s.rejected },
        { QStringLiteral("foreign"), s.foreign },
        { QStringLiteral("disconnects"), s.disconnects } };
    QJsonObject errors;
    for (auto it = s.errorCodes.cbegin(); it != s.errorCodes.cend(); ++it)
        errors.insert(it.key(), it.value());
    QJsonObject json {
        { QStringLiteral("tool"), QStringLiteral("dpichat-bench") },
        { QStringLiteral("label"), o.label },
        { QStringLiteral("mode"), modeName(o.mode) },
        { QStringLiteral("protocol"), protocolName(o.protocol) },
        { QStringLiteral("idleConnections"), o.idleConnections },
        { QStringLiteral("topology"),
            o.mode == LoadMode::Idle ? QStringLiteral("idle")
                : o.fanout > 0       ? QStringLiteral("fanout")
                                     : QStringLiteral("pairs") },
        { QStringLiteral("model"), describeModel(o) },
        { QStringLiteral("pairs"), o.fanout > 0 || o.mode == LoadMode::Idle ? 0 : o.pairs },
        { QStringLiteral("fanout"), o.fanout },
        { QStringLiteral("ratePerSender"), o.rate },
        { QStringLiteral("window"), o.window },
        { QStringLiteral("textBytes"), o.textBytes },
        { QStringLiteral("scatteredIds"), o.idOrder == IdOrder::Scattered },
        { QStringLiteral("idOrder"), idOrderName(o.idOrder) },
        { QStringLiteral("threads"), o.fanout > 0 ? 1 : o.threads },
        { QStringLiteral("client"),
            o.client == ClientKind::Lean ? QStringLiteral("lean") : QStringLiteral("qt") },
        { QStringLiteral("eventDispatcher"),
            o.epollDispatcher ? QStringLiteral("epoll") : QStringLiteral("qt") },
        { QStringLiteral("busyPollUs"), o.busyPollUs },
        { QStringLiteral("url"), o.url.toString() },
        { QStringLiteral("warmupS"), o.warmupS },
        { QStringLiteral("measuredS"), run.measuredS },
        { QStringLiteral("setupS"), run.setupS },
        { QStringLiteral("counts"), counts },
        { QStringLiteral("throughput"),
            QJsonObject {
                { QStringLiteral("deliveredPerS"), double(s.deliveredInWindow) / run.measuredS },
                { QStringLiteral("ackedPerS"), double(s.ackedInWindow) / run.measuredS },
                { QStringLiteral("sentPerS"), double(s.sentInWindow) / run.measuredS } } },
        { QStringLiteral("latencyMs"),
            QJsonObject { { QStringLiteral("sendToPush"), d.toJson() },
                { QStringLiteral("sendToSent"), a.toJson() } } },
        { QStringLiteral("driver"),
            QJsonObject { { QStringLiteral("cpuS"), user + sys }, { QStringLiteral("userS"), user },
                { QStringLiteral("sysS"), sys }, { QStringLiteral("wallS"), wall },
                { QStringLiteral("busyPollS"),
                    run.end.driverBusyPollS - run.start.driverBusyPollS },
                { QStringLiteral("load"), driverLoad(run) },
                { QStringLiteral("cores"), driverCores(o) },
                { QStringLiteral("saturated"), driverSaturated(run) },
                { QStringLiteral("lateSends"), s.lateSends },
                { QStringLiteral("maxScheduleLagMs"), double(s.maxScheduleLagNs) / 1e6 } } },
        { QStringLiteral("errors"), errors },
        { QStringLiteral("problems"), QJsonArray::fromStringList(s.problems) },
        { QStringLiteral("ok"), integrityOk(s) },
    };
    const std::vector<CoreShare> shares = coreShares(run.start.cores, run.end.cores);
    if (!shares.empty()) {
        QJsonArray cores;
        for (const CoreShare &c : shares) {
            cores.append(QJsonObject { { QStringLiteral("cpu"), c.cpu },
                { QStringLiteral("busy"), c.busy }, { QStringLiteral("iowait"), c.iowait },
                { QStringLiteral("steal"), c.steal } });
        }
        QJsonObject machine { { QStringLiteral("cores"), cores } };
        if (o.serverPid > 0) {
            QJsonArray serverCores;
            for (int cpu : cpuAffinity(o.serverPid))
                serverCores.append(cpu);
            machine.insert(QStringLiteral("serverCores"), serverCores);
        }
        const double others = othersOnServerCores(run, shares);
        if (others >= 0)
            machine.insert(QStringLiteral("othersOnServerCores"), others);
        json.insert(QStringLiteral("machine"), machine);
    }
    if (o.idleConnections > 0) {
        const CpuSample &after = o.mode == LoadMode::Idle ? run.held : run.established;
        json.insert(QStringLiteral("idle"),
            QJsonObject { { QStringLiteral("connections"), o.idleConnections },
                { QStringLiteral("users"),
                    o.protocol == Protocol::DpiChat ? qMin(o.idleUsers, o.idleConnections) : 0 },
                { QStringLiteral("setupS"), run.setupS },
                { QStringLiteral("holdS"), o.mode == LoadMode::Idle ? o.idleHoldS : 0.0 },
                { QStringLiteral("serverRssBeforeKb"), run.beforeSetup.serverRssKb },
                { QStringLiteral("serverRssAfterKb"), after.serverRssKb },
                { QStringLiteral("serverRssPerConnectionKib"), rssPerSessionKib(run, after) },
                { QStringLiteral("driverRssKb"), after.driverRssKb } });
    }
    if (o.serverPid > 0 && run.start.serverCpuS >= 0 && run.end.serverCpuS >= 0) {
        const double cpu = run.end.serverCpuS - run.start.serverCpuS;
        json.insert(QStringLiteral("server"),
            QJsonObject { { QStringLiteral("pid"), o.serverPid }, { QStringLiteral("cpuS"), cpu },
                { QStringLiteral("deliveredPerCpuS"),
                    cpu > 0 ? double(s.deliveredInWindow) / cpu * wall / run.measuredS : 0.0 },
                { QStringLiteral("rssKb"), run.end.serverRssKb } });
    }
    return json;
}

} // namespace bench
