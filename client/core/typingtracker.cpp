#include "typingtracker.h"

#include "connection.h"

namespace dpichat {

TypingTracker::TypingTracker(Connection *connection, QObject *parent)
    : QObject(parent), m_connection(connection)
{
    m_ticker.setInterval(1000);
    connect(&m_ticker, &QTimer::timeout, this, &TypingTracker::onTick);
}

void TypingTracker::setTyping(qint64 thread, bool active)
{
    if (!active) {
        if (m_local.remove(thread))
            m_connection->sendTyping(thread, false);
        updateTicker();
        return;
    }
    Local &local = m_local[thread];
    local.lastActivity.start();
    if (!local.lastSent.isValid() || local.lastSent.elapsed() >= kSendIntervalMs) {
        m_connection->sendTyping(thread, true);
        local.lastSent.start();
    }
    updateTicker();
}

void TypingTracker::onTypingPush(qint64 thread, qint64 user, const QString &name, bool active)
{
    auto &users = m_remote[thread];
    if (active) {
        const bool isNew = !users.contains(user);
        Remote &r = users[user];
        r.name = name;
        r.since.start();
        if (isNew)
            Q_EMIT typingChanged(thread);
    } else if (users.remove(user)) {
        Q_EMIT typingChanged(thread);
    }
    if (users.isEmpty())
        m_remote.remove(thread);
    updateTicker();
}

void TypingTracker::clearUser(qint64 thread, qint64 user)
{
    onTypingPush(thread, user, QString(), false);
}

void TypingTracker::clear()
{
    const QList<qint64> threads = m_remote.keys();
    m_remote.clear();
    m_local.clear();
    for (qint64 t : threads)
        Q_EMIT typingChanged(t);
    updateTicker();
}

QStringList TypingTracker::typingUsers(qint64 thread) const
{
    QStringList names;
    const auto it = m_remote.constFind(thread);
    if (it == m_remote.cend())
        return names;
    for (const Remote &r : *it)
        names << r.name;
    names.sort();
    return names;
}

void TypingTracker::onTick()
{
    QList<qint64> idle;
    for (auto it = m_local.cbegin(); it != m_local.cend(); ++it) {
        if (it->lastActivity.elapsed() >= kIdleStopMs)
            idle << it.key();
    }
    for (qint64 thread : idle)
        setTyping(thread, false);

    for (auto t = m_remote.begin(); t != m_remote.end();) {
        bool changed = false;
        for (auto u = t->begin(); u != t->end();) {
            if (u->since.elapsed() >= kExpiryMs) {
                u = t->erase(u);
                changed = true;
            } else {
                ++u;
            }
        }
        const qint64 thread = t.key();
        t = t->isEmpty() ? m_remote.erase(t) : std::next(t);
        if (changed)
            Q_EMIT typingChanged(thread);
    }
    updateTicker();
}

void TypingTracker::updateTicker()
{
    const bool needed = !m_local.isEmpty() || !m_remote.isEmpty();
    if (needed && !m_ticker.isActive())
        m_ticker.start();
    else if (!needed)
        m_ticker.stop();
}

} // namespace dpichat
