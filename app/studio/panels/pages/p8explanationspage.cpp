#include "panels/pages/p8explanationspage.hpp"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QScatterSeries>
#include <QSpinBox>
#include <QTabWidget>
#include <QValueAxis>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>

#include "charts/hbarchart.hpp"
#include "palette.hpp"
#include "panels/pages/pagecommon.hpp"
#include "panels/insightsdata.hpp"
#include "workers/rowexplainer.hpp"

namespace glasswing::studio {

namespace {

constexpr std::size_t kTopBars = 15;
constexpr std::size_t kWaterfallSteps = 10;

QString qs(const std::string& s) { return QString::fromStdString(s); }

QWidget* tabPage(QWidget* parent, QVBoxLayout** layout) {
  auto* page = new QWidget(parent);
  *layout = new QVBoxLayout(page);
  return page;
}

// A deterministic vertical jitter in [-0.3, 0.3] for beeswarm point k (no random generator).
double jitter(std::size_t k) {
  const std::uint64_t h = (static_cast<std::uint64_t>(k) + 1) * 0x9E3779B97F4A7C15ULL;
  return (static_cast<double>((h >> 11) % 1000) / 999.0 - 0.5) * 0.6;
}

}  // namespace

struct ExplanationsPage::RowJob {
  std::size_t row = 0;
};

ExplanationsPage::ExplanationsPage(QWidget* parent) : InsightPage(parent) {
  auto* content = new QWidget;
  auto* layout = new QVBoxLayout(content);
  m_summary = pages::summaryLabel(content);
  m_notices = pages::noticeLabel(content);
  layout->addWidget(m_summary);
  layout->addWidget(m_notices);
  m_tabs = new QTabWidget(content);
  layout->addWidget(m_tabs, 1);

  QVBoxLayout* l = nullptr;
  QWidget* page = tabPage(m_tabs, &l);
  m_permutation = new HBarChart(page);
  l->addWidget(m_permutation);
  m_tabs->addTab(page, tr("Permutation importance"));

  page = tabPage(m_tabs, &l);
  m_shapNotice = pages::noticeLabel(page);
  l->addWidget(m_shapNotice);
  auto* outputBar = new QHBoxLayout;
  outputBar->addWidget(new QLabel(tr("Output"), page));
  m_shapOutput = new QComboBox(page);
  m_shapOutput->setAccessibleName(tr("SHAP output"));
  outputBar->addWidget(m_shapOutput);
  outputBar->addStretch(1);
  l->addLayout(outputBar);
  m_shap = new HBarChart(page);
  l->addWidget(m_shap);
  m_beeswarm = pages::chartView(page, tr("SHAP beeswarm"), 280);
  l->addWidget(m_beeswarm);
  m_tabs->addTab(page, tr("SHAP"));

  page = tabPage(m_tabs, &l);
  auto* rowBar = new QHBoxLayout;
  rowBar->addWidget(new QLabel(tr("Evaluation row"), page));
  m_row = new QSpinBox(page);
  m_row->setMinimum(-1);
  m_row->setSpecialValueText(tr("first explained row"));
  m_row->setAccessibleName(tr("Row to explain"));
  m_row->setKeyboardTracking(false);
  rowBar->addWidget(m_row);
  rowBar->addStretch(1);
  l->addLayout(rowBar);
  m_rowNotice = pages::noticeLabel(page);
  l->addWidget(m_rowNotice);
  m_waterfall = new HBarChart(page);
  l->addWidget(m_waterfall);
  m_tabs->addTab(page, tr("One row"));
  connect(m_row, &QSpinBox::valueChanged, this, [this](int value) {
    if (value >= 0) chooseRow(static_cast<std::size_t>(value));
  });

  page = tabPage(m_tabs, &l);
  auto* pdpBar = new QHBoxLayout;
  pdpBar->addWidget(new QLabel(tr("Column"), page));
  m_pdpColumn = new QComboBox(page);
  m_pdpColumn->setAccessibleName(tr("PDP column"));
  pdpBar->addWidget(m_pdpColumn);
  pdpBar->addStretch(1);
  l->addLayout(pdpBar);
  m_pdp = pages::chartView(page, tr("Partial dependence"), 280);
  l->addWidget(m_pdp);
  m_tabs->addTab(page, tr("PDP / ICE"));
  connect(m_pdpColumn, &QComboBox::currentIndexChanged, this, [this](int) {
    drawPdp();
    if (m_insights)
      emit interacted(panelId(), QStringLiteral("pdp_column"), pages::jsonDetail(QStringLiteral("column"), m_pdpColumn->currentText()));
  });

  page = tabPage(m_tabs, &l);
  m_coefOutput = new QComboBox(page);
  m_coefOutput->setToolTip(tr("The model output whose coefficients are shown (one per class for a multiclass model)"));
  l->addWidget(m_coefOutput);
  m_coefficientNotice = pages::noticeLabel(page);
  l->addWidget(m_coefficientNotice);
  m_coefficients = new HBarChart(page);
  l->addWidget(m_coefficients);
  m_tabs->addTab(page, tr("Coefficients / model importance"));

  connect(m_shapOutput, &QComboBox::currentIndexChanged, this, [this](int) { drawShap(); });
  connect(m_coefOutput, &QComboBox::currentIndexChanged, this, [this](int) {
    if (!m_insights) return;
    drawCoefficients();
    emit interacted(panelId(), QStringLiteral("coefficient_output"),
                    pages::jsonDetail(QStringLiteral("output"), m_coefOutput->currentText()));
  });
  connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
    if (m_insights)
      emit interacted(panelId(), QStringLiteral("tab"), pages::jsonDetail(QStringLiteral("tab"), m_tabs->tabText(index)));
  });

  pages::setScrolledContent(this, content);
  clear();
}

