#include "messagemodel.h"

#include <algorithm>

namespace dpichat {

MessageModel::MessageModel(qint64 threadId, QObject *parent)
    : QAbstractListModel(parent), m_threadId(threadId)
{
}

void MessageModel::setLocalUserId(qint64 userId)
{
    if (m_localUserId == userId)
        return;
    m_localUserId = userId;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0), index(int(m_rows.size()) - 1), {IsOwnRole, SeenRole});
}

void MessageModel::setLocalIsAdmin(bool isAdmin)
{
    if (m_localIsAdmin == isAdmin)
        return;
    const qint64 before = otherSideCursor();
    m_localIsAdmin = isAdmin;
    emitSeenChanges(before, otherSideCursor());
}

bool MessageModel::addPending(const QString &clientId, const QString &text,
                              const QString &senderName, const QDateTime &queuedAt)
{
    if (clientId.isEmpty() || rowForClientId(clientId) >= 0)
        return false;
    for (int i = 0; i < m_storedCount; ++i) {
        const Message &m = m_rows.at(i).message;
        if (m.clientId == clientId && m.sender == m_localUserId)
            return false; // already stored: the outbox entry outlived its `sent` reply
    }
    Row row;
    row.message.thread = m_threadId;
    row.message.sender = m_localUserId;
    row.message.senderName = senderName;
    row.message.clientId = clientId;
    row.message.text = text;
    row.message.createdAt = queuedAt.toUTC();
    row.state = Pending;
    const int at = int(m_rows.size());
    beginInsertRows(QModelIndex(), at, at);
    m_rows.append(row);
    endInsertRows();
    refreshDerived(at, at);
    Q_EMIT messageCountChanged();
    return true;
}

int MessageModel::insertionRowForId(qint64 id) const
{
    const auto begin = m_rows.cbegin();
    const auto it = std::lower_bound(begin, begin + m_storedCount, id,
                                     [](const Row &r, qint64 v) { return r.message.id < v; });
    return int(it - begin);
}

int MessageModel::rowForId(qint64 id) const
{
    if (id <= 0)
        return -1;
    const int at = insertionRowForId(id);
    return (at < m_storedCount && m_rows.at(at).message.id == id) ? at : -1;
}

int MessageModel::rowForClientId(const QString &clientId) const
{
    for (int i = m_storedCount; i < m_rows.size(); ++i) {
        if (m_rows.at(i).message.clientId == clientId)
            return i;
    }
    return -1;
}

bool MessageModel::applyStored(const Message &message)
{
    if (message.id <= 0 || (m_threadId != 0 && message.thread != m_threadId))
        return false;
    if (rowForId(message.id) >= 0)
        return false;
    const int target = insertionRowForId(message.id);
    const int pendingRow = (m_localUserId == 0 || message.sender == m_localUserId)
                               ? rowForClientId(message.clientId)
                               : -1;
    if (pendingRow < 0) {
        insertStoredRows(target, {message});
        return true;
    }

    // The pending row becomes the stored message: moved (if needed) to its place by id.
    if (pendingRow != target) {
        beginMoveRows(QModelIndex(), pendingRow, pendingRow, QModelIndex(), target);
        m_rows.move(pendingRow, target);
        endMoveRows();
    }
    Row &row = m_rows[target];
    const bool textChanged = row.message.text != message.text;
    const bool nameChanged = row.message.senderName != message.senderName;
    const bool hadError = !row.error.isEmpty();
    row.message = message;
    row.state = Sent;
    row.error.clear();
    ++m_storedCount;
    QList<int> roles{IdRole, StateRole, CreatedAtRole, SeenRole};
    if (textChanged)
        roles << TextRole;
    if (nameChanged)
        roles << SenderNameRole;
    if (hadError)
        roles << ErrorRole;
    Q_EMIT dataChanged(index(target), index(target), roles);
    refreshDerived(target, std::min(target + 1, int(m_rows.size()) - 1));
    if (pendingRow != target)
        refreshDerived(pendingRow, std::min(pendingRow + 1, int(m_rows.size()) - 1));
    return true;
}

void MessageModel::applyStored(const QList<Message> &messages)
{
    for (const Message &m : messages)
        applyStored(m);
}

