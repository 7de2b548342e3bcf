#include "chatsession.h"

#include "logging.h"
#include "outbox.h"
#include "protocol/clientid.h"
#include "typingtracker.h"

#include <algorithm>
#include <limits>

namespace dpichat {

namespace {
constexpr int kHistoryPage = 50;
constexpr int kSyncPage = 500;
constexpr int kTransientRetryMs = 2'000;

/// The thread with an unread count the models can hold: they show it as an int and sum it
/// over the inbox, which a server's count beyond that (or below zero) would overflow.
Thread withSaneUnread(Thread thread)
{
    thread.unread = std::clamp<qint64>(thread.unread, 0, std::numeric_limits<int>::max());
    return thread;
}
} // namespace

ChatSession::ChatSession(Connection *connection, Outbox *outbox, QObject *parent)
    : QObject(parent),
      m_connection(connection),
      m_outbox(outbox),
      m_typing(std::make_unique<TypingTracker>(connection))
{
    m_transientRetry.setSingleShot(true);
    connect(&m_transientRetry, &QTimer::timeout, this, &ChatSession::resendPending);

    Connection *c = m_connection;
    connect(c, &Connection::loggedIn, this, [this](const User &u) { onLoggedIn(u); });
    connect(c, &Connection::sessionStarted, this, &ChatSession::onSessionStarted);
    connect(c, &Connection::stateChanged, this, &ChatSession::onStateChanged);
    connect(c, &Connection::messageReceived, this,
            [this](const Message &m) { onMessage(m, true); });
    connect(c, &Connection::messageSent, this, &ChatSession::onSent);
    connect(c, &Connection::sendFailed, this, &ChatSession::onSendFailed);
    connect(c, &Connection::readReceived, this, &ChatSession::onRead);
    connect(c, &Connection::typingReceived, m_typing.get(), &TypingTracker::onTypingPush);
    connect(c, &Connection::presenceReceived, this,
            [this](qint64 user, bool online, const std::optional<QDateTime> &lastSeen) {
                m_threads.setPresence(user, online, lastSeen);
                onPresence(user, online);
            });
    connect(c, &Connection::threadReceived, this, &ChatSession::onThread);
    connect(c, &Connection::threadsReceived, this, &ChatSession::onThreads);
    connect(c, &Connection::historyReceived, this, &ChatSession::onHistory);
    connect(c, &Connection::historyFailed, this,
            [this](qint64 thread) { m_historyInFlight.remove(thread); });
    connect(c, &Connection::syncReceived, this, &ChatSession::onSync);
    connect(m_typing.get(), &TypingTracker::typingChanged, this, &ChatSession::typingChanged);
    connect(m_outbox, &Outbox::storageError, this, &ChatSession::storageError);

    // The UI may create the session after the login dialog saw `welcome`.
    if (m_connection->isOnline()) {
        onLoggedIn(m_connection->user());
        onSessionStarted();
    }
}

ChatSession::~ChatSession() = default;

void ChatSession::onLoggedIn(const User &user)
{
    m_user = user;
    m_outbox->setAccount(Outbox::accountKey(m_connection->serverUrl(), user.id));
    for (MessageModel *model : std::as_const(m_models)) {
        model->setLocalUserId(user.id);
        model->setLocalIsAdmin(isAdmin());
    }
    restoreOutbox();
}

void ChatSession::restoreOutbox()
{
    if (m_outboxRestored)
        return;
    m_outboxRestored = true;
    const QList<OutboxEntry> entries = m_outbox->entries();
    for (const OutboxEntry &e : entries) {
        m_queued.insert(e.clientId, e.thread);
        MessageModel *model = modelFor(e.thread);
        model->addPending(e.clientId, e.text, m_user.name, e.createdAt);
        if (e.failed)
            model->markFailed(e.clientId, e.error);
    }
    if (!entries.isEmpty())
        qCInfo(lcClientStore) << "restored" << entries.size() << "unsent messages from the outbox";
}

void ChatSession::onSessionStarted()
{
    if (m_sessionGeneration == m_connection->sessionGeneration())
        return; // already handled (the session was made while this `welcome` was delivered)
    m_sessionGeneration = m_connection->sessionGeneration();
    m_user = m_connection->user();
    m_inFlight.clear();
    resendPending();
    const QSet<qint64> readWanted = std::exchange(m_readWanted, {});
    for (qint64 thread : readWanted)
        markRead(thread);
    for (qint64 thread : std::as_const(m_wantHistory)) {
        if (!m_historyLoaded.contains(thread))
            openThread(thread);
    }
    m_catchingUp = true;
    if (m_baselineKnown) {
        qCInfo(lcClientNet) << "catching up after message" << m_highestId;
        m_connection->requestSync(m_highestId, kSyncPage);
    } else {
        m_connection->requestThreads();
    }
}

void ChatSession::onStateChanged(Connection::State state)
{
    if (state != Connection::State::Offline)
        return;
    m_inFlight.clear();
    m_historyInFlight.clear();
    m_catchingUp = false;
    m_typing->clear();
    const bool wasOnline = teamOnline();
    m_onlineAdmins.clear();
    if (wasOnline)
        Q_EMIT teamOnlineChanged(false);
}

QString ChatSession::send(qint64 thread, const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty() || thread <= 0)
        return QString();
    OutboxEntry entry;
    entry.clientId = newClientId();
    entry.thread = thread;
    entry.text = trimmed;
    entry.createdAt = QDateTime::currentDateTimeUtc();
    // On disk first: from here on a crash cannot lose it. If the disk refuses,
    // storageError() has told the user and the message still goes out.
    m_outbox->add(entry);
    m_queued.insert(entry.clientId, thread);
    modelFor(thread)->addPending(entry.clientId, trimmed, m_user.name, entry.createdAt);
    m_typing->setTyping(thread, false);
    sendEntry(entry.clientId, thread, trimmed);
    return entry.clientId;
}

