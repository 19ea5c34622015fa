// studio_bench: how responsive the Studio is (bench/studio/README in RESULTS.md).
//
//   studio_bench startup
//       Process start (the kernel's start time of this process, /proc/self/stat) to the first
//       paint of the MainWindow, and to the first event-loop turn after it (the window is then
//       usable). Prints one JSON object.
//   studio_bench stall DATA.csv --target COL [--budget S] [--max-trials N] [--models LIST]
//       Loads DATA in a shown MainWindow, chooses the target and starts a run (the real engine
//       on its worker thread) while a 1 ms precise timer records the gaps between its ticks on
//       the GUI thread, from just before Start until 200 ms after the run reported. The longest
//       gap is the longest time the window could not answer. Prints one JSON object.
//   studio_bench idle [--seconds S]
//       The control for `stall`: the same window and timer for S seconds (default 20) with no
//       run. Gaps here come from the machine (other programs competing for the cores), not from
//       the Studio or the engine.
//
// It links the same studio_lib as glasswing-studio and builds the same MainWindow, so what it
// measures is what the Studio does. Run it with QT_QPA_PLATFORM=offscreen or under xvfb-run.

#include <QApplication>
#include <QElapsedTimer>
#include <QEvent>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "mainwindow.hpp"
#include "models/trialtablemodel.hpp"
#include "panels/issuespanel.hpp"
#include "panels/runpanel.hpp"
#include "panels/runsetuppanel.hpp"
#include "workers/runworker.hpp"
#include "charts/scorechart.hpp"

