#include "writescheduler.h"

#include "net/ownwebsocket.h"

namespace dpichat::server {

void WriteScheduler::schedule(OwnWebSocket *socket)
{
    m_due.push_back(socket);
    if (!m_posted) {
        m_posted = true;
        QMetaObject::invokeMethod(this, &WriteScheduler::run, Qt::QueuedConnection);
    }
}

void WriteScheduler::forget(OwnWebSocket *socket)
{
    for (auto *list : {&m_due, &m_running}) {
        for (OwnWebSocket *&s : *list) {
            if (s == socket)
                s = nullptr;
        }
    }
}

void WriteScheduler::run()
{
    m_posted = false;
    m_running.swap(m_due);
    // Index, not iterator: a socket may be scheduled (into m_due) while this runs.
    for (size_t i = 0; i < m_running.size(); ++i) {
        if (OwnWebSocket *s = m_running[i])
            s->onScheduled();
    }
    m_running.clear();
    if (m_running.capacity() > 4096)
        m_running.shrink_to_fit();
}

} // namespace dpichat::server
