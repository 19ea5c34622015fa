// Offscreen tests of the Studio: loading a shared dataset into the data panel, the histogram of
// the selected column, screenshots, bad input that must never crash it, and the run flow (choose
// the target, run the real engine on a worker thread, stop, resume, the leaderboard with its
// baseline row, the trials table, the score chart and its PNG/SVG export, saved settings).
// Run under QT_QPA_PLATFORM=offscreen (set by CTest).

#include <QBarCategoryAxis>
#include <QChart>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QMimeData>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>
#include <limits>
#include <memory>

#include "automl/engine/run.hpp"
#include "charts/chartexport.hpp"
#include "charts/histogramchart.hpp"
#include "charts/scorechart.hpp"
#include "mainwindow.hpp"
#include "models/leaderboardmodel.hpp"
#include "models/profiletablemodel.hpp"
#include "models/trialtablemodel.hpp"
#include "panels/datapanel.hpp"
#include "panels/issuespanel.hpp"
#include "panels/runpanel.hpp"
#include "panels/runsetuppanel.hpp"
#include "workers/csvloader.hpp"
#include "workers/runworker.hpp"

using glasswing::Severity;
using glasswing::studio::DataPanel;
using glasswing::studio::HistogramChart;
using glasswing::studio::LeaderboardModel;
using glasswing::studio::RunPanel;
using glasswing::studio::RunSetupPanel;
using glasswing::studio::TrialTableModel;
using glasswing::studio::MainWindow;
using glasswing::studio::ProfileTableModel;

namespace {

constexpr int kLoadTimeoutMs = 60000;
constexpr int kRunTimeoutMs = 120000;

// A quick searched family for run tests: linear when this build has it (LibTorch), else the
// first non-constant one; empty when the build has only the constant baseline.
QString quickFamily() {
  const auto names = glasswing::engine::family_names();
  for (const auto& name : names) {
    if (name == "linear") return QStringLiteral("linear");
  }
  for (const auto& name : names) {
    if (name != "constant") return QString::fromStdString(name);
  }
  return {};
}

// Starts a run (or resumes one) and waits for it; returns runFinished()'s flag (false on timeout).
bool runAndWait(MainWindow& window, bool resume = false, bool* finished = nullptr) {
  QSignalSpy spy(&window, &MainWindow::runFinished);
  if (resume) {
    window.resumeRun();
  } else {
    window.startRun();
  }
  const bool done = spy.count() > 0 || spy.wait(kRunTimeoutMs);
  if (finished) *finished = done;
  return done && spy.count() == 1 && spy.at(0).at(0).toBool();
}

QString issuesText(const MainWindow& window) {
  QStringList lines;
  for (int i = 0; i < window.issuesPanel()->count(); ++i) lines << window.issuesPanel()->messageAt(i);
  return lines.join(QLatin1Char('\n'));
}

QString sharedDataset(const char* name) {
  return QStringLiteral(GLASSWING_SHARED_DIR "/datasets/") + QString::fromLatin1(name);
}

QString outputPath(const QString& name) {
  return QStringLiteral(STUDIO_TEST_OUTPUT_DIR "/") + name;
}

// The header of a CSV file whose header has no quoted fields, split independently of the engine.
QStringList csvHeader(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  return QString::fromUtf8(file.readLine()).trimmed().split(QLatin1Char(','));
}

QString writeFile(const QTemporaryDir& dir, const QString& name, const QByteArray& contents) {
  const QString path = dir.filePath(name);
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size()) return {};
  return path;
}

// Loads `path` and waits for the outcome; returns the ok flag (false also on a timeout).
bool loadAndWait(MainWindow& window, const QString& path, bool* finished = nullptr) {
  QSignalSpy spy(&window, &MainWindow::loadFinished);
  window.openFile(path);
  const bool done = spy.count() > 0 || spy.wait(kLoadTimeoutMs);
  if (finished) *finished = done;
  return done && spy.count() == 1 && spy.at(0).at(0).toBool();
}

// Empty when the PNG at `path` looks like a real rendering of the window: big enough, of the
// expected size, many colours, and (when `mustContain` is valid) a patch of that colour covering
// at least 5% of `region` (where the chart is; the whole image when `region` is null).
QString checkScreenshot(const QString& path, QSize expectedSize, QColor mustContain = {},
                        QRect region = {}) {
  const QFileInfo file(path);
  if (!file.exists()) return QStringLiteral("%1 was not written").arg(path);
  if (file.size() < 20 * 1024) {
    return QStringLiteral("%1 is only %2 bytes").arg(path).arg(file.size());
  }
  QImage image(path);
  if (image.isNull()) return QStringLiteral("%1 is not a readable PNG").arg(path);
  if (expectedSize.isValid() && image.size() != expectedSize) {
    return QStringLiteral("%1 is %2x%3, expected %4x%5")
        .arg(path)
        .arg(image.width())
        .arg(image.height())
        .arg(expectedSize.width())
        .arg(expectedSize.height());
  }
  image = image.convertToFormat(QImage::Format_RGB32);
  if (region.isNull()) region = image.rect();
  QSet<QRgb> colours;
  qsizetype matching = 0;
  const QRgb wanted = mustContain.isValid() ? mustContain.rgb() : 0;
  for (int y = 0; y < image.height(); ++y) {
    const auto* line = reinterpret_cast<const QRgb*>(image.constScanLine(y));
    for (int x = 0; x < image.width(); ++x) {
      colours.insert(line[x]);
      if (mustContain.isValid() && region.contains(x, y) &&
          (line[x] & 0xFFFFFFu) == (wanted & 0xFFFFFFu)) {
        ++matching;
      }
    }
  }
  if (colours.size() < 32) {
    return QStringLiteral("%1 has only %2 colours: a blank or flat image").arg(path).arg(colours.size());
  }
  const qsizetype area = qsizetype(region.width()) * region.height();
  if (mustContain.isValid() && matching * 20 < area) {
    return QStringLiteral("%1 has only %2 pixels of %3 in the chart's %4 pixels: the bars were not drawn")
        .arg(path)
        .arg(matching)
        .arg(mustContain.name())
        .arg(area);
  }
  return {};
}

