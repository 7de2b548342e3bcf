#include "metricsserver.h"

#include "logging.h"
#include "store/store.h"

#include <QTcpServer>

namespace dpichat::server {

MetricsServer::MetricsServer(Metrics &metrics, Store &store, GaugeSource gauges, QObject *parent)
    : QObject(parent), m_metrics(metrics), m_store(store), m_gauges(std::move(gauges))
{
    m_http.route(QStringLiteral("/healthz"), QHttpServerRequest::Method::Get,
                 [this] { return health(); });
    m_http.route(QStringLiteral("/metrics"), QHttpServerRequest::Method::Get, [this] {
        return QHttpServerResponse(QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8"),
                                   m_metrics.render(m_gauges()));
    });
}

MetricsServer::~MetricsServer() = default;

Expected<quint16> MetricsServer::listen(const QHostAddress &address, quint16 port)
{
    // Our own QTcpServer, so that a port in use comes back with its reason.
    auto *tcp = new QTcpServer(this);
    if (!tcp->listen(address, port)) {
        const QString reason = tcp->errorString();
        delete tcp;
        return ProtocolError{ErrorCode::Internal,
                             QStringLiteral("cannot listen for metrics on %1:%2: %3")
                                 .arg(address.toString())
                                 .arg(port)
                                 .arg(reason)};
    }
    m_http.bind(tcp);
    return tcp->serverPort();
}

QHttpServerResponse MetricsServer::health()
{
    // A trivial indexed read: it needs the database to answer, and nothing more.
    const auto answered = m_store.maxThreadId();
    if (const auto *e = std::get_if<ProtocolError>(&answered)) {
        m_metrics.countDatabaseError();
        qCWarning(lcMetrics) << "health check failed:" << e->message;
        return QHttpServerResponse(QByteArrayLiteral("text/plain"),
                                   QByteArrayLiteral("database unavailable\n"),
                                   QHttpServerResponse::StatusCode::ServiceUnavailable);
    }
    if (m_storageProblem) {
        if (const QString problem = m_storageProblem(); !problem.isEmpty()) {
            return QHttpServerResponse(QByteArrayLiteral("text/plain"),
                                       "cannot store messages: " + problem.toUtf8() + '\n',
                                       QHttpServerResponse::StatusCode::ServiceUnavailable);
        }
    }
    return QHttpServerResponse(QByteArrayLiteral("text/plain"), QByteArrayLiteral("ok\n"));
}

} // namespace dpichat::server
