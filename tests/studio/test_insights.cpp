// Offscreen tests of the Studio's Insights tab (panels P1-P5): one short real run on a split of
// pima (3 trials, test set) and one regression run on auto-mpg, made once by the engine; then the
// tab loads a run off the GUI thread, every page shows the numbers of transparency's RunInsights,
// the threshold slider's confusion counts equal a direct count of the test predictions, a bad run
// directory shows its message while the window stays usable, and study conditions hide pages.
// Run under QT_QPA_PLATFORM=offscreen (set by CTest).

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>
#include <QXYSeries>
#include <QtTest>

#include <cmath>
#include <memory>

#include "automl/engine/run.hpp"
#include "mainwindow.hpp"
#include "panels/insightsdata.hpp"
#include "panels/insightspanel.hpp"
#include "panels/issuespanel.hpp"
#include "panels/pages/p1leaderboardpage.hpp"
#include "panels/pages/p2metricspage.hpp"
#include "panels/pages/p3curvespage.hpp"
#include "panels/pages/p4datapage.hpp"
#include "panels/pages/p5pipelinepage.hpp"

using namespace glasswing;
using namespace glasswing::studio;

namespace {

constexpr int kLoadTimeoutMs = 120000;

QString sharedFile(const char* name) { return QStringLiteral(GLASSWING_SHARED_DIR "/datasets/") + QLatin1String(name); }

// A quick tree family for the runs: xgboost when this build has it, else the first non-constant one.
std::string quickFamily() {
  const auto names = engine::family_names();
  for (const auto& name : names) {
    if (name == "xgboost") return name;
  }
  for (const auto& name : names) {
    if (name != "constant") return name;
  }
  return "constant";
}

QStringList readLines(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
  QStringList lines;
  QTextStream in(&file);
  while (!in.atEnd()) {
    const QString line = in.readLine();
    if (!line.isEmpty()) lines << line;
  }
  return lines;
}

bool writeLines(const QString& path, const QStringList& lines) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
  QTextStream out(&file);
  for (const auto& line : lines) out << line << '\n';
  return true;
}

QString unquote(QString cell) {
  if (cell.size() >= 2 && cell.startsWith(QLatin1Char('"')) && cell.endsWith(QLatin1Char('"'))) cell = cell.mid(1, cell.size() - 2);
  return cell;
}

double cellKey(const QTableWidget* table, int row, int column) {
  const QTableWidgetItem* item = table->item(row, column);
  return item == nullptr ? std::nan("") : item->data(Qt::UserRole).toDouble();
}

QString cellText(const QTableWidget* table, int row, int column) {
  const QTableWidgetItem* item = table->item(row, column);
  return item == nullptr ? QString() : item->text();
}

bool sameNumber(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

class InsightsTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void prepareRuns();
  void tabLoadsRunWithoutBlocking();
  void leaderboardShowsRunNumbers();
  void metricsShowIntervalsAndFolds();
  void thresholdSliderCountsMatchPredictions();
  void regressionShowsResidualPlots();
  void multiclassClassSelector();
  void dataPageShowsWarningsBalanceAndDrift();
  void pipelinePageShowsStepsAndProvenance();
  void badRunDirectoryShowsMessageAndWindowStaysUsable();
  void newerLoadSupersedesOlder();
  void allowedPanelsHidePages();
  void panelViewedOnPageChange();

 private:
  void makeRuns(const QString& base);
  QTemporaryDir m_dir;
  QString m_binaryRun, m_regressionRun, m_multiclassRun, m_testCsv;
  // The reference: what the transparency module computes for each run (read on first use).
  using Insights = std::shared_ptr<const transparency::RunInsights>;
  const Insights& reference(Insights& slot, const QString& runDir) {
    if (!slot) slot = std::make_shared<const transparency::RunInsights>(transparency::load_run_insights(runDir.toStdString()));
    return slot;
  }
  const Insights& binary() { return reference(m_binaryInsights, m_binaryRun); }
  const Insights& regression() { return reference(m_regressionInsights, m_regressionRun); }
  const Insights& multiclass() { return reference(m_multiclassInsights, m_multiclassRun); }
  Insights m_binaryInsights, m_regressionInsights, m_multiclassInsights;
};

