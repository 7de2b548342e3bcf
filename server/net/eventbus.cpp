#include "eventbus.h"

#include "net/router.h"
#include "protocol/codec.h"
#include "protocol/fastjson.h"

namespace dpichat::server {

EventBus::EventBus(QObject *parent) : QObject(parent) { }

EventBus::~EventBus() = default;

void EventBus::attach(Router &router, ThreadWatcher &watcher)
{
    m_router = &router;
    m_watcher = &watcher;
}

void EventBus::publishMessage(qint64 ownerId, const Message &message, const Session *origin,
                              const QByteArray &messageJson)
{
    const QByteArray json = messageJson.isEmpty() ? fastjson::message(message) : messageJson;
    m_router->pushToThread(ownerId, fastjson::messagePush(json), origin);
}

void EventBus::publishRead(qint64 ownerId, const ReadPush &read, const Session *origin)
{
    m_router->pushToThread(ownerId, encodeServerFrame(read), origin);
}

void EventBus::publishTyping(qint64 ownerId, const TypingPush &typing)
{
    m_router->pushToThreadExceptUser(ownerId, encodeServerFrame(typing), typing.user);
}

} // namespace dpichat::server
