#pragma once

#include "protocol/errors.h"

#include <QByteArray>
#include <array>

namespace dpichat::server {

/// The server's counters, bumped on the event-loop thread by the parts that see each event
/// (plain integer increments, no locks) and rendered as Prometheus text for /metrics.
/// One instance per Server, passed to its parts by reference.
class Metrics
{
public:
    /// Values that belong to other objects and are read when /metrics is scraped.
    struct Gauges
    {
        qint64 connections = 0; ///< Open WebSocket connections.
        qint64 sessions = 0;    ///< Logged-in sessions.
        /// SQLite under synchronous=NORMAL (Committer::startJournal()): batches acknowledged
        /// from the journal, its messages not in the database yet, and new messages looked up
        /// by clientId in the database first (the filter could not rule out a repeat).
        qint64 journalBatches = 0;
        qint64 journalUnstored = 0;
        qint64 journalLookups = 0;
    };

    void countConnection() { ++m_connectionsAccepted; }
    /// A valid `send` handed to the committer.
    void countSendRequest() { ++m_sendRequests; }
    /// A group commit that ended; `created` new messages in it (repeats of a clientId excluded).
    void countCommit(bool ok, qint64 created)
    {
        ++m_commits;
        m_messagesStored += created;
        if (!ok)
            ++m_dbErrors;
    }
    void countPushes(qint64 frames) { m_pushes += frames; }
    /// An error reply. `internal` is what the Store gives for every database failure.
    void countError(ErrorCode code)
    {
        ++m_errors[size_t(code)];
        if (code == ErrorCode::Internal)
            ++m_dbErrors;
    }
    /// A database failure that no reply reports (e.g. a failed health check).
    void countDatabaseError() { ++m_dbErrors; }
    /// From a `send` read off the socket to its `sent` reply written to it.
    void observeSendLatency(qint64 microseconds)
    {
        m_latencySumUs += microseconds;
        size_t i = 0;
        while (i < kLatencyBoundsUs.size() && microseconds > kLatencyBoundsUs[i])
            ++i;
        ++m_latencyCounts[i];
    }

    QByteArray render(const Gauges &gauges) const;

private:
    static constexpr std::array<qint64, 14> kLatencyBoundsUs{
        100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000,
        500'000, 1'000'000, 2'500'000};
    static constexpr size_t kErrorCodes = size_t(ErrorCode::Internal) + 1;

    qint64 m_connectionsAccepted = 0;
    qint64 m_sendRequests = 0;
    qint64 m_commits = 0;
    qint64 m_messagesStored = 0;
    qint64 m_pushes = 0;
    qint64 m_dbErrors = 0;
    std::array<qint64, kErrorCodes> m_errors{};
    std::array<qint64, kLatencyBoundsUs.size() + 1> m_latencyCounts{}; ///< Last: above all bounds.
    qint64 m_latencySumUs = 0;
};

} // namespace dpichat::server
