// Offscreen tests of the Studio's first window: loading a shared dataset into the data panel,
// the histogram of the selected column, screenshots, and bad input that must never crash it.
// Run under QT_QPA_PLATFORM=offscreen (set by CTest).

#include <QBarCategoryAxis>
#include <QChart>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QMimeData>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include "charts/histogramchart.hpp"
#include "mainwindow.hpp"
#include "models/profiletablemodel.hpp"
#include "panels/datapanel.hpp"
#include "panels/issuespanel.hpp"
#include "workers/csvloader.hpp"

using glasswing::Severity;
using glasswing::studio::DataPanel;
using glasswing::studio::HistogramChart;
using glasswing::studio::MainWindow;
using glasswing::studio::ProfileTableModel;

namespace {

constexpr int kLoadTimeoutMs = 60000;

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
};

QTEST_MAIN(StudioTest)
#include "test_studio.moc"
