#pragma once

#include "connection.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <vector>

namespace bench {

/// One sender and its receiving sessions: a pair (B receives A's messages) or the fan-out
/// (K sessions receive the one sender's messages).
struct ChannelSpec {
    int index = 0; ///< Global, also the channel number in every clientId.
    QString senderEmail; ///< DPI Chat users.
    QString receiverEmail;
    QByteArray pusherChannel; ///< Pusher: the private channel every session subscribes to.
    int receivers = 1;
};

enum class Stage { Connecting, SettingUp, FetchingThreads, Ready, Closed };

struct Channel;

/// One WebSocket session of the driver: a sender, a receiver, or an idle session (no
/// channel, silent once set up).
struct Session {
    Channel *channel = nullptr; ///< Null for idle sessions.
    int receiverIndex = -1; ///< -1: the sender (or an idle session).
    QString email; ///< DPI Chat: the user it logs in as.
    QByteArray pusherChannel; ///< Pusher: the channel it subscribes to.
    Stage stage = Stage::Connecting;
    bool usedToken = false;
    std::unique_ptr<Connection> connection;
    qint64 userId = 0;
    // Receiving side: which sequence numbers arrived, the highest one, the last id.
    std::vector<quint8> seen;
    qint64 maxSeq = -1;
    qint64 lastMessageId = 0;

    bool isSender() const { return channel && receiverIndex < 0; }
    bool isReceiver() const { return channel && receiverIndex >= 0; }
};

/// A sender's bookkeeping: when each sequence number was sent, its state, its deliveries.
struct Channel {
    ChannelSpec spec;
    QByteArray prefix; ///< clientId prefix.
    qint64 thread = 0; ///< DPI Chat: the sender's own thread.
    std::unique_ptr<Session> sender;
    std::vector<std::unique_ptr<Session>> receivers;
    int setupStep = 0; ///< 0: the sender, i > 0: receiver i - 1.
    std::vector<qint64> sendNs;
    std::vector<quint8> state; ///< 0 waiting, 1 acked (or no ack expected), 2 rejected.
    std::vector<quint32> deliveries;
    qint64 nextSeq = 0;
    int inFlight = 0;
    qint64 nextDueNs = 0;
};

} // namespace bench
