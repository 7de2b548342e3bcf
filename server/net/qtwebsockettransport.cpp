#include "qtwebsockettransport.h"

#include "net/wsframing.h"

#include <QTcpSocket>
#include <QWebSocket>

#include <algorithm>

namespace dpichat::server {

namespace {
// Frames at least this large are handed to the kernel at once (sendText()).
constexpr qsizetype kFlushAtOnceBytes = 64 * 1024;
} // namespace

QtWebSocketTransport::QtWebSocketTransport(QWebSocket *socket, QTcpSocket *tcp,
                                           qint64 maxIncomingBytes)
    : m_socket(socket), m_tcp(tcp)
{
    m_socket->setMaxAllowedIncomingFrameSize(quint64(maxIncomingBytes));
    m_socket->setMaxAllowedIncomingMessageSize(quint64(maxIncomingBytes));
}

QtWebSocketTransport::~QtWebSocketTransport()
{
    QObject::disconnect(m_socket, nullptr, nullptr, nullptr);
    delete m_socket;
}

void QtWebSocketTransport::setEvents(TransportEvents *events)
{
    QObject::connect(m_socket, &QWebSocket::textMessageReceived, m_socket,
                     [events](const QString &text) { events->onText(text.toUtf8()); });
    QObject::connect(m_socket, &QWebSocket::binaryMessageReceived, m_socket,
                     [events] { events->onBinary(); });
    QObject::connect(m_socket, &QWebSocket::pong, m_socket, [events] { events->onPong(); });
    // Queued: abort() may say it at once, inside a call from the Session.
    QObject::connect(m_socket, &QWebSocket::disconnected, m_socket,
                     [events] { events->onClosed(); }, Qt::QueuedConnection);
}

QHostAddress QtWebSocketTransport::peerAddress() const
{
    return m_socket->peerAddress();
}

qint64 QtWebSocketTransport::bytesQueued() const
{
    return m_socket->bytesToWrite();
}

void QtWebSocketTransport::flushNow()
{
    m_socket->flush();
}

// QWebSocket takes text as a QString and turns it back into UTF-8 (and copies it once more
// before framing it): for frames that are UTF-8 already, two conversions and three copies of
// every reply and push. So the frames are written here, onto the socket QWebSocket writes to,
// as RFC 6455 section 5.2 has a server send them: unmasked, no extensions (Qt negotiates
// none), split into frames of QWebSocket's own outgoingFrameSize(). QWebSocket writes each of
// its frames (pongs, the close frame) into that socket whole and at once, so frames never
// interleave. Every frame comes from a QString or a QJsonDocument, so it is valid UTF-8.
void QtWebSocketTransport::sendText(const QByteArray &utf8)
{
    if (!m_tcp || m_tcp->state() != QAbstractSocket::ConnectedState
        || m_socket->state() != QAbstractSocket::ConnectedState) {
        m_socket->sendTextMessage(QString::fromUtf8(utf8)); // Says why it cannot, if so.
        return;
    }
    const qsizetype frameSize = qsizetype(std::max<quint64>(m_socket->outgoingFrameSize(), 1));
    qsizetype offset = 0;
    do {
        const qsizetype size = std::min(frameSize, utf8.size() - offset);
        const bool first = offset == 0;
        const bool last = offset + size == utf8.size();
        char header[ws::kMaxFrameHeaderBytes];
        const int n = ws::writeFrameHeader(header, first ? ws::Text : ws::Continuation, last,
                                           quint64(size));
        m_tcp->write(header, n);
        if (size > 0)
            m_tcp->write(utf8.constData() + offset, size);
        offset += size;
    } while (offset < utf8.size());
    // A large reply goes to the kernel now rather than when the event loop next polls: the
    // peer starts reading it while this turn of the loop finishes. Small frames wait, so that
    // a turn's replies and pushes leave in one write.
    if (utf8.size() >= kFlushAtOnceBytes)
        m_tcp->flush();
}

void QtWebSocketTransport::ping()
{
    m_socket->ping();
}

void QtWebSocketTransport::close(int code, const QString &reason)
{
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
}

void QtWebSocketTransport::abort()
{
    m_socket->abort();
}

} // namespace dpichat::server
