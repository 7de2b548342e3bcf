#include "tcpproxy.h"

#include <QUrl>

TcpProxy::TcpProxy(quint16 targetPort, QObject *parent)
    : QObject(parent), m_targetPort(targetPort)
{
    connect(&m_server, &QTcpServer::newConnection, this, &TcpProxy::onNewConnection);
}

TcpProxy::~TcpProxy()
{
    // The sockets die with m_server, after m_links: they must not call back into us.
    for (Link *link : std::as_const(m_links)) {
        if (link->client)
            link->client->disconnect(this);
        if (link->upstream)
            link->upstream->disconnect(this);
        delete link;
    }
    m_links.clear();
}

bool TcpProxy::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QUrl TcpProxy::url() const
{
    return QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port()));
}

void TcpProxy::holdUpstream(bool hold)
{
    m_hold = hold;
    if (!hold) {
        for (Link *link : std::as_const(m_links))
            flush(*link);
    }
}

void TcpProxy::flush(Link &link)
{
    if (link.upstream && link.upstream->state() == QAbstractSocket::ConnectedState
        && !link.held.isEmpty()) {
        link.upstream->write(link.held);
        link.held.clear();
    }
}

void TcpProxy::dropAll()
{
    const QList<Link *> links = std::exchange(m_links, {});
    for (Link *link : links) {
        if (link->client)
            link->client->abort();
        if (link->upstream)
            link->upstream->abort();
        if (link->client)
            link->client->deleteLater();
        delete link;
    }
}

int TcpProxy::connectionCount() const
{
    return int(m_links.size());
}

void TcpProxy::onNewConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        auto *link = new Link;
        link->client = client;
        link->upstream = new QTcpSocket(client);
        m_links.append(link);
        connect(client, &QTcpSocket::readyRead, this, [this, link] {
            link->held += link->client->readAll();
            if (!m_hold)
                flush(*link);
        });
        connect(link->upstream, &QTcpSocket::connected, this, [this, link] {
            if (!m_hold)
                flush(*link);
        });
        connect(link->upstream, &QTcpSocket::readyRead, this, [link] {
            if (link->client)
                link->client->write(link->upstream->readAll());
        });
        auto close = [this, link] {
            if (!m_links.removeOne(link))
                return;
            if (link->client)
                link->client->disconnectFromHost();
            if (link->upstream)
                link->upstream->disconnectFromHost();
            if (link->client)
                link->client->deleteLater();
            delete link;
        };
        connect(client, &QTcpSocket::disconnected, this, close);
        connect(link->upstream, &QTcpSocket::disconnected, this, close);
        connect(client, &QObject::destroyed, this, close);
        link->upstream->connectToHost(QHostAddress::LocalHost, m_targetPort);
    }
}
