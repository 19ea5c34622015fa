// Offscreen tests of the Studio's Insights tab (panels P1-P5): one short real run on a split of
// pima (3 trials, test set), one regression run on auto-mpg and one multiclass run on iris, made by
// the engine once for all the entries (cached under the build tree while this executable and the
// data are unchanged: run_cache.hpp); then the
// tab loads a run off the GUI thread, every page shows the numbers of transparency's RunInsights,
// the threshold slider's confusion counts equal a direct count of the test predictions, a bad run
// directory shows its message while the window stays usable, and study conditions hide pages.
// Run under QT_QPA_PLATFORM=offscreen (set by CTest).

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QTextStream>
#include <QTimer>
#include <QXYSeries>
#include <QtTest>

#include <cmath>
#include <exception>
#include <memory>
#include <utility>

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
#include "run_cache.hpp"

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
  void firstFillIsNotAnInteraction();
  void ensembleIsNamedBySize();

 private:
  bool makeRuns(const QString& base, QString* error);
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
  // The runs are made once and shared by every entry (each CTest entry is a process): in
  // GLASSWING_INSIGHTS_RUNS (CTest: the build tree; by hand: beside the executable), keyed by the
  // SHA-256 of this executable, the datasets and the settings (tests/studio/run_cache.hpp).
  // GLASSWING_INSIGHTS_FRESH=1 makes them again.
  const QString base = studio_test::runCacheFolder("GLASSWING_INSIGHTS_RUNS", QStringLiteral("insights-runs"));
  m_binaryRun = QDir(base).filePath(QStringLiteral("run-binary"));
  m_regressionRun = QDir(base).filePath(QStringLiteral("run-regression"));
  m_multiclassRun = QDir(base).filePath(QStringLiteral("run-multiclass"));
  m_testCsv = QDir(base).filePath(QStringLiteral("pima-test.csv"));
  const QByteArray key = studio_test::runCacheKey(
      {sharedFile("pima-diabetes-na.csv"), sharedFile("auto-mpg.csv"), sharedFile("iris.csv")},
      QStringLiteral("binary 3 trials, regression 2, multiclass 2; cv 3; %1; no ensemble")
          .arg(QString::fromStdString(quickFamily())));
  QString error;
  bool reused = false;
  const bool ok = studio_test::cachedRuns(
      base, key, [this, &base](QString* why) { return makeRuns(base, why); }, &error, &reused,
      qEnvironmentVariableIntValue("GLASSWING_INSIGHTS_FRESH") == 1);
  QVERIFY2(ok, qPrintable(error));
  qInfo("insights runs %s in %s", reused ? "reused" : "made", qPrintable(base));
}

// The runs were made (or reused) by initTestCase; each is a complete run of its task (its
// run.json names it, and the bundle is there). The entries read their insights themselves.
void InsightsTest::prepareRuns() {
  for (const auto& [run, task] : {std::pair{m_binaryRun, QStringLiteral("binary")},
                                  std::pair{m_regressionRun, QStringLiteral("regression")},
                                  std::pair{m_multiclassRun, QStringLiteral("multiclass")}}) {
    QFile file(QDir(run).filePath(QStringLiteral("run.json")));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
    QCOMPARE(json.value(QStringLiteral("task")).toString(), task);
    QVERIFY(QFile::exists(QDir(run).filePath(QStringLiteral("model/manifest.json"))));
  }
}

bool InsightsTest::makeRuns(const QString& base, QString* error) {
  // pima, split: the first 600 rows train, the other 168 test.
  const QStringList lines = readLines(sharedFile("pima-diabetes-na.csv"));
  if (lines.size() <= 700) {
    *error = QStringLiteral("pima-diabetes-na.csv has %1 lines; expected over 700").arg(lines.size());
    return false;
  }
  const QString train = QDir(base).filePath(QStringLiteral("pima-train.csv"));
  if (!writeLines(train, lines.mid(0, 601)) || !writeLines(m_testCsv, QStringList{lines.front()} + lines.mid(601))) {
    *error = QStringLiteral("cannot write the pima split in %1").arg(base);
    return false;
  }

  engine::RunSettings binarySettings;
  binarySettings.data = train.toStdString();
  binarySettings.test = m_testCsv.toStdString();
  binarySettings.target = "diabetes";
  binarySettings.max_trials = 3;
  binarySettings.cv = 3;
  binarySettings.models = {quickFamily()};
  binarySettings.ensemble_candidates = 0;  // no ensemble: a shorter run
  binarySettings.out = m_binaryRun.toStdString();
  try {
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
  } catch (const std::exception& e) {
    *error = QStringLiteral("a run for the insights tests failed: %1").arg(QString::fromUtf8(e.what()));
    return false;
  }
  return true;
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

// Only the user's actions are interactions: a run's insights arriving (the loaded run, then the
// same pages filled again) report nothing, on any page, whichever page is shown; a sort by a
// header click, a slider move and a "best threshold" button each report one.
void InsightsTest::firstFillIsNotAnInteraction() {
  InsightsPanel panel;
  panel.resize(1200, 800);
  panel.show();
  QVERIFY(QTest::qWaitForWindowExposed(&panel));
  QSignalSpy interactions(&panel, &InsightsPanel::panelInteraction);
  QSignalSpy loaded(&panel, &InsightsPanel::insightsLoaded);
  QVERIFY(panel.showPanel(QStringLiteral("P1")));  // the page shown while the run arrives
  panel.loadRun(m_binaryRun);
  QVERIFY(loaded.wait(kLoadTimeoutMs));
  QVERIFY(loaded.front().at(0).toBool());
  QVERIFY(panel.showPanel(QStringLiteral("P3")));
  panel.setInsights(multiclass());  // another run: its pages filled at once
  panel.setInsights(binary());
  QTest::qWait(50);
  QStringList reported;
  for (const auto& args : interactions) reported << args.at(0).toString() + QLatin1Char(':') + args.at(1).toString();
  QVERIFY2(interactions.isEmpty(), qPrintable(reported.join(QLatin1Char(' '))));

  // P1: a click on a header sorts and reports it.
  QVERIFY(panel.showPanel(QStringLiteral("P1")));
  auto* board = qobject_cast<LeaderboardPage*>(panel.page(QStringLiteral("P1")));
  QHeaderView* header = board->table()->horizontalHeader();
  const int section = 4;  // CV mean
  QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                    QPoint(header->sectionViewportPosition(section) + header->sectionSize(section) / 2, header->height() / 2));
  QCOMPARE(interactions.count(), 1);
  QCOMPARE(interactions.back().at(0).toString(), QStringLiteral("P1"));
  QCOMPARE(interactions.back().at(1).toString(), QStringLiteral("sort"));
  // P3: the slider moved by the keyboard; a "best threshold" button is one interaction, not two.
  QVERIFY(panel.showPanel(QStringLiteral("P3")));
  auto* curves = qobject_cast<CurvesPage*>(panel.page(QStringLiteral("P3")));
  QSlider* slider = curves->thresholdSlider();
  slider->setFocus();
  QTest::keyClick(slider, slider->value() == slider->maximum() ? Qt::Key_Left : Qt::Key_Right);
  QCOMPARE(interactions.count(), 2);
  QCOMPARE(interactions.back().at(1).toString(), QStringLiteral("threshold"));
  slider->setValue(0);
  QCOMPARE(interactions.count(), 3);
  curves->bestF1Button()->click();
  QCOMPARE(interactions.count(), 4);
  QCOMPARE(interactions.back().at(1).toString(), QStringLiteral("best_threshold"));
}

