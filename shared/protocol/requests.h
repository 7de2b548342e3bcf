#pragma once

#include "errors.h"

#include <QJsonObject>
#include <QLatin1StringView>
#include <optional>

/// Client requests of PROTOCOL.md: one type per frame type, each with `fromJson` (which
/// validates and returns a typed error) and `toJson` (which includes the `type` field).
namespace dpichat {

struct LoginRequest
{
    static constexpr QLatin1StringView kType{"login"};
    qint64 protocol = 0;
    QString email;
    QString password;
    QString token; ///< Set for a token login; then email and password are empty.

    bool isTokenLogin() const { return !token.isEmpty(); }
    QJsonObject toJson() const;
    static Expected<LoginRequest> fromJson(const QJsonObject &json);
};

struct LogoutRequest
{
    static constexpr QLatin1StringView kType{"logout"};
    QJsonObject toJson() const;
    static Expected<LogoutRequest> fromJson(const QJsonObject &json);
};

struct ThreadsRequest
{
    static constexpr QLatin1StringView kType{"threads"};
    QJsonObject toJson() const;
    static Expected<ThreadsRequest> fromJson(const QJsonObject &json);
};

struct HistoryRequest
{
    static constexpr QLatin1StringView kType{"history"};
    qint64 thread = 0;
    std::optional<qint64> before; ///< Newest page when empty.
    int limit = 50; ///< Capped at limits::kHistoryMaxLimit by fromJson.

    QJsonObject toJson() const;
    static Expected<HistoryRequest> fromJson(const QJsonObject &json);
};

struct SendRequest
{
    static constexpr QLatin1StringView kType{"send"};
    qint64 thread = 0;
    QString clientId;
    QString text; ///< As sent; the server trims and checks it with validateMessageText().

    QJsonObject toJson() const;
    static Expected<SendRequest> fromJson(const QJsonObject &json);
};

struct ReadRequest
{
    static constexpr QLatin1StringView kType{"read"};
    qint64 thread = 0;
    qint64 upTo = 0;

    QJsonObject toJson() const;
    static Expected<ReadRequest> fromJson(const QJsonObject &json);
};

struct SyncRequest
{
    static constexpr QLatin1StringView kType{"sync"};
    qint64 after = 0;
    int limit = 500; ///< Capped at limits::kSyncMaxLimit by fromJson.

    QJsonObject toJson() const;
    static Expected<SyncRequest> fromJson(const QJsonObject &json);
};

struct TypingRequest
{
    static constexpr QLatin1StringView kType{"typing"};
    qint64 thread = 0;
    bool active = false;

    QJsonObject toJson() const;
    static Expected<TypingRequest> fromJson(const QJsonObject &json);
};

struct PingRequest
{
    static constexpr QLatin1StringView kType{"ping"};
    QJsonObject toJson() const;
    static Expected<PingRequest> fromJson(const QJsonObject &json);
};

} // namespace dpichat
