#include "metrics.h"

namespace dpichat::server {

namespace {

void header(QByteArray &out, const char *name, const char *type, const char *help)
{
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
}

void sample(QByteArray &out, const char *name, qint64 value, const QByteArray &labels = {})
{
    out.append(name);
    if (!labels.isEmpty())
        out.append('{').append(labels).append('}');
    out.append(' ').append(QByteArray::number(value)).append('\n');
}

void single(QByteArray &out, const char *name, const char *type, const char *help, qint64 value)
{
    header(out, name, type, help);
    sample(out, name, value);
}

} // namespace

QByteArray Metrics::render(const Gauges &gauges) const
{
    QByteArray out;
    out.reserve(4096);
    single(out, "dpichat_connections", "gauge", "Open WebSocket connections.", gauges.connections);
    single(out, "dpichat_sessions", "gauge", "Logged-in sessions.", gauges.sessions);
    single(out, "dpichat_connections_accepted_total", "counter",
           "WebSocket connections accepted since the start.", m_connectionsAccepted);
    single(out, "dpichat_messages_received_total", "counter",
           "Valid send requests handed to storage.", m_sendRequests);
    single(out, "dpichat_messages_stored_total", "counter",
           "New messages committed (a repeated clientId is not counted).", m_messagesStored);
    single(out, "dpichat_pushes_total", "counter", "Push frames written to sessions.", m_pushes);
    single(out, "dpichat_commits_total", "counter", "Group-commit transactions.", m_commits);
    single(out, "dpichat_journal_batches_total", "counter",
        "Batches acknowledged from the journal before their commit (SQLite under NORMAL).",
        gauges.journalBatches);
    single(out, "dpichat_journal_unstored_messages", "gauge",
        "Messages acknowledged from the journal and not in the database yet.",
        gauges.journalUnstored);
    single(out, "dpichat_journal_client_id_lookups_total", "counter",
        "New messages looked up by clientId in the database before the journal took them.",
        gauges.journalLookups);
    single(out, "dpichat_db_errors_total", "counter",
           "Database operations that failed (commits, requests answered internal, health checks).",
           m_dbErrors);

    header(out, "dpichat_errors_total", "counter", "Error replies sent, by protocol error code.");
    for (size_t i = 0; i < m_errors.size(); ++i) {
        sample(out, "dpichat_errors_total", m_errors[i],
               "code=\"" + errorCodeName(ErrorCode(i)).toLatin1() + '"');
    }

    header(out, "dpichat_send_latency_seconds", "histogram",
           "From a send request read to its sent reply written (includes the commit).");
    qint64 cumulative = 0;
    for (size_t i = 0; i < kLatencyBoundsUs.size(); ++i) {
        cumulative += m_latencyCounts[i];
        sample(out, "dpichat_send_latency_seconds_bucket", cumulative,
               "le=\"" + QByteArray::number(double(kLatencyBoundsUs[i]) / 1e6, 'g', 6) + '"');
    }
    cumulative += m_latencyCounts.back();
    sample(out, "dpichat_send_latency_seconds_bucket", cumulative, "le=\"+Inf\"");
    out.append("dpichat_send_latency_seconds_sum ")
        .append(QByteArray::number(double(m_latencySumUs) / 1e6, 'f', 6))
        .append('\n');
    sample(out, "dpichat_send_latency_seconds_count", cumulative);
    return out;
}

} // namespace dpichat::server
