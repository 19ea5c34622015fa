#pragma once
// Small widgets shared by the Insights pages P6-P10: a notices label, a "Details" toggle (summary
// first, details on demand), number formatting, and a chart's "Export…" button.

#include <QString>
#include <QStringList>
#include <string>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QPushButton;
class QToolButton;
class QWidget;
QT_END_NAMESPACE

namespace glasswing::studio::pageparts {

// A page's one-paragraph summary: word-wrapped plain text.
QLabel* summaryLabel(QWidget* parent);

// A word-wrapped label for a page's notices (hidden while there are none).
QLabel* noticeLabel(QWidget* parent);
// Shows `notices` as one line each (hides the label when empty).
void setNotices(QLabel* label, const std::vector<std::string>& notices);
QStringList toStringList(const std::vector<std::string>& lines);

// `{"key": "value"}` as compact JSON (values escaped), for InsightPage::interacted details.
QString jsonDetail(const QString& key, const QString& value);

// A number for a table or a summary: NaN/inf as "—", else up to `digits` significant digits.
QString number(double value, int digits = 4);

// A checkable "Details" button that shows `details` while checked (hidden at first).
QToolButton* detailsToggle(const QString& text, QWidget* details, QWidget* parent);

// "Export chart…": asks for a .png/.svg file and writes `chart` through exportWidgetImage;
// returns the path written ("" when cancelled or failed; `error` then says why).
QString exportChartWithDialog(QWidget* chart, QWidget* dialogParent, const QString& suggestedName, QString* error);

// A chart view in the pages' style (light theme, no animation, bold title, antialiased) named
// `name` for accessibility; and a chart emptied of its series, axes and title.
QChartView* chartView(QWidget* parent, const QString& name, int minimumHeight);
void resetChart(QChart* chart);

// A selector's items, and choosing one by its text (false when it has none such).
QStringList comboItems(const QComboBox* combo);
bool selectComboText(QComboBox* combo, const QString& text);

}  // namespace glasswing::studio::pageparts
