#include "jsonreader.h"

#include "limits.h"

#include <QJsonArray>
#include <cmath>

namespace dpichat {

bool JsonReader::isInteger(const QJsonValue &value)
{
    if (!value.isDouble())
        return false;
    const double d = value.toDouble();
    // Strictly below 2^53: Qt keeps the literal 2^53 + 1 as an exact qint64, but toDouble()
    // rounds it to 2^53, so accepting 2^53 would silently decode 2^53 + 1 as another id.
    return std::isfinite(d) && std::trunc(d) == d
        && std::abs(d) < double(limits::kMaxJsonInteger);
}

void JsonReader::fail(const QString &message)
{
    if (!m_error)
        m_error = ProtocolError{ErrorCode::BadRequest, message};
}

QJsonValue JsonReader::field(QLatin1StringView key, bool required)
{
    const QJsonValue v = m_object.value(key);
    if (required && (v.isUndefined() || v.isNull()))
        fail(QStringLiteral("missing field '%1'").arg(key));
    return v;
}

qint64 JsonReader::requireInt(QLatin1StringView key)
{
    const QJsonValue v = field(key, true);
    if (v.isUndefined() || v.isNull())
        return 0;
    if (!isInteger(v)) {
        fail(QStringLiteral("field '%1' must be an integer").arg(key));
        return 0;
    }
    return qint64(v.toDouble());
}

std::optional<qint64> JsonReader::optionalInt(QLatin1StringView key)
{
    const QJsonValue v = field(key, false);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!isInteger(v)) {
        fail(QStringLiteral("field '%1' must be an integer").arg(key));
        return std::nullopt;
    }
    return qint64(v.toDouble());
}

QString JsonReader::requireString(QLatin1StringView key, int maxChars)
{
    const QJsonValue v = field(key, true);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isString()) {
        fail(QStringLiteral("field '%1' must be a string").arg(key));
        return {};
    }
    QString s = v.toString();
    if (maxChars >= 0 && s.size() > maxChars) {
        fail(QStringLiteral("field '%1' is longer than %2 characters").arg(key).arg(maxChars));
        return {};
    }
    return s;
}

std::optional<QString> JsonReader::optionalString(QLatin1StringView key, int maxChars)
{
    const QJsonValue v = field(key, false);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    return requireString(key, maxChars);
}

bool JsonReader::requireBool(QLatin1StringView key)
{
    const QJsonValue v = field(key, true);
    if (v.isUndefined() || v.isNull())
        return false;
    if (!v.isBool()) {
        fail(QStringLiteral("field '%1' must be true or false").arg(key));
        return false;
    }
    return v.toBool();
}

QJsonObject JsonReader::requireObject(QLatin1StringView key)
{
    const QJsonValue v = field(key, true);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isObject()) {
        fail(QStringLiteral("field '%1' must be an object").arg(key));
        return {};
    }
    return v.toObject();
}

std::optional<QJsonObject> JsonReader::optionalObject(QLatin1StringView key)
{
    const QJsonValue v = field(key, false);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    return requireObject(key);
}

QJsonArray JsonReader::requireArray(QLatin1StringView key)
{
    const QJsonValue v = field(key, true);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isArray()) {
        fail(QStringLiteral("field '%1' must be an array").arg(key));
        return {};
    }
    return v.toArray();
}

} // namespace dpichat
