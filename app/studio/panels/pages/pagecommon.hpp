#pragma once
// Small helpers shared by the Insights pages (P1..P5): number formatting, metric tooltips from
// the metric registry, sortable read-only tables, and the page frame (a placeholder line while no
// run is shown; "Summary" and "Details" tabs once one is).

#include <QString>
#include <QStringList>
#include <QTableWidget>
#include <QTableWidgetItem>

#include <cmath>
#include <string>
#include <vector>

QT_BEGIN_NAMESPACE
class QLabel;
class QTabWidget;
class QVBoxLayout;
QT_END_NAMESPACE

namespace glasswing::studio {

class InsightPage;

namespace pages {

inline QString qs(const std::string& text) { return QString::fromStdString(text); }
// A number for a table cell: fixed `precision` significant digits; "—" for NaN or infinity.
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

}  // namespace pages
}  // namespace glasswing::studio
