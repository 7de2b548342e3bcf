#pragma once

#include "options.h"
#include "stats.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>

#include <memory>
#include <vector>

class QTimer;

namespace bench {

class Connection;

/// One sender and its receiving sessions: a pair (B receives A's messages) or the fan-out
/// (K admin sessions receive the one customer's messages).
struct ChannelSpec {
    int index = 0; ///< Global, also the channel number in every clientId.
    QString senderEmail;
    QString receiverEmail;
    int receivers = 1;
};

/// Drives a share of the channels on its own thread: logs their sessions in, then sends
/// and checks every delivery. Lives in a QThread; the Controller talks to it through
/// queued calls.
class Worker : public QObject {
    Q_OBJECT
public:
    Worker(const BenchOptions &options, QList<ChannelSpec> channels, QByteArray nonce,
        QHash<QString, QString> tokens);
    ~Worker() override;

    /// Connect and log in every session (password once per user, then the token).
    void setUp();
    /// Sending starts at `startNs`; counts and latencies cover [measureStartNs, measureEndNs);
    /// sending stops at measureEndNs, then stragglers get options.drainS seconds.
    void startLoad(qint64 startNs, qint64 measureStartNs, qint64 measureEndNs);
    /// Closes every session and hands the object back to `target` thread for deletion.
    void shutDown(QThread *target);

    Stats takeStats() { return std::move(m_stats); }
    QHash<QString, QString> tokens() const { return m_tokens; }
    QString setupError() const { return m_setupError; }

Q_SIGNALS:
    void setUpFinished(bool ok, const QString &error);
    void loadFinished();

private:
    struct Channel;
    enum class Stage { Connecting, LoggingIn, FetchingThreads, Ready, Closed };
    struct Session {
        Channel *channel = nullptr;
        int receiverIndex = -1; ///< -1: the sender.
        QString email;
        Stage stage = Stage::Connecting;
        bool usedToken = false;
        std::unique_ptr<Connection> connection;
        qint64 userId = 0;
        // Receiving side: which sequence numbers arrived, the highest one, the last id.
        std::vector<quint8> seen;
        qint64 maxSeq = -1;
        qint64 lastMessageId = 0;
    };
    struct Channel {
        ChannelSpec spec;
        QByteArray prefix;
        qint64 thread = 0;
        std::unique_ptr<Session> sender;
        std::vector<std::unique_ptr<Session>> receivers;
        int setupStep = 0; ///< 0: the sender, i > 0: receiver i - 1.
        std::vector<qint64> sendNs;
        std::vector<quint8> state; ///< 0 waiting, 1 acked, 2 rejected.
        std::vector<quint32> deliveries;
        qint64 nextSeq = 0;
        int inFlight = 0;
        qint64 nextDueNs = 0;
    };

    void startNextSetups();
    void openSession(Session &session);
    void sendLogin(Session &session);
    void onText(Session &session, QByteArrayView utf8);
    void onSetupFrame(Session &session, QByteArrayView utf8);
    void onSessionReady(Session &session);
    void onClosed(Session &session, const QString &reason);
    void failSetup(const QString &reason);

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
    std::vector<std::unique_ptr<Channel>> m_channels;
    qsizetype m_nextSetup = 0;
    int m_setupsRunning = 0;
    int m_channelsReady = 0;
    bool m_setupFailed = false;
    QString m_setupError;

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
