// glasswing-studio [DATA.csv] [--column NAME] [--target COL] [--run [--max-trials N]
//                  [--time-budget S] [--models LIST] [--runs-folder DIR]] [--screenshot FILE.png]:
// the Qt 6 desktop Studio. --target chooses the target once DATA has loaded; --run then starts
// a run with the Run tab's (saved) settings, which the other run options override.
// With --screenshot it saves the window once the data has loaded (or failed to), or with --run
// once the run has finished (or failed), and quits: exit code 0 when that went well and the PNG
// was written, 3 when the data could not be loaded or the run failed (the PNG then shows why), 1
// when the PNG could not be written or it timed out. Run it with QT_QPA_PLATFORM=offscreen for
// docs and tests.
// With --study STUDY.db --participant ID it starts in study mode (docs/STUDIO.md "Study mode"): when
// the study cannot be opened for that participant (missing, not a study, damaged or tampered
// file; an id that is not a pseudonym) it says why on stderr (and in a dialog unless the platform
// is offscreen) and exits with code 3 without showing the window; --study without --participant
// (or the reverse) is a usage error, exit code 2.
// With --open-run RUN_DIR it shows the Insights tab of an earlier run directory (File > Open
// Run…), and --panel ID selects P1..P10 there or, for P11, the Decision tab about that run; with
// --screenshot it saves the window once the run has been read (exit 3 when it could not be, 2
// when this Studio has no page ID); --fairness-column NAME (with --panel P9) shows fairness by
// that column first. scripts/screenshots.sh takes docs/screenshots/ this way.

#include <QApplication>
#include <QDockWidget>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QMessageBox>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>
#include <cstdio>

#include "backend/device.hpp"
#include "glasswing/common/version.hpp"
#include "mainwindow.hpp"
#include "panels/datapanel.hpp"
#include "panels/decisionpanel.hpp"
#include "panels/insightspanel.hpp"
#include "panels/issuespanel.hpp"
#include "panels/pages/p9fairnesspage.hpp"
#include "panels/runsetuppanel.hpp"

namespace {

// Lets the chart and the table finish their layout before the window is grabbed.
constexpr int kSettleMilliseconds = 300;

}  // namespace

