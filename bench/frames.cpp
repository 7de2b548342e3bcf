#include "frames.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace bench {

namespace {

void appendInt(QByteArray &out, qint64 value)
{
    char buf[24];
    int n = 0;
    const bool negative = value < 0;
    quint64 v = negative ? quint64(-value) : quint64(value);
    do {
        buf[n++] = char('0' + v % 10);
        v /= 10;
    } while (v);
    if (negative)
        out.append('-');
    while (n)
        out.append(buf[--n]);
}

// Parses a non-negative decimal integer at `at`; -1 when there is none.
qint64 parseInt(QByteArrayView s, qsizetype at, qsizetype *end = nullptr)
{
    qint64 v = 0;
    qsizetype i = at;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - at < 18)
        v = v * 10 + (s[i++] - '0');
    if (end)
        *end = i;
    return i == at ? -1 : v;
}

// Scattered ids: the sequence number times an odd constant, modulo 2^56 (17 digits at
// most, within parseInt()'s reach); odd, so the product has an inverse modulo 2^56 and the
// driver gets the number back.
constexpr char kScatteredMark = 'x';
// Time-ordered ids: the prefix starts with this mark, replaced by the time when written.
constexpr char kTimeMark = '@';
constexpr int kTimeDigits = 12;
constexpr quint64 kMixMask = (quint64(1) << 56) - 1;
constexpr quint64 kMix = 0x9E3779B97F4A7C15ull & kMixMask; // odd

constexpr quint64 inverseModPow2(quint64 a)
{
    quint64 x = a; // right in the lowest 3 bits; each Newton step doubles that
    for (int i = 0; i < 6; ++i)
        x *= 2 - a * x;
    return x;
}
constexpr quint64 kMixInverse = inverseModPow2(kMix) & kMixMask;
static_assert(((kMix * kMixInverse) & kMixMask) == 1);

// The number after a clientId prefix: the sequence number, mixed when the prefix says so.
void appendClientIdNumber(QByteArray &out, QByteArrayView prefix, qint64 seq)
{
    if (!prefix.isEmpty() && prefix.front() == kTimeMark) {
        static constexpr char kHex[] = "0123456789abcdef";
        const quint64 ms = quint64(QDateTime::currentMSecsSinceEpoch());
        char digits[kTimeDigits + 1];
        for (int i = 0; i < kTimeDigits; ++i)
            digits[i] = kHex[(ms >> (4 * (kTimeDigits - 1 - i))) & 0xf];
        digits[kTimeDigits] = '-';
        out.append(digits, kTimeDigits + 1);
        prefix = prefix.sliced(1);
    }
    out.append(prefix);
    const bool scattered = !prefix.isEmpty() && prefix.back() == kScatteredMark;
    appendInt(out, scattered ? qint64((quint64(seq) * kMix) & kMixMask) : seq);
}

// The value position after `"key":`, skipping optional white space; -1 when absent.
qsizetype valueAfter(QByteArrayView s, QByteArrayView keyPattern)
{
    qsizetype at = s.indexOf(keyPattern);
    if (at < 0)
        return -1;
    at += keyPattern.size();
    while (at < s.size() && (s[at] == ' ' || s[at] == '\t' || s[at] == '\n' || s[at] == '\r'))
        ++at;
    return at < s.size() ? at : -1;
}

// A string value at `at` (pointing at the opening quote) up to the next quote. Our own
// strings never contain escapes, so a backslash means "not ours" and yields an empty view.
QByteArrayView stringAt(QByteArrayView s, qsizetype at)
{
    if (at < 0 || s[at] != '"')
        return {};
    const qsizetype end = s.indexOf('"', at + 1);
    if (end < 0)
        return {};
    const QByteArrayView v = s.sliced(at + 1, end - at - 1);
    return v.contains('\\') ? QByteArrayView() : v;
}

} // namespace

QByteArray makeRunNonce()
{
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray nonce(8, Qt::Uninitialized);
    for (char &c : nonce)
        c = kAlphabet[QRandomGenerator::global()->bounded(36)];
    return nonce;
}

QString idOrderName(IdOrder order)
{
    switch (order) {
    case IdOrder::TimeOrdered:
        return QStringLiteral("time");
    case IdOrder::PerSender:
        return QStringLiteral("sender");
    case IdOrder::Scattered:
        return QStringLiteral("scattered");
    }
    return {};
}

std::optional<IdOrder> idOrderFromName(QStringView name)
{
    for (const IdOrder order : {IdOrder::TimeOrdered, IdOrder::PerSender, IdOrder::Scattered}) {
        if (name == idOrderName(order))
            return order;
    }
    return std::nullopt;
}

