// The epoll dispatcher polling before it blocks (EpollEventDispatcher::setBusyPoll, the load
// generator's --busy-poll): data found without the thread blocking, polling stopped by the
// next timer, and the thread blocking once the budget is spent. (A post ending the polling:
// tst_epolldispatcher, postFromAnotherThreadIsDelivered.)

#include "epolldispatchertest.h"

#include <QSocketNotifier>
#include <QTest>

using namespace dpichat::server;
using namespace epolltest;

class TstEpollDispatcherBusyPoll : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void busyPollFindsDataWithoutSleeping();
    void busyPollStopsAtTheNextTimer();
    void busyPollBlocksOnceTheBudgetIsSpent();
};

void TstEpollDispatcherBusyPoll::busyPollFindsDataWithoutSleeping()
{
    TimerRecorder guard; // bounds the wait should the data not wake it
    const int id = guard.startTimer(20'000);
    SocketPair p;
    QSocketNotifier n(p.fd[1], QSocketNotifier::Read);
    int activations = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] { ++activations; });
    dispatcher()->processEvents(QEventLoop::AllEvents); // whatever earlier tests left
    BusyPoll poll(std::chrono::seconds(10));
    std::thread writer([fd = p.fd[0]] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        [[maybe_unused]] const auto w = ::write(fd, "x", 1);
    });
    const auto polledBefore = dispatcher()->busyPollIdle();
    const long switchesBefore = voluntarySwitches();
    while (activations == 0 && guard.fired.isEmpty())
        dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    const long switches = voluntarySwitches() - switchesBefore;
    const auto polled = dispatcher()->busyPollIdle() - polledBefore;
    writer.join();
    QCOMPARE(activations, 1);
    // Without polling the thread blocks in epoll_wait until the write: a voluntary switch.
    QCOMPARE(switches, 0L);
    QVERIFY2(polled >= std::chrono::milliseconds(20), qPrintable(QString::number(polled.count())));
    QVERIFY(guard.fired.isEmpty());
    guard.killTimer(id);
}

void TstEpollDispatcherBusyPoll::busyPollStopsAtTheNextTimer()
{
    TimerRecorder r;
    BusyPoll poll(std::chrono::seconds(10));
    QElapsedTimer t;
    t.start();
    const int id = r.startTimer(30, Qt::PreciseTimer);
    while (r.fired.isEmpty() && t.elapsed() < 20'000)
        dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    r.killTimer(id);
    QCOMPARE(r.fired, QList<int>{id});
    // The timer is due long before the budget ends: polling must not hold it up.
    QVERIFY2(t.elapsed() < 5'000, qPrintable(QString::number(t.elapsed())));
}

void TstEpollDispatcherBusyPoll::busyPollBlocksOnceTheBudgetIsSpent()
{
    TimerRecorder guard;
    const int id = guard.startTimer(20'000);
    EventRecorder r;
    dispatcher()->processEvents(QEventLoop::AllEvents); // whatever earlier tests left
    BusyPoll poll(std::chrono::milliseconds(5));
    // The post comes 30 ms later: after 5 ms of polling the thread sleeps until it.
    std::thread poster([&r] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        QCoreApplication::postEvent(&r, new QEvent(QEvent::User));
    });
    const auto polledBefore = dispatcher()->busyPollIdle();
    const long switchesBefore = voluntarySwitches();
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    const long switches = voluntarySwitches() - switchesBefore;
    const auto polled = dispatcher()->busyPollIdle() - polledBefore;
    poster.join();
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(r.userEvents, 1);
    QVERIFY2(switches >= 1, "the thread never blocked");
    QVERIFY2(polled >= std::chrono::milliseconds(5), qPrintable(QString::number(polled.count())));
    QVERIFY(guard.fired.isEmpty());
    guard.killTimer(id);
}

int main(int argc, char *argv[])
{
    // As dpichat-server does: the dispatcher is set before the application exists.
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TstEpollDispatcherBusyPoll test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolldispatcher_busypoll.moc"
