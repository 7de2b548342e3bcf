#include "accountwatcher.h"

#include "auth/passwords.h"
#include "logging.h"
#include "net/router.h"
#include "net/session.h"

#include <QWebSocketProtocol>

namespace dpichat::server {

AccountWatcher::AccountWatcher(Store &store, Router &router, int intervalMs, QObject *parent)
    : QObject(parent), m_store(store), m_router(router)
{
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &AccountWatcher::check);
}

void AccountWatcher::start()
{
    // The passwords as they are now: a change before the first check is a change too.
    const auto changes = m_store.accountChanges();
    if (const auto states = m_store.accountStates(); !hasError(states)) {
        passwordsChanged(std::get<QList<AccountState>>(states));
        if (!hasError(changes))
            m_comparedAt = std::get<qint64>(changes);
    }
    m_timer.start();
}

QList<qint64> AccountWatcher::passwordsChanged(const QList<AccountState> &states)
{
    QList<qint64> changed;
    for (const AccountState &state : states) {
        const auto known = m_credentials.find(state.id);
        if (known == m_credentials.end()) {
            m_credentials.insert(state.id, state.credentials);
        } else if (*known != state.credentials) {
            *known = state.credentials;
            changed.append(state.id);
        }
    }
    return changed;
}

void AccountWatcher::check()
{
    const QList<User> online = m_router.usersOnlineHere();
    if (online.isEmpty())
        return;
    // Read before the states: a change made in between moves the count past this value, and
    // the next check compares again.
    const auto changes = m_store.accountChanges();
    if (const auto *e = std::get_if<ProtocolError>(&changes)) {
        qCWarning(lcStore) << "cannot check the accounts of live sessions:" << e->message;
        return;
    }
    if (std::get<qint64>(changes) == m_comparedAt)
        return;
    // Every user's state in one query (10,000 users: a few milliseconds), rather than one per
    // user online.
    const auto states = m_store.accountStates();
    if (const auto *e = std::get_if<ProtocolError>(&states)) {
        qCWarning(lcStore) << "cannot check the accounts of live sessions:" << e->message;
        return;
    }
    m_comparedAt = std::get<qint64>(changes);
    QHash<qint64, AccountState> byId;
    byId.reserve(std::get<QList<AccountState>>(states).size());
    for (const AccountState &state : std::get<QList<AccountState>>(states))
        byId.insert(state.id, state);
    for (const User &user : online) {
        const auto it = byId.constFind(user.id);
        const bool gone = it == byId.cend() || it->disabled;
        // Closing detaches the session from the router: close a copy of the list.
        const QList<Session *> sessions = m_router.sessionsOf(user.id);
        for (Session *s : sessions) {
            if (gone) {
                qCInfo(lcNet) << "closing the sessions of disabled user" << user.id;
                s->close(QWebSocketProtocol::CloseCodePolicyViolated,
                         QStringLiteral("account disabled"));
            } else if (it->role != s->user().role) {
                qCInfo(lcNet) << "closing the sessions of user" << user.id << "after a role change";
                s->close(QWebSocketProtocol::CloseCodePolicyViolated,
                         QStringLiteral("role changed; log in again"));
            }
        }
    }
    // Only users whose password changed need their sessions' tokens looked up.
    for (qint64 userId : passwordsChanged(std::get<QList<AccountState>>(states)))
        closeRevoked(userId);
}

void AccountWatcher::closeRevoked(qint64 userId)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QList<Session *> sessions = m_router.sessionsOf(userId);
    for (Session *s : sessions) {
        const auto owner = m_store.sessionUser(passwords::tokenHash(s->token()), now);
        if (const auto *e = std::get_if<ProtocolError>(&owner)) {
            qCWarning(lcStore) << "cannot check a session after a password change:" << e->message;
            continue; // Checked again after the next change; the token cannot log in again.
        }
        if (std::get<std::optional<qint64>>(owner) == userId)
            continue;
        qCInfo(lcNet) << "closing a session of user" << userId << "after a password change";
        s->close(QWebSocketProtocol::CloseCodePolicyViolated,
                 QStringLiteral("password changed; log in again"));
    }
}

} // namespace dpichat::server
