#pragma once

#include "store/store.h"

#include <QObject>
#include <QTimer>

namespace dpichat::server {

class Router;

/// The administration command line (another process) disables users, changes their roles and
/// passwords, and revokes their tokens as it does; a session already logged in would keep what
/// it logged in with. This compares the live sessions with the database now and then and
/// closes those of a user who is disabled now, or whose role changed, and, after a password
/// change, those whose token was revoked with it (1008, policy violation): the client cannot
/// log in again with its token, and the user signs in afresh. A session that logged in with the
/// new password holds a token made after the change, and stays.
///
/// Each check first reads Store::accountChanges(), one row, and compares the sessions with
/// every user's row only when that count moved since the last comparison: at 10,000 users
/// the comparison held the event loop for milliseconds.
class AccountWatcher : public QObject
{
    Q_OBJECT
public:
    AccountWatcher(Store &store, Router &router, int intervalMs = 2000, QObject *parent = nullptr);
    void start();
    /// Compares now, if an account changed since the last comparison.
    void check();

private:
    /// Records each user's AccountState::credentials; returns those who had another before.
    QList<qint64> passwordsChanged(const QList<AccountState> &states);
    /// Closes the sessions of `userId` whose token is no longer stored.
    void closeRevoked(qint64 userId);

    Store &m_store;
    Router &m_router;
    /// AccountState::credentials of every user at the last check.
    QHash<qint64, size_t> m_credentials;
    /// Store::accountChanges() read before the last comparison; -1 before the first.
    qint64 m_comparedAt = -1;
    QTimer m_timer;
};

} // namespace dpichat::server
