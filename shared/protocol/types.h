#pragma once

#include "errors.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <optional>

namespace dpichat {

/// A user's role: admins are the support team; customers and members each own one thread.
enum class Role { Admin, Customer, Member };

QString roleName(Role role);
std::optional<Role> roleFromName(const QString &name);

/// Formats a time as ISO 8601 UTC with milliseconds ("2026-11-25T07:36:18.123Z").
QString formatTime(const QDateTime &time);
QJsonValue formatOptionalTime(const std::optional<QDateTime> &time);
std::optional<QDateTime> parseTime(const QString &text);

/// PROTOCOL.md `User`.
struct User
{
    qint64 id = 0;
    QString name;
    QString email;
    Role role = Role::Customer;
    bool online = false;
    std::optional<QDateTime> lastSeen;

    QJsonObject toJson() const;
    static Expected<User> fromJson(const QJsonObject &json);
    friend bool operator==(const User &, const User &) = default;
};

/// PROTOCOL.md `Message`.
struct Message
{
    qint64 id = 0;
    qint64 thread = 0;
    qint64 sender = 0;
    QString senderName;
    QString clientId;
    QString text;
    QDateTime createdAt;

    QJsonObject toJson() const;
    static Expected<Message> fromJson(const QJsonObject &json);
    friend bool operator==(const Message &, const Message &) = default;
};

/// PROTOCOL.md `Thread`: one non-admin owner and the whole support team.
struct Thread
{
    qint64 id = 0;
    User owner;
    std::optional<Message> lastMessage;
    qint64 unread = 0;
    qint64 readUpToOwner = 0;
    qint64 readUpToTeam = 0;

    QJsonObject toJson() const;
    static Expected<Thread> fromJson(const QJsonObject &json);
    friend bool operator==(const Thread &, const Thread &) = default;
};

/// Trims white space at both ends and checks the text limits of PROTOCOL.md:
/// empty after trimming gives bad_request, more than `maxChars` code points gives too_large.
Expected<QString> validateMessageText(const QString &text, int maxChars);

/// Counts Unicode code points (a surrogate pair counts once).
int codePointCount(const QString &text);

} // namespace dpichat
