#pragma once

#include <QList>
#include <QString>
#include <QTextStream>
#include <algorithm>
#include <cmath>

namespace dpichat::bigdata {

/// Timings of one query, in microseconds, and its target.
struct Series
{
    QString name;
    double targetMs = 0;
    QList<qint64> micros;
    /// CPU time of the calling thread per sample (store calls only: for SQLite all the work,
    /// for PostgreSQL the client's share). Unlike wall time, it does not grow when other
    /// processes take the cores.
    QList<qint64> cpuMicros;

    static double percentileMs(const QList<qint64> &samples, double p)
    {
        if (samples.isEmpty())
            return 0;
        QList<qint64> sorted = samples;
        std::sort(sorted.begin(), sorted.end());
        // Nearest rank: the smallest sample with at least p of the samples at or below it.
        const qsizetype rank = qsizetype(std::ceil(p * double(sorted.size())));
        return double(sorted.at(std::clamp<qsizetype>(rank - 1, 0, sorted.size() - 1))) / 1000.0;
    }
    double percentileMs(double p) const { return percentileMs(micros, p); }
    /// A target is met when 99 of 100 answers come within it.
    bool meetsTarget() const { return percentileMs(0.99) < targetMs; }
    bool hasTarget() const { return targetMs > 0; }
};

inline void printSeries(QTextStream &out, const QString &title, const QList<Series> &series)
{
    out << "\n" << title << "\n";
    out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8  %9\n")
                    .arg(QStringLiteral("query"), -34)
                    .arg(QStringLiteral("samples"), 7)
                    .arg(QStringLiteral("median"), 9)
                    .arg(QStringLiteral("p95"), 9)
                    .arg(QStringLiteral("p99"), 9)
                    .arg(QStringLiteral("max"), 9)
                    .arg(QStringLiteral("cpu p50"), 9)
                    .arg(QStringLiteral("target"), 7)
                    .arg(QStringLiteral("p99 < target"));
    for (const Series &s : series) {
        const auto ms = [](double v) { return QStringLiteral("%1").arg(v, 9, 'f', 2); };
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8  %9\n")
                        .arg(s.name, -34)
                        .arg(s.micros.size(), 7)
                        .arg(ms(s.percentileMs(0.5)), ms(s.percentileMs(0.95)),
                             ms(s.percentileMs(0.99)), ms(s.percentileMs(1.0)),
                             s.cpuMicros.isEmpty() ? QStringLiteral("-").rightJustified(9)
                                                   : ms(Series::percentileMs(s.cpuMicros, 0.5)))
                        .arg(s.hasTarget() ? QString::number(s.targetMs, 'f', 0) : QStringLiteral("-"), 7)
                        .arg(!s.hasTarget() ? QStringLiteral("-")
                                 : s.meetsTarget() ? QStringLiteral("yes") : QStringLiteral("NO"));
    }
    out.flush();
}

} // namespace dpichat::bigdata