void MessageModel::prependHistory(const QList<Message> &older)
{
    // Fast path: the part strictly older than everything held, not matching a pending
    // row, goes in with one insertion at the top. The rest takes the careful path.
    QList<Message> sorted = older;
    std::sort(sorted.begin(), sorted.end(),
              [](const Message &a, const Message &b) { return a.id < b.id; });
    const qint64 lowest = lowestId();
    QList<Message> front;
    QList<Message> rest;
    qint64 lastId = 0;
    for (const Message &m : std::as_const(sorted)) {
        if (m.id <= 0 || m.id == lastId || (m_threadId != 0 && m.thread != m_threadId))
            continue;
        lastId = m.id;
        const bool older = m_storedCount == 0 || m.id < lowest;
        const bool matchesPending =
            (m_localUserId == 0 || m.sender == m_localUserId) && rowForClientId(m.clientId) >= 0;
        if (older && !matchesPending)
            front.append(m);
        else
            rest.append(m);
    }
    if (!front.isEmpty())
        insertStoredRows(0, front);
    for (const Message &m : std::as_const(rest))
        applyStored(m);
}

void MessageModel::insertStoredRows(int first, const QList<Message> &messages)
{
    const int last = first + int(messages.size()) - 1;
    beginInsertRows(QModelIndex(), first, last);
    QList<Row> rows;
    rows.reserve(messages.size());
    for (const Message &m : messages) {
        Row r;
        r.message = m;
        rows.append(r);
    }
    m_rows.insert(first, messages.size(), Row());
    std::move(rows.begin(), rows.end(), m_rows.begin() + first);
    m_storedCount += int(messages.size());
    // Compute the new rows' flags before views see them; only the neighbour after them
    // needs a dataChanged.
    for (int i = first; i <= last; ++i) {
        Row &r = m_rows[i];
        const Row *prev = i > 0 ? &m_rows.at(i - 1) : nullptr;
        r.showDay = !prev || prev->message.createdAt.toLocalTime().date()
                                 != r.message.createdAt.toLocalTime().date();
        r.showSender = r.showDay || prev->message.sender != r.message.sender;
    }
    endInsertRows();
    if (last + 1 < m_rows.size())
        refreshDerived(last + 1, last + 1);
    Q_EMIT messageCountChanged();
}

void MessageModel::markFailed(const QString &clientId, const QString &reason)
{
    const int row = rowForClientId(clientId);
    if (row < 0)
        return;
    Row &r = m_rows[row];
    QList<int> roles;
    if (r.state != Failed)
        roles << StateRole;
    if (r.error != reason)
        roles << ErrorRole;
    r.state = Failed;
    r.error = reason;
    if (!roles.isEmpty())
        Q_EMIT dataChanged(index(row), index(row), roles);
}

void MessageModel::markPending(const QString &clientId)
{
    const int row = rowForClientId(clientId);
    if (row < 0 || m_rows.at(row).state == Pending)
        return;
    Row &r = m_rows[row];
    const bool hadError = !r.error.isEmpty();
    r.state = Pending;
    r.error.clear();
    QList<int> roles{StateRole};
    if (hadError)
        roles << ErrorRole;
    Q_EMIT dataChanged(index(row), index(row), roles);
}

void MessageModel::removePending(const QString &clientId)
{
    const int row = rowForClientId(clientId);
    if (row < 0)
        return;
    beginRemoveRows(QModelIndex(), row, row);
    m_rows.removeAt(row);
    endRemoveRows();
    if (row < m_rows.size())
        refreshDerived(row, row);
    Q_EMIT messageCountChanged();
}

qint64 MessageModel::otherSideCursor() const
{
    return m_localIsAdmin ? m_ownerUpTo : m_teamUpTo;
}

bool MessageModel::isSeen(const Row &row) const
{
    return row.state == Sent && m_localUserId != 0 && row.message.sender == m_localUserId
           && row.message.id <= otherSideCursor();
}

void MessageModel::setReadCursors(qint64 ownerUpTo, qint64 teamUpTo)
{
    const qint64 before = otherSideCursor();
    m_ownerUpTo = ownerUpTo;
    m_teamUpTo = teamUpTo;
    emitSeenChanges(before, otherSideCursor());
}