void InsightsTest::initTestCase() {
  QVERIFY(m_dir.isValid());
  // CTest makes the runs once (studio.insights.prepareRuns, GLASSWING_INSIGHTS_FRESH=1) in
  // GLASSWING_INSIGHTS_RUNS and the other entries reuse them; run by hand, they go to a temporary folder.
  QString base = qEnvironmentVariable("GLASSWING_INSIGHTS_RUNS");
  if (base.isEmpty()) base = m_dir.path();
  const bool fresh = qEnvironmentVariableIntValue("GLASSWING_INSIGHTS_FRESH") == 1;
  m_binaryRun = QDir(base).filePath(QStringLiteral("run-binary"));
  m_regressionRun = QDir(base).filePath(QStringLiteral("run-regression"));
  m_multiclassRun = QDir(base).filePath(QStringLiteral("run-multiclass"));
  m_testCsv = QDir(base).filePath(QStringLiteral("pima-test.csv"));
  const bool reuse = !fresh && QFile::exists(m_binaryRun + QStringLiteral("/run.json")) &&
                     QFile::exists(m_regressionRun + QStringLiteral("/run.json")) &&
                     QFile::exists(m_multiclassRun + QStringLiteral("/run.json")) && QFile::exists(m_testCsv);
  if (!reuse) makeRuns(base);
  if (QTest::currentTestFailed()) return;
}

void InsightsTest::prepareRuns() {
  QCOMPARE(QString::fromStdString(binary()->task), QStringLiteral("binary"));
  QCOMPARE(QString::fromStdString(regression()->task), QStringLiteral("regression"));
  QCOMPARE(QString::fromStdString(multiclass()->task), QStringLiteral("multiclass"));
}

void InsightsTest::makeRuns(const QString& base) {
  QDir(m_binaryRun).removeRecursively();
  QDir(m_regressionRun).removeRecursively();
  QDir(m_multiclassRun).removeRecursively();
  QVERIFY(QDir().mkpath(base));
  // pima, split: the first 600 rows train, the other 168 test.
  const QStringList lines = readLines(sharedFile("pima-diabetes-na.csv"));
  QVERIFY(lines.size() > 700);
  const QString train = QDir(base).filePath(QStringLiteral("pima-train.csv"));
  QVERIFY(writeLines(train, lines.mid(0, 601)));
  QVERIFY(writeLines(m_testCsv, QStringList{lines.front()} + lines.mid(601)));

  engine::RunSettings binarySettings;
  binarySettings.data = train.toStdString();
  binarySettings.test = m_testCsv.toStdString();
  binarySettings.target = "diabetes";
  binarySettings.max_trials = 3;
  binarySettings.cv = 3;
  binarySettings.models = {quickFamily()};
  binarySettings.ensemble_candidates = 0;  // no ensemble: a shorter run
  binarySettings.out = m_binaryRun.toStdString();
  engine::run(binarySettings);

  engine::RunSettings regressionSettings;
  regressionSettings.data = sharedFile("auto-mpg.csv").toStdString();
  regressionSettings.target = "Miles_per_Gallon";
  regressionSettings.max_trials = 2;
  regressionSettings.cv = 3;
  regressionSettings.models = {quickFamily()};
  regressionSettings.ensemble_candidates = 0;
  regressionSettings.out = m_regressionRun.toStdString();
  engine::run(regressionSettings);

  engine::RunSettings multiclassSettings;
  multiclassSettings.data = sharedFile("iris.csv").toStdString();
  multiclassSettings.target = "species";
  multiclassSettings.max_trials = 2;
  multiclassSettings.cv = 3;
  multiclassSettings.models = {quickFamily()};
  multiclassSettings.ensemble_candidates = 0;
  multiclassSettings.out = m_multiclassRun.toStdString();
  engine::run(multiclassSettings);
}

