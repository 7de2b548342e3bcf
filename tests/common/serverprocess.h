#pragma once

#include <QProcess>
#include <QStringList>
#include <QUrl>

/// A real `dpichat-server` process on 127.0.0.1 with its own SQLite file, for tests.
/// The binary comes from the DPICHAT_SERVER_BIN environment variable (set by CTest).
class ServerProcess
{
public:
    explicit ServerProcess(const QString &sqlitePath);

    /// Uses this `--db` URL (e.g. postgres://...) instead of the SQLite file, for the
    /// commands and the server alike.
    void setDatabaseUrl(const QString &url) { m_dbUrl = url; }
    /// What goes after --db.
    QString databaseUrl() const;
    ~ServerProcess();

    static QString binary();

    /// Runs `dpichat-server user add` with the password on stdin.
    bool addUser(const QString &email, const QString &name, const QString &role,
                 const QString &password);
    /// Runs the binary with `args` plus --db; returns the exit code, output in the out-params.
    int runCommand(const QStringList &args, const QByteArray &stdinData = {},
                   QString *out = nullptr, QString *err = nullptr);

    /// Starts serving on port 0 (or the port of the previous run) and waits until it listens.
    bool start(const QStringList &extraArgs = {});
    /// Starts again on the same port and database, with the same extra arguments.
    bool restart();
    void kill(); ///< SIGKILL, and waits until it is gone.
    void stop(); ///< SIGTERM, and waits.
    bool isRunning() const;
    /// The server's process id while it runs.
    qint64 processId() const { return m_process.processId(); }
    int exitCode() const { return m_process.exitCode(); }
    QProcess::ExitStatus exitStatus() const { return m_process.exitStatus(); }
    /// Sends `signal` (e.g. SIGTERM) without waiting (stop() waits); false if not running.
    bool signal(int signal);
    bool waitForFinished(int timeoutMs) { return m_process.waitForFinished(timeoutMs); }

    QUrl url() const;
    quint16 port() const { return m_port; }
    /// The port of /healthz and /metrics when started with --metrics-port; 0 otherwise.
    quint16 metricsPort() const { return m_metricsPort; }
    /// What the server printed on standard output up to the line saying it listens.
    QString startupOutput() const { return m_startupOutput; }
    QString databasePath() const { return m_dbPath; }

private:
    QString m_dbPath;
    QString m_dbUrl;
    QStringList m_extraArgs;
    QProcess m_process;
    quint16 m_port = 0;
    quint16 m_metricsPort = 0;
    bool m_secure = false;
    QString m_startupOutput;
};
