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
int writeTime(char (&buffer)[48], const QDateTime &time)
{
    const qint64 ms = time.toMSecsSinceEpoch();
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

void appendTime(QByteArray &out, const QDateTime &time)
{
    char buffer[48];
    const int n = writeTime(buffer, time);
    out.append('"');
    out.append(buffer, n);
    out.append('"');
}

QByteArray timeText(const QDateTime &time)
{
    char buffer[48];
    const int n = writeTime(buffer, time);
    return QByteArray(buffer, n);
}

namespace {
void appendMessage(QByteArray &out, const Message &m)
{
    out.append("{\"clientId\":");
    appendString(out, m.clientId);
    out.append(",\"createdAt\":");
    appendTime(out, m.createdAt);
    out.append(",\"id\":");
    appendInt(out, m.id);
    out.append(",\"sender\":");
    appendInt(out, m.sender);
    out.append(",\"senderName\":");
    appendString(out, m.senderName);
    out.append(",\"text\":");
    appendString(out, m.text);
    out.append(",\"thread\":");
    appendInt(out, m.thread);
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

void appendUser(QByteArray &out, const User &u)
{
    out.append("{\"email\":");
    appendString(out, u.email);
    out.append(",\"id\":");
    appendInt(out, u.id);
    out.append(",\"lastSeen\":");
    if (u.lastSeen)
        appendTime(out, *u.lastSeen);
    else
        out.append("null");
    out.append(",\"name\":");
    appendString(out, u.name);
    out.append(",\"online\":");
    out.append(u.online ? "true" : "false");
    out.append(",\"role\":");
    appendString(out, roleName(u.role));
    out.append('}');
}

void appendThread(QByteArray &out, const Thread &t)
{
    out.append("{\"id\":");
    appendInt(out, t.id);
    out.append(",\"lastMessage\":");
    if (t.lastMessage)
        appendMessage(out, *t.lastMessage);
    else
        out.append("null");
    out.append(",\"owner\":");
    appendUser(out, t.owner);
    out.append(",\"readUpTo\":{\"owner\":");
    appendInt(out, t.readUpToOwner);
    out.append(",\"team\":");
    appendInt(out, t.readUpToTeam);
    out.append("},\"unread\":");
    appendInt(out, t.unread);
    out.append('}');
}

QByteArray threadsReply(const QList<Thread> &threads, const QJsonValue &re)
{
    // Room for all of it at once: growing a reply of megabytes copies it each time.
    qsizetype estimate = 64;
    for (const Thread &t : threads) {
        estimate += 360 + t.owner.name.size() + t.owner.email.size();
        if (t.lastMessage) {
            estimate += t.lastMessage->senderName.size() + t.lastMessage->clientId.size()
                    + t.lastMessage->text.size() + t.lastMessage->text.size() / 8;
        }
    }
    QByteArray out;
    out.reserve(estimate);
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
        appendThread(out, threads.at(i));
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
