// The client's core as its own process, for tests that kill it: the real Connection, Outbox
// and ChatSession, with the outbox in the SQLite file given on the command line.
//
//   dpichat-outboxdriver --url ws://127.0.0.1:PORT/ --email E --outbox FILE
//
// Standard input: the password on the first line, then commands, one a line:
//   queue N PREFIX   queue N messages with the texts PREFIX-000, PREFIX-001, ...
//   quit             disconnect and exit 0 (also on end of input)
// Standard output, one line each (counts and ids only, never texts):
//   restored N       after the login: N of this account's messages were in the outbox
//   ready T          caught up; T is the user's own thread
//   queued N         N messages are now in the outbox file (read back from the file)
//   acked N          N `sent` replies received so far by this process
//   empty            the outbox of this account is empty (printed once)
//   login-failed     and the process exits with 2

#include "chatsession.h"
#include "outbox.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <cstdio>
#include <unistd.h>

using namespace dpichat;

namespace {

void say(const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

class Driver : public QObject {
public:
    Driver(const QUrl &url, const QString &email, const QString &outboxPath)
        : m_url(url)
        , m_email(email)
        , m_outbox(outboxPath)
        , m_session(&m_connection, &m_outbox)
    {
        // Short reconnects; no keep-alive ping, so that every frame it sends after the login
        // is a `send` (a test counts them).
        m_connection.setBackoff(100, 1000);
        m_connection.setPingInterval(3'600'000, 60'000);
        connect(&m_connection, &Connection::loggedIn, this,
            [this] { say(QStringLiteral("restored %1").arg(m_outbox.count())); });
        connect(&m_connection, &Connection::loginFailed, this, [] {
            say(QStringLiteral("login-failed"));
            QCoreApplication::exit(2);
        });
        connect(&m_session, &ChatSession::caughtUp, this, [this] {
            if (m_ready)
                return;
            m_ready = true;
            say(QStringLiteral("ready %1").arg(m_session.ownThreadId()));
            reportIfEmpty();
        });
        connect(&m_connection, &Connection::messageSent, this, [this] {
            say(QStringLiteral("acked %1").arg(++m_acked));
            reportIfEmpty();
        });
        m_stdin.setEnabled(true);
        connect(&m_stdin, &QSocketNotifier::activated, this, &Driver::readInput);
    }

private:
    void readInput()
    {
        char buffer[4096];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) {
            quit();
            return;
        }
        m_input.append(buffer, n);
        for (qsizetype end; (end = m_input.indexOf('\n')) >= 0;) {
            const QString line = QString::fromUtf8(m_input.left(end)).trimmed();
            m_input.remove(0, end + 1);
            handleLine(line);
        }
    }

    void handleLine(const QString &line)
    {
        if (!m_passwordRead) {
            m_passwordRead = true;
            m_connection.loginWithPassword(m_url, m_email, line);
            return;
        }
        const QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (words.value(0) == u"queue" && words.size() == 3) {
            const qint64 thread = m_session.ownThreadId();
            const int count = words.at(1).toInt();
            for (int i = 0; i < count; ++i)
                m_session.send(thread,
                    QStringLiteral("%1-%2").arg(words.at(2)).arg(i, 3, 10, QLatin1Char('0')));
            // Read back from the file: what a SIGKILL from now on cannot take away.
            say(QStringLiteral("queued %1").arg(m_outbox.count()));
        } else if (words.value(0) == u"quit") {
            quit();
        }
    }

    void reportIfEmpty()
    {
        if (!m_reportedEmpty && m_ready && m_outbox.count() == 0) {
            m_reportedEmpty = true;
            say(QStringLiteral("empty"));
        }
    }

    void quit()
    {
        m_stdin.setEnabled(false);
        m_connection.disconnectFromServer();
        QCoreApplication::quit();
    }

    QUrl m_url;
    QString m_email;
    Connection m_connection;
    Outbox m_outbox;
    ChatSession m_session;
    QSocketNotifier m_stdin { STDIN_FILENO, QSocketNotifier::Read };
    QByteArray m_input;
    bool m_passwordRead = false;
    bool m_ready = false;
    bool m_reportedEmpty = false;
    int m_acked = 0;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // One debug line per queued message would drown the test's output.
    QLoggingCategory::setFilterRules(QStringLiteral("dpichat.*.debug=false"));
    QCommandLineParser parser;
    const QCommandLineOption url(
        QStringLiteral("url"), QStringLiteral("Server URL."), QStringLiteral("URL"));
    const QCommandLineOption email(
        QStringLiteral("email"), QStringLiteral("Login."), QStringLiteral("EMAIL"));
    const QCommandLineOption outbox(
        QStringLiteral("outbox"), QStringLiteral("Outbox file."), QStringLiteral("FILE"));
    parser.addOptions({ url, email, outbox });
    parser.process(app);
    if (!parser.isSet(url) || !parser.isSet(email) || !parser.isSet(outbox)) {
        std::fputs("usage: dpichat-outboxdriver --url URL --email EMAIL --outbox FILE\n", stderr);
        return 64;
    }
    Driver driver(QUrl(parser.value(url)), parser.value(email), parser.value(outbox));
    return app.exec();
}
