#include "pgeventbus.h"

#include "logging.h"
#include "net/router.h"
#include "net/threadwatcher.h"
#include "store/sqlstore.h"
#include "store/sqlutil.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QUuid>

using namespace Qt::StringLiterals;

namespace dpichat::server {

namespace {

// Users per "s" notification: [id, "customer"] is at most about 30 bytes, well inside 8000.
constexpr int kStateChunk = 200;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString channel()
{
    return QString::fromUtf16(SqlStore::kEventChannel);
}

User userFrom(const QJsonObject &event)
{
    User u;
    u.id = event.value("u"_L1).toInteger();
    u.role = roleFromName(event.value("r"_L1).toString()).value_or(Role::Customer);
    return u;
}

} // namespace

PgEventBus::PgEventBus(SqlStore &store, QObject *parent) : PgEventBus(store, Timing{}, parent) { }

PgEventBus::PgEventBus(SqlStore &store, Timing timing, QObject *parent)
    : EventBus(parent)
    , m_store(store)
    , m_timing(timing)
    , m_instance(QUuid::createUuid().toString(QUuid::Id128).left(16))
    , m_connectionName(u"dpichat-listen-"_s + m_instance)
{
    m_tick.setInterval(m_timing.heartbeatMs);
    connect(&m_tick, &QTimer::timeout, this, &PgEventBus::tick);
    // Inside the commit's transaction: other instances hear of exactly what was committed,
    // even if this process dies right after.
    m_store.setAppendNotification(appendNotification());
}

SqlStore::AppendNotification PgEventBus::appendNotification() const
{
    // Captures only the instance id (a copy), so another thread's store may call it.
    return [instance = m_instance](const QList<AppendResult> &results) {
        qint64 first = 0;
        qint64 last = 0;
        for (const AppendResult &r : results) {
            if (!r.created)
                continue;
            first = first ? std::min(first, r.message.id) : r.message.id;
            last = std::max(last, r.message.id);
        }
        if (!first)
            return QString();
        const QJsonObject event{{"i"_L1, instance}, {"k"_L1, u"m"_s},
                                {"lo"_L1, first}, {"hi"_L1, last}};
        return QString::fromUtf8(QJsonDocument(event).toJson(QJsonDocument::Compact));
    };
}

PgEventBus::~PgEventBus()
{
    m_store.setAppendNotification({});
    closeListener();
}

void PgEventBus::attach(Router &router, ThreadWatcher &watcher)
{
    EventBus::attach(router, watcher);
    connect(&router, &Router::localPresenceChanged, this, &PgEventBus::onLocalPresence);
}

Expected<bool> PgEventBus::start()
{
    if (!listen())
        return ProtocolError{ErrorCode::Internal,
                             u"cannot listen for the other instances' events"_s};
    m_started = true;
    qCInfo(lcRouter) << "instance" << m_instance << "listening for other instances";
    sayHello();
    m_tick.start();
    return true;
}

void PgEventBus::stop()
{
    if (!m_started)
        return;
    m_started = false;
    m_tick.stop();
    publish({{"k"_L1, u"bye"_s}});
    closeListener();
}

bool PgEventBus::listen()
{
    closeListener();
    const SqlStoreOptions &o = m_store.options();
    m_listenDb = QSqlDatabase::addDatabase(u"QPSQL"_s, m_connectionName);
    m_listenDb.setDatabaseName(o.database);
    m_listenDb.setHostName(o.host);
    if (o.port > 0)
        m_listenDb.setPort(o.port);
    m_listenDb.setUserName(o.user);
    m_listenDb.setPassword(o.password);
    if (!m_listenDb.open()) {
        sql::failure(m_listenDb.lastError(), "open the notification connection"_L1);
        return false;
    }
    QSqlDriver *driver = m_listenDb.driver();
    if (!driver->subscribeToNotification(channel())) {
        sql::failure(driver->lastError(), "listen"_L1);
        return false;
    }
    connect(driver, &QSqlDriver::notification, this, &PgEventBus::onNotification);
    m_listening = true;
    return true;
}

void PgEventBus::closeListener()
{
    m_listening = false;
    if (m_listenDb.isValid()) {
        if (QSqlDriver *driver = m_listenDb.driver())
            driver->disconnect(this);
        m_listenDb.close();
    }
    m_listenDb = QSqlDatabase();
    if (QSqlDatabase::contains(m_connectionName))
        QSqlDatabase::removeDatabase(m_connectionName);
}

void PgEventBus::tick()
{
    if (!m_listening || sql::isConnectionLost(m_listenDb)) {
        if (m_listening)
            qCWarning(lcRouter) << "the notification connection is broken; reconnecting";
        if (!listen())
            return; // Next heartbeat again.
        qCInfo(lcRouter) << "listening for other instances again";
        sayHello(); // What happened meanwhile was missed: rebuild presence.
    }
    publish({{"k"_L1, u"hb"_s}});
    const qint64 deadline = nowMs() - m_timing.expiryMs;
    QStringList gone;
    for (auto it = m_remotes.cbegin(); it != m_remotes.cend(); ++it) {
        if (it->lastHeardMs < deadline)
            gone.append(it.key());
    }
    for (const QString &id : gone) {
        qCWarning(lcRouter) << "instance" << id << "has not been heard from; its users are offline";
        dropInstance(id);
    }
}

void PgEventBus::publish(QJsonObject event)
{
    event.insert("i"_L1, m_instance);
    const auto sent = m_store.notify(
            channel(), QString::fromUtf8(QJsonDocument(event).toJson(QJsonDocument::Compact)));
    if (std::holds_alternative<ProtocolError>(sent))
        qCWarning(lcRouter) << "could not publish an event to the other instances";
}

void PgEventBus::sayHello()
{
    publish({{"k"_L1, u"hello"_s}});
    sendState();
}

void PgEventBus::sendState()
{
    const QList<User> users = m_router->usersOnlineHere();
    qsizetype i = 0;
    do {
        QJsonArray chunk;
        for (qsizetype end = std::min(users.size(), i + kStateChunk); i < end; ++i)
            chunk.append(QJsonArray{users[i].id, roleName(users[i].role)});
        publish({{"k"_L1, u"s"_s}, {"reset"_L1, chunk.isEmpty() || i <= kStateChunk},
                 {"last"_L1, i >= users.size()}, {"users"_L1, chunk}});
    } while (i < users.size());
}

void PgEventBus::publishRead(qint64 ownerId, const ReadPush &read, const Session *origin)
{
    EventBus::publishRead(ownerId, read, origin);
    publish({{"k"_L1, u"r"_s}, {"t"_L1, read.thread}, {"u"_L1, read.user},
             {"up"_L1, read.upTo}, {"o"_L1, ownerId}});
}

void PgEventBus::publishTyping(qint64 ownerId, const TypingPush &typing)
{
    EventBus::publishTyping(ownerId, typing);
    publish({{"k"_L1, u"y"_s}, {"t"_L1, typing.thread}, {"u"_L1, typing.user},
             {"n"_L1, typing.name.left(200)}, {"a"_L1, typing.active}, {"o"_L1, ownerId}});
}

void PgEventBus::onLocalPresence(const User &user, bool online)
{
    QJsonObject event{{"k"_L1, u"p"_s}, {"u"_L1, user.id}, {"r"_L1, roleName(user.role)},
                      {"on"_L1, online}};
    if (!online)
        event.insert("ls"_L1, nowMs());
    publish(event);
}

void PgEventBus::onNotification(const QString &name, QSqlDriver::NotificationSource,
                                const QVariant &payload)
{
    if (name != channel())
        return;
    const QJsonObject event = QJsonDocument::fromJson(payload.toString().toUtf8()).object();
    const QString kind = event.value("k"_L1).toString();
    const QString from = event.value("i"_L1).toString();
    if (kind == u"t") {
        m_watcher->check();
        return;
    }
    if (from.isEmpty() || from == m_instance)
        return;
    if (kind == u"bye") {
        dropInstance(from);
        return;
    }
    Remote &r = remote(from);
    if (kind == u"m") {
        onMessages(event.value("lo"_L1).toInteger(), event.value("hi"_L1).toInteger());
    } else if (kind == u"r") {
        const ReadPush read{event.value("t"_L1).toInteger(), event.value("u"_L1).toInteger(),
                            event.value("up"_L1).toInteger()};
        EventBus::publishRead(event.value("o"_L1).toInteger(), read, nullptr);
    } else if (kind == u"y") {
        const TypingPush typing{event.value("t"_L1).toInteger(), event.value("u"_L1).toInteger(),
                                event.value("n"_L1).toString(), event.value("a"_L1).toBool()};
        EventBus::publishTyping(event.value("o"_L1).toInteger(), typing);
    } else if (kind == u"p") {
        setRemoteOnline(r, userFrom(event), event.value("on"_L1).toBool());
    } else if (kind == u"hello") {
        sendState(); // The newcomer (or a reconnected instance) learns who is online here.
    } else if (kind == u"s") {
        onState(r, event);
    }
}

PgEventBus::Remote &PgEventBus::remote(const QString &id)
{
    auto it = m_remotes.find(id);
    if (it == m_remotes.end()) {
        qCInfo(lcRouter) << "instance" << id << "joined";
        it = m_remotes.insert(id, Remote{});
    }
    it->lastHeardMs = nowMs();
    return *it;
}

void PgEventBus::onMessages(qint64 first, qint64 last)
{
    if (first <= 0 || last < first)
        return;
    const auto read = m_store.messagesInRange(first, last);
    if (std::holds_alternative<ProtocolError>(read)) {
        qCWarning(lcRouter) << "could not read messages" << first << "to" << last
                            << "that another instance committed";
        return;
    }
    for (const Message &m : std::get<QList<Message>>(read)) {
        if (const auto owner = ownerOf(m.thread))
            EventBus::publishMessage(*owner, m, nullptr);
    }
}

std::optional<qint64> PgEventBus::ownerOf(qint64 thread)
{
    if (auto it = m_threadOwners.constFind(thread); it != m_threadOwners.cend())
        return *it;
    const auto owner = m_store.threadOwner(thread);
    if (std::holds_alternative<ProtocolError>(owner))
        return std::nullopt;
    const auto found = std::get<std::optional<qint64>>(owner);
    if (found)
        m_threadOwners.insert(thread, *found); // A thread never changes owner.
    return found;
}

void PgEventBus::onState(Remote &r, const QJsonObject &event)
{
    if (event.value("reset"_L1).toBool())
        r.incoming.clear();
    const QJsonArray users = event.value("users"_L1).toArray();
    for (const QJsonValue &v : users) {
        const QJsonArray pair = v.toArray();
        User u;
        u.id = pair.at(0).toInteger();
        u.role = roleFromName(pair.at(1).toString()).value_or(Role::Customer);
        r.incoming.insert(u.id, u);
    }
    if (!event.value("last"_L1).toBool())
        return;
    // The difference only, so that nobody flickers offline and back.
    const QHash<qint64, User> before = r.online;
    for (const User &u : before) {
        if (!r.incoming.contains(u.id))
            setRemoteOnline(r, u, false);
    }
    for (const User &u : std::as_const(r.incoming))
        setRemoteOnline(r, u, true);
    r.incoming.clear();
}

void PgEventBus::setRemoteOnline(Remote &r, const User &user, bool online)
{
    if (online == r.online.contains(user.id))
        return;
    int &count = m_elsewhereCount[user.id];
    if (online) {
        r.online.insert(user.id, user);
        if (++count == 1)
            m_router->setOnlineElsewhere(user, true, std::nullopt);
        return;
    }
    r.online.remove(user.id);
    if (--count == 0) {
        m_elsewhereCount.remove(user.id);
        m_router->setOnlineElsewhere(user, false, QDateTime::currentDateTimeUtc());
    }
}

void PgEventBus::dropInstance(const QString &id)
{
    auto it = m_remotes.find(id);
    if (it == m_remotes.end())
        return;
    const QHash<qint64, User> online = it->online;
    for (const User &u : online)
        setRemoteOnline(*it, u, false);
    m_remotes.erase(it);
    qCInfo(lcRouter) << "instance" << id << "left";
}

} // namespace dpichat::server
