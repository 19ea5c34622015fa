#include "panels/pages/pagecommon.hpp"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFont>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QScrollArea>
#include <QScrollBar>
#include <QStandardPaths>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWidget>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "automl/metrics/metrics.hpp"
#include "charts/chartexport.hpp"
#include "panels/insightpage.hpp"
#include "panels/insightsdata.hpp"

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

namespace {

// The members of an ensemble row (params: a JSON array of objects); empty when not an ensemble's.
nlohmann::json ensembleMembers(const std::string& params) {
  if (params.empty() || params.front() != '[') return nlohmann::json::array();
  auto parsed = nlohmann::json::parse(params, nullptr, false);
  if (!parsed.is_array()) return nlohmann::json::array();
  nlohmann::json members = nlohmann::json::array();
  for (auto& member : parsed) {
    if (member.is_object()) members.push_back(std::move(member));
  }
  return members;
}

}  // namespace

QString candidateName(const transparency::LeaderboardEntry& row) {
  if (row.trial >= 0) return QObject::tr("%1 (trial %2)").arg(qs(row.family)).arg(row.trial);
  const auto members = ensembleMembers(row.params);
  if (members.empty()) return QObject::tr("ensemble");
  return members.size() == 1 ? QObject::tr("ensemble of 1 candidate")
                             : QObject::tr("ensemble of %1 candidates").arg(members.size());
}

QString chosenModelName(const transparency::RunInsights& insights) {
  for (const auto& row : insights.leaderboard.rows) {
    if (row.chosen) return candidateName(row);
  }
  QString model = qs(insights.card.model);
  if (model.isEmpty()) model = qs(insights.family);
  return model.replace(QStringLiteral(" (trial -1)"), QString());
}

QString ensembleMembersText(const std::string& params) {
  QStringList parts;
  for (const auto& member : ensembleMembers(params)) {
    const auto trial = member.value("trial", nlohmann::json());
    const auto family = member.value("family", nlohmann::json());
    const auto weight = member.value("weight", nlohmann::json());
    QString text = trial.is_number_integer() ? QObject::tr("trial %1").arg(trial.get<long long>()) : QStringLiteral("?");
    if (family.is_string()) text += QStringLiteral(" (%1)").arg(qs(family.get<std::string>()));
    if (weight.is_number()) text += QStringLiteral(" ×%1").arg(QString::number(weight.get<double>(), 'f', 2));
    parts << text;
  }
  return parts.join(QStringLiteral(", "));
}

QString paramsText(const std::string& params) {
  const QString members = ensembleMembersText(params);
  if (!members.isEmpty()) return members;
  return params.empty() ? QStringLiteral("—") : qs(params);
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

void setScrolledContent(QWidget* page, QWidget* content) {
  auto* scroll = new QScrollArea(page);
  scroll->setWidgetResizable(true);
  scroll->setWidget(content);
  auto* outer = new QVBoxLayout(page);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(scroll);
}

}  // namespace glasswing::studio::pages
