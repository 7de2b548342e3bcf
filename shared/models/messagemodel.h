#pragma once

#include "protocol/types.h"

#include <QAbstractListModel>
#include <QDateTime>
#include <QList>
#include <QString>

namespace dpichat {

/// One thread's messages for a chat view: stored messages ordered by id, then the local
/// pending (unsent or failed) ones in the order they were queued. A message is never shown
/// twice, whatever order pushes, `sent` replies, history and sync answers arrive in.
class MessageModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int messageCount READ messageCount NOTIFY messageCountChanged)

public:
    enum Roles {
        IdRole = Qt::UserRole, ///< qint64; 0 while pending.
        ThreadRole,            ///< qint64
        SenderRole,            ///< qint64 user id
        SenderNameRole,        ///< QString
        ClientIdRole,          ///< QString
        TextRole,              ///< QString
        CreatedAtRole,         ///< QDateTime (UTC; local queue time while pending)
        StateRole,             ///< MessageModel::State as int
        ErrorRole,             ///< QString: why it failed (empty unless Failed)
        IsOwnRole,             ///< bool: sent by the local user
        SeenRole,              ///< bool: own, stored, and at or below the other side's cursor
        ShowDaySeparatorRole,  ///< bool: first message of a calendar day in local time
        ShowSenderRole,        ///< bool: first of a run by the same sender (runs break at days)
    };
    Q_ENUM(Roles)

    enum State { Pending, Sent, Failed };
    Q_ENUM(State)

    explicit MessageModel(qint64 threadId = 0, QObject *parent = nullptr);

    qint64 threadId() const { return m_threadId; }

    /// The local user: decides IsOwnRole, SeenRole and the sender of pending messages.
    void setLocalUserId(qint64 userId);
    qint64 localUserId() const { return m_localUserId; }
    /// An admin's "other side" is the owner's cursor; everyone else's is the team's.
    void setLocalIsAdmin(bool isAdmin);
    bool localIsAdmin() const { return m_localIsAdmin; }

    /// Adds a local, unsent message after every other row. Ignored when `clientId` is
    /// already present (pending or stored). Returns true when a row was added.
    bool addPending(const QString &clientId, const QString &text, const QString &senderName,
                    const QDateTime &queuedAt = QDateTime::currentDateTimeUtc());
    /// Inserts a stored message at its place by id, or turns the pending message with the
    /// same clientId (from the local user) into it, or does nothing if the id is present.
    /// Returns true when the model changed. Messages of other threads are ignored.
    bool applyStored(const Message &message);
    /// Applies several stored messages (any order, duplicates allowed).
    void applyStored(const QList<Message> &messages);
    /// Adds an older page from `history`. Same guarantees as applyStored().
    void prependHistory(const QList<Message> &older);

    void markFailed(const QString &clientId, const QString &reason);
    void markPending(const QString &clientId); ///< Retry: Failed back to Pending.
    void removePending(const QString &clientId); ///< Discard a pending or failed message.

    /// Read cursors of PROTOCOL.md `Thread.readUpTo`; moves SeenRole.
    void setReadCursors(qint64 ownerUpTo, qint64 teamUpTo);
    /// Moves one cursor forward only (a `read` push). `ownerSide` false means the team's.
    void advanceReadCursor(bool ownerSide, qint64 upTo);
    qint64 ownerReadUpTo() const { return m_ownerUpTo; }
    qint64 teamReadUpTo() const { return m_teamUpTo; }

    /// Whether older history may exist on the server (set from `history.hasMore`).
    void setHasMoreHistory(bool hasMore) { m_hasMoreHistory = hasMore; }
    bool hasMoreHistory() const { return m_hasMoreHistory; }

    qint64 highestId() const; ///< Highest stored id, 0 when none.
    qint64 lowestId() const;  ///< Lowest stored id, 0 when none.
    int messageCount() const { return int(m_rows.size()); } ///< Stored plus pending rows.
    int storedCount() const { return m_storedCount; }
    int pendingCount() const { return int(m_rows.size()) - m_storedCount; }

    int rowForId(qint64 id) const;               ///< -1 when absent.
    int rowForClientId(const QString &clientId) const; ///< Pending rows only; -1 when absent.
    Message messageAt(int row) const;
    State stateAt(int row) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void messageCountChanged();

private:
    struct Row
    {
        Message message;
        State state = Sent;
        QString error;
        bool showDay = false;
        bool showSender = false;
    };

    int insertionRowForId(qint64 id) const;
    bool isSeen(const Row &row) const;
    qint64 otherSideCursor() const;
    void insertStoredRows(int first, const QList<Message> &messages);
    void refreshDerived(int first, int last);
    void emitSeenChanges(qint64 oldCursor, qint64 newCursor);

    qint64 m_threadId = 0;
    qint64 m_localUserId = 0;
    bool m_localIsAdmin = false;
    qint64 m_ownerUpTo = 0;
    qint64 m_teamUpTo = 0;
    bool m_hasMoreHistory = true;
    int m_storedCount = 0; ///< Rows [0, m_storedCount) are stored, sorted by id.
    QList<Row> m_rows;
};

} // namespace dpichat