void InsightsTest::tabLoadsRunWithoutBlocking() {
  MainWindow window;
  InsightsPanel* panel = window.insightsPanel();
  QVERIFY(panel != nullptr);
  QVERIFY(window.tabs()->indexOf(panel) >= 0);
  QSignalSpy loaded(panel, &InsightsPanel::insightsLoaded);
  int ticks = 0;
  QTimer timer;
  connect(&timer, &QTimer::timeout, this, [&ticks] { ++ticks; });
  timer.start(5);
  window.openRunDirectory(m_binaryRun);
  QVERIFY(panel->isLoading());
  QCOMPARE(window.tabs()->currentWidget(), panel);
  QVERIFY(loaded.wait(kLoadTimeoutMs));
  timer.stop();
  QCOMPARE(loaded.count(), 1);
  QCOMPARE(loaded.front().at(0).toBool(), true);
  QVERIFY(!panel->isLoading());
  QVERIFY2(ticks > 0, "the event loop did not run while the run was read");
  QVERIFY(panel->insights() != nullptr);
  QCOMPARE(panel->insights()->leaderboard.rows.size(), binary()->leaderboard.rows.size());
  QVERIFY(panel->headerText().contains(QString::fromStdString(binary()->metric)));
  QVERIFY(panel->headerText().contains(QStringLiteral("test set")));
  QVERIFY(panel->messageText().isEmpty());
  QCOMPARE(panel->panelIds().mid(0, 5), (QStringList{"P1", "P2", "P3", "P4", "P5"}));
  // GLASSWING_INSIGHTS_SHOTS=DIR: a PNG of the window per page, to look at (docs, reviews).
  const QString shots = qEnvironmentVariable("GLASSWING_INSIGHTS_SHOTS");
  if (!shots.isEmpty()) {
    window.resize(1400, 900);
    QVERIFY(QDir().mkpath(shots));
    for (const QString& id : panel->panelIds()) {
      QVERIFY(panel->showPanel(id));
      QVERIFY(window.grab().save(QDir(shots).filePath(id + QStringLiteral(".png"))));
    }
  }
}

void InsightsTest::leaderboardShowsRunNumbers() {
  InsightsPanel panel;
  panel.setInsights(binary());
  auto* page = qobject_cast<LeaderboardPage*>(panel.page(QStringLiteral("P1")));
  QVERIFY(page != nullptr);
  const auto& rows = binary()->leaderboard.rows;
  QTableWidget* table = page->table();
  QCOMPARE(table->rowCount(), static_cast<int>(rows.size()));
  QVERIFY(table->horizontalHeaderItem(4)->toolTip().contains(QString::fromStdString(binary()->metric)));
  int chosen = 0;
  for (int r = 0; r < table->rowCount(); ++r) {
    const auto trial = static_cast<std::int64_t>(cellKey(table, r, 1));
    const auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& e) { return e.trial == trial; });
    QVERIFY(it != rows.end());
    QCOMPARE(cellText(table, r, 2), QString::fromStdString(it->family));
    QVERIFY(sameNumber(cellKey(table, r, 4), it->cv_mean));
    QVERIFY(sameNumber(cellKey(table, r, 5), it->cv_sd));
    QVERIFY(sameNumber(cellKey(table, r, 6), it->folds.min));
    QVERIFY(sameNumber(cellKey(table, r, 7), it->folds.max));
    QVERIFY(sameNumber(cellKey(table, r, 8), it->test_score ? *it->test_score : std::nan("")));
    QVERIFY(sameNumber(cellKey(table, r, 9), it->fit_s));
    QCOMPARE(cellText(table, r, 3).contains(QStringLiteral("chosen")), it->chosen);
    QCOMPARE(cellText(table, r, 3).contains(QStringLiteral("baseline")), it->baseline);
    if (it->chosen) ++chosen;
  }
  QCOMPARE(chosen, 1);
  // Sortable: by CV mean, descending.
  table->sortByColumn(4, Qt::DescendingOrder);
  for (int r = 1; r < table->rowCount(); ++r) QVERIFY(cellKey(table, r - 1, 4) >= cellKey(table, r, 4));
  // Details: every fold of every candidate.
  QCOMPARE(page->foldTable()->rowCount(), static_cast<int>(rows.size()));
  QCOMPARE(page->foldTable()->columnCount(), 2 + static_cast<int>(rows.front().folds.values.size()));
}

