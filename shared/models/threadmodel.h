#pragma once

#include "protocol/types.h"

#include <QAbstractListModel>
#include <QList>
#include <QSortFilterProxyModel>

namespace dpichat {

/// The admin inbox: every thread with its owner, last message, unread count and read
/// cursors, most recent activity first (by last message id, then newest thread first).
class ThreadModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int unreadTotal READ unreadTotal NOTIFY unreadTotalChanged)

public:
    enum Roles {
        ThreadIdRole = Qt::UserRole, ///< qint64
        OwnerIdRole,                 ///< qint64
        NameRole,                    ///< QString: the owner's name (also Qt::DisplayRole)
        EmailRole,                   ///< QString
        RoleRole,                    ///< QString: "admin" | "customer" | "member"
        OnlineRole,                  ///< bool
        LastSeenRole,                ///< QDateTime, invalid when unknown
        LastMessageTextRole,         ///< QString, empty when none
        LastMessageTimeRole,         ///< QDateTime (UTC), invalid when none
        LastMessageIdRole,           ///< qint64, 0 when none
        UnreadRole,                  ///< int
        ReadUpToOwnerRole,           ///< qint64
        ReadUpToTeamRole,            ///< qint64
        SearchTextRole,              ///< QString: "name email", for filtering
        LastMessageSenderRole,       ///< qint64, 0 when none
        LastMessageSenderNameRole,   ///< QString
    };
    Q_ENUM(Roles)

    explicit ThreadModel(QObject *parent = nullptr);

    /// Replaces everything (a `threads` reply).
    void setThreads(const QList<Thread> &threads);
    /// Inserts a new thread (a `thread` push) or updates a known one.
    void upsertThread(const Thread &thread);
    /// A new message: updates the preview and moves the row to the top when it is newer than
    /// the preview; `countsAsUnread` adds one to the unread count then. An id at or below the
    /// preview's is treated as already counted. Returns false for an unknown thread.
    bool applyMessage(const Message &message, bool countsAsUnread);
    void setUnread(qint64 threadId, int unread);
    /// A `read` push: the owner's cursor when `userId` is the owner, else the team's.
    /// Cursors only move forward.
    void applyRead(qint64 threadId, qint64 userId, qint64 upTo);
    /// A `presence` push for a thread owner; ignored for other users.
    void setPresence(qint64 userId, bool online, const std::optional<QDateTime> &lastSeen);

    int rowForThread(qint64 threadId) const; ///< -1 when unknown.
    int rowForOwner(qint64 userId) const;    ///< -1 when unknown.
    Thread threadAt(int row) const;
    std::optional<Thread> thread(qint64 threadId) const;
    int unreadTotal() const { return m_unreadTotal; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void unreadTotalChanged(int total);

private:
    static bool before(const Thread &a, const Thread &b);
    int sortedRowFor(const Thread &thread, int ignoringRow) const;
    void moveToSortedPlace(int row);
    void recountUnread();

    QList<Thread> m_threads;
    int m_unreadTotal = 0;
};

/// Filters a ThreadModel by name or email (case-insensitive substring of SearchTextRole).
class ThreadFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit ThreadFilterModel(QObject *parent = nullptr);
    void setFilterText(const QString &text);
};

} // namespace dpichat
