#include "epolldispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>
#include <QTimerEvent>

#include <cerrno>
#include <climits>
#include <ctime>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <utility>

namespace dpichat::server {

namespace {

constexpr qint64 kNsPerMs = 1'000'000;
constexpr qint64 kNsPerSecond = 1'000'000'000;
// Events taken from the kernel per wait; more ready sockets are reported on the next turn.
constexpr int kMaxEventsPerWait = 512;
// After the socket notifiers, how many times the events they posted (and those posted in turn)
// are delivered before the turn ends. The server's socket handlers post the start of a batch,
// which posts the batch's writes: two deliveries write a message's push in the turn that read
// it, where two more turns (each a wait that cannot block) came between before.
constexpr int kPostedRoundsAfterSockets = 2;

// The dispatcher whose loop this thread runs (set by its processEvents()).
thread_local const EpollEventDispatcher *t_dispatching = nullptr;

qint64 monotonicNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * kNsPerSecond + ts.tv_nsec;
}

/// The epoll events a notifier of each QSocketNotifier::Type waits for, and the events that
/// activate it (as QEventDispatcherUNIX maps poll's: a hang-up or error wakes every type).
constexpr quint32 kInterest[3] = {EPOLLIN, EPOLLOUT, EPOLLPRI};
constexpr quint32 kActivates[3] = {EPOLLIN | EPOLLHUP | EPOLLERR, EPOLLOUT | EPOLLHUP | EPOLLERR,
                                   EPOLLPRI | EPOLLHUP | EPOLLERR};

/// Coarse timers may fire up to 5% late (Qt allows 5% either way); rounding the deadline up
/// to a multiple of that slack lets timers of one interval share wake-ups.
qint64 coarsen(qint64 deadlineNs, qint64 intervalMs)
{
    const qint64 slackNs = intervalMs / 20 * kNsPerMs;
    if (slackNs <= 0)
        return deadlineNs;
    return (deadlineNs + slackNs - 1) / slackNs * slackNs;
}

/// Qt's very coarse timers count whole seconds; intervals of 20 s and more are made very coarse.
Qt::TimerType effectiveType(Qt::TimerType type, qint64 intervalMs)
{
    if (type == Qt::CoarseTimer && intervalMs >= 20'000)
        return Qt::VeryCoarseTimer;
    if (type == Qt::VeryCoarseTimer && intervalMs < 1000)
        return Qt::CoarseTimer; // would round to 0 s and fire on every turn
    if (type == Qt::CoarseTimer && intervalMs <= 20)
        return Qt::PreciseTimer; // 5% of 20 ms is below the clock's millisecond
    return type;
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wakeFd < 0) {
        qErrnoWarning("EpollEventDispatcher: cannot create the epoll or event descriptor");
        return;
    }
    epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.fd = m_wakeFd;
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &ev) != 0)
        qErrnoWarning("EpollEventDispatcher: cannot watch the wake-up descriptor");
    m_events.resize(kMaxEventsPerWait);
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    // A later dispatcher at this address, another thread's, must not look like this thread's.
    if (t_dispatching == this)
        t_dispatching = nullptr;
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    t_dispatching = this;
    m_interrupt.storeRelaxed(0);
    Q_EMIT awake();
    // Every postEvent() calls wakeUp(), so events posted from now on end the wait below:
    // another thread's through the event file, this thread's through m_postedHere. A turn
    // that delivers this thread's posts does not wait either: in QEventDispatcherUNIX the
    // post's write to the event file ends it, and callers may count on that return.
    const bool postedBefore = std::exchange(m_postedHere, false);
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool canWait = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupt.loadRelaxed()
        && !postedBefore && !m_postedHere;
    if (canWait)
        Q_EMIT aboutToBlock();
    if (m_interrupt.loadRelaxed())
        return false;

    int timeoutMs = canWait ? -1 : 0;
    if (canWait && includeTimers) {
        const qint64 ns = nsUntilNextTimer(monotonicNs());
        if (ns >= 0) // rounded up: waking before the deadline would only turn the loop again
            timeoutMs = int(qMin<qint64>((ns + kNsPerMs - 1) / kNsPerMs, INT_MAX));
    }

    int activated = 0;
    if (includeNotifiers) {
        applyInterest();
        int n = 0;
        if (m_busyPollNs > 0 && timeoutMs != 0)
            n = busyPoll(timeoutMs);
        if (n == 0)
            n = epoll_wait(m_epoll, m_events.data(), int(m_events.size()), timeoutMs);
        if (n < 0 && errno != EINTR)
            qErrnoWarning("EpollEventDispatcher: epoll_wait");
        if (n > 0)
            activated += activateSocketNotifiers(m_events.data(), n);
        // Each delivery takes only what was posted before it (Qt's guard against a loop that
        // posts forever); what is left ends the next wait at once, as before.
        for (int round = 0; round < kPostedRoundsAfterSockets && m_postedHere; ++round) {
            m_postedHere = false;
            QCoreApplication::sendPostedEvents();
        }
    } else {
        // Sockets stay in the epoll set; wait on the wake-up descriptor alone.
        pollfd pfd = {m_wakeFd, POLLIN, 0};
        if (::poll(&pfd, 1, timeoutMs) > 0) {
            drainWakeUps();
            ++activated;
        }
    }
    if (includeTimers)
        activated += activateTimers();
    return activated > 0 || postedBefore;
}