void ChatSession::sendEntry(const QString &clientId, qint64 thread, const QString &text)
{
    if (m_inFlight.contains(clientId) || !m_connection->isOnline())
        return;
    if (m_connection->sendMessage(thread, clientId, text))
        m_inFlight.insert(clientId);
}

void ChatSession::resendPending()
{
    if (!m_connection->isOnline())
        return;
    const QList<OutboxEntry> entries = m_outbox->pendingEntries();
    for (const OutboxEntry &e : entries)
        sendEntry(e.clientId, e.thread, e.text);
}

bool ChatSession::retry(const QString &clientId)
{
    const auto entry = m_outbox->entry(clientId);
    if (!entry || !entry->failed)
        return false;
    m_outbox->markPending(clientId);
    if (MessageModel *model = m_models.value(entry->thread))
        model->markPending(clientId);
    sendEntry(clientId, entry->thread, entry->text);
    return true;
}

bool ChatSession::discard(const QString &clientId)
{
    const auto entry = m_outbox->entry(clientId);
    if (!entry || !entry->failed)
        return false;
    m_outbox->remove(clientId);
    m_queued.remove(clientId);
    if (MessageModel *model = m_models.value(entry->thread))
        model->removePending(clientId);
    return true;
}

void ChatSession::onSent(const Message &message)
{
    m_inFlight.remove(message.clientId);
    onMessage(message, false);
}

void ChatSession::onSendFailed(const QString &clientId, ErrorCode code, const QString &reason)
{
    m_inFlight.remove(clientId);
    if (code == ErrorCode::RateLimited || code == ErrorCode::Internal) {
        // Not the message's fault: it stays pending and goes out again shortly.
        if (!m_transientRetry.isActive())
            m_transientRetry.start(kTransientRetryMs);
        return;
    }
    const qint64 thread = m_queued.value(clientId);
    m_outbox->markFailed(clientId, reason);
    if (MessageModel *model = m_models.value(thread))
        model->markFailed(clientId, reason);
    Q_EMIT sendFailed(clientId, reason);
}

void ChatSession::onMessage(const Message &message, bool live)
{
    // Ids grow across the server: anything above the highest id seen is new to us.
    const bool isNew = message.id > m_highestId;
    noteId(message.id);
    const bool own = message.sender == m_user.id;
    if (own && m_queued.remove(message.clientId)) {
        // Acknowledged (by `sent`, or seen in a push or sync after the reply was lost).
        m_outbox->remove(message.clientId);
        m_inFlight.remove(message.clientId);
    }
    if (MessageModel *model = m_models.value(message.thread))
        model->applyStored(message);
    if (!m_threads.applyMessage(message, isNew && !own) && isAdmin() && !m_catchingUp)
        m_connection->requestThreads(); // a thread we do not know yet
    m_typing->clearUser(message.thread, message.sender);
    if (isNew && !own && (live || m_catchingUp))
        Q_EMIT incomingMessage(message);
}

void ChatSession::onRead(qint64 thread, qint64 user, qint64 upTo)
{
    m_threads.applyRead(thread, user, upTo);
    const auto t = m_threads.thread(thread);
    const bool ownerSide = t ? t->owner.id == user : (!isAdmin() && user == m_user.id);
    if (MessageModel *model = m_models.value(thread))
        model->advanceReadCursor(ownerSide, upTo);
    if (user == m_user.id && t && upTo >= (t->lastMessage ? t->lastMessage->id : 0))
        m_threads.setUnread(thread, 0); // read in another window of ours
}

void ChatSession::onPresence(qint64 user, bool online)
{
    if (isAdmin())
        return; // a non-admin only sees admins' presence
    const bool before = teamOnline();
    if (online)
        m_onlineAdmins.insert(user);
    else
        m_onlineAdmins.remove(user);
    if (before != teamOnline())
        Q_EMIT teamOnlineChanged(teamOnline());
}

