#include "threadmodel.h"

#include <algorithm>
#include <limits>

namespace dpichat {

namespace {

qint64 lastId(const Thread &t)
{
    return t.lastMessage ? t.lastMessage->id : 0;
}

QString searchText(const Thread &t)
{
    return t.owner.name + QLatin1Char(' ') + t.owner.email;
}

} // namespace

ThreadModel::ThreadModel(QObject *parent) : QAbstractListModel(parent) {}

bool ThreadModel::before(const Thread &a, const Thread &b)
{
    // Message ids grow across the whole server, so the last message id orders by activity.
    const qint64 la = lastId(a);
    const qint64 lb = lastId(b);
    if (la != lb)
        return la > lb;
    return a.id > b.id;
}

void ThreadModel::setThreads(const QList<Thread> &threads)
{
    beginResetModel();
    m_threads = threads;
    std::stable_sort(m_threads.begin(), m_threads.end(), &ThreadModel::before);
    endResetModel();
    recountUnread();
}

int ThreadModel::sortedRowFor(const Thread &thread, int ignoringRow) const
{
    int row = 0;
    for (int i = 0; i < m_threads.size(); ++i) {
        if (i != ignoringRow && before(m_threads.at(i), thread))
            ++row;
    }
    return row;
}

void ThreadModel::moveToSortedPlace(int row)
{
    const int target = sortedRowFor(m_threads.at(row), row); // index after removal
    if (target == row)
        return;
    // beginMoveRows wants the destination in pre-move numbering.
    const int destination = target > row ? target + 1 : target;
    beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination);
    m_threads.move(row, target);
    endMoveRows();
}

void ThreadModel::upsertThread(const Thread &thread)
{
    const int row = rowForThread(thread.id);
    if (row < 0) {
        const int at = sortedRowFor(thread, -1);
        beginInsertRows(QModelIndex(), at, at);
        m_threads.insert(at, thread);
        endInsertRows();
        recountUnread();
        return;
    }
    const Thread old = m_threads.at(row);
    if (old == thread)
        return;
    m_threads[row] = thread;
    QList<int> roles;
    if (old.owner.id != thread.owner.id)
        roles << OwnerIdRole;
    if (old.owner.name != thread.owner.name)
        roles << Qt::DisplayRole << NameRole << SearchTextRole;
    if (old.owner.email != thread.owner.email)
        roles << EmailRole << SearchTextRole;
    if (old.owner.role != thread.owner.role)
        roles << RoleRole;
    if (old.owner.online != thread.owner.online)
        roles << OnlineRole;
    if (old.owner.lastSeen != thread.owner.lastSeen)
        roles << LastSeenRole;
    if (old.lastMessage != thread.lastMessage)
        roles << LastMessageTextRole << LastMessageTimeRole << LastMessageIdRole
              << LastMessageSenderRole << LastMessageSenderNameRole;
    if (old.unread != thread.unread)
        roles << UnreadRole;
    if (old.readUpToOwner != thread.readUpToOwner)
        roles << ReadUpToOwnerRole;
    if (old.readUpToTeam != thread.readUpToTeam)
        roles << ReadUpToTeamRole;
    Q_EMIT dataChanged(index(row), index(row), roles);
    moveToSortedPlace(row);
    recountUnread();
}

bool ThreadModel::applyMessage(const Message &message, bool countsAsUnread)
{
    const int row = rowForThread(message.thread);
    if (row < 0)
        return false;
    Thread &t = m_threads[row];
    if (message.id <= lastId(t))
        return true; // older or already counted (a push seen again through sync)
    t.lastMessage = message;
    QList<int> roles{LastMessageTextRole, LastMessageTimeRole, LastMessageIdRole,
                     LastMessageSenderRole, LastMessageSenderNameRole};
    if (countsAsUnread) {
        ++t.unread;
        roles << UnreadRole;
    }
    Q_EMIT dataChanged(index(row), index(row), roles);
    moveToSortedPlace(row);
    if (countsAsUnread)
        recountUnread();
    return true;
}

void ThreadModel::setUnread(qint64 threadId, int unread)
{
    const int row = rowForThread(threadId);
    if (row < 0 || m_threads.at(row).unread == unread)
        return;
    m_threads[row].unread = unread;
    Q_EMIT dataChanged(index(row), index(row), {UnreadRole});
    recountUnread();
}

void ThreadModel::applyRead(qint64 threadId, qint64 userId, qint64 upTo)
{
    const int row = rowForThread(threadId);
    if (row < 0)
        return;
    Thread &t = m_threads[row];
    const bool owner = userId == t.owner.id;
    qint64 &cursor = owner ? t.readUpToOwner : t.readUpToTeam;
    if (upTo <= cursor)
        return;
    cursor = upTo;
    Q_EMIT dataChanged(index(row), index(row), {owner ? ReadUpToOwnerRole : ReadUpToTeamRole});
}

