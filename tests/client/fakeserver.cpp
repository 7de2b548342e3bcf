#include "fakeserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>
#include <QWebSocket>

using namespace Qt::StringLiterals;

FakeServer::FakeServer(QObject *parent)
    : QObject(parent)
    , m_server(u"fake dpichat"_s, QWebSocketServer::NonSecureMode)
{
    connect(&m_server, &QWebSocketServer::newConnection, this, &FakeServer::onNewConnection);
}

FakeServer::~FakeServer()
{
    dropClient();
    m_server.close();
}

bool FakeServer::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QUrl FakeServer::url() const
{
    return QUrl(u"ws://127.0.0.1:%1/"_s.arg(m_server.serverPort()));
}

QJsonObject FakeServer::user(qint64 id)
{
    const bool team = id == kTeamUserId;
    return { { "id"_L1, id }, { "name"_L1, team ? u"Ada"_s : u"Cara"_s },
        { "email"_L1, team ? u"ada@test.example"_s : u"cara@test.example"_s },
        { "role"_L1, team ? u"admin"_s : u"customer"_s }, { "online"_L1, true },
        { "lastSeen"_L1, QJsonValue::Null } };
}

QByteArray FakeServer::welcome(const QByteArray &re) const
{
    const QJsonObject frame { { "type"_L1, "welcome"_L1 },
        { "token"_L1, u"token-%1"_s.arg(kUserId) }, { "user"_L1, user() },
        { "limits"_L1, QJsonObject { { "frameBytes"_L1, 65536 }, { "textChars"_L1, 4000 } } },
        { "server"_L1, QJsonObject { { "version"_L1, "fake"_L1 } } } };
    QByteArray text = QJsonDocument(frame).toJson(QJsonDocument::Compact);
    text.insert(1, "\"re\":" + re + ',');
    return text;
}

void FakeServer::onNewConnection()
{
    while (QWebSocket *socket = m_server.nextPendingConnection()) {
        dropClient();
        ++m_connectionCount;
        m_client = socket;
        connect(socket, &QWebSocket::textMessageReceived, this, &FakeServer::onText);
        connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void FakeServer::dropClient()
{
    if (!m_client)
        return;
    QWebSocket *socket = m_client;
    m_client.clear();
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

void FakeServer::sendText(const QString &text)
{
    if (m_client)
        m_client->sendTextMessage(text);
}

void FakeServer::sendBinary(const QByteArray &bytes)
{
    if (m_client)
        m_client->sendBinaryMessage(bytes);
}

void FakeServer::reply(const QJsonValue &re, QJsonObject frame)
{
    frame.insert("re"_L1, re);
    sendText(QString::fromUtf8(QJsonDocument(frame).toJson(QJsonDocument::Compact)));
}

QJsonObject FakeServer::store(qint64 sender, const QString &clientId, const QString &text)
{
    for (const QJsonObject &m : std::as_const(m_messages)) {
        if (m.value("clientId"_L1).toString() == clientId
            && m.value("sender"_L1).toInteger() == sender)
            return m; // the same clientId again: the original, nothing new
    }
    const QJsonObject m { { "id"_L1, m_nextId++ }, { "thread"_L1, kThreadId },
        { "sender"_L1, sender }, { "senderName"_L1, user(sender).value("name"_L1) },
        { "clientId"_L1, clientId }, { "text"_L1, text },
        { "createdAt"_L1, "2026-01-01T12:00:00.000Z"_L1 } };
    m_messages.append(m);
    return m;
}

int FakeServer::storedCount(const QString &clientId) const
{
    return int(std::count_if(m_messages.cbegin(), m_messages.cend(),
        [&](const QJsonObject &m) { return m.value("clientId"_L1).toString() == clientId; }));
}

qint64 FakeServer::pushTeamMessage(const QString &text)
{
    const QJsonObject m
        = store(kTeamUserId, QUuid::createUuid().toString(QUuid::WithoutBraces), text);
    sendText(QString::fromUtf8(QJsonDocument(
        QJsonObject { { "type"_L1, "message"_L1 },
            { "message"_L1, m } }).toJson(QJsonDocument::Compact)));
    return m.value("id"_L1).toInteger();
}

void FakeServer::onText(const QString &text)
{
    const QJsonObject request = QJsonDocument::fromJson(text.toUtf8()).object();
    const QString type = request.value("type"_L1).toString();
    const QJsonValue id = request.value("id"_L1);
    ++m_requestCounts[type];
    if (type == m_hold) {
        m_heldId = QByteArray::number(id.toInteger());
        return;
    }
    if (type == u"login") {
        sendText(QString::fromUtf8(welcome(QByteArray::number(id.toInteger()))));
    } else if (type == u"threads") {
        const QJsonObject thread { { "id"_L1, kThreadId }, { "owner"_L1, user() },
            { "lastMessage"_L1, QJsonValue::Null }, { "unread"_L1, 0 },
            { "readUpTo"_L1, QJsonObject { { "owner"_L1, 0 }, { "team"_L1, 0 } } } };
        reply(id, { { "type"_L1, "threads"_L1 }, { "threads"_L1, QJsonArray { thread } } });
    } else if (type == u"history") {
        QJsonArray messages;
        for (const QJsonObject &m : std::as_const(m_messages)) {
            if (m.value("thread"_L1) == request.value("thread"_L1))
                messages.append(m);
        }
        reply(id,
            { { "type"_L1, "history"_L1 }, { "thread"_L1, request.value("thread"_L1) },
                { "messages"_L1, messages }, { "hasMore"_L1, false } });
    } else if (type == u"sync") {
        QJsonArray messages;
        for (const QJsonObject &m : std::as_const(m_messages)) {
            if (m_endlessSync
                || m.value("id"_L1).toInteger() > request.value("after"_L1).toInteger())
                messages.append(m);
        }
        reply(id,
            { { "type"_L1, "sync"_L1 }, { "messages"_L1, messages },
                { "hasMore"_L1, m_endlessSync } });
    } else if (type == u"send") {
        const QJsonObject m = store(
            kUserId, request.value("clientId"_L1).toString(), request.value("text"_L1).toString());
        reply(id, { { "type"_L1, "sent"_L1 }, { "message"_L1, m } });
    } else if (type == u"read" || type == u"logout") {
        reply(id, { { "type"_L1, "ok"_L1 } });
    } else if (type == u"ping") {
        reply(id, { { "type"_L1, "pong"_L1 } });
    }
}
