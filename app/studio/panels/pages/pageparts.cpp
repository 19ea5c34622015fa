#include "panels/pages/pageparts.hpp"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFont>
#include <QPainter>

#include <QFileDialog>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QStandardPaths>
#include <QToolButton>
#include <QWidget>
#include <cmath>

#include "charts/chartexport.hpp"

namespace glasswing::studio::pageparts {

QLabel* summaryLabel(QWidget* parent) {
  auto* label = new QLabel(parent);
  label->setWordWrap(true);
  label->setTextFormat(Qt::PlainText);
  return label;
}

QLabel* noticeLabel(QWidget* parent) {
  auto* label = new QLabel(parent);
  label->setWordWrap(true);
  label->setTextFormat(Qt::PlainText);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  label->setStyleSheet(QStringLiteral("QLabel { color: #8a4b00; }"));
  label->hide();
  return label;
}

QStringList toStringList(const std::vector<std::string>& lines) {
  QStringList out;
  for (const auto& line : lines) out << QString::fromStdString(line);
  return out;
}

void setNotices(QLabel* label, const std::vector<std::string>& notices) {
  QStringList lines;
  for (const auto& n : notices) lines << QStringLiteral("• ") + QString::fromStdString(n);
  label->setText(lines.join(QLatin1Char('\n')));
  label->setVisible(!lines.isEmpty());
}

QString jsonDetail(const QString& key, const QString& value) {
  return QString::fromUtf8(QJsonDocument(QJsonObject{{key, value}}).toJson(QJsonDocument::Compact));
}

QString number(double value, int digits) {
  if (!std::isfinite(value)) return QStringLiteral("—");
  return QString::number(value, 'g', digits);
}

QToolButton* detailsToggle(const QString& text, QWidget* details, QWidget* parent) {
  auto* button = new QToolButton(parent);
  button->setText(text);
  button->setCheckable(true);
  button->setChecked(false);
  button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  button->setArrowType(Qt::RightArrow);
  button->setAutoRaise(true);
  details->setVisible(false);
  QObject::connect(button, &QToolButton::toggled, details, [button, details](bool on) {
    details->setVisible(on);
    button->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
  });
  return button;
}

QString exportChartWithDialog(QWidget* chart, QWidget* dialogParent, const QString& suggestedName, QString* error) {
  const QString folder = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
  const QString filter = svgExportAvailable() ? QObject::tr("PNG image (*.png);;SVG drawing (*.svg)")
                                              : QObject::tr("PNG image (*.png)");
  const QString path = QFileDialog::getSaveFileName(dialogParent, QObject::tr("Export Chart"),
                                                    folder + QLatin1Char('/') + suggestedName + QStringLiteral(".png"), filter);
  if (path.isEmpty()) return {};
  if (!exportWidgetImage(chart, path, error)) return {};
  return path;
}

QChartView* chartView(QWidget* parent, const QString& name, int minimumHeight) {
  auto* view = new QChartView(parent);
  QChart* chart = view->chart();
  chart->setTheme(QChart::ChartThemeLight);
  chart->setAnimationOptions(QChart::NoAnimation);
  chart->setBackgroundRoundness(0);
  chart->setMargins(QMargins(8, 4, 12, 4));
  QFont font = chart->titleFont();
  font.setBold(true);
  chart->setTitleFont(font);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumHeight(minimumHeight);
  view->setAccessibleName(name);
  return view;
}

void resetChart(QChart* chart) {
  chart->removeAllSeries();
  for (auto* axis : chart->axes()) {
    chart->removeAxis(axis);
    delete axis;
  }
  chart->setTitle({});
}

QStringList comboItems(const QComboBox* combo) {
  QStringList out;
  for (int i = 0; i < combo->count(); ++i) out << combo->itemText(i);
  return out;
}

bool selectComboText(QComboBox* combo, const QString& text) {
  const int index = combo->findText(text);
  if (index < 0) return false;
  combo->setCurrentIndex(index);
  return true;
}

}  // namespace glasswing::studio::pageparts
