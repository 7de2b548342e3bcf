#include "threaddelegate.h"

#include "appearance.h"
#include "icons.h"
#include "models/threadmodel.h"

#include <QApplication>
#include <QLocale>
#include <QPainter>

namespace dpichat::ui {

namespace {

QString initials(const QString &name)
{
    QString result;
    const auto parts = name.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const auto &part : parts) {
        result += part.at(0).toUpper();
        if (result.size() == 2)
            break;
    }
    return result.isEmpty() ? QStringLiteral("?") : result;
}

QColor avatarColor(const QString &seed)
{
    const int hue = int(qHash(seed) % 360);
    return QColor::fromHsl(hue, 110, 110);
}

} // namespace

ThreadDelegate::ThreadDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

QString ThreadDelegate::shortTime(const QDateTime &utc)
{
    if (!utc.isValid())
        return {};
    const QDateTime local = utc.toLocalTime();
    const QDate today = QDate::currentDate();
    const QLocale locale;
    if (local.date() == today)
        return timeText(local.time());
    if (local.date() == today.addDays(-1))
        return tr("Yesterday");
    if (local.date() > today.addDays(-7))
        return locale.dayName(local.date().dayOfWeek(), QLocale::ShortFormat);
    return locale.toString(local.date(), QLocale::ShortFormat);
}

QString ThreadDelegate::roleLabel(const QString &role)
{
    if (role == QLatin1String("admin"))
        return tr("Support");
    if (role == QLatin1String("member"))
        return tr("Member");
    return tr("Customer");
}

QSize ThreadDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics fm(option.font);
    return QSize(fm.averageCharWidth() * 30, int(fm.height() * 3.4));
}

