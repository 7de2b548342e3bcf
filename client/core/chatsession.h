#pragma once

#include "connection.h"
#include "models/messagemodel.h"
#include "models/threadmodel.h"
#include "protocol/types.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>
#include <memory>

namespace dpichat {

class Outbox;
class TypingTracker;

/// What the UI talks to once logged in: ties the Connection, the on-disk Outbox, one
/// MessageModel per opened thread and the ThreadModel. Sends optimistically (pending row at
/// once, outbox, socket), resends the outbox on every (re)login, catches up with `sync`
/// after a reconnect and then refreshes `threads`.
class ChatSession : public QObject
{
    Q_OBJECT

public:
    /// Neither pointer is owned; both must outlive the session. The connection may already
    /// be logged in (e.g. created in a slot of Connection::loggedIn). One session per login:
    /// after logout, or to log in as someone else, make a new one.
    ChatSession(Connection *connection, Outbox *outbox, QObject *parent = nullptr);
    ~ChatSession() override;

    Connection *connection() const { return m_connection; }
    User localUser() const { return m_user; }
    bool isAdmin() const { return m_user.role == Role::Admin; }
    /// Catching up after a (re)login: sync pages and the `threads` refresh still running.
    bool isCatchingUp() const { return m_catchingUp; }

    /// Queues a message: a pending row appears at once, the outbox holds it on disk, and
    /// it goes out now or on the next login. The text is trimmed; returns the clientId, or
    /// an empty string when the text is empty (the UI enforces the length limit; the server
    /// enforces it again and a refusal shows the message as failed).
    QString send(qint64 thread, const QString &text);
    /// Sends a failed message again with the same clientId. False when it is not failed.
    bool retry(const QString &clientId);
    /// Drops a failed message from the outbox and the model. False when it is not failed.
    bool discard(const QString &clientId);

    /// The model of a thread, created on first use (not loaded: see openThread()).
    MessageModel *modelFor(qint64 thread);
    ThreadModel *threadModel() { return &m_threads; }
    /// Loads the newest history page the first time a thread is opened.
    void openThread(qint64 thread);
    /// Requests the page before the oldest message held. False when none can be requested
    /// now (everything loaded, one already in flight, or offline).
    bool loadOlder(qint64 thread);
    bool isLoadingOlder(qint64 thread) const { return m_historyInFlight.contains(thread); }
    /// Marks the thread read up to its newest message. Call only while the thread is on
    /// screen and the window is active.
    void markRead(qint64 thread);
    /// The local user is (not) typing. `true` goes out at most every 2 s; `false` at once
    /// if a `true` went out.
    void setTyping(qint64 thread, bool active);
    /// Names of the others typing in the thread now.
    QStringList typingUsers(qint64 thread) const;
    /// For customers and members: whether any admin is online.
    bool teamOnline() const { return !m_onlineAdmins.isEmpty(); }

    /// The own thread of a customer or member (0 for admins or before `threads`).
    qint64 ownThreadId() const;

Q_SIGNALS:
    void typingChanged(qint64 thread);
    void teamOnlineChanged(bool online);
    /// A message from someone else arrived live (push), for notifications.
    void incomingMessage(const dpichat::Message &message);
    /// A history page was merged into the thread's model.
    void historyLoaded(qint64 thread, int count, bool hasMore);
    /// Catching up after a (re)login finished: the models hold everything up to now.
    void caughtUp();
    /// A send was refused; the message stays as failed in the model.
    void sendFailed(const QString &clientId, const QString &reason);
    void storageError(const QString &reason);

private:
    void onSessionStarted();
    void onLoggedIn(const User &user);
    void onMessage(const Message &message, bool live);
    void onSent(const Message &message);
    void onSendFailed(const QString &clientId, ErrorCode code, const QString &reason);
    void onRead(qint64 thread, qint64 user, qint64 upTo);
    void onPresence(qint64 user, bool online);
    void onThreads(const QList<Thread> &threads);
    void onThread(const Thread &thread);
    void onHistory(qint64 thread, const QList<Message> &messages, bool hasMore);
    void onSync(const QList<Message> &messages, bool hasMore);
    void onStateChanged(Connection::State state);
    void restoreOutbox();
    void sendEntry(const QString &clientId, qint64 thread, const QString &text);
    void resendPending();
    void noteId(qint64 id);

    Connection *m_connection;
    Outbox *m_outbox;
    User m_user;
    ThreadModel m_threads;
    QHash<qint64, MessageModel *> m_models; ///< Owned (children of this).
    QSet<qint64> m_wantHistory;   ///< Threads opened (their newest page is wanted).
    QSet<qint64> m_historyLoaded; ///< Threads whose newest page has arrived.
    QSet<qint64> m_historyInFlight;
    QHash<QString, qint64> m_queued; ///< Outbox mirror: clientId -> thread.
    QSet<QString> m_inFlight; ///< clientIds sent on the current socket, awaiting a reply.
    QHash<qint64, qint64> m_readSent; ///< thread -> highest `read` sent.
    QSet<qint64> m_readWanted;        ///< markRead() while offline: sent on the next login.
    int m_sessionGeneration = -1;     ///< Connection::sessionGeneration() last handled.
    QSet<qint64> m_onlineAdmins;
    std::unique_ptr<TypingTracker> m_typing;
    QTimer m_transientRetry; ///< Resends after rate_limited / internal.
    qint64 m_highestId = 0;  ///< Highest message id received while online.
    bool m_baselineKnown = false; ///< m_highestId is a valid `sync` start.
    bool m_outboxRestored = false;
    bool m_catchingUp = false;
};

} // namespace dpichat