int main(int argc, char* argv[]) {
  glasswing::backend::prefer_passive_openmp(argv);  // before anything: see backend/device.hpp
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("Glasswing"));
  QApplication::setApplicationName(QStringLiteral("Glasswing Studio"));
  QApplication::setApplicationVersion(QString::fromLatin1(glasswing::kVersion));

  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("Glasswing Studio: trustworthy AutoML. Opens a CSV file and shows its "
                     "schema and profile."));
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(QStringLiteral("DATA"),
                               QStringLiteral("A CSV file to open (.csv, .tsv, optionally .gz)."),
                               QStringLiteral("[DATA.csv]"));
  const QCommandLineOption screenshotOption(
      QStringLiteral("screenshot"),
      QStringLiteral("Save a PNG of the window once DATA has loaded, then quit."),
      QStringLiteral("FILE.png"));
  const QCommandLineOption sizeOption(
      QStringLiteral("size"), QStringLiteral("Window size, e.g. 1280x800 (default)."),
      QStringLiteral("WIDTHxHEIGHT"), QStringLiteral("1280x800"));
  const QCommandLineOption timeoutOption(
      QStringLiteral("timeout"),
      QStringLiteral("With --screenshot: give up after SECONDS if loading has not finished."),
      QStringLiteral("SECONDS"), QStringLiteral("300"));
  const QCommandLineOption columnOption(
      QStringLiteral("column"),
      QStringLiteral("Select the column NAME once DATA has loaded (default: the first)."),
      QStringLiteral("NAME"));
  const QCommandLineOption targetOption(
      QStringLiteral("target"), QStringLiteral("Choose the target column NAME once DATA has loaded."),
      QStringLiteral("NAME"));
  const QCommandLineOption runOption(
      QStringLiteral("run"), QStringLiteral("Start a run once DATA has loaded (needs DATA)."));
  const QCommandLineOption maxTrialsOption(
      QStringLiteral("max-trials"), QStringLiteral("With --run: trials in total (0: none)."),
      QStringLiteral("N"));
  const QCommandLineOption budgetOption(
      QStringLiteral("time-budget"), QStringLiteral("With --run: the search's time budget (0: none)."),
      QStringLiteral("SECONDS"));
  const QCommandLineOption modelsOption(
      QStringLiteral("models"),
      QStringLiteral("With --run: comma-separated model families (constant is always run)."),
      QStringLiteral("LIST"));
  const QCommandLineOption runsFolderOption(
      QStringLiteral("runs-folder"), QStringLiteral("With --run: the folder for run directories."),
      QStringLiteral("DIR"));
  for (const auto& option : {targetOption, runOption, maxTrialsOption, budgetOption, modelsOption,
                             runsFolderOption}) {
    parser.addOption(option);
  }
  const QCommandLineOption studyOption(
      QStringLiteral("study"),
      QStringLiteral("Study mode: log this participant's session in STUDY.db (needs --participant)."),
      QStringLiteral("STUDY.db"));
  const QCommandLineOption participantOption(
      QStringLiteral("participant"), QStringLiteral("With --study: the participant's pseudonymous id."),
      QStringLiteral("ID"));
  parser.addOption(studyOption);
  parser.addOption(participantOption);
  parser.addOption(screenshotOption);
  parser.addOption(columnOption);
  parser.addOption(sizeOption);
  parser.addOption(timeoutOption);
  const QCommandLineOption openRunOption(
      QStringLiteral("open-run"),
      QStringLiteral("Show the Insights tab of an earlier run directory (File > Open Run...)."),
      QStringLiteral("RUN_DIR"));
  const QCommandLineOption panelOption(
      QStringLiteral("panel"),
      QStringLiteral("With --open-run: show panel ID, P1..P10 (Insights) or P11 (Decision)."),
      QStringLiteral("ID"));
  const QCommandLineOption fairnessOption(
      QStringLiteral("fairness-column"),
      QStringLiteral("With --panel P9: show fairness by column NAME."), QStringLiteral("NAME"));
  parser.addOption(openRunOption);
  parser.addOption(panelOption);
  parser.addOption(fairnessOption);
  parser.process(app);  // exits with a message on --help, --version and unknown options

  const QStringList positional = parser.positionalArguments();
  if (positional.size() > 1) {
    std::fprintf(stderr, "glasswing-studio: give at most one DATA file (got %lld); "
                         "see glasswing-studio --help.\n",
                 static_cast<long long>(positional.size()));
    return 2;
  }
  const QRegularExpression sizePattern(QStringLiteral("^(\\d{3,5})x(\\d{3,5})$"));
  const auto sizeMatch = sizePattern.match(parser.value(sizeOption));
  if (!sizeMatch.hasMatch()) {
    std::fprintf(stderr, "glasswing-studio: --size must look like 1280x800.\n");
    return 2;
  }
  bool timeoutOk = false;
  const double timeoutSeconds = parser.value(timeoutOption).toDouble(&timeoutOk);
  if (!timeoutOk || timeoutSeconds <= 0.0) {
    std::fprintf(stderr, "glasswing-studio: --timeout must be a positive number of seconds.\n");
    return 2;
  }

  const bool runAfterLoad = parser.isSet(runOption);
  if (runAfterLoad && positional.isEmpty()) {
    std::fprintf(stderr, "glasswing-studio: --run needs a DATA file; see glasswing-studio --help.\n");
    return 2;
  }
  const QString openRunDir =
      parser.isSet(openRunOption) ? QFileInfo(parser.value(openRunOption)).absoluteFilePath() : QString();
  if (!openRunDir.isEmpty() && (!positional.isEmpty() || runAfterLoad)) {
    std::fprintf(stderr, "glasswing-studio: --open-run shows an earlier run; give it without DATA and --run.\n");
    return 2;
  }
  const QString panel = parser.value(panelOption).trimmed().toUpper();
  if (parser.isSet(panelOption) && openRunDir.isEmpty()) {
    std::fprintf(stderr, "glasswing-studio: --panel needs --open-run RUN_DIR; see glasswing-studio --help.\n");
    return 2;
  }
  if (parser.isSet(panelOption) &&
      !QRegularExpression(QStringLiteral("^P([1-9]|1[01])$")).match(panel).hasMatch()) {
    std::fprintf(stderr, "glasswing-studio: --panel must be one of P1..P11 (got \"%s\").\n",
                 qPrintable(parser.value(panelOption)));
    return 2;
  }
  const QString fairnessColumn = parser.value(fairnessOption);
  if (parser.isSet(fairnessOption) && panel != QLatin1String("P9")) {
    std::fprintf(stderr, "glasswing-studio: --fairness-column goes with --open-run RUN_DIR --panel P9.\n");
    return 2;
  }
  glasswing::studio::FairnessPage* fairnessPage = nullptr;  // set with --fairness-column
  bool numbersOk = true;
  const int maxTrials = parser.isSet(maxTrialsOption) ? parser.value(maxTrialsOption).toInt(&numbersOk) : -1;
  if (!numbersOk || (parser.isSet(maxTrialsOption) && maxTrials < 0)) {
    std::fprintf(stderr, "glasswing-studio: --max-trials must be a whole number >= 0.\n");
    return 2;
  }
  const double budget = parser.isSet(budgetOption) ? parser.value(budgetOption).toDouble(&numbersOk) : -1.0;
  if (!numbersOk || (parser.isSet(budgetOption) && budget < 0.0)) {
    std::fprintf(stderr, "glasswing-studio: --time-budget must be a number of seconds >= 0.\n");
    return 2;
  }

  if (parser.isSet(studyOption) != parser.isSet(participantOption)) {
    std::fprintf(stderr, "glasswing-studio: --study and --participant go together; see glasswing-studio --help.\n");
    return 2;
  }

  glasswing::studio::MainWindow window;
  window.resize(sizeMatch.captured(1).toInt(), sizeMatch.captured(2).toInt());
  if (parser.isSet(studyOption)) {
    QString error;
    if (!window.startStudy(QFileInfo(parser.value(studyOption)).absoluteFilePath(),
                           parser.value(participantOption), &error)) {
      std::fprintf(stderr, "glasswing-studio: study mode did not start: %s\n", qPrintable(error));
      if (QGuiApplication::platformName() != QLatin1String("offscreen")) {
        QMessageBox::critical(nullptr, QObject::tr("Study mode did not start"), error);
      }
      return 3;
    }
  }
  window.show();

  if (parser.isSet(columnOption)) {
    const QString column = parser.value(columnOption);
    // Connected before the screenshot handler, so the screenshot shows the chosen column.
    QObject::connect(&window, &glasswing::studio::MainWindow::loadFinished, &window,
                     [&window, column](bool ok) {
                       if (ok && !window.dataPanel()->selectColumnByName(column)) {
                         window.issuesPanel()->addIssue(
                             glasswing::Severity::Warning, QStringLiteral("--column"),
                             QStringLiteral("No column named \"%1\"; showing the first column.")
                                 .arg(column));
                         window.issuesDock()->show();
                         std::fprintf(stderr, "glasswing-studio: no column named \"%s\"\n",
                                      qPrintable(column));
                       }
                     });
  }

  if (parser.isSet(targetOption) || runAfterLoad) {
    const QString target = parser.value(targetOption);
    auto* setup = window.runSetupPanel();
    if (maxTrials >= 0) setup->setMaxTrials(maxTrials);
    if (budget >= 0.0) setup->setTimeBudget(budget);
    if (parser.isSet(modelsOption)) setup->setFamilies(parser.value(modelsOption).split(QLatin1Char(',')));
    if (parser.isSet(runsFolderOption)) setup->setRunsFolder(QFileInfo(parser.value(runsFolderOption)).absoluteFilePath());
    QObject::connect(&window, &glasswing::studio::MainWindow::loadFinished, &window,
                     [&window, target, runAfterLoad](bool ok) {
                       if (!ok) return;
                       window.tabs()->setCurrentIndex(1);
                       if (!target.isEmpty() && !window.runSetupPanel()->setTarget(target)) {
                         std::fprintf(stderr, "glasswing-studio: no column named \"%s\" for --target\n",
                                      qPrintable(target));
                       }
                       if (runAfterLoad) window.startRun();
                     });
  }

  if (!openRunDir.isEmpty() && !panel.isEmpty()) {
    // Connected before the screenshot handler, so the screenshot shows the chosen panel.
    QObject::connect(window.insightsPanel(), &glasswing::studio::InsightsPanel::insightsLoaded, &window,
                     [&window, panel, openRunDir, fairnessColumn](bool ok, const QString&) {
                       if (!ok) return;
                       if (panel == QLatin1String("P11")) {
                         window.decisionPanel()->setRun(openRunDir);
                         window.decisionPanel()->setInsights(window.insightsPanel()->insights());
                         window.tabs()->setCurrentWidget(window.decisionPanel());
                       } else if (!window.insightsPanel()->showPanel(panel)) {
                         std::fprintf(stderr, "glasswing-studio: this Studio has no panel %s (it has %s).\n",
                                      qPrintable(panel),
                                      qPrintable(window.insightsPanel()->panelIds().join(QStringLiteral(", "))));
                         QApplication::exit(2);
                       } else if (!fairnessColumn.isEmpty()) {
                         if (auto* p9 = qobject_cast<glasswing::studio::FairnessPage*>(
                                 window.insightsPanel()->page(QStringLiteral("P9")))) {
                           p9->chooseColumn(fairnessColumn);
                         }
                       }
                     });
    if (!fairnessColumn.isEmpty()) {
      fairnessPage = qobject_cast<glasswing::studio::FairnessPage*>(window.insightsPanel()->page(QStringLiteral("P9")));
    }
  }

  if (parser.isSet(screenshotOption)) {
    const QString screenshot = parser.value(screenshotOption);
    auto takeScreenshot = [&window, screenshot](int exitCodeIfSaved) {
      QTimer::singleShot(kSettleMilliseconds, &window, [&window, screenshot, exitCodeIfSaved] {
        if (!window.saveScreenshot(screenshot)) {
          std::fprintf(stderr, "glasswing-studio: could not write %s.\n",
                       qPrintable(QFileInfo(screenshot).absoluteFilePath()));
          QApplication::exit(1);
          return;
        }
        if (exitCodeIfSaved != 0) {
          std::fprintf(stderr, "glasswing-studio: %s\n", qPrintable(window.statusText()));
        }
        QApplication::exit(exitCodeIfSaved);
      });
    };
    QObject::connect(&window, &glasswing::studio::MainWindow::loadFinished, &window,
                     [takeScreenshot, runAfterLoad](bool ok) {
                       if (!ok || !runAfterLoad) takeScreenshot(ok ? 0 : 3);
                     });
    QObject::connect(&window, &glasswing::studio::MainWindow::runFinished, &window,
                     [takeScreenshot](bool ok) { takeScreenshot(ok ? 0 : 3); });
    if (!openRunDir.isEmpty()) {
      // With --fairness-column the shot waits for the fairness section (computed off the GUI thread).
      QObject::connect(window.insightsPanel(), &glasswing::studio::InsightsPanel::insightsLoaded, &window,
                       [takeScreenshot, fairnessPage](bool ok, const QString&) {
                         if (!ok || fairnessPage == nullptr) takeScreenshot(ok ? 0 : 3);
                       });
      if (fairnessPage != nullptr) {
        QObject::connect(fairnessPage, &glasswing::studio::FairnessPage::fairnessShown, &window,
                         [takeScreenshot](const QString&) { takeScreenshot(0); });
      }
    } else if (positional.isEmpty()) {
      takeScreenshot(0);
    }
    // Never hang a script: a load that does not finish in time is an error.
    QTimer::singleShot(static_cast<int>(std::min(timeoutSeconds, 86400.0) * 1000.0), &window, [] {
      std::fprintf(stderr, "glasswing-studio: loading (or the run) did not finish within --timeout.\n");
      QApplication::exit(1);
    });
  }
  if (!positional.isEmpty()) window.openFile(positional.front());
  if (!openRunDir.isEmpty()) window.openRunDirectory(openRunDir);
  return app.exec();
}