void InsightsTest::metricsShowIntervalsAndFolds() {
  InsightsPanel panel;
  panel.setInsights(binary());
  auto* page = qobject_cast<MetricsPage*>(panel.page(QStringLiteral("P2")));
  QVERIFY(page != nullptr);
  const auto& section = binary()->metrics;
  QVERIFY(section.available);
  QVERIFY(!section.intervals.empty());
  QVERIFY(page->evaluatedOnText().contains(QString::fromStdString(section.evaluated_on)));
  QTableWidget* table = page->intervalTable();
  QCOMPARE(table->rowCount(), static_cast<int>(section.intervals.size()));
  for (std::size_t i = 0; i < section.intervals.size(); ++i) {
    const int r = static_cast<int>(i);
    const auto& interval = section.intervals[i];
    QCOMPARE(cellText(table, r, 0), QString::fromStdString(interval.metric));
    QVERIFY(!table->item(r, 0)->toolTip().isEmpty());
    QVERIFY(sameNumber(cellKey(table, r, 1), interval.estimate));
    QVERIFY(sameNumber(cellKey(table, r, 2), interval.low));
    QVERIFY(sameNumber(cellKey(table, r, 3), interval.high));
  }
  auto* chart = page->findChild<QChartView*>(QStringLiteral("intervalChart"));
  QVERIFY(chart != nullptr);
  QVERIFY(chart->chart()->series().size() >= static_cast<qsizetype>(section.intervals.size()));
  QCOMPARE(page->foldTable()->rowCount(), static_cast<int>(section.per_fold.size()));
  QVERIFY(!section.per_fold.empty());
  QVERIFY(sameNumber(cellKey(page->foldTable(), 0, 1), section.per_fold.front().mean));
}