ExplanationsPage::~ExplanationsPage() = default;

void ExplanationsPage::clear() {
  m_insights.reset();
  m_rowJob.reset();
  m_rowBusy = false;
  m_summary->setText(tr("No run is shown yet: explanations appear here when a run finishes."));
  pages::setNotices(m_notices, {});
  pages::setNotices(m_shapNotice, {});
  pages::setNotices(m_rowNotice, {});
  pages::setNotices(m_coefficientNotice, {});
  m_permutation->clear();
  m_shap->clear();
  m_waterfall->clear();
  m_coefficients->clear();
  pages::resetChart(m_beeswarm->chart());
  pages::resetChart(m_pdp->chart());
  {
    const QSignalBlocker b1(m_shapOutput), b2(m_pdpColumn), b3(m_row), b4(m_coefOutput);
    m_coefOutput->clear();
    m_coefOutput->setVisible(false);
    m_shapOutput->clear();
    m_pdpColumn->clear();
    m_row->setMaximum(-1);
    m_row->setValue(-1);
  }
  m_beeswarmPoints = m_iceLines = m_pdpPoints = 0;
  m_beeswarmFeatures.clear();
  m_waterfallRow = 0;
}

void ExplanationsPage::setInsights(const std::shared_ptr<const transparency::RunInsights>& insights) {
  clear();
  m_insights = insights;
  const auto& ex = insights->explanations;
  pages::setNotices(m_notices, ex.notices);
  if (!ex.available) {
    m_summary->setText(tr("No explanations for this run (see the notices)."));
    return;
  }
  // Summary: the columns the model relies on most (permutation importance).
  QString summary = tr("Explained on %1 (%2 rows).").arg(qs(ex.evaluated_on)).arg(ex.rows);
  if (ex.permutation && ex.permutation->available && !ex.permutation->items.empty()) {
    QStringList top;
    for (std::size_t i = 0; i < std::min<std::size_t>(3, ex.permutation->items.size()); ++i) {
      const auto& it = ex.permutation->items[i];
      top << QStringLiteral("%1 (%2 ± %3)").arg(qs(it.name), pages::num(it.mean, 3), pages::num(it.sd, 2));
    }
    summary += QLatin1Char(' ') + tr("The model relies most on %1: the drop in %2 when the column is shuffled, over %3 repeats.")
                                      .arg(top.join(QStringLiteral(", ")), qs(ex.permutation->metric))
                                      .arg(ex.permutation->repeats);
    std::vector<HBar> bars;
    for (std::size_t i = 0; i < std::min(kTopBars, ex.permutation->items.size()); ++i) {
      const auto& it = ex.permutation->items[i];
      HBar b;
      b.label = qs(it.name);
      b.to = it.mean;
      b.whiskerLow = it.mean - it.sd;
      b.whiskerHigh = it.mean + it.sd;
      b.color = it.mean >= 0 ? palette::numericBars() : palette::warning();
      bars.push_back(b);
    }
    m_permutation->setBars(tr("Permutation importance (%1 of %2 columns; whiskers: ± 1 sd over %3 repeats)")
                               .arg(bars.size())
                               .arg(ex.permutation->items.size())
                               .arg(ex.permutation->repeats),
                           tr("drop in %1").arg(qs(ex.permutation->metric)), bars);
  }
  m_summary->setText(summary);

  // SHAP.
  if (ex.shap) {
    const QSignalBlocker block(m_shapOutput);
    for (const auto& o : ex.shap->outputs)
      m_shapOutput->addItem(o.output_class < 0 ? tr("the model's output (%1)").arg(qs(ex.shap->units))
                                               : tr("class %1").arg(static_cast<std::size_t>(o.output_class) < insights->classes.size()
                                                                        ? qs(insights->classes[static_cast<std::size_t>(o.output_class)])
                                                                        : QString::number(o.output_class)));
    m_shapOutput->setEnabled(ex.shap->outputs.size() > 1);
  }
  drawShap();
  if (ex.shap_local) {
    drawWaterfall(*ex.shap_local, tr("The first explained row"));
  }
  const std::size_t rows = explainableRows(*insights);
  {
    const QSignalBlocker block(m_row);
    m_row->setMaximum(ex.shap ? static_cast<int>(std::min<std::size_t>(rows, 2147483646)) - 1 : -1);
    m_row->setEnabled(ex.shap.has_value() && rows > 0);
  }
  {
    const QSignalBlocker block(m_pdpColumn);
    for (const auto& c : ex.pdp) m_pdpColumn->addItem(qs(c.feature));
  }
  drawPdp();
  {
    const QSignalBlocker block(m_coefOutput);
    if (ex.coefficients)
      for (const auto& o : ex.coefficients->outputs) m_coefOutput->addItem(qs(o.output));
    m_coefOutput->setVisible(m_coefOutput->count() > 1);
  }
  drawCoefficients();
}

