#pragma once
// The helpers every Insights page (P1..P10) shares: number formatting, metric tooltips from the
// metric registry, sortable read-only tables, the page frame (a placeholder line while no run is
// shown; "Summary" and "Details" tabs once one is), summary and notice labels, a "Details"
// toggle, interaction details as JSON, charts in the pages' style and their "Export…" dialog,
// and selector helpers.

#include <QString>
#include <QStringList>
#include <QTableWidget>
#include <QTableWidgetItem>

#include <cmath>
#include <string>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QTabWidget;
class QToolButton;
class QVBoxLayout;
class QWidget;
QT_END_NAMESPACE

namespace glasswing::transparency {
struct LeaderboardEntry;
struct RunInsights;
}  // namespace glasswing::transparency

namespace glasswing::studio {

class InsightPage;

namespace pages {

inline QString qs(const std::string& text) { return QString::fromStdString(text); }
// A number for a table cell or a summary: up to `precision` significant digits; "—" for NaN or
// infinity.
QString num(double value, int precision = 4);
// The registry's one-sentence description of metric `name` ("" for an unknown name).
QString metricTooltip(const std::string& name);

// A table item that sorts by `sortKey` (numbers) rather than by its text; NaN sorts last.
class NumericItem : public QTableWidgetItem {
 public:
  NumericItem(const QString& text, double sortKey);
  bool operator<(const QTableWidgetItem& other) const override;
  double sortKey() const { return m_key; }

 private:
  double m_key;
};

// A read-only table with these column headers; `objectName` lets tests and study logs find it.
QTableWidget* makeTable(QWidget* parent, const QString& objectName, const QStringList& headers);
void setText(QTableWidget* table, int row, int column, const QString& text, const QString& tooltip = {});
void setNumber(QTableWidget* table, int row, int column, double value, int precision = 4);
// Resizes columns and rows to their contents after filling and makes the table as tall as its
// first `maxRows` rows (it scrolls beyond).
void finishTable(QTableWidget* table, int maxRows = 15);

// The frame of a page: a placeholder line while no run is shown; the content otherwise.
// `summary` and `details` are the two tabs' layouts.
class PageFrame {
 public:
  explicit PageFrame(InsightPage* page, const QString& placeholder);
  QVBoxLayout* summary() const { return m_summary; }
  QVBoxLayout* details() const { return m_details; }
  QTabWidget* tabs() const { return m_tabs; }
  void showContent(bool shown);
  // A line of notices (sections' own notices) at the top of the summary; hidden when empty.
  void setNotices(const std::vector<std::string>& notices);

 private:
  QLabel* m_placeholder = nullptr;
  QTabWidget* m_tabs = nullptr;
  QLabel* m_notices = nullptr;
  QVBoxLayout* m_summary = nullptr;
  QVBoxLayout* m_details = nullptr;
};

// A page's one-paragraph summary: word-wrapped plain text.
QLabel* summaryLabel(QWidget* parent);

// A word-wrapped label for a page's notices (hidden while there are none).
QLabel* noticeLabel(QWidget* parent);
// Shows `notices` as one line each (hides the label when empty).
void setNotices(QLabel* label, const std::vector<std::string>& notices);
QStringList toStringList(const std::vector<std::string>& lines);

// `{"key": "value"}` as compact JSON (values escaped), for InsightPage::interacted details.
QString jsonDetail(const QString& key, const QString& value);

// A checkable "Details" button that shows `details` while checked (hidden at first).
QToolButton* detailsToggle(const QString& text, QWidget* details, QWidget* parent);

// "Export chart…": asks for a .png/.svg file and writes `chart` through exportWidgetImage;
// returns the path written ("" when cancelled or failed; `error` then says why).
QString exportChartWithDialog(QWidget* chart, QWidget* dialogParent, const QString& suggestedName, QString* error);

// A chart view in the pages' style (light theme, no animation, bold title, antialiased) named
// `name` for accessibility; and a chart emptied of its series, axes and title.
QChartView* chartView(QWidget* parent, const QString& name, int minimumHeight);
void resetChart(QChart* chart);

// How the Studio names a candidate: "xgboost (trial 5)", and for an ensemble (its leaderboard
// row has no trial: trial < 0) "ensemble of 3 candidates": never "trial -1".
QString candidateName(const transparency::LeaderboardEntry& row);
// The run's chosen model so named (its leaderboard row; the model card's name when none).
QString chosenModelName(const transparency::RunInsights& insights);
// An ensemble row's members from its params (a JSON array of {trial, family, weight}):
// "trial 3 (xgboost) ×0.60, trial 7 (linear) ×0.40"; "" when `params` is not such an array.
QString ensembleMembersText(const std::string& params);
// A leaderboard row's hyperparameters as shown: an ensemble's members, else the params' JSON
// text; "—" when there are none.
QString paramsText(const std::string& params);

// A selector's items, and choosing one by its text (false when it has none such).
QStringList comboItems(const QComboBox* combo);
bool selectComboText(QComboBox* combo, const QString& text);

// Makes `content` the whole of `page`, in a scroll area (no margins) that resizes it.
void setScrolledContent(QWidget* page, QWidget* content);

}  // namespace pages
}  // namespace glasswing::studio