void EpollEventDispatcher::setBusyPoll(std::chrono::microseconds budget)
{
    m_busyPollNs = qMax<qint64>(0, std::chrono::nanoseconds(budget).count());
}

int EpollEventDispatcher::busyPoll(int &timeoutMs)
{
    const qint64 start = monotonicNs();
    qint64 end = start + m_busyPollNs;
    if (timeoutMs >= 0)
        end = qMin(end, start + qint64(timeoutMs) * kNsPerMs);
    int n = 0;
    qint64 now = start;
    // The event file is in the set: a wakeUp() (a posted event, quit()) ends the polling too.
    while (!m_interrupt.loadRelaxed()) {
        n = epoll_wait(m_epoll, m_events.data(), int(m_events.size()), 0);
        now = monotonicNs();
        if (n != 0 || now >= end)
            break;
    }
    m_busyPollIdleNs.fetch_add(now - start, std::memory_order_relaxed);
    if (n == 0 && timeoutMs > 0) // what is left of the wait, rounded up
        timeoutMs = int(qMax<qint64>(0, (start + qint64(timeoutMs) * kNsPerMs - now + kNsPerMs - 1)
                                             / kNsPerMs));
    if (n < 0 && errno == EINTR)
        n = 0;
    return n;
}

void EpollEventDispatcher::drainWakeUps()
{
    // Read, then cleared. The other order loses wake-ups: a wakeUp() between the two would
    // set the flag and write, the read would take its write, and the flag would stay set
    // with nothing left to read, so every later wakeUp() would skip its write and the loop
    // would sleep until its next timer. In this order a wakeUp() that finds the flag still
    // set skips its write, but its event was posted before the flag is cleared, and the
    // next turn's sendPostedEvents() delivers it before waiting again.
    eventfd_t value;
    [[maybe_unused]] const int r = eventfd_read(m_wakeFd, &value);
    m_wakeUps.storeRelease(0);
}

int EpollEventDispatcher::activateSocketNotifiers(const epoll_event *events, int count)
{
    int activated = 0;
    // Only a nested loop can find notifiers still pending from an outer one.
    const bool nested = !m_pending.isEmpty();
    for (int i = 0; i < count; ++i) {
        const int fd = events[i].data.fd;
        if (fd == m_wakeFd) {
            drainWakeUps();
            ++activated;
            continue;
        }
        const auto it = m_watched.find(fd);
        if (it == m_watched.end())
            continue;
        for (int type = 0; type < 3; ++type) {
            QSocketNotifier *notifier = it->second.byType[type];
            if (notifier && (events[i].events & kActivates[type])
                && !(nested && m_pending.contains(notifier))) {
                m_pending.append(notifier);
            }
        }
    }
    // Collected first, then sent: a notifier unregistered meanwhile leaves m_pending, so a
    // handler that closes another socket never has that socket's stale event delivered.
    while (!m_pending.isEmpty()) {
        QSocketNotifier *notifier = m_pending.takeFirst();
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &event);
        ++activated;
    }
    return activated;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    if (fd < 0 || type < 0 || type > 2) {
        qWarning("EpollEventDispatcher: invalid socket notifier for socket %d", fd);
        return;
    }
    if (notifier->thread() != thread() || thread() != QThread::currentThread()) {
        qWarning("EpollEventDispatcher: socket notifiers cannot be enabled from another thread");
        return;
    }
    Watched &w = m_watched[fd];
    if (w.byType[type] && w.byType[type] != notifier)
        qWarning("EpollEventDispatcher: multiple socket notifiers for socket %d, type %d", fd, type);
    w.byType[type] = notifier;
    if (!w.dirty) {
        w.dirty = true;
        m_dirtyFds.push_back(fd);
    }
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const int fd = int(notifier->socket());
    const int type = int(notifier->type());
    const auto it = m_watched.find(fd);
    if (it == m_watched.end() || type < 0 || type > 2 || it->second.byType[type] != notifier)
        return;
    Watched &w = it->second;
    w.byType[type] = nullptr;
    m_pending.removeOne(notifier);
    if (!w.byType[0] && !w.byType[1] && !w.byType[2]) {
        // Removed at once, while the descriptor is still open: sockets switch their notifiers
        // off before closing it. A descriptor closed first has left the set by itself (EBADF).
        if (w.kernelEvents != 0)
            epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        m_watched.erase(it);
        return;
    }
    if (!w.dirty) {
        w.dirty = true;
        m_dirtyFds.push_back(fd);
    }
}

