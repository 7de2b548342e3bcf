#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <memory>

class QTcpSocket;
class QWebSocket;

namespace bench {

/// One WebSocket client session as the load generator sees it: text frames as UTF-8 bytes
/// in and out, so the hot path never converts to UTF-16.
class Connection : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~Connection() override = default;

    virtual void open(const QUrl &url) = 0;
    virtual void sendText(QByteArrayView utf8) = 0;
    virtual void close() = 0;

Q_SIGNALS:
    void opened();
    /// The view is valid only during the emission.
    void textReceived(QByteArrayView utf8);
    void closed(const QString &reason);
};

enum class ClientKind { Lean, Qt };

/// The lean client for ws:// or QWebSocket (which also speaks wss://).
std::unique_ptr<Connection> makeConnection(ClientKind kind, QObject *parent = nullptr);

class OutputScheduler;

/// A minimal RFC 6455 client over QTcpSocket with TCP_NODELAY, masking with a cheap
/// generator and no UTF-16 round trip. It exists so that the driver, not the server, is
/// rarely the bottleneck: QWebSocket costs noticeably more CPU per frame. The socket is
/// unbuffered: a read notification costs one recv() into the frame buffer (Qt's buffered
/// read asks the kernel how much is waiting first), and the frames sent in one turn of the
/// event loop leave together as it ends, in one send() (OutputScheduler) while Qt holds
/// nothing unsent; QTcpSocket's own write path switches its write notifier on and off and
/// takes a turn of the loop for every write.
class LeanWebSocket final : public Connection {
    Q_OBJECT
public:
    explicit LeanWebSocket(QObject *parent = nullptr);
    ~LeanWebSocket() override;

    void open(const QUrl &url) override;
    void sendText(QByteArrayView utf8) override;
    void close() override;

private:
    void onConnected();
    void onReadyRead();
    bool readHandshake();
    void parseFrames();
    void writeFrame(quint8 opcode, QByteArrayView payload);
    friend class OutputScheduler;
    /// Hands the frames gathered in m_out to the socket.
    void flushOutput();
    void fail(const QString &reason);

    QTcpSocket *m_socket = nullptr;
    QByteArray m_key;
    QByteArray m_in;
    qsizetype m_inPos = 0;
    QByteArray m_fragments;
    quint8 m_fragmentOpcode = 0;
    QByteArray m_out; ///< Frames written since the last flushOutput().
    QPointer<OutputScheduler> m_scheduler; ///< This thread's; gone once its loop has ended.
    quint64 m_maskState;
    bool m_handshakeDone = false;
    bool m_closed = false;
    QString m_hostHeader;
    QString m_path;
};

/// QWebSocket behind the same interface, as a reference (and for wss://).
class QtWebSocketConnection final : public Connection {
    Q_OBJECT
public:
    explicit QtWebSocketConnection(QObject *parent = nullptr);
    ~QtWebSocketConnection() override;

    void open(const QUrl &url) override;
    void sendText(QByteArrayView utf8) override;
    void close() override;

private:
    QWebSocket *m_socket = nullptr;
    bool m_closed = false;
};

} // namespace bench
