#include "fastjson.h"

#include <charconv>
#include <cstdio>

namespace dpichat::fastjson {

namespace {

void appendInt(QByteArray &out, qint64 value)
{
    // std::to_chars: snprintf's format parsing was most of the cost of the three numbers per
    // message.
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    out.append(buffer, end - buffer);
}

void appendId(QByteArray &out, const QJsonValue &id)
{
    if (id.isString())
        appendString(out, id.toString());
    else
        appendInt(out, id.toInteger());
}

// Howard Hinnant's days-to-civil: the date of a day count since 1970-01-01.
void civilFromDays(qint64 z, qint64 &y, unsigned &m, unsigned &d)
{
    z += 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = unsigned(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = qint64(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2 ? 1 : 0;
}

} // namespace

// UTF-16 to UTF-8 and JSON's escapes in one pass, straight into `out`: a QByteArray per string
// (QString::toUtf8()) and a second pass over it were most of the time of encoding an admin's
// list of 10,000 threads. The bytes are the same as toUtf8()'s, a lone surrogate included
// ('?'), which tst_fastjson checks against that.
void appendString(QByteArray &out, QStringView text)
{
    static const char hex[] = "0123456789abcdef";
    const qsizetype start = out.size();
    // At most six bytes per UTF-16 unit (an escaped control character); a surrogate pair
    // takes four bytes for two units.
    out.resize(start + 2 + text.size() * 6);
    char *p = out.data() + start;
    *p++ = '"';
    const char16_t *s = text.utf16();
    const char16_t *const end = s + text.size();
    while (s < end) {
        const char16_t c = *s++;
        if (c < 0x80) {
            if (c >= 0x20 && c != u'"' && c != u'\\') {
                *p++ = char(c);
                continue;
            }
            *p++ = '\\';
            switch (c) {
            case u'"': *p++ = '"'; break;
            case u'\\': *p++ = '\\'; break;
            case u'\b': *p++ = 'b'; break;
            case u'\f': *p++ = 'f'; break;
            case u'\n': *p++ = 'n'; break;
            case u'\r': *p++ = 'r'; break;
            case u'\t': *p++ = 't'; break;
            default:
                *p++ = 'u';
                *p++ = '0';
                *p++ = '0';
                *p++ = hex[c >> 4];
                *p++ = hex[c & 0xf];
            }
        } else if (c < 0x800) {
            *p++ = char(0xc0 | (c >> 6));
            *p++ = char(0x80 | (c & 0x3f));
        } else if (QChar::isSurrogate(c)) {
            if (QChar::isHighSurrogate(c) && s < end && QChar::isLowSurrogate(*s)) {
                const char32_t u = QChar::surrogateToUcs4(c, *s++);
                *p++ = char(0xf0 | (u >> 18));
                *p++ = char(0x80 | ((u >> 12) & 0x3f));
                *p++ = char(0x80 | ((u >> 6) & 0x3f));
                *p++ = char(0x80 | (u & 0x3f));
            } else {
                *p++ = '?';
            }
        } else {
            *p++ = char(0xe0 | (c >> 12));
            *p++ = char(0x80 | ((c >> 6) & 0x3f));
            *p++ = char(0x80 | (c & 0x3f));
        }
    }
    *p++ = '"';
    out.truncate(p - out.constData());
}

namespace {

// Writes the time as Qt::ISODateWithMs in UTC ("2026-11-25T07:36:18.123Z") into `buffer` and
// returns its length.
int writeTime(char (&buffer)[48], qint64 ms)
{
    qint64 days = ms / 86'400'000;
    qint64 rest = ms % 86'400'000;
    if (rest < 0) {
        rest += 86'400'000;
        --days;
    }
    qint64 y;
    unsigned m, d;
    civilFromDays(days, y, m, d);
    const int hours = int(rest / 3'600'000), minutes = int(rest / 60'000 % 60),
              seconds = int(rest / 1000 % 60), millis = int(rest % 1000);
    if (y < 0 || y > 9999) { // Not in any message; kept exact all the same.
        return std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                             static_cast<long long>(y), m, d, hours, minutes, seconds, millis);
    }
    // By hand: snprintf was a tenth of the event loop's time at full speed (one per message).
    char *p = buffer;
    const auto put = [&p](unsigned value, int width, char after) {
        for (int i = width - 1; i >= 0; --i) {
            p[i] = char('0' + value % 10);
            value /= 10;
        }
        p += width;
        if (after)
            *p++ = after;
    };
    put(unsigned(y), 4, '-');
    put(m, 2, '-');
    put(d, 2, 'T');
    put(unsigned(hours), 2, ':');
    put(unsigned(minutes), 2, ':');
    put(unsigned(seconds), 2, '.');
    put(unsigned(millis), 3, 'Z');
    return int(p - buffer);
}

} // namespace

void appendTimeMs(QByteArray &out, qint64 ms)
{
    char buffer[48];
    const int n = writeTime(buffer, ms);
    out.append('"');
    out.append(buffer, n);
    out.append('"');
}

void appendTime(QByteArray &out, const QDateTime &time)
{
    appendTimeMs(out, time.toMSecsSinceEpoch());
}

QByteArray timeText(const QDateTime &time)
{
    char buffer[48];
    const int n = writeTime(buffer, time.toMSecsSinceEpoch());
    return QByteArray(buffer, n);
}

namespace {

// The length of the valid UTF-8 sequence at `p` (lead byte >= 0x80), or 0 when it is not one
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
int utf8SequenceLength(const unsigned char *p, const unsigned char *end)
{
    const unsigned char c = p[0];
    const auto continuation = [&](int i) { return p + i < end && (p[i] & 0xc0) == 0x80; };
    if (c >= 0xc2 && c <= 0xdf)
        return continuation(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (!continuation(1) || !continuation(2))
            return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
            return 0; // Overlong; a surrogate.
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (!continuation(1) || !continuation(2) || !continuation(3))
            return 0;
        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
            return 0; // Overlong; above U+10FFFF.
        return 4;
    }
    return 0;
}

} // namespace

void appendString(QByteArray &out, Utf8 text)
{
    static const char hex[] = "0123456789abcdef";
    const auto *s = reinterpret_cast<const unsigned char *>(text.bytes.data());
    const auto *const end = s + text.bytes.size();
    if (text.bytes.startsWith("\xef\xbb\xbf")) {
        appendString(out, QString::fromUtf8(text.bytes));
        return;
    }
    const qsizetype start = out.size();
    out.resize(start + 2 + text.bytes.size() * 6); // At most \u00XX for a byte.
    char *p = out.data() + start;
    *p++ = '"';
    while (s < end) {
        const unsigned char c = *s;
        if (c >= 0x80) {
            const int n = utf8SequenceLength(s, end);
            if (n == 0) {
                out.truncate(start);
                appendString(out, QString::fromUtf8(text.bytes));
                return;
            }
            for (int i = 0; i < n; ++i)
                *p++ = char(*s++);
            continue;
        }
        ++s;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = char(c);
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];
        }
    }
    *p++ = '"';
    out.truncate(p - out.constData());
}

namespace {

template<typename T>
void appendMessageFields(QByteArray &out, qint64 id, qint64 thread, qint64 sender,
                         const T &senderName, const T &clientId, const T &text, qint64 createdMs)
{
    out.append("{\"clientId\":");
    appendString(out, clientId);
    out.append(",\"createdAt\":");
    appendTimeMs(out, createdMs);
    out.append(",\"id\":");
    appendInt(out, id);
    out.append(",\"sender\":");
    appendInt(out, sender);
    out.append(",\"senderName\":");
    appendString(out, senderName);
    out.append(",\"text\":");
    appendString(out, text);
    out.append(",\"thread\":");
    appendInt(out, thread);
    out.append('}');
}

void appendMessage(QByteArray &out, const Message &m)
{
    appendMessageFields<QStringView>(out, m.id, m.thread, m.sender, m.senderName, m.clientId,
                                     m.text, m.createdAt.toMSecsSinceEpoch());
}

template<typename T>
void appendThreadFields(QByteArray &out, const ThreadFields<T> &t)
{
    out.append("{\"id\":");
    appendInt(out, t.id);
    out.append(",\"lastMessage\":");
    if (t.hasLastMessage) {
        appendMessageFields(out, t.lastId, t.id, t.lastSender, t.lastSenderName, t.lastClientId,
                            t.lastText, t.lastCreatedMs);
    } else {
        out.append("null");
    }
    out.append(",\"owner\":{\"email\":");
    appendString(out, t.ownerEmail);
    out.append(",\"id\":");
    appendInt(out, t.ownerId);
    out.append(",\"lastSeen\":");
    if (t.ownerLastSeenMs)
        appendTimeMs(out, *t.ownerLastSeenMs);
    else
        out.append("null");
    out.append(",\"name\":");
    appendString(out, t.ownerName);
    out.append(",\"online\":");
    out.append(t.ownerOnline ? "true" : "false");
    out.append(",\"role\":");
    appendString(out, roleName(t.ownerRole));
    out.append("},\"readUpTo\":{\"owner\":");
    appendInt(out, t.readUpToOwner);
    out.append(",\"team\":");
    appendInt(out, t.readUpToTeam);
    out.append("},\"unread\":");
    appendInt(out, t.unread);
    out.append('}');
}

} // namespace

QByteArray message(const Message &m)
{
    QByteArray out;
    out.reserve(160 + m.text.size() * 2);
    appendMessage(out, m);
    return out;
}

void appendThread(QByteArray &out, const Thread &t)
{
    ThreadFields<QStringView> f;
    f.id = t.id;
    f.ownerId = t.owner.id;
    f.ownerName = t.owner.name;
    f.ownerEmail = t.owner.email;
    f.ownerRole = t.owner.role;
    f.ownerOnline = t.owner.online;
    if (t.owner.lastSeen)
        f.ownerLastSeenMs = t.owner.lastSeen->toMSecsSinceEpoch();
    f.readUpToOwner = t.readUpToOwner;
    f.readUpToTeam = t.readUpToTeam;
    f.unread = t.unread;
    if (t.lastMessage) {
        f.hasLastMessage = true;
        f.lastId = t.lastMessage->id;
        f.lastSender = t.lastMessage->sender;
        f.lastSenderName = t.lastMessage->senderName;
        f.lastClientId = t.lastMessage->clientId;
        f.lastText = t.lastMessage->text;
        f.lastCreatedMs = t.lastMessage->createdAt.toMSecsSinceEpoch();
    }
    appendThreadFields(out, f);
}

void appendThread(QByteArray &out, const ThreadFields<Utf8> &thread)
{
    appendThreadFields(out, thread);
}

QByteArray threadsReply(const QList<Thread> &threads, const QJsonValue &re)
{
    QByteArray encoded;
    QList<qsizetype> ends;
    ends.reserve(threads.size());
    for (const Thread &t : threads) {
        appendThread(encoded, t);
        ends.append(encoded.size());
    }
    QList<QByteArrayView> views;
    views.reserve(threads.size());
    for (qsizetype i = 0, start = 0; i < ends.size(); start = ends.at(i++))
        views.append(QByteArrayView(encoded).sliced(start, ends.at(i) - start));
    return threadsReply(views, re);
}

QByteArray threadsReply(const QList<QByteArrayView> &threads, const QJsonValue &re)
{
    // Room for all of it at once: growing a reply of megabytes copies it each time.
    qsizetype size = 64;
    for (const QByteArrayView &t : threads)
        size += t.size() + 1;
    QByteArray out;
    out.reserve(size);
    out.append('{');
    if (!re.isUndefined() && !re.isNull()) {
        out.append("\"re\":");
        appendId(out, re);
        out.append(',');
    }
    out.append("\"threads\":[");
    for (qsizetype i = 0; i < threads.size(); ++i) {
        if (i)
            out.append(',');
        out.append(threads.at(i));
    }
    out.append("],\"type\":\"threads\"}");
    return out;
}

QByteArray sentReply(const QByteArray &messageJson, const QJsonValue &re)
{
    QByteArray out;
    out.reserve(messageJson.size() + 48);
    out.append("{\"message\":");
    out.append(messageJson);
    if (!re.isUndefined() && !re.isNull()) {
        out.append(",\"re\":");
        appendId(out, re);
    }
    out.append(",\"type\":\"sent\"}");
    return out;
}

QByteArray messagePush(const QByteArray &messageJson)
{
    QByteArray out;
    out.reserve(messageJson.size() + 32);
    out.append("{\"message\":");
    out.append(messageJson);
    out.append(",\"type\":\"message\"}");
    return out;
}

} // namespace dpichat::fastjson
