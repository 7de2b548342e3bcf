#pragma once

#include <QMutex>
#include <QString>
#include <QUuid>

namespace dpichat {

/// Makes clientIds (the sender's idempotency key of a `send`): UUIDs of version 7 (RFC 9562),
/// whose first 48 bits are the time in milliseconds since 1970 and whose last 62 are random.
///
/// Why not random UUIDs (version 4): the server keeps `(sender, clientId)` unique in a B-tree
/// index ordered by clientId first. Ids that begin with the time go in next to each other, at
/// the end of the index, whoever sends them; random ids each go to a page of their own, so
/// every message dirties a page of the index and the server's commits write about a page of
/// log per message (docs/performance.md, "Time-ordered clientIds" and "Time-ordered
/// clientIds, one place in the index").
///
/// Each id is greater than the one before it from the same generator, as a UUID and as its
/// text, even within one millisecond or when the clock steps back: the 12 bits after the
/// version then count up from where they were (RFC 9562, section 6.2, method 3).
class ClientIdGenerator
{
public:
    /// A new id at `msSinceEpoch`, normally QDateTime::currentMSecsSinceEpoch().
    QUuid next(qint64 msSinceEpoch);

private:
    QMutex m_mutex;
    qint64 m_lastMs = -1;
    quint16 m_counter = 0; ///< The 12 bits after the version.
};

/// A new clientId from the process's generator, as text without braces.
QString newClientId();

} // namespace dpichat