void ExplanationsPage::drawShap() {
  m_shap->clear();
  pages::resetChart(m_beeswarm->chart());
  m_beeswarmPoints = 0;
  m_beeswarmFeatures.clear();
  if (!m_insights) return;
  const auto& ex = m_insights->explanations;
  if (!ex.shap || ex.shap->outputs.empty()) {
    std::vector<std::string> why;
    for (const auto& n : ex.notices)
      if (n.find("SHAP") != std::string::npos) why.push_back(n);
    if (why.empty()) why.push_back("no SHAP values for this run's model (" + m_insights->family + ")");
    pages::setNotices(m_shapNotice, why);
    pages::setNotices(m_rowNotice, why);
    return;
  }
  pages::setNotices(m_shapNotice, ex.shap->notices);
  const int output = std::clamp(m_shapOutput->currentIndex(), 0, static_cast<int>(ex.shap->outputs.size()) - 1);
  const auto& g = ex.shap->outputs[static_cast<std::size_t>(output)];
  std::vector<HBar> bars;
  for (std::size_t i = 0; i < std::min(kTopBars, g.importance.columns.size()); ++i) {
    HBar b;
    b.label = qs(g.importance.columns[i].column);
    b.to = g.importance.columns[i].value;
    bars.push_back(b);
  }
  m_shap->setBars(tr("Mean |SHAP| per column (%1 rows, %2)").arg(ex.shap->rows).arg(qs(ex.shap->units)),
                  tr("mean |SHAP| (%1)").arg(qs(ex.shap->units)), bars);
  drawBeeswarm(output);
}

