#include "router.h"

#include "logging.h"
#include "net/session.h"
#include "protocol/codec.h"

#include <QVarLengthArray>

#include <algorithm>

namespace dpichat::server {

Router::Router(Store &store, QObject *parent) : QObject(parent), m_store(store)
{
    m_lastSeenTimer.setInterval(1000);
    m_lastSeenTimer.setSingleShot(true);
    connect(&m_lastSeenTimer, &QTimer::timeout, this, &Router::flushLastSeen);
}

void Router::flushLastSeen()
{
    m_lastSeenTimer.stop();
    if (m_lastSeen.isEmpty())
        return;
    const auto recorded = m_store.setLastSeen(std::exchange(m_lastSeen, {}));
    if (const auto *e = std::get_if<ProtocolError>(&recorded))
        qCWarning(lcRouter) << "could not record last seen:" << e->message;
}

void Router::attach(Session *session)
{
    const User &user = session->user();
    QList<Session *> &sessions = m_byUser[user.id];
    const bool first = sessions.isEmpty();
    sessions.append(session);
    if (user.role == Role::Admin)
        m_admins.append(session);
    ++m_sessionCount;
    if (!first)
        return;
    Q_EMIT localPresenceChanged(user, true);
    if (!m_elsewhere.contains(user.id))
        announce(user, true, std::nullopt);
}

void Router::detach(Session *session)
{
    const User &user = session->user();
    auto it = m_byUser.find(user.id);
    if (it == m_byUser.end() || !it->removeOne(session))
        return;
    m_admins.removeOne(session);
    --m_sessionCount;
    if (!it->isEmpty())
        return;
    m_byUser.erase(it);
    Q_EMIT localPresenceChanged(user, false);
    if (m_elsewhere.contains(user.id))
        return; // Still online; the instance that sees them leave last records it.
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_lastSeen.insert(user.id, now);
    if (!m_lastSeenTimer.isActive())
        m_lastSeenTimer.start();
    announce(user, false, now);
}

void Router::announce(const User &user, bool online, const std::optional<QDateTime> &lastSeen)
{
    const QByteArray frame = encodeServerFrame(PresencePush{user.id, online, lastSeen});
    if (user.role == Role::Admin)
        pushToAll(frame);
    else
        pushToAdmins(frame);
}

QList<User> Router::usersOnlineHere() const
{
    QList<User> users;
    users.reserve(m_byUser.size());
    for (const QList<Session *> &sessions : m_byUser)
        users.append(sessions.constFirst()->user());
    return users;
}

void Router::setOnlineElsewhere(const User &user, bool online,
                                const std::optional<QDateTime> &lastSeen)
{
    const bool was = m_elsewhere.contains(user.id);
    if (online)
        m_elsewhere.insert(user.id, user);
    else
        m_elsewhere.remove(user.id);
    if (online && user.role == Role::Admin)
        m_adminsElsewhere.insert(user.id);
    else
        m_adminsElsewhere.remove(user.id);
    if (was != online && !m_byUser.contains(user.id))
        announce(user, online, online ? std::nullopt : lastSeen);
}

void Router::sendPresenceSnapshot(Session *session) const
{
    const qint64 self = session->user().id;
    const auto online = [session](qint64 userId) {
        session->sendText(encodeServerFrame(PresencePush{userId, true, std::nullopt}));
    };
    if (session->user().role != Role::Admin) {
        // Customers and members see the admins only: walk the admins' sessions, not every
        // user online, or a crowd of customers reconnecting at once (a restart) would cost
        // the number online for each of them.
        for (const qint64 admin : m_adminsElsewhere) {
            if (admin != self && !m_byUser.contains(admin))
                online(admin);
        }
        QVarLengthArray<qint64, 32> sent; // an admin with several sessions is sent once
        for (const Session *admin : m_admins) {
            const qint64 id = admin->user().id;
            if (id != self && std::find(sent.cbegin(), sent.cend(), id) == sent.cend()) {
                sent.append(id);
                online(id);
            }
        }
        return;
    }
    for (auto it = m_elsewhere.cbegin(); it != m_elsewhere.cend(); ++it) {
        if (it.key() != self && !m_byUser.contains(it.key()))
            online(it.key());
    }
    for (auto it = m_byUser.cbegin(); it != m_byUser.cend(); ++it) {
        if (it.key() != self && !it->isEmpty())
            online(it.key());
    }
}

void Router::pushToThread(qint64 ownerId, const QByteArray &frame, const Session *except)
{
    // Copies: a send may close a slow session, which detaches it from these lists.
    const QList<Session *> owners = m_byUser.value(ownerId);
    for (Session *s : owners) {
        if (s != except)
            s->sendText(frame);
    }
    const QList<Session *> admins = m_admins;
    for (Session *s : admins) {
        if (s != except && s->user().id != ownerId)
            s->sendText(frame);
    }
}

void Router::pushToThreadExceptUser(qint64 ownerId, const QByteArray &frame, qint64 exceptUser)
{
    if (ownerId != exceptUser) {
        const QList<Session *> owners = m_byUser.value(ownerId);
        for (Session *s : owners)
            s->sendText(frame);
    }
    const QList<Session *> admins = m_admins;
    for (Session *s : admins) {
        if (s->user().id != exceptUser && s->user().id != ownerId)
            s->sendText(frame);
    }
}

void Router::pushToAdmins(const QByteArray &frame)
{
    const QList<Session *> admins = m_admins;
    for (Session *s : admins)
        s->sendText(frame);
}

void Router::pushToAll(const QByteArray &frame)
{
    const auto byUser = m_byUser;
    for (const QList<Session *> &sessions : byUser) {
        for (Session *s : sessions)
            s->sendText(frame);
    }
}

} // namespace dpichat::server