namespace {

using glasswing::studio::MainWindow;

// Milliseconds since this process started, from the kernel's start time (clock ticks since boot,
// on the boot-time clock) and CLOCK_BOOTTIME now. Resolution: one clock tick (10 ms at 100 Hz).
double msSinceProcessStart() {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1.0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // Fields after the command: state is field 3; starttime is field 22.
  for (int i = 3; i < 22 && fields >> field; ++i) {
  }
  unsigned long long startTicks = 0;
  if (!(fields >> startTicks)) return -1.0;
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  const double nowMs = static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
  const double startMs = static_cast<double>(startTicks) * 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return nowMs - startMs;
}

// CPU time this process has used (user + system), in ms: unlike wall-clock time, it does not
// grow when other programs compete for the cores.
double cpuMs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

void printJson(const QJsonObject& object) {
  std::printf("%s\n", QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
  std::fflush(stdout);
}

// Notes the first paint of the window it watches.
class FirstPaint : public QObject {
 public:
  double paintMs = -1.0;
  bool painted = false;
  std::function<void()> onPainted;

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override {
    if (!painted && event->type() == QEvent::Paint) {
      painted = true;
      paintMs = msSinceProcessStart();
      if (onPainted) QTimer::singleShot(0, this, onPainted);
    }
    return QObject::eventFilter(watched, event);
  }
};

int startup(QApplication& app) {
  const double mainMs = msSinceProcessStart();
  const double mainCpuMs = cpuMs();
  QElapsedTimer sinceMain;
  sinceMain.start();
  MainWindow window;
  FirstPaint watcher;
  window.installEventFilter(&watcher);
  QJsonObject result{{"mode", "startup"}, {"platform", QGuiApplication::platformName()},
                     {"process_to_main_ms", mainMs}, {"cpu_to_main_ms", mainCpuMs}};
  watcher.onPainted = [&] {
    result.insert("process_to_first_paint_ms", watcher.paintMs);
    result.insert("process_to_usable_ms", msSinceProcessStart());
    result.insert("main_to_usable_ms", static_cast<double>(sinceMain.nsecsElapsed()) / 1e6);
    result.insert("cpu_to_usable_ms", cpuMs());
    QApplication::exit(0);
  };
  window.resize(1280, 800);
  window.show();
  QTimer::singleShot(30000, &app, [] { QApplication::exit(1); });
  const int code = QApplication::exec();
  if (code != 0) {
    std::fprintf(stderr, "studio_bench: the window was not painted within 30 s\n");
    return code;
  }
  printJson(result);
  return 0;
}

int stall(QApplication& app, const QStringList& args) {
  if (args.size() < 1) {
    std::fprintf(stderr, "usage: studio_bench stall DATA.csv --target COL [--budget S] [--max-trials N] [--models LIST]\n");
    return 2;
  }
  const QString data = args[0];
  QString target, models;
  double budget = 20.0;
  int maxTrials = 0;
  for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
    if (args[i] == QStringLiteral("--target")) target = args[i + 1];
    else if (args[i] == QStringLiteral("--budget")) budget = args[i + 1].toDouble();
    else if (args[i] == QStringLiteral("--max-trials")) maxTrials = args[i + 1].toInt();
    else if (args[i] == QStringLiteral("--models")) models = args[i + 1];
    else {
      std::fprintf(stderr, "studio_bench stall: unknown option %s\n", qPrintable(args[i]));
      return 2;
    }
  }
  QTemporaryDir runs;
  MainWindow window;
  window.resize(1280, 800);
  window.show();
  auto* setup = window.runSetupPanel();
  setup->setRunsFolder(runs.path());
  setup->setTimeBudget(budget);
  setup->setMaxTrials(maxTrials);
  if (!models.isEmpty()) setup->setFamilies(models.split(QLatin1Char(',')));

  QElapsedTimer clock;
  std::vector<double> gaps;
  qint64 last = -1;
  bool measuring = false;
  QTimer ticker;
  ticker.setTimerType(Qt::PreciseTimer);
  ticker.setInterval(1);
  QObject::connect(&ticker, &QTimer::timeout, &app, [&] {
    const qint64 now = clock.nsecsElapsed();
    if (measuring && last >= 0) {
      gaps.push_back(static_cast<double>(now - last) / 1e6);
      if (gaps.back() > 50.0 && std::getenv("STUDIO_BENCH_VERBOSE")) {
        std::fprintf(stderr, "gap %.1f ms ending at %.3f s\n", gaps.back(), static_cast<double>(now) / 1e9);
      }
    }
    last = now;
  });
  double startCallMs = 0.0;
  bool ok = false;
  QObject::connect(&window, &MainWindow::loadFinished, &app, [&](bool loaded) {
    if (!loaded || !setup->setTarget(target)) {
      std::fprintf(stderr, "studio_bench: could not load %s or find the target %s\n", qPrintable(data),
                   qPrintable(target));
      QApplication::exit(3);
      return;
    }
    // Show the Run tab and let it lay out and paint once before measuring: the stall of
    // interest is the one while the engine trains, not the first layout of a tab.
    window.tabs()->setCurrentIndex(1);
    QTimer::singleShot(500, &app, [&] {
      clock.start();
      ticker.start();
      measuring = true;
      QElapsedTimer call;
      call.start();
      window.startRun();
      startCallMs = static_cast<double>(call.nsecsElapsed()) / 1e6;
    });
  });
  if (std::getenv("STUDIO_BENCH_VERBOSE")) {
    QObject::connect(window.runWorker(), &glasswing::studio::RunWorker::trialsFinished, &app,
                     [&](const std::vector<glasswing::engine::TrialEvent>& trials) {
                       std::fprintf(stderr, "batch of %zu trials at %.3f s\n", trials.size(),
                                    static_cast<double>(clock.nsecsElapsed()) / 1e9);
                     });
  }
  QObject::connect(&window, &MainWindow::runFinished, &app, [&](bool finished) {
    if (std::getenv("STUDIO_BENCH_VERBOSE")) {
      std::fprintf(stderr, "run reported at %.3f s\n", static_cast<double>(clock.nsecsElapsed()) / 1e9);
    }
    ok = finished;
    QTimer::singleShot(200, &app, [] { QApplication::exit(0); });
  });
  window.openFile(data);
  QTimer::singleShot(static_cast<int>((budget + 600.0) * 1000.0), &app, [] { QApplication::exit(1); });
  const int code = QApplication::exec();
  if (code != 0) return code;
  if (!ok) {
    std::fprintf(stderr, "studio_bench: the run failed: %s\n", qPrintable(window.statusText()));
    return 3;
  }
  std::vector<double> sorted = gaps;
  std::sort(sorted.begin(), sorted.end());
  auto percentile = [&sorted](double p) {
    if (sorted.empty()) return 0.0;
    const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return sorted[index];
  };
  const auto over50 = std::count_if(gaps.begin(), gaps.end(), [](double gap) { return gap > 50.0; });
  printJson({{"mode", "stall"},
             {"platform", QGuiApplication::platformName()},
             {"data", QFileInfo(data).fileName()},
             {"target", target},
             {"budget_s", budget},
             {"families", setup->families().join(QLatin1Char(','))},
             {"trials", window.runPanel()->trialModel()->rowCount()},
             {"chart_updates", window.runPanel()->scoreChart()->updateCount()},
             {"measured_s", static_cast<double>(clock.nsecsElapsed()) / 1e9},
             {"ticks", static_cast<double>(gaps.size())},
             {"max_gap_ms", sorted.empty() ? 0.0 : sorted.back()},
             {"p99_gap_ms", percentile(0.99)},
             {"median_gap_ms", percentile(0.5)},
             {"gaps_over_50ms", static_cast<double>(over50)},
             {"start_call_ms", startCallMs},
             {"cpus", static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN))}});
  return 0;
}

