// dpichat-bigdata: fills a database with many users and messages through the server's own
// schema (generate), and times the server's threads/history/sync queries on it (measure).

#include "generator.h"
#include "options.h"
#include "stats.h"
#include "storemeasure.h"
#include "wsmeasure.h"

#include "allocator.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>

using namespace Qt::StringLiterals;
using namespace dpichat::bigdata;

namespace {

int measure(const Options &o)
{
    QTextStream out(stdout);
    Sampler sampler(o.store, o.seed);
    if (!sampler.load()) {
        QTextStream(stderr) << "dpichat-bigdata: " << sampler.error() << Qt::endl;
        return 1;
    }
    out << "database: " << sampler.threadCount() << " threads, " << sampler.admins().size()
        << " admins, messages up to id " << sampler.maxMessageId() << Qt::endl;
    QList<Series> store;
    bool ok = measureStore(o, sampler, store);
    printSeries(out, u"Store calls (SqlStore, as the dispatcher makes them), ms:"_s, store);
    if (ok && !o.serverBinary.isEmpty()) {
        QList<Series> wire;
        ok = measureWebSocket(o, sampler, wire);
        printSeries(out, u"End to end (request sent to reply received over a WebSocket), ms:"_s,
                    wire);
    }
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char *argv[])
{
    // As the server does, with room for a decoded 4.7 MB thread list and its copies: on a
    // machine that hands freed memory back to its host, faulting it in anew for every reply
    // added about 30 ms to each end-to-end `threads` figure (docs/performance.md, "Big data").
    dpichat::server::keepFreedMemory(256 << 20);
    QCoreApplication app(argc, argv);
    // The store's notes (opened, migrated) would interleave with the figures.
    QLoggingCategory::setFilterRules(u"dpichat.server.store.info=false"_s);
    const auto parsed = parseOptions(app.arguments());
    if (const int *exitCode = std::get_if<int>(&parsed))
        return *exitCode;
    const Options &o = std::get<Options>(parsed);
    return o.command == Options::Command::Measure ? measure(o) : generate(o);
}
