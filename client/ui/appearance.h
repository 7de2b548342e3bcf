#pragma once

#include <QColor>
#include <QDateTime>
#include <QPalette>

namespace dpichat::ui {

/// A dark palette for the Fusion style, used by `--dark` (screenshots, desktops without a theme).
QPalette darkPalette();

/// `a` blended towards `b` by `amount` (0..1): surfaces that follow any palette, light or dark.
QColor mix(const QColor &a, const QColor &b, qreal amount);

/// The colour for failed messages and errors, readable on the given palette's base.
QColor errorColor(const QPalette &palette);

/// A time of day in the locale's short format, without seconds even where that format has them.
QString timeText(const QTime &time);
/// A date and time in the locale's short formats, without seconds.
QString dateTimeText(const QDateTime &dateTime);

/// True when the palette's window colour is dark.
bool isDark(const QPalette &palette);

} // namespace dpichat::ui
