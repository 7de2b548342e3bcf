#pragma once

#include <QObject>

#include <vector>

namespace dpichat::server {

class OwnWebSocket;

/// Writes the output the connections queued in one turn of the event loop when the turn ends,
/// one system call per connection, and tells sessions that their connection closed from
/// outside any call they made. One per Listener.
class WriteScheduler : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    void schedule(OwnWebSocket *socket);
    void forget(OwnWebSocket *socket);

private:
    void run();

    std::vector<OwnWebSocket *> m_due;
    std::vector<OwnWebSocket *> m_running;
    bool m_posted = false;
};

} // namespace dpichat::server