void EpollEventDispatcher::applyInterest()
{
    for (const int fd : m_dirtyFds) {
        const auto it = m_watched.find(fd);
        if (it == m_watched.end() || !it->second.dirty)
            continue;
        Watched &w = it->second;
        w.dirty = false;
        quint32 want = 0;
        for (int type = 0; type < 3; ++type) {
            if (w.byType[type])
                want |= kInterest[type];
        }
        if (want == w.kernelEvents)
            continue;
        epoll_event ev = {};
        ev.events = want;
        ev.data.fd = fd;
        int r = epoll_ctl(m_epoll, w.kernelEvents ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
        // The descriptor was closed and its number reused without the notifiers being told
        // (ENOENT), or is watched already (EEXIST): say it the other way.
        if (r != 0 && errno == ENOENT)
            r = epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev);
        else if (r != 0 && errno == EEXIST)
            r = epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev);
        if (r != 0) {
            // EPERM: a regular file, which epoll cannot watch (poll calls it always ready).
            qErrnoWarning("EpollEventDispatcher: cannot watch socket %d", fd);
            w.kernelEvents = 0;
            continue;
        }
        w.kernelEvents = want;
    }
    m_dirtyFds.clear();
}

// --- Timers ------------------------------------------------------------------------------

qint64 EpollEventDispatcher::firstDeadline(const Timer &timer, qint64 now) const
{
    switch (timer.type) {
    case Qt::PreciseTimer:
        return now + timer.intervalMs * kNsPerMs;
    case Qt::CoarseTimer:
        return coarsen(now + timer.intervalMs * kNsPerMs, timer.intervalMs);
    case Qt::VeryCoarseTimer:
        break;
    }
    // Whole seconds, rounded to the nearest; past the half second, one more (as Qt does).
    const qint64 seconds = (timer.intervalMs + 500) / 1000;
    qint64 deadline = (now / kNsPerSecond + seconds) * kNsPerSecond;
    if (now % kNsPerSecond > kNsPerSecond / 2)
        deadline += kNsPerSecond;
    return deadline;
}

qint64 EpollEventDispatcher::nextDeadline(const Timer &timer, qint64 now) const
{
    if (timer.type == Qt::VeryCoarseTimer) {
        const qint64 step = (timer.intervalMs + 500) / 1000 * kNsPerSecond;
        const qint64 next = timer.deadlineNs + step;
        return next > now ? next : (now / kNsPerSecond) * kNsPerSecond + step;
    }
    // Missed intervals are skipped, not fired in a burst.
    qint64 next = timer.deadlineNs + timer.intervalMs * kNsPerMs;
    if (next < now)
        next = now + timer.intervalMs * kNsPerMs;
    return timer.type == Qt::CoarseTimer ? coarsen(next, timer.intervalMs) : next;
}

