#pragma once
// Saving a chart (any widget) as an image: PNG (a pixel copy at the screen's device pixel ratio)
// or SVG (vector drawing through QSvgGenerator, when the build has Qt SVG). The format follows
// the file name's suffix.

#include <QString>

QT_BEGIN_NAMESPACE
class QWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

// True when this build can write SVG files (Qt SVG was found at configure time).
bool svgExportAvailable();
// Writes `widget` to `path` (.png or .svg). On failure returns false and sets `error` to one line
// naming the file and the remedy.
bool exportWidgetImage(QWidget* widget, const QString& path, QString* error);

}  // namespace glasswing::studio
