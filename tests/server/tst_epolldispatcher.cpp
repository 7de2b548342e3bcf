// The server's epoll event dispatcher, installed for this test's main thread as the server
// installs it: timers (order, zero, repeating, killed), socket notifiers (read, write, both on
// one descriptor, hang-up, excluded), posted events, wake-ups and interrupts from another
// thread, and Qt's TCP sockets running on it (polling before blocking:
// tst_epolldispatcher_busypoll).

#include "epolldispatchertest.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <sys/socket.h>
#include <atomic>
#include <thread>
#include <vector>
#include <unistd.h>

using namespace dpichat::server;

using namespace epolltest;

class TstEpollDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void installedOnTheMainThread();
    void timersFireInDeadlineOrder();
    void zeroTimerFiresOncePerTurn();
    void repeatingTimerRepeatsAndReportsItself();
    void killedTimersDoNotFire();
    void singleShotFiresOnce();
    void readNotifierFiresWhileDataWaits();
    void writeNotifierFiresAndStops();
    void readAndWriteNotifiersShareADescriptor();
    void hangUpWakesTheReadNotifier();
    void excludedSocketNotifiersWait();
    void postedEventsAreDelivered();
    void postFromTheLoopsOwnThreadNeedsNoSystemCall();
    void wakeUpFromAnotherThreadEndsTheWait();
    void postFromAnotherThreadIsDelivered_data();
    void postFromAnotherThreadIsDelivered();
    void wakeUpsRacingTheLoopAreNeverLost();
    void interruptEndsTheWait();
    void tcpRoundTrip();
};

void TstEpollDispatcher::installedOnTheMainThread()
{
    QVERIFY(dispatcher());
    QVERIFY(dispatcher()->isValid());
    QCOMPARE(QThread::currentThread()->eventDispatcher(), dispatcher());
}

void TstEpollDispatcher::timersFireInDeadlineOrder()
{
    TimerRecorder r;
    r.killAfterFirst = true;
    const int t60 = r.startTimer(60, Qt::PreciseTimer);
    const int t20 = r.startTimer(20, Qt::PreciseTimer);
    const int t40 = r.startTimer(40, Qt::PreciseTimer);
    const int t0 = r.startTimer(0);
    spinUntil([&] { return r.fired.size() == 4; });
    QCOMPARE(r.fired, (QList<int>{t0, t20, t40, t60}));
    spinFor(80);
    QCOMPARE(r.fired.size(), 4); // each killed after its first event
}

void TstEpollDispatcher::zeroTimerFiresOncePerTurn()
{
    TimerRecorder r;
    const int id = r.startTimer(0);
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(r.fired, QList<int>{id});
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(r.fired, (QList<int>{id, id}));
    // Waiting for more events must not block while a zero timer is due.
    QElapsedTimer t;
    t.start();
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    QCOMPARE(r.fired.size(), 3);
    QVERIFY2(t.elapsed() < 2000, "blocked with a zero timer running");
    r.killTimer(id);
}

void TstEpollDispatcher::repeatingTimerRepeatsAndReportsItself()
{
    TimerRecorder r;
    const int id = r.startTimer(10, Qt::PreciseTimer);
    const auto infos = dispatcher()->registeredTimers(&r);
    QCOMPARE(infos.size(), 1);
    QCOMPARE(infos.first().timerId, id);
    QCOMPARE(infos.first().interval, 10);
    QCOMPARE(infos.first().timerType, Qt::PreciseTimer);
    const int remaining = dispatcher()->remainingTime(id);
    QVERIFY2(remaining >= 0 && remaining <= 10, qPrintable(QString::number(remaining)));
    spinUntil([&] { return r.fired.size() >= 3; });
    QCOMPARE(r.fired.size() >= 3, true);
    QCOMPARE(r.fired.count(id), r.fired.size());
    r.killTimer(id);
    QCOMPARE(dispatcher()->remainingTime(id), -1);
    QVERIFY(dispatcher()->registeredTimers(&r).isEmpty());
}

void TstEpollDispatcher::killedTimersDoNotFire()
{
    TimerRecorder r;
    const int a = r.startTimer(10);
    r.startTimer(0);
    r.startTimer(15, Qt::PreciseTimer);
    r.killTimer(a);
    QCOMPARE(dispatcher()->registeredTimers(&r).size(), 2);
    QVERIFY(dispatcher()->unregisterTimers(&r));
    QVERIFY(dispatcher()->registeredTimers(&r).isEmpty());
    QVERIFY(!dispatcher()->unregisterTimers(&r));
    spinFor(60);
    QVERIFY(r.fired.isEmpty());
}

