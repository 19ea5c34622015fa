#include "panels/pages/p6searchpage.hpp"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QScatterSeries>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTableView>
#include <QValueAxis>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "palette.hpp"
#include "panels/pages/pagecommon.hpp"
#include "panels/insightsdata.hpp"

namespace glasswing::studio {

namespace {

QStandardItem* item(const QString& text, const QVariant& sortKey) {
  auto* it = new QStandardItem(text);
  it->setData(sortKey, Qt::UserRole);
  it->setEditable(false);
  return it;
}

}  // namespace

SearchPage::SearchPage(QWidget* parent) : InsightPage(parent) {
  auto* content = new QWidget;
  auto* layout = new QVBoxLayout(content);
  m_summary = pages::summaryLabel(content);
  m_notices = pages::noticeLabel(content);
  layout->addWidget(m_summary);
  layout->addWidget(m_notices);

  auto* scoreBar = new QHBoxLayout;
  scoreBar->addWidget(new QLabel(tr("Best score over"), content));
  m_axisChoice = new QComboBox(content);
  m_axisChoice->addItem(tr("trials"));
  m_axisChoice->addItem(tr("time"));
  m_axisChoice->setAccessibleName(tr("Score chart axis"));
  scoreBar->addWidget(m_axisChoice);
  scoreBar->addStretch(1);
  auto* exportScore = new QPushButton(tr("Export chart…"), content);
  scoreBar->addWidget(exportScore);
  layout->addLayout(scoreBar);
  m_scoreView = pages::chartView(content, tr("Best score"), 260);
  layout->addWidget(m_scoreView);
  connect(m_axisChoice, &QComboBox::currentIndexChanged, this, [this](int index) {
    setTimeAxis(index == 1);
    emit interacted(panelId(), QStringLiteral("score_axis"),
                    QStringLiteral("{\"axis\":\"%1\"}").arg(index == 1 ? QStringLiteral("time") : QStringLiteral("trials")));
  });
  connect(exportScore, &QPushButton::clicked, this, [this] {
    QString error;
    const QString path = pages::exportChartWithDialog(m_scoreView, this, QStringLiteral("search-score"), &error);
    if (!path.isEmpty()) emit interacted(panelId(), QStringLiteral("export_chart"), QStringLiteral("{\"chart\":\"score\"}"));
    if (!error.isEmpty()) pages::setNotices(m_notices, {error.toStdString()});
  });

  // Details: the trials table.
  auto* tableBox = new QWidget(content);
  auto* tableLayout = new QVBoxLayout(tableBox);
  tableLayout->setContentsMargins(0, 0, 0, 0);
  m_trials = new QStandardItemModel(this);
  m_trials->setSortRole(Qt::UserRole);
  m_proxy = new QSortFilterProxyModel(this);
  m_proxy->setSourceModel(m_trials);
  m_proxy->setSortRole(Qt::UserRole);
  m_table = new QTableView(tableBox);
  m_table->setModel(m_proxy);
  m_table->setSortingEnabled(true);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->verticalHeader()->hide();
  m_table->setMinimumHeight(220);
  m_table->setAccessibleName(tr("Trials"));
  tableLayout->addWidget(m_table);
  layout->addWidget(pages::detailsToggle(tr("Trials table"), tableBox, content));
  layout->addWidget(tableBox);

  // Details: parallel coordinates.
  auto* parallelBox = new QWidget(content);
  auto* parallelLayout = new QVBoxLayout(parallelBox);
  parallelLayout->setContentsMargins(0, 0, 0, 0);
  auto* familyBar = new QHBoxLayout;
  familyBar->addWidget(new QLabel(tr("Family"), parallelBox));
  m_family = new QComboBox(parallelBox);
  m_family->setAccessibleName(tr("Family of the parallel coordinates"));
  familyBar->addWidget(m_family);
  familyBar->addStretch(1);
  parallelLayout->addLayout(familyBar);
  m_parallelView = pages::chartView(parallelBox, tr("Parallel coordinates"), 260);
  parallelLayout->addWidget(m_parallelView);
  connect(m_family, &QComboBox::currentIndexChanged, this, [this](int) {
    drawParallel();
    if (m_insights)
      emit interacted(panelId(), QStringLiteral("parallel_family"),
                      pages::jsonDetail(QStringLiteral("family"), m_family->currentText()));
  });
  layout->addWidget(pages::detailsToggle(tr("Hyperparameters (parallel coordinates)"), parallelBox, content));
  layout->addWidget(parallelBox);
  layout->addStretch(1);

  pages::setScrolledContent(this, content);
  clear();
}

void SearchPage::clear() {
  m_insights.reset();
  m_summary->setText(tr("No run is shown yet: the search appears here when a run finishes."));
  pages::setNotices(m_notices, {});
  pages::resetChart(m_scoreView->chart());
  m_scoreView->chart()->setTitle({});
  pages::resetChart(m_parallelView->chart());
  m_trials->clear();
  {
    const QSignalBlocker block(m_family);
    m_family->clear();
  }
  m_dotCount = m_bestCount = m_problemCount = m_parallelLines = 0;
  m_parallelAxes.clear();
}

void SearchPage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  clear();
  m_insights = insights;
  const auto& s = insights->search;
  std::vector<std::string> notices = s.notices;
  if (s.analysis) notices.insert(notices.end(), s.analysis->notices.begin(), s.analysis->notices.end());
  pages::setNotices(m_notices, notices);
  if (!s.available) {
    m_summary->setText(tr("The search store could not be read, so there is no search history (see the notices)."));
    return;
  }
  QString best;
  if (s.analysis && s.analysis->best_trial >= 0)
    best = tr(" The best is trial %1 (%2), %3 %4.")
               .arg(s.analysis->best_trial)
               .arg(QString::fromStdString(s.analysis->best_family), QString::fromStdString(insights->metric),
                    pages::num(s.analysis->best_value));
  m_summary->setText(tr("%1 trials: %2 complete, %3 failed, %4 pruned (%5, %6).%7")
                         .arg(s.trials.size())
                         .arg(s.complete)
                         .arg(s.failed)
                         .arg(s.pruned)
                         .arg(QString::fromStdString(insights->metric),
                              s.direction == "MINIMIZE" ? tr("lower is better") : tr("higher is better"), best));

