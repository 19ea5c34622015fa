// Insights pages P6-P10 (app/studio/panels/pages) on real runs: each page shows the run's
// transparency::RunInsights values, the row chooser explains another row with the run's own
// bundle, fairness by a chosen column equals the transparency module's, the model card's exports
// give a report and a bundle engine::load_bundle accepts, and a chart exports as PNG.
// Two short real runs on credit-g's first 500 rows, made once for all the entries (cached under
// the build tree while this executable and the data are unchanged: run_cache.hpp): XGBoost (the
// constant baseline and one XGBoost trial: SHAP) and linear (the baseline and five linear trials:
// the search pages, fANOVA, signed coefficients). Each process reads their insights.

#include <QComboBox>
#include <QAbstractItemModel>
#include <QFile>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImage>
#include <QSet>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <memory>
#include <tuple>

#include "automl/data/csv.hpp"
#include "automl/engine/bundle.hpp"
#include "automl/engine/run.hpp"
#include "charts/chartexport.hpp"
#include "charts/hbarchart.hpp"
#include "panels/insightpages.hpp"
#include "panels/pages/p10modelcardpage.hpp"
#include "panels/pages/p6searchpage.hpp"
#include "panels/pages/p7importancepage.hpp"
#include "panels/pages/p8explanationspage.hpp"
#include "panels/pages/p9fairnesspage.hpp"
#include "panels/insightsdata.hpp"
#include "run_cache.hpp"

using namespace glasswing;
using namespace glasswing::studio;
namespace fs = std::filesystem;

namespace {

const fs::path kCredit = fs::path(GLASSWING_SHARED_DIR) / "datasets" / "credit-g.csv";

transparency::InsightOptions quickOptions() {
  transparency::InsightOptions o;
  o.bootstrap_resamples = 200;
  o.permutation_repeats = 3;
  o.permutation_rows = 300;
  o.shap_rows = 100;
  o.pdp_columns = 2;
  o.ice_rows = 10;
  return o;
}

// The first `rows` rows of credit-g (every column and both classes): quicker fits.
fs::path creditSubset(const fs::path& folder, int rows) {
  QFile in(QString::fromStdString(kCredit.string()));
  const fs::path path = folder / "credit-g-subset.csv";
  QFile out(QString::fromStdString(path.string()));
  if (!in.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly)) return {};
  for (int line = 0; line <= rows && !in.atEnd(); ++line) out.write(in.readLine());
  return path;
}

// A short real run of `models` on `data` into `out`.
void makeRun(const fs::path& data, const fs::path& out, const std::vector<std::string>& models, int trials) {
  engine::RunSettings s;
  s.data = data;
  s.target = "class";
  s.models = models;
  s.max_trials = trials;
  s.cv = 2;
  s.seed = 7;
  s.out = out;
  s.ensemble_candidates = 0;  // one model: its SHAP and coefficients are the bundle's own
  QElapsedTimer timer;
  timer.start();
  engine::run(s);
  if (qEnvironmentVariableIsSet("PAGES_B_TIMINGS")) qInfo("run %lld ms", timer.elapsed());
}

std::shared_ptr<const transparency::RunInsights> readRun(const fs::path& out) {
  QElapsedTimer timer;
  timer.start();
  auto insights = std::make_shared<const transparency::RunInsights>(transparency::load_run_insights(out, quickOptions()));
  if (qEnvironmentVariableIsSet("PAGES_B_TIMINGS")) {
    qInfo("insights %lld ms", timer.elapsed());
    for (const auto& [step, seconds] : insights->timings) qInfo("  %s: %.3f s", step.c_str(), seconds);
  }
  return insights;
}

bool close(double a, double b, double tol = 1e-9) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b));
}

}  // namespace

class PagesBTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_tmp;
  fs::path m_root;  // the cached runs
  // Each run's insights, read on first use (an entry that needs one run reads only that one).
  std::shared_ptr<const transparency::RunInsights> m_xgbInsights, m_linearInsights;
  const std::shared_ptr<const transparency::RunInsights>& xgb() {  // XGBoost chosen
    if (!m_xgbInsights) m_xgbInsights = readRun(m_root / "xgb");
    return m_xgbInsights;
  }
  const std::shared_ptr<const transparency::RunInsights>& linear() {  // linear chosen
    if (!m_linearInsights) m_linearInsights = readRun(m_root / "linear");
    return m_linearInsights;
  }

 private slots:
  void initTestCase() {
    QVERIFY(m_tmp.isValid());
    if (!fs::exists(kCredit)) QSKIP("the shared credit-g dataset is missing");
    const auto families = engine::family_names();
    const bool hasXgb = std::find(families.begin(), families.end(), "xgboost") != families.end();
    const bool hasLinear = std::find(families.begin(), families.end(), "linear") != families.end();
    if (!hasXgb || !hasLinear) QSKIP("this build has no xgboost or no linear family");
    // The runs are made once for every entry (each CTest entry is a process) and reused while this
    // executable and the data are unchanged (run_cache.hpp); GLASSWING_PAGES_B_FRESH=1 remakes them.
    const QString folder = studio_test::runCacheFolder("GLASSWING_PAGES_B_RUNS", QStringLiteral("pages-b-runs"));
    const fs::path root(folder.toStdString());
    const QByteArray key = studio_test::runCacheKey(
        {QString::fromStdString(kCredit.string())},
        QStringLiteral("credit-g first 500 rows; xgboost 2 trials, linear 6; cv 2; seed 7; no ensemble"));
    QString error;
    bool reused = false;
    const bool ok = studio_test::cachedRuns(
        folder, key,
        [&root](QString* why) {
          const fs::path data = creditSubset(root, 500);
          if (data.empty()) {
            *why = QStringLiteral("cannot write the credit-g subset");
            return false;
          }
          try {
            makeRun(data, root / "xgb", {"xgboost"}, 2);
            makeRun(data, root / "linear", {"linear"}, 6);
          } catch (const std::exception& e) {
            *why = QStringLiteral("a run for the pages tests failed: %1").arg(QString::fromUtf8(e.what()));
            return false;
          }
          return true;
        },
        &error, &reused, qEnvironmentVariableIntValue("GLASSWING_PAGES_B_FRESH") == 1);
    QVERIFY2(ok, qPrintable(error));
    qInfo("pages runs %s in %s", reused ? "reused" : "made", qPrintable(folder));
    m_root = root;
  }

  void pagesAreRegistered() {
    QWidget parent;
    const auto pages = createInsightPages(&parent);
    QSet<QString> ids;
    for (auto* p : pages) ids.insert(p->panelId());
    for (const char* id : {"P6", "P7", "P8", "P9", "P10"}) QVERIFY2(ids.contains(QString::fromLatin1(id)), id);
  }

  void searchPageShowsTrials() {
    SearchPage page;
    page.resize(1000, 900);
    page.setInsights(linear());
    const auto& s = linear()->search;
    QVERIFY(s.available);
    QVERIFY(s.analysis.has_value());
    const auto& a = *s.analysis;
    QVERIFY(page.summaryText().contains(QStringLiteral("%1 trials").arg(s.trials.size())));
    QVERIFY(page.summaryText().contains(QStringLiteral("trial %1").arg(a.best_trial)));
    // Score chart: one dot per complete trial, failed/pruned marked.
    QCOMPARE(page.trialDotCount(), static_cast<int>(a.best_by_trial.size()));
    QVERIFY(page.bestLinePointCount() >= 2);
    int problems = 0;
    for (const auto& r : a.table) problems += (r.state == "FAIL" || r.state == "PRUNED") ? 1 : 0;
    QCOMPARE(page.problemMarkCount(), problems);
    page.setTimeAxis(true);
    QCOMPARE(page.trialDotCount(), static_cast<int>(a.best_by_time.size()));
    // The trials table: every trial, sortable by value as a number.
    QAbstractItemModel* model = page.trialsModel();
    QCOMPARE(model->rowCount(), static_cast<int>(a.table.size()));
    model->sort(3, Qt::DescendingOrder);
    double best = -1e300;
    for (const auto& r : a.table)
      if (r.state == "COMPLETE" && std::isfinite(r.value)) best = std::max(best, r.value);
    QCOMPARE(model->index(0, 3).data(Qt::UserRole).toDouble(), best);
    QCOMPARE(model->index(0, 1).data().toString(), QStringLiteral("COMPLETE"));
    // Parallel coordinates of the family's hyperparameters.
    QVERIFY(page.parallelFamilies().contains(QStringLiteral("linear")));
    QVERIFY(page.setParallelFamily(QStringLiteral("linear")));
    const transparency::ParallelCoordinates* pc = nullptr;
    for (const auto& p : a.parallel)
      if (p.family == "linear") pc = &p;
    QVERIFY(pc != nullptr);
    QCOMPARE(page.parallelLineCount(), static_cast<int>(pc->trials.size()));
    QCOMPARE(page.parallelAxisLabels().size(), static_cast<qsizetype>(pc->axes.size()));
    QCOMPARE(page.parallelAxisLabels().front(), QString::fromStdString(pc->axes.front().label));
    QVERIFY(!page.setParallelFamily(QStringLiteral("no-such-family")));
    page.clear();
    QVERIFY(page.summaryText().contains(QStringLiteral("No run")));
    QCOMPARE(page.trialsModel()->rowCount(), 0);
  }

  void importancePageShowsFanova() {
    ImportancePage page;
    page.setInsights(linear());
    const auto& a = *linear()->search.analysis;
    QStringList expected{QStringLiteral("global")};
    for (const auto& f : a.family_importance) expected << QString::fromStdString(f.scope);
    QCOMPARE(page.scopes(), expected);
    auto check = [&](const transparency::ImportanceResult& r) {
      if (!r.available) {
        QVERIFY(page.summaryText().contains(QString::fromStdString(r.reason)));
        QCOMPARE(page.chart()->barCount(), 0);
        return;
      }
      QCOMPARE(page.chart()->barCount(), static_cast<int>(r.params.size()));
      for (std::size_t i = 0; i < r.params.size(); ++i) QCOMPARE(page.chart()->bars()[i].to, r.params[i].importance);
      QCOMPARE(page.table()->rowCount(), static_cast<int>(r.params.size()));
      QVERIFY(page.summaryText().contains(QString::fromStdString(r.params.front().name)));
    };
    check(a.importance);
    const transparency::ImportanceResult* family = nullptr;
    for (const auto& f : a.family_importance)
      if (f.scope == "linear") family = &f;
    QVERIFY(family != nullptr);
    QVERIFY2(family->available, family->reason.c_str());  // 5 complete linear trials: enough for fANOVA
    QVERIFY(page.setScope(QStringLiteral("linear")));
    check(*family);
    QVERIFY(!page.setScope(QStringLiteral("nothing")));
  }

  void explanationsPageXgboost() {
    QCOMPARE(QString::fromStdString(xgb()->family), QStringLiteral("xgboost"));
    ExplanationsPage page;
    page.resize(1000, 900);
    page.setInsights(xgb());
    const auto& ex = xgb()->explanations;
    QVERIFY(ex.available);
    // Permutation importance with whiskers.
    QVERIFY(ex.permutation && !ex.permutation->items.empty());
    const auto& items = ex.permutation->items;
    QCOMPARE(page.permutationChart()->barCount(), static_cast<int>(std::min<std::size_t>(15, items.size())));
    QCOMPARE(page.permutationChart()->bars()[0].to, items[0].mean);
    QCOMPARE(page.permutationChart()->bars()[0].whiskerHigh, items[0].mean + items[0].sd);
    QVERIFY(page.permutationChart()->whiskerCount() > 0);
    QVERIFY(page.summaryText().contains(QString::fromStdString(items[0].name)));
    // SHAP: mean |SHAP| per column and the beeswarm.
    QVERIFY(ex.shap.has_value());
    const auto& g = ex.shap->outputs.front();
    QCOMPARE(page.shapChart()->barCount(), static_cast<int>(std::min<std::size_t>(15, g.importance.columns.size())));
    QCOMPARE(page.shapChart()->bars()[0].to, g.importance.columns[0].value);
    int points = 0;
    for (const auto& f : g.beeswarm)
      for (double v : f.shap) points += std::isfinite(v) ? 1 : 0;
    QVERIFY(points > 0);
    QCOMPARE(page.beeswarmPointCount(), points);
    QCOMPARE(page.beeswarmFeatures().front(), QString::fromStdString(g.beeswarm.front().feature));
    // The insights' waterfall: base value first, the margin last.
    QVERIFY(ex.shap_local.has_value());
    const auto& w = ex.shap_local->outputs.front();
    const auto& bars = page.waterfallChart()->bars();
    QVERIFY(bars.size() >= 3);
    QCOMPARE(bars.front().to, w.base_value);
    QCOMPARE(bars.back().to, w.margin);
    QVERIFY(close(bars[bars.size() - 2].to, w.margin, 1e-6));  // the steps add up to the margin
    // PDP/ICE for the top columns.
    QStringList pdp;
    for (const auto& c : ex.pdp) pdp << QString::fromStdString(c.feature);
    QCOMPARE(page.pdpColumns(), pdp);
    if (!ex.pdp.empty()) {
      QVERIFY(page.setPdpColumn(pdp.back()));
      QCOMPARE(page.iceLineCount(), static_cast<int>(ex.pdp.back().ice.front().size()));
      QCOMPARE(page.pdpPointCount(), static_cast<int>(ex.pdp.back().pdp.front().size()));
    }
    // The model's own importance (gain) instead of coefficients.
    QVERIFY(ex.model_importance.has_value());
    QCOMPARE(page.coefficientChart()->bars()[0].to, ex.model_importance->columns[0].value);
    QVERIFY(page.shapNoticeText().isEmpty() || !page.shapNoticeText().contains(QStringLiteral("need a tree model")));
  }

  void rowChooserExplainsAnotherRow() {
    ExplanationsPage page;
    page.setInsights(xgb());
    QSignalSpy shown(&page, &ExplanationsPage::waterfallShown);
    QSignalSpy interacted(&page, &InsightPage::interacted);
    page.chooseRow(3);
    QCOMPARE(interacted.count(), 1);
    QCOMPARE(interacted.at(0).at(1).toString(), QStringLiteral("select_row"));
    QCOMPARE(interacted.at(0).at(2).toString(), QStringLiteral("{\"row\":3}"));
    QVERIFY(shown.wait(10000));
    QCOMPARE(shown.at(0).at(0).toULongLong(), 3ULL);
    QCOMPARE(page.waterfallRow(), std::size_t{3});
    // The drawn margin is the model's own: logit of the bundle's P(positive) for that row.
    const engine::Bundle bundle = engine::load_bundle(xgb()->run_dir / "model");
    const auto pred = engine::predict(bundle, xgb()->evaluation->table);
    const double p = pred.values[3 * pred.classes.size() + 1];
    QVERIFY(close(page.waterfallChart()->bars().back().to, std::log(p / (1.0 - p)), 1e-3));
    // A row out of range: a notice, no crash, the waterfall kept.
    page.chooseRow(xgb()->evaluation->table.rows() + 5);
    QTRY_VERIFY_WITH_TIMEOUT(!page.rowBusy(), 10000);
    QVERIFY(page.rowNoticeText().contains(QStringLiteral("out of range")));
    QCOMPARE(page.waterfallRow(), std::size_t{3});
  }

  void explanationsPageLinear() {
    QCOMPARE(QString::fromStdString(linear()->family), QStringLiteral("linear"));
    ExplanationsPage page;
    page.setInsights(linear());
    const auto& ex = linear()->explanations;
    QVERIFY(ex.linear.has_value());
    // No SHAP for a linear model: a notice, no beeswarm, no waterfall.
    QVERIFY(page.shapNoticeText().contains(QStringLiteral("SHAP")));
    QCOMPARE(page.beeswarmPointCount(), 0);
    QCOMPARE(page.waterfallChart()->barCount(), 0);
    // Coefficients: the largest magnitudes, signed, as computed.
    QVERIFY(ex.coefficients.has_value());
    QCOMPARE(ex.coefficients->outputs.size(), std::size_t{1});  // binary: the log-odds of the second class
    const auto& set = ex.coefficients->outputs.front();
    const auto& bars = page.coefficientChart()->bars();
    QCOMPARE(static_cast<std::size_t>(bars.size()), std::min<std::size_t>(15, set.coefficients.size()));
    for (std::size_t i = 0; i < static_cast<std::size_t>(bars.size()); ++i) {
      QCOMPARE(bars[i].to, set.coefficients[i].value);
      QCOMPARE(bars[i].label, QString::fromStdString(set.coefficients[i].feature));
    }
    QCOMPARE(page.coefficientOutputs()->count(), 1);
    QVERIFY(page.coefficientOutputs()->isHidden());  // one output: no selector
    // Negative coefficients draw left of zero (the run's own, or the same run with signs flipped).
    auto flipped = std::make_shared<transparency::RunInsights>(*linear());
    auto& fc = flipped->explanations.coefficients->outputs.front().coefficients;
    for (std::size_t i = 0; i < fc.size(); i += 2) fc[i].value = -std::fabs(fc[i].value);
    page.setInsights(flipped);
    bool negative = false;
    for (const auto& b : page.coefficientChart()->bars()) negative = negative || b.to < 0.0;
    QVERIFY(negative);
    QCOMPARE(std::fabs(page.coefficientChart()->bars().front().to), std::fabs(fc.front().value));
  }

  void fairnessPageMatchesTransparency() {
    FairnessPage page;
    page.setInsights(xgb());
    const QStringList columns = page.columns();
    QVERIFY(columns.contains(QStringLiteral("personal_status")));
    QVERIFY(!columns.contains(QStringLiteral("class")));          // the target
    QVERIFY(!columns.contains(QStringLiteral("credit_amount")));  // continuous
    QSignalSpy shown(&page, &FairnessPage::fairnessShown);
    page.chooseColumn(QStringLiteral("personal_status"));
    QVERIFY(shown.wait(10000));
    const auto section = page.section();
    QVERIFY(section && section->report && section->report->available);
    // The same numbers as the transparency function, and as a full load with that column.
    const transparency::FairnessSection direct = transparency::fairness_for(*xgb(), "personal_status");
    auto options = quickOptions();
    options.fairness_column = "personal_status";
    const transparency::RunInsights full = transparency::load_run_insights(xgb()->run_dir, options);
    for (const auto* other : {&direct, &full.fairness}) {
      QVERIFY(other->report.has_value());
      QCOMPARE(other->report->groups.size(), section->report->groups.size());
      QCOMPARE(other->notices, section->notices);
      for (std::size_t i = 0; i < other->report->groups.size(); ++i) {
        const auto& a = other->report->groups[i];
        const auto& b = section->report->groups[i];
        QCOMPARE(a.group, b.group);
        QCOMPARE(a.rows, b.rows);
        QVERIFY(close(a.selection_rate, b.selection_rate));
        QVERIFY(close(a.tpr, b.tpr));
        QVERIFY(close(a.fpr, b.fpr));
        QVERIFY(close(a.accuracy, b.accuracy));
        QVERIFY(close(a.disparate_impact, b.disparate_impact));
      }
    }
    QCOMPARE(page.table()->rowCount(), static_cast<int>(section->report->groups.size()));
    QVERIFY(page.table()->item(0, 0)->text().startsWith(QString::fromStdString(section->report->groups[0].group)));
    QCOMPARE(page.barSetCount(), 4);
    QCOMPARE(page.barCategoryCount(), static_cast<int>(section->report->groups.size()));
    QVERIFY(page.summaryText().contains(QString::fromStdString(section->report->reference_group)));
    // A column that does not exist: a notice, no numbers.
    page.chooseColumn(QStringLiteral("no_such_column"));
    QVERIFY(shown.wait(10000));
    QVERIFY(page.noticeText().contains(QStringLiteral("does not exist")));
    QCOMPARE(page.table()->rowCount(), 0);
    QCOMPARE(page.barSetCount(), 0);
    // The target: unsuitable, a notice.
    page.chooseColumn(QStringLiteral("class"));
    QTRY_VERIFY_WITH_TIMEOUT(page.noticeText().contains(QStringLiteral("target")), 5000);
    QCOMPARE(page.table()->rowCount(), 0);
  }

  void modelCardAndExports() {
    ModelCardPage page;
    page.setInsights(xgb());
    const auto& card = xgb()->card;
    const QString text = page.cardText();
    QVERIFY(text.contains(QString::fromStdString(card.model)));
    QVERIFY(text.contains(QString::fromStdString(card.intended_use)));
    for (const auto& line : card.metrics) QVERIFY2(text.contains(QString::fromStdString(line)), line.c_str());
    for (const auto& line : card.limitations) QVERIFY2(text.contains(QString::fromStdString(line)), line.c_str());
    QVERIFY(text.contains(QString::number(card.seed)));
    // Export report.
    const QString report = m_tmp.filePath(QStringLiteral("exported/report.html"));
    QDir().mkpath(QFileInfo(report).absolutePath());
    QString error;
    QVERIFY2(ModelCardPage::exportReport(*xgb(), report, &error), qPrintable(error));
    QFile file(report);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray html = file.readAll();
    QVERIFY(html.startsWith("<!DOCTYPE html>") || html.contains("<html"));
    QVERIFY(html.contains(QByteArray::fromStdString(card.model)));
    // A folder that cannot be written: a clear error.
    QVERIFY(!ModelCardPage::exportReport(*xgb(), m_tmp.filePath(QStringLiteral("missing/dir/report.html")), &error));
    QVERIFY(error.contains(QStringLiteral("report.html")));
    // Export bundle: a copy that engine::load_bundle accepts.
    const QString bundleDir = m_tmp.filePath(QStringLiteral("exported/bundle"));
    QVERIFY2(ModelCardPage::exportBundle(*xgb(), bundleDir, false, &error), qPrintable(error));
    const engine::Bundle copy = engine::load_bundle(fs::path(bundleDir.toStdString()));
    QCOMPARE(QString::fromStdString(copy.family), QString::fromStdString(xgb()->family));
    QCOMPARE(copy.target, xgb()->target);
    // A non-empty folder is refused without a confirmation, accepted with one.
    error.clear();
    QVERIFY(!ModelCardPage::exportBundle(*xgb(), bundleDir, false, &error));
    QVERIFY(error.contains(QStringLiteral("not empty")));
    QVERIFY2(ModelCardPage::exportBundle(*xgb(), bundleDir, true, &error), qPrintable(error));
    (void)engine::load_bundle(fs::path(bundleDir.toStdString()));
    // A file where the folder should be; the run's own bundle folder.
    QVERIFY(!ModelCardPage::exportBundle(*xgb(), report, false, &error));
    QVERIFY(error.contains(QStringLiteral("is a file")));
    QVERIFY(!ModelCardPage::exportBundle(*xgb(), QString::fromStdString((xgb()->run_dir / "model").string()), true, &error));
    QVERIFY(error.contains(QStringLiteral("own bundle")));
  }

  void chartExportsPng() {
    SearchPage page;
    page.resize(1000, 900);
    page.setInsights(linear());
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    const QString png = m_tmp.filePath(QStringLiteral("score.png"));
    QString error;
    QVERIFY2(exportWidgetImage(page.scoreChartView(), png, &error), qPrintable(error));
    QImage image(png);
    QVERIFY(!image.isNull());
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
      for (int x = 0; x < image.width(); x += 7) colours.insert(image.pixel(x, y));
    QVERIFY(colours.size() > 3);  // not blank
    // The bar charts (HBarChart) export too; PAGES_B_SHOTS=DIR keeps the images for a look.
    ExplanationsPage explain;
    explain.resize(1000, 900);
    explain.setInsights(xgb());
    explain.show();
    QVERIFY(QTest::qWaitForWindowExposed(&explain));
    const QString keep = qEnvironmentVariable("PAGES_B_SHOTS");
    const QString folder = keep.isEmpty() ? m_tmp.path() : keep;
    for (auto [name, tab, widget] : {std::tuple{"permutation", 0, static_cast<QWidget*>(explain.permutationChart())},
                                     std::tuple{"beeswarm", 1, explain.beeswarmView()},
                                     std::tuple{"waterfall", 2, static_cast<QWidget*>(explain.waterfallChart())}}) {
      explain.tabs()->setCurrentIndex(tab);  // a chart on a hidden tab has no size
      QCoreApplication::processEvents();
      const QString file = folder + QStringLiteral("/%1.png").arg(QLatin1String(name));
      QVERIFY2(exportWidgetImage(widget, file, &error), qPrintable(error));
      QVERIFY(!QImage(file).isNull());
    }
    if (!keep.isEmpty()) {
      explain.grab().save(keep + QStringLiteral("/p8.png"));
      page.grab().save(keep + QStringLiteral("/p6.png"));
    }
  }
};

QTEST_MAIN(PagesBTest)
#include "test_pages_b.moc"