void InsightsTest::thresholdSliderCountsMatchPredictions() {
  // Direct counts from the run's test predictions and the test file's labels.
  const QStringList predictions = readLines(m_binaryRun + QStringLiteral("/predictions/test.csv"));
  const QStringList test = readLines(m_testCsv);
  QVERIFY(predictions.size() == test.size());
  const QString positive = QString::fromStdString(binary()->classes.at(1));
  const int probaColumn = static_cast<int>(predictions.front().split(QLatin1Char(',')).indexOf(QStringLiteral("proba_") + positive));
  QVERIFY(probaColumn > 0);
  const int targetColumn = static_cast<int>(test.front().split(QLatin1Char(',')).size()) - 1;
  std::vector<double> score;
  std::vector<bool> actual;
  for (int i = 1; i < predictions.size(); ++i) {
    score.push_back(predictions[i].split(QLatin1Char(',')).at(probaColumn).toDouble());
    actual.push_back(unquote(test[i].split(QLatin1Char(',')).at(targetColumn)) == positive);
  }
  auto direct = [&](double threshold) {
    CurvesPage::Counts c;
    for (std::size_t i = 0; i < score.size(); ++i) {
      const bool predicted = score[i] >= threshold;
      if (predicted && actual[i]) ++c.tp;
      if (predicted && !actual[i]) ++c.fp;
      if (!predicted && actual[i]) ++c.fn;
      if (!predicted && !actual[i]) ++c.tn;
    }
    return c;
  };

  InsightsPanel panel;
  panel.setInsights(binary());
  auto* page = qobject_cast<CurvesPage*>(panel.page(QStringLiteral("P3")));
  QVERIFY(page != nullptr);
  QVERIFY(page->findChild<QWidget*>(QStringLiteral("classificationCurves"))->isVisibleTo(page));
  QVERIFY(!page->findChild<QWidget*>(QStringLiteral("regressionPlots"))->isVisibleTo(page));
  for (const char* name : {"rocChart", "prChart", "calibrationChart", "gainsChart"}) {
    auto* view = page->findChild<QChartView*>(QLatin1String(name));
    QVERIFY(view != nullptr);
    QVERIFY(!view->chart()->series().isEmpty());
  }
  const auto& counts = page->thresholdCounts();
  QVERIFY(counts.size() > 10);
  QSlider* slider = page->thresholdSlider();
  QCOMPARE(slider->maximum(), static_cast<int>(counts.size()) - 1);
  // The default position is the module's own threshold, with the module's own counts.
  const auto& module = binary()->curves.binary.front().confusion;
  QCOMPARE(page->currentCounts().threshold, module.threshold);
  QCOMPARE(page->currentCounts().tp, module.tp);
  QCOMPARE(page->currentCounts().fp, module.fp);

  QSignalSpy interacted(page, &InsightPage::interacted);
  for (int position : {0, slider->maximum() / 4, slider->maximum() / 2, (3 * slider->maximum()) / 4, slider->maximum()}) {
    slider->setValue(position);
    const CurvesPage::Counts shown = page->currentCounts();
    const CurvesPage::Counts expected = direct(shown.threshold);
    QCOMPARE(shown.tp, expected.tp);
    QCOMPARE(shown.fp, expected.fp);
    QCOMPARE(shown.fn, expected.fn);
    QCOMPARE(shown.tn, expected.tn);
    // The table shows them: rows actual negative/positive, columns predicted negative/positive.
    QCOMPARE(cellKey(page->confusionTable(), 1, 1), static_cast<double>(expected.tp));
    QCOMPARE(cellKey(page->confusionTable(), 0, 1), static_cast<double>(expected.fp));
    QCOMPARE(cellKey(page->confusionTable(), 1, 0), static_cast<double>(expected.fn));
    QCOMPARE(cellKey(page->confusionTable(), 0, 0), static_cast<double>(expected.tn));
  }
  QVERIFY(!interacted.isEmpty());
  const auto last = interacted.back();
  QCOMPARE(last.at(0).toString(), QStringLiteral("P3"));
  QCOMPARE(last.at(1).toString(), QStringLiteral("threshold"));
  QVERIFY(last.at(2).toString().startsWith(QStringLiteral("{\"value\":")));

  // The best-F1 button jumps to the threshold the data carries.
  double f1Threshold = std::nan("");
  for (const auto& choice : binary()->curves.binary.front().best) {
    if (choice.criterion == "f1") f1Threshold = choice.threshold;
  }
  QVERIFY(std::isfinite(f1Threshold));
  QTest::mouseClick(page->bestF1Button(), Qt::LeftButton);
  QCOMPARE(page->currentCounts().threshold, f1Threshold);
  const auto atBest = direct(f1Threshold);
  QCOMPARE(page->currentCounts().tp, atBest.tp);
  QCOMPARE(page->currentCounts().fp, atBest.fp);
  // The class confusion matrix (details) sums to the evaluated rows.
  double total = 0.0;
  for (int r = 0; r < page->multiclassTable()->rowCount(); ++r) {
    for (int c = 0; c < page->multiclassTable()->columnCount(); ++c) total += cellKey(page->multiclassTable(), r, c);
  }
  QCOMPARE(total, static_cast<double>(score.size()));
}

