#include "logflusher.h"

#include "logging.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace dpichat::server {

namespace {

int openLog(const QString &path)
{
    int fd;
    do {
        fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

} // namespace

Expected<std::unique_ptr<LogFlusher>> LogFlusher::open(const QString &logPath)
{
    const int fd = openLog(logPath);
    if (fd < 0) {
        const QString reason = QString::fromLocal8Bit(std::strerror(errno));
        qCCritical(lcStore) << "cannot open the write-ahead log" << logPath << "to flush it:"
                            << reason;
        return ProtocolError{ErrorCode::Internal,
                             u"cannot open the write-ahead log %1: %2"_s.arg(logPath, reason)};
    }
    return std::unique_ptr<LogFlusher>(new LogFlusher(logPath, fd));
}

LogFlusher::LogFlusher(QString path, int fd)
    : m_path(std::move(path)), m_fd(fd)
{
    m_thread = std::thread([this] { run(); });
}

LogFlusher::~LogFlusher()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_work.notify_one();
    m_thread.join();
    if (m_fd >= 0)
        ::close(m_fd);
}

void LogFlusher::beginCommit()
{
    std::lock_guard lock(m_mutex);
    ++m_begunCommits;
}

void LogFlusher::committed(Done done)
{
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(std::move(done));
    }
    m_work.notify_one();
}

bool LogFlusher::awaitFlushed()
{
    std::unique_lock lock(m_mutex);
    const std::uint64_t target = m_begunCommits;
    m_flushed.wait(lock, [&] { return m_flushedCommits >= target; });
    return !m_flushFailed;
}

std::uint64_t LogFlusher::flushes() const
{
    std::lock_guard lock(m_mutex);
    return m_flushes;
}

void LogFlusher::run()
{
    pthread_setname_np(pthread_self(), "dpichat-flush");
    for (;;) {
        std::deque<Done> batch;
        {
            std::unique_lock lock(m_mutex);
            m_work.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (m_queue.empty())
                return; // stopping, nothing left
            batch.swap(m_queue);
        }
        // Every commit handed over so far has written its part of the log: one flush covers
        // them all.
        const bool ok = flush();
        for (const Done &done : batch)
            done(ok);
        {
            std::lock_guard lock(m_mutex);
            m_flushedCommits += batch.size();
            ++m_flushes;
        }
        m_flushed.notify_all();
    }
}

bool LogFlusher::flush()
{
    // After a failed flush the log's state on disk is unknown: Linux reports a failed
    // write-back once and may report the next flush as done although the pages it lost are
    // gone. SQLite's recovery then stops at the first frame that did not reach the disk, and
    // every commit after it would go with it. So nothing is acknowledged any more.
    if (m_flushFailed)
        return false;
    // SQLite removes the log only when its last connection closes; should that happen (or
    // someone remove it) while this runs, flush the file that now has the name.
    //
    // Only the link count is asked for. Asking for the file's times (as fstat() does) makes
    // Linux (6.13 and later) give the next write a fine-grained time stamp, so that every
    // write changes the inode and every flush writes the inode's block too: one more trip to
    // the disk per flush instead of one in every few (docs/performance.md, "The log's inode").
    struct statx st;
    if (m_fd < 0
        || (::statx(m_fd, "", AT_EMPTY_PATH, STATX_NLINK, &st) == 0 && (st.stx_mask & STATX_NLINK)
            && st.stx_nlink == 0)) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = openLog(m_path);
        if (m_fd < 0) {
            qCCritical(lcStore) << "cannot reopen the write-ahead log" << m_path << "to flush it:"
                                << std::strerror(errno);
            return false;
        }
    }
    int rc;
    do {
        rc = ::fdatasync(m_fd);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        qCCritical(lcStore) << "flushing the write-ahead log failed:" << std::strerror(errno)
                            << "- no message is acknowledged as stored from now on; restart the"
                            << "server once the disk is fixed";
        std::lock_guard lock(m_mutex);
        m_flushFailed = true;
        return false;
    }
    return true;
}

} // namespace dpichat::server
