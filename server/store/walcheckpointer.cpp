#include "walcheckpointer.h"

#include "logging.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>
#include <QUuid>

#include <algorithm>
#include <chrono>

#include <fcntl.h>

using namespace Qt::StringLiterals;

namespace dpichat::server {

class WalCheckpointWorker : public QObject
{
public:
    WalCheckpointWorker(QString path, QString synchronous, std::chrono::milliseconds interval,
                        std::chrono::milliseconds busyInterval)
        : m_interval(interval)
        , m_busyInterval(busyInterval)
        , m_path(std::move(path))
        , m_synchronous(std::move(synchronous))
        , m_connectionName(u"dpichat-checkpoint-"_s
                           + QUuid::createUuid().toString(QUuid::WithoutBraces))
    {
        m_timer.setParent(this); // Moves to the worker's thread with it.
        m_databaseFile.setParent(this);
        m_timer.setInterval(interval);
        m_timer.setTimerType(Qt::CoarseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this] { checkpoint(); });
    }

    // On the worker's thread: the connection belongs to the thread that opens it.
    void open()
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
        db.setDatabaseName(m_path);
        if (!db.open()) {
            qCWarning(lcStore) << "write-ahead log checkpoints stay in the commits: cannot open"
                               << "a connection of their own:" << db.lastError().text();
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
        m_timer.start();
    }

    void close()
    {
        m_timer.stop();
        if (m_open)
            checkpoint();
        m_open = false;
        m_databaseFile.close();
        if (QSqlDatabase::contains(m_connectionName)) {
            QSqlDatabase::database(m_connectionName, false).close();
            QSqlDatabase::removeDatabase(m_connectionName);
        }
    }

private:
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
        const int frames = q.value(1).toInt();
        const int copied = q.value(2).toInt();
        const auto now = std::chrono::steady_clock::now();
        // Frames written since the last checkpoint: the log grew by them, or started over.
        const int written = frames >= m_lastFrames ? frames - m_lastFrames : frames;
        const double seconds = std::chrono::duration<double>(now - m_lastTime).count();
        const bool busy = m_lastFrames >= 0 && seconds > 0
                && written / seconds >= kBusyFramesPerSecond;
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

    static constexpr std::chrono::milliseconds kWriteBackInterval{500};
    static constexpr std::chrono::milliseconds kIdleInterval{1000};
    // 60 MB of log a second: twice what the light load writes (2,000 messages a second,
    // about 7,200 frames), about half of what full speed writes (25,000 or more).
    static constexpr double kBusyFramesPerSecond = 15000;
    std::chrono::milliseconds m_interval;
    std::chrono::milliseconds m_busyInterval;
    int m_lastFrames = -1;
    int m_lastCopied = -1;
    std::chrono::steady_clock::time_point m_lastWriteBack;
    QFile m_databaseFile;
    std::chrono::steady_clock::time_point m_lastTime;

    QString m_path;
    QString m_synchronous;
    QString m_connectionName;
    QTimer m_timer;
    bool m_open = false;
    bool m_warned = false;
};

WalCheckpointer::WalCheckpointer(QString databasePath, QString synchronous,
                                 std::chrono::milliseconds interval,
                                 std::chrono::milliseconds busyInterval)
    : m_path(std::move(databasePath))
    , m_synchronous(std::move(synchronous))
    , m_interval(interval)
    , m_busyInterval(busyInterval)
{
    m_thread.setObjectName(u"dpichat-wal"_s); // Linux keeps 15 characters of a thread name.
}

WalCheckpointer::~WalCheckpointer()
{
    stop();
}

void WalCheckpointer::start()
{
    if (m_worker)
        return;
    m_worker = new WalCheckpointWorker(m_path, m_synchronous, m_interval, m_busyInterval);
    m_worker->moveToThread(&m_thread);
    m_thread.start();
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->open(); }, Qt::QueuedConnection);
}

void WalCheckpointer::stop()
{
    if (!m_worker)
        return;
    // Closed and deleted on its own thread, before the thread ends.
    QMetaObject::invokeMethod(
            m_worker,
            [w = m_worker] {
                w->close();
                delete w;
            },
            Qt::BlockingQueuedConnection);
    m_worker = nullptr;
    m_thread.quit();
    m_thread.wait();
}

} // namespace dpichat::server
