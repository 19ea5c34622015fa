// glasswing-studio [DATA.csv] [--column NAME] [--screenshot FILE.png]: the Qt 6 desktop Studio.
// With --screenshot it saves the window once the data has loaded (or failed to) and quits:
// exit code 0 when the data loaded and the PNG was written, 3 when the data could not be
// loaded (the PNG then shows why), 1 when the PNG could not be written or loading timed out. Run it with QT_QPA_PLATFORM=offscreen for docs and tests.

#include <QApplication>
#include <QDockWidget>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTimer>
#include <algorithm>
#include <cstdio>

#include "glasswing/common/version.hpp"
#include "mainwindow.hpp"
#include "panels/datapanel.hpp"
#include "panels/issuespanel.hpp"

namespace {

// Lets the chart and the table finish their layout before the window is grabbed.
constexpr int kSettleMilliseconds = 300;

}  // namespace

int main(int argc, char* argv[]) {
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
  parser.addOption(screenshotOption);
  parser.addOption(columnOption);
  parser.addOption(sizeOption);
  parser.addOption(timeoutOption);
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

  glasswing::studio::MainWindow window;
  window.resize(sizeMatch.captured(1).toInt(), sizeMatch.captured(2).toInt());
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
                     [takeScreenshot](bool ok) { takeScreenshot(ok ? 0 : 3); });
    if (positional.isEmpty()) takeScreenshot(0);
    // Never hang a script: a load that does not finish in time is an error.
    QTimer::singleShot(static_cast<int>(std::min(timeoutSeconds, 86400.0) * 1000.0), &window, [] {
      std::fprintf(stderr, "glasswing-studio: loading did not finish within --timeout.\n");
      QApplication::exit(1);
    });
  }
  if (!positional.isEmpty()) window.openFile(positional.front());
  return app.exec();
}