  // The trials table: SearchAnalysis's rows (params as JSON, reasons), else the section's own.
  m_trials->setHorizontalHeaderLabels(
      {tr("Trial"), tr("State"), tr("Family"), tr("Value"), tr("Duration (s)"), tr("Params"), tr("Reason")});
  auto addRow = [this](std::int64_t number, const std::string& state, const std::string& family, double value,
                       double duration, const std::string& params, const std::string& reason, bool bestRow) {
    QList<QStandardItem*> row;
    row << item(QString::number(number), QVariant::fromValue<qlonglong>(number))
        << item(QString::fromStdString(state), QString::fromStdString(state))
        << item(QString::fromStdString(family), QString::fromStdString(family))
        << item(pages::num(value, 6), std::isfinite(value) ? QVariant(value) : QVariant(-1e300))
        << item(pages::num(duration, 3), std::isfinite(duration) ? QVariant(duration) : QVariant(-1.0))
        << item(QString::fromStdString(params), QString::fromStdString(params))
        << item(QString::fromStdString(reason), QString::fromStdString(reason));
    if (bestRow)
      for (auto* cell : row) {
        QFont f = cell->font();
        f.setBold(true);
        cell->setFont(f);
      }
    if (state == "FAIL" || state == "PRUNED")
      for (auto* cell : row) cell->setForeground(palette::warning());
    m_trials->appendRow(row);
  };
  if (s.analysis) {
    for (const auto& r : s.analysis->table)
      addRow(r.number, r.state, r.family, r.value, r.duration_s, r.params.dump(), r.reason, r.best);
  } else {
    for (const auto& t : s.trials) addRow(t.number, t.state, t.family, t.value, t.duration_s, t.params, t.fail_reason, false);
  }
  m_table->resizeColumnsToContents();

  {
    const QSignalBlocker block(m_family);
    if (s.analysis)
      for (const auto& pc : s.analysis->parallel) m_family->addItem(QString::fromStdString(pc.family));
    // Start with the chosen model's family when it has axes.
    const int chosen = m_family->findText(QString::fromStdString(insights->family));
    if (chosen >= 0) m_family->setCurrentIndex(chosen);
  }
  drawScore();
  drawParallel();
}

void SearchPage::setTimeAxis(bool byTime) {
  m_byTime = byTime;
  if (m_axisChoice->currentIndex() != (byTime ? 1 : 0)) {
    const QSignalBlocker block(m_axisChoice);
    m_axisChoice->setCurrentIndex(byTime ? 1 : 0);
  }
  drawScore();
}

