#pragma once

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QUrl>
#include <QWebSocket>

/// A protocol-level WebSocket client for tests: sends JSON requests, waits for the reply
/// with the matching `re`, and keeps every push it receives in arrival order.
class TestClient : public QObject
{
    Q_OBJECT
public:
    explicit TestClient(const QUrl &url, QObject *parent = nullptr);

    bool open(int timeoutMs = 5000);
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    /// Sends `request` with a fresh integer id and returns the reply (empty on time-out).
    QJsonObject request(QJsonObject request, int timeoutMs = 5000);
    /// Logs in by password; returns the welcome (or error) reply.
    QJsonObject login(const QString &email, const QString &password);
    QJsonObject loginWithToken(const QString &token);
    void sendRaw(const QString &text);
    void sendRawBinary(const QByteArray &bytes);
    /// Waits for the next push of `type` and takes it out of pushes(); empty on time-out.
    QJsonObject takePush(const QString &type, int timeoutMs = 5000);
    /// Waits until at least `count` pushes of `type` are held.
    bool waitForPushes(const QString &type, int count, int timeoutMs = 5000);
    /// Every frame received so far that is not a reply to a request() (pushes, and replies
    /// to frames sent with sendRaw).
    QList<QJsonObject> &pushes() { return m_pushes; }
    QList<QJsonObject> pushesOfType(const QString &type) const;
    bool waitForDisconnected(int timeoutMs = 5000);
    int closeCode() const { return int(m_socket.closeCode()); }
    QWebSocket &socket() { return m_socket; }

private:
    void onText(const QString &text);

    QWebSocket m_socket;
    QUrl m_url;
    qint64 m_nextId = 1;
    QHash<qint64, QJsonObject> m_replies;
    QList<QJsonObject> m_pushes;
};
