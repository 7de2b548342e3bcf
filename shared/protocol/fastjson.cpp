#include "fastjson.h"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace dpichat::fastjson {

// Every encoder here writes through a raw cursor into room reserved once for the whole piece
// (appendWith()): QByteArray::append() goes through insert() and its checks for every piece,
// and there are forty pieces to a thread. The room is an upper bound: six bytes per UTF-16
// unit or UTF-8 byte of text (an escaped control character, \u00XX), fixed amounts for the
// rest.

namespace {

constexpr qsizetype kIntRoom = 20; // "-9223372036854775808"
constexpr qsizetype kTimeRoom = 50; // Quoted; years beyond 9999 included.
constexpr qsizetype kMessageRoom = 256; // A message's keys, numbers and time.
constexpr qsizetype kThreadRoom = 640; // A thread's keys, numbers, time and role, and a message's.

template<std::size_t N>
char *put(char *p, const char (&literal)[N])
{
    std::memcpy(p, literal, N - 1);
    return p + N - 1;
}

char *putInt(char *p, qint64 value)
{
    // std::to_chars: snprintf's format parsing was most of the cost of the three numbers per
    // message.
    return std::to_chars(p, p + kIntRoom, value).ptr;
}

qsizetype stringRoom(QStringView text)
{
    return 2 + text.size() * 6;
}

qsizetype stringRoom(Utf8 text)
{
    // QString::fromUtf8() (the way out for what is not UTF-8) makes at most one UTF-16 unit
    // of a byte.
    return 2 + text.bytes.size() * 6;
}

/// Reserves `room` bytes at the end of `out`, has `write` fill them from a cursor (returning
/// where it stopped), and keeps what it wrote.
template<typename Write>
void appendWith(QByteArray &out, qsizetype room, Write &&write)
{
    const qsizetype start = out.size();
    out.resize(start + room);
    char *const begin = out.data() + start;
    char *const end = write(begin);
    Q_ASSERT(end - begin <= room);
    out.truncate(start + (end - begin));
}

// JSON's escapes for an ASCII character that needs one (below 0x20, '"', '\\').
char *putEscaped(char *p, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
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
    return p;
}

bool needsEscape(unsigned c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

// UTF-16 to UTF-8 and JSON's escapes in one pass: a QByteArray per string (toUtf8()) and a
// second pass over it were most of the time of encoding an admin's list of 10,000 threads.
// The bytes are the same as toUtf8()'s, a lone surrogate included ('?'), which tst_fastjson
// checks against that.
char *putString(char *p, QStringView text)
{
    *p++ = '"';
    const char16_t *s = text.utf16();
    const char16_t *const end = s + text.size();
    while (s < end) {
        const char16_t c = *s++;
        if (c < 0x80) {
            if (needsEscape(c))
                p = putEscaped(p, static_cast<unsigned char>(c));
            else
                *p++ = char(c);
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
    return p;
}

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

char *putString(char *p, Utf8 text)
{
    const auto *s = reinterpret_cast<const unsigned char *>(text.bytes.data());
    const auto *const end = s + text.bytes.size();
    if (text.bytes.startsWith("\xef\xbb\xbf"))
        return putString(p, QString::fromUtf8(text.bytes));
    char *const start = p;
    *p++ = '"';
    while (s < end) {
        const unsigned char c = *s;
        if (c >= 0x80) {
            const int n = utf8SequenceLength(s, end);
            if (n == 0)
                return putString(start, QString::fromUtf8(text.bytes));
            std::memcpy(p, s, n);
            p += n;
            s += n;
            continue;
        }
        ++s;
        if (needsEscape(c))
            p = putEscaped(p, c);
        else
            *p++ = char(c);
    }
    *p++ = '"';
    return p;
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

// The time as Qt::ISODateWithMs in UTC ("2026-11-25T07:36:18.123Z"), unquoted; at most 47
// characters.
char *putTimeText(char *p, qint64 ms)
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
        char buffer[48];
        const int n = std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                                    static_cast<long long>(y), m, d, hours, minutes, seconds,
                                    millis);
        std::memcpy(p, buffer, n);
        return p + n;
    }
    // By hand: snprintf was a tenth of the event loop's time at full speed (one per message).
    const auto field = [&p](unsigned value, int width, char after) {
        for (int i = width - 1; i >= 0; --i) {
            p[i] = char('0' + value % 10);
            value /= 10;
        }
        p += width;
        if (after)
            *p++ = after;
    };
    field(unsigned(y), 4, '-');
    field(m, 2, '-');
    field(d, 2, 'T');
    field(unsigned(hours), 2, ':');
    field(unsigned(minutes), 2, ':');
    field(unsigned(seconds), 2, '.');
    field(unsigned(millis), 3, 'Z');
    return p;
}

char *putTime(char *p, qint64 ms)
{
    *p++ = '"';
    p = putTimeText(p, ms);
    *p++ = '"';
    return p;
}

qsizetype idRoom(const QJsonValue &id)
{
    return id.isString() ? stringRoom(id.toString()) : kIntRoom;
}

char *putId(char *p, const QJsonValue &id)
{
    return id.isString() ? putString(p, id.toString()) : putInt(p, id.toInteger());
}

bool hasId(const QJsonValue &re)
{
    return !re.isUndefined() && !re.isNull();
}

template<typename T>
char *putMessage(char *p, qint64 id, qint64 thread, qint64 sender, const T &senderName,
                 const T &clientId, const T &text, qint64 createdMs)
{
    p = put(p, "{\"clientId\":");
    p = putString(p, clientId);
    p = put(p, ",\"createdAt\":");
    p = putTime(p, createdMs);
    p = put(p, ",\"id\":");
    p = putInt(p, id);
    p = put(p, ",\"sender\":");
    p = putInt(p, sender);
    p = put(p, ",\"senderName\":");
    p = putString(p, senderName);
    p = put(p, ",\"text\":");
    p = putString(p, text);
    p = put(p, ",\"thread\":");
    p = putInt(p, thread);
    *p++ = '}';
    return p;
}

template<typename T>
void appendThreadFields(QByteArray &out, const ThreadFields<T> &t)
{
    qsizetype room = kThreadRoom + stringRoom(t.ownerName) + stringRoom(t.ownerEmail);
    if (t.hasLastMessage)
        room += stringRoom(t.lastSenderName) + stringRoom(t.lastClientId) + stringRoom(t.lastText);
    appendWith(out, room, [&t](char *p) {
        p = put(p, "{\"id\":");
        p = putInt(p, t.id);
        p = put(p, ",\"lastMessage\":");
        if (t.hasLastMessage) {
            p = putMessage(p, t.lastId, t.id, t.lastSender, t.lastSenderName, t.lastClientId,
                           t.lastText, t.lastCreatedMs);
        } else {
            p = put(p, "null");
        }
        p = put(p, ",\"owner\":{\"email\":");
        p = putString(p, t.ownerEmail);
        p = put(p, ",\"id\":");
        p = putInt(p, t.ownerId);
        p = put(p, ",\"lastSeen\":");
        p = t.ownerLastSeenMs ? putTime(p, *t.ownerLastSeenMs) : put(p, "null");
        p = put(p, ",\"name\":");
        p = putString(p, t.ownerName);
        p = t.ownerOnline ? put(p, ",\"online\":true") : put(p, ",\"online\":false");
        p = put(p, ",\"role\":");
        p = putString(p, roleName(t.ownerRole)); // At most "customer".
        p = put(p, "},\"readUpTo\":{\"owner\":");
        p = putInt(p, t.readUpToOwner);
        p = put(p, ",\"team\":");
        p = putInt(p, t.readUpToTeam);
        p = put(p, "},\"unread\":");
        p = putInt(p, t.unread);
        *p++ = '}';
        return p;
    });
}

} // namespace

void appendString(QByteArray &out, QStringView text)
{
    appendWith(out, stringRoom(text), [text](char *p) { return putString(p, text); });
}

void appendString(QByteArray &out, Utf8 text)
{
    appendWith(out, stringRoom(text), [text](char *p) { return putString(p, text); });
}

void appendTimeMs(QByteArray &out, qint64 ms)
{
    appendWith(out, kTimeRoom, [ms](char *p) { return putTime(p, ms); });
}

void appendTime(QByteArray &out, const QDateTime &time)
{
    appendTimeMs(out, time.toMSecsSinceEpoch());
}

QByteArray timeText(const QDateTime &time)
{
    QByteArray out;
    const qint64 ms = time.toMSecsSinceEpoch();
    appendWith(out, kTimeRoom, [ms](char *p) { return putTimeText(p, ms); });
    return out;
}

QByteArray message(const Message &m)
{
    QByteArray out;
    const qsizetype room = kMessageRoom + stringRoom(m.senderName) + stringRoom(m.clientId)
            + stringRoom(m.text);
    appendWith(out, room, [&m](char *p) {
        return putMessage<QStringView>(p, m.id, m.thread, m.sender, m.senderName, m.clientId,
                                       m.text, m.createdAt.toMSecsSinceEpoch());
    });
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
    qsizetype room = 64 + idRoom(re);
    for (const QByteArrayView &t : threads)
        room += t.size() + 1;
    QByteArray out;
    appendWith(out, room, [&](char *p) {
        *p++ = '{';
        if (hasId(re)) {
            p = put(p, "\"re\":");
            p = putId(p, re);
            *p++ = ',';
        }
        p = put(p, "\"threads\":[");
        for (qsizetype i = 0; i < threads.size(); ++i) {
            if (i)
                *p++ = ',';
            std::memcpy(p, threads.at(i).data(), threads.at(i).size());
            p += threads.at(i).size();
        }
        return put(p, "],\"type\":\"threads\"}");
    });
    return out;
}

QByteArray sentReply(const QByteArray &messageJson, const QJsonValue &re)
{
    QByteArray out;
    appendWith(out, messageJson.size() + 64 + idRoom(re), [&](char *p) {
        p = put(p, "{\"message\":");
        std::memcpy(p, messageJson.constData(), messageJson.size());
        p += messageJson.size();
        if (hasId(re)) {
            p = put(p, ",\"re\":");
            p = putId(p, re);
        }
        return put(p, ",\"type\":\"sent\"}");
    });
    return out;
}

QByteArray messagePush(const QByteArray &messageJson)
{
    QByteArray out;
    appendWith(out, messageJson.size() + 64, [&](char *p) {
        p = put(p, "{\"message\":");
        std::memcpy(p, messageJson.constData(), messageJson.size());
        p += messageJson.size();
        return put(p, ",\"type\":\"message\"}");
    });
    return out;
}

} // namespace dpichat::fastjson
