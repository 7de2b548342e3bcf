#pragma once

#include <QStyledItemDelegate>

namespace dpichat::ui {

/// Paints a ThreadModel row in the admin inbox: initials with a presence dot, name and role,
/// time of the last message, a one-line preview and the unread badge.
class ThreadDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit ThreadDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
        const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    /// "14:05" today, "Yesterday", a weekday within a week, else a short date.
    static QString shortTime(const QDateTime &utc);
    /// The translated name of a protocol role ("admin", "customer", "member").
    static QString roleLabel(const QString &role);
};

} // namespace dpichat::ui
