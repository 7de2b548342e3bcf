#include "walcheckpointer.h"

#include "logging.h"
#include "logwritevfs.h"
#include "timeslice.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>
#include <QUuid>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include <fcntl.h>
#ifdef Q_OS_LINUX
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace dpichat::server {

class WalCheckpointWorker : public QObject
{
public:
    /// What the thread taking over needs to go on where the other left off.
    struct Progress {
        int lastFrames = -1;
        int lastCopied = -1;
        std::chrono::steady_clock::time_point lastTime;
        std::chrono::steady_clock::time_point lastWriteBack;
        std::chrono::milliseconds interval { 0 };
        std::optional<std::uint64_t> lastLogBytes;
        std::chrono::steady_clock::time_point lastLook;
    };

    /// `lowestWeight`: this one checkpoints while the log grows slowly, at nice 19, and hands
    /// over to its peer (at the default weight) when it grows fast; the peer hands back when it
    /// slows down. `passes` counts this one's checkpoints.
    WalCheckpointWorker(QString path, QString synchronous, std::chrono::milliseconds interval,
        std::chrono::milliseconds busyInterval, double busyFramesPerSecond, bool lowestWeight,
        std::atomic<int> &passes)
        : m_interval(interval)
        , m_busyInterval(busyInterval)
        , m_busyFramesPerSecond(busyFramesPerSecond)
        , m_lowestWeight(lowestWeight)
        , m_active(lowestWeight) // The server starts with no load.
        , m_passes(passes)
        , m_path(std::move(path))
        , m_synchronous(std::move(synchronous))
        , m_connectionName(
              u"dpichat-checkpoint-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces))
        , m_writesBackLog(lowestWeight && m_synchronous == u"NORMAL")
    {
        m_timer.setParent(this); // Moves to the worker's thread with it.
        m_databaseFile.setParent(this);
        m_logFile.setParent(this);
        m_logWriteBackTimer.setParent(this);
        m_timer.setInterval(interval);
        m_timer.setTimerType(Qt::CoarseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this] { onTimer(); });
        m_logWriteBackTimer.setInterval(kLogWriteBackInterval);
        m_logWriteBackTimer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_logWriteBackTimer, &QTimer::timeout, this, [this] { writeBackLog(); });
    }

    void setPeer(WalCheckpointWorker *peer) { m_peer = peer; }

    // On the worker's thread: the connection belongs to the thread that opens it.
    void open()
    {
#ifdef Q_OS_LINUX
        // This thread only: PRIO_PROCESS with a thread's id sets that thread's nice value. Not
        // the idle policy (SCHED_IDLE): a pass holds SQLite's checkpoint lock, and starved on a
        // busy core it kept the log from starting over (docs/performance.md, "The log written
        // back as it grows": the idle-policy trial).
        if (m_lowestWeight && ::setpriority(PRIO_PROCESS, ::gettid(), 19) != 0)
            qCInfo(lcStore) << "light-load checkpoints keep the default scheduling weight";
        // And the shortest time slice under FULL, the default under NORMAL. The weight sets
        // the thread's share of the core, not how long it keeps the core once picked: for
        // the rest of its slice (1.4 ms by default on two cores) the woken event loop waited
        // (docs/performance.md, "A short time slice for the light-load checkpoints"). Under
        // NORMAL the event loop has the shortest slice itself (main.cpp), which takes the
        // core from a thread with a longer one the moment it wakes; the same slice here
        // would make the two equal, and the event loop wait again.
        if (m_lowestWeight && m_synchronous != u"NORMAL"_s && !setOwnTimeSlice(kShortestTimeSlice))
            qCInfo(lcStore) << "light-load checkpoints keep the kernel's time slice";
#endif
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
        db.setDatabaseName(m_path);
        if (!db.open()) {
            // The other thread checkpoints alone, if it can; if neither can, the commits do.
            if (m_lowestWeight) {
                qCInfo(lcStore) << "write-ahead log checkpoints stay at the default weight:"
                                << db.lastError().text();
            } else {
                qCWarning(lcStore)
                    << "write-ahead log checkpoints at the default weight cannot"
                    << "open a connection of their own (they stay with the other"
                    << "thread, or in the commits if it cannot either):" << db.lastError().text();
            }
            if (WalCheckpointWorker *peer = m_peer)
                QMetaObject::invokeMethod(
                    peer, [peer] { peer->goOnAlone(); }, Qt::QueuedConnection);
            return;
        }
        QSqlQuery q(db);
        // PRAGMA takes no bound values; the mode was checked when the store opened.
        if (!q.exec(u"PRAGMA synchronous = "_s + m_synchronous))
            qCWarning(lcStore) << "checkpoint connection:" << q.lastError().text();
        // This connection never commits, so its own automatic checkpoint never runs; the
        // PASSIVE mode below never calls the busy handler.
        // For startWritingBack() only; without it the checkpoints work as before.
        m_databaseFile.setFileName(m_path);
        if (!m_databaseFile.open(QIODevice::ReadOnly))
            qCInfo(lcStore) << "checkpoints write the database file back only when SQLite"
                            << "flushes it:" << m_databaseFile.errorString();
        m_open = true;
        if (m_active)
            startTimers();
    }

    // The peer hands the checkpoints over: from now on this thread runs them.
    void takeOver(const Progress &progress)
    {
        if (!m_open || m_closing)
            return;
        m_lastFrames = progress.lastFrames;
        m_lastCopied = progress.lastCopied;
        m_lastTime = progress.lastTime;
        m_lastWriteBack = progress.lastWriteBack;
        m_lastLogBytes = progress.lastLogBytes;
        m_lastLook = progress.lastLook;
        m_active = true;
        m_timer.setInterval(progress.interval);
        checkpoint(); // The pass the other thread left to this one.
        startTimers();
    }

    // The peer could not open: this thread runs every checkpoint from now on.
    void goOnAlone()
    {
        m_peer = nullptr;
        if (!m_open || m_closing || m_active)
            return;
        m_active = true;
        startTimers();
    }

    // No more checkpoints on the timer, and none handed over to the peer or taken from it.
    void quiesce()
    {
        m_closing = true;
        m_timer.stop();
        m_logWriteBackTimer.stop();
    }

    void close()
    {
        quiesce();
        if (m_open)
            checkpoint();
        m_open = false;
        m_databaseFile.close();
        m_logFile.close();
        if (QSqlDatabase::contains(m_connectionName)) {
            QSqlDatabase::database(m_connectionName, false).close();
            QSqlDatabase::removeDatabase(m_connectionName);
        }
    }

private:
    // Before each pass: is this the thread to run it? Decided from how fast the log grew since
    // the last look, which needs no checkpoint: a pass started at the lowest weight on a core
    // that fills up meanwhile would take seconds to end (measured: 9 s), and the log would
    // grow past the automatic limit in the meantime.
    void onTimer()
    {
        const auto now = std::chrono::steady_clock::now();
        const std::optional<std::uint64_t> logBytes = logBytesWritten();
        const double seconds = std::chrono::duration<double>(now - m_lastLook).count();
        std::optional<double> framesPerSecond;
        if (logBytes && m_lastLogBytes && seconds > 0)
            framesPerSecond = double(*logBytes - *m_lastLogBytes) / kFrameBytes / seconds;
        // Far later than asked for, while something was written: too little of the core.
        const bool late = m_lastLogBytes && logBytes && *logBytes != *m_lastLogBytes
            && seconds * 1000 > 4.0 * m_timer.interval();
        m_lastLogBytes = logBytes;
        m_lastLook = now;
        if (m_peer && !m_closing) {
            // Without the count (SQLite's own VFS) the thread at the default weight runs
            // every checkpoint, as before there were two.
            bool handOff = m_lowestWeight && !logBytes;
            if (framesPerSecond && m_lowestWeight)
                handOff = *framesPerSecond >= m_busyFramesPerSecond || late;
            else if (framesPerSecond)
                handOff = *framesPerSecond < m_busyFramesPerSecond / 2;
            if (handOff) {
                handOver();
                return;
            }
        }
        checkpoint();
    }

    void checkpoint()
    {
        QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
        // One row: busy (0/1), frames in the log, frames copied into the database.
        if (!q.exec(u"PRAGMA wal_checkpoint(PASSIVE)"_s) || !q.next()) {
            if (!m_warned)
                qCWarning(lcStore) << "checkpoint failed:" << q.lastError().text();
            m_warned = true;
            return;
        }
        m_warned = false;
        m_passes.fetch_add(1, std::memory_order_relaxed);
        const int frames = q.value(1).toInt();
        const int copied = q.value(2).toInt();
        const auto now = std::chrono::steady_clock::now();
        // Frames written since the last checkpoint: the log grew by them, or started over.
        const int written = frames >= m_lastFrames ? frames - m_lastFrames : frames;
        const double seconds = std::chrono::duration<double>(now - m_lastTime).count();
        const bool busy
            = m_lastFrames >= 0 && seconds > 0 && written / seconds >= m_busyFramesPerSecond;
        if (busy && copied != m_lastCopied && now - m_lastWriteBack >= kWriteBackInterval) {
            startWritingBack();
            m_lastWriteBack = now;
        }
        m_lastCopied = copied;
        // While the log does not change, nobody writes: wait longer each time, up to a
        // second, so that an idle server is not woken several times a second. Otherwise
        // wait the interval for the load (WalCheckpointer::start()). Either way a checkpoint
        // copies a page once however often it changed since the last one, and the same
        // index leaves and counter rows change in every commit.
        const auto next = frames == m_lastFrames
                ? std::min(std::max(std::chrono::milliseconds(m_timer.interval()), m_interval) * 2,
                           kIdleInterval)
                : busy ? m_busyInterval : m_interval;
        m_lastFrames = frames;
        m_lastTime = now;
        if (next.count() != m_timer.interval())
            m_timer.setInterval(next);
    }

    void handOver()
    {
        qCDebug(lcStore) << "checkpoints move to the thread at the"
                         << (m_lowestWeight ? "default" : "lowest") << "scheduling weight";
        m_active = false;
        m_timer.stop();
        m_logWriteBackTimer.stop();
        const auto interval = std::chrono::milliseconds(m_timer.interval());
        const Progress progress { m_lastFrames, m_lastCopied, m_lastTime, m_lastWriteBack, interval,
            m_lastLogBytes, m_lastLook };
        WalCheckpointWorker *peer = m_peer;
        QMetaObject::invokeMethod(
            peer, [peer, progress] { peer->takeOver(progress); }, Qt::QueuedConnection);
    }

    // Starts writing the database file's changed pages to the disk, without waiting for them.
    //
    // SQLite flushes the database file only after a checkpoint that copied the whole log,
    // and under a steady stream of commits this thread's checkpoints never do (the next
    // commit lands while they copy). So the pages they copied stayed in memory until the
    // storage thread's own checkpoint at SqlStoreOptions::walAutoCheckpointPages flushed
    // them all at once: at full speed 62-65 ms every second and a half, with every message
    // waiting behind it. Written back along the way, that flush found 7-20 ms of work and
    // full speed's p99 fell from 47-86 ms to 33-50 (docs/performance.md, "The database file
    // written back as it is copied"). Only while the log grows fast (at a light load the
    // checkpoints often copy everything and SQLite flushes the file itself; writing back
    // beside the log's flushes made the light load slower) and at most every
    // kWriteBackInterval: the pages every commit changes would otherwise go to the disk ten
    // times a second. This is no flush (no device cache flush, no promise): SQLite's own
    // still comes before the log starts over, and a write error is reported to it there.
    void startWritingBack()
    {
#ifdef Q_OS_LINUX
        if (m_databaseFile.isOpen())
            ::sync_file_range(m_databaseFile.handle(), 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    }

    void startTimers()
    {
        m_timer.start();
        if (m_writesBackLog)
            m_logWriteBackTimer.start();
    }

    // Starts writing the log's new pages to the disk, without waiting for them: under
    // synchronous=NORMAL nothing flushes the log but the checkpoint, which flushes it first
    // (SQLite's order: the log on disk before any of it is copied), and that flush then wrote
    // back everything committed since the last one, a quarter of a second of the light load
    // (about 5 MB), in one go. The kernel does that work on the thread that flushes, on the
    // core the server shares, and does not give the core up in the middle of it for a woken
    // thread of any weight: the event loop waited for it at every checkpoint, 0.3-1.0 ms, and
    // those waits were most of the light load's p99 (docs/performance.md, "The log written
    // back as it grows"). Every kLogWriteBackInterval, a few dozen pages at a time, the same
    // work comes in pieces the event loop hardly notices, and the checkpoint's flush finds
    // little left. No promise changes: this is no flush (nothing waits for it, no device cache
    // is flushed); the checkpoint's own still comes first. Only at the lowest weight, while
    // the log grows slowly: at full speed the log grows by 60 MB a second and its thread at
    // the default weight has the checkpoints. While nothing is written, the timer backs off
    // as the checkpoints do, so an idle server is not woken a hundred times a second.
    void writeBackLog()
    {
        const std::optional<std::uint64_t> written = logBytesWritten();
        if (!written || written == m_logBytesWrittenBack) {
            const auto slower = std::min(
                std::chrono::milliseconds(m_logWriteBackTimer.interval()) * 2, kIdleInterval);
            if (slower.count() != m_logWriteBackTimer.interval())
                m_logWriteBackTimer.setInterval(slower);
            return;
        }
        m_logBytesWrittenBack = written;
        if (m_logWriteBackTimer.intervalAsDuration() != kLogWriteBackInterval)
            m_logWriteBackTimer.setInterval(kLogWriteBackInterval);
#ifdef Q_OS_LINUX
        // The log exists once the store has opened the database; SQLite removes it only when
        // the last connection closes, and this thread's stays open until close().
        if (!m_logFile.isOpen()) {
            m_logFile.setFileName(m_path + u"-wal"_s);
            if (!m_logFile.open(QIODevice::ReadOnly))
                return;
        }
        ::sync_file_range(m_logFile.handle(), 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    }

    static constexpr std::chrono::milliseconds kWriteBackInterval{500};
    // About 40 frames of the light load's log at a time (2,000 messages a second); 2 ms gave
    // the same p99 for more wake-ups.
    static constexpr std::chrono::milliseconds kLogWriteBackInterval { 10 };
    // A frame of the log: its header and a page of the server's 4 KiB.
    static constexpr double kFrameBytes = 24 + 4096;
    static constexpr std::chrono::milliseconds kIdleInterval { 1000 };
    std::chrono::milliseconds m_interval;
    std::chrono::milliseconds m_busyInterval;
    double m_busyFramesPerSecond;
    bool m_lowestWeight;
    bool m_active;
    bool m_closing = false;
    std::atomic<int> &m_passes;
    WalCheckpointWorker *m_peer = nullptr;
    std::optional<std::uint64_t> m_lastLogBytes;
    std::chrono::steady_clock::time_point m_lastLook;
    int m_lastFrames = -1;
    int m_lastCopied = -1;
    std::chrono::steady_clock::time_point m_lastWriteBack;
    QFile m_databaseFile;
    std::chrono::steady_clock::time_point m_lastTime;

    QString m_path;
    QString m_synchronous;
    QString m_connectionName;
    QTimer m_timer;
    const bool m_writesBackLog;
    QTimer m_logWriteBackTimer;
    QFile m_logFile;
    std::optional<std::uint64_t> m_logBytesWrittenBack;
    bool m_open = false;
    bool m_warned = false;
};

WalCheckpointer::WalCheckpointer(QString databasePath, QString synchronous,
    std::chrono::milliseconds interval, std::chrono::milliseconds busyInterval,
    double busyFramesPerSecond)
    : m_path(std::move(databasePath))
    , m_synchronous(std::move(synchronous))
    , m_interval(interval)
    , m_busyInterval(busyInterval)
    , m_busyFramesPerSecond(busyFramesPerSecond)
{
    // Linux keeps 15 characters of a thread name.
    m_lightThread.setObjectName(u"dpichat-wal-low"_s);
    m_busyThread.setObjectName(u"dpichat-wal"_s);
}

WalCheckpointer::~WalCheckpointer()
{
    stop();
}

void WalCheckpointer::start()
{
    if (m_light)
        return;
    m_lightPasses = 0;
    m_busyPasses = 0;
    m_light = new WalCheckpointWorker(m_path, m_synchronous, m_interval, m_busyInterval,
        m_busyFramesPerSecond, true, m_lightPasses);
    m_busy = new WalCheckpointWorker(m_path, m_synchronous, m_interval, m_busyInterval,
        m_busyFramesPerSecond, false, m_busyPasses);
    m_light->setPeer(m_busy);
    m_busy->setPeer(m_light);
    m_light->moveToThread(&m_lightThread);
    m_busy->moveToThread(&m_busyThread);
    m_lightThread.start();
    m_busyThread.start();
    for (WalCheckpointWorker *w : { m_light, m_busy })
        QMetaObject::invokeMethod(
            w, [w] { w->open(); }, Qt::QueuedConnection);
}

void WalCheckpointer::stop()
{
    if (!m_light)
        return;
    // First neither hands over any more, so that nothing is posted to a worker once it is
    // being deleted; then each closes (a last checkpoint) and is deleted on its own thread.
    for (WalCheckpointWorker *w : { m_light, m_busy })
        QMetaObject::invokeMethod(
            w, [w] { w->quiesce(); }, Qt::BlockingQueuedConnection);
    for (WalCheckpointWorker *w : { m_light, m_busy }) {
        QMetaObject::invokeMethod(
            w,
            [w] {
                w->close();
                delete w;
            },
            Qt::BlockingQueuedConnection);
    }
    m_light = nullptr;
    m_busy = nullptr;
    for (QThread *t : { &m_lightThread, &m_busyThread }) {
        t->quit();
        t->wait();
    }
}

int WalCheckpointer::lightPasses() const
{
    return m_lightPasses.load(std::memory_order_relaxed);
}

int WalCheckpointer::busyPasses() const
{
    return m_busyPasses.load(std::memory_order_relaxed);
}

} // namespace dpichat::server
