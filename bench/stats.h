#pragma once

#include <QMap>
#include <QString>

#include <vector>

namespace bench {

/// Counters one driver thread collects; the controller adds them up.
struct Stats {
    qint64 sent = 0; ///< Send frames written.
    qint64 acked = 0; ///< `sent` replies.
    qint64 rejected = 0; ///< `error` replies to sends.
    qint64 delivered = 0; ///< Distinct pushes of our messages at receiving sessions.
    qint64 duplicated = 0; ///< Pushes of a message the session had already received.
    qint64 outOfOrder = 0; ///< Pushes older (by sequence) than one already received.
    qint64 idOrderViolations = 0; ///< Pushes whose message id is not above the previous one.
    qint64 lost = 0; ///< (message, receiver) pairs acked but never pushed by the end.
    qint64 unacked = 0; ///< Sends with neither `sent` nor `error` by the end.
    qint64 foreign = 0; ///< Message pushes that are not this run's (other clientIds).
    qint64 disconnects = 0; ///< Sessions that closed during the load.

    qint64 sentInWindow = 0; ///< Sends written inside the measured interval.
    qint64 ackedInWindow = 0; ///< `sent` replies received inside it.
    qint64 deliveredInWindow = 0; ///< Pushes received inside it.

    qint64 lateSends = 0; ///< Light mode: sends written more than 1 ms after schedule.
    qint64 maxScheduleLagNs = 0;

    std::vector<qint64> deliveryLatencyNs; ///< send frame written -> push received.
    std::vector<qint64> ackLatencyNs; ///< send frame written -> `sent` received.
    QMap<QString, qint64> errorCodes;
    QStringList problems; ///< First few disconnect reasons and the like.

    void add(Stats &&other);
};

} // namespace bench
