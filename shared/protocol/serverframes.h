#pragma once

#include "errors.h"
#include "types.h"

#include <QJsonObject>
#include <QLatin1StringView>
#include <QList>

/// Server frames of PROTOCOL.md (replies and pushes): one type per frame type, each with
/// `fromJson` (validating) and `toJson` (including the `type` field, without `re`).
namespace dpichat {

struct WelcomeReply
{
    static constexpr QLatin1StringView kType{"welcome"};
    QString token;
    User user;
    qint64 frameBytes = 0;
    qint64 textChars = 0;
    QString serverVersion;

    QJsonObject toJson() const;
    static Expected<WelcomeReply> fromJson(const QJsonObject &json);
};

struct OkReply
{
    static constexpr QLatin1StringView kType{"ok"};
    QJsonObject toJson() const;
    static Expected<OkReply> fromJson(const QJsonObject &json);
};

struct ThreadsReply
{
    static constexpr QLatin1StringView kType{"threads"};
    QList<Thread> threads;
    QJsonObject toJson() const;
    static Expected<ThreadsReply> fromJson(const QJsonObject &json);
};

struct HistoryReply
{
    static constexpr QLatin1StringView kType{"history"};
    qint64 thread = 0;
    QList<Message> messages;
    bool hasMore = false;
    QJsonObject toJson() const;
    static Expected<HistoryReply> fromJson(const QJsonObject &json);
};

struct SentReply
{
    static constexpr QLatin1StringView kType{"sent"};
    Message message;
    QJsonObject toJson() const;
    static Expected<SentReply> fromJson(const QJsonObject &json);
};

struct SyncReply
{
    static constexpr QLatin1StringView kType{"sync"};
    QList<Message> messages;
    bool hasMore = false;
    QJsonObject toJson() const;
    static Expected<SyncReply> fromJson(const QJsonObject &json);
};

struct PongReply
{
    static constexpr QLatin1StringView kType{"pong"};
    QJsonObject toJson() const;
    static Expected<PongReply> fromJson(const QJsonObject &json);
};

struct ErrorReply
{
    static constexpr QLatin1StringView kType{"error"};
    ErrorCode code = ErrorCode::Internal;
    QString message;
    QJsonObject toJson() const;
    static Expected<ErrorReply> fromJson(const QJsonObject &json);
};

struct MessagePush
{
    static constexpr QLatin1StringView kType{"message"};
    Message message;
    QJsonObject toJson() const;
    static Expected<MessagePush> fromJson(const QJsonObject &json);
};

struct ReadPush
{
    static constexpr QLatin1StringView kType{"read"};
    qint64 thread = 0;
    qint64 user = 0;
    qint64 upTo = 0;
    QJsonObject toJson() const;
    static Expected<ReadPush> fromJson(const QJsonObject &json);
};

struct TypingPush
{
    static constexpr QLatin1StringView kType{"typing"};
    qint64 thread = 0;
    qint64 user = 0;
    QString name;
    bool active = false;
    QJsonObject toJson() const;
    static Expected<TypingPush> fromJson(const QJsonObject &json);
};

struct PresencePush
{
    static constexpr QLatin1StringView kType{"presence"};
    qint64 user = 0;
    bool online = false;
    std::optional<QDateTime> lastSeen;
    QJsonObject toJson() const;
    static Expected<PresencePush> fromJson(const QJsonObject &json);
};

struct ThreadPush
{
    static constexpr QLatin1StringView kType{"thread"};
    Thread thread;
    QJsonObject toJson() const;
    static Expected<ThreadPush> fromJson(const QJsonObject &json);
};

} // namespace dpichat