void InsightsTest::regressionShowsResidualPlots() {
  InsightsPanel panel;
  panel.setInsights(regression());
  auto* page = qobject_cast<CurvesPage*>(panel.page(QStringLiteral("P3")));
  QVERIFY(page != nullptr);
  QVERIFY(regression()->curves.regression.has_value());
  const auto& plots = *regression()->curves.regression;
  QVERIFY(page->findChild<QWidget*>(QStringLiteral("regressionPlots"))->isVisibleTo(page));
  QVERIFY(!page->findChild<QWidget*>(QStringLiteral("classificationCurves"))->isVisibleTo(page));
  auto* residuals = page->findChild<QChartView*>(QStringLiteral("residualChart"));
  QVERIFY(residuals != nullptr);
  auto* points = qobject_cast<QXYSeries*>(residuals->chart()->series().front());
  QVERIFY(points != nullptr);
  QCOMPARE(points->count(), static_cast<int>(plots.predicted.size()));
  QCOMPARE(points->at(0).x(), plots.predicted.front());
  QCOMPARE(points->at(0).y(), plots.residual.front());
  auto* actual = page->findChild<QChartView*>(QStringLiteral("predictedActualChart"));
  QVERIFY(actual != nullptr && !actual->chart()->series().isEmpty());
  auto* histogram = page->findChild<QChartView*>(QStringLiteral("residualHistogram"));
  QVERIFY(histogram != nullptr && !histogram->chart()->series().isEmpty());
  // And back to a classification run: the classification curves return.
  panel.setInsights(binary());
  QVERIFY(page->findChild<QWidget*>(QStringLiteral("classificationCurves"))->isVisibleTo(page));
}

void InsightsTest::multiclassClassSelector() {
  InsightsPanel panel;
  panel.setInsights(multiclass());
  auto* page = qobject_cast<CurvesPage*>(panel.page(QStringLiteral("P3")));
  QVERIFY(page != nullptr);
  const auto& curves = multiclass()->curves;
  QCOMPARE(curves.binary.size(), std::size_t{3});
  QCOMPARE(page->classSelector()->count(), 3);
  QVERIFY(page->classSelector()->isEnabled());
  QSignalSpy interacted(page, &InsightPage::interacted);
  for (int k = 2; k >= 0; --k) {
    const auto& b = curves.binary[static_cast<std::size_t>(k)];
    page->classSelector()->setCurrentIndex(k);
    QCOMPARE(page->classSelector()->currentText(), QString::fromStdString(b.label));
    // One vs rest: the counts at the module's threshold are the module's for that class.
    QCOMPARE(page->currentCounts().threshold, b.confusion.threshold);
    QCOMPARE(page->currentCounts().tp, b.confusion.tp);
    QCOMPARE(page->currentCounts().fp, b.confusion.fp);
    QCOMPARE(page->currentCounts().tp + page->currentCounts().fn, b.positives);
    auto* roc = page->findChild<QChartView*>(QStringLiteral("rocChart"));
    auto* line = qobject_cast<QXYSeries*>(roc->chart()->series().front());
    QCOMPARE(line->count(), static_cast<int>(b.roc.fpr.size()));
  }
  QVERIFY(!interacted.isEmpty());
  QCOMPARE(interacted.back().at(1).toString(), QStringLiteral("select_class"));
  // The K x K matrix of predicted classes.
  const auto& cm = *curves.confusion;
  QCOMPARE(page->multiclassTable()->rowCount(), 3);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      QCOMPARE(cellKey(page->multiclassTable(), r, c),
               static_cast<double>(cm.matrix[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]));
    }
  }
}

void InsightsTest::dataPageShowsWarningsBalanceAndDrift() {
  InsightsPanel panel;
  panel.setInsights(binary());
  auto* page = qobject_cast<DataPage*>(panel.page(QStringLiteral("P4")));
  QVERIFY(page != nullptr);
  const auto& data = binary()->data;
  QVERIFY(data.available);
  QCOMPARE(page->warningTable()->rowCount(), static_cast<int>(data.warnings.size()));
  for (int r = 1; r < page->warningTable()->rowCount(); ++r) {
    QVERIFY(cellKey(page->warningTable(), r - 1, 0) >= cellKey(page->warningTable(), r, 0));  // most severe first
  }
  for (const auto& warning : data.warnings) {
    const auto found = page->warningTable()->findItems(QString::fromStdString(warning.message), Qt::MatchExactly);
    QCOMPARE(found.size(), qsizetype{1});
  }
  QVERIFY(page->summaryText().contains(QString::number(data.rows)));
  // Class balance: both classes, counts summing to the target's non-missing cells.
  QCOMPARE(page->balanceTable()->rowCount(), 2);
  double sum = 0.0;
  for (int r = 0; r < 2; ++r) sum += cellKey(page->balanceTable(), r, 1);
  QCOMPARE(sum, 600.0);
  // Drift: one row per column of both tables.
  QVERIFY(!data.drift.empty());
  QCOMPARE(page->driftTable()->rowCount(), static_cast<int>(data.drift.size()));
  for (const auto& drift : data.drift) {
    const auto found = page->driftTable()->findItems(QString::fromStdString(drift.column), Qt::MatchExactly);
    QCOMPARE(found.size(), qsizetype{1});
    QVERIFY(sameNumber(cellKey(page->driftTable(), found.front()->row(), 1), drift.psi));
  }
  QCOMPARE(page->profileTable()->rowCount(), static_cast<int>(data.profiles.size()));
  QCOMPARE(page->signalTable()->rowCount(), static_cast<int>(data.feature_signals.size()));
}