void ExplanationsPage::drawBeeswarm(int output) {
  QChart* chart = m_beeswarm->chart();
  pages::resetChart(chart);
  const auto& g = m_insights->explanations.shap->outputs[static_cast<std::size_t>(output)];
  const int n = static_cast<int>(g.beeswarm.size());
  chart->setTitle(tr("SHAP beeswarm: one dot per row; colour = the feature's value (low / high / missing)"));
  auto* low = new QScatterSeries;
  low->setName(tr("low value"));
  low->setColor(palette::blue());
  auto* high = new QScatterSeries;
  high->setName(tr("high value"));
  high->setColor(palette::vermillion());
  auto* missing = new QScatterSeries;
  missing->setName(tr("missing"));
  missing->setColor(QColor(0x99, 0x99, 0x99));
  for (auto* s : {low, high, missing}) {
    s->setMarkerSize(6.0);
    s->setBorderColor(Qt::transparent);
  }
  auto* y = new QCategoryAxis;
  y->setLabelsPosition(QCategoryAxis::AxisLabelsPositionCenter);
  y->setMin(-0.5);
  y->setMax(std::max(0.5, n - 0.5));
  y->setGridLineVisible(false);
  double lo = 0.0, hi = 0.0;
  std::size_t k = 0;
  for (int i = n - 1; i >= 0; --i) {  // the top feature at the top
    const auto& f = g.beeswarm[static_cast<std::size_t>(i)];
    const double row = n - 1 - i;
    y->append(qs(f.feature).toHtmlEscaped(), row + 0.5);
    m_beeswarmFeatures.prepend(qs(f.feature));
    std::vector<double> finite;
    for (double v : f.value)
      if (std::isfinite(v)) finite.push_back(v);
    double median = 0.0;
    if (!finite.empty()) {
      std::nth_element(finite.begin(), finite.begin() + static_cast<std::ptrdiff_t>(finite.size() / 2), finite.end());
      median = finite[finite.size() / 2];
    }
    for (std::size_t p = 0; p < f.shap.size() && p < f.value.size(); ++p) {
      const double v = f.value[p];
      const double s = f.shap[p];
      if (!std::isfinite(s)) continue;
      QScatterSeries* target = !std::isfinite(v) ? missing : (v > median ? high : low);
      target->append(s, row + jitter(k++));
      lo = std::min(lo, s);
      hi = std::max(hi, s);
    }
  }
  auto* x = new QValueAxis;
  x->setTitleText(tr("SHAP value (%1)").arg(qs(m_insights->explanations.shap->units)));
  const double span = std::max(1e-9, hi - lo);
  x->setRange(lo - span * 0.05, hi + span * 0.05);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (auto* s : {low, high, missing}) {
    chart->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
  }
  chart->legend()->setAlignment(Qt::AlignBottom);
  m_beeswarmPoints = low->count() + high->count() + missing->count();
}

void ExplanationsPage::drawWaterfall(const transparency::ShapLocal& local, const QString& rowLabel) {
  m_waterfall->clear();
  if (local.outputs.empty()) return;
  const int output = std::clamp(m_shapOutput->currentIndex(), 0, static_cast<int>(local.outputs.size()) - 1);
  const auto& w = local.outputs[static_cast<std::size_t>(output)];
  std::vector<HBar> bars;
  HBar base;
  base.label = tr("base value");
  base.to = w.base_value;
  base.color = QColor(0x99, 0x99, 0x99);
  bars.push_back(base);
  double at = w.base_value;
  const std::size_t shown = std::min(kWaterfallSteps, w.steps.size());
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& s = w.steps[i];
    HBar b;
    b.label = QStringLiteral("%1 = %2").arg(qs(s.feature), pages::num(s.value, 4));
    b.from = at;
    b.to = at + s.shap;
    b.color = s.shap >= 0 ? palette::vermillion() : palette::blue();
    at = b.to;
    bars.push_back(b);
  }
  if (shown < w.steps.size()) {
    double rest = 0.0;
    for (std::size_t i = shown; i < w.steps.size(); ++i) rest += w.steps[i].shap;
    HBar b;
    b.label = tr("%1 other features").arg(w.steps.size() - shown);
    b.from = at;
    b.to = at + rest;
    b.color = rest >= 0 ? palette::vermillion() : palette::blue();
    bars.push_back(b);
  }
  HBar total;
  total.label = tr("margin (prediction)");
  total.to = w.margin;
  total.color = palette::black();
  bars.push_back(total);
  m_waterfall->setBars(tr("%1: base value + contributions = %2 (%3)%4")
                           .arg(rowLabel, pages::num(w.margin, 4), qs(local.units),
                                local.additive ? QString() : tr("; not additive within 1e-4")),
                       tr("margin (%1)").arg(qs(local.units)), bars);
  m_waterfallRow = local.row;
}

