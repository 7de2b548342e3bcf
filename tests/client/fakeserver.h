#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QUrl>
#include <QWebSocketServer>

class QWebSocket;

/// An in-process stand-in for dpichat-server on 127.0.0.1:0, for tests of what the client
/// does with a server that misbehaves. It speaks just enough of the protocol for one customer
/// (user kUserId, thread kThreadId): login (by password or token), threads, history, sync,
/// send (idempotent by clientId), read, ping; and it sends whatever a test asks it to, valid
/// or not. One client at a time: a new connection replaces the previous one.
class FakeServer : public QObject {
    Q_OBJECT
public:
    static constexpr qint64 kUserId = 7;
    static constexpr qint64 kTeamUserId = 1;
    static constexpr qint64 kThreadId = 70;

    explicit FakeServer(QObject *parent = nullptr);
    ~FakeServer() override;
    bool listen();
    QUrl url() const;

    /// Requests of this type (e.g. "history") are recorded but not answered; empty: none.
    void holdRequests(const QString &type) { m_hold = type; }
    /// The id of the last held request, as the JSON text a reply puts in `re`.
    QByteArray heldId() const { return m_heldId; }
    int requestCount(const QString &type) const { return m_requestCounts.value(type); }
    int connectionCount() const { return m_connectionCount; }
    /// Answers every `sync` with the stored messages and hasMore=true, however far it got.
    void setEndlessSync(bool endless) { m_endlessSync = endless; }

    void sendText(const QString &text);
    void sendBinary(const QByteArray &bytes);
    void dropClient();
    /// Stores a message from the support team in the customer's thread and pushes it.
    qint64 pushTeamMessage(const QString &text);
    /// How many stored messages carry this clientId.
    int storedCount(const QString &clientId) const;

    static QJsonObject user(qint64 id = kUserId);
    QByteArray welcome(const QByteArray &re) const;

private:
    void onNewConnection();
    void onText(const QString &text);
    void reply(const QJsonValue &re, QJsonObject frame);
    QJsonObject store(qint64 sender, const QString &clientId, const QString &text);

    QWebSocketServer m_server;
    QPointer<QWebSocket> m_client;
    QString m_hold;
    QByteArray m_heldId;
    QHash<QString, int> m_requestCounts;
    int m_connectionCount = 0;
    bool m_endlessSync = false;
    QList<QJsonObject> m_messages; ///< Stored, by id.
    qint64 m_nextId = 100;
};
