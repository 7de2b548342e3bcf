// Five sessions that never read their sockets while messages flow to them. Each is cut off at
// the output bound (4 MiB of unsent output per session): never before it, and no later than
// the bound plus what the kernel's socket buffers can hold. The readers that keep up get every
// message while the silent ones are stuck, so nothing waits for a stuck reader. The server's
// peak memory grows by no more than the output bounds allow. Every cut-off user catches up
// with `sync` after reconnecting.
//
// Nothing here depends on the machine's speed: the readers that keep up are driven in a closed
// loop (a batch is sent only when the previous one reached them, so their backlog never nears
// the bound), and every verdict compares counts and byte totals, not times. Times are reported.

#include "chaos.h"
#include "rawframe.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTcpSocket>

#include <algorithm>

using namespace chaos;

namespace {

constexpr int kSlow = 5;
/// The server's default bound on a session's unsent output (SessionLimits::maxOutputBytes).
constexpr qint64 kOutputBound = 4 * 1024 * 1024;
constexpr int kBatch = 50;
constexpr int kBaselineBatches = 10;
constexpr qint64 kMiB = 1024 * 1024;
/// Liveness only: a batch that does not arrive within this means the server stalled. It is
/// not a speed bound, and a loaded machine stays far below it.
constexpr int kBatchDeadlineMs = 120'000;

/// A raw WebSocket logged in by token that then reads nothing: its receive buffer is pinned
/// small, so what the kernel can hold for it is known.
bool openSilentReader(QTcpSocket &socket, quint16 port, const QString &token)
{
    socket.setReadBufferSize(1024);
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(10'000))
        return false;
    socket.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 64 * 1024);
    socket.write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    if (!socket.waitForReadyRead(10'000))
        return false;
    socket.write(clientTextFrame(
        R"({"type":"login","id":1,"protocol":1,"token":")" + token.toLatin1() + R"("})"));
    return socket.waitForBytesWritten(10'000);
}

/// The largest value of /proc/sys/net/ipv4/tcp_wmem: a socket's send buffer never exceeds it
/// unless the program sets SO_SNDBUF, which the server does not.
qint64 maxKernelSendBuffer()
{
    QFile f(u"/proc/sys/net/ipv4/tcp_wmem"_s);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = f.readAll().simplified().split(' ');
    return fields.size() == 3 ? fields.at(2).toLongLong() : -1;
}

/// Bytes of one server-to-client text frame with this payload (RFC 6455 §5.2, unmasked).
qint64 wireBytes(qint64 payload)
{
    return payload + (payload < 126 ? 2 : payload < 65536 ? 4 : 10);
}

qint64 median(QList<qint64> v)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    return v.at(v.size() / 2);
}

/// What one reader that keeps up received: every frame's size in order, and where in that
/// stream each silent user came online and went offline.
struct StreamLog
{
    qint64 bytes = 0;
    qint64 largestFrame = 0;
    QHash<qint64, qint64> onlineAt;  ///< user -> bytes received before their online presence
    QHash<qint64, qint64> offlineAt; ///< user -> bytes received before their offline presence

    void onText(const QString &text)
    {
        const qint64 size = wireBytes(text.toUtf8().size());
        if (size < 1024) {
            const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
            if (typeOf(o) == "presence"_L1) {
                const qint64 user = o.value("user"_L1).toInteger();
                (o.value("online"_L1).toBool() ? onlineAt : offlineAt).insert(user, bytes);
            }
        }
        bytes += size;
        largestFrame = qMax(largestFrame, size);
    }
};

} // namespace

class TestChaosSlowReader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void slowReadersAreCutOffMemoryStaysBounded();
};

void TestChaosSlowReader::slowReadersAreCutOffMemoryStaysBounded()
{
    ChaosServer cs;
    QVERIFY(cs.init());
    QVERIFY(cs.addUser(u"ann@support.test"_s, u"admin"_s));
    QVERIFY(cs.addUser(u"bob@support.test"_s, u"admin"_s));
    QVERIFY(cs.addUser(u"carol@customer.test"_s, u"customer"_s));
    for (int i = 0; i < kSlow; ++i)
        QVERIFY(cs.addUser(u"slow%1@support.test"_s.arg(i), u"admin"_s));

    // ASan keeps freed memory in a quarantine (256 MiB by default), which would hide what the
    // server holds; the server of this test gets a small one, counted in the memory bound.
    qint64 quarantine = 0;
#ifdef DPICHAT_SANITIZED
    quarantine = 16 * kMiB;
    qputenv("ASAN_OPTIONS", qgetenv("ASAN_OPTIONS") + ":quarantine_size_mb=16");
#endif
    // The silent readers never answer the server's keep-alive pings either; with an hour
    // between pings, however slowly this test runs, what cuts them off is the output bound.
    QVERIFY(cs.server->start({u"--rate-limit"_s, u"0"_s, u"--ping-interval"_s, u"3600"_s}));

    // Tokens by password, then a fresh server process: its peak memory then starts without
    // the password hashing (19 MiB per login), which would hide what the flood adds.
    QHash<QString, QString> tokens;
    QHash<QString, qint64> userIds;
    QStringList names{u"ann"_s, u"bob"_s, u"carol"_s};
    for (int i = 0; i < kSlow; ++i)
        names.append(u"slow%1"_s.arg(i));
    for (const QString &name : std::as_const(names)) {
        const QString email = name + (name == u"carol" ? u"@customer.test"_s : u"@support.test"_s);
        Client c = cs.login(email);
        QVERIFY2(c.c, qPrintable(email));
        tokens.insert(name, c.token);
        userIds.insert(name, c.userId);
    }
    QVERIFY(cs.server->restart());
    Client ann = cs.login(u"ann@support.test"_s, tokens[u"ann"_s]);
    Client bob = cs.login(u"bob@support.test"_s, tokens[u"bob"_s]);
    Client carol = cs.login(u"carol@customer.test"_s, tokens[u"carol"_s]);
    QVERIFY(ann.c && bob.c && carol.c && carol.thread > 0);
    StreamLog bobLog;
    connect(&bob.c->socket(), &QWebSocket::textMessageReceived, this,
            [&bobLog](const QString &text) { bobLog.onText(text); });
    const qint64 pid = serverPid();
    QVERIFY(pid > 0);

    const QString text(3900, u'z');
    int total = 0;
    QList<qint64> baselineMs, stuckMs;
    // One batch of sends from Carol, then wait until Carol has every `sent` and Ann and Bob
    // every push. False if that does not happen (a stall) or Carol got an error.
    auto batch = [&](QList<qint64> &times) {
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < kBatch; ++i, ++total)
            carol.c->sendRaw(sendFrame(total + 1, carol.thread, u"sr-%1"_s.arg(total), text));
        const bool ok = carol.c->waitForPushes(u"sent"_s, total, kBatchDeadlineMs)
            && bob.c->waitForPushes(u"message"_s, total, kBatchDeadlineMs)
            && ann.c->waitForPushes(u"message"_s, total, kBatchDeadlineMs);
        times.append(t.elapsed());
        return ok && carol.c->pushesOfType(u"error"_s).isEmpty();
    };