void ExplanationsPage::chooseRow(std::size_t row) {
  if (!m_insights) return;
  emit interacted(panelId(), QStringLiteral("select_row"), QStringLiteral("{\"row\":%1}").arg(row));
  if (m_row->value() != static_cast<int>(row) && row <= static_cast<std::size_t>(m_row->maximum())) {
    const QSignalBlocker block(m_row);
    m_row->setValue(static_cast<int>(row));
  }
  pages::setNotices(m_rowNotice, {"explaining row " + std::to_string(row) + "…"});
  auto job = std::make_shared<RowJob>();
  job->row = row;
  m_rowJob = job;
  m_rowBusy = true;
  auto insights = m_insights;
  auto* watcher = new QFutureWatcher<RowExplanation>(this);
  connect(watcher, &QFutureWatcher<RowExplanation>::finished, this, [this, watcher, job] {
    watcher->deleteLater();
    if (job != m_rowJob) return;  // superseded by a newer choice or a new run
    m_rowJob.reset();
    m_rowBusy = false;
    const RowExplanation result = watcher->result();
    if (!result.ok) {
      pages::setNotices(m_rowNotice, {result.error});
      return;
    }
    pages::setNotices(m_rowNotice, {});
    drawWaterfall(result.local, tr("Evaluation row %1").arg(job->row));
    emit waterfallShown(static_cast<qulonglong>(job->row));
  });
  watcher->setFuture(QtConcurrent::run([insights, row] { return explainRow(*insights, row); }));
}

