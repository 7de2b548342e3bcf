#pragma once

#include "errors.h"

#include <QJsonObject>
#include <QString>
#include <optional>

namespace dpichat {

/// Reads typed fields from a JSON object and remembers the first problem, so that a decoder
/// can read every field and then check once whether the object was well formed.
class JsonReader
{
public:
    explicit JsonReader(const QJsonObject &object) : m_object(object) { }

    qint64 requireInt(QLatin1StringView key);
    /// Absent or null gives std::nullopt; anything but an integer is an error.
    std::optional<qint64> optionalInt(QLatin1StringView key);
    QString requireString(QLatin1StringView key, int maxChars = -1);
    std::optional<QString> optionalString(QLatin1StringView key, int maxChars = -1);
    bool requireBool(QLatin1StringView key);
    QJsonObject requireObject(QLatin1StringView key);
    std::optional<QJsonObject> optionalObject(QLatin1StringView key);
    QJsonArray requireArray(QLatin1StringView key);

    bool ok() const { return !m_error; }
    ProtocolError error() const { return m_error.value_or(ProtocolError{}); }
    void fail(const QString &message);

    /// Whether a JSON value is an integer that a double holds exactly.
    static bool isInteger(const QJsonValue &value);

private:
    QJsonValue field(QLatin1StringView key, bool required);

    QJsonObject m_object;
    std::optional<ProtocolError> m_error;
};

} // namespace dpichat
