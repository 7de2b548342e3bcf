#include "icons.h"

#include <QImageReader>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace dpichat::ui::icons {

namespace {

QPixmap drawApp(int size, int unread)
{
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal s = size / 64.0;
    p.scale(s, s);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x2f, 0x6f, 0xd6));
    p.drawRoundedRect(QRectF(2, 2, 60, 60), 14, 14);
    QPainterPath bubble;
    bubble.addRoundedRect(QRectF(8, 14, 40, 28), 6, 6);
    QPainterPath tail;
    tail.moveTo(16, 40);
    tail.lineTo(16, 50);
    tail.lineTo(27, 40);
    tail.closeSubpath();
    p.setBrush(Qt::white);
    p.drawPath(bubble.united(tail));
    p.setBrush(QColor(0x2f, 0x6f, 0xd6));
    for (int i = 0; i < 3; ++i)
        p.drawEllipse(QPointF(19 + 9 * i, 28), 3, 3);
    if (unread > 0) {
        const QString label = unread > 99 ? QStringLiteral("99+") : QString::number(unread);
        p.setBrush(QColor(0xd9, 0x30, 0x25));
        const QRectF badge(30, 30, 34, 34);
        p.drawEllipse(badge);
        QFont f;
        f.setBold(true);
        f.setPixelSize(label.size() > 2 ? 14 : 20);
        p.setFont(f);
        p.setPen(Qt::white);
        p.drawText(badge, Qt::AlignCenter, label);
    }
    return pm;
}

} // namespace

QIcon app(int unread)
{
    QIcon icon;
    if (unread <= 0 && QImageReader::supportedImageFormats().contains("svg"))
        icon.addFile(QStringLiteral(":/dpichat/icons/dpichat.svg"));
    if (!icon.isNull())
        return icon;
    for (int size : { 16, 22, 24, 32, 48, 64, 128, 256 })
        icon.addPixmap(drawApp(size, unread));
    return icon;
}

void paintClock(QPainter *painter, const QRectF &rect, const QColor &color)
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QPen pen(color, qMax<qreal>(1.0, rect.width() / 10.0));
    pen.setCapStyle(Qt::RoundCap);
    painter->setPen(pen);
    painter->setBrush(Qt::NoBrush);
    const QRectF r = rect.adjusted(pen.widthF(), pen.widthF(), -pen.widthF(), -pen.widthF());
    painter->drawEllipse(r);
    const QPointF c = r.center();
    painter->drawLine(c, QPointF(c.x(), r.top() + r.height() * 0.22));
    painter->drawLine(c, QPointF(c.x() + r.width() * 0.25, c.y() + r.height() * 0.12));
    painter->restore();
}

void paintTicks(QPainter *painter, const QRectF &rect, const QColor &color, bool seen)
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QPen pen(color, qMax<qreal>(1.0, rect.height() / 9.0));
    pen.setCapStyle(Qt::RoundCap);
    pen.setJoinStyle(Qt::RoundJoin);
    painter->setPen(pen);
    const qreal w = rect.width(), h = rect.height();
    auto tick = [&](qreal dx) {
        QPainterPath path;
        path.moveTo(rect.left() + dx + w * 0.05, rect.top() + h * 0.55);
        path.lineTo(rect.left() + dx + w * 0.25, rect.top() + h * 0.78);
        path.lineTo(rect.left() + dx + w * 0.62, rect.top() + h * 0.25);
        painter->drawPath(path);
    };
    tick(0);
    if (seen)
        tick(w * 0.33);
    painter->restore();
}

void paintPresenceDot(QPainter *painter, const QRectF &rect, bool online, const QColor &outline)
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(QPen(outline, qMax<qreal>(1.0, rect.width() / 6.0)));
    painter->setBrush(online ? QColor(0x2e, 0xa0, 0x43) : QColor(0x8a, 0x8f, 0x98));
    painter->drawEllipse(rect);
    painter->restore();
}

} // namespace dpichat::ui::icons