void ThreadDelegate::paint(
    QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    opt.icon = QIcon();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    // The style draws the selection and hover background, so it looks native everywhere.
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, widget);

    const bool selected = option.state & QStyle::State_Selected;
    const QPalette::ColorGroup group
        = option.state & QStyle::State_Active ? QPalette::Active : QPalette::Inactive;
    const QColor text
        = option.palette.color(group, selected ? QPalette::HighlightedText : QPalette::Text);
    const QColor background = selected ? option.palette.color(group, QPalette::Highlight)
                                       : option.palette.color(group, QPalette::Base);
    const QColor muted = mix(text, background, 0.4);

    const QFontMetricsF fm(option.font);
    const qreal em = fm.height();
    const QRectF r = QRectF(option.rect).adjusted(em * 0.6, em * 0.4, -em * 0.6, -em * 0.4);
    const QString name = index.data(ThreadModel::NameRole).toString();
    const int unread = index.data(ThreadModel::UnreadRole).toInt();
    const bool online = index.data(ThreadModel::OnlineRole).toBool();

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);

    // Avatar with initials and the presence dot.
    const qreal a = qMin(r.height(), em * 2.4);
    const QRectF avatar(r.left(), r.center().y() - a / 2, a, a);
    painter->setPen(Qt::NoPen);
    painter->setBrush(avatarColor(index.data(ThreadModel::EmailRole).toString()));
    painter->drawEllipse(avatar);
    QFont avatarFont = option.font;
    avatarFont.setBold(true);
    painter->setFont(avatarFont);
    painter->setPen(Qt::white);
    painter->drawText(avatar, Qt::AlignCenter, initials(name));
    const qreal d = a * 0.36;
    icons::paintPresenceDot(
        painter, QRectF(avatar.right() - d, avatar.bottom() - d, d, d), online, background);

    const qreal left = avatar.right() + em * 0.6;
    const qreal lineH = r.height() / 2;
    const QRectF top(left, r.top(), r.right() - left, lineH);
    const QRectF bottom(left, r.top() + lineH, r.right() - left, lineH);

    // Line 1: name, role tag, time.
    QFont small = option.font;
    if (small.pointSizeF() > 0)
        small.setPointSizeF(small.pointSizeF() * 0.85);
    const QFontMetricsF sfm(small);
    const QString time = shortTime(index.data(ThreadModel::LastMessageTimeRole).toDateTime());
    const qreal timeW = sfm.horizontalAdvance(time);
    painter->setFont(small);
    painter->setPen(unread > 0 && !selected ? option.palette.color(QPalette::Highlight) : muted);
    painter->drawText(QRectF(top.right() - timeW, top.top(), timeW, top.height()),
        Qt::AlignRight | Qt::AlignVCenter, time);

    const QString role = roleLabel(index.data(ThreadModel::RoleRole).toString());
    const qreal roleW = sfm.horizontalAdvance(role) + em * 0.6;
    QFont nameFont = option.font;
    nameFont.setBold(unread > 0);
    const QFontMetricsF nfm(nameFont);
    const qreal nameMax = qMax<qreal>(0, top.width() - timeW - roleW - em * 0.8);
    const QString shownName = nfm.elidedText(name, Qt::ElideRight, nameMax);
    const qreal nameW = nfm.horizontalAdvance(shownName);
    painter->setFont(nameFont);
    painter->setPen(text);
    painter->drawText(QRectF(top.left(), top.top(), nameW + 1, top.height()),
        Qt::AlignLeft | Qt::AlignVCenter, shownName);
    const QRectF tag(top.left() + nameW + em * 0.4, top.center().y() - sfm.height() * 0.55, roleW,
        sfm.height() * 1.1);
    painter->setPen(QPen(mix(text, background, 0.6), 1));
    painter->setBrush(Qt::NoBrush);
    painter->drawRoundedRect(tag, tag.height() / 2, tag.height() / 2);
    painter->setFont(small);
    painter->setPen(muted);
    painter->drawText(tag, Qt::AlignCenter, role);

    // Line 2: preview and the unread badge.
    qreal previewRight = bottom.right();
    if (unread > 0) {
        QFont badgeFont = small;
        badgeFont.setBold(true);
        const QString count = unread > 999 ? QStringLiteral("999+") : QLocale().toString(unread);
        const QFontMetricsF bfm(badgeFont);
        const qreal bh = bfm.height() * 1.15;
        const qreal bw = qMax(bh, bfm.horizontalAdvance(count) + bh * 0.7);
        const QRectF badge(bottom.right() - bw, bottom.center().y() - bh / 2, bw, bh);
        painter->setPen(Qt::NoPen);
        painter->setBrush(selected ? text : option.palette.color(QPalette::Highlight));
        painter->drawRoundedRect(badge, bh / 2, bh / 2);
        painter->setPen(selected ? background : option.palette.color(QPalette::HighlightedText));
        painter->setFont(badgeFont);
        painter->drawText(badge, Qt::AlignCenter, count);
        previewRight = badge.left() - em * 0.5;
    }
    QString preview = index.data(ThreadModel::LastMessageTextRole).toString();
    preview.replace(QLatin1Char('\n'), QLatin1Char(' '));
    if (preview.isEmpty()) {
        preview = online ? tr("Online, no messages yet") : tr("No messages yet");
    } else {
        const QString sender = index.data(ThreadModel::LastMessageSenderNameRole).toString();
        const qint64 senderId = index.data(ThreadModel::LastMessageSenderRole).toLongLong();
        if (!sender.isEmpty() && senderId != index.data(ThreadModel::OwnerIdRole).toLongLong())
            preview = tr("%1: %2").arg(sender.section(QLatin1Char(' '), 0, 0), preview);
    }
    painter->setFont(option.font);
    painter->setPen(unread > 0 ? text : muted);
    const QRectF previewRect(
        bottom.left(), bottom.top(), previewRight - bottom.left(), bottom.height());
    painter->drawText(previewRect, Qt::AlignLeft | Qt::AlignVCenter,
        fm.elidedText(preview, Qt::ElideRight, previewRect.width()));
    painter->restore();
}

} // namespace dpichat::ui
