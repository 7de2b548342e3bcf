#include "wsframing.h"

#include <QCryptographicHash>
#include <QList>

namespace dpichat::server::ws {

namespace {
QByteArrayView trimmed(QByteArrayView v)
{
    while (!v.isEmpty() && (v.front() == ' ' || v.front() == '\t'))
        v = v.sliced(1);
    while (!v.isEmpty() && (v.back() == ' ' || v.back() == '\t'))
        v.chop(1);
    return v;
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

/// Whether a comma-separated header value holds `token` (case-insensitive).
bool hasToken(QByteArrayView value, QByteArrayView token)
{
    while (!value.isEmpty()) {
        const qsizetype comma = value.indexOf(',');
        const QByteArrayView item = comma < 0 ? value : value.first(comma);
        if (equalsIgnoringCase(trimmed(item), token))
            return true;
        if (comma < 0)
            break;
        value = value.sliced(comma + 1);
    }
    return false;
}

Upgrade refuse(qsizetype consumed, int status, QByteArrayView reason)
{
    Upgrade u;
    u.status = Upgrade::Bad;
    u.consumed = consumed;
    u.response = httpError(status, reason);
    return u;
}
} // namespace

QByteArray httpError(int status, QByteArrayView reason)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason.toByteArray()
            + "\r\nConnection: close\r\nContent-Length: 0\r\n";
    if (status == 426)
        out += "Sec-WebSocket-Version: 13\r\n";
    out += "\r\n";
    return out;
}

QByteArray acceptKey(QByteArrayView key)
{
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(key);
    sha1.addData("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    return sha1.result().toBase64();
}

Upgrade parseUpgrade(QByteArrayView bytes)
{
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    if (end < 0) {
        if (bytes.size() > kMaxUpgradeRequestBytes)
            return refuse(bytes.size(), 431, "Request Header Fields Too Large");
        return {};
    }
    const qsizetype consumed = end + 4;
    if (consumed > kMaxUpgradeRequestBytes)
        return refuse(consumed, 431, "Request Header Fields Too Large");

    QByteArrayView rest = bytes.first(end + 2); // every line with its CRLF
    const qsizetype firstEnd = rest.indexOf("\r\n");
    const QByteArrayView requestLine = rest.first(firstEnd);
    rest = rest.sliced(firstEnd + 2);
    const QList<QByteArrayView> parts = [&] {
        QList<QByteArrayView> out;
        QByteArrayView line = requestLine;
        while (!line.isEmpty()) {
            const qsizetype space = line.indexOf(' ');
            out.append(space < 0 ? line : line.first(space));
            if (space < 0)
                break;
            line = line.sliced(space + 1);
        }
        return out;
    }();
    if (parts.size() != 3 || !parts[2].startsWith("HTTP/1."))
        return refuse(consumed, 400, "Bad Request");
    if (parts[0] != "GET")
        return refuse(consumed, 405, "Method Not Allowed");

    bool upgrade = false;
    bool connectionUpgrade = false;
    QByteArrayView version;
    QByteArrayView key;
    QByteArrayView origin;
    bool host = false;
    while (!rest.isEmpty()) {
        const qsizetype eol = rest.indexOf("\r\n");
        const QByteArrayView line = rest.first(eol);
        rest = rest.sliced(eol + 2);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return refuse(consumed, 400, "Bad Request");
        const QByteArrayView name = line.first(colon);
        const QByteArrayView value = trimmed(line.sliced(colon + 1));
        if (equalsIgnoringCase(name, "upgrade"))
            upgrade = hasToken(value, "websocket");
        else if (equalsIgnoringCase(name, "connection"))
            connectionUpgrade = connectionUpgrade || hasToken(value, "upgrade");
        else if (equalsIgnoringCase(name, "sec-websocket-version"))
            version = value;
        else if (equalsIgnoringCase(name, "sec-websocket-key"))
            key = value;
        else if (equalsIgnoringCase(name, "origin"))
            origin = value;
        else if (equalsIgnoringCase(name, "host"))
            host = true;
    }
    if (!upgrade || !connectionUpgrade || !host)
        return refuse(consumed, 400, "Bad Request");
    if (version != "13")
        return refuse(consumed, 426, "Upgrade Required");
    if (QByteArray::fromBase64(key.toByteArray()).size() != 16)
        return refuse(consumed, 400, "Bad Request");

    Upgrade u;
    u.status = Upgrade::Ok;
    u.consumed = consumed;
    u.origin = origin.toByteArray();
    u.response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: "
            + acceptKey(key) + "\r\n\r\n";
    return u;
}

FrameHeader parseFrameHeader(QByteArrayView bytes)
{
    FrameHeader h;
    if (bytes.size() < 2)
        return h;
    const auto *p = reinterpret_cast<const quint8 *>(bytes.data());
    h.fin = (p[0] & 0x80) != 0;
    h.rsv = (p[0] >> 4) & 0x7;
    h.opcode = p[0] & 0x0F;
    h.masked = (p[1] & 0x80) != 0;
    int n = 2;
    const quint8 len7 = p[1] & 0x7F;
    if (len7 < 126) {
        h.length = len7;
    } else {
        const int extra = len7 == 126 ? 2 : 8;
        if (bytes.size() < n + extra)
            return h;
        quint64 length = 0;
        for (int i = 0; i < extra; ++i)
            length = (length << 8) | p[n + i];
        h.length = length;
        n += extra;
    }
    if (h.masked) {
        if (bytes.size() < n + 4)
            return h;
        for (int i = 0; i < 4; ++i)
            h.mask[i] = p[n + i];
        n += 4;
    }
    h.size = n;
    return h;
}

void applyMask(char *data, qsizetype n, const quint8 mask[4], quint64 offset)
{
    // Eight bytes at a time with the mask rotated to where the payload starts.
    quint8 m[8];
    for (int i = 0; i < 8; ++i)
        m[i] = mask[(offset + quint64(i)) & 3];
    quint64 wide;
    memcpy(&wide, m, 8);
    qsizetype i = 0;
    for (; i + 8 <= n; i += 8) {
        quint64 chunk;
        memcpy(&chunk, data + i, 8);
        chunk ^= wide;
        memcpy(data + i, &chunk, 8);
    }
    for (; i < n; ++i)
        data[i] = char(quint8(data[i]) ^ m[i & 7]);
}

int writeFrameHeader(char *header, quint8 opcode, bool fin, quint64 length)
{
    int n = 0;
    header[n++] = char((fin ? 0x80 : 0x00) | (opcode & 0x0F));
    if (length < 126) {
        header[n++] = char(length);
    } else if (length <= 0xffff) {
        header[n++] = char(126);
        header[n++] = char(length >> 8);
        header[n++] = char(length);
    } else {
        header[n++] = char(127);
        for (int shift = 56; shift >= 0; shift -= 8)
            header[n++] = char(length >> shift);
    }
    return n;
}

QByteArray closePayload(quint16 code, QByteArrayView reasonUtf8)
{
    QByteArray out;
    out.append(char(code >> 8));
    out.append(char(code & 0xFF));
    qsizetype n = std::min<qsizetype>(reasonUtf8.size(), 123);
    // Never cut a character in two: back up over continuation bytes.
    if (n < reasonUtf8.size()) {
        while (n > 0 && (quint8(reasonUtf8[n]) & 0xC0) == 0x80)
            --n;
    }
    out.append(reasonUtf8.first(n));
    return out;
}

} // namespace dpichat::server::ws
