#include "panels/pages/p9fairnesspage.hpp"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QValueAxis>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <cmath>

#include "palette.hpp"
#include "panels/pages/pagecommon.hpp"
#include "panels/insightsdata.hpp"

namespace glasswing::studio {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }
constexpr std::size_t kMaxDistinct = 20;

}  // namespace

FairnessPage::FairnessPage(QWidget* parent) : InsightPage(parent) {
  auto* content = new QWidget;
  auto* layout = new QVBoxLayout(content);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Groups by column"), content));
  m_chooser = new QComboBox(content);
  m_chooser->setAccessibleName(tr("Fairness column"));
  m_chooser->setMinimumContentsLength(16);
  bar->addWidget(m_chooser);
  auto* exportButton = new QPushButton(tr("Export chart…"), content);
  bar->addStretch(1);
  bar->addWidget(exportButton);
  layout->addLayout(bar);
  m_summary = pages::summaryLabel(content);
  m_notices = pages::noticeLabel(content);
  layout->addWidget(m_summary);
  layout->addWidget(m_notices);
  m_chart = new QChartView(content);
  QChart* chart = m_chart->chart();
  chart->setTheme(QChart::ChartThemeLight);
  chart->setAnimationOptions(QChart::NoAnimation);
  chart->setBackgroundRoundness(0);
  chart->legend()->setAlignment(Qt::AlignBottom);
  m_chart->setRenderHint(QPainter::Antialiasing);
  m_chart->setMinimumHeight(260);
  m_chart->setAccessibleName(tr("Fairness by group"));
  layout->addWidget(m_chart);
  m_table = new QTableWidget(content);
  m_table->setColumnCount(9);
  m_table->setHorizontalHeaderLabels({tr("Group"), tr("Rows"), tr("Actual +"), tr("Predicted +"), tr("Selection rate"),
                                      tr("TPR"), tr("FPR"), tr("Accuracy"), tr("Disparate impact")});
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->verticalHeader()->hide();
  m_table->setMinimumHeight(160);
  m_table->setSortingEnabled(false);
  layout->addWidget(pages::detailsToggle(tr("Numbers per group"), m_table, content));
  layout->addWidget(m_table);
  layout->addStretch(1);
  connect(m_chooser, &QComboBox::activated, this, [this](int index) {
    if (index >= 0) chooseColumn(m_chooser->itemText(index));
  });
  connect(exportButton, &QPushButton::clicked, this, [this] {
    QString error;
    if (!pages::exportChartWithDialog(m_chart, this, QStringLiteral("fairness"), &error).isEmpty())
      emit interacted(panelId(), QStringLiteral("export_chart"), QStringLiteral("{\"chart\":\"fairness\"}"));
    if (!error.isEmpty()) pages::setNotices(m_notices, {error.toStdString()});
  });
  pages::setScrolledContent(this, content);
  clear();
}

FairnessPage::~FairnessPage() = default;

void FairnessPage::clear() {
  ++m_generation;
  m_insights.reset();
  m_section.reset();
  m_column.clear();
  m_busy = false;
  {
    const QSignalBlocker block(m_chooser);
    m_chooser->clear();
  }
  m_summary->setText(tr("No run is shown yet: fairness by a column you choose appears here when a run finishes."));
  pages::setNotices(m_notices, {});
  m_table->setRowCount(0);
  QChart* chart = m_chart->chart();
  chart->removeAllSeries();
  for (auto* axis : chart->axes()) {
    chart->removeAxis(axis);
    delete axis;
  }
  chart->setTitle({});
  m_barSets = m_barCategories = 0;
}

void FairnessPage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  clear();
  m_insights = insights;
  {
    const QSignalBlocker block(m_chooser);
    for (const auto& p : insights->data.profiles) {
      if (p.name == insights->target) continue;
      const bool categorical = p.type == data::ColumnType::Categorical || p.type == data::ColumnType::Boolean;
      if ((categorical || p.distinct <= kMaxDistinct) && p.distinct >= 2 && p.type != data::ColumnType::Id &&
          p.type != data::ColumnType::Text)
        m_chooser->addItem(qs(p.name));
    }
    m_chooser->setCurrentIndex(-1);
    m_chooser->setPlaceholderText(tr("choose a column"));
  }
  // The section the insights were loaded with (a column given when they were computed).
  if (insights->fairness.requested && insights->fairness.report) {
    show(qs(insights->fairness.report->column), std::make_shared<const transparency::FairnessSection>(insights->fairness));
    return;
  }
  if (insights->task != "binary") {
    m_summary->setText(tr("Fairness rates are defined for binary classification; this run is %1.").arg(qs(insights->task)));
    m_chooser->setEnabled(false);
    return;
  }
  m_chooser->setEnabled(m_chooser->count() > 0);
  m_summary->setText(m_chooser->count() > 0
                         ? tr("Choose a column (a group such as sex, age band or region) to compare the model's decisions across its groups.")
                         : tr("The data has no categorical or low-cardinality column to group by."));
}

