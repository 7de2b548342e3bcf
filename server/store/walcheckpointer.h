#pragma once

#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <chrono>

namespace dpichat::server {

class WalCheckpointWorker;

/// Copies SQLite's write-ahead log back into the database file on a thread of its own,
/// through a connection of its own, so that no commit waits for a checkpoint.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the log past 1,000 pages,
/// on the storage thread, and flushes the database file (with synchronous=NORMAL the log
/// first: it is flushed at no other time). Measured at 2,000 messages a second: 12-24 ms
/// per flush, several times a second, while every message waited behind that commit.
/// Off the storage thread, the light load's p99 went from 25 to 2-4 ms with NORMAL and full
/// speed rose by a fifth (docs/performance.md, "Checkpoints off the commit path").
/// The serving connections keep only a far larger automatic limit
/// (SqlStoreOptions::walAutoCheckpointPages). It is still reached under a steady stream of
/// commits: SQLite starts the log over only when a transaction begins with every frame
/// copied, and this thread's checkpoint ends after the next commit has added frames. The
/// commit that passes the limit copies what is left and the next one starts the log over.
///
/// Checkpoints are PASSIVE: they copy what no reader still needs and never wait for a lock,
/// so neither the writer nor a reader ever waits for this thread.
/// While the log grows fast it also starts writing the database file back to the disk as it
/// copies, so that the storage thread's flush at the limit finds little left to write.
///
/// Two threads take turns, each with a connection of its own. While the log grows slowly,
/// checkpoints run on one at the lowest scheduling weight (nice 19 on Linux): a checkpoint
/// that copies everything flushes the database file, and the kernel's write-back of its pages
/// runs on the checkpointing thread for about a millisecond at a time; at the default weight
/// the event loop and the storage thread, woken meanwhile, waited for it (the light load's
/// p99 under NORMAL 0.66-1.07 ms against 0.42-0.52 at nice 19, docs/performance.md
/// "Checkpoints at the lowest weight while the load is light"). At the lowest weight a
/// checkpoint would get too little of a core the server keeps busy, so while the log grows
/// fast, or when a pass comes far later than asked for, the other thread, at the default
/// weight, takes over until the log slows down again. An unprivileged process cannot raise a
/// thread's weight again once lowered, hence two threads rather than one changing its own.
///
/// Under synchronous=NORMAL the thread at the lowest weight also writes the log's new pages
/// back to the disk every 10 ms while it grows (without waiting for them), so that the flush
/// each checkpoint begins with finds little to write: the whole quarter of a second at once
/// held the event loop up to a millisecond (the light load's p99 0.36-0.66 ms against
/// 0.30-0.40 with the write-back, docs/performance.md "The log written back as it grows").
class WalCheckpointer
{
public:
    /// `databasePath`: the SQLite file; `synchronous`: the serving connections' mode (a
    /// checkpoint flushes the database file unless it is OFF). The log counts as growing
    /// fast from `busyFramesPerSecond` frames a second.
    WalCheckpointer(QString databasePath, QString synchronous,
        std::chrono::milliseconds interval = std::chrono::milliseconds(250),
        std::chrono::milliseconds busyInterval = std::chrono::milliseconds(100),
        double busyFramesPerSecond = 15000);
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer &) = delete;
    WalCheckpointer &operator=(const WalCheckpointer &) = delete;

    /// Starts the thread. It checkpoints every `interval` while the log changes, every
    /// `busyInterval` while it grows by more than 15,000 frames (60 MB) a second, and less
    /// often (up to once a second) while it does not change.
    ///
    /// Why a light load waits longer than full speed: each checkpoint flushes the database
    /// file, and the commits next to that flush wait longer (the light load's slowest
    /// messages, docs/performance.md "Fewer checkpoints at a light load"); at a light load a
    /// checkpoint copies the same few pages each time, so fewer of them copy no less. At
    /// full speed the log nears SqlStoreOptions::walAutoCheckpointPages in a second, and
    /// what this thread has not copied then, the storage thread copies itself.
    void start();
    /// Runs a last checkpoint, closes the connections and joins the threads.
    void stop();

    /// Checkpoints run so far by the thread at the lowest weight and by the one at the
    /// default weight (both 0 before start()).
    int lightPasses() const;
    int busyPasses() const;

private:
    QString m_path;
    QString m_synchronous;
    std::chrono::milliseconds m_interval;
    std::chrono::milliseconds m_busyInterval;
    double m_busyFramesPerSecond;
    std::atomic<int> m_lightPasses { 0 };
    std::atomic<int> m_busyPasses { 0 };
    QThread m_lightThread;
    QThread m_busyThread;
    // Each lives on its thread and is deleted there.
    WalCheckpointWorker *m_light = nullptr;
    WalCheckpointWorker *m_busy = nullptr;
};

} // namespace dpichat::server
