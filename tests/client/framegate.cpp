#include "framegate.h"

#include <algorithm>

namespace {

/// The length of the complete WebSocket frame at `pos` (RFC 6455 §5.2), or -1 when it has
/// not fully arrived yet.
qsizetype frameLength(const QByteArray &bytes, qsizetype pos)
{
    const qsizetype avail = bytes.size() - pos;
    if (avail < 2)
        return -1;
    const auto b1 = quint8(bytes.at(pos + 1));
    qsizetype header = 2;
    quint64 payload = b1 & 0x7f;
    if (payload == 126) {
        if (avail < 4)
            return -1;
        payload = (quint64(quint8(bytes.at(pos + 2))) << 8) | quint8(bytes.at(pos + 3));
        header = 4;
    } else if (payload == 127) {
        if (avail < 10)
            return -1;
        payload = 0;
        for (int i = 0; i < 8; ++i)
            payload = (payload << 8) | quint8(bytes.at(pos + 2 + i));
        header = 10;
    }
    if (b1 & 0x80)
        header += 4; // masking key
    if (payload > quint64(avail - header))
        return -1;
    return header + qsizetype(payload);
}

/// Whether the frame at `pos` completes a data message (FIN set, text, binary or a
/// continuation); control frames (close, ping, pong) do not count.
bool endsDataMessage(const QByteArray &bytes, qsizetype pos)
{
    const auto b0 = quint8(bytes.at(pos));
    return (b0 & 0x80) && (b0 & 0x0f) < 0x8;
}

} // namespace

FrameGate::FrameGate(quint16 targetPort, QObject *parent)
    : QObject(parent)
    , m_targetPort(targetPort)
{
    connect(&m_server, &QTcpServer::newConnection, this, &FrameGate::onNewConnection);
}

FrameGate::~FrameGate()
{
    while (!m_links.empty())
        drop(m_links.back().get());
}

bool FrameGate::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QUrl FrameGate::url() const
{
    return QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(m_server.serverPort()));
}

void FrameGate::closeUpstream()
{
    m_gated = true;
    m_allowance = 0;
}

void FrameGate::openUpstream()
{
    m_gated = false;
    for (const auto &link : m_links)
        pump(*link);
}

void FrameGate::releaseMessages(int count)
{
    m_allowance += count;
    for (const auto &link : m_links)
        pump(*link);
}

int FrameGate::heldMessages() const
{
    int n = 0;
    for (const auto &link : m_links) {
        qsizetype pos = 0;
        for (qsizetype len; (len = frameLength(link->up, pos)) > 0; pos += len) {
            if (endsDataMessage(link->up, pos))
                ++n;
        }
    }
    return n;
}

void FrameGate::holdDownstream(bool hold)
{
    m_holdDown = hold;
    for (const auto &link : m_links)
        pump(*link);
}

void FrameGate::pump(Link &link)
{
    if (link.upstream && link.upstream->state() == QAbstractSocket::ConnectedState
        && !link.up.isEmpty()) {
        qsizetype pass = link.up.size();
        if (m_gated) {
            pass = 0;
            for (qsizetype len; (len = frameLength(link.up, pass)) > 0; pass += len) {
                if (endsDataMessage(link.up, pass)) {
                    if (m_allowance == 0)
                        break;
                    --m_allowance;
                }
            }
        }
        link.upstream->write(link.up.left(pass));
        link.up.remove(0, pass);
    }
    if (!m_holdDown && link.client && !link.down.isEmpty()) {
        link.client->write(link.down);
        link.down.clear();
    }
}

void FrameGate::drop(Link *link)
{
    const auto it = std::find_if(
        m_links.begin(), m_links.end(), [link](const auto &l) { return l.get() == link; });
    if (it == m_links.end())
        return;
    std::unique_ptr<Link> owned = std::move(*it);
    m_links.erase(it);
    // Released bytes still go out (the kernel would deliver them too); held ones never do.
    if (link->upstream) {
        link->upstream->disconnect(this);
        link->upstream->flush();
        link->upstream->disconnectFromHost();
    }
    if (link->client) {
        link->client->disconnect(this);
        link->client->abort();
        link->client->deleteLater(); // the upstream socket is its child
    }
}

void FrameGate::onNewConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        auto owned = std::make_unique<Link>();
        Link *link = owned.get();
        link->client = client;
        link->upstream = new QTcpSocket(client);
        m_links.push_back(std::move(owned));
        connect(client, &QTcpSocket::readyRead, this, [this, link] {
            link->up += link->client->readAll();
            pump(*link);
        });
        connect(link->upstream, &QTcpSocket::connected, this, [this, link] { pump(*link); });
        connect(link->upstream, &QTcpSocket::readyRead, this, [this, link] {
            link->down += link->upstream->readAll();
            pump(*link);
        });
        connect(client, &QTcpSocket::disconnected, this, [this, link] { drop(link); });
        connect(link->upstream, &QTcpSocket::disconnected, this, [this, link] { drop(link); });
        link->upstream->connectToHost(QHostAddress::LocalHost, m_targetPort);
    }
}
