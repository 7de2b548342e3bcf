#include "ownwebsocket.h"

#include "logging.h"
#include "net/wsframing.h"

#include <QSocketNotifier>

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace dpichat::server {

namespace {
/// Read per system call; the same buffer serves every connection of the thread, so an idle
/// connection holds none.
constexpr qsizetype kReadChunk = 64 * 1024;
/// Reads per readiness, so that one busy peer cannot hold the loop.
constexpr int kReadsPerWakeUp = 4;
/// Messages are sent as frames of at most this (QWebSocket's default outgoingFrameSize()), so
/// that a client with a frame limit below its message limit still reads a large reply.
constexpr qsizetype kOutgoingFrameBytes = 512 * 1024;
/// A payload at least this large is queued as the caller's buffer, not copied.
constexpr qsizetype kShareAtBytes = 16 * 1024;
/// A reply at least this large goes to the kernel at once: the peer starts reading it while
/// this turn of the event loop finishes. Small frames wait, so that a turn's replies and pushes
/// leave in one write.
constexpr qsizetype kFlushAtOnceBytes = 64 * 1024;
/// Own chunks of the output queue grow to this before a new one starts.
constexpr qsizetype kChunkBytes = 64 * 1024;

char *readBuffer()
{
    thread_local std::unique_ptr<char[]> buffer(new char[kReadChunk]);
    return buffer.get();
}

bool validCloseCode(quint16 code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011)
        || (code >= 3000 && code <= 4999);
}
} // namespace