void ChatSession::onThreads(const QList<Thread> &received)
{
    QList<Thread> threads;
    threads.reserve(received.size());
    for (const Thread &t : received)
        threads.append(withSaneUnread(t));
    // Upsert rather than reset, so that a refresh after a reconnect keeps the selection.
    if (m_threads.rowCount() == 0) {
        m_threads.setThreads(threads);
    } else {
        for (const Thread &t : threads)
            m_threads.upsertThread(t);
    }
    for (const Thread &t : threads) {
        if (t.lastMessage)
            noteId(t.lastMessage->id);
        if (MessageModel *model = m_models.value(t.id)) {
            model->advanceReadCursor(true, t.readUpToOwner);
            model->advanceReadCursor(false, t.readUpToTeam);
        }
    }
    m_baselineKnown = true;
    if (m_catchingUp) {
        m_catchingUp = false;
        qCInfo(lcClientNet) << "caught up;" << threads.size() << "threads";
        Q_EMIT caughtUp();
    }
}

void ChatSession::onThread(const Thread &thread)
{
    m_threads.upsertThread(withSaneUnread(thread));
}

void ChatSession::onSync(const QList<Message> &messages, bool hasMore)
{
    const qint64 before = m_highestId;
    for (const Message &m : messages)
        onMessage(m, false);
    // Another page only while pages bring something newer: a server that keeps saying "more"
    // without it would otherwise be asked the same question forever.
    if (hasMore && m_highestId > before)
        m_connection->requestSync(m_highestId, kSyncPage);
    else
        m_connection->requestThreads();
}

void ChatSession::onHistory(qint64 thread, const QList<Message> &messages, bool hasMore)
{
    m_historyInFlight.remove(thread);
    m_historyLoaded.insert(thread);
    for (const Message &m : messages) {
        noteId(m.id);
        if (m.sender == m_user.id && m_queued.remove(m.clientId)) {
            m_outbox->remove(m.clientId);
            m_inFlight.remove(m.clientId);
        }
    }
    MessageModel *model = modelFor(thread);
    model->prependHistory(messages);
    model->setHasMoreHistory(hasMore);
    Q_EMIT historyLoaded(thread, int(messages.size()), hasMore);
}

void ChatSession::noteId(qint64 id)
{
    m_highestId = std::max(m_highestId, id);
}

MessageModel *ChatSession::modelFor(qint64 thread)
{
    if (MessageModel *model = m_models.value(thread))
        return model;
    auto *model = new MessageModel(thread, this);
    model->setLocalUserId(m_user.id);
    model->setLocalIsAdmin(isAdmin());
    if (const auto t = m_threads.thread(thread))
        model->setReadCursors(t->readUpToOwner, t->readUpToTeam);
    m_models.insert(thread, model);
    return model;
}

void ChatSession::openThread(qint64 thread)
{
    modelFor(thread);
    m_wantHistory.insert(thread);
    if (m_historyLoaded.contains(thread) || m_historyInFlight.contains(thread))
        return;
    if (m_connection->requestHistory(thread, 0, kHistoryPage))
        m_historyInFlight.insert(thread);
}

bool ChatSession::loadOlder(qint64 thread)
{
    MessageModel *model = m_models.value(thread);
    if (!model || !m_historyLoaded.contains(thread)) {
        openThread(thread);
        return m_historyInFlight.contains(thread);
    }
    if (!model->hasMoreHistory() || m_historyInFlight.contains(thread) || model->lowestId() <= 0)
        return false;
    if (!m_connection->requestHistory(thread, model->lowestId(), kHistoryPage))
        return false;
    m_historyInFlight.insert(thread);
    return true;
}

void ChatSession::markRead(qint64 thread)
{
    const MessageModel *model = m_models.value(thread);
    const auto t = m_threads.thread(thread);
    const qint64 upTo = std::max(model ? model->highestId() : 0,
                                 t && t->lastMessage ? t->lastMessage->id : 0);
    if (upTo <= 0)
        return;
    m_threads.setUnread(thread, 0);
    if (upTo <= m_readSent.value(thread))
        return;
    if (m_connection->sendRead(thread, upTo)) {
        m_readSent.insert(thread, upTo);
        m_threads.applyRead(thread, m_user.id, upTo);
    } else {
        m_readWanted.insert(thread);
    }
}

void ChatSession::setTyping(qint64 thread, bool active)
{
    m_typing->setTyping(thread, active);
}

QStringList ChatSession::typingUsers(qint64 thread) const
{
    return m_typing->typingUsers(thread);
}

qint64 ChatSession::ownThreadId() const
{
    if (isAdmin() || m_threads.rowCount() == 0)
        return 0;
    return m_threads.threadAt(0).id;
}

} // namespace dpichat
