#include "charts/chartexport.hpp"

#include <QDir>
#include <QFileInfo>
#include <QPainter>
#include <QPixmap>
#include <QWidget>

#ifdef GLASSWING_STUDIO_HAS_SVG
#include <QSvgGenerator>
#endif

namespace glasswing::studio {

bool svgExportAvailable() {
#ifdef GLASSWING_STUDIO_HAS_SVG
  return true;
#else
  return false;
#endif
}

bool exportWidgetImage(QWidget* widget, const QString& path, QString* error) {
  const QFileInfo file(path);
  const QString shown = QDir::toNativeSeparators(file.absoluteFilePath());
  auto fail = [error](const QString& message) {
    if (error) *error = message;
    return false;
  };
  if (widget == nullptr) return fail(QStringLiteral("There is no chart to export."));
  const QString suffix = file.suffix().toLower();
  if (suffix != QStringLiteral("png") && suffix != QStringLiteral("svg")) {
    return fail(QStringLiteral("%1: charts can be exported as .png or .svg; choose one of those "
                               "file types.").arg(shown));
  }
  if (!QDir().mkpath(file.absolutePath())) {
    return fail(QStringLiteral("%1: cannot create the folder; choose a writable location.").arg(shown));
  }
  if (suffix == QStringLiteral("png")) {
    const QPixmap pixmap = widget->grab();
    if (pixmap.isNull() || !pixmap.save(path, "PNG")) {
      return fail(QStringLiteral("%1: could not be written; check that the folder is writable.").arg(shown));
    }
    return true;
  }
#ifdef GLASSWING_STUDIO_HAS_SVG
  QSvgGenerator generator;
  generator.setFileName(path);
  generator.setSize(widget->size());
  generator.setViewBox(QRect(QPoint(0, 0), widget->size()));
  generator.setTitle(widget->accessibleName().isEmpty() ? QStringLiteral("Glasswing chart")
                                                         : widget->accessibleName());
  generator.setDescription(QStringLiteral("Exported from Glasswing Studio"));
  {
    QPainter painter;
    if (!painter.begin(&generator)) {
      return fail(QStringLiteral("%1: could not be written; check that the folder is writable.").arg(shown));
    }
    widget->render(&painter);
    painter.end();
  }
  if (!QFileInfo(path).exists() || QFileInfo(path).size() == 0) {
    return fail(QStringLiteral("%1: could not be written; check that the folder is writable.").arg(shown));
  }
  return true;
#else
  return fail(QStringLiteral("%1: this build has no SVG support (Qt SVG, Debian qt6-svg-dev, was "
                             "missing when it was built); export as .png instead.").arg(shown));
#endif
}

}  // namespace glasswing::studio