void InsightsTest::pipelinePageShowsStepsAndProvenance() {
  InsightsPanel panel;
  panel.setInsights(binary());
  auto* page = qobject_cast<PipelinePage*>(panel.page(QStringLiteral("P5")));
  QVERIFY(page != nullptr);
  const auto& pipeline = binary()->pipeline;
  QVERIFY(!pipeline.steps.empty());
  QCOMPARE(page->stepTable()->rowCount(), static_cast<int>(pipeline.steps.size()));
  for (std::size_t i = 0; i < pipeline.steps.size(); ++i) {
    const int r = static_cast<int>(i);
    QCOMPARE(cellText(page->stepTable(), r, 0), QString::fromStdString(pipeline.steps[i].column));
    QCOMPARE(cellText(page->stepTable(), r, 1), QString::fromStdString(pipeline.steps[i].step));
    QCOMPARE(cellText(page->stepTable(), r, 2), QString::fromStdString(pipeline.steps[i].reason));
  }
  QCOMPARE(page->featureTable()->rowCount(), static_cast<int>(pipeline.features.size()));
  QVERIFY(page->summaryText().contains(QString::number(pipeline.features.size())));
  // Choosing a column lists only its features.
  const QString column = QString::fromStdString(pipeline.features.front().sources.front());
  int expected = 0;
  for (const auto& feature : pipeline.features) {
    if (std::find(feature.sources.begin(), feature.sources.end(), column.toStdString()) != feature.sources.end()) ++expected;
  }
  page->filterFeatures(column);
  int shown = 0;
  for (int r = 0; r < page->featureTable()->rowCount(); ++r) {
    if (!page->featureTable()->isRowHidden(r)) ++shown;
  }
  QCOMPARE(shown, expected);
}

void InsightsTest::badRunDirectoryShowsMessageAndWindowStaysUsable() {
  MainWindow window;
  InsightsPanel* panel = window.insightsPanel();
  const int issuesBefore = window.issuesPanel()->count();
  QSignalSpy loaded(panel, &InsightsPanel::insightsLoaded);

  // A directory that does not exist.
  const QString missing = m_dir.filePath(QStringLiteral("no-such-run"));
  window.openRunDirectory(missing);
  QVERIFY(loaded.wait(kLoadTimeoutMs));
  QCOMPARE(loaded.back().at(0).toBool(), false);
  const QString message = loaded.back().at(1).toString();
  QVERIFY(message.contains(missing));
  QVERIFY(!message.contains(QLatin1Char('\n')));
  QCOMPARE(panel->messageText(), message);
  QVERIFY(panel->insights() == nullptr);
  QCOMPARE(window.issuesPanel()->count(), issuesBefore + 1);
  QCOMPARE(window.issuesPanel()->messageAt(window.issuesPanel()->count() - 1), message);

  // A foreign directory: a run.json that is not a Glasswing run's.
  QTemporaryDir foreign;
  QVERIFY(writeLines(foreign.filePath(QStringLiteral("run.json")), {QStringLiteral("{\"hello\": 1}")}));
  window.openRunDirectory(foreign.path());
  QVERIFY(loaded.wait(kLoadTimeoutMs));
  QCOMPARE(loaded.back().at(0).toBool(), false);
  QVERIFY(panel->messageText().contains(foreign.path()));
  QCOMPARE(window.issuesPanel()->count(), issuesBefore + 2);

  // The window stays usable: a good run loads and replaces the message.
  window.openRunDirectory(m_regressionRun);
  QVERIFY(loaded.wait(kLoadTimeoutMs));
  QCOMPARE(loaded.back().at(0).toBool(), true);
  QVERIFY(panel->messageText().isEmpty());
  QVERIFY(panel->insights() != nullptr);
  QCOMPARE(QString::fromStdString(panel->insights()->task), QStringLiteral("regression"));
}