void ExplanationsPage::drawPdp() {
  QChart* chart = m_pdp->chart();
  pages::resetChart(chart);
  m_iceLines = m_pdpPoints = 0;
  if (!m_insights) return;
  const auto& ex = m_insights->explanations;
  const QString column = m_pdpColumn->currentText();
  const transparency::PdpCurve* curve = nullptr;
  for (const auto& c : ex.pdp)
    if (qs(c.feature) == column) curve = &c;
  if (curve == nullptr || curve->pdp.empty()) {
    chart->setTitle(ex.pdp.empty() ? tr("No partial dependence for this run") : tr("Choose a column"));
    return;
  }
  const bool categorical = curve->kind != "numeric";
  chart->setTitle(tr("%1: PDP (thick) and ICE for %2 rows (thin)%3")
                      .arg(column.toHtmlEscaped())
                      .arg(curve->ice_rows.size())
                      .arg(curve->notice.empty() ? QString() : QStringLiteral(" — ") + qs(curve->notice).toHtmlEscaped()));
  chart->legend()->hide();
  QAbstractAxis* xAxis = nullptr;
  auto xOf = [&](std::size_t g) { return categorical ? static_cast<double>(g) : curve->grid[g]; };
  if (categorical) {
    auto* cat = new QCategoryAxis;
    cat->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    cat->setMin(-0.3);
    cat->setMax(std::max(0.3, static_cast<double>(curve->grid.size()) - 0.7));
    for (std::size_t g = 0; g < curve->grid.size(); ++g)
      cat->append((g < curve->grid_labels.size() ? qs(curve->grid_labels[g]) : QString::number(g)).toHtmlEscaped(),
                  static_cast<double>(g));
    xAxis = cat;
  } else {
    auto* val = new QValueAxis;
    val->setTitleText(column.toHtmlEscaped());
    if (!curve->grid.empty()) val->setRange(curve->grid.front(), std::max(curve->grid.back(), curve->grid.front() + 1e-9));
    xAxis = val;
  }
  auto* yAxis = new QValueAxis;
  yAxis->setTitleText(curve->outputs.empty() ? tr("prediction") : qs(curve->outputs.front()).toHtmlEscaped());
  chart->addAxis(xAxis, Qt::AlignBottom);
  chart->addAxis(yAxis, Qt::AlignLeft);
  double lo = 0.0, hi = 0.0;
  bool any = false;
  auto widen = [&](double v) {
    if (!std::isfinite(v)) return;
    if (!any) {
      lo = hi = v;
      any = true;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  };
  if (!curve->ice.empty()) {
    QColor iceColor = palette::skyBlue();
    iceColor.setAlpha(110);
    for (const auto& line : curve->ice.front()) {
      auto* s = new QLineSeries;
      QPen pen(iceColor);
      pen.setWidthF(1.0);
      s->setPen(pen);
      for (std::size_t g = 0; g < line.size() && g < curve->grid.size(); ++g) {
        s->append(xOf(g), line[g]);
        widen(line[g]);
      }
      chart->addSeries(s);
      s->attachAxis(xAxis);
      s->attachAxis(yAxis);
      ++m_iceLines;
    }
  }
  auto* pdp = new QLineSeries;
  QPen pen(palette::vermillion());
  pen.setWidthF(3.0);
  pdp->setPen(pen);
  pdp->setPointsVisible(true);
  for (std::size_t g = 0; g < curve->pdp.front().size() && g < curve->grid.size(); ++g) {
    pdp->append(xOf(g), curve->pdp.front()[g]);
    widen(curve->pdp.front()[g]);
  }
  chart->addSeries(pdp);
  pdp->attachAxis(xAxis);
  pdp->attachAxis(yAxis);
  m_pdpPoints = pdp->count();
  const double span = std::max(1e-9, hi - lo);
  yAxis->setRange(lo - span * 0.05, hi + span * 0.05);
}

void ExplanationsPage::drawCoefficients() {
  m_coefficients->clear();
  pages::setNotices(m_coefficientNotice, {});
  const auto& ex = m_insights->explanations;
  if (ex.coefficients && !ex.coefficients->outputs.empty()) {
    // Signed coefficients per encoded feature for the chosen output, largest magnitude first.
    const auto& lc = *ex.coefficients;
    const int chosen = std::clamp(m_coefOutput->currentIndex(), 0, static_cast<int>(lc.outputs.size()) - 1);
    const auto& set = lc.outputs[static_cast<std::size_t>(chosen)];
    std::vector<std::string> notices = lc.notices;
    notices.insert(notices.begin(), "Coefficients: " + lc.units + ". Intercept " + std::to_string(set.intercept) + ".");
    pages::setNotices(m_coefficientNotice, notices);
    std::vector<HBar> bars;
    for (std::size_t i = 0; i < std::min(kTopBars, set.coefficients.size()); ++i) {
      const auto& c = set.coefficients[i];
      HBar b;
      b.label = qs(c.feature);
      b.to = c.value;
      b.color = c.value >= 0 ? palette::blue() : palette::vermillion();
      bars.push_back(b);
    }
    m_coefficients->setBars(tr("Linear coefficients for the %1 (per standard deviation; blue raises it, vermillion lowers it)")
                                .arg(qs(set.output)),
                            tr("coefficient"), bars);
    return;
  }
  const transparency::ImportanceMap* map = ex.linear ? &*ex.linear : (ex.model_importance ? &*ex.model_importance : nullptr);
  if (map == nullptr) {
    pages::setNotices(m_coefficientNotice, {"the chosen model (" + m_insights->family +
                                                 ") reports no coefficients or importance of its own"});
    return;
  }
  pages::setNotices(m_coefficientNotice, map->notices);
  std::vector<HBar> bars;
  for (std::size_t i = 0; i < std::min(kTopBars, map->columns.size()); ++i) {
    HBar b;
    b.label = qs(map->columns[i].column);
    b.to = map->columns[i].value;
    bars.push_back(b);
  }
  m_coefficients->setBars(tr("The model's own importance per column (%1)").arg(qs(map->kind)), qs(map->kind), bars);
}

QString ExplanationsPage::summaryText() const { return m_summary->text(); }
QString ExplanationsPage::shapNoticeText() const { return m_shapNotice->text(); }
QString ExplanationsPage::rowNoticeText() const { return m_rowNotice->text(); }
QWidget* ExplanationsPage::beeswarmView() const { return m_beeswarm; }
QWidget* ExplanationsPage::pdpView() const { return m_pdp; }

QStringList ExplanationsPage::pdpColumns() const { return pages::comboItems(m_pdpColumn); }

bool ExplanationsPage::setPdpColumn(const QString& column) { return pages::selectComboText(m_pdpColumn, column); }

}  // namespace glasswing::studio
