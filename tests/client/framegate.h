#pragma once

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>
#include <memory>
#include <vector>

/// A real TCP relay between a WebSocket client and the server that counts the client's
/// frames: a test can stop them, let exactly N messages through, and hold back what the
/// server answers. So "the server stored 75 of 200 and the client saw 50 acks" is a state a
/// test reaches by construction, not by racing a timer. Held bytes are dropped, never
/// delivered, when the client goes away (as the kernel would drop a dead process's unsent
/// data).
class FrameGate : public QObject {
    Q_OBJECT
public:
    explicit FrameGate(quint16 targetPort, QObject *parent = nullptr);
    ~FrameGate() override;
    bool listen();
    QUrl url() const;

    /// From now on the client's frames are held; call it while the client is idle (between
    /// frames), e.g. after its login.
    void closeUpstream();
    /// Forwards everything held and everything after it.
    void openUpstream();
    /// Lets the next `count` held data messages (and the control frames among them) through.
    void releaseMessages(int count);
    /// Complete data messages from the client waiting at the gate.
    int heldMessages() const;
    /// While held, what the server sends is buffered instead of reaching the client.
    void holdDownstream(bool hold);
    int connectionCount() const { return int(m_links.size()); }

private:
    struct Link {
        QPointer<QTcpSocket> client;
        QPointer<QTcpSocket> upstream;
        QByteArray up; ///< From the client, not forwarded yet.
        QByteArray down; ///< From the server, not forwarded yet.
    };
    void onNewConnection();
    void pump(Link &link);
    void drop(Link *link);

    QTcpServer m_server;
    quint16 m_targetPort;
    bool m_gated = false;
    bool m_holdDown = false;
    int m_allowance = 0; ///< Data messages that may still pass while gated.
    std::vector<std::unique_ptr<Link>> m_links;
};