int rowOf(const ProfileTableModel* model, const QString& name) {
  for (int row = 0; row < model->rowCount(); ++row) {
    if (model->index(row, ProfileTableModel::Name).data().toString() == name) return row;
  }
  return -1;
}

}  // namespace

class StudioTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // recent files go to a test settings file
    QCoreApplication::setOrganizationName(QStringLiteral("GlasswingTest"));
    QCoreApplication::setApplicationName(QStringLiteral("Glasswing Studio Test"));
    QVERIFY2(QFileInfo::exists(sharedDataset("penguins.csv")),
             qPrintable(QStringLiteral("missing shared dataset ") + sharedDataset("penguins.csv")));
  }

  void loadsSharedDataset() {
    const QString path = sharedDataset("penguins.csv");
    const QStringList header = csvHeader(path);
    QCOMPARE(header.size(), 8);

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    bool finished = false;
    QVERIFY2(loadAndWait(window, path, &finished),
             qPrintable(finished ? window.issuesPanel()->messageAt(0)
                                 : QStringLiteral("the load did not finish")));

    // One row per column of the CSV, in file order, with the first one selected.
    DataPanel* panel = window.dataPanel();
    ProfileTableModel* model = panel->profileModel();
    QCOMPARE(model->rowCount(), header.size());
    QCOMPARE(model->columnCount(), int(ProfileTableModel::ColumnCount));
    for (int row = 0; row < header.size(); ++row) {
      QCOMPARE(model->index(row, ProfileTableModel::Name).data().toString(), header[row]);
    }
    QCOMPARE(panel->selectedColumnName(), header.front());
    QCOMPARE(panel->tableView()->selectionModel()->selectedRows().size(), 1);

    // species is categorical: top-value bars, one per species.
    HistogramChart* chart = panel->histogramChart();
    QCOMPARE(chart->kind(), HistogramChart::Kind::Categories);
    QCOMPARE(chart->barCount(), 3);
    QVERIFY2(chart->title().contains(QStringLiteral("species")), qPrintable(chart->title()));
    QVERIFY(!model->index(0, ProfileTableModel::TopValues).data().toString().isEmpty());

    // Selecting a numeric column shows its histogram; the bins hold every non-missing value.
    const int billRow = rowOf(model, QStringLiteral("bill_length_mm"));
    QVERIFY(billRow >= 0);
    panel->selectColumn(billRow);
    QCOMPARE(panel->selectedColumnName(), QStringLiteral("bill_length_mm"));
    QCOMPARE(chart->kind(), HistogramChart::Kind::Bins);
    QCOMPARE(chart->columnName(), QStringLiteral("bill_length_mm"));
    QVERIFY2(chart->title().contains(QStringLiteral("bill_length_mm")), qPrintable(chart->title()));
    const auto* profile = model->profileAt(billRow);
    QVERIFY(profile != nullptr);
    QVERIFY(!profile->histogram.empty());
    QCOMPARE(chart->barCount(), int(profile->histogram.size()));
    std::size_t binned = 0;
    for (const auto& bin : profile->histogram) binned += bin.count;
    QCOMPARE(binned, profile->count);
    QCOMPARE(profile->count + profile->missing, std::size_t{344});
    QVERIFY(!model->index(billRow, ProfileTableModel::Mean).data().toString().isEmpty());

    // Keyboard navigation moves the selection and the chart follows.
    panel->tableView()->setFocus();
    QTest::keyClick(panel->tableView(), Qt::Key_Down);
    QCOMPARE(panel->selectedColumnName(), header[billRow + 1]);
    QCOMPARE(chart->columnName(), header[billRow + 1]);
    panel->selectColumn(billRow);

    QVERIFY2(window.statusText().contains(QStringLiteral("344 rows")), qPrintable(window.statusText()));
    QVERIFY(window.windowTitle().contains(QStringLiteral("penguins.csv")));
    QVERIFY(window.recentFiles().contains(QFileInfo(path).absoluteFilePath()));
    QVERIFY(!window.issuesDock()->isVisible());

    QTest::qWait(300);  // let the chart lay out before grabbing it
    const QString png = outputPath(QStringLiteral("studio-penguins.png"));
    QFile::remove(png);
    QVERIFY(window.saveScreenshot(png));
    const QRect chartArea(chart->mapTo(&window, QPoint(0, 0)), chart->size());
    const QString problem = checkScreenshot(png, window.size(), QColor(0x00, 0x72, 0xB2), chartArea);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }

  void malformedCsvShowsIssueAndWindowStaysUsable() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString bad = writeFile(dir, QStringLiteral("ragged.csv"),
                                  "a,b,c\n1,2,3\n4,5\n6,7,8\n");
    QVERIFY(!bad.isEmpty());

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    bool finished = false;
    QVERIFY(!loadAndWait(window, bad, &finished));
    QVERIFY2(finished, "loading a malformed CSV did not finish");

    // The reason is in the Issues panel, which is shown, and in the status bar.
    QCOMPARE(window.issuesPanel()->count(), 1);
    QCOMPARE(window.issuesPanel()->severityAt(0), Severity::Error);
    const QString message = window.issuesPanel()->messageAt(0);
    QVERIFY2(message.contains(QStringLiteral("ragged.csv")), qPrintable(message));
    QVERIFY(window.issuesDock()->isVisible());
    QVERIFY2(window.statusText().contains(QStringLiteral("Could not open ragged.csv")),
             qPrintable(window.statusText()));
    QCOMPARE(window.dataPanel()->profileModel()->rowCount(), 0);

    QTest::qWait(200);
    const QString png = outputPath(QStringLiteral("studio-malformed.png"));
    QFile::remove(png);
    QVERIFY(window.saveScreenshot(png));
    QVERIFY2(QFileInfo(png).size() > 10 * 1024, "the screenshot of the error is nearly empty");

    // The window still works: a good file loads and the stale issue goes away.
    QVERIFY(loadAndWait(window, sharedDataset("penguins.csv")));
    QCOMPARE(window.dataPanel()->profileModel()->rowCount(), 8);
    QCOMPARE(window.issuesPanel()->count(), 0);
    QVERIFY(!window.issuesDock()->isVisible());
    QCOMPARE(window.dataPanel()->histogramChart()->kind(), HistogramChart::Kind::Categories);
  }

  void badInputNeverCrashes_data() {
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("name");
    QTest::newRow("empty file") << QByteArray() << QStringLiteral("empty.csv");
    QTest::newRow("header only") << QByteArray("a,b,c\n") << QStringLiteral("header.csv");
    QTest::newRow("ragged row") << QByteArray("a,b\n1,2\n3,4,5\n") << QStringLiteral("ragged.csv");
    QTest::newRow("unterminated quote")
        << QByteArray("a,b\n1,\"two\n3,4\n") << QStringLiteral("quote.csv");
    QTest::newRow("invalid UTF-8")
        << QByteArray("a,b\n1,caf\xC3\n2,\xFF\xFE\n") << QStringLiteral("utf8.csv");
    QTest::newRow("duplicate column names")
        << QByteArray("a,a\n1,2\n") << QStringLiteral("duplicate.csv");
    QTest::newRow("missing file") << QByteArray() << QStringLiteral("<missing>");
    QTest::newRow("corrupt gzip")
        << QByteArray("\x1f\x8b\x08\x00garbage, not deflate") << QStringLiteral("corrupt.csv.gz");
  }

  void badInputNeverCrashes() {
    QFETCH(QByteArray, contents);
    QFETCH(QString, name);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = name == QStringLiteral("<missing>")
                             ? dir.filePath(QStringLiteral("does-not-exist.csv"))
                             : writeFile(dir, name, contents);
    QVERIFY(!path.isEmpty());

    MainWindow window;
    window.show();
    bool finished = false;
    QVERIFY2(!loadAndWait(window, path, &finished), "a malformed file was accepted");
    QVERIFY2(finished, "loading did not finish");
    QCOMPARE(window.issuesPanel()->count(), 1);
    QCOMPARE(window.issuesPanel()->severityAt(0), Severity::Error);
    QVERIFY(!window.issuesPanel()->messageAt(0).trimmed().isEmpty());
    QVERIFY(window.issuesDock()->isVisible());
  }

  void failedLoadKeepsPreviousData() {
    QTemporaryDir dir;
    const QString bad = writeFile(dir, QStringLiteral("bad.csv"), "x,y\n1,2\n3\n");
    MainWindow window;
    window.show();
    QVERIFY(loadAndWait(window, sharedDataset("iris.csv")));
    const int rows = window.dataPanel()->profileModel()->rowCount();
    QVERIFY(rows > 0);
    QVERIFY(!loadAndWait(window, bad));
    QCOMPARE(window.dataPanel()->profileModel()->rowCount(), rows);
    QVERIFY(window.dataPanel()->dataset() != nullptr);
    QVERIFY(window.statusText().contains(QStringLiteral("previous file")));
    QVERIFY(window.windowTitle().contains(QStringLiteral("iris.csv")));
  }

  void newerLoadSupersedesOlder() {
    QTemporaryDir dir;
    const QString bad = writeFile(dir, QStringLiteral("bad.csv"), "x,y\n1,2\n3\n");
    MainWindow window;
    window.show();
    QSignalSpy spy(&window, &MainWindow::loadFinished);
    window.openFile(bad);
    window.openFile(sharedDataset("penguins.csv"));
    QVERIFY(spy.wait(kLoadTimeoutMs));
    QTest::qWait(500);  // a superseded load must not report late
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), true);
    QCOMPARE(window.dataPanel()->profileModel()->rowCount(), 8);
    QCOMPARE(window.issuesPanel()->count(), 0);
  }

  void cancelledLoadReportsNothing() {
    MainWindow window;
    window.show();
    QSignalSpy spy(&window, &MainWindow::loadFinished);
    window.openFile(sharedDataset("flights-20k.csv"));
    QVERIFY(window.isLoading());
    window.cancelLoading();
    QVERIFY(!window.isLoading());
    QVERIFY2(window.statusText().contains(QStringLiteral("cancelled")), qPrintable(window.statusText()));
    QTest::qWait(1000);
    QCOMPARE(spy.count(), 0);
    QCOMPARE(window.dataPanel()->profileModel()->rowCount(), 0);
    // The window still loads the next file.
    QVERIFY(loadAndWait(window, sharedDataset("penguins.csv")));
    QCOMPARE(window.dataPanel()->profileModel()->rowCount(), 8);
  }

  void dropOpensFile() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QPoint centre = window.rect().center();

    // A file the Studio cannot read is refused at drag-enter time.
    QMimeData image;
    image.setUrls({QUrl::fromLocalFile(QStringLiteral("/tmp/picture.png"))});
    QDragEnterEvent refused(centre, Qt::CopyAction, &image, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QCoreApplication::sendEvent(&window, &refused);
    QVERIFY(!refused.isAccepted());

    QMimeData csv;
    csv.setUrls({QUrl::fromLocalFile(sharedDataset("credit-g.csv"))});
    QDragEnterEvent enter(centre, Qt::CopyAction, &csv, Qt::LeftButton, Qt::NoModifier);
    enter.setAccepted(false);
    QCoreApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy spy(&window, &MainWindow::loadFinished);
    QDropEvent drop(QPointF(centre), Qt::CopyAction, &csv, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &drop);
    QVERIFY(spy.wait(kLoadTimeoutMs));
    QCOMPARE(spy.at(0).at(0).toBool(), true);
    QCOMPARE(window.dataPanel()->profileModel()->rowCount(),
             int(csvHeader(sharedDataset("credit-g.csv")).size()));

    // checking_status has values such as "<0": the chart's rich-text labels must escape them.
    HistogramChart* chart = window.dataPanel()->histogramChart();
    QCOMPARE(chart->columnName(), QStringLiteral("checking_status"));
    QCOMPARE(chart->kind(), HistogramChart::Kind::Categories);
    QStringList categories;
    const auto axes = chart->chart()->axes(Qt::Vertical);
    for (QAbstractAxis* axis : axes) {
      if (auto* categoryAxis = qobject_cast<QBarCategoryAxis*>(axis)) categories << categoryAxis->categories();
    }
    QVERIFY2(categories.contains(QStringLiteral("&lt;0")), qPrintable(categories.join(QLatin1Char('|'))));
  }

  void commandLineScreenshot() {
    const QString png = outputPath(QStringLiteral("cli-credit-g.png"));
    QFile::remove(png);
    QProcess studio;
    studio.setProcessChannelMode(QProcess::MergedChannels);
    studio.start(QStringLiteral(GLASSWING_STUDIO_EXE),
                 {sharedDataset("credit-g.csv"), QStringLiteral("--screenshot"), png,
                  QStringLiteral("--size"), QStringLiteral("1200x760")});
    QVERIFY2(studio.waitForFinished(120000), "glasswing-studio --screenshot did not quit");
    const QString output = QString::fromLocal8Bit(studio.readAll());
    QCOMPARE(studio.exitStatus(), QProcess::NormalExit);
    QVERIFY2(studio.exitCode() == 0, qPrintable(output));
    // credit-g's first column is categorical: its bars, in the lower part of the window, use the
    // categorical colour.
    const QString problem = checkScreenshot(png, QSize(1200, 760), QColor(0x00, 0x9E, 0x73),
                                            QRect(0, 760 * 2 / 3, 1200, 760 / 4));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
  }

  void commandLineScreenshotOfBadFile() {
    QTemporaryDir dir;
    const QString bad = writeFile(dir, QStringLiteral("ragged.csv"), "a,b\n1,2\n3,4,5\n");
    const QString png = outputPath(QStringLiteral("cli-malformed.png"));
    QFile::remove(png);
    QProcess studio;
    studio.setProcessChannelMode(QProcess::MergedChannels);
    studio.start(QStringLiteral(GLASSWING_STUDIO_EXE), {bad, QStringLiteral("--screenshot"), png});
    QVERIFY2(studio.waitForFinished(120000), "glasswing-studio --screenshot did not quit");
    const QString output = QString::fromLocal8Bit(studio.readAll());
    QCOMPARE(studio.exitStatus(), QProcess::NormalExit);
    QVERIFY2(studio.exitCode() == 3, qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("ragged.csv")), qPrintable(output));
    QVERIFY(QFileInfo(png).size() > 10 * 1024);
  }

  // The whole flow on a shared dataset: open, choose the target, run with a short budget, look at
  // the leaderboard, the trials and the chart, export the chart, then resume the same search.
  void runFlowOnSharedDataset() {
    const QString family = quickFamily();
    QTemporaryDir runs;
    QVERIFY(runs.isValid());
    MainWindow window;
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(loadAndWait(window, sharedDataset("iris.csv")));

    RunSetupPanel* setup = window.runSetupPanel();
    setup->setTask(QStringLiteral("auto"));  // saved settings of other tests must not matter
    QCOMPARE(setup->targetCombo()->count(), 5);
    QVERIFY(setup->setTarget(QStringLiteral("species")));
    QCOMPARE(setup->inferredTask(), QStringLiteral("multiclass"));
    QVERIFY2(setup->targetHint().contains(QStringLiteral("3 classes")), qPrintable(setup->targetHint()));
    // Only metrics valid for multiclass, each with its one-sentence description as tooltip.
    const QStringList metrics = setup->metricChoices();
    QVERIFY2(metrics.contains(QStringLiteral("log_loss")) && metrics.contains(QStringLiteral("accuracy")),
             qPrintable(metrics.join(QLatin1Char(','))));
    QVERIFY(!metrics.contains(QStringLiteral("roc_auc")));
    QVERIFY(!metrics.contains(QStringLiteral("rmse")));
    for (int i = 0; i < setup->metricCombo()->count(); ++i) {
      const QString tip = setup->metricCombo()->itemData(i, Qt::ToolTipRole).toString();
      QVERIFY2(tip.endsWith(QLatin1Char('.')) && tip.size() > 20, qPrintable(tip));
    }
    setup->setTask(QStringLiteral("regression"));
    QVERIFY(setup->metricChoices().contains(QStringLiteral("rmse")));
    QVERIFY(!setup->metricChoices().contains(QStringLiteral("log_loss")));
    setup->setTask(QStringLiteral("auto"));
    QVERIFY(setup->setMetric(QStringLiteral("accuracy")));
    setup->setMaxTrials(4);
    setup->setTimeBudget(0);
    setup->setFamilies(family.isEmpty() ? QStringList() : QStringList{family});
    setup->setRunsFolder(runs.path());

    QSignalSpy batches(window.runWorker(), &glasswing::studio::RunWorker::trialsFinished);
    bool finished = false;
    QVERIFY2(runAndWait(window, false, &finished),
             qPrintable(finished ? issuesText(window) : QStringLiteral("the run did not finish")));
    QVERIFY(!window.isRunning());
    QCOMPARE(window.tabs()->currentIndex(), 1);

    // The run directory holds the engine's artifacts.
    const QDir runDir(window.lastRunDirectory());
    QVERIFY2(runDir.absolutePath().startsWith(runs.path()), qPrintable(runDir.absolutePath()));
    QVERIFY(runDir.exists(QStringLiteral("run.json")));
    QVERIFY(QFileInfo(runDir.filePath(QStringLiteral("model"))).isDir());
    QVERIFY(runDir.exists(QStringLiteral("leaderboard.json")));
    QFile runJson(runDir.filePath(QStringLiteral("run.json")));
    QVERIFY(runJson.open(QIODevice::ReadOnly));
    QVERIFY(QJsonDocument::fromJson(runJson.readAll()).isObject());

    // Trials: all of them, in order; the chart has a dot per complete trial.
    RunPanel* panel = window.runPanel();
    TrialTableModel* trials = panel->trialModel();
    const int expectedTrials = family.isEmpty() ? 1 : 4;
    QCOMPARE(trials->rowCount(), expectedTrials);
    QVERIFY(batches.count() >= 1);
    QVERIFY(batches.count() <= expectedTrials);
    int complete = 0;
    for (int row = 0; row < trials->rowCount(); ++row) {
      QCOMPARE(trials->index(row, TrialTableModel::Number).data().toLongLong(), row);
      complete += trials->index(row, TrialTableModel::State).data().toString() == QStringLiteral("COMPLETE");
    }
    QCOMPARE(trials->index(0, TrialTableModel::Family).data().toString(), QStringLiteral("constant"));
    QCOMPARE(panel->scoreChart()->trialPointCount(), complete);
    QVERIFY(panel->scoreChart()->bestPointCount() >= 1);
    QVERIFY2(panel->scoreChart()->title().contains(QStringLiteral("accuracy")), qPrintable(panel->scoreChart()->title()));

    // Leaderboard: the baseline row is there and marked; sorting goes through the proxy.
    LeaderboardModel* board = panel->leaderboardModel();
    // One row per COMPLETE trial, plus one for an ensemble when the run kept one.
    int ensembles = 0;
    for (int row = 0; row < board->rowCount(); ++row)
      ensembles += board->index(row, LeaderboardModel::Family).data().toString().contains(QStringLiteral("ensemble"));
    QVERIFY(ensembles <= 1);
    QCOMPARE(board->rowCount(), complete + ensembles);
    const int baseline = board->baselineRow();
    QVERIFY(baseline >= 0);
    QVERIFY(board->index(baseline, 0).data(LeaderboardModel::BaselineRole).toBool());
    QVERIFY(board->index(baseline, LeaderboardModel::Family).data().toString().contains(QStringLiteral("baseline")));
    QVERIFY(!board->headerData(LeaderboardModel::CvMean, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
    auto* proxy = qobject_cast<QSortFilterProxyModel*>(panel->leaderboardView()->model());
    QVERIFY(proxy != nullptr);
    panel->leaderboardView()->sortByColumn(LeaderboardModel::CvMean, Qt::AscendingOrder);
    for (int row = 1; row < proxy->rowCount(); ++row) {
      QVERIFY(proxy->index(row - 1, LeaderboardModel::CvMean).data(LeaderboardModel::SortRole).toDouble() <=
              proxy->index(row, LeaderboardModel::CvMean).data(LeaderboardModel::SortRole).toDouble());
    }
    panel->leaderboardView()->sortByColumn(LeaderboardModel::CvMean, Qt::DescendingOrder);
    QCOMPARE(proxy->index(0, LeaderboardModel::Rank).data().toInt(), 1);  // accuracy: higher is better
    QVERIFY2(window.statusText().contains(QStringLiteral("Run finished")), qPrintable(window.statusText()));
    QVERIFY2(panel->progressText().contains(QStringLiteral("constant baseline")), qPrintable(panel->progressText()));

    // The chart exports as PNG and SVG.
    QTest::qWait(100);
    const QString png = outputPath(QStringLiteral("studio-score-chart.png"));
    QFile::remove(png);
    QVERIFY(window.exportScoreChart(png));
    QVERIFY(!QImage(png).isNull());
    const QString svg = QDir(runs.path()).filePath(QStringLiteral("score.svg"));
    if (glasswing::studio::svgExportAvailable()) {
      QVERIFY(window.exportScoreChart(svg));
      QFile svgFile(svg);
      QVERIFY(svgFile.open(QIODevice::ReadOnly));
      const QByteArray svgText = svgFile.readAll();
      QVERIFY(svgText.contains("<svg"));
      QVERIFY(svgText.contains("accuracy"));
    }
    // A file type the Studio cannot write is refused with an Issue, not a crash.
    const int issuesBefore = window.issuesPanel()->count();
    QVERIFY(!window.exportScoreChart(QDir(runs.path()).filePath(QStringLiteral("score.gif"))));
    QCOMPARE(window.issuesPanel()->count(), issuesBefore + 1);
    QVERIFY(window.issuesPanel()->messageAt(issuesBefore).contains(QStringLiteral(".png or .svg")));

    if (family.isEmpty()) return;  // nothing more to search with only the baseline
    // Resume: the same search in the same directory, up to 6 trials in total.
    setup->setMaxTrials(6);
    QVERIFY(setup->resumeButton()->isEnabled());
    QVERIFY2(runAndWait(window, true, &finished),
             qPrintable(finished ? issuesText(window) : QStringLiteral("the resumed run did not finish")));
    QCOMPARE(window.lastRunDirectory(), runDir.absolutePath());
    QCOMPARE(trials->rowCount(), 6);
    QCOMPARE(trials->index(5, TrialTableModel::Number).data().toLongLong(), 5);
    QVERIFY(board->rowCount() >= complete);
  }

  void stopMidRunLeavesResult() {
    const QString family = quickFamily();
    if (family.isEmpty()) QSKIP("this build has only the constant baseline: nothing to stop");
    QTemporaryDir runs;
    MainWindow window;
    window.show();
    QVERIFY(loadAndWait(window, sharedDataset("iris.csv")));
    RunSetupPanel* setup = window.runSetupPanel();
    setup->setTask(QStringLiteral("auto"));  // saved settings of other tests must not matter
    QVERIFY(setup->setTarget(QStringLiteral("species")));
    setup->setMaxTrials(500);
    setup->setTimeBudget(0);
    setup->setFamilies({family});
    setup->setRunsFolder(runs.path());
    QSignalSpy done(&window, &MainWindow::runFinished);
    QVERIFY(window.startRun());
    QVERIFY(window.isRunning());
    QVERIFY(!setup->startButton()->isEnabled());
    QVERIFY(setup->stopButton()->isEnabled());
    // The window keeps answering while the engine trains: wait for two trials, then stop.
    QTRY_VERIFY_WITH_TIMEOUT(window.runPanel()->trialModel()->rowCount() >= 2, kRunTimeoutMs);
    window.stopRun();
    QVERIFY2(window.runPanel()->progressText().contains(QStringLiteral("Stopping")),
             qPrintable(window.runPanel()->progressText()));
    QVERIFY(done.wait(kRunTimeoutMs));
    QCOMPARE(done.at(0).at(0).toBool(), true);
    const int trials = window.runPanel()->trialModel()->rowCount();
    QVERIFY2(trials < 500, "the run did not stop");
    QVERIFY(window.runPanel()->leaderboardModel()->rowCount() >= 1);
    QVERIFY(window.runPanel()->leaderboardModel()->baselineRow() >= 0);
    const QDir runDir(window.lastRunDirectory());
    QVERIFY(runDir.exists(QStringLiteral("run.json")));
    QVERIFY(QFileInfo(runDir.filePath(QStringLiteral("model"))).isDir());
    QVERIFY(setup->startButton()->isEnabled());
    QVERIFY(!setup->stopButton()->isEnabled());
  }

  // Closing the window during a run stops the engine and does not hang.
  void closingDuringRunStopsIt() {
    const QString family = quickFamily();
    if (family.isEmpty()) QSKIP("this build has only the constant baseline: the run is over at once");
    QTemporaryDir runs;
    auto window = std::make_unique<MainWindow>();
    window->show();
    QVERIFY(loadAndWait(*window, sharedDataset("iris.csv")));
    RunSetupPanel* setup = window->runSetupPanel();
    setup->setTask(QStringLiteral("auto"));
    QVERIFY(setup->setTarget(QStringLiteral("species")));
    setup->setMaxTrials(500);
    setup->setTimeBudget(0);
    setup->setFamilies({family});
    setup->setRunsFolder(runs.path());
    QVERIFY(window->startRun());
    QTRY_VERIFY_WITH_TIMEOUT(window->runPanel()->trialModel()->rowCount() >= 1, kRunTimeoutMs);
    const QString runDir = window->lastRunDirectory();
    QElapsedTimer clock;
    clock.start();
    window->close();
    window.reset();  // joins the worker thread
    QVERIFY2(clock.elapsed() < 30000, qPrintable(QStringLiteral("closing took %1 ms").arg(clock.elapsed())));
    // The engine stopped cleanly: what finished was written.
    QVERIFY(QFileInfo::exists(QDir(runDir).filePath(QStringLiteral("run.json"))));
  }

  // A target the engine rejects, and a target that vanished from the file after it was loaded:
  // a message in the Issues panel and the status bar, and the window runs the next good target.
  void badTargetShowsIssueAndWindowStaysUsable() {
    QTemporaryDir dir;
    QByteArray csv = "a,b,constant,label\n";
    for (int i = 0; i < 40; ++i) {
      csv += QByteArray::number(i) + "," + QByteArray::number(i % 7) + ",same," + (i % 2 ? "yes" : "no") + "\n";
    }
    const QString path = writeFile(dir, QStringLiteral("targets.csv"), csv);
    MainWindow window;
    window.show();
    QVERIFY(loadAndWait(window, path));
    RunSetupPanel* setup = window.runSetupPanel();
    setup->setTask(QStringLiteral("auto"));  // saved settings of other tests must not matter
    setup->setRunsFolder(dir.filePath(QStringLiteral("runs")));
    setup->setMaxTrials(1);
    setup->setTimeBudget(0);
    setup->setFamilies({});

    // A constant target: the panel says so before the run, and the run fails with the reason.
    QVERIFY(setup->setTarget(QStringLiteral("constant")));
    QVERIFY2(setup->targetHint().contains(QStringLiteral("cannot be used")), qPrintable(setup->targetHint()));
    bool finished = false;
    QVERIFY(!runAndWait(window, false, &finished));
    QVERIFY2(finished, "the failed run did not report");
    QVERIFY(window.issuesDock()->isVisible());
    QCOMPARE(window.issuesPanel()->severityAt(window.issuesPanel()->count() - 1), Severity::Error);
    QVERIFY2(issuesText(window).contains(QStringLiteral("constant")), qPrintable(issuesText(window)));
    QVERIFY2(window.statusText().contains(QStringLiteral("The run failed")), qPrintable(window.statusText()));
    QVERIFY2(window.runPanel()->progressText().contains(QStringLiteral("failed")),
             qPrintable(window.runPanel()->progressText()));
    QVERIFY(!window.isRunning());
    QVERIFY(setup->startButton()->isEnabled());

    // The file changes on disk after it was loaded: the target column is gone.
    QVERIFY(setup->setTarget(QStringLiteral("label")));
    QFile::remove(path);
    QVERIFY(!writeFile(dir, QStringLiteral("targets.csv"), "a,b\n1,2\n3,4\n").isEmpty());
    QVERIFY(!runAndWait(window, false, &finished));
    QVERIFY(finished);
    QVERIFY2(issuesText(window).contains(QStringLiteral("label")), qPrintable(issuesText(window)));

    // The window still runs a good target.
    QFile::remove(path);
    QVERIFY(!writeFile(dir, QStringLiteral("targets.csv"), csv).isEmpty());
    QVERIFY2(runAndWait(window, false, &finished), qPrintable(issuesText(window)));
    QVERIFY(window.runPanel()->leaderboardModel()->baselineRow() >= 0);
  }

  // The run view's models over the engine's plain structs: a failed trial shows its state and
  // reason; the baseline row is marked wherever it ranks; sorting is numeric, not textual.
  void trialAndLeaderboardModels() {
    TrialTableModel trials;
    glasswing::engine::TrialEvent ok;
    ok.number = 0;
    ok.family = "constant";
    ok.state = "COMPLETE";
    ok.value = 0.5;
    ok.best_value = 0.5;
    ok.best_number = 0;
    glasswing::engine::TrialEvent failed;
    failed.number = 1;
    failed.family = "xgboost";
    failed.state = "FAIL";
    failed.value = std::numeric_limits<double>::quiet_NaN();
    failed.best_value = 0.5;
    failed.best_number = 0;
    failed.fail_reason = "fold 2 scored nan (roc_auc)";
    trials.append({ok, failed});
    QCOMPARE(trials.rowCount(), 2);
    QCOMPARE(trials.failedCount(), 1);
    QCOMPARE(trials.index(1, TrialTableModel::State).data().toString(), QStringLiteral("FAIL"));
    QCOMPARE(trials.index(1, TrialTableModel::FailReason).data().toString(),
             QStringLiteral("fold 2 scored nan (roc_auc)"));
    QCOMPARE(trials.index(1, TrialTableModel::Value).data().toString(), QStringLiteral("—"));
    QVERIFY(!trials.index(1, TrialTableModel::Value).data(TrialTableModel::SortRole).isValid());
    QVERIFY(trials.index(0, TrialTableModel::Best).data().toString().contains(QStringLiteral("trial 0")));

    std::vector<glasswing::engine::LeaderboardRow> rows(3);
    const double scores[] = {0.95, 0.9, 0.5};
    const char* families[] = {"xgboost", "linear", "constant"};
    for (std::size_t i = 0; i < rows.size(); ++i) {
      rows[i].rank = static_cast<int>(i + 1);
      rows[i].trial = static_cast<std::int64_t>(10 - i);
      rows[i].family = families[i];
      rows[i].cv_mean = scores[i];
      rows[i].params = nlohmann::ordered_json::object();
    }
    rows[0].params["eta"] = 0.123456789;
    LeaderboardModel board;
    board.setResult(rows, QStringLiteral("roc_auc"), true);
    QCOMPARE(board.baselineRow(), 2);
    QVERIFY(board.index(2, 0).data(LeaderboardModel::BaselineRole).toBool());
    QVERIFY(!board.index(0, 0).data(LeaderboardModel::BaselineRole).toBool());
    QVERIFY(board.index(2, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("baseline")));
    QCOMPARE(board.index(0, LeaderboardModel::Params).data().toString(), QStringLiteral("eta=0.1235"));
    QVERIFY(board.headerData(LeaderboardModel::CvMean, Qt::Horizontal).toString().contains(QStringLiteral("roc_auc")));
    const QString tip = board.headerData(LeaderboardModel::CvMean, Qt::Horizontal, Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("higher is better")), qPrintable(tip));
    // Trials 10, 9, 8 sort as numbers: ascending puts 8 (the baseline) first.
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&board);
    proxy.setSortRole(LeaderboardModel::SortRole);
    proxy.sort(LeaderboardModel::Trial, Qt::AscendingOrder);
    QCOMPARE(proxy.index(0, LeaderboardModel::Trial).data().toLongLong(), 8);
    QVERIFY(proxy.index(0, 0).data(LeaderboardModel::BaselineRole).toBool());
  }

  void runWithoutDataShowsIssue() {
    MainWindow window;
    window.show();
    QSignalSpy done(&window, &MainWindow::runFinished);
    QVERIFY(!window.startRun());
    QCOMPARE(done.count(), 1);
    QCOMPARE(done.at(0).at(0).toBool(), false);
    QVERIFY(!window.isRunning());
    QVERIFY2(issuesText(window).contains(QStringLiteral("open a CSV file")), qPrintable(issuesText(window)));
    QVERIFY(window.issuesDock()->isVisible());
  }

  // A run's search store that was damaged afterwards: resuming it reports a storage error.
  void corruptSearchStoreShowsIssue() {
    QTemporaryDir runs;
    MainWindow window;
    window.show();
    QVERIFY(loadAndWait(window, sharedDataset("iris.csv")));
    RunSetupPanel* setup = window.runSetupPanel();
    setup->setTask(QStringLiteral("auto"));  // saved settings of other tests must not matter
    QVERIFY(setup->setTarget(QStringLiteral("species")));
    setup->setMaxTrials(1);
    setup->setTimeBudget(0);
    setup->setFamilies({});
    setup->setRunsFolder(runs.path());
    QVERIFY2(runAndWait(window), qPrintable(issuesText(window)));
    const QString store = QDir(window.lastRunDirectory()).filePath(QStringLiteral("search.db"));
    QVERIFY(QFileInfo::exists(store));
    QFile file(store);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QByteArray(4096, 'x'));
    file.close();
    setup->setMaxTrials(2);
    bool finished = false;
    QVERIFY(!runAndWait(window, true, &finished));
    QVERIFY(finished);
    QVERIFY(window.issuesDock()->isVisible());
    const QString issues = issuesText(window);
    QVERIFY2(issues.contains(QStringLiteral("search.db")) || issues.contains(QStringLiteral("database")),
             qPrintable(issues));
    QVERIFY(window.issuesPanel()->count() >= 1);
    QVERIFY(!window.isRunning());
  }

  void settingsPersistAcrossWindows() {
    // Settings of its own, so that run tests in other processes (ctest -j) cannot change them.
    const QString organisation = QCoreApplication::organizationName();
    QCoreApplication::setOrganizationName(QStringLiteral("GlasswingSettingsTest"));
    const auto restore = qScopeGuard([organisation] {
      QSettings().remove(QStringLiteral("run"));
      QCoreApplication::setOrganizationName(organisation);
    });
    QSettings().remove(QStringLiteral("run"));
    QTemporaryDir runs;
    {
      MainWindow window;
      QVERIFY(loadAndWait(window, sharedDataset("penguins.csv")));
      RunSetupPanel* setup = window.runSetupPanel();
      QVERIFY(setup->setTarget(QStringLiteral("island")));
      setup->setTask(QStringLiteral("multiclass"));
      QVERIFY(setup->setMetric(QStringLiteral("balanced_accuracy")));
      setup->setTimeBudget(123);
      setup->setMaxTrials(17);
      setup->setFamilies({});
      setup->setRunsFolder(runs.path());
    }
    MainWindow window;
    RunSetupPanel* setup = window.runSetupPanel();
    QCOMPARE(setup->taskCombo()->currentText(), QStringLiteral("multiclass"));
    QCOMPARE(setup->metricCombo()->currentText(), QStringLiteral("balanced_accuracy"));
    QCOMPARE(setup->families(), QStringList{QStringLiteral("constant")});
    QCOMPARE(setup->runsFolder(), runs.path());
    QString error;
    QVERIFY(!setup->runSettings(&error));  // no data yet
    QVERIFY(loadAndWait(window, sharedDataset("penguins.csv")));
    QCOMPARE(setup->target(), QStringLiteral("island"));  // remembered by name
    const auto settings = setup->runSettings(&error);
    QVERIFY2(settings.has_value(), qPrintable(error));
    QCOMPARE(settings->time_budget_s.value_or(0), 123.0);
    QCOMPARE(settings->max_trials.value_or(0), 17);
    QCOMPARE(settings->metric, std::string("balanced_accuracy"));
    QCOMPARE(settings->task, std::string("multiclass"));
    QCOMPARE(settings->models, std::vector<std::string>{"constant"});
    // A file without that column falls back to the last column.
    QVERIFY(loadAndWait(window, sharedDataset("iris.csv")));
    QCOMPARE(setup->target(), QStringLiteral("species"));
  }

  void commandLineRunScreenshot() {
    QTemporaryDir runs;
    const QString png = outputPath(QStringLiteral("cli-run.png"));
    QFile::remove(png);
    QProcess studio;
    studio.setProcessChannelMode(QProcess::MergedChannels);
    studio.start(QStringLiteral(GLASSWING_STUDIO_EXE),
                 {sharedDataset("iris.csv"), QStringLiteral("--target"), QStringLiteral("species"),
                  QStringLiteral("--run"), QStringLiteral("--max-trials"), QStringLiteral("3"),
                  QStringLiteral("--time-budget"), QStringLiteral("0"), QStringLiteral("--models"),
                  quickFamily().isEmpty() ? QStringLiteral("constant") : quickFamily(),
                  QStringLiteral("--runs-folder"), runs.path(), QStringLiteral("--screenshot"), png});
    QVERIFY2(studio.waitForFinished(kRunTimeoutMs), "glasswing-studio --run --screenshot did not quit");
    const QString output = QString::fromLocal8Bit(studio.readAll());
    QCOMPARE(studio.exitStatus(), QProcess::NormalExit);
    QVERIFY2(studio.exitCode() == 0, qPrintable(output));
    const QString problem = checkScreenshot(png, QSize(1280, 800));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    const QStringList made = QDir(runs.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    QCOMPARE(made.size(), 1);
    QVERIFY(QFileInfo::exists(QDir(runs.path()).filePath(made.front() + QStringLiteral("/run.json"))));
  }
};

QTEST_MAIN(StudioTest)
#include "test_studio.moc"
