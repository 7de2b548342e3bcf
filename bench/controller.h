#pragma once

#include "options.h"
#include "report.h"

#include <QHash>
#include <QList>
#include <QObject>

class QThread;

namespace dpichat::server {
class EpollEventDispatcher;
}

namespace bench {

class Worker;

/// Runs one benchmark: splits the channels over the worker threads (idle sessions get a
/// thread of their own, so that the load's event loops never poll their sockets), waits
/// until every session is set up, starts the load at one instant everywhere, samples CPU at
/// the edges of the measured interval, then merges, prints and writes the results. In idle
/// mode it samples the server's RSS before any session and once all are established.
class Controller : public QObject {
    Q_OBJECT
public:
    explicit Controller(const BenchOptions &options, QObject *parent = nullptr);
    ~Controller() override;

    void start();

Q_SIGNALS:
    /// 0: the run completed and every message arrived exactly once, in order; 1: it
    /// completed with integrity failures; 2: it could not run.
    void finished(int exitCode);

private:
    void onSetUpFinished(bool ok, const QString &error);
    void onLoadFinished();
    void finish();
    void stopWorkers();
    void loadTokens();
    void saveTokens();
    void fail(const QString &message);
    /// CpuSample::take, with the time the workers' loops polled in vain.
    CpuSample sample() const;

    const BenchOptions m_options;
    QByteArray m_nonce;
    QHash<QString, QString> m_tokens;
    QList<QThread *> m_threads;
    QList<Worker *> m_workers;
    /// The workers' epoll dispatchers (owned by their threads), for the time they polled.
    QList<dpichat::server::EpollEventDispatcher *> m_dispatchers;
    int m_loadWorkers = 0; ///< The first this many workers carry the load; then the idle one.
    int m_setUp = 0;
    int m_loaded = 0;
    bool m_failed = false;
    qint64 m_setupStartNs = 0;
    RunInfo m_run;
    Stats m_total;
};

} // namespace bench
