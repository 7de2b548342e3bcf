#pragma once

#include "net/transport.h"
#include "net/writescheduler.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QStringList>

#include <memory>
#include <vector>

class QSocketNotifier;

namespace dpichat::server {

/// What every OwnWebSocket of a Listener shares.
struct OwnWebSocketConfig
{
    qint64 maxIncomingBytes = 64 * 1024; ///< A message (all its fragments) larger: close 1009.
    /// Browser Origins allowed; empty allows all. No Origin (desktop apps) is always allowed.
    QStringList allowedOrigins;
    WriteScheduler *scheduler = nullptr;
};

/// The server side of a WebSocket (RFC 6455) on a connected, accepted socket descriptor: the
/// opening handshake, frames in and out, ping/pong and the closing handshake. No QTcpSocket and
/// no QWebSocket: an idle connection holds its descriptor, one socket notifier and no buffers
/// (Qt's pair costs about 12 KiB each), and text goes from the socket to the JSON decoder and
/// from the encoder to the socket as UTF-8, with no QString on the way.
class OwnWebSocket final : public Transport
{
public:
    /// Takes `fd` (non-blocking from here on).
    OwnWebSocket(int fd, const OwnWebSocketConfig &config);
    ~OwnWebSocket() override;

    /// Where the events go; reading starts here.
    void setEvents(TransportEvents *events) override;

    QHostAddress peerAddress() const override;
    bool isUpgraded() const override { return m_state >= Open; }
    qint64 bytesQueued() const override { return m_outBytes; }
    void flushNow() override;
    void sendText(const QByteArray &utf8) override;
    void ping() override;
    void close(int code, const QString &reason) override;
    void abort() override;

private:
    friend class WriteScheduler;
    enum State : quint8 {
        Upgrading,
        Open,
        Closing,  ///< Our close frame is queued or sent; waiting for the peer's.
        Draining, ///< Write side shut: reading and dropping until the peer closes.
        Closed,
    };

    void onReadable();
    void onWritable();
    void onScheduled();
    /// Reads the upgrade request from m_in; false when the connection ended.
    bool readUpgrade();
    /// Takes every whole frame from `data` (unmasking in place); returns the bytes used.
    qsizetype readFrames(char *data, qsizetype size);
    /// One whole frame's payload.
    void onFrame(quint8 opcode, bool fin, char *payload, qsizetype size);
    /// Sends a close frame for a peer that broke the protocol and stops reading frames.
    void fail(quint16 code, const char *reason);
    void queueFrame(quint8 opcode, QByteArrayView payload);
    void queue(QByteArrayView bytes);
    void queueShared(const QByteArray &bytes);
    void scheduleWrite();
    /// Writes as much as the kernel takes; false when the connection broke.
    bool writeOut();
    void setWriteInterest(bool on);
    /// Closes the descriptor and reports it (from the WriteScheduler).
    void finish();

    int m_fd;
    const OwnWebSocketConfig &m_config;
    TransportEvents *m_events = nullptr;
    std::unique_ptr<QSocketNotifier> m_readNotifier;
    std::unique_ptr<QSocketNotifier> m_writeNotifier; ///< Made when the kernel first refuses.
    QByteArray m_in;      ///< What was read and not used yet (a part of a frame).
    QByteArray m_message; ///< The fragments of an unfinished message.
    QList<QByteArray> m_out;
    qsizetype m_outHead = 0; ///< Bytes of m_out.first() already written.
    qint64 m_outBytes = 0;
    QHostAddress m_peer;
    State m_state = Upgrading;
    quint8 m_messageOpcode = 0; ///< Text or Binary while fragments come; 0 otherwise.
    bool m_lastShared = false;  ///< m_out.last() is a caller's buffer: never append to it.
    bool m_scheduled = false;   ///< In the WriteScheduler's list.
    bool m_closeReported = false;
    bool m_shutdownAfterWrite = false; ///< Shut the write side once the output is out.
};

} // namespace dpichat::server