void TstEpollDispatcher::singleShotFiresOnce()
{
    int calls = 0;
    QTimer::singleShot(15, this, [&] { ++calls; });
    QTimer::singleShot(0, this, [&] { ++calls; });
    spinUntil([&] { return calls == 2; });
    spinFor(60);
    QCOMPARE(calls, 2);
}

void TstEpollDispatcher::readNotifierFiresWhileDataWaits()
{
    SocketPair p;
    QSocketNotifier n(p.fd[1], QSocketNotifier::Read);
    int activations = 0;
    connect(&n, &QSocketNotifier::activated, this, [&](QSocketDescriptor fd) {
        QCOMPARE(int(fd), p.fd[1]);
        ++activations;
    });
    spinFor(30);
    QCOMPARE(activations, 0);
    QCOMPARE(::write(p.fd[0], "x", 1), 1);
    spinUntil([&] { return activations >= 2; }, 2000);
    QVERIFY2(activations >= 2, "unread data must keep the notifier firing, as with poll()");
    char c;
    QCOMPARE(::read(p.fd[1], &c, 1), 1);
    dispatcher()->processEvents(QEventLoop::AllEvents); // may deliver one already queued
    const int before = activations;
    spinFor(50);
    QCOMPARE(activations, before);
}

void TstEpollDispatcher::writeNotifierFiresAndStops()
{
    SocketPair p;
    QSocketNotifier n(p.fd[0], QSocketNotifier::Write);
    int activations = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] {
        ++activations;
        n.setEnabled(false);
    });
    spinUntil([&] { return activations == 1; });
    QCOMPARE(activations, 1);
    spinFor(30);
    QCOMPARE(activations, 1);
    n.setEnabled(true);
    spinUntil([&] { return activations == 2; });
    QCOMPARE(activations, 2);
}

void TstEpollDispatcher::readAndWriteNotifiersShareADescriptor()
{
    SocketPair p;
    QSocketNotifier reader(p.fd[1], QSocketNotifier::Read);
    QSocketNotifier writer(p.fd[1], QSocketNotifier::Write);
    int reads = 0, writes = 0;
    connect(&reader, &QSocketNotifier::activated, this, [&] {
        ++reads;
        char buf[16];
        [[maybe_unused]] auto n = ::read(p.fd[1], buf, sizeof buf);
    });
    connect(&writer, &QSocketNotifier::activated, this, [&] {
        ++writes;
        writer.setEnabled(false);
    });
    spinUntil([&] { return writes == 1; });
    QCOMPARE(writes, 1);
    QCOMPARE(reads, 0);
    QCOMPARE(::write(p.fd[0], "abc", 3), 3);
    spinUntil([&] { return reads >= 1; });
    QCOMPARE(reads, 1);
    QCOMPARE(writes, 1);
    // Switching the reader off leaves the writer working, and the other way round.
    reader.setEnabled(false);
    writer.setEnabled(true);
    QCOMPARE(::write(p.fd[0], "d", 1), 1);
    spinUntil([&] { return writes == 2; });
    spinFor(30);
    QCOMPARE(writes, 2);
    QCOMPARE(reads, 1);
    reader.setEnabled(true);
    spinUntil([&] { return reads == 2; });
    QCOMPARE(reads, 2);
}

void TstEpollDispatcher::hangUpWakesTheReadNotifier()
{
    SocketPair p;
    QSocketNotifier n(p.fd[1], QSocketNotifier::Read);
    bool sawEof = false;
    connect(&n, &QSocketNotifier::activated, this, [&] {
        char c;
        if (::read(p.fd[1], &c, 1) == 0) {
            sawEof = true;
            n.setEnabled(false);
        }
    });
    ::close(p.fd[0]);
    p.fd[0] = -1;
    spinUntil([&] { return sawEof; });
    QVERIFY(sawEof);
}

void TstEpollDispatcher::excludedSocketNotifiersWait()
{
    SocketPair p;
    QSocketNotifier n(p.fd[1], QSocketNotifier::Read);
    int activations = 0;
    connect(&n, &QSocketNotifier::activated, this, [&] {
        ++activations;
        n.setEnabled(false);
    });
    QCOMPARE(::write(p.fd[0], "x", 1), 1);
    dispatcher()->processEvents(QEventLoop::ExcludeSocketNotifiers);
    dispatcher()->processEvents(QEventLoop::ExcludeSocketNotifiers);
    QCOMPARE(activations, 0);
    spinUntil([&] { return activations == 1; });
    QCOMPARE(activations, 1);
}