void SearchPage::drawScore() {
  QChart* chart = m_scoreView->chart();
  pages::resetChart(chart);
  m_dotCount = m_bestCount = m_problemCount = 0;
  if (!m_insights || !m_insights->search.analysis) return;
  const auto& a = *m_insights->search.analysis;
  const auto& points = m_byTime ? a.best_by_time : a.best_by_trial;
  chart->setTitle(tr("Best %1 over %2")
                      .arg(QString::fromStdString(m_insights->metric).toHtmlEscaped(),
                           m_byTime ? tr("time") : tr("trials")));
  auto* dots = new QScatterSeries;
  dots->setName(tr("complete trial"));
  dots->setMarkerSize(8.0);
  dots->setColor(palette::skyBlue());
  dots->setBorderColor(palette::blue());
  auto* best = new QLineSeries;
  best->setName(tr("best so far"));
  QPen bestPen(palette::vermillion());
  bestPen.setWidthF(2.5);
  best->setPen(bestPen);
  double minX = 0, maxX = 1, minY = 0, maxY = 1;
  bool any = false;
  auto xOf = [this](const transparency::BestSoFarPoint& p) {
    return m_byTime ? p.elapsed_s : static_cast<double>(p.number);
  };
  for (const auto& p : points) {
    const double x = xOf(p);
    if (!std::isfinite(x)) continue;
    dots->append(x, p.value);
    if (best->count() > 0 && best->at(best->count() - 1).y() != p.best) best->append(x, best->at(best->count() - 1).y());
    if (best->count() == 0 || best->at(best->count() - 1).y() != p.best) best->append(x, p.best);
    if (!any) {
      minX = maxX = x;
      minY = maxY = p.value;
      any = true;
    }
    minX = std::min(minX, x);
    maxX = std::max(maxX, x);
    minY = std::min({minY, p.value, p.best});
    maxY = std::max({maxY, p.value, p.best});
  }
  // Failed and pruned trials: crosses along the bottom at their trial number (or time).
  auto* problems = new QScatterSeries;
  problems->setName(tr("failed or pruned"));
  problems->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
  problems->setMarkerSize(7.0);
  problems->setColor(palette::warning());
  problems->setBorderColor(palette::warning());
  std::vector<double> problemX;
  for (const auto& r : a.table) {
    if (r.state != "FAIL" && r.state != "PRUNED") continue;
    double x = static_cast<double>(r.number);
    if (m_byTime) x = std::isfinite(r.duration_s) ? r.start_s + r.duration_s : r.start_s;
    if (!std::isfinite(x)) continue;
    problemX.push_back(x);
    if (!any) minX = maxX = x;
    minX = std::min(minX, x);
    maxX = std::max(maxX, x);
  }
  double span = maxY - minY;
  if (!(span > 0.0)) span = std::max(0.05, std::fabs(maxY) * 0.1);
  const double floorY = minY - span * 0.06;
  for (double x : problemX) problems->append(x, floorY);
  // Extend the best line to the last trial so it reads as "still the best".
  if (best->count() > 0 && best->at(best->count() - 1).x() < maxX) best->append(maxX, best->at(best->count() - 1).y());

  auto* xAxis = new QValueAxis;
  xAxis->setTitleText(m_byTime ? tr("elapsed (s)") : tr("trial"));
  xAxis->setLabelFormat(QStringLiteral("%.0f"));
  auto* yAxis = new QValueAxis;
  yAxis->setTitleText(QString::fromStdString(m_insights->metric).toHtmlEscaped());
  yAxis->setLabelFormat(QStringLiteral("%.3f"));
  chart->addAxis(xAxis, Qt::AlignBottom);
  chart->addAxis(yAxis, Qt::AlignLeft);
  for (QXYSeries* series : {static_cast<QXYSeries*>(dots), static_cast<QXYSeries*>(best), static_cast<QXYSeries*>(problems)}) {
    chart->addSeries(series);
    series->attachAxis(xAxis);
    series->attachAxis(yAxis);
  }
  const double xSpan = std::max(1.0, maxX - minX);
  xAxis->setRange(minX - xSpan * 0.03, maxX + xSpan * 0.03);
  if (!m_byTime) {  // whole trial numbers on the ticks
    xAxis->setTickType(QValueAxis::TicksDynamic);
    xAxis->setTickAnchor(0.0);
    xAxis->setTickInterval(std::max(1.0, std::ceil(xSpan / 10.0)));
  } else {
    xAxis->applyNiceNumbers();
  }
  yAxis->setRange(floorY - span * 0.06, maxY + span * 0.08);
  m_dotCount = dots->count();
  m_bestCount = best->count();
  m_problemCount = problems->count();
}

