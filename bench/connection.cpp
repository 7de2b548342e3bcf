#include "connection.h"

#include <QAbstractEventDispatcher>
#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QWebSocket>

#include <cerrno>
#include <cstring>
#include <vector>
#include <sys/socket.h>

namespace bench {

namespace {

constexpr quint8 kOpContinuation = 0x0;
constexpr quint8 kOpText = 0x1;
constexpr quint8 kOpBinary = 0x2;
constexpr quint8 kOpClose = 0x8;
constexpr quint8 kOpPing = 0x9;
constexpr quint8 kOpPong = 0xA;
constexpr qsizetype kMaxMessageBytes = 16 * 1024 * 1024;

// xorshift64*: the masking key only has to differ between frames, not be secret; the RFC's
// "unpredictable" requirement guards proxies against browser script, not a load generator.
quint64 nextRandom(quint64 &state)
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
}

QByteArray expectedAccept(const QByteArray &key)
{
    return QCryptographicHash::hash(
        key + QByteArrayLiteral("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), QCryptographicHash::Sha1)
        .toBase64();
}

} // namespace

/// Sends the output that this thread's connections gathered during one turn of its event
/// loop, when the turn ends (QAbstractEventDispatcher::aboutToBlock): no event is posted, so
/// no wake-up of the loop's own descriptor either. One per thread, a child of the thread's
/// event dispatcher, so it ends with the loop.
class OutputScheduler final : public QObject {
public:
    static OutputScheduler *forCurrentThread()
    {
        static thread_local QPointer<OutputScheduler> current;
        if (!current) {
            auto *dispatcher = QAbstractEventDispatcher::instance();
            Q_ASSERT(dispatcher);
            current = new OutputScheduler(dispatcher);
            connect(dispatcher, &QAbstractEventDispatcher::aboutToBlock, current,
                &OutputScheduler::run, Qt::DirectConnection);
        }
        return current;
    }

    void schedule(LeanWebSocket *socket) { m_due.push_back(socket); }

    void forget(LeanWebSocket *socket)
    {
        for (auto *list : { &m_due, &m_running }) {
            for (LeanWebSocket *&s : *list) {
                if (s == socket)
                    s = nullptr;
            }
        }
    }

private:
    using QObject::QObject;

    void run()
    {
        // A failing send closes its connection, and what the session does about that may
        // write to another one (due again) or delete one (forgotten, nulled): repeat until
        // nothing is due, since the loop waits as soon as this returns.
        while (!m_due.empty()) {
            m_running.swap(m_due);
            for (LeanWebSocket *s : m_running) {
                if (s)
                    s->flushOutput();
            }
            m_running.clear();
        }
    }

    std::vector<LeanWebSocket *> m_due;
    std::vector<LeanWebSocket *> m_running;
};

std::unique_ptr<Connection> makeConnection(ClientKind kind, QObject *parent)
{
    if (kind == ClientKind::Qt)
        return std::make_unique<QtWebSocketConnection>(parent);
    return std::make_unique<LeanWebSocket>(parent);
}

LeanWebSocket::LeanWebSocket(QObject *parent)
    : Connection(parent)
    , m_socket(new QTcpSocket(this))
    , m_scheduler(OutputScheduler::forCurrentThread())
    , m_maskState(QRandomGenerator::global()->generate64() | 1)
{
    connect(m_socket, &QTcpSocket::connected, this, &LeanWebSocket::onConnected);
    connect(m_socket, &QTcpSocket::readyRead, this, &LeanWebSocket::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this,
        [this] { fail(QStringLiteral("connection closed by peer")); });
    connect(m_socket, &QTcpSocket::errorOccurred, this,
        [this](QAbstractSocket::SocketError) { fail(m_socket->errorString()); });
}

LeanWebSocket::~LeanWebSocket()
{
    if (m_scheduler)
        m_scheduler->forget(this);
    m_closed = true;
    m_socket->abort();
}

void LeanWebSocket::open(const QUrl &url)
{
    const int port = url.port(80);
    m_hostHeader = port == 80 ? url.host() : url.host() + u':' + QString::number(port);
    m_path = url.path(QUrl::FullyEncoded);
    if (m_path.isEmpty())
        m_path = QStringLiteral("/");
    if (url.hasQuery())
        m_path += u'?' + url.query(QUrl::FullyEncoded);
    QByteArray nonce(16, Qt::Uninitialized);
    for (char &c : nonce)
        c = char(nextRandom(m_maskState));
    m_key = nonce.toBase64();
    m_socket->connectToHost(url.host(), quint16(port), QIODevice::ReadWrite | QIODevice::Unbuffered);
}

void LeanWebSocket::onConnected()
{
    // The point of this class: small frames must not wait for Nagle's algorithm.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    QByteArray request;
    request += "GET " + m_path.toUtf8() + " HTTP/1.1\r\nHost: " + m_hostHeader.toUtf8()
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + m_key
        + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    m_socket->write(request);
}

void LeanWebSocket::onReadyRead()
{
    if (m_closed)
        return;
    // Unbuffered: one recv() per notification, into this thread's scratch buffer (a buffer
    // of that size per session would be 640 MB for 10,000 idle ones); more waiting than it
    // holds notifies again at once (epoll is level-triggered).
    static thread_local std::vector<char> scratch(64 * 1024);
    const qint64 n = m_socket->read(scratch.data(), qint64(scratch.size()));
    if (n > 0)
        m_in.append(scratch.data(), qsizetype(n));
    if (n < 0) {
        fail(m_socket->error() == QAbstractSocket::RemoteHostClosedError
                ? QStringLiteral("connection closed by peer")
                : m_socket->errorString());
        return;
    }
    if (!m_handshakeDone) {
        if (!readHandshake())
            return;
        m_handshakeDone = true;
        Q_EMIT opened();
    }
    parseFrames();
}

bool LeanWebSocket::readHandshake()
{
    const qsizetype end = m_in.indexOf("\r\n\r\n");
    if (end < 0) {
        if (m_in.size() > 16 * 1024)
            fail(QStringLiteral("handshake response too large"));
        return false;
    }
    const QByteArray head = m_in.left(end).toLower();
    m_inPos = end + 4;
    if (!head.startsWith("http/1.1 101")) {
        fail(QStringLiteral("handshake refused: %1")
                 .arg(QString::fromUtf8(m_in.left(m_in.indexOf("\r\n")))));
        return false;
    }
    const qsizetype at = head.indexOf("\r\nsec-websocket-accept:");
    const QByteArray accept = expectedAccept(m_key).toLower();
    if (at < 0 || head.indexOf(accept, at) < 0) {
        fail(QStringLiteral("handshake: bad Sec-WebSocket-Accept"));
        return false;
    }
    return true;
}

void LeanWebSocket::parseFrames()
{
    while (!m_closed) {
        const qsizetype avail = m_in.size() - m_inPos;
        if (avail < 2)
            break;
        const auto *p = reinterpret_cast<const uchar *>(m_in.constData() + m_inPos);
        const bool fin = p[0] & 0x80;
        const quint8 opcode = p[0] & 0x0F;
        const bool masked = p[1] & 0x80;
        quint64 len = p[1] & 0x7F;
        qsizetype header = 2;
        if (len == 126) {
            if (avail < 4)
                break;
            len = (quint64(p[2]) << 8) | p[3];
            header = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; ++i)
                len = (len << 8) | p[2 + i];
            header = 10;
        }
        if (len > quint64(kMaxMessageBytes)) {
            fail(QStringLiteral("frame too large"));
            return;
        }
        const qsizetype maskAt = header;
        if (masked)
            header += 4;
        if (avail < header + qsizetype(len))
            break;
        char *payload = m_in.data() + m_inPos + header;
        if (masked) { // servers must not mask, but tolerate it
            const char *key = m_in.constData() + m_inPos + maskAt;
            for (quint64 i = 0; i < len; ++i)
                payload[i] ^= key[i & 3];
        }
        const QByteArrayView data(payload, qsizetype(len));
        m_inPos += header + qsizetype(len);

        switch (opcode) {
        case kOpText:
        case kOpBinary:
            if (fin) {
                if (opcode == kOpText)
                    Q_EMIT textReceived(data);
            } else {
                m_fragmentOpcode = opcode;
                m_fragments = data.toByteArray();
            }
            break;
        case kOpContinuation:
            m_fragments.append(data);
            if (m_fragments.size() > kMaxMessageBytes) {
                fail(QStringLiteral("message too large"));
                return;
            }
            if (fin) {
                const QByteArray whole = std::exchange(m_fragments, {});
                if (m_fragmentOpcode == kOpText)
                    Q_EMIT textReceived(whole);
            }
            break;
        case kOpPing:
            writeFrame(kOpPong, data);
            break;
        case kOpPong:
            break;
        case kOpClose: {
            const int code = len >= 2 ? (uchar(data[0]) << 8) | uchar(data[1]) : 1005;
            writeFrame(kOpClose, data.first(qMin<qsizetype>(2, data.size())));
            flushOutput();
            m_socket->flush();
            fail(QStringLiteral("server closed the WebSocket (code %1)").arg(code));
            return;
        }
        default:
            fail(QStringLiteral("unknown opcode %1").arg(opcode));
            return;
        }
    }
    // Compact only when the consumed prefix is large, so a busy socket moves few bytes.
    if (m_inPos == m_in.size()) {
        m_in.clear();
        m_inPos = 0;
    } else if (m_inPos > 64 * 1024) {
        m_in.remove(0, m_inPos);
        m_inPos = 0;
    }
}

void LeanWebSocket::sendText(QByteArrayView utf8)
{
    writeFrame(kOpText, utf8);
}

void LeanWebSocket::writeFrame(quint8 opcode, QByteArrayView payload)
{
    if (m_closed || !m_handshakeDone)
        return;
    const qsizetype len = payload.size();
    const qsizetype start = m_out.size();
    m_out.resize(start + 14 + len);
    auto *p = reinterpret_cast<uchar *>(m_out.data() + start);
    qsizetype at = 0;
    p[at++] = uchar(0x80 | opcode);
    if (len < 126) {
        p[at++] = uchar(0x80 | len);
    } else if (len <= 0xFFFF) {
        p[at++] = 0x80 | 126;
        p[at++] = uchar(len >> 8);
        p[at++] = uchar(len);
    } else {
        p[at++] = 0x80 | 127;
        for (int i = 7; i >= 0; --i)
            p[at++] = uchar(quint64(len) >> (8 * i));
    }
    const quint32 mask = quint32(nextRandom(m_maskState) >> 32);
    uchar key[4];
    std::memcpy(key, &mask, 4);
    std::memcpy(p + at, key, 4);
    at += 4;
    const auto *src = reinterpret_cast<const uchar *>(payload.data());
    for (qsizetype i = 0; i < len; ++i)
        p[at + i] = src[i] ^ key[i & 3];
    m_out.resize(start + at + len);
    if (start == 0 && m_scheduler)
        m_scheduler->schedule(this);
    else if (!m_scheduler) // the loop has ended: nothing will turn again
        flushOutput();
}

void LeanWebSocket::flushOutput()
{
    if (m_out.isEmpty() || m_closed)
        return;
    const qintptr fd = m_socket->socketDescriptor();
    if (fd < 0) // closed under us: the close is reported by its own signal
        return;
    qsizetype sent = 0;
    if (m_socket->bytesToWrite() == 0) { // nothing of Qt's ahead of these frames
        const ssize_t n = ::send(int(fd), m_out.constData(),
            size_t(m_out.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            sent = n;
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return fail(QStringLiteral("send: %1").arg(QString::fromLocal8Bit(strerror(errno))));
    }
    if (sent < m_out.size()) // the kernel's buffer is full: Qt writes the rest when it drains
        m_socket->write(m_out.constData() + sent, m_out.size() - sent);
    m_out.resize(0); // keeps its capacity (clear() would free it)
}

void LeanWebSocket::close()
{
    if (m_closed)
        return;
    if (m_handshakeDone) {
        const char normal[2] = { char(0x03), char(0xE8) }; // 1000
        writeFrame(kOpClose, QByteArrayView(normal, 2));
        flushOutput();
        m_socket->flush();
    }
    m_closed = true;
    m_socket->disconnectFromHost();
}

void LeanWebSocket::fail(const QString &reason)
{
    if (m_closed)
        return;
    m_closed = true;
    m_socket->abort();
    Q_EMIT closed(reason);
}

QtWebSocketConnection::QtWebSocketConnection(QObject *parent)
    : Connection(parent)
    , m_socket(new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this))
{
    connect(m_socket, &QWebSocket::connected, this, &Connection::opened);
    connect(m_socket, &QWebSocket::textMessageReceived, this,
        [this](const QString &text) { Q_EMIT textReceived(text.toUtf8()); });
    connect(m_socket, &QWebSocket::disconnected, this, [this] {
        if (m_closed)
            return;
        m_closed = true;
        Q_EMIT closed(m_socket->closeReason().isEmpty()
                ? m_socket->errorString()
                : QStringLiteral("server closed the WebSocket (code %1: %2)")
                      .arg(int(m_socket->closeCode()))
                      .arg(m_socket->closeReason()));
    });
}

QtWebSocketConnection::~QtWebSocketConnection()
{
    m_closed = true;
    m_socket->abort();
}

void QtWebSocketConnection::open(const QUrl &url)
{
    m_socket->open(url);
}

void QtWebSocketConnection::sendText(QByteArrayView utf8)
{
    m_socket->sendTextMessage(QString::fromUtf8(utf8));
}

void QtWebSocketConnection::close()
{
    m_closed = true;
    m_socket->close();
}

} // namespace bench
