#include "messagedelegate.h"

#include "appearance.h"
#include "icons.h"
#include "models/messagemodel.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QHelpEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QTextLayout>
#include <QToolTip>

namespace dpichat::ui {

namespace {

QFont smallFont(const QFont &base)
{
    QFont f = base;
    if (f.pointSizeF() > 0)
        f.setPointSizeF(f.pointSizeF() * 0.85);
    else
        f.setPixelSize(qMax(8, int(f.pixelSize() * 0.85)));
    return f;
}

QString layoutText(const QString &text)
{
    QString t = text;
    t.replace(QLatin1Char('\n'), QChar::LineSeparator);
    return t;
}

qreal doLayout(QTextLayout &layout, qreal maxWidth, qreal *usedWidth)
{
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    layout.beginLayout();
    qreal y = 0, widest = 0;
    const qreal leading = QFontMetricsF(layout.font()).leading();
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(maxWidth);
        line.setPosition(QPointF(0, y));
        y += line.height() + leading;
        widest = qMax(widest, line.naturalTextWidth());
    }
    layout.endLayout();
    if (usedWidth)
        *usedWidth = widest;
    return y;
}

} // namespace

struct MessageDelegate::Geometry {
    QRectF day; ///< Day separator band (empty when none).
    QRectF sender; ///< Sender name line (empty when none).
    QRectF bubble;
    QRectF text;
    QRectF footer; ///< Time, state icon, failure reason.
    QRectF retry; ///< Failed only.
    QRectF discard; ///< Failed only.
    qreal height = 0;
};

MessageDelegate::MessageDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

QString MessageDelegate::dayLabel(const QDate &date)
{
    const QDate today = QDate::currentDate();
    if (date == today)
        return tr("Today");
    if (date == today.addDays(-1))
        return tr("Yesterday");
    return QLocale().toString(date, QLocale::LongFormat);
}

QSizeF MessageDelegate::textSize(
    const QString &text, const QFont &font, qreal maxWidth, const QString &cacheKey) const
{
    if (!qFuzzyCompare(maxWidth, m_cacheWidth)) {
        std::swap(m_sizeCache, m_otherCache);
        std::swap(m_cacheWidth, m_otherWidth);
        if (!qFuzzyCompare(maxWidth, m_cacheWidth)) {
            m_sizeCache.clear();
            m_cacheWidth = maxWidth;
        }
    }
    if (m_sizeCache.size() > 200000)
        m_sizeCache.clear();
    if (!cacheKey.isEmpty()) {
        const auto it = m_sizeCache.constFind(cacheKey);
        if (it != m_sizeCache.constEnd())
            return *it;
    }
    QTextLayout layout(layoutText(text), font);
    qreal used = 0;
    const qreal height = doLayout(layout, maxWidth, &used);
    const QSizeF size(std::ceil(used), std::ceil(height));
    if (!cacheKey.isEmpty())
        m_sizeCache.insert(cacheKey, size);
    return size;
}

MessageDelegate::Geometry MessageDelegate::layout(
    const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    Geometry g;
    const QFontMetricsF fm(option.font);
    const QFontMetricsF sfm(smallFont(option.font));
    const qreal em = fm.height();
    const qreal margin = em * 0.6;
    const qreal padH = em * 0.6;
    const qreal padV = em * 0.35;
    const QRectF r = option.rect;
    const bool own = index.data(MessageModel::IsOwnRole).toBool();
    const auto state = MessageModel::State(index.data(MessageModel::StateRole).toInt());
    qreal y = r.top() + em * 0.15;

    if (index.data(MessageModel::ShowDaySeparatorRole).toBool()) {
        g.day = QRectF(r.left(), y, r.width(), em * 2.0);
        y += g.day.height();
    }
    if (index.data(MessageModel::ShowSenderRole).toBool()) {
        y += em * 0.25;
        if (!own) {
            g.sender
                = QRectF(r.left() + margin + padH * 0.5, y, r.width() - 2 * margin, sfm.height());
            y += g.sender.height() + em * 0.1;
        }
    }

    const qreal maxBubble = qMin(r.width() * 0.78, em * 36.0);
    const qreal maxText = qMax(em * 4, maxBubble - 2 * padH);
    const qint64 id = index.data(MessageModel::IdRole).toLongLong();
    const QString key = id > 0
        ? QString::number(id)
        : QLatin1String("c:") + index.data(MessageModel::ClientIdRole).toString();
    const QSizeF text
        = textSize(index.data(MessageModel::TextRole).toString(), option.font, maxText, key);

    // Footer: time, then a state glyph for own messages; a failed one also names the reason.
    // Room for the widest time of day rather than this message's: converting every message's
    // time to local time while a long thread is measured costs a time zone lookup each.
    qreal footerWidth = sfm.horizontalAdvance(timeText(QTime(20, 58)));
    if (own)
        footerWidth += sfm.height() * 1.6;
    if (state == MessageModel::Failed) {
        const QString reason = tr("Not sent");
        footerWidth += sfm.horizontalAdvance(reason) + em * 0.5;
    }
    footerWidth = qMin(footerWidth, maxText);
    const qreal innerWidth = qMax(text.width(), footerWidth);
    const qreal bubbleWidth = innerWidth + 2 * padH;
    const qreal bubbleHeight = padV + text.height() + sfm.height() + padV;
    const qreal x = own ? r.right() - margin - bubbleWidth : r.left() + margin;
    g.bubble = QRectF(x, y, bubbleWidth, bubbleHeight);
    g.text = QRectF(x + padH, y + padV, innerWidth, text.height());
    g.footer = QRectF(x + padH, g.text.bottom(), innerWidth, sfm.height());
    y += bubbleHeight;

    if (state == MessageModel::Failed) {
        y += em * 0.2;
        const QString retry = tr("Retry");
        const QString discard = tr("Discard");
        const qreal rw = fm.horizontalAdvance(retry) + em * 0.6;
        const qreal dw = fm.horizontalAdvance(discard) + em * 0.6;
        const qreal right = g.bubble.right();
        g.discard = QRectF(right - dw, y, dw, fm.height());
        g.retry = QRectF(g.discard.left() - em * 0.4 - rw, y, rw, fm.height());
        y += fm.height();
    }
    g.height = y - r.top() + em * 0.15;
    return g;
}

