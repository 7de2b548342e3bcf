#include "errors.h"

#include <array>
#include <utility>

namespace dpichat {

namespace {
constexpr std::array<std::pair<ErrorCode, const char *>, 9> kNames{{
    {ErrorCode::BadRequest, "bad_request"},
    {ErrorCode::Unauthenticated, "unauthenticated"},
    {ErrorCode::AuthFailed, "auth_failed"},
    {ErrorCode::UnsupportedProtocol, "unsupported_protocol"},
    {ErrorCode::Forbidden, "forbidden"},
    {ErrorCode::NotFound, "not_found"},
    {ErrorCode::TooLarge, "too_large"},
    {ErrorCode::RateLimited, "rate_limited"},
    {ErrorCode::Internal, "internal"},
}};
} // namespace

QString errorCodeName(ErrorCode code)
{
    for (const auto &[c, name] : kNames) {
        if (c == code)
            return QString::fromLatin1(name);
    }
    return QStringLiteral("internal");
}

std::optional<ErrorCode> errorCodeFromName(const QString &name)
{
    for (const auto &[c, n] : kNames) {
        if (name == QLatin1StringView(n))
            return c;
    }
    return std::nullopt;
}

} // namespace dpichat
