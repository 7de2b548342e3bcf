#pragma once

#include <QList>
#include <QString>
#include <random>

namespace dpichat::bigdata {

/// The shape of a generated database, decided from the seed before anything is written:
/// users 1..admins are the admins, every later user owns thread (user - admins).
struct Dataset
{
    int users = 0;
    int admins = 0;
    qint64 messages = 0;
    QList<qint32> threadLength;  ///< Messages per thread, by thread index (thread id - 1).
    QList<qint32> primaryAdmin;  ///< The admin (index) who mostly answers each thread.

    /// Zipf-like lengths (the k-th longest thread has about 1/k of the longest one's
    /// messages) shuffled over the threads, so a few threads are very long and most short.
    static Dataset plan(int users, int admins, qint64 messages, std::mt19937_64 &rng);

    int threads() const { return users - admins; }
    static qint64 adminId(int adminIndex) { return adminIndex + 1; }
    qint64 ownerOf(int threadIndex) const { return admins + 1 + threadIndex; }
    static qint64 threadId(int threadIndex) { return threadIndex + 1; }
};

/// One message of the stream, in id order.
struct PlannedMessage
{
    qint64 id = 0;
    int threadIndex = 0;
    qint64 sender = 0;
    qint64 createdAtMs = 0;
};

/// Emits the messages in commit order: conversations (bursts of about eight messages) of
/// every thread in random order, a few of them under way at once and interleaved, owner and
/// admins taking turns of one to three messages; time stamps increase by random gaps over
/// the year before `endMs`.
class MessageStream
{
public:
    MessageStream(const Dataset &dataset, qint64 endMs, std::mt19937_64 &rng);
    bool next(PlannedMessage &out);
    qint64 startMs() const { return m_startMs; }

private:
    struct Conversation
    {
        qint32 threadIndex = 0;
        qint32 left = 0;
        bool ownerTurn = true;
        qint32 turnLeft = 0;
    };
    bool refill(Conversation &c);

    const Dataset &m_dataset;
    std::mt19937_64 &m_rng;
    QList<std::pair<qint32, qint32>> m_queue; ///< (thread index, length), shuffled.
    qsizetype m_queued = 0;
    QList<Conversation> m_active;
    qint64 m_nextId = 1;
    qint64 m_startMs = 0;
    qint64 m_clockMs = 0;
    double m_meanGapMs = 1;
};

/// Words for message bodies: ordinary support-chat vocabulary, so that bodies have realistic
/// lengths and compress as text does.
QString messageBody(std::mt19937_64 &rng);

} // namespace dpichat::bigdata
