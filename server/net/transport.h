#pragma once

#include <QByteArrayView>
#include <QHostAddress>

namespace dpichat::server {

/// What a Transport tells its Session. Calls come on the event loop's thread; onClosed() comes
/// once, and never from inside a call the Session made into the Transport.
class TransportEvents
{
public:
    /// The WebSocket upgrade finished: frames can flow.
    virtual void onUpgraded() = 0;
    /// One whole text message, valid UTF-8.
    virtual void onText(QByteArrayView utf8) = 0;
    virtual void onBinary() = 0;
    /// A pong (or anything else that shows the peer is alive and reading).
    virtual void onPong() = 0;
    /// The connection is closing on its own (the peer broke the protocol and was sent a close
    /// frame): nothing more can be sent, and the Session drops it if the peer does not go.
    virtual void onClosing() = 0;
    /// The connection is gone; nothing more comes.
    virtual void onClosed() = 0;

protected:
    ~TransportEvents() = default;
};

/// One WebSocket connection as a Session uses it. Two kinds: OwnWebSocket (plain ws://, the
/// server's own lean implementation on the socket descriptor) and QtWebSocketTransport
/// (QWebSocket, for wss://).
class Transport
{
public:
    virtual ~Transport() = default;

    /// Where the events go; set once, by the Session, before the event loop runs again.
    virtual void setEvents(TransportEvents *events) = 0;

    virtual QHostAddress peerAddress() const = 0;
    /// Whether the WebSocket upgrade has finished.
    virtual bool isUpgraded() const = 0;
    /// Output accepted but not yet taken by the kernel.
    virtual qint64 bytesQueued() const = 0;
    /// Offers what is queued to the kernel now, without waiting for the event loop.
    virtual void flushNow() = 0;
    /// Queues one text message (UTF-8 JSON) as server frames; it leaves, together with
    /// everything else queued in this turn of the event loop, when the turn ends.
    virtual void sendText(const QByteArray &utf8) = 0;
    virtual void ping() = 0;
    /// Sends a close frame; the connection closes when the peer answers it (or is aborted).
    virtual void close(int code, const QString &reason) = 0;
    /// Drops the connection now, without a close handshake.
    virtual void abort() = 0;
};

} // namespace dpichat::server