void MessageModel::advanceReadCursor(bool ownerSide, qint64 upTo)
{
    setReadCursors(ownerSide ? std::max(m_ownerUpTo, upTo) : m_ownerUpTo,
                   ownerSide ? m_teamUpTo : std::max(m_teamUpTo, upTo));
}

void MessageModel::emitSeenChanges(qint64 oldCursor, qint64 newCursor)
{
    if (oldCursor == newCursor || m_storedCount == 0)
        return;
    // Rows whose id lies in (low, high] flip; report the span of the own ones among them.
    const qint64 low = std::min(oldCursor, newCursor);
    const qint64 high = std::max(oldCursor, newCursor);
    const int from = insertionRowForId(low + 1);
    const int to = insertionRowForId(high + 1) - 1;
    int first = -1;
    int last = -1;
    for (int i = from; i <= to; ++i) {
        if (m_rows.at(i).message.sender == m_localUserId) {
            if (first < 0)
                first = i;
            last = i;
        }
    }
    if (first >= 0)
        Q_EMIT dataChanged(index(first), index(last), {SeenRole});
}

void MessageModel::refreshDerived(int first, int last)
{
    for (int i = first; i <= last && i < m_rows.size(); ++i) {
        Row &r = m_rows[i];
        const Row *prev = i > 0 ? &m_rows.at(i - 1) : nullptr;
        const bool showDay = !prev || prev->message.createdAt.toLocalTime().date()
                                          != r.message.createdAt.toLocalTime().date();
        const bool showSender = showDay || prev->message.sender != r.message.sender;
        QList<int> roles;
        if (showDay != r.showDay)
            roles << ShowDaySeparatorRole;
        if (showSender != r.showSender)
            roles << ShowSenderRole;
        r.showDay = showDay;
        r.showSender = showSender;
        if (!roles.isEmpty())
            Q_EMIT dataChanged(index(i), index(i), roles);
    }
}

qint64 MessageModel::highestId() const
{
    return m_storedCount > 0 ? m_rows.at(m_storedCount - 1).message.id : 0;
}

qint64 MessageModel::lowestId() const
{
    return m_storedCount > 0 ? m_rows.at(0).message.id : 0;
}

Message MessageModel::messageAt(int row) const
{
    return (row >= 0 && row < m_rows.size()) ? m_rows.at(row).message : Message();
}

MessageModel::State MessageModel::stateAt(int row) const
{
    return (row >= 0 && row < m_rows.size()) ? m_rows.at(row).state : Sent;
}

int MessageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant MessageModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    const Message &m = r.message;
    switch (role) {
    case Qt::DisplayRole:
    case TextRole:
        return m.text;
    case IdRole:
        return m.id;
    case ThreadRole:
        return m.thread;
    case SenderRole:
        return m.sender;
    case SenderNameRole:
        return m.senderName;
    case ClientIdRole:
        return m.clientId;
    case CreatedAtRole:
        return m.createdAt;
    case StateRole:
        return int(r.state);
    case ErrorRole:
        return r.error;
    case IsOwnRole:
        return m_localUserId != 0 && m.sender == m_localUserId;
    case SeenRole:
        return isSeen(r);
    case ShowDaySeparatorRole:
        return r.showDay;
    case ShowSenderRole:
        return r.showSender;
    default:
        return {};
    }
}

QHash<int, QByteArray> MessageModel::roleNames() const
{
    return {
        {Qt::DisplayRole, "display"},
        {IdRole, "id"},
        {ThreadRole, "thread"},
        {SenderRole, "sender"},
        {SenderNameRole, "senderName"},
        {ClientIdRole, "clientId"},
        {TextRole, "text"},
        {CreatedAtRole, "createdAt"},
        {StateRole, "state"},
        {ErrorRole, "error"},
        {IsOwnRole, "isOwn"},
        {SeenRole, "seen"},
        {ShowDaySeparatorRole, "showDaySeparator"},
        {ShowSenderRole, "showSender"},
    };
}

} // namespace dpichat