// An ensemble is named by its size and its members, never "trial -1". The run's insights are the
// engine's with an ensemble row made of two of its candidates put first and chosen, as
// transparency reads a run that kept an ensemble (trial -1, family "ensemble", the members in
// params, the model card's "ensemble (trial -1)").
void InsightsTest::ensembleIsNamedBySize() {
  auto copy = std::make_shared<transparency::RunInsights>(*binary());
  auto& rows = copy->leaderboard.rows;
  QVERIFY(rows.size() >= 2);
  for (auto& row : rows) row.chosen = false;
  transparency::LeaderboardEntry ensemble = rows.front();
  ensemble.trial = -1;
  ensemble.family = "ensemble";
  ensemble.chosen = true;
  ensemble.baseline = false;
  ensemble.params = "[{\"trial\":" + std::to_string(rows[0].trial) + ",\"family\":\"" + rows[0].family +
                    "\",\"weight\":0.6},{\"trial\":" + std::to_string(rows[1].trial) + ",\"family\":\"" +
                    rows[1].family + "\",\"weight\":0.4}]";
  rows.insert(rows.begin(), ensemble);
  copy->family = "ensemble";
  copy->card.model = "ensemble (trial -1)";
  const QString members = QStringLiteral("trial %1 (%2) ×0.60, trial %3 (%4) ×0.40")
                              .arg(rows[1].trial)
                              .arg(QString::fromStdString(rows[1].family))
                              .arg(rows[2].trial)
                              .arg(QString::fromStdString(rows[2].family));

  InsightsPanel panel;
  panel.setInsights(copy);
  QVERIFY2(panel.headerText().contains(QStringLiteral("ensemble of 2 candidates")), qPrintable(panel.headerText()));
  auto* board = qobject_cast<LeaderboardPage*>(panel.page(QStringLiteral("P1")));
  QVERIFY2(board->summaryText().contains(QStringLiteral("Chosen: ensemble of 2 candidates")), qPrintable(board->summaryText()));
  QVERIFY2(board->summaryText().contains(members), qPrintable(board->summaryText()));
  bool found = false;
  for (int r = 0; r < board->table()->rowCount(); ++r) {
    if (cellText(board->table(), r, 2) != QStringLiteral("ensemble")) continue;
    found = true;
    QCOMPARE(cellText(board->table(), r, 1), QStringLiteral("—"));
    QCOMPARE(cellText(board->table(), r, board->table()->columnCount() - 1), members);
  }
  QVERIFY(found);
  for (int r = 0; r < board->foldTable()->rowCount(); ++r) {
    QVERIFY(cellText(board->foldTable(), r, 0) != QStringLiteral("-1"));
  }
  auto* card = panel.page(QStringLiteral("P10"));
  QVERIFY(card != nullptr);
  QTextBrowser* text = card->findChild<QTextBrowser*>();
  QVERIFY(text != nullptr);
  QVERIFY2(text->toPlainText().contains(QStringLiteral("Model card: ensemble of 2 candidates")),
           qPrintable(text->toPlainText().left(200)));
  // Nowhere in the Insights tab is a candidate called "trial -1".
  for (QLabel* label : panel.findChildren<QLabel*>()) {
    QVERIFY2(!label->text().contains(QStringLiteral("trial -1")), qPrintable(label->text()));
  }
  QVERIFY(!text->toPlainText().contains(QStringLiteral("trial -1")));
}

QTEST_MAIN(InsightsTest)
#include "test_insights.moc"