QByteArray clientIdPrefix(QByteArrayView nonce, int channel, IdOrder order)
{
    QByteArray prefix;
    if (order == IdOrder::TimeOrdered)
        prefix.append(kTimeMark);
    prefix.append(nonce);
    prefix.append('-');
    appendInt(prefix, channel);
    prefix.append('-');
    if (order == IdOrder::Scattered)
        prefix.append(kScatteredMark);
    return prefix;
}

QByteArray makeText(int bytes)
{
    static constexpr char kAlphabet[]
        = "DPIChat-bench-payload-0123456789-abcdefghijklmnopqrstuvwxyz";
    QByteArray text(qMax(1, bytes), Qt::Uninitialized);
    for (qsizetype i = 0; i < text.size(); ++i)
        text[i] = kAlphabet[i % (sizeof(kAlphabet) - 1)];
    return text;
}

void appendSendFrame(
    QByteArray &out, qint64 seq, qint64 thread, QByteArrayView prefix, QByteArrayView text)
{
    out.append("{\"type\":\"send\",\"id\":");
    appendInt(out, seq);
    out.append(",\"thread\":");
    appendInt(out, thread);
    out.append(",\"clientId\":\"");
    appendClientIdNumber(out, prefix, seq);
    out.append("\",\"text\":\"");
    out.append(text);
    out.append("\"}");
}

ScannedFrame scanFrame(QByteArrayView utf8)
{
    ScannedFrame f;
    const QByteArrayView type = stringAt(utf8, valueAfter(utf8, "\"type\":"));
    if (type == "message") {
        f.kind = FrameKind::Message;
        f.clientId = stringAt(utf8, valueAfter(utf8, "\"clientId\":"));
        const qsizetype at = valueAfter(utf8, "\"id\":");
        f.messageId = at < 0 ? -1 : parseInt(utf8, at);
    } else if (type == "sent" || type == "error") {
        f.kind = type == "sent" ? FrameKind::Sent : FrameKind::Error;
        const qsizetype at = valueAfter(utf8, "\"re\":");
        f.re = at < 0 ? -1 : parseInt(utf8, at);
    }
    return f;
}

void appendPusherClientEvent(QByteArray &out, QByteArrayView channel, qint64 seq,
    QByteArrayView prefix, qint64 sentNs, QByteArrayView text)
{
    out.append("{\"event\":\"client-msg\",\"channel\":\"");
    out.append(channel);
    out.append("\",\"data\":{\"clientId\":\"");
    appendClientIdNumber(out, prefix, seq);
    out.append("\",\"sentNs\":");
    appendInt(out, sentNs);
    out.append(",\"text\":\"");
    out.append(text);
    out.append("\"}}");
}

PusherFrame scanPusherFrame(QByteArrayView utf8)
{
    PusherFrame f;
    f.event = stringAt(utf8, valueAfter(utf8, "\"event\":"));
    if (f.event == "client-msg") {
        f.clientId = stringAt(utf8, valueAfter(utf8, "\"clientId\":"));
    } else if (f.event == "pusher:error") {
        const qsizetype at = valueAfter(utf8, "\"code\":");
        f.errorCode = at < 0 ? -1 : parseInt(utf8, at);
    }
    return f;
}

bool parseClientId(QByteArrayView clientId, QByteArrayView nonce, int &channel, qint64 &seq)
{
    // A time-ordered id: skip the time. (An id without it has the nonce's '-' earlier.)
    if (clientId.size() > kTimeDigits && clientId[kTimeDigits] == '-'
        && !(clientId.size() > nonce.size() && clientId.startsWith(nonce)
             && clientId[nonce.size()] == '-'))
        clientId = clientId.sliced(kTimeDigits + 1);
    if (!clientId.startsWith(nonce) || clientId.size() <= nonce.size()
        || clientId[nonce.size()] != '-')
        return false;
    qsizetype end = 0;
    const qint64 ch = parseInt(clientId, nonce.size() + 1, &end);
    if (ch < 0 || end >= clientId.size() || clientId[end] != '-')
        return false;
    const bool scattered = end + 1 < clientId.size() && clientId[end + 1] == kScatteredMark;
    const qint64 n = parseInt(clientId, end + (scattered ? 2 : 1), &end);
    if (n < 0 || end != clientId.size())
        return false;
    channel = int(ch);
    seq = scattered ? qint64((quint64(n) * kMixInverse) & kMixMask) : n;
    return true;
}

} // namespace bench
