#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

/// A real TCP relay between a client and the server for tests: it lets a test hold back
/// what the client sends (a slow uplink) and cut every link, without touching either side.
class TcpProxy : public QObject
{
    Q_OBJECT
public:
    explicit TcpProxy(quint16 targetPort, QObject *parent = nullptr);
    ~TcpProxy() override;
    bool listen();
    quint16 port() const { return m_server.serverPort(); }
    QUrl url() const;

    /// While held, bytes from clients are buffered instead of forwarded.
    void holdUpstream(bool hold);
    /// Closes every relayed connection (both sides see the link go down).
    void dropAll();
    int connectionCount() const;

private:
    struct Link
    {
        QPointer<QTcpSocket> client;
        QPointer<QTcpSocket> upstream;
        QByteArray held;
    };
    void onNewConnection();
    void flush(Link &link);

    QTcpServer m_server;
    quint16 m_targetPort;
    bool m_hold = false;
    QList<Link *> m_links;
};
