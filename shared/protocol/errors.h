#pragma once

#include <QString>
#include <optional>
#include <variant>

namespace dpichat {

/// The error codes of PROTOCOL.md, section Errors.
enum class ErrorCode {
    BadRequest,
    Unauthenticated,
    AuthFailed,
    UnsupportedProtocol,
    Forbidden,
    NotFound,
    TooLarge,
    RateLimited,
    Internal,
};

QString errorCodeName(ErrorCode code);
std::optional<ErrorCode> errorCodeFromName(const QString &name);

/// A typed protocol error: a code from PROTOCOL.md and a human-readable sentence.
struct ProtocolError
{
    ErrorCode code = ErrorCode::BadRequest;
    QString message;

    friend bool operator==(const ProtocolError &, const ProtocolError &) = default;
};

/// The result of a decode or a validation: a value or a typed error.
template<typename T>
using Expected = std::variant<T, ProtocolError>;

template<typename T>
bool hasError(const Expected<T> &e)
{
    return std::holds_alternative<ProtocolError>(e);
}

} // namespace dpichat
