#pragma once

#include <QObject>
#include <QString>
#include <QThread>

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
class WalCheckpointer
{
public:
    /// `databasePath`: the SQLite file; `synchronous`: the serving connections' mode (a
    /// checkpoint flushes the database file unless it is OFF).
    WalCheckpointer(QString databasePath, QString synchronous,
                    std::chrono::milliseconds interval = std::chrono::milliseconds(250),
                    std::chrono::milliseconds busyInterval = std::chrono::milliseconds(100));
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
    /// Runs a last checkpoint, closes the connection and joins the thread.
    void stop();

private:
    QString m_path;
    QString m_synchronous;
    std::chrono::milliseconds m_interval;
    std::chrono::milliseconds m_busyInterval;
    QThread m_thread;
    WalCheckpointWorker *m_worker = nullptr; // Lives on m_thread; deleted there.
};

} // namespace dpichat::server
