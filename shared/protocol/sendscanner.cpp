// The `send` request read straight from its bytes: the one request every message makes.
#include "sendscanner.h"

#include "limits.h"

namespace dpichat {

namespace {

/// Reads one flat JSON object from the front; every "not the simple case" answer is
/// std::nullopt, and the caller then decodes the frame the general way.
class Scanner
{
public:
    explicit Scanner(QByteArrayView utf8) : m_p(utf8.data()), m_end(utf8.data() + utf8.size()) {}

    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r'))
            ++m_p;
    }

    bool take(char c)
    {
        skipSpace();
        if (m_p == m_end || *m_p != c)
            return false;
        ++m_p;
        return true;
    }

    bool atEnd()
    {
        skipSpace();
        return m_p == m_end;
    }

    bool peekIs(char c)
    {
        skipSpace();
        return m_p < m_end && *m_p == c;
    }

    /// A string without escapes or control characters, as its raw bytes: for keys and the
    /// type, compared without building a QString.
    std::optional<QByteArrayView> plainString()
    {
        if (!take('"'))
            return std::nullopt;
        const char *start = m_p;
        while (m_p < m_end && *m_p != '"') {
            if (static_cast<unsigned char>(*m_p) < 0x20 || *m_p == '\\')
                return std::nullopt;
            ++m_p;
        }
        if (m_p == m_end)
            return std::nullopt;
        return QByteArrayView(start, m_p++ - start);
    }

    /// A value string with no `\u` escape, no control character and valid UTF-8. Without
    /// escapes (the usual case) it is converted straight from the frame's bytes.
    std::optional<QString> string()
    {
        if (!take('"'))
            return std::nullopt;
        const char *start = m_p;
        bool escaped = false;
        bool ascii = true;
        for (;;) {
            if (m_p == m_end)
                return std::nullopt;
            const auto c = static_cast<unsigned char>(*m_p);
            if (c == '"')
                break;
            if (c < 0x20)
                return std::nullopt;
            if (c >= 0x80)
                ascii = false;
            if (c == '\\') {
                if (m_p + 1 == m_end || !simpleEscape(m_p[1]))
                    return std::nullopt;
                escaped = true;
                ++m_p;
            }
            ++m_p;
        }
        const QByteArrayView raw(start, m_p - start);
        ++m_p; // the closing quote
        if (!escaped) {
            if (ascii)
                return QString::fromLatin1(raw);
            if (!raw.isValidUtf8())
                return std::nullopt;
            return QString::fromUtf8(raw);
        }
        QByteArray bytes;
        bytes.reserve(raw.size());
        for (qsizetype i = 0; i < raw.size(); ++i) {
            char c = raw[i];
            if (c == '\\')
                c = simpleEscape(raw[++i]);
            bytes.append(c);
        }
        if (!ascii && !QByteArrayView(bytes).isValidUtf8())
            return std::nullopt;
        return QString::fromUtf8(bytes);
    }

    /// An integer written as JSON writes it (no leading zero, fraction or exponent) and
    /// small enough to be exact as a double; `allowNegative` for ids.
    std::optional<qint64> integer(bool allowNegative)
    {
        skipSpace();
        bool negative = false;
        if (allowNegative && m_p < m_end && *m_p == '-') {
            negative = true;
            ++m_p;
        }
        const char *start = m_p;
        qint64 value = 0;
        // 15 digits stay below 2^53; a leading zero is JSON only alone, and -0 is a double.
        constexpr qsizetype kMaxDigits = 15;
        while (m_p < m_end && *m_p >= '0' && *m_p <= '9') {
            if (m_p - start == kMaxDigits)
                return std::nullopt;
            value = value * 10 + (*m_p++ - '0');
        }
        const qsizetype digits = m_p - start;
        if (digits == 0 || (*start == '0' && (digits > 1 || negative)))
            return std::nullopt;
        // Anything that continues the number (".5", "e3") is for the general decoder.
        if (m_p < m_end && (*m_p == '.' || *m_p == 'e' || *m_p == 'E'))
            return std::nullopt;
        return negative ? -value : value;
    }

private:
    static char simpleEscape(char c)
    {
        switch (c) {
        case '"': return '"';
        case '\\': return '\\';
        case '/': return '/';
        case 'b': return '\b';
        case 'f': return '\f';
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        default: return 0;
        }
    }

    const char *m_p;
    const char *m_end;
};

} // namespace

std::optional<RequestFrame> scanSendRequest(QByteArrayView utf8)
{
    Scanner in(utf8);
    if (!in.take('{'))
        return std::nullopt;
    enum Field { Type = 1, Id = 2, Thread = 4, ClientId = 8, Text = 16 };
    int seen = 0;
    QJsonValue id(QJsonValue::Undefined);
    SendRequest send;
    bool first = true;
    while (!in.peekIs('}')) {
        if (!first && !in.take(','))
            return std::nullopt;
        first = false;
        const auto key = in.plainString();
        if (!key || !in.take(':'))
            return std::nullopt;
        int field = 0;
        if (*key == "type") {
            const auto type = in.plainString();
            if (!type || *type != QByteArrayView(SendRequest::kType.data(), SendRequest::kType.size()))
                return std::nullopt;
            field = Type;
        } else if (*key == "id") {
            if (in.peekIs('"')) {
                const auto text = in.string();
                if (!text || text->size() > limits::kRequestIdChars)
                    return std::nullopt;
                id = *text;
            } else {
                const auto number = in.integer(true);
                if (!number)
                    return std::nullopt;
                id = *number;
            }
            field = Id;
        } else if (*key == "thread") {
            const auto number = in.integer(false);
            if (!number)
                return std::nullopt;
            send.thread = *number;
            field = Thread;
        } else if (*key == "clientId") {
            auto text = in.string();
            if (!text || text->size() > limits::kClientIdChars || text->trimmed().isEmpty())
                return std::nullopt;
            send.clientId = std::move(*text);
            field = ClientId;
        } else if (*key == "text") {
            auto text = in.string();
            if (!text)
                return std::nullopt;
            send.text = std::move(*text);
            field = Text;
        } else {
            return std::nullopt; // a field the simple case does not have
        }
        if (seen & field)
            return std::nullopt; // the same key twice
        seen |= field;
    }
    in.take('}');
    if (!in.atEnd() || (seen | Id) != (Type | Id | Thread | ClientId | Text))
        return std::nullopt;
    return RequestFrame{id, std::move(send)};
}

} // namespace dpichat
