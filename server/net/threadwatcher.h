#pragma once

#include "store/store.h"

#include <QObject>
#include <QTimer>

namespace dpichat::server {

class Router;

/// Users (and so threads) are added by the administration command line, another process.
/// This notices new threads in the database and pushes them to the admins who are online.
class ThreadWatcher : public QObject
{
    Q_OBJECT
public:
    ThreadWatcher(Store &store, Router &router, int intervalMs = 1000, QObject *parent = nullptr);
    void start();
    /// Looks for new threads now.
    void check();

private:
    Store &m_store;
    Router &m_router;
    QTimer m_timer;
    qint64 m_lastThreadId = -1;
};

} // namespace dpichat::server
