#include "controller.h"

#include "clock.h"
#include "frames.h"
#include "worker.h"

#include "net/epolldispatcher.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>
#include <QThread>
#include <QTimer>

#include <cstdio>

namespace bench {

namespace {
constexpr qint64 kStartMarginNs = 200'000'000; // lets every thread see the start call first

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}
} // namespace

Controller::Controller(const BenchOptions &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_nonce(makeRunNonce())
{
    m_run.options = options;
    m_run.nonce = m_nonce;
}

Controller::~Controller()
{
    stopWorkers();
}

void Controller::start()
{
    loadTokens();
    m_run.beforeSetup = sample();
    // Fan-out keeps every receiver of the one channel on one thread, so that a message's
    // delivery count needs no locking.
    const int senders = m_options.senders();
    const int threads = senders == 0 ? 0
        : m_options.fanout > 0       ? 1
                                     : qMin(m_options.threads, m_options.pairs);
    QList<QList<ChannelSpec>> shares(threads);
    for (int i = 0; i < senders; ++i) {
        ChannelSpec spec;
        spec.index = i;
        spec.senderEmail = m_options.customerEmail(i + 1);
        spec.receiverEmail = m_options.fanout > 0 ? m_options.adminEmail() : spec.senderEmail;
        spec.pusherChannel = m_options.fanout > 0 ? QByteArrayLiteral("private-fanout")
                                                  : "private-pair-" + QByteArray::number(i);
        spec.receivers = m_options.receiversPerSender();
        shares[i % threads].append(spec);
    }
    const int sessions = senders * (1 + m_options.receiversPerSender());
    err() << "dpichat-bench: " << describeModel(m_options) << "\n"
          << "dpichat-bench: setting up " << sessions << " sessions"
          << (m_options.idleConnections > 0
                     ? QStringLiteral(" and %1 idle sessions").arg(m_options.idleConnections)
                     : QString())
          << " on " << m_options.url.toString() << " ...\n";
    err().flush();
    m_setupStartNs = nowNs();
    const auto addWorker = [this](Worker *worker, const QString &name) {
        auto *thread = new QThread(this);
        thread->setObjectName(name);
        if (m_options.epollDispatcher) {
            // Glib's dispatcher polls every socket of the thread on each turn of its loop,
            // and a Pusher server's frames come one per turn: at full speed that was most of
            // the driver's CPU, in the kernel.
            auto *dispatcher = new dpichat::server::EpollEventDispatcher;
            if (dispatcher->isValid()) {
                dispatcher->setBusyPoll(std::chrono::microseconds(m_options.busyPollUs));
                m_dispatchers.append(dispatcher);
                thread->setEventDispatcher(dispatcher); // the thread owns it
            } else
                delete dispatcher; // warned; Qt's own dispatcher serves
        }
        worker->moveToThread(thread);
        connect(thread, &QThread::started, worker, &Worker::setUp);
        connect(worker, &Worker::setUpFinished, this, &Controller::onSetUpFinished);
        connect(worker, &Worker::loadFinished, this, &Controller::onLoadFinished);
        m_threads.append(thread);
        m_workers.append(worker);
    };
    for (int t = 0; t < threads; ++t) {
        addWorker(new Worker(m_options, shares[t], 0, m_nonce, m_tokens),
            QStringLiteral("bench-worker-%1").arg(t));
    }
    m_loadWorkers = threads;
    if (m_options.idleConnections > 0) {
        addWorker(new Worker(m_options, {}, m_options.idleConnections, m_nonce, m_tokens),
            QStringLiteral("bench-idle"));
    }
    for (QThread *thread : std::as_const(m_threads))
        thread->start();
}

void Controller::onSetUpFinished(bool ok, const QString &error)
{
    if (m_failed)
        return;
    if (!ok) {
        fail(error);
        return;
    }
    if (++m_setUp < m_workers.size())
        return;

    const qint64 now = nowNs();
    m_run.setupS = double(now - m_setupStartNs) / 1e9;
    m_run.established = sample();
    if (m_options.mode == LoadMode::Idle) {
        err() << "dpichat-bench: " << m_options.idleConnections << " idle sessions ready in "
              << QString::number(m_run.setupS, 'f', 1) << " s; holding " << m_options.idleHoldS
              << " s\n";
        err().flush();
        QTimer::singleShot(std::chrono::milliseconds(qint64(m_options.idleHoldS * 1000)), this, [this] {
            m_run.held = sample();
            m_run.start = m_run.established;
            m_run.end = m_run.held;
            m_run.measuredS = double(m_run.held.atNs - m_run.established.atNs) / 1e9;
            finish();
        });
        return;
    }
    const qint64 startNs = now + kStartMarginNs;
    const qint64 measureStartNs = startNs + qint64(m_options.warmupS * 1e9);
    const qint64 measureEndNs = measureStartNs + qint64(m_options.durationS * 1e9);
    m_run.measuredS = double(measureEndNs - measureStartNs) / 1e9;
    err() << "dpichat-bench: all sessions ready in " << QString::number(m_run.setupS, 'f', 1)
          << " s; running " << m_options.warmupS << " s warmup + " << m_options.durationS
          << " s measured\n";
    err().flush();
    for (int i = 0; i < m_loadWorkers; ++i) {
        Worker *w = m_workers[i];
        QMetaObject::invokeMethod(
            w,
            [w, startNs, measureStartNs, measureEndNs] {
                w->startLoad(startNs, measureStartNs, measureEndNs);
            },
            Qt::QueuedConnection);
    }
    const auto msUntil = [](qint64 ns) {
        return std::chrono::milliseconds(qMax<qint64>(0, (ns - nowNs()) / 1'000'000));
    };
    QTimer::singleShot(msUntil(measureStartNs), Qt::PreciseTimer, this,
        [this] { m_run.start = sample(); });
    QTimer::singleShot(msUntil(measureEndNs), Qt::PreciseTimer, this,
        [this] { m_run.end = sample(); });
}

void Controller::onLoadFinished()
{
    if (m_failed || ++m_loaded < m_loadWorkers)
        return;
    if (m_run.end.atNs == 0) // finished before the end sample fired (cannot, but be safe)
        m_run.end = sample();
    finish();
}

void Controller::finish()
{
    stopWorkers();
    Stats &total = m_total;
    saveTokens();

    Percentiles delivery = Percentiles::of(total.deliveryLatencyNs);
    Percentiles ack = Percentiles::of(total.ackLatencyNs);
    printReport(out(), m_run, total, delivery, ack);
    if (!m_options.jsonFile.isEmpty()) {
        QSaveFile file(m_options.jsonFile);
        if (!file.open(QIODevice::WriteOnly)
            || file.write(QJsonDocument(reportJson(m_run, total, delivery, ack)).toJson()) < 0
            || !file.commit()) {
            err() << "dpichat-bench: cannot write " << m_options.jsonFile << "\n";
            err().flush();
            Q_EMIT finished(2);
            return;
        }
    }
    Q_EMIT finished(integrityOk(total) ? 0 : 1);
}

void Controller::stopWorkers()
{
    QThread *home = thread();
    for (qsizetype i = 0; i < m_workers.size(); ++i) {
        Worker *w = m_workers[i];
        QThread *t = m_threads[i];
        if (t->isRunning()) {
            QMetaObject::invokeMethod(
                w, [w, home] { w->shutDown(home); }, Qt::BlockingQueuedConnection);
            t->quit();
            t->wait();
        }
        // Safe only now: the thread has stopped touching the worker.
        m_total.add(w->takeStats());
        const QHash<QString, QString> tokens = w->tokens();
        for (auto it = tokens.cbegin(); it != tokens.cend(); ++it)
            m_tokens.insert(it.key(), it.value());
        delete w;
    }
    m_workers.clear();
    m_threads.clear(); // children of this object; deleted with it
}

void Controller::loadTokens()
{
    if (m_options.tokensFile.isEmpty())
        return;
    QFile file(m_options.tokensFile);
    if (!file.open(QIODevice::ReadOnly))
        return; // first run: no cache yet
    const QJsonObject cache = QJsonDocument::fromJson(file.readAll()).object();
    const QString key = m_options.url.toString();
    const QJsonObject tokens = cache.value(key).toObject();
    for (auto it = tokens.begin(); it != tokens.end(); ++it)
        m_tokens.insert(it.key(), it.value().toString());
}

void Controller::saveTokens()
{
    if (m_options.tokensFile.isEmpty())
        return;
    QJsonObject cache;
    {
        QFile file(m_options.tokensFile);
        if (file.open(QIODevice::ReadOnly))
            cache = QJsonDocument::fromJson(file.readAll()).object();
    }
    QJsonObject tokens;
    for (auto it = m_tokens.cbegin(); it != m_tokens.cend(); ++it)
        tokens.insert(it.key(), it.value());
    cache.insert(m_options.url.toString(), tokens);
    QSaveFile file(m_options.tokensFile);
    file.setDirectWriteFallback(true);
    if (file.open(QIODevice::WriteOnly)) {
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        file.write(QJsonDocument(cache).toJson());
        file.commit();
    }
}

CpuSample Controller::sample() const
{
    CpuSample s = CpuSample::take(m_options.serverPid);
    for (const auto *dispatcher : m_dispatchers)
        s.driverBusyPollS += std::chrono::duration<double>(dispatcher->busyPollIdle()).count();
    return s;
}

void Controller::fail(const QString &message)
{
    m_failed = true;
    err() << "dpichat-bench: " << message << "\n";
    err().flush();
    stopWorkers();
    saveTokens(); // what did log in saves the next attempt some password logins
    Q_EMIT finished(2);
}

} // namespace bench
