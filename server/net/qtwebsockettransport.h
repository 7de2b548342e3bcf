#pragma once

#include "net/transport.h"

#include <QPointer>

class QTcpSocket;
class QWebSocket;

namespace dpichat::server {

/// A Transport on QWebSocket: what serves wss:// (QSslServer does the TLS handshake, then
/// QWebSocketServer the upgrade), and plain ws:// with `--websocket qt`.
class QtWebSocketTransport final : public Transport
{
public:
    /// Takes `socket`. `tcp` is the connection `socket` was upgraded from, which frames are
    /// written onto (see sendText()); null leaves all writing to `socket`.
    QtWebSocketTransport(QWebSocket *socket, QTcpSocket *tcp, qint64 maxIncomingBytes);
    ~QtWebSocketTransport() override;

    /// Where the events go; set once, before the event loop runs again.
    void setEvents(TransportEvents *events) override;

    QHostAddress peerAddress() const override;
    bool isUpgraded() const override { return true; }
    qint64 bytesQueued() const override;
    void flushNow() override;
    void sendText(const QByteArray &utf8) override;
    void ping() override;
    void close(int code, const QString &reason) override;
    void abort() override;

private:
    QWebSocket *m_socket;
    /// Guarded: it belongs to the listening QTcpServer, which may delete it first when the
    /// server shuts down.
    QPointer<QTcpSocket> m_tcp;
};

} // namespace dpichat::server
