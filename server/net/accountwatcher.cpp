#include "accountwatcher.h"

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
    m_timer.start();
}

void AccountWatcher::check()
{
    const QList<User> online = m_router.usersOnlineHere();
    if (online.isEmpty())
        return;
    // Every user's state in one query (10,000 users: a few milliseconds), rather than one per
    // user online.
    const auto states = m_store.accountStates();
    if (const auto *e = std::get_if<ProtocolError>(&states)) {
        qCWarning(lcStore) << "cannot check the accounts of live sessions:" << e->message;
        return;
    }
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
}

} // namespace dpichat::server
