// A ping probe for the chaos suites, in a process of its own: what it measures is how soon the
// server answers, not how late the event loop of a test busy with thousands of clients gets to
// the answer.
//
// Usage: chaos_pingprobe URL TOKEN [INTERVAL_MS]
// Logs in by token and prints "ready"; then sends a ping every INTERVAL_MS (default 200) on
// time, also while earlier ones are unanswered, and prints "rtt SEQ MS" for each pong. When
// its standard input closes it prints "done SENT ANSWERED WORST_OUTSTANDING_MS" and exits 0;
// it exits 1 if the connection or the login fails.

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <cstdio>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kLoginId = 1;

void say(const QByteArray &line)
{
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

QString frame(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 3) {
        std::fprintf(stderr, "usage: chaos_pingprobe URL TOKEN [INTERVAL_MS]\n");
        return 2;
    }
    const QUrl url(args.at(1));
    const QString token = args.at(2);
    const int intervalMs = args.size() > 3 ? args.at(3).toInt() : 200;

    QWebSocket socket;
    QElapsedTimer clock;
    clock.start();
    QHash<qint64, qint64> outstanding; // ping id -> sent at (ms on clock)
    qint64 nextId = kLoginId + 1, sent = 0, answered = 0;
    bool ready = false;

    QTimer pinger;
    pinger.setTimerType(Qt::PreciseTimer);
    pinger.setInterval(intervalMs);
    QObject::connect(&pinger, &QTimer::timeout, &socket, [&] {
        const qint64 id = nextId++;
        outstanding.insert(id, clock.elapsed());
        ++sent;
        socket.sendTextMessage(frame({{u"type"_s, u"ping"_s}, {u"id"_s, id}}));
    });

    QObject::connect(&socket, &QWebSocket::connected, &socket, [&] {
        socket.sendTextMessage(frame({{u"type"_s, u"login"_s},
                                      {u"id"_s, kLoginId},
                                      {u"protocol"_s, 1},
                                      {u"token"_s, token}}));
    });
    QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket, [&](const QString &text) {
        const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
        const QString type = o.value(u"type"_s).toString();
        const qint64 re = o.value(u"re"_s).toInteger();
        if (!ready && re == kLoginId) {
            if (type != u"welcome") {
                say("login failed: " + type.toUtf8());
                app.exit(1);
                return;
            }
            ready = true;
            say("ready");
            pinger.start();
            return;
        }
        if (type == u"pong" && outstanding.contains(re)) {
            ++answered;
            say("rtt " + QByteArray::number(re) + ' '
                + QByteArray::number(clock.elapsed() - outstanding.take(re)));
        }
    });
    QObject::connect(&socket, &QWebSocket::disconnected, &socket, [&] {
        say("disconnected");
        app.exit(1);
    });

    // The end: standard input closed by the test.
    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&input, &QSocketNotifier::activated, &socket, [&] {
        char buffer[256];
        if (::read(STDIN_FILENO, buffer, sizeof buffer) > 0)
            return;
        input.setEnabled(false);
        // Nothing more after "done": a pong handled while the loop winds down would print an
        // rtt line that "done" did not count.
        pinger.stop();
        QObject::disconnect(&socket, &QWebSocket::textMessageReceived, nullptr, nullptr);
        qint64 worstOutstanding = 0;
        for (const qint64 at : std::as_const(outstanding))
            worstOutstanding = qMax(worstOutstanding, clock.elapsed() - at);
        say("done " + QByteArray::number(sent) + ' ' + QByteArray::number(answered) + ' '
            + QByteArray::number(worstOutstanding));
        QObject::disconnect(&socket, &QWebSocket::disconnected, nullptr, nullptr);
        app.exit(0);
    });

    socket.open(url);
    return app.exec();
}
