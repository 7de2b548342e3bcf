#include "threadwatcher.h"

#include "logging.h"
#include "net/router.h"
#include "protocol/codec.h"

namespace dpichat::server {

ThreadWatcher::ThreadWatcher(Store &store, Router &router, int intervalMs, QObject *parent)
    : QObject(parent), m_store(store), m_router(router)
{
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &ThreadWatcher::check);
}

void ThreadWatcher::start()
{
    check();
    m_timer.start();
}

void ThreadWatcher::check()
{
    const auto newest = m_store.maxThreadId();
    if (const auto *e = std::get_if<ProtocolError>(&newest)) {
        qCWarning(lcStore) << "cannot look for new threads:" << e->message;
        return;
    }
    const qint64 maxId = std::get<qint64>(newest);
    if (m_lastThreadId < 0 || maxId <= m_lastThreadId) {
        m_lastThreadId = qMax(m_lastThreadId, maxId);
        return;
    }
    // Seen as an admin who has read nothing: every message counts as unread.
    User viewer;
    viewer.role = Role::Admin;
    for (qint64 id = m_lastThreadId + 1; id <= maxId; ++id) {
        auto thread = m_store.threadFor(id, viewer);
        if (const auto *e = std::get_if<ProtocolError>(&thread)) {
            qCWarning(lcStore) << "cannot read new thread" << id << e->message;
            return; // try again next time
        }
        if (auto t = std::get<std::optional<Thread>>(thread)) {
            t->owner.online = m_router.isOnline(t->owner.id);
            m_router.pushToAdmins(encodeServerFrame(ThreadPush{*t}));
        }
        m_lastThreadId = id;
    }
}

} // namespace dpichat::server