QSize MessageDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    opt.rect = QRect(0, 0, qMax(option.rect.width(), 200), 0);
    if (const auto *view = qobject_cast<const QAbstractItemView *>(option.widget))
        opt.rect.setWidth(view->viewport()->width());
    const Geometry g = layout(opt, index);
    return QSize(opt.rect.width(), int(std::ceil(g.height)));
}

void MessageDelegate::paint(
    QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const Geometry g = layout(option, index);
    const QPalette &pal = option.palette;
    const bool own = index.data(MessageModel::IsOwnRole).toBool();
    const auto state = MessageModel::State(index.data(MessageModel::StateRole).toInt());
    const QFont small = smallFont(option.font);
    const QColor text = pal.color(QPalette::Text);
    const QColor muted = mix(text, pal.color(QPalette::Base), 0.4);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);

    if (!g.day.isEmpty()) {
        const QString label
            = dayLabel(index.data(MessageModel::CreatedAtRole).toDateTime().toLocalTime().date());
        painter->setFont(small);
        const QFontMetricsF sfm(small);
        const qreal w = sfm.horizontalAdvance(label) + sfm.height();
        const QRectF pill(g.day.center().x() - w / 2, g.day.center().y() - sfm.height() * 0.7, w,
            sfm.height() * 1.4);
        painter->setPen(QPen(mix(pal.color(QPalette::Base), text, 0.15), 1));
        const qreal lineY = g.day.center().y();
        painter->drawLine(QPointF(g.day.left() + sfm.height(), lineY), QPointF(pill.left(), lineY));
        painter->drawLine(
            QPointF(pill.right(), lineY), QPointF(g.day.right() - sfm.height(), lineY));
        painter->setPen(muted);
        painter->drawText(pill, Qt::AlignCenter, label);
    }

    if (!g.sender.isEmpty()) {
        QFont f = small;
        f.setBold(true);
        painter->setFont(f);
        painter->setPen(muted);
        painter->drawText(g.sender, Qt::AlignLeft | Qt::AlignVCenter,
            QFontMetricsF(f).elidedText(index.data(MessageModel::SenderNameRole).toString(),
                Qt::ElideRight, g.sender.width()));
    }

    QColor bubble = own ? pal.color(QPalette::Highlight)
                        : mix(pal.color(QPalette::Base), text, isDark(pal) ? 0.14 : 0.08);
    QColor fg = own ? pal.color(QPalette::HighlightedText) : text;
    if (state == MessageModel::Pending)
        bubble = mix(bubble, pal.color(QPalette::Base), 0.3);
    if (state == MessageModel::Failed)
        bubble = mix(bubble, errorColor(pal), 0.35);
    const qreal radius = QFontMetricsF(option.font).height() * 0.6;
    painter->setPen(Qt::NoPen);
    painter->setBrush(bubble);
    painter->drawRoundedRect(g.bubble, radius, radius);
    if (option.state & QStyle::State_HasFocus && option.state & QStyle::State_Selected) {
        painter->setPen(QPen(pal.color(QPalette::Highlight).darker(130), 1.5));
        painter->setBrush(Qt::NoBrush);
        painter->drawRoundedRect(g.bubble.adjusted(-1.5, -1.5, 1.5, 1.5), radius, radius);
    }

    QTextLayout layout(layoutText(index.data(MessageModel::TextRole).toString()), option.font);
    doLayout(layout, g.text.width(), nullptr);
    painter->setPen(fg);
    layout.draw(painter, g.text.topLeft());

    // Footer, right-aligned: [reason] time [glyph]
    const QColor footerColor = mix(fg, bubble, 0.3);
    painter->setFont(small);
    const QFontMetricsF sfm(small);
    qreal right = g.footer.right();
    if (own) {
        const qreal s = sfm.height() * 0.9;
        const QRectF glyph(right - s * 1.4, g.footer.center().y() - s / 2, s * 1.4, s);
        if (state == MessageModel::Pending)
            icons::paintClock(painter, QRectF(glyph.right() - s, glyph.top(), s, s), footerColor);
        else if (state == MessageModel::Sent)
            icons::paintTicks(
                painter, glyph, footerColor, index.data(MessageModel::SeenRole).toBool());
        right = glyph.left() - sfm.height() * 0.2;
    }
    const QString time
        = timeText(index.data(MessageModel::CreatedAtRole).toDateTime().toLocalTime().time());
    painter->setPen(footerColor);
    const qreal tw = sfm.horizontalAdvance(time);
    painter->drawText(QRectF(right - tw, g.footer.top(), tw, g.footer.height()),
        Qt::AlignRight | Qt::AlignVCenter, time);
    right -= tw + sfm.height() * 0.5;
    if (state == MessageModel::Failed) {
        painter->setPen(own ? fg : errorColor(pal));
        QFont bold = small;
        bold.setBold(true);
        painter->setFont(bold);
        painter->drawText(
            QRectF(g.footer.left(), g.footer.top(), right - g.footer.left(), g.footer.height()),
            Qt::AlignRight | Qt::AlignVCenter, tr("Not sent"));

        painter->setFont(option.font);
        painter->setPen(pal.color(QPalette::Link));
        QFont link = option.font;
        link.setUnderline(true);
        painter->setFont(link);
        painter->drawText(g.retry, Qt::AlignCenter, tr("Retry"));
        painter->drawText(g.discard, Qt::AlignCenter, tr("Discard"));
        const QString reason = index.data(MessageModel::ErrorRole).toString();
        if (!reason.isEmpty()) {
            painter->setFont(small);
            painter->setPen(errorColor(pal));
            const QRectF reasonRect(option.rect.left() + sfm.height(), g.retry.top(),
                g.retry.left() - option.rect.left() - sfm.height() * 1.5, g.retry.height());
            painter->drawText(reasonRect, Qt::AlignRight | Qt::AlignVCenter,
                sfm.elidedText(reason, Qt::ElideRight, reasonRect.width()));
        }
    }
    painter->restore();
}

