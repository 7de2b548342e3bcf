#pragma once

#include "connection.h"
#include "frames.h"

#include <QString>
#include <QStringList>
#include <QUrl>

#include <variant>

namespace bench {

enum class LoadMode {
    Light, ///< Each sender at a fixed rate (open loop); measures latency.
    Full, ///< A window of messages in flight per sender; measures throughput.
    Idle, ///< Only idle connections: measures the server's memory per connection.
};

/// The wire protocol the driver speaks.
enum class Protocol {
    DpiChat, ///< PROTOCOL.md version 1: every message persisted, `sent` after commit.
    Pusher, ///< Pusher Channels protocol 7 (soketi): client events on private channels.
};

/// Everything the command line sets. Users are named `<prefix>-c<i>@<domain>` (customers,
/// i from 1), `<prefix>-i<j>@<domain>` (owners of idle sessions, j from 1) and
/// `<prefix>-admin@<domain>` (the fan-out admin); the bench scripts create them.
struct BenchOptions {
    LoadMode mode = LoadMode::Light;
    Protocol protocol = Protocol::DpiChat;
    ClientKind client = ClientKind::Lean;
    /// Worker threads' event loops on the server's epoll dispatcher (a wake-up costs the
    /// sockets that are ready), or on Qt's own (glib's poll() over every socket).
    bool epollDispatcher = true;
    /// With the epoll dispatcher: microseconds each worker's loop polls without waiting
    /// before it blocks (0: it blocks at once). See EpollEventDispatcher::setBusyPoll().
    int busyPollUs = 0;
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
    IdOrder idOrder = IdOrder::TimeOrdered; ///< How clientIds follow each other (frames.h).
    int threads = 1;
    int loginConcurrency = 4;
    /// Idle sessions: opened and logged in (or subscribed), then silent. The whole load in
    /// idle mode, or beside the pairs in light and full mode.
    int idleConnections = 0;
    int idleUsers = 100; ///< DPI Chat: idle sessions are spread over this many users.
    double idleHoldS = 3; ///< Idle mode: seconds between "all established" and the RSS sample.
    int connectConcurrency = 64; ///< Idle sessions being set up at once.
    QString appKey = QStringLiteral("app-key"); ///< Pusher application key.
    QString appSecret = QStringLiteral("app-secret"); ///< Pusher secret, to sign subscriptions.
    QString usersPrefix = QStringLiteral("bench");
    QString emailDomain = QStringLiteral("bench.invalid");
    QString password = QStringLiteral("bench-password-1");
    QString jsonFile;
    QString tokensFile;
    QString label;
    qint64 serverPid = 0;

    QString customerEmail(int i) const;
    QString adminEmail() const;
    QString idleEmail(int j) const;
    int senders() const { return mode == LoadMode::Idle ? 0 : fanout > 0 ? 1 : pairs; }
    int receiversPerSender() const { return fanout > 0 ? fanout : 1; }
};

/// Parses the command line; the string alternative is an error or the help text, with
/// `helpRequested` telling which.
std::variant<BenchOptions, QString> parseOptions(const QStringList &arguments, bool &helpRequested);

} // namespace bench
