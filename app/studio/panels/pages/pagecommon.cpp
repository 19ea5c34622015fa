#include "panels/pages/pagecommon.hpp"

#include <QHeaderView>
#include <QScrollBar>

#include <algorithm>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QTabWidget>
#include <QVBoxLayout>

#include "automl/metrics/metrics.hpp"
#include "panels/insightpage.hpp"

namespace glasswing::studio::pages {

QString num(double value, int precision) {
  if (!std::isfinite(value)) return QStringLiteral("—");
  return QString::number(value, 'g', precision);
}

QString metricTooltip(const std::string& name) {
  for (const auto& info : metrics::registry()) {
    if (info.name == name) {
      return QStringLiteral("%1 (%2 is better): %3")
          .arg(qs(info.name),
               info.direction == metrics::Direction::Maximize ? QStringLiteral("higher") : QStringLiteral("lower"),
               qs(info.description));
    }
  }
  return {};
}

NumericItem::NumericItem(const QString& text, double sortKey) : QTableWidgetItem(text), m_key(sortKey) {
  setData(Qt::UserRole, sortKey);
}

bool NumericItem::operator<(const QTableWidgetItem& other) const {
  const auto* numeric = dynamic_cast<const NumericItem*>(&other);
  if (numeric == nullptr) return QTableWidgetItem::operator<(other);
  if (std::isnan(m_key)) return false;
  if (std::isnan(numeric->m_key)) return true;
  return m_key < numeric->m_key;
}

QTableWidget* makeTable(QWidget* parent, const QString& objectName, const QStringList& headers) {
  auto* table = new QTableWidget(0, static_cast<int>(headers.size()), parent);
  table->setObjectName(objectName);
  table->setHorizontalHeaderLabels(headers);
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->setAlternatingRowColors(true);
  table->verticalHeader()->setVisible(false);
  table->horizontalHeader()->setStretchLastSection(true);
  // No sort column until the user picks one: the tables keep the module's order (registry order,
  // pipeline order, ...) and setSortingEnabled(true) after filling does not reorder them.
  table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
  return table;
}

void setText(QTableWidget* table, int row, int column, const QString& text, const QString& tooltip) {
  auto* item = new QTableWidgetItem(text);
  if (!tooltip.isEmpty()) item->setToolTip(tooltip);
  table->setItem(row, column, item);
}

void setNumber(QTableWidget* table, int row, int column, double value, int precision) {
  auto* item = new NumericItem(num(value, precision), value);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  table->setItem(row, column, item);
}

void finishTable(QTableWidget* table, int maxRows) {
  table->resizeColumnsToContents();
  table->resizeRowsToContents();
  // As tall as its rows (at most maxRows), so that a page reads top to bottom without nested scrolling.
  int height = table->horizontalHeader()->sizeHint().height() + 2 * table->frameWidth() + 2;
  const int rows = std::min(table->rowCount(), maxRows);
  for (int r = 0; r < rows; ++r) height += table->rowHeight(r);
  if (rows == 0) height += table->verticalHeader()->defaultSectionSize();
  height += table->horizontalScrollBar()->sizeHint().height();
  table->setFixedHeight(height);
}

PageFrame::PageFrame(InsightPage* page, const QString& placeholder)
    : m_placeholder(new QLabel(placeholder, page)), m_tabs(new QTabWidget(page)), m_notices(new QLabel(page)) {
  m_placeholder->setObjectName(QStringLiteral("placeholder"));
  m_placeholder->setAlignment(Qt::AlignCenter);
  m_notices->setObjectName(QStringLiteral("notices"));
  m_notices->setWordWrap(true);
  m_tabs->setObjectName(QStringLiteral("pageTabs"));
  auto makeTab = [this](const QString& name, const QString& title) {
    auto* scroll = new QScrollArea(m_tabs);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* content = new QWidget(scroll);
    content->setObjectName(name);
    auto* layout = new QVBoxLayout(content);
    scroll->setWidget(content);
    m_tabs->addTab(scroll, title);
    return layout;
  };
  m_summary = makeTab(QStringLiteral("summary"), QObject::tr("Summary"));
  m_details = makeTab(QStringLiteral("details"), QObject::tr("Details"));
  m_summary->addWidget(m_notices);
  auto* layout = new QVBoxLayout(page);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_placeholder);
  layout->addWidget(m_tabs, 1);
  showContent(false);
}

void PageFrame::showContent(bool shown) {
  m_placeholder->setVisible(!shown);
  m_tabs->setVisible(shown);
}

void PageFrame::setNotices(const std::vector<std::string>& notices) {
  QStringList lines;
  for (const auto& notice : notices) lines << QStringLiteral("⚠ %1").arg(qs(notice));
  m_notices->setText(lines.join(QLatin1Char('\n')));
  m_notices->setVisible(!lines.isEmpty());
}

}  // namespace glasswing::studio::pages