    // For the figures only: the same batches before any reader is stuck.
    for (int b = 0; b < kBaselineBatches; ++b)
        QVERIFY2(batch(baselineMs), "a batch did not reach the readers (no reader is stuck yet)");

    const qint64 hwmStart = procStatusKiB(pid, "VmHWM:") * 1024;
    const qint64 databaseStart = QFileInfo(cs.server->databasePath()).size();
    std::vector<std::unique_ptr<QTcpSocket>> slow;
    qint64 largestReceiveBuffer = 0;
    for (int i = 0; i < kSlow; ++i) {
        slow.push_back(std::make_unique<QTcpSocket>());
        QVERIFY(openSilentReader(*slow.back(), cs.server->port(), tokens[u"slow%1"_s.arg(i)]));
        const QVariant receiveBuffer =
            slow.back()->socketOption(QAbstractSocket::ReceiveBufferSizeSocketOption);
        largestReceiveBuffer = qMax(largestReceiveBuffer, receiveBuffer.toLongLong());
    }
    for (int i = 0; i < kSlow; ++i)
        QTRY_VERIFY_WITH_TIMEOUT(bobLog.onlineAt.contains(userIds[u"slow%1"_s.arg(i)]), 60'000);

    // What can be pushed to a silent session before it must be cut: the bound, the frame that
    // crosses it, and what the kernel holds: the server's send buffer and the reader's receive
    // buffer, each of which TCP may overfill by one segment (64 KiB at most), and the 1 KiB
    // the reader took. Plus 16 KiB for the few presence frames a silent reader gets and Bob
    // does not.
    const qint64 sendBuffer = maxKernelSendBuffer();
    QVERIFY(sendBuffer > 0 && largestReceiveBuffer > 0);
    const qint64 frame = wireBytes(text.size() + 512);
    const qint64 latestCut = kOutputBound + frame + sendBuffer + largestReceiveBuffer
        + 2 * 64 * 1024 + 1024 + 16 * 1024;
    auto silentLeft = [&] {
        int n = 0;
        for (int i = 0; i < kSlow; ++i)
            n += bobLog.offlineAt.contains(userIds[u"slow%1"_s.arg(i)]) ? 0 : 1;
        return n;
    };
    const qint64 bytesBefore = bobLog.bytes;
    while (silentLeft() > 0 && bobLog.bytes - bytesBefore <= latestCut + kBatch * frame)
        QVERIFY2(batch(stuckMs), "a batch did not reach the readers that keep up while the "
                                 "silent ones were stuck");
    const qint64 hwm = procStatusKiB(pid, "VmHWM:") * 1024;
    // SQLite's page cache can hold at most the pages written meanwhile: the database's growth
    // and what its write-ahead log holds.
    const qint64 written = QFileInfo(cs.server->databasePath()).size() - databaseStart
        + QFileInfo(cs.server->databasePath() + u"-wal"_s).size();

    QList<qint64> pushedBeforeCut;
    for (int i = 0; i < kSlow; ++i) {
        const qint64 user = userIds[u"slow%1"_s.arg(i)];
        QVERIFY2(bobLog.offlineAt.contains(user),
                 qPrintable(u"silent reader %1 was not cut off after %2 bytes (the output bound"
                            " and the kernel's buffers allow %3)"_s.arg(i)
                                .arg(bobLog.bytes - bobLog.onlineAt.value(user))
                                .arg(latestCut)));
        pushedBeforeCut.append(bobLog.offlineAt.value(user) - bobLog.onlineAt.value(user));
    }
    qInfo("%d silent readers cut off after %lld..%lld KiB pushed to each (bound %lld KiB, at most"
          " %lld KiB with the kernel's buffers: send %lld KiB, receive %lld KiB); %d messages of"
          " ~4 KB in all",
          kSlow, *std::min_element(pushedBeforeCut.cbegin(), pushedBeforeCut.cend()) / 1024,
          *std::max_element(pushedBeforeCut.cbegin(), pushedBeforeCut.cend()) / 1024,
          kOutputBound / 1024, latestCut / 1024, sendBuffer / 1024, largestReceiveBuffer / 1024,
          total);
    qInfo("server VmHWM %lld KiB before the silent readers, %lld KiB at the end (+%lld KiB);"
          " batch of %d for the readers that keep up: median %lld ms (worst %lld) with none stuck,"
          " median %lld ms (worst %lld) while they were stuck",
          hwmStart / 1024, hwm / 1024, (hwm - hwmStart) / 1024, kBatch, median(baselineMs),
          *std::max_element(baselineMs.cbegin(), baselineMs.cend()), median(stuckMs),
          stuckMs.isEmpty() ? 0 : *std::max_element(stuckMs.cbegin(), stuckMs.cend()));

    // Cut at the bound: not before 4 MiB was waiting, and not after the kernel's buffers were
    // full and 4 MiB more was waiting.
    for (int i = 0; i < kSlow; ++i) {
        QVERIFY2(pushedBeforeCut[i] > kOutputBound,
                 qPrintable(u"silent reader %1 was cut off after only %2 bytes"_s.arg(i).arg(
                     pushedBeforeCut[i])));
        QVERIFY2(pushedBeforeCut[i] <= latestCut,
                 qPrintable(u"silent reader %1 was cut off late, after %2 bytes"_s.arg(i).arg(
                     pushedBeforeCut[i])));
    }
    // Not held back: each silent reader held more than the bound unread when it was cut, and
    // by then the readers that keep up had every message pushed to it (each batch reached
    // them before the next was sent). Nothing of theirs waited for a stuck socket; they are
    // still connected and hold every message once, in order.
    QVERIFY(ann.c->isConnected() && bob.c->isConnected() && carol.c->isConnected());
    for (Client *reader : {&ann, &bob}) {
        const QList<QJsonObject> pushes = reader->c->pushesOfType(u"message"_s);
        QCOMPARE(pushes.size(), qsizetype(total));
        qint64 previous = 0;
        for (const QJsonObject &p : pushes) {
            const qint64 id = p.value("message"_L1).toObject().value("id"_L1).toInteger();
            QVERIFY2(id > previous, "a reader that keeps up got a message twice or out of order");
            previous = id;
        }
    }

    // Peak memory: the five output bounds and their frames, half as much again for the
    // allocator's slack and the copies a frame passes through on its way out, what SQLite may
    // cache of the pages written, 16 MiB for the rest (Qt's buffers, the readers that keep up)
    // and ASan's quarantine in a sanitized build. A server that kept what it pushed, or
    // queued without a bound, would not pass it.
    const qint64 memoryBound =
        kSlow * (kOutputBound + frame) * 3 / 2 + written + 16 * kMiB + quarantine;
    qInfo("server memory: +%lld KiB at the peak, bound %lld KiB (of which %lld KiB for the"
          " database pages written)",
          (hwm - hwmStart) / 1024, memoryBound / 1024, written / 1024);
    QVERIFY2(hwm - hwmStart <= memoryBound,
             qPrintable(u"the server's peak memory grew by %1 KiB (bound %2 KiB)"_s
                            .arg((hwm - hwmStart) / 1024).arg(memoryBound / 1024)));

    // Every cut-off user, reconnecting on its token, catches up with everything once.
    for (int i = 0; i < kSlow; ++i) {
        Client again = cs.login(u"slow%1@support.test"_s.arg(i), tokens[u"slow%1"_s.arg(i)]);
        QVERIFY(again.c);
        QList<QJsonObject> all;
        QVERIFY(syncAll(*again.c, all));
        QCOMPARE(all.size(), qsizetype(total));
        qint64 previous = 0;
        for (const QJsonObject &m : std::as_const(all)) {
            QVERIFY(m.value("id"_L1).toInteger() > previous);
            previous = m.value("id"_L1).toInteger();
        }
    }
}

QTEST_GUILESS_MAIN(TestChaosSlowReader)
#include "tst_chaos_slowreader.moc"
