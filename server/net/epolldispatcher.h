#pragma once

#include <QAbstractEventDispatcher>
#include <QAtomicInt>
#include <QList>
#include <QMultiHash>

#include <atomic>
#include <chrono>
#include <set>
#include <sys/epoll.h>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace dpichat::server {

/// An event dispatcher on Linux's epoll for a thread with many sockets: the server's main
/// thread, the load generator's workers. Qt's own dispatchers hand every registered socket to
/// poll() (or glib) on each wake-up, so each turn of the loop costs O(connections); here a
/// wake-up costs O(sockets that are ready), and the kernel keeps the interest list. Semantics
/// follow QEventDispatcherUNIX (Qt 6.4): posted events first, then wait, then socket
/// notifiers, then timers; awake() and aboutToBlock() as it emits them. One addition: what
/// the socket notifiers' slots post on this thread is delivered before the timers, and what
/// that posts once more, instead of in the next turns. Timers live in an
/// ordered set keyed by deadline, so starting and stopping one is O(log n).
class EpollEventDispatcher : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    /// False when the kernel refused the epoll or event file descriptor.
    bool isValid() const { return m_epoll >= 0 && m_wakeFd >= 0; }

    /// Before the loop blocks, ask the kernel without waiting for up to `budget` (and never
    /// past the next timer), then block for the rest. A thread that polls this way is not
    /// put to sleep between events that come closer together than the budget, so whoever
    /// sends to it does not pay for waking it (on a virtual machine an interrupt to another
    /// core each time). Costs a core while polling; 0 (the default) never polls. The load
    /// generator's option, not the server's.
    void setBusyPoll(std::chrono::microseconds budget);
    /// Time spent polling in vain since the dispatcher was made (callable from any thread):
    /// CPU the thread used without work to show for it.
    std::chrono::nanoseconds busyPollIdle() const
    {
        return std::chrono::nanoseconds(m_busyPollIdleNs.load(std::memory_order_relaxed));
    }

    /// Writes to the event file so far (callable from any thread): the wake-ups that cost a
    /// system call, each with a read and a turn of epoll_wait to follow. A wake-up from the
    /// loop's own thread (an event it posts to itself) costs none.
    quint64 wakeUpsWritten() const { return m_wakeUpsWritten.load(std::memory_order_relaxed); }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

private:
    /// The notifiers of one file descriptor, by QSocketNotifier::Type, and the events the
    /// kernel was last told to watch. Changes are applied just before waiting, so a write
    /// notifier switched on and off within one turn costs no system call.
    struct Watched
    {
        QSocketNotifier *byType[3] = {nullptr, nullptr, nullptr};
        quint32 kernelEvents = 0;
        bool dirty = false;
    };
    struct Timer
    {
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject *object = nullptr;
        qint64 deadlineNs = 0;
        quint64 seq = 0; ///< Renewed at each scheduling: tells apart ids that were reused.
        bool inEvent = false; ///< Its QTimerEvent is being delivered; never nest a second one.
    };
    /// Deadline, sequence (first come first served among equal deadlines), timer id.
    using QueueEntry = std::tuple<qint64, quint64, int>;

    void applyInterest();
    /// epoll_wait with timeout 0 until something is ready or the budget (or `timeoutMs`, when
    /// not -1) is spent; returns its result and lowers `timeoutMs` by the time spent.
    int busyPoll(int &timeoutMs);
    void drainWakeUps();
    int activateSocketNotifiers(const epoll_event *events, int count);
    int activateTimers();
    /// Nanoseconds until the first timer not being delivered is due; -1 without timers.
    qint64 nsUntilNextTimer(qint64 now) const;
    void schedule(int timerId, Timer &timer, qint64 deadlineNs);
    qint64 firstDeadline(const Timer &timer, qint64 now) const;
    qint64 nextDeadline(const Timer &timer, qint64 now) const;

    int m_epoll = -1;
    int m_wakeFd = -1;
    QAtomicInt m_wakeUps;
    QAtomicInt m_interrupt;
    /// An event was posted by the loop's own thread since its last sendPostedEvents(): the
    /// next wait must not block. Only that thread reads or writes it.
    bool m_postedHere = false;
    std::atomic<quint64> m_wakeUpsWritten { 0 };

    std::unordered_map<int, Watched> m_watched;
    std::vector<int> m_dirtyFds;
    QList<QSocketNotifier *> m_pending;
    std::vector<epoll_event> m_events;

    std::unordered_map<int, Timer> m_timers;
    std::set<QueueEntry> m_queue;
    QMultiHash<QObject *, int> m_timersByObject;
    quint64 m_seq = 0;

    qint64 m_busyPollNs = 0;
    std::atomic<qint64> m_busyPollIdleNs{0};
};

} // namespace dpichat::server
