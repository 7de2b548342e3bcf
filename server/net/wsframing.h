#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QtGlobal>

/// RFC 6455 pieces the server's own WebSocket connection (OwnWebSocket) is built from: the
/// opening handshake and frame headers. Pure functions, so tests take them apart on bytes.
namespace dpichat::server::ws {

enum Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

/// Close codes (RFC 6455 section 7.4.1).
enum CloseCode : quint16 {
    CloseNormal = 1000,
    CloseGoingAway = 1001,
    CloseProtocolError = 1002,
    CloseNoStatus = 1005,
    CloseBadPayload = 1007, ///< Text that is not UTF-8.
    ClosePolicyViolated = 1008,
    CloseTooBig = 1009,
};

/// The most a client may send before its upgrade request ends.
constexpr qsizetype kMaxUpgradeRequestBytes = 8 * 1024;

struct Upgrade
{
    enum Status { Incomplete, Ok, Bad };
    Status status = Incomplete;
    qsizetype consumed = 0;   ///< Bytes of the request, through the blank line; 0 if Incomplete.
    QByteArray response;      ///< What to answer: 101 with the accept key, or the HTTP error.
    QByteArray origin;        ///< The Origin header, empty without one.
};

/// Reads an opening handshake from the start of `bytes` (section 4.2.1): a GET with
/// `Upgrade: websocket`, `Connection: upgrade`, version 13 and a key. Offers no subprotocol
/// and no extension.
Upgrade parseUpgrade(QByteArrayView bytes);

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key (section 4.2.2).
QByteArray acceptKey(QByteArrayView key);

/// An HTTP error answer that ends the connection, e.g. (403, "Forbidden").
QByteArray httpError(int status, QByteArrayView reason);

struct FrameHeader
{
    bool fin = false;
    quint8 rsv = 0;    ///< RSV1-3: must be 0 (no extension is negotiated).
    quint8 opcode = 0;
    bool masked = false;
    quint64 length = 0;
    quint8 mask[4] = {0, 0, 0, 0};
    int size = 0;      ///< Bytes of the header; 0: not all of it is there yet.
};

/// The frame header at the start of `bytes` (section 5.2); size 0 while it is incomplete.
FrameHeader parseFrameHeader(QByteArrayView bytes);

/// Unmasks (or masks) `n` bytes in place; `offset` is their position in the payload.
void applyMask(char *data, qsizetype n, const quint8 mask[4], quint64 offset);

constexpr int kMaxFrameHeaderBytes = 10;
/// Writes a server frame's header (unmasked) for a payload of `length` bytes into `out`;
/// returns its size.
int writeFrameHeader(char *out, quint8 opcode, bool fin, quint64 length);

/// The payload of a close frame: the code and as much of `reason` as fits (123 bytes, cut at
/// a character boundary).
QByteArray closePayload(quint16 code, QByteArrayView reasonUtf8);

} // namespace dpichat::server::ws
