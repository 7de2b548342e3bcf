// Fuzz target: the server's own WebSocket layer (OwnWebSocket) reading whatever a peer sends.
//
// In-process, over a socketpair: the input is written into one end in pieces and the other end
// is an OwnWebSocket driven by the event loop, exactly as the Listener makes one for an accepted
// connection; what it answers is read and dropped.
//
// Input: the first byte picks whether a valid upgrade request goes first (bit 0: most inputs
// should reach the frame parser) and the size of the pieces the rest is written in (bits 1-7).
// Invariants: every text handed to the Session is valid UTF-8 and within the message limit;
// nothing is handed over before the upgrade or after the close; the close is reported once.

#include "fuzzcheck.h"
#include "net/ownwebsocket.h"

#include <QCoreApplication>

#include <cstdint>
#include <sys/socket.h>
#include <unistd.h>

using namespace dpichat::server;

namespace {

constexpr qint64 kLimit = 1024; // small, so that inputs reach it

class Events final : public TransportEvents
{
public:
    void onUpgraded() override
    {
        FUZZ_CHECK(!upgraded && closed == 0, "upgraded twice or after the close");
        upgraded = true;
    }
    void onText(QByteArrayView utf8) override
    {
        FUZZ_CHECK(upgraded && closed == 0, "text before the upgrade or after the close");
        FUZZ_CHECK(utf8.size() <= kLimit, "a text over the limit");
        FUZZ_CHECK(utf8.isValidUtf8(), "a text that is not UTF-8");
        ++texts;
    }
    void onBinary() override { FUZZ_CHECK(upgraded && closed == 0, "binary out of turn"); }
    void onPong() override { FUZZ_CHECK(upgraded && closed == 0, "pong out of turn"); }
    void onClosing() override { FUZZ_CHECK(upgraded && closed == 0, "closing out of turn"); }
    void onClosed() override
    {
        FUZZ_CHECK(closed == 0, "closed twice");
        ++closed;
    }
    bool upgraded = false;
    int texts = 0;
    int closed = 0;
};

WriteScheduler *g_scheduler = nullptr;

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static int qtArgc = 1;
    static char *qtArgv[] = {(*argc > 0) ? (*argv)[0] : const_cast<char *>("fuzz_websocket"), nullptr};
    new QCoreApplication(qtArgc, qtArgv);
    g_scheduler = new WriteScheduler;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int fds[2];
    FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0, "no socketpair");
    OwnWebSocketConfig config;
    config.maxIncomingBytes = kLimit;
    config.scheduler = g_scheduler;
    Events events;
    {
        OwnWebSocket socket(fds[0], config);
        socket.setEvents(&events);

        QByteArray input;
        if (data[0] & 1) {
            input = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        }
        input.append(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
        const qsizetype piece = (data[0] >> 1) + 1;
        char sink[4096];
        for (qsizetype at = 0; at < input.size();) {
            const ssize_t n = ::send(fds[1], input.constData() + at,
                                     size_t(std::min(piece, input.size() - at)), MSG_NOSIGNAL);
            if (n > 0)
                at += n;
            else if (n < 0 && errno != EAGAIN)
                break; // the server end closed
            QCoreApplication::processEvents();
            while (::recv(fds[1], sink, sizeof sink, 0) > 0) {
            }
        }
        for (int i = 0; i < 4; ++i) {
            QCoreApplication::processEvents();
            while (::recv(fds[1], sink, sizeof sink, 0) > 0) {
            }
        }
        // What the Session may do at any time, whatever state the connection is in.
        socket.sendText(QByteArrayLiteral("{\"type\":\"pong\"}"));
        socket.ping();
        socket.close(1000, QStringLiteral("done"));
        QCoreApplication::processEvents();
        socket.abort();
        QCoreApplication::processEvents();
    }
    ::close(fds[1]);
    QCoreApplication::processEvents(); // nothing may refer to the destroyed connection now
    return 0;
}
