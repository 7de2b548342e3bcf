#include "wsmeasure.h"

#include "protocol/codec.h"
#include "protocol/limits.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>
#include <QWebSocket>

using namespace Qt::StringLiterals;

namespace dpichat::bigdata {

namespace {

constexpr int kTimeoutMs = 60'000;

/// One WebSocket and one request at a time: send, then wait for the frame that answers it.
class Client
{
public:
    Client()
    {
        QObject::connect(&m_socket, &QWebSocket::textMessageReceived, &m_loop,
                         [this](const QString &text) {
                             // Pushes (presence and the like) carry no `re`: not ours.
                             const qint64 elapsed = m_timer.nsecsElapsed();
                             const QJsonObject frame = QJsonDocument::fromJson(text.toUtf8()).object();
                             if (frame.value(u"re"_s).toInteger(-1) != m_waitingFor)
                                 return;
                             m_elapsedNs = elapsed;
                             m_replyChars = text.size();
                             m_reply = frame;
                             m_loop.quit();
                         });
        QObject::connect(&m_socket, &QWebSocket::connected, &m_loop, &QEventLoop::quit);
        QObject::connect(&m_socket, &QWebSocket::disconnected, &m_loop, &QEventLoop::quit);
    }

    bool open(const QUrl &url)
    {
        QTimer::singleShot(kTimeoutMs, &m_loop, &QEventLoop::quit);
        m_socket.open(url);
        m_loop.exec();
        return m_socket.state() == QAbstractSocket::ConnectedState;
    }

    /// Sends the request and returns its reply's type, or an empty string on a timeout or a
    /// closed socket; micros() is how long the reply took.
    QString request(const Request &request)
    {
        m_waitingFor = ++m_nextId;
        m_reply = {};
        QTimer timeout;
        timeout.setSingleShot(true);
        QObject::connect(&timeout, &QTimer::timeout, &m_loop, &QEventLoop::quit);
        timeout.start(kTimeoutMs);
        const QString frame = QString::fromUtf8(encodeRequest(request, QJsonValue(m_waitingFor)));
        m_timer.start();
        m_socket.sendTextMessage(frame);
        m_loop.exec();
        return m_reply.value(u"type"_s).toString();
    }
    qint64 micros() const { return m_elapsedNs / 1000; }
    qint64 replyChars() const { return m_replyChars; }
    void close() { m_socket.close(); }

private:
    QWebSocket m_socket;
    QEventLoop m_loop;
    QElapsedTimer m_timer;
    qint64 m_nextId = 0;
    qint64 m_waitingFor = -1;
    qint64 m_elapsedNs = 0;
    qint64 m_replyChars = 0;
    QJsonObject m_reply;
};

int startServer(QProcess &server, const Options &options)
{
    const QString db = options.db.startsWith(u"sqlite:") || options.db.startsWith(u"postgres")
            ? options.db
            : u"sqlite:"_s + options.db;
    server.setStandardErrorFile(QProcess::nullDevice());
    server.start(options.serverBinary, {u"--db"_s, db, u"--port"_s, u"0"_s, u"--rate-limit"_s,
                                        u"0"_s});
    if (!server.waitForStarted(10'000))
        return 0;
    static const QRegularExpression listening(u"listening on ws://[^ ]+:(\\d+)/"_s);
    QByteArray seen;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < kTimeoutMs && server.state() == QProcess::Running) {
        server.waitForReadyRead(200);
        seen += server.readAllStandardOutput();
        const auto match = listening.match(QString::fromUtf8(seen));
        if (match.hasMatch())
            return match.captured(1).toInt();
    }
    return 0;
}

void stopServer(QProcess &server)
{
    if (server.state() == QProcess::NotRunning)
        return;
    server.terminate();
    if (!server.waitForFinished(10'000)) {
        server.kill();
        server.waitForFinished();
    }
}

} // namespace

bool measureWebSocket(const Options &options, Sampler &sampler, QList<Series> &series)
{
    QProcess server;
    const int port = startServer(server, options);
    const auto fail = [&](const QString &why) {
        QTextStream(stderr) << "dpichat-bigdata: end to end: " << why << Qt::endl;
        stopServer(server);
        return false;
    };
    if (port <= 0)
        return fail(u"the server did not start"_s);

    Client client;
    if (!client.open(QUrl(u"ws://127.0.0.1:%1/"_s.arg(port))))
        return fail(u"cannot connect"_s);
    const User &admin = sampler.admins().constFirst();
    LoginRequest login;
    login.protocol = limits::kProtocolVersion;
    login.email = admin.email;
    login.password = options.password;
    if (client.request(login) != u"welcome")
        return fail(u"the admin could not log in (was the database made with this --password?)"_s);

    Series threads{u"threads (admin, all threads)"_s, 50, {}, {}};
    Series historyNewest{u"history (newest page, 50)"_s, 5, {}, {}};
    Series historyBefore{u"history (before an id, 50)"_s, 5, {}, {}};
    Series syncAdmin{u"sync (admin, page of 500)"_s, 20, {}, {}};
    bool ok = client.request(ThreadsRequest{}) == u"threads"; // Warm-up, untimed.
    QTextStream(stdout) << "end to end: the threads reply has " << client.replyChars()
                        << " characters" << Qt::endl;
    const auto timed = [&](Series &s, const Request &r, QLatin1StringView expected) {
        const bool answered = client.request(r) == expected;
        s.micros.append(client.micros());
        return answered;
    };
    const int threadsEvery = std::max(1, options.samples / options.threadsSamples);
    for (int i = 0; ok && i < options.samples; ++i) {
        if (i % threadsEvery == 0 && threads.micros.size() < options.threadsSamples)
            ok = timed(threads, ThreadsRequest{}, "threads"_L1);
        HistoryRequest newest;
        newest.thread = sampler.randomThread();
        newest.limit = limits::kHistoryDefaultLimit;
        const auto [before, beforeThread] = sampler.randomMessage();
        HistoryRequest older;
        older.thread = beforeThread;
        older.before = before;
        older.limit = limits::kHistoryDefaultLimit;
        SyncRequest sync;
        sync.after = sampler.randomCursor();
        sync.limit = limits::kSyncMaxLimit;
        ok = ok && timed(historyNewest, newest, "history"_L1)
                && timed(historyBefore, older, "history"_L1) && timed(syncAdmin, sync, "sync"_L1);
    }
    while (ok && threads.micros.size() < options.threadsSamples)
        ok = timed(threads, ThreadsRequest{}, "threads"_L1);
    client.close();
    stopServer(server);
    series = {threads, historyNewest, historyBefore, syncAdmin};
    if (!ok)
        QTextStream(stderr) << "dpichat-bigdata: end to end: a request failed or timed out"
                            << Qt::endl;
    return ok;
}

} // namespace dpichat::bigdata