OwnWebSocket::OwnWebSocket(int fd, const OwnWebSocketConfig &config)
    : m_fd(fd), m_config(config)
{
    ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    // Small pushes must not wait for the peer's acknowledgements (Nagle's algorithm).
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getpeername(m_fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        m_peer.setAddress(reinterpret_cast<const sockaddr *>(&address));
}

OwnWebSocket::~OwnWebSocket()
{
    if (m_scheduled)
        m_config.scheduler->forget(this);
    if (m_fd >= 0) {
        if (m_readNotifier)
            m_readNotifier->setEnabled(false);
        if (m_writeNotifier)
            m_writeNotifier->setEnabled(false);
        ::close(m_fd);
    }
}

void OwnWebSocket::setEvents(TransportEvents *events)
{
    m_events = events;
    m_readNotifier = std::make_unique<QSocketNotifier>(qintptr(m_fd), QSocketNotifier::Read);
    QObject::connect(m_readNotifier.get(), &QSocketNotifier::activated, m_readNotifier.get(),
                     [this] { onReadable(); });
}

QHostAddress OwnWebSocket::peerAddress() const
{
    return m_peer;
}

void OwnWebSocket::onReadable()
{
    char *buffer = readBuffer();
    for (int round = 0; round < kReadsPerWakeUp && m_state != Closed; ++round) {
        const ssize_t n = ::recv(m_fd, buffer, size_t(kReadChunk), 0);
        if (n == 0) {
            finish();
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                finish();
            return;
        }
        if (m_state == Draining) {
            // Dropped: the connection failed and waits only for the peer to go.
        } else if (m_state == Upgrading) {
            m_in.append(buffer, n);
            if (!readUpgrade())
                return;
        } else if (m_in.isEmpty()) {
            const qsizetype used = readFrames(buffer, n);
            if ((m_state == Open || m_state == Closing) && used < n)
                m_in = QByteArray(buffer + used, n - used);
        } else {
            m_in.append(buffer, n);
            QByteArray in = std::exchange(m_in, {});
            const qsizetype used = readFrames(in.data(), in.size());
            if ((m_state == Open || m_state == Closing) && used < in.size())
                m_in = used == 0 ? std::move(in) : in.sliced(used);
        }
        if (n < kReadChunk)
            return; // the kernel had no more
    }
}

bool OwnWebSocket::readUpgrade()
{
    const ws::Upgrade upgrade = ws::parseUpgrade(m_in);
    if (upgrade.status == ws::Upgrade::Incomplete)
        return true;
    QByteArray refusal;
    if (upgrade.status == ws::Upgrade::Bad) {
        qCInfo(lcNet) << "refused a WebSocket upgrade from" << m_peer << ":"
                      << upgrade.response.left(upgrade.response.indexOf('\r'));
        refusal = upgrade.response;
    } else if (!m_config.allowedOrigins.isEmpty() && !upgrade.origin.isEmpty()
               && !m_config.allowedOrigins.contains(QString::fromUtf8(upgrade.origin))) {
        qCInfo(lcNet) << "refused a connection from origin" << QString::fromUtf8(upgrade.origin);
        refusal = ws::httpError(403, "Forbidden");
    }
    if (!refusal.isEmpty()) {
        (void)::send(m_fd, refusal.constData(), size_t(refusal.size()), MSG_NOSIGNAL);
        finish();
        return false;
    }
    QByteArray rest = m_in.sliced(upgrade.consumed);
    m_in = {};
    queue(upgrade.response);
    m_state = Open;
    m_events->onUpgraded();
    if (!rest.isEmpty() && m_state == Open) {
        const qsizetype used = readFrames(rest.data(), rest.size());
        if ((m_state == Open || m_state == Closing) && used < rest.size())
            m_in = rest.sliced(used);
    }
    if (m_state == Closed)
        return false;
    return writeOut();
}

qsizetype OwnWebSocket::readFrames(char *data, qsizetype size)
{
    qsizetype pos = 0;
    while (pos < size && (m_state == Open || m_state == Closing)) {
        const ws::FrameHeader h = ws::parseFrameHeader(QByteArrayView(data + pos, size - pos));
        if (h.size == 0)
            break;
        if (h.rsv != 0 || !h.masked) {
            fail(ws::CloseProtocolError,
                 h.rsv ? "reserved bits set" : "client frames must be masked");
            return size;
        }
        if (h.opcode & 0x8) {
            if (h.opcode != ws::Close && h.opcode != ws::Ping && h.opcode != ws::Pong) {
                fail(ws::CloseProtocolError, "unknown opcode");
                return size;
            }
            if (!h.fin || h.length > 125) {
                fail(ws::CloseProtocolError, "control frames are short and whole");
                return size;
            }
        } else {
            if (h.opcode > ws::Binary) {
                fail(ws::CloseProtocolError, "unknown opcode");
                return size;
            }
            if ((h.opcode == ws::Continuation) != (m_messageOpcode != 0)) {
                fail(ws::CloseProtocolError, "fragments out of order");
                return size;
            }
            const quint64 before = h.opcode == ws::Continuation ? quint64(m_message.size()) : 0;
            if (h.length > quint64(m_config.maxIncomingBytes)
                || before + h.length > quint64(m_config.maxIncomingBytes)) {
                qCInfo(lcNet) << "closing a connection whose message is over the frame limit";
                fail(ws::CloseTooBig, "message too big");
                return size;
            }
        }
        if (quint64(size - pos - h.size) < h.length)
            break;
        char *payload = data + pos + h.size;
        ws::applyMask(payload, qsizetype(h.length), h.mask, 0);
        pos += h.size + qsizetype(h.length);
        onFrame(h.opcode, h.fin, payload, qsizetype(h.length));
    }
    return pos;
}

void OwnWebSocket::onFrame(quint8 opcode, bool fin, char *payload, qsizetype size)
{
    switch (opcode) {
    case ws::Text:
    case ws::Binary:
    case ws::Continuation: {
        QByteArray whole;
        QByteArrayView message(payload, size);
        if (opcode != ws::Continuation && !fin) {
            m_messageOpcode = opcode;
            m_message = QByteArray(payload, size);
            return;
        }
        if (opcode == ws::Continuation) {
            m_message.append(payload, size);
            if (!fin)
                return;
            opcode = std::exchange(m_messageOpcode, 0);
            whole = std::exchange(m_message, {});
            message = whole;
        }
        if (m_state != Open)
            return; // closing: what comes now goes unanswered
        if (opcode == ws::Binary) {
            m_events->onBinary();
        } else if (!message.isValidUtf8()) {
            fail(ws::CloseBadPayload, "text is not UTF-8");
        } else {
            m_events->onText(message);
        }
        return;
    }
    case ws::Ping:
        m_events->onPong();
        if (m_state == Open)
            queueFrame(ws::Pong, QByteArrayView(payload, size));
        return;
    case ws::Pong:
        m_events->onPong();
        return;
    case ws::Close: {
        if (size == 1) {
            fail(ws::CloseProtocolError, "bad close frame");
            return;
        }
        if (size >= 2) {
            const quint16 code = quint16((quint8(payload[0]) << 8) | quint8(payload[1]));
            if (!validCloseCode(code)) {
                fail(ws::CloseProtocolError, "bad close code");
                return;
            }
            if (!QByteArrayView(payload + 2, size - 2).isValidUtf8()) {
                fail(ws::CloseBadPayload, "close reason is not UTF-8");
                return;
            }
        }
        if (m_state == Open) {
            // Answer with the same code; then the server closes the TCP connection first
            // (RFC 6455 section 7.1.1).
            queueFrame(ws::Close, QByteArrayView(payload, std::min<qsizetype>(size, 2)));
            m_state = Closing;
            writeOut();
        }
        finish();
        return;
    }
    }
}

void OwnWebSocket::fail(quint16 code, const char *reason)
{
    if (m_state == Open) {
        queueFrame(ws::Close, ws::closePayload(code, reason));
        m_state = Draining;
        m_shutdownAfterWrite = true;
        if (writeOut())
            m_events->onClosing();
        return;
    }
    finish(); // our close frame went out already; a peer that breaks the protocol now just goes
}

void OwnWebSocket::queueFrame(quint8 opcode, QByteArrayView payload)
{
    char header[ws::kMaxFrameHeaderBytes];
    const int n = ws::writeFrameHeader(header, opcode, true, quint64(payload.size()));
    queue(QByteArrayView(header, n));
    queue(payload);
    scheduleWrite();
}

void OwnWebSocket::queue(QByteArrayView bytes)
{
    if (bytes.isEmpty())
        return;
    if (m_out.isEmpty() || m_lastShared || m_out.last().size() + bytes.size() > kChunkBytes) {
        QByteArray chunk;
        chunk.reserve(std::max<qsizetype>(bytes.size(), 512));
        chunk.append(bytes);
        m_out.append(std::move(chunk));
        m_lastShared = false;
    } else {
        m_out.last().append(bytes);
    }
    m_outBytes += bytes.size();
}

void OwnWebSocket::queueShared(const QByteArray &bytes)
{
    m_out.append(bytes);
    m_lastShared = true;
    m_outBytes += bytes.size();
}

void OwnWebSocket::sendText(const QByteArray &utf8)
{
    if (m_state != Open)
        return;
    qsizetype offset = 0;
    do {
        const qsizetype size = std::min(kOutgoingFrameBytes, utf8.size() - offset);
        const bool first = offset == 0;
        const bool last = offset + size == utf8.size();
        char header[ws::kMaxFrameHeaderBytes];
        const int n = ws::writeFrameHeader(header, first ? ws::Text : ws::Continuation, last,
                                           quint64(size));
        queue(QByteArrayView(header, n));
        if (utf8.size() >= kShareAtBytes)
            queueShared(first && last ? utf8 : utf8.sliced(offset, size));
        else
            queue(QByteArrayView(utf8).sliced(offset, size));
        offset += size;
    } while (offset < utf8.size());
    if (utf8.size() >= kFlushAtOnceBytes)
        writeOut();
    else
        scheduleWrite();
}

void OwnWebSocket::ping()
{
    if (m_state == Open)
        queueFrame(ws::Ping, {});
}

void OwnWebSocket::close(int code, const QString &reason)
{
    if (m_state == Upgrading) {
        finish();
        return;
    }
    if (m_state != Open)
        return;
    queueFrame(ws::Close, ws::closePayload(quint16(code), reason.toUtf8()));
    m_state = Closing;
}

void OwnWebSocket::abort()
{
    finish();
}

void OwnWebSocket::flushNow()
{
    writeOut();
}

void OwnWebSocket::scheduleWrite()
{
    if (!m_scheduled) {
        m_scheduled = true;
        m_config.scheduler->schedule(this);
    }
}

void OwnWebSocket::onScheduled()
{
    m_scheduled = false;
    if (m_state == Closed) {
        if (!m_closeReported) {
            m_closeReported = true;
            m_events->onClosed();
        }
        return;
    }
    writeOut();
}

void OwnWebSocket::onWritable()
{
    writeOut();
}

bool OwnWebSocket::writeOut()
{
    if (m_state == Closed)
        return false;
    while (m_outBytes > 0) {
        std::array<iovec, 64> iov;
        int count = 0;
        qsizetype skip = m_outHead;
        for (const QByteArray &chunk : std::as_const(m_out)) {
            iov[count].iov_base = const_cast<char *>(chunk.constData()) + skip;
            iov[count].iov_len = size_t(chunk.size() - skip);
            skip = 0;
            if (++count == int(iov.size()))
                break;
        }
        msghdr message{};
        message.msg_iov = iov.data();
        message.msg_iovlen = size_t(count);
        const ssize_t n = ::sendmsg(m_fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                setWriteInterest(true);
                return true;
            }
            finish();
            return false;
        }
        m_outBytes -= n;
        qsizetype left = n;
        while (left > 0) {
            const qsizetype available = m_out.first().size() - m_outHead;
            if (left >= available) {
                left -= available;
                m_out.removeFirst();
                m_outHead = 0;
            } else {
                m_outHead += left;
                left = 0;
            }
        }
    }
    m_out = {}; // frees the queue's room: an idle connection holds no buffer
    m_outHead = 0;
    m_lastShared = false;
    setWriteInterest(false);
    if (m_shutdownAfterWrite) {
        m_shutdownAfterWrite = false;
        ::shutdown(m_fd, SHUT_WR);
    }
    return true;
}

void OwnWebSocket::setWriteInterest(bool on)
{
    if (!m_writeNotifier) {
        if (!on)
            return;
        m_writeNotifier = std::make_unique<QSocketNotifier>(qintptr(m_fd), QSocketNotifier::Write);
        QObject::connect(m_writeNotifier.get(), &QSocketNotifier::activated,
                         m_writeNotifier.get(), [this] { onWritable(); });
    }
    if (m_writeNotifier->isEnabled() != on)
        m_writeNotifier->setEnabled(on);
}

void OwnWebSocket::finish()
{
    if (m_state == Closed)
        return;
    m_state = Closed;
    if (m_readNotifier)
        m_readNotifier->setEnabled(false);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    ::close(m_fd);
    m_fd = -1;
    m_out = {};
    m_outBytes = 0;
    m_outHead = 0;
    scheduleWrite(); // reports the close from outside whatever call this is in
}

} // namespace dpichat::server
