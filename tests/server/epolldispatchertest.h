#pragma once

// Helpers of the epoll dispatcher's tests (tst_epolldispatcher, tst_epolldispatcher_busypoll):
// each test program installs the dispatcher for its main thread, as the server does.

#include "net/epolldispatcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimerEvent>

#include <sys/resource.h>
#include <sys/socket.h>
#include <chrono>
#include <thread>
#include <unistd.h>

namespace epolltest {

using dpichat::server::EpollEventDispatcher;

/// Records the timer events it receives; kills a timer after its first event when asked.
class TimerRecorder : public QObject
{
public:
    QList<int> fired;
    bool killAfterFirst = false;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        fired.append(event->timerId());
        if (killAfterFirst)
            killTimer(event->timerId());
    }
};

class EventRecorder : public QObject
{
public:
    int userEvents = 0;
    bool event(QEvent *e) override
    {
        if (e->type() == QEvent::User) {
            ++userEvents;
            return true;
        }
        return QObject::event(e);
    }
};

/// A connected pair of Unix stream sockets, closed at the end of the scope.
struct SocketPair
{
    int fd[2] = {-1, -1};
    SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd); }
    ~SocketPair()
    {
        for (int f : fd) {
            if (f >= 0)
                ::close(f);
        }
    }
};

inline EpollEventDispatcher *dispatcher()
{
    return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

/// Runs the loop, waiting for events, until `done` or `ms` passed.
template<typename F>
inline void spinUntil(F done, int ms = 5000)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
}

inline void spinFor(int ms)
{
    spinUntil([] { return false; }, ms);
}

/// Posts to `r` from another thread 30 ms from now and waits for events; returns how long
/// the wait lasted (the event itself is delivered by the next turn, as in Qt's own).
inline qint64 waitForAPostFromAnotherThread(QObject &r)
{
    std::thread poster([&r] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        QCoreApplication::postEvent(&r, new QEvent(QEvent::User));
    });
    QElapsedTimer t;
    t.start();
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    const qint64 waited = t.elapsed();
    poster.join();
    return waited;
}

/// Times this thread gave up the CPU itself (blocked) so far.
inline long voluntarySwitches()
{
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw;
}

/// Sets the main thread's busy poll for a scope.
struct BusyPoll
{
    explicit BusyPoll(std::chrono::microseconds budget) { dispatcher()->setBusyPoll(budget); }
    ~BusyPoll() { dispatcher()->setBusyPoll(std::chrono::microseconds(0)); }
};


} // namespace epolltest