void EpollEventDispatcher::schedule(int timerId, Timer &timer, qint64 deadlineNs)
{
    timer.deadlineNs = deadlineNs;
    timer.seq = ++m_seq;
    m_queue.emplace(deadlineNs, timer.seq, timerId);
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    if (timerId < 1 || interval < 0 || !object) {
        qWarning("EpollEventDispatcher::registerTimer: invalid arguments");
        return;
    }
    if (object->thread() != thread() || thread() != QThread::currentThread()) {
        qWarning("EpollEventDispatcher::registerTimer: timers cannot be started from another "
                 "thread");
        return;
    }
    if (m_timers.count(timerId))
        unregisterTimer(timerId);
    Timer &timer = m_timers[timerId];
    timer.intervalMs = interval;
    timer.type = effectiveType(timerType, interval);
    timer.object = object;
    schedule(timerId, timer, firstDeadline(timer, monotonicNs()));
    m_timersByObject.insert(object, timerId);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_queue.erase({it->second.deadlineNs, it->second.seq, timerId});
    m_timersByObject.remove(it->second.object, timerId);
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    const QList<int> ids = m_timersByObject.values(object);
    for (const int id : ids) {
        const auto it = m_timers.find(id);
        if (it == m_timers.end())
            continue;
        m_queue.erase({it->second.deadlineNs, it->second.seq, id});
        m_timers.erase(it);
    }
    m_timersByObject.remove(object);
    return !ids.isEmpty();
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(
    QObject *object) const
{
    QList<TimerInfo> list;
    for (auto it = m_timersByObject.constFind(object);
         it != m_timersByObject.cend() && it.key() == object; ++it) {
        const auto t = m_timers.find(it.value());
        if (t != m_timers.end())
            list.append(TimerInfo(it.value(), int(t->second.intervalMs), t->second.type));
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return -1;
    const qint64 ns = it->second.deadlineNs - monotonicNs();
    return ns <= 0 ? 0 : int(qMin<qint64>((ns + kNsPerMs - 1) / kNsPerMs, INT_MAX));
}

qint64 EpollEventDispatcher::nsUntilNextTimer(qint64 now) const
{
    for (const auto &[deadline, seq, id] : m_queue) {
        const auto it = m_timers.find(id);
        if (it != m_timers.end() && it->second.inEvent)
            continue; // its event is running further up the stack; it cannot fire now
        return deadline > now ? deadline - now : 0;
    }
    return -1;
}

int EpollEventDispatcher::activateTimers()
{
    if (m_queue.empty())
        return 0;
    const qint64 now = monotonicNs();
    if (std::get<0>(*m_queue.begin()) > now)
        return 0;
    // The timers due now, each fired at most once: a zero timer that is rescheduled, or a
    // timer started by a timer event, waits for the next turn, as in Qt.
    std::vector<std::pair<int, quint64>> due;
    for (auto it = m_queue.begin(); it != m_queue.end() && std::get<0>(*it) <= now; ++it)
        due.emplace_back(std::get<2>(*it), std::get<1>(*it));

    int fired = 0;
    for (const auto &[id, seq] : due) {
        const auto it = m_timers.find(id);
        // Gone, or killed and its id reused, or already fired by a nested loop.
        if (it == m_timers.end() || it->second.seq != seq || it->second.inEvent)
            continue;
        Timer &timer = it->second;
        m_queue.erase({timer.deadlineNs, timer.seq, id});
        schedule(id, timer, nextDeadline(timer, now));
        timer.inEvent = true;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(timer.object, &event);
        ++fired;
        // The handler may have killed the timer (and the map may have rehashed).
        if (const auto after = m_timers.find(id); after != m_timers.end())
            after->second.inEvent = false;
    }
    return fired;
}

// --- Waking ------------------------------------------------------------------------------

void EpollEventDispatcher::wakeUp()
{
    // On the loop's own thread the loop is not waiting (this thread is running this call):
    // it only must not wait before its next sendPostedEvents(). Every send request read
    // posts the start of its batch this way, and the event file's write, read and extra
    // turn of epoll_wait were three system calls per commit on the server's event loop.
    if (t_dispatching == this) {
        m_postedHere = true;
        return;
    }
    // Any other thread. One write until the loop has drained it.
    if (m_wakeUps.testAndSetAcquire(0, 1)) {
        m_wakeUpsWritten.fetch_add(1, std::memory_order_relaxed);
        [[maybe_unused]] const int r = eventfd_write(m_wakeFd, 1);
    }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupt.storeRelaxed(1);
    wakeUp();
}

} // namespace dpichat::server