void InsightsTest::newerLoadSupersedesOlder() {
  InsightsPanel panel;
  QSignalSpy loaded(&panel, &InsightsPanel::insightsLoaded);
  panel.loadRun(m_binaryRun);
  panel.loadRun(m_regressionRun);
  QVERIFY(loaded.wait(kLoadTimeoutMs));
  QTest::qWait(200);  // the older load may finish later: it must not emit
  QTRY_VERIFY_WITH_TIMEOUT(!panel.isLoading(), kLoadTimeoutMs);
  QCOMPARE(loaded.count(), 1);
  QCOMPARE(loaded.front().at(0).toBool(), true);
  QCOMPARE(QString::fromStdString(panel.insights()->task), QStringLiteral("regression"));
}

void InsightsTest::allowedPanelsHidePages() {
  InsightsPanel panel;
  panel.setInsights(binary());
  QVERIFY(panel.panelIds().contains(QStringLiteral("P4")));
  panel.setAllowedPanels({QStringLiteral("P1"), QStringLiteral("P3")});
  QCOMPARE(panel.panelIds(), (QStringList{QStringLiteral("P1"), QStringLiteral("P3")}));
  QVERIFY(!panel.showPanel(QStringLiteral("P2")));
  QVERIFY(!panel.showPanel(QStringLiteral("P99")));
  QVERIFY(panel.showPanel(QStringLiteral("P3")));
  QCOMPARE(panel.currentPanelId(), QStringLiteral("P3"));
  QVERIFY(!panel.showPanel(QStringLiteral("P4")));
  QCOMPARE(panel.currentPanelId(), QStringLiteral("P3"));
  panel.setAllowedPanels({QStringLiteral("P5")});
  QCOMPARE(panel.panelIds(), QStringList{QStringLiteral("P5")});
  QCOMPARE(panel.currentPanelId(), QStringLiteral("P5"));
}

void InsightsTest::panelViewedOnPageChange() {
  InsightsPanel panel;
  panel.setInsights(binary());
  QSignalSpy viewed(&panel, &InsightsPanel::panelViewed);
  QVERIFY(panel.showPanel(QStringLiteral("P2")));
  QCOMPARE(viewed.count(), 1);
  QCOMPARE(viewed.back().at(0).toString(), QStringLiteral("P2"));
  QVERIFY(panel.showPanel(QStringLiteral("P2")));  // already shown: no new view
  QCOMPARE(viewed.count(), 1);
  QVERIFY(panel.showPanel(QStringLiteral("P5")));
  QCOMPARE(viewed.count(), 2);
  QCOMPARE(viewed.back().at(0).toString(), QStringLiteral("P5"));
  // Interactions of a page reach the panel's signal.
  QSignalSpy interactions(&panel, &InsightsPanel::panelInteraction);
  auto* curves = qobject_cast<CurvesPage*>(panel.page(QStringLiteral("P3")));
  curves->thresholdSlider()->setValue(curves->thresholdSlider()->value() == 0 ? 1 : 0);
  QCOMPARE(interactions.count(), 1);
  QCOMPARE(interactions.front().at(0).toString(), QStringLiteral("P3"));
}

QTEST_MAIN(InsightsTest)
#include "test_insights.moc"