void TstEpollDispatcher::postedEventsAreDelivered()
{
    EventRecorder r;
    QCoreApplication::postEvent(&r, new QEvent(QEvent::User));
    QCoreApplication::postEvent(&r, new QEvent(QEvent::User));
    bool invoked = false;
    QMetaObject::invokeMethod(this, [&] { invoked = true; }, Qt::QueuedConnection);
    QCOMPARE(r.userEvents, 0);
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(r.userEvents, 2);
    QVERIFY(invoked);
}

void TstEpollDispatcher::postFromTheLoopsOwnThreadNeedsNoSystemCall()
{
    // The server posts the start of a batch while it handles a socket, and the batch's
    // writes while it delivers that: both are delivered in the turn that read the socket.
    // A third post in that chain waits for the next turn, which must not block with it
    // undelivered (here bounded by a far timer, were it lost). No post from the loop's own
    // thread writes to the event file.
    TimerRecorder guard;
    const int id = guard.startTimer(20'000);
    EventRecorder r;
    SocketPair pair;
    QSocketNotifier readable(pair.fd[0], QSocketNotifier::Read);
    bool startedBatch = false;
    bool wroteBatch = false;
    QObject::connect(&readable, &QSocketNotifier::activated, &r, [&] {
        char c;
        (void)::read(pair.fd[0], &c, 1);
        QMetaObject::invokeMethod(
            &r,
            [&] {
                startedBatch = true;
                QMetaObject::invokeMethod(
                    &r,
                    [&] {
                        wroteBatch = true;
                        QCoreApplication::postEvent(&r, new QEvent(QEvent::User));
                    },
                    Qt::QueuedConnection);
            },
            Qt::QueuedConnection);
    });
    const quint64 writesBefore = dispatcher()->wakeUpsWritten();
    QCOMPARE(::write(pair.fd[1], "x", 1), 1);
    QElapsedTimer t;
    t.start();
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    QVERIFY(startedBatch);
    QVERIFY(wroteBatch);
    QCOMPARE(r.userEvents, 0);
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    QVERIFY2(t.elapsed() < 10'000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(r.userEvents, 1);
    QVERIFY(guard.fired.isEmpty());
    QCOMPARE(dispatcher()->wakeUpsWritten(), writesBefore);
    // From another thread the event file is still written, once per wait.
    const qint64 waited = waitForAPostFromAnotherThread(r);
    QVERIFY2(waited < 10'000, qPrintable(QString::number(waited)));
    QCOMPARE(dispatcher()->wakeUpsWritten(), writesBefore + 1);
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(r.userEvents, 2);
    guard.killTimer(id);
}

void TstEpollDispatcher::wakeUpFromAnotherThreadEndsTheWait()
{
    // A far timer bounds the wait should the wake-up be lost.
    TimerRecorder guard;
    const int id = guard.startTimer(20'000);
    QSignalSpy awake(dispatcher(), &QAbstractEventDispatcher::awake);
    QSignalSpy aboutToBlock(dispatcher(), &QAbstractEventDispatcher::aboutToBlock);
    // instance() is per thread: hand the main thread's dispatcher over.
    std::thread waker([d = dispatcher()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        d->wakeUp();
    });
    QElapsedTimer t;
    t.start();
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    const qint64 waited = t.elapsed();
    waker.join();
    QVERIFY2(waited < 10'000, qPrintable(QString::number(waited)));
    QVERIFY(guard.fired.isEmpty());
    QCOMPARE(awake.size(), 1);
    QCOMPARE(aboutToBlock.size(), 1);
    guard.killTimer(id);
}

void TstEpollDispatcher::postFromAnotherThreadIsDelivered_data()
{
    QTest::addColumn<int>("busyPollMs");
    QTest::newRow("blocking") << 0;
    QTest::newRow("polling") << 10'000; // the post must end the polling too
}

void TstEpollDispatcher::postFromAnotherThreadIsDelivered()
{
    QFETCH(int, busyPollMs);
    TimerRecorder guard; // bounds the wait should the post not wake it
    const int id = guard.startTimer(20'000);
    EventRecorder r;
    BusyPoll poll(std::chrono::milliseconds{busyPollMs});
    // The wait ends when the event is posted; the next turn delivers it (as in Qt's own).
    const qint64 waited = waitForAPostFromAnotherThread(r);
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(r.userEvents, 1);
    QVERIFY2(waited < 10'000, "the wait was not woken by the posted event");
    QVERIFY(guard.fired.isEmpty());
    guard.killTimer(id);
}

void TstEpollDispatcher::wakeUpsRacingTheLoopAreNeverLost()
{
    // Three threads post as fast as they can for two seconds while the loop waits and
    // drains its wake-ups. A wake-up that lands while the loop drains must never leave the
    // dispatcher believing a wake-up is still pending when none is: every later one would
    // then be skipped, and the loop would sleep until its next timer (in the server: every
    // message in flight held up to the next timer, 2 s). Afterwards, one more post must
    // still end a wait at once.
    TimerRecorder guard;
    const int id = guard.startTimer(20'000);
    EventRecorder r;
    std::atomic<bool> stop{false};
    std::atomic<int> posted{0};
    std::vector<std::thread> posters;
    for (int i = 0; i < 3; ++i) {
        posters.emplace_back([&] {
            for (int n = 1; !stop.load(); ++n) {
                QCoreApplication::postEvent(&r, new QEvent(QEvent::User));
                posted.fetch_add(1);
                if (n % 8 == 0)
                    std::this_thread::sleep_for(std::chrono::microseconds(20));
            }
        });
    }
    QElapsedTimer run;
    run.start();
    qint64 longestWait = 0;
    while (run.elapsed() < 2000 && guard.fired.isEmpty()) {
        QElapsedTimer wait;
        wait.start();
        dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
        longestWait = qMax(longestWait, wait.elapsed());
    }
    stop = true;
    for (std::thread &t : posters)
        t.join();
    dispatcher()->processEvents(QEventLoop::AllEvents);
    QCOMPARE(r.userEvents, posted.load());
    QVERIFY2(longestWait < 10'000, qPrintable(QString::number(longestWait)));

    const qint64 waited = waitForAPostFromAnotherThread(r);
    QVERIFY2(waited < 10'000, "a post after the race did not end the wait");
    QVERIFY(guard.fired.isEmpty());
    guard.killTimer(id);
}

void TstEpollDispatcher::interruptEndsTheWait()
{
    TimerRecorder guard;
    const int id = guard.startTimer(20'000);
    std::thread interrupter([d = dispatcher()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        d->interrupt();
    });
    QElapsedTimer t;
    t.start();
    dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
    interrupter.join();
    QVERIFY2(t.elapsed() < 10'000, qPrintable(QString::number(t.elapsed())));
    // And QEventLoop::exit() from another thread ends exec() through it.
    QEventLoop loop;
    std::thread quitter([&loop] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        loop.exit(7);
    });
    QTimer::singleShot(10'000, &loop, [&loop] { loop.exit(1); });
    const int code = loop.exec();
    quitter.join();
    QCOMPARE(code, 7);
    guard.killTimer(id);
}

void TstEpollDispatcher::tcpRoundTrip()
{
    // 1 MiB through Qt's sockets: read notifiers, and write notifiers switched on and off as
    // the kernel's buffers fill and drain.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QTcpSocket *peer = nullptr;
    spinUntil([&] { return (peer = server.nextPendingConnection()) != nullptr; });
    QVERIFY(peer);
    QByteArray echoed;
    connect(peer, &QTcpSocket::readyRead, peer, [peer] { peer->write(peer->readAll()); });
    connect(&client, &QTcpSocket::readyRead, this, [&] { echoed += client.readAll(); });
    QByteArray payload(1 << 20, Qt::Uninitialized);
    for (int i = 0; i < payload.size(); ++i)
        payload[i] = char(i * 7 + i / 251);
    client.write(payload);
    spinUntil([&] { return echoed.size() >= payload.size(); }, 20'000);
    QCOMPARE(echoed.size(), payload.size());
    QVERIFY(echoed == payload);
    client.disconnectFromHost();
    spinUntil([&] { return peer->state() == QAbstractSocket::UnconnectedState; });
    QCOMPARE(peer->state(), QAbstractSocket::UnconnectedState);
}

int main(int argc, char *argv[])
{
    // As dpichat-server does: the dispatcher is set before the application exists.
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TstEpollDispatcher test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolldispatcher.moc"
