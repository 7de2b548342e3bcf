#include "testclient.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

TestClient::TestClient(const QUrl &url, QObject *parent) : QObject(parent), m_url(url)
{
    m_socket.setMaxAllowedIncomingMessageSize(64 * 1024 * 1024);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &TestClient::onText);
}

bool TestClient::open(int timeoutMs)
{
    m_socket.open(m_url);
    QDeadlineTimer deadline(timeoutMs);
    while (!isConnected() && !deadline.hasExpired())
        QTest::qWait(2);
    return isConnected();
}

void TestClient::onText(const QString &text)
{
    const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
    const QJsonValue re = o.value(QLatin1StringView("re"));
    if (re.isDouble() && re.toInteger() >= 1'000'000) {
        m_replies.insert(re.toInteger(), o);
        return;
    }
    m_pushes.append(o);
}

QJsonObject TestClient::request(QJsonObject request, int timeoutMs)
{
    // Ids from 1,000,000 up are this helper's; lower ones reach pushes() for tests to see.
    const qint64 id = 1'000'000 + m_nextId++;
    request.insert(QLatin1StringView("id"), id);
    m_socket.sendTextMessage(QString::fromUtf8(QJsonDocument(request).toJson(QJsonDocument::Compact)));
    QDeadlineTimer deadline(timeoutMs);
    while (!m_replies.contains(id) && !deadline.hasExpired() && isConnected())
        QTest::qWait(2);
    return m_replies.take(id);
}

QJsonObject TestClient::login(const QString &email, const QString &password)
{
    return request({{QLatin1StringView("type"), QLatin1StringView("login")},
                    {QLatin1StringView("protocol"), 1},
                    {QLatin1StringView("email"), email},
                    {QLatin1StringView("password"), password}},
                   15'000);
}

QJsonObject TestClient::loginWithToken(const QString &token)
{
    return request({{QLatin1StringView("type"), QLatin1StringView("login")},
                    {QLatin1StringView("protocol"), 1},
                    {QLatin1StringView("token"), token}});
}

void TestClient::sendRaw(const QString &text)
{
    m_socket.sendTextMessage(text);
}

void TestClient::sendRawBinary(const QByteArray &bytes)
{
    m_socket.sendBinaryMessage(bytes);
}

QList<QJsonObject> TestClient::pushesOfType(const QString &type) const
{
    QList<QJsonObject> out;
    for (const QJsonObject &o : m_pushes) {
        if (o.value(QLatin1StringView("type")).toString() == type)
            out.append(o);
    }
    return out;
}

bool TestClient::waitForPushes(const QString &type, int count, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (pushesOfType(type).size() < count && !deadline.hasExpired())
        QTest::qWait(2);
    return pushesOfType(type).size() >= count;
}

QJsonObject TestClient::takePush(const QString &type, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    do {
        for (qsizetype i = 0; i < m_pushes.size(); ++i) {
            if (m_pushes.at(i).value(QLatin1StringView("type")).toString() == type)
                return m_pushes.takeAt(i);
        }
        QTest::qWait(2);
    } while (!deadline.hasExpired());
    return {};
}

bool TestClient::waitForDisconnected(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (m_socket.state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired())
        QTest::qWait(5);
    return m_socket.state() == QAbstractSocket::UnconnectedState;
}
