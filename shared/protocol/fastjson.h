#pragma once

#include "types.h"

#include <QByteArray>
#include <QJsonValue>

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
/// A User as a JSON object, appended.
void appendUser(QByteArray &out, const User &user);
/// A Thread as a JSON object, appended.
void appendThread(QByteArray &out, const Thread &thread);
/// `{"type":"threads","re":…,"threads":[…]}`: an admin's list may hold ten thousand threads,
/// each with its newest message, which the generic codec builds as a tree of QJsonObjects.
QByteArray threadsReply(const QList<Thread> &threads, const QJsonValue &re);

} // namespace dpichat::fastjson
