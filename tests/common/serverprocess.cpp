#include "serverprocess.h"

#include <QDeadlineTimer>
#include <QRegularExpression>

#include <csignal>

ServerProcess::ServerProcess(const QString &sqlitePath) : m_dbPath(sqlitePath)
{
    // The server's log goes to the test's output: unread, a full pipe would stall the server.
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
}

QString ServerProcess::databaseUrl() const
{
    return m_dbUrl.isEmpty() ? QStringLiteral("sqlite:") + m_dbPath : m_dbUrl;
}

ServerProcess::~ServerProcess()
{
    stop();
}

QString ServerProcess::binary()
{
    return qEnvironmentVariable("DPICHAT_SERVER_BIN");
}

int ServerProcess::runCommand(const QStringList &args, const QByteArray &stdinData, QString *out,
                              QString *err)
{
    QProcess p;
    p.start(binary(), args + QStringList{QStringLiteral("--db"), databaseUrl()});
    if (!p.waitForStarted(10'000))
        return -1;
    p.write(stdinData);
    p.closeWriteChannel();
    if (!p.waitForFinished(60'000)) {
        p.kill();
        p.waitForFinished();
        return -1;
    }
    if (out)
        *out = QString::fromUtf8(p.readAllStandardOutput());
    if (err)
        *err = QString::fromUtf8(p.readAllStandardError());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

bool ServerProcess::addUser(const QString &email, const QString &name, const QString &role,
                            const QString &password)
{
    return runCommand({QStringLiteral("user"), QStringLiteral("add"), QStringLiteral("--email"),
                       email, QStringLiteral("--name"), name, QStringLiteral("--role"), role},
                      password.toUtf8() + '\n')
        == 0;
}

bool ServerProcess::start(const QStringList &extraArgs)
{
    m_extraArgs = extraArgs;
    QStringList args{QStringLiteral("--db"), databaseUrl(),
                     QStringLiteral("--port"), QString::number(m_port)};
    m_process.start(binary(), args + extraArgs);
    if (!m_process.waitForStarted(10'000))
        return false;
    static const QRegularExpression listening(QStringLiteral("listening on (wss?)://[^:]+:(\\d+)/"));
    static const QRegularExpression metrics(QStringLiteral("metrics on http://[^:]+:(\\d+)/"));
    QByteArray seen;
    QDeadlineTimer deadline(20'000);
    while (!deadline.hasExpired() && m_process.state() == QProcess::Running) {
        m_process.waitForReadyRead(200);
        seen += m_process.readAllStandardOutput();
        m_startupOutput = QString::fromUtf8(seen);
        const auto match = listening.match(m_startupOutput);
        if (match.hasMatch()) {
            m_secure = match.captured(1) == u"wss";
            m_port = quint16(match.captured(2).toUInt());
            const auto metricsMatch = metrics.match(m_startupOutput);
            m_metricsPort = metricsMatch.hasMatch() ? quint16(metricsMatch.captured(1).toUInt()) : 0;
            return true;
        }
    }
    return false;
}

bool ServerProcess::restart()
{
    stop();
    return start(m_extraArgs);
}

void ServerProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished(10'000);
}

void ServerProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(10'000))
        kill();
}

bool ServerProcess::signal(int signal)
{
    const qint64 pid = m_process.processId();
    return pid > 0 && ::kill(pid_t(pid), signal) == 0;
}

bool ServerProcess::isRunning() const
{
    return m_process.state() == QProcess::Running;
}

QUrl ServerProcess::url() const
{
    return QUrl(QStringLiteral("%1://127.0.0.1:%2/")
                    .arg(m_secure ? QStringLiteral("wss") : QStringLiteral("ws"))
                    .arg(m_port));
}
