#pragma once

#include "metrics/metrics.h"
#include "protocol/errors.h"

#include <QHostAddress>
#include <QHttpServer>
#include <QObject>
#include <functional>

namespace dpichat::server {

class Store;

/// The operators' HTTP port: `/healthz` (200 "ok" when the database answers a trivial query
/// and messages can be stored, 503 with the reason otherwise) and `/metrics` (Prometheus
/// text). Separate from the chat port so that it can stay on loopback.
class MetricsServer : public QObject
{
    Q_OBJECT
public:
    using GaugeSource = std::function<Metrics::Gauges()>;

    MetricsServer(Metrics &metrics, Store &store, GaugeSource gauges, QObject *parent = nullptr);
    ~MetricsServer() override;

    /// Why the server cannot store messages, or empty while it can.
    using ProblemSource = std::function<QString()>;
    /// /healthz answers 503 with this reason while it is not empty (a failed flush of the
    /// log: until a restart no message is acknowledged, and no reply read from the database
    /// is sent, although the database still answers).
    void setStorageProblemSource(ProblemSource source) { m_storageProblem = std::move(source); }

    /// Starts listening (port 0 picks a free one); returns the port or a one-line reason.
    Expected<quint16> listen(const QHostAddress &address, quint16 port);

private:
    QHttpServerResponse health();

    Metrics &m_metrics;
    Store &m_store;
    GaugeSource m_gauges;
    ProblemSource m_storageProblem;
    QHttpServer m_http;
};

} // namespace dpichat::server
