#pragma once

#include "options.h"
#include "protocol.h"
#include "sessionstate.h"
#include "stats.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>

#include <memory>
#include <vector>

class QTimer;

namespace bench {

/// Drives a share of the channels on its own thread: sets their sessions up, then sends
/// and checks every delivery. A worker may instead (or also) hold idle sessions, which are
/// set up and then left silent. Lives in a QThread; the Controller talks to it through
/// queued calls.
class Worker : public QObject {
    Q_OBJECT
public:
    /// `idleSessions` idle sessions: DPI Chat session j logs in as options.idleEmail(j %
    /// idleUsers + 1), Pusher session j subscribes to `private-idle-<j>`.
    Worker(const BenchOptions &options, QList<ChannelSpec> channels, int idleSessions,
        QByteArray nonce, QHash<QString, QString> tokens);
    ~Worker() override;

    /// Connect and set up every session (DPI Chat: the password once per user, then the
    /// token; Pusher: subscribe).
    void setUp();
    /// Sending starts at `startNs`; counts and latencies cover [measureStartNs, measureEndNs);
    /// sending stops at measureEndNs, then stragglers get options.drainS seconds.
    void startLoad(qint64 startNs, qint64 measureStartNs, qint64 measureEndNs);
    /// Closes every session and hands the object back to `target` thread for deletion.
    void shutDown(QThread *target);

    Stats takeStats() { return std::move(m_stats); }
    QHash<QString, QString> tokens() const { return m_tokens; }

Q_SIGNALS:
    void setUpFinished(bool ok, const QString &error);
    void loadFinished();

private:
    // Setup (workersetup.cpp)
    void startNextSetups();
    bool startNextIdleSetup();
    void openSession(Session &session);
    void onText(Session &session, QByteArrayView utf8);
    void onSetupOutcome(Session &session, const SetupOutcome &outcome);
    void onSessionReady(Session &session);
    void onClosed(Session &session, const QString &reason);
    void failSetup(const QString &reason);
    void checkSetupDone();

    // Load (worker.cpp)
    void onLoadFrame(Session &session, QByteArrayView utf8);
    void onMessagePush(Session &session, QByteArrayView clientId, qint64 messageId, qint64 now);
    void onAck(Channel &channel, qint64 seq, qint64 now);
    void onReject(Channel &channel, qint64 seq, const QString &code);
    void complete(Channel &channel);
    void sendOne(Channel &channel);
    void pump(Channel &channel);
    void onTick();
    void checkDrained();
    void finishLoad();
    void noteProblem(const QString &problem);

    const BenchOptions m_options;
    const QByteArray m_nonce;
    const QByteArray m_text;
    QHash<QString, QString> m_tokens;
    const std::unique_ptr<ProtocolDriver> m_protocol;
    std::vector<std::unique_ptr<Channel>> m_channels;
    std::vector<std::unique_ptr<Session>> m_idle;
    qsizetype m_nextSetup = 0;
    int m_setupsRunning = 0;
    int m_channelsReady = 0;
    qsizetype m_nextIdle = 0;
    int m_idleRunning = 0;
    int m_idleReady = 0;
    int m_idleFirstPhase = 0; ///< Idle sessions that must be ready before the rest start.
    bool m_setupFailed = false;
    bool m_setupDone = false;

    QByteArray m_frame;
    qint64 m_measureStartNs = 0;
    qint64 m_measureEndNs = 0;
    bool m_loadRunning = false;
    bool m_loadFinished = false;
    bool m_sending = false;
    QTimer *m_tick = nullptr;
    QTimer *m_drain = nullptr;
    QTimer *m_setupTimeout = nullptr;
    Stats m_stats;
};

} // namespace bench