void SearchPage::drawParallel() {
  QChart* chart = m_parallelView->chart();
  pages::resetChart(chart);
  chart->legend()->hide();
  m_parallelLines = 0;
  m_parallelAxes.clear();
  if (!m_insights || !m_insights->search.analysis) return;
  const auto& a = *m_insights->search.analysis;
  const QString family = m_family->currentText();
  const transparency::ParallelCoordinates* pc = nullptr;
  for (const auto& p : a.parallel)
    if (QString::fromStdString(p.family) == family) pc = &p;
  if (pc == nullptr) {
    chart->setTitle(tr("No hyperparameters to show"));
    return;
  }
  chart->setTitle(tr("%1: %2 complete trials (best quarter highlighted)").arg(family.toHtmlEscaped()).arg(pc->trials.size()));
  const int axes = static_cast<int>(pc->axes.size());
  auto* xAxis = new QCategoryAxis;
  xAxis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
  xAxis->setMin(-0.3);
  xAxis->setMax(std::max(0.3, axes - 1 + 0.3));
  for (int i = 0; i < axes; ++i) {
    const auto& ax = pc->axes[static_cast<std::size_t>(i)];
    QString label = QString::fromStdString(ax.label);
    if (ax.kind != "categorical")
      label += QStringLiteral(" [%1, %2]%3").arg(pages::num(ax.low, 3), pages::num(ax.high, 3),
                                                  ax.log ? QStringLiteral(" log") : QString());
    m_parallelAxes << QString::fromStdString(ax.label);
    xAxis->append(label.toHtmlEscaped(), i);
  }
  auto* yAxis = new QValueAxis;
  yAxis->setRange(-0.05, 1.05);
  yAxis->setTitleText(tr("position in range (0 = low, 1 = high)"));
  chart->addAxis(xAxis, Qt::AlignBottom);
  chart->addAxis(yAxis, Qt::AlignLeft);
  // The best quarter of the lines by value (the study's direction) drawn last, highlighted.
  const bool maximize = a.direction == "MAXIMIZE";
  std::vector<std::size_t> order(pc->values.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) {
    return maximize ? pc->values[l] < pc->values[r] : pc->values[l] > pc->values[r];
  });
  const std::size_t highlight = std::max<std::size_t>(1, order.size() / 4);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t line = order[k];
    auto* series = new QLineSeries;
    const bool top = k + highlight >= order.size();
    QPen pen(top ? palette::vermillion() : palette::skyBlue());
    pen.setWidthF(top ? 2.0 : 1.0);
    series->setPen(pen);
    series->setName(tr("trial %1").arg(pc->trials[line]));
    for (int i = 0; i < axes; ++i) {
      const double v = pc->points[line][static_cast<std::size_t>(i)];
      if (std::isfinite(v)) series->append(i, v);
    }
    chart->addSeries(series);
    series->attachAxis(xAxis);
    series->attachAxis(yAxis);
    ++m_parallelLines;
  }
  for (int i = 0; i < axes; ++i) {  // the axes themselves
    auto* axisLine = new QLineSeries;
    QPen pen(palette::black());
    pen.setWidthF(1.0);
    axisLine->setPen(pen);
    axisLine->append(i, 0.0);
    axisLine->append(i, 1.0);
    chart->addSeries(axisLine);
    axisLine->attachAxis(xAxis);
    axisLine->attachAxis(yAxis);
  }
}

QString SearchPage::summaryText() const { return m_summary->text(); }
QWidget* SearchPage::scoreChartView() const { return m_scoreView; }
QAbstractItemModel* SearchPage::trialsModel() const { return m_proxy; }
QWidget* SearchPage::parallelChartView() const { return m_parallelView; }
QString SearchPage::parallelFamily() const { return m_family->currentText(); }

QStringList SearchPage::parallelFamilies() const { return pages::comboItems(m_family); }

bool SearchPage::setParallelFamily(const QString& family) { return pages::selectComboText(m_family, family); }

}  // namespace glasswing::studio