void FairnessPage::chooseColumn(const QString& column) {
  if (!m_insights) return;
  emit interacted(panelId(), QStringLiteral("fairness_column"), pages::jsonDetail(QStringLiteral("column"), column));
  m_column = column;
  const int index = m_chooser->findText(column);
  if (index != m_chooser->currentIndex()) {
    const QSignalBlocker block(m_chooser);
    m_chooser->setCurrentIndex(index);
  }
  if (column.toStdString() == m_insights->target) {
    auto section = std::make_shared<transparency::FairnessSection>();
    section->requested = true;
    section->notices.push_back("'" + m_insights->target +
                               "' is the target: groups by the outcome itself say nothing about fairness; choose another column");
    show(column, std::move(section));
    return;
  }
  const quint64 generation = ++m_generation;
  m_busy = true;
  m_summary->setText(tr("Computing fairness by %1…").arg(column));
  auto insights = m_insights;
  const std::string name = column.toStdString();
  auto* watcher = new QFutureWatcher<std::shared_ptr<const transparency::FairnessSection>>(this);
  connect(watcher, &QFutureWatcher<std::shared_ptr<const transparency::FairnessSection>>::finished, this,
          [this, watcher, generation, column] {
            watcher->deleteLater();
            if (generation != m_generation) return;  // a newer choice or a new run
            m_busy = false;
            show(column, watcher->result());
          });
  watcher->setFuture(QtConcurrent::run([insights, name]() -> std::shared_ptr<const transparency::FairnessSection> {
    return std::make_shared<const transparency::FairnessSection>(transparency::fairness_for(*insights, name));
  }));
}

void FairnessPage::show(const QString& column, std::shared_ptr<const transparency::FairnessSection> section) {
  m_section = std::move(section);
  m_column = column;
  m_table->setRowCount(0);
  QChart* chart = m_chart->chart();
  chart->removeAllSeries();
  for (auto* axis : chart->axes()) {
    chart->removeAxis(axis);
    delete axis;
  }
  chart->setTitle({});
  m_barSets = m_barCategories = 0;
  std::vector<std::string> notices = m_section->notices;
  const transparency::FairnessReport* r = m_section->report ? &*m_section->report : nullptr;
  if (r != nullptr) notices.insert(notices.end(), r->notices.begin(), r->notices.end());
  pages::setNotices(m_notices, notices);
  if (r == nullptr || !r->available) {
    m_summary->setText(tr("No fairness numbers for '%1' (see the notices).").arg(column));
    emit fairnessShown(column);
    return;
  }
  const bool fails = std::isfinite(r->min_disparate_impact) && r->min_disparate_impact < 0.8;
  m_summary->setText(
      tr("By '%1' on %2: %3 groups; the most favoured is '%4'. Lowest disparate impact ratio %5: %6")
          .arg(column, qs(m_section->evaluated_on))
          .arg(r->groups.size())
          .arg(qs(r->reference_group), pages::num(r->min_disparate_impact, 3),
               !std::isfinite(r->min_disparate_impact) ? tr("no group is large enough to judge.")
               : fails ? tr("below 0.8, so it fails the four-fifths rule.")
                       : tr("at least 0.8, so it passes the four-fifths rule.")));
  m_table->setRowCount(static_cast<int>(r->groups.size()));
  for (int i = 0; i < static_cast<int>(r->groups.size()); ++i) {
    const auto& g = r->groups[static_cast<std::size_t>(i)];
    const QStringList cells{qs(g.group) + (g.too_small ? tr(" (too small)") : QString()),
                            QString::number(g.rows),
                            QString::number(g.actual_positive),
                            QString::number(g.predicted_positive),
                            pages::num(g.selection_rate),
                            pages::num(g.tpr),
                            pages::num(g.fpr),
                            pages::num(g.accuracy),
                            pages::num(g.disparate_impact)};
    for (int c = 0; c < cells.size(); ++c) {
      auto* cell = new QTableWidgetItem(cells[c]);
      if (g.too_small || (c == 8 && std::isfinite(g.disparate_impact) && g.disparate_impact < 0.8))
        cell->setForeground(palette::warning());
      m_table->setItem(i, c, cell);
    }
  }
  m_table->resizeColumnsToContents();
  // Grouped bars: one set per rate, one category per group.
  chart->setTitle(tr("Rates by %1 (groups marked * are too small to judge)").arg(column.toHtmlEscaped()));
  auto* series = new QBarSeries;
  const std::vector<std::pair<QString, QColor>> sets{{tr("selection rate"), palette::blue()},
                                                     {tr("TPR"), palette::bluishGreen()},
                                                     {tr("FPR"), palette::vermillion()},
                                                     {tr("accuracy"), palette::orange()}};
  QStringList categories;
  std::vector<QBarSet*> barSets;
  for (const auto& [name, colour] : sets) {
    auto* set = new QBarSet(name);
    set->setColor(colour);
    set->setBorderColor(colour);
    barSets.push_back(set);
  }
  for (const auto& g : r->groups) {
    categories << qs(g.group).toHtmlEscaped() + (g.too_small ? QStringLiteral("*") : QString());  // labels are rich text
    const double values[] = {g.selection_rate, g.tpr, g.fpr, g.accuracy};
    for (std::size_t k = 0; k < 4; ++k) barSets[k]->append(std::isfinite(values[k]) ? values[k] : 0.0);
  }
  for (auto* set : barSets) series->append(set);
  chart->addSeries(series);
  auto* x = new QBarCategoryAxis;
  x->append(categories);
  auto* y = new QValueAxis;
  y->setRange(0.0, 1.0);
  y->setTitleText(tr("rate"));
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
  m_barSets = static_cast<int>(series->count());
  m_barCategories = static_cast<int>(categories.size());
  emit fairnessShown(column);
}

QStringList FairnessPage::columns() const { return pages::comboItems(m_chooser); }

QString FairnessPage::summaryText() const { return m_summary->text(); }
QString FairnessPage::noticeText() const { return m_notices->text(); }
QWidget* FairnessPage::chartView() const { return m_chart; }

}  // namespace glasswing::studio