int idle(QApplication& app, const QStringList& args) {
  double seconds = 20.0;
  if (args.size() >= 2 && args[0] == QStringLiteral("--seconds")) seconds = args[1].toDouble();
  MainWindow window;
  window.resize(1280, 800);
  window.show();
  window.tabs()->setCurrentIndex(1);
  QElapsedTimer clock;
  std::vector<double> gaps;
  qint64 last = -1;
  QTimer ticker;
  ticker.setTimerType(Qt::PreciseTimer);
  ticker.setInterval(1);
  QObject::connect(&ticker, &QTimer::timeout, &app, [&] {
    const qint64 now = clock.nsecsElapsed();
    if (last >= 0) gaps.push_back(static_cast<double>(now - last) / 1e6);
    last = now;
  });
  QTimer::singleShot(500, &app, [&] {
    clock.start();
    ticker.start();
    QTimer::singleShot(static_cast<int>(seconds * 1000.0), &app, [] { QApplication::exit(0); });
  });
  QApplication::exec();
  std::vector<double> sorted = gaps;
  std::sort(sorted.begin(), sorted.end());
  const auto over50 = std::count_if(gaps.begin(), gaps.end(), [](double gap) { return gap > 50.0; });
  printJson({{"mode", "idle"},
             {"platform", QGuiApplication::platformName()},
             {"measured_s", static_cast<double>(clock.nsecsElapsed()) / 1e9},
             {"ticks", static_cast<double>(gaps.size())},
             {"max_gap_ms", sorted.empty() ? 0.0 : sorted.back()},
             {"p99_gap_ms", sorted.empty() ? 0.0 : sorted[static_cast<std::size_t>(0.99 * static_cast<double>(sorted.size() - 1))]},
             {"median_gap_ms", sorted.empty() ? 0.0 : sorted[sorted.size() / 2]},
             {"gaps_over_50ms", static_cast<double>(over50)}});
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("GlasswingBench"));
  QApplication::setApplicationName(QStringLiteral("Glasswing Studio Bench"));
  const QStringList args = QApplication::arguments().mid(1);
  if (args.value(0) == QStringLiteral("startup")) return startup(app);
  if (args.value(0) == QStringLiteral("stall")) return stall(app, args.mid(1));
  if (args.value(0) == QStringLiteral("idle")) return idle(app, args.mid(1));
  std::fprintf(stderr, "usage: studio_bench startup | idle [--seconds S] | stall DATA.csv --target COL [--budget S] "
                       "[--max-trials N] [--models LIST]\n");
  return 2;
}
