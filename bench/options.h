#pragma once

#include "connection.h"

#include <QString>
#include <QStringList>
#include <QUrl>

#include <variant>

namespace bench {

enum class LoadMode {
    Light, ///< Each sender at a fixed rate (open loop); measures latency.
    Full, ///< A window of messages in flight per sender; measures throughput.
};

/// Everything the command line sets. Users are named `<prefix>-c<i>@<domain>` (customers,
/// i from 1) and `<prefix>-admin@<domain>` (the fan-out admin); run-server-bench creates them.
struct BenchOptions {
    LoadMode mode = LoadMode::Light;
    ClientKind client = ClientKind::Lean;
    QUrl url = QUrl(QStringLiteral("ws://127.0.0.1:8787/"));
    /// Empty: receivers use `url` too. Otherwise another instance on the same database, so
    /// that every delivery crosses from one instance to the other.
    QUrl receiverUrl;
    int pairs = 100;
    int fanout = 0; ///< > 0: one customer sends, this many admin sessions receive.
    double durationS = 10;
    double warmupS = 2;
    double drainS = 5;
    double rate = 10; ///< Messages per second per sender (light mode).
    int window = 32; ///< Messages in flight per sender (full mode).
    int textBytes = 64;
    int threads = 1;
    int loginConcurrency = 4;
    QString usersPrefix = QStringLiteral("bench");
    QString emailDomain = QStringLiteral("bench.invalid");
    QString password = QStringLiteral("bench-password-1");
    QString jsonFile;
    QString tokensFile;
    QString label;
    qint64 serverPid = 0;

    QString customerEmail(int i) const;
    QString adminEmail() const;
    int senders() const { return fanout > 0 ? 1 : pairs; }
    int receiversPerSender() const { return fanout > 0 ? fanout : 1; }
};

/// Parses the command line; the string alternative is an error or the help text, with
/// `helpRequested` telling which.
std::variant<BenchOptions, QString> parseOptions(const QStringList &arguments, bool &helpRequested);

} // namespace bench