void ThreadModel::setPresence(qint64 userId, bool online, const std::optional<QDateTime> &lastSeen)
{
    const int row = rowForOwner(userId);
    if (row < 0)
        return;
    User &u = m_threads[row].owner;
    QList<int> roles;
    if (u.online != online)
        roles << OnlineRole;
    if (u.lastSeen != lastSeen)
        roles << LastSeenRole;
    u.online = online;
    u.lastSeen = lastSeen;
    if (!roles.isEmpty())
        Q_EMIT dataChanged(index(row), index(row), roles);
}

int ThreadModel::rowForThread(qint64 threadId) const
{
    for (int i = 0; i < m_threads.size(); ++i) {
        if (m_threads.at(i).id == threadId)
            return i;
    }
    return -1;
}

int ThreadModel::rowForOwner(qint64 userId) const
{
    for (int i = 0; i < m_threads.size(); ++i) {
        if (m_threads.at(i).owner.id == userId)
            return i;
    }
    return -1;
}

Thread ThreadModel::threadAt(int row) const
{
    return (row >= 0 && row < m_threads.size()) ? m_threads.at(row) : Thread();
}

std::optional<Thread> ThreadModel::thread(qint64 threadId) const
{
    const int row = rowForThread(threadId);
    if (row < 0)
        return std::nullopt;
    return m_threads.at(row);
}

void ThreadModel::recountUnread()
{
    // Capped: a server's absurd counts must not wrap into a nonsense (or negative) badge.
    constexpr qint64 kCap = std::numeric_limits<int>::max();
    qint64 total = 0;
    for (const Thread &t : std::as_const(m_threads)) {
        total += std::clamp<qint64>(t.unread, 0, kCap);
        if (total >= kCap) {
            total = kCap;
            break;
        }
    }
    if (int(total) == m_unreadTotal)
        return;
    m_unreadTotal = int(total);
    Q_EMIT unreadTotalChanged(m_unreadTotal);
}

int ThreadModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_threads.size());
}

QVariant ThreadModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Thread &t = m_threads.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return t.owner.name;
    case ThreadIdRole:
        return t.id;
    case OwnerIdRole:
        return t.owner.id;
    case EmailRole:
        return t.owner.email;
    case RoleRole:
        return roleName(t.owner.role);
    case OnlineRole:
        return t.owner.online;
    case LastSeenRole:
        return t.owner.lastSeen ? *t.owner.lastSeen : QDateTime();
    case LastMessageTextRole:
        return t.lastMessage ? t.lastMessage->text : QString();
    case LastMessageTimeRole:
        return t.lastMessage ? t.lastMessage->createdAt : QDateTime();
    case LastMessageIdRole:
        return lastId(t);
    case LastMessageSenderRole:
        return t.lastMessage ? t.lastMessage->sender : qint64(0);
    case LastMessageSenderNameRole:
        return t.lastMessage ? t.lastMessage->senderName : QString();
    case UnreadRole:
        return int(t.unread);
    case ReadUpToOwnerRole:
        return t.readUpToOwner;
    case ReadUpToTeamRole:
        return t.readUpToTeam;
    case SearchTextRole:
        return searchText(t);
    default:
        return {};
    }
}

QHash<int, QByteArray> ThreadModel::roleNames() const
{
    return {
        {Qt::DisplayRole, "display"},
        {ThreadIdRole, "threadId"},
        {OwnerIdRole, "ownerId"},
        {NameRole, "name"},
        {EmailRole, "email"},
        {RoleRole, "role"},
        {OnlineRole, "online"},
        {LastSeenRole, "lastSeen"},
        {LastMessageTextRole, "lastMessageText"},
        {LastMessageTimeRole, "lastMessageTime"},
        {LastMessageIdRole, "lastMessageId"},
        {UnreadRole, "unread"},
        {ReadUpToOwnerRole, "readUpToOwner"},
        {ReadUpToTeamRole, "readUpToTeam"},
        {SearchTextRole, "searchText"},
        {LastMessageSenderRole, "lastMessageSender"},
        {LastMessageSenderNameRole, "lastMessageSenderName"},
    };
}

ThreadFilterModel::ThreadFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setFilterRole(ThreadModel::SearchTextRole);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
}

void ThreadFilterModel::setFilterText(const QString &text)
{
    setFilterFixedString(text.trimmed());
}

} // namespace dpichat
