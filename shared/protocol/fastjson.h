#pragma once

#include "types.h"

#include <QByteArray>
#include <QJsonValue>

#include <optional>

/// Hand-written encoders for the frames on the hot path (a stored message goes out once as
/// `sent` and once per recipient as `message`). They write the same JSON as the generic
/// codec, without building a QJsonObject; tst_fastjson checks that they agree.
namespace dpichat::fastjson {

/// Appends `text` as a JSON string literal (quotes included), escaped per RFC 8259.
void appendString(QByteArray &out, QStringView text);
/// Appends an ISO 8601 UTC time with milliseconds, as formatTime() does, quoted.
void appendTime(QByteArray &out, const QDateTime &time);
/// The same time without quotes.
QByteArray timeText(const QDateTime &time);
/// A Message as a JSON object.
QByteArray message(const Message &message);
/// `{"type":"sent","re":…,"message":…}` around an already encoded message.
QByteArray sentReply(const QByteArray &messageJson, const QJsonValue &re);
/// `{"type":"message","message":…}` around an already encoded message.
QByteArray messagePush(const QByteArray &messageJson);
/// Text that is UTF-8 already, as SQLite hands it over. Written as it is when it is valid
/// UTF-8 without a leading byte order mark; otherwise as QString::fromUtf8() reads it
/// (U+FFFD for what is not UTF-8, no leading BOM), so that a row says the same whether it
/// was read into a QString first or not.
struct Utf8
{
    QByteArrayView bytes;
};
void appendString(QByteArray &out, Utf8 text);
/// Appends a time in milliseconds since the epoch as appendTime() writes it, quoted.
void appendTimeMs(QByteArray &out, qint64 ms);

/// The fields of a Thread as the `threads` reply writes them, with text as T: QStringView
/// for a Thread, Utf8 for a row read straight from the database.
template<typename T>
struct ThreadFields
{
    qint64 id = 0;
    qint64 ownerId = 0;
    T ownerName, ownerEmail;
    Role ownerRole = Role::Customer;
    bool ownerOnline = false;
    std::optional<qint64> ownerLastSeenMs;
    qint64 readUpToOwner = 0;
    qint64 readUpToTeam = 0;
    qint64 unread = 0;
    bool hasLastMessage = false; ///< false: `lastMessage` is null.
    qint64 lastId = 0;
    qint64 lastSender = 0;
    T lastSenderName, lastClientId, lastText;
    qint64 lastCreatedMs = 0;
};
/// A Thread as a JSON object, appended.
void appendThread(QByteArray &out, const Thread &thread);
void appendThread(QByteArray &out, const ThreadFields<Utf8> &thread);
/// `{"type":"threads","re":…,"threads":[…]}`: an admin's list may hold ten thousand threads,
/// each with its newest message, which the generic codec builds as a tree of QJsonObjects.
QByteArray threadsReply(const QList<Thread> &threads, const QJsonValue &re);
/// The same around threads encoded already (appendThread()), in their order.
QByteArray threadsReply(const QList<QByteArrayView> &threads, const QJsonValue &re);

} // namespace dpichat::fastjson
