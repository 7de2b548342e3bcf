#pragma once

#include <QColor>
#include <QIcon>

/// Icons drawn with QPainter so they follow the palette and need no image plugin
/// (the SVG files in resources/ are for the desktop file and for platforms with QtSvg).
namespace dpichat::ui::icons {

/// The application icon; with `unread` > 0 a red badge with the count.
QIcon app(int unread = 0);

/// A small clock for pending messages, drawn in `color`, `size` device-independent pixels.
void paintClock(class QPainter *painter, const class QRectF &rect, const QColor &color);

/// One tick (sent) or two ticks (seen).
void paintTicks(class QPainter *painter, const class QRectF &rect, const QColor &color, bool seen);

/// A filled circle with a thin outline in the window colour: a presence dot.
void paintPresenceDot(
    class QPainter *painter, const class QRectF &rect, bool online, const QColor &outline);

} // namespace dpichat::ui::icons
