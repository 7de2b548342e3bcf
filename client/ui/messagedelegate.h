#pragma once

#include <QHash>
#include <QStyledItemDelegate>

namespace dpichat::ui {

/// Paints a MessageModel row as a chat bubble: own messages on the right in the palette's
/// highlight colour, others on the left with the sender's name; times, day separators, a clock
/// while pending, ticks once sent and seen, and failed messages with their reason and
/// Retry / Discard links. Every size comes from the font, every colour from the palette.
class MessageDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit MessageDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
        const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    bool editorEvent(QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option,
        const QModelIndex &index) override;
    bool helpEvent(QHelpEvent *event, QAbstractItemView *view, const QStyleOptionViewItem &option,
        const QModelIndex &index) override;

    /// Forget cached text sizes (after a font change).
    void clearCache()
    {
        m_sizeCache.clear();
        m_otherCache.clear();
    }

    /// A day separator label: "Today", "Yesterday" or the date in the locale's long format.
    static QString dayLabel(const QDate &date);

Q_SIGNALS:
    void retryRequested(const QString &clientId);
    void discardRequested(const QString &clientId);

private:
    struct Geometry;
    Geometry layout(const QStyleOptionViewItem &option, const QModelIndex &index) const;
    QSizeF textSize(
        const QString &text, const QFont &font, qreal maxWidth, const QString &cacheKey) const;

    /// Text sizes at the current wrap width, and at the previous one: the width flips back
    /// and forth when the scroll bar comes and goes, and a long thread should not be laid
    /// out again each time.
    mutable QHash<QString, QSizeF> m_sizeCache;
    mutable qreal m_cacheWidth = -1;
    mutable QHash<QString, QSizeF> m_otherCache;
    mutable qreal m_otherWidth = -1;
};

} // namespace dpichat::ui
