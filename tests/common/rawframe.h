#pragma once

#include <QByteArray>

/// One masked WebSocket text frame (RFC 6455 §5.2), as a client must send it: for tests that
/// speak WebSocket over a raw QTcpSocket (peers that never read, never answer pings).
inline QByteArray clientTextFrame(const QByteArray &payload)
{
    QByteArray f;
    f.append(char(0x81));
    const quint8 mask[4] = {0x12, 0x34, 0x56, 0x78};
    if (payload.size() < 126) {
        f.append(char(0x80 | payload.size()));
    } else {
        f.append(char(0x80 | 126));
        f.append(char((payload.size() >> 8) & 0xff));
        f.append(char(payload.size() & 0xff));
    }
    f.append(reinterpret_cast<const char *>(mask), 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        f.append(char(payload.at(i) ^ mask[i % 4]));
    return f;
}