bool MessageDelegate::editorEvent(QEvent *event, QAbstractItemModel *model,
    const QStyleOptionViewItem &option, const QModelIndex &index)
{
    if (event->type() == QEvent::MouseButtonRelease
        && index.data(MessageModel::StateRole).toInt() == MessageModel::Failed) {
        auto *mouse = static_cast<QMouseEvent *>(event);
        const Geometry g = layout(option, index);
        const QString clientId = index.data(MessageModel::ClientIdRole).toString();
        if (g.retry.contains(mouse->position())) {
            Q_EMIT retryRequested(clientId);
            return true;
        }
        if (g.discard.contains(mouse->position())) {
            Q_EMIT discardRequested(clientId);
            return true;
        }
    }
    return QStyledItemDelegate::editorEvent(event, model, option, index);
}

bool MessageDelegate::helpEvent(QHelpEvent *event, QAbstractItemView *view,
    const QStyleOptionViewItem &option, const QModelIndex &index)
{
    if (event->type() != QEvent::ToolTip || !index.isValid())
        return QStyledItemDelegate::helpEvent(event, view, option, index);
    const QDateTime when = index.data(MessageModel::CreatedAtRole).toDateTime().toLocalTime();
    QString tip = QLocale().toString(when, QLocale::LongFormat);
    if (index.data(MessageModel::IsOwnRole).toBool()) {
        switch (index.data(MessageModel::StateRole).toInt()) {
        case MessageModel::Pending:
            tip += QLatin1Char('\n') + tr("Sending…");
            break;
        case MessageModel::Failed:
            tip += QLatin1Char('\n')
                + tr("Not sent: %1").arg(index.data(MessageModel::ErrorRole).toString());
            break;
        default:
            tip += QLatin1Char('\n')
                + (index.data(MessageModel::SeenRole).toBool() ? tr("Seen") : tr("Sent"));
        }
    } else {
        tip = index.data(MessageModel::SenderNameRole).toString() + QLatin1Char('\n') + tip;
    }
    QToolTip::showText(event->globalPos(), tip, view);
    return true;
}

} // namespace dpichat::ui
