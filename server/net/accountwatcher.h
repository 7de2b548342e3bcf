#pragma once

#include "store/store.h"

#include <QObject>
#include <QTimer>

namespace dpichat::server {

class Router;

/// The administration command line (another process) disables users and changes their
/// roles, and revokes their tokens as it does; a session already logged in would keep what it
/// logged in with. This compares the live sessions with the database now and then and closes
/// those of a user who is disabled now, or whose role changed (1008, policy violation): the
/// client cannot log in again with its token, and the user signs in afresh, with the new role.
class AccountWatcher : public QObject
{
    Q_OBJECT
public:
    AccountWatcher(Store &store, Router &router, int intervalMs = 2000, QObject *parent = nullptr);
    void start();
    /// Compares now.
    void check();

private:
    Store &m_store;
    Router &m_router;
    QTimer m_timer;
};

} // namespace dpichat::server
