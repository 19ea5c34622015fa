// studio_bench: how responsive the Studio is (bench/studio/README in RESULTS.md).
//
//   studio_bench startup
//       Process start (the kernel's start time of this process, /proc/self/stat) to the first
//       paint of the MainWindow, and to the first event-loop turn after it (the window is then
//       usable). Prints one JSON object.
//   studio_bench stall DATA.csv --target COL [--budget S] [--max-trials N] [--models LIST] [--after MS]
//                      [--runs DIR]
//       Loads DATA in a shown MainWindow, chooses the target and starts a run (the real engine
//       on its worker thread) while a 1 ms precise timer records the gaps between its ticks on
//       the GUI thread, from just before Start until MS (default 200) ms after the run reported.
//       The longest gap is the longest time the window could not answer. The run directory is
//       made under DIR (kept) or a temporary folder (removed). Prints one JSON object.
//   studio_bench idle [--seconds S]
//       A control for `stall`: the same window and timer for S seconds (default 20) with no
//       run. Gaps here come from the machine (other programs competing for the cores), not from
//       the Studio or the engine.
//   studio_bench busy [--seconds S] [--threads N]
//       The other control: as `idle`, while N threads (default: one per core) spin at the
//       engine worker's nice value. The machine is as busy as during a run, so gaps that come
//       from a hypervisor taking the vCPUs of a busy virtual machine show here too.
//   studio_bench pages RUN_DIR
//       What showing a finished run's insights costs the GUI thread, page by page (CPU ms).
//   Every mode that measures gaps also reports the steal time (/proc/stat) and which gaps over
//   50 ms coincide with it, and the longest event on the GUI thread by its own CPU time.
//   STUDIO_BENCH_VERBOSE=1 describes each gap over 50 ms on stderr (see TickRecorder).
//
// It links the same studio_lib as glasswing-studio and builds the same MainWindow, so what it
// measures is what the Studio does. Run it with QT_QPA_PLATFORM=offscreen or under xvfb-run.

#include <QApplication>
#include <QDir>
#include <QMetaEnum>
#include <QElapsedTimer>
#include <QEvent>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <limits>
#include <sys/syscall.h>
#include <thread>
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
#include "panels/insightpage.hpp"
#include "panels/insightspanel.hpp"
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

// What the kernel says about one thread (/proc/PID/task/TID/schedstat): ms on a CPU and ms
// runnable but waiting for one. A gap minus both is time the thread slept (blocked on a reply,
// a lock or a poll timeout that fired late).
struct SchedStat {
  double runMs = 0.0;
  double waitMs = 0.0;
};

SchedStat readSchedStat(const std::string& path) {
  std::ifstream in(path);
  unsigned long long run = 0, wait = 0;
  in >> run >> wait;
  return {static_cast<double>(run) / 1e6, static_cast<double>(wait) / 1e6};
}

// Steal time (ms) per vCPU and in all, from /proc/stat: time the hypervisor ran something else
// while a vCPU of this machine had work. Read through one open descriptor: cheap enough for
// every tick of the 1 ms timer.
class StealClock {
 public:
  StealClock() : m_fd(open("/proc/stat", O_RDONLY | O_CLOEXEC)) {}
  ~StealClock() {
    if (m_fd >= 0) close(m_fd);
  }
  StealClock(const StealClock&) = delete;
  StealClock& operator=(const StealClock&) = delete;

  // [0] all vCPUs, [1 + i] vCPU i.
  std::vector<double> read() const {
    std::vector<double> steal;
    if (m_fd < 0) return steal;
    char buffer[8192];
    const ssize_t n = pread(m_fd, buffer, sizeof buffer - 1, 0);
    if (n <= 0) return steal;
    buffer[n] = '\0';
    const double msPerTick = 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
    for (const char* line = buffer; line != nullptr && std::strncmp(line, "cpu", 3) == 0;) {
      unsigned long long v[8] = {};
      // cpuN user nice system idle iowait irq softirq steal
      if (std::sscanf(line, "%*s %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                      &v[5], &v[6], &v[7]) == 8) {
        steal.push_back(static_cast<double>(v[7]) * msPerTick);
      }
      line = std::strchr(line, '\n');
      if (line != nullptr) ++line;
    }
    return steal;
  }

 private:
  int m_fd;
};

// The schedstat path of the X server's main thread (the first process named Xvfb or Xorg),
// or empty when there is none (offscreen).
std::string xServerSchedStatPath() {
  const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
  for (const auto& entry : entries) {
    bool number = false;
    (void)entry.toInt(&number);
    if (!number) continue;
    std::ifstream comm("/proc/" + entry.toStdString() + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name == "Xvfb" || name == "Xorg") return "/proc/" + entry.toStdString() + "/schedstat";
  }
  return {};
}

// Times every event the application delivers on the GUI thread while `timing`: wall and the
// GUI thread's own CPU time (CLOCK_THREAD_CPUTIME_ID, which does not grow while other programs
// hold the cores). Keeps the longest event since the last tick, and the longest by CPU overall.
class EventTimer : public QApplication {
 public:
  using QApplication::QApplication;
  bool timing = false;
  double sinceTickMs = 0.0;  // the longest event (wall) since the last tick
  double sinceTickCpuMs = 0.0;
  QString sinceTick;
  double maxCpuMs = 0.0;  // the longest event by CPU time while timing
  QString maxCpu;

  static double threadCpuMs() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
  }

  // Verbose: events over 10 ms are printed with their end time on this clock.
  void startClock() { m_since.start(); }

  void resetTick() {
    sinceTickMs = sinceTickCpuMs = 0.0;
    sinceTick.clear();
  }

  bool notify(QObject* receiver, QEvent* event) override {
    if (!timing || m_depth > 0) return QApplication::notify(receiver, event);
    ++m_depth;
    const QEvent::Type type = event->type();
    const QString name = describe(receiver, type);  // before delivery: a receiver may delete itself
    QElapsedTimer wall;
    wall.start();
    const double cpuStart = threadCpuMs();
    const bool result = QApplication::notify(receiver, event);
    const double cpu = threadCpuMs() - cpuStart;
    const double ms = static_cast<double>(wall.nsecsElapsed()) / 1e6;
    --m_depth;
    if (ms > sinceTickMs) {
      sinceTickMs = ms;
      sinceTickCpuMs = cpu;
      sinceTick = name;
    }
    if (cpu > maxCpuMs) {
      maxCpuMs = cpu;
      maxCpu = name;
    }
    if (m_verbose && ms > 10.0) {
      std::fprintf(stderr, "event %s: %.1f ms (%.1f ms CPU) ending at %.3f s\n", qPrintable(name), ms, cpu,
                   static_cast<double>(m_since.nsecsElapsed()) / 1e9);
    }
    return result;
  }

 private:
  static QString describe(const QObject* receiver, QEvent::Type type) {
    const char* typeName = QMetaEnum::fromType<QEvent::Type>().valueToKey(type);
    QString who = QString::fromLatin1(receiver->metaObject()->className());
    if (receiver->parent() != nullptr) {
      who += QStringLiteral(" in ") + QString::fromLatin1(receiver->parent()->metaObject()->className());
    }
    return QStringLiteral("%1 %2").arg(typeName != nullptr ? QString::fromLatin1(typeName) : QString::number(type), who);
  }

  int m_depth = 0;
  bool m_verbose = std::getenv("STUDIO_BENCH_VERBOSE") != nullptr;
  QElapsedTimer m_since;
};

// The 1 ms precise timer on the GUI thread and what it finds: the gaps between its ticks and,
// for every gap over 50 ms, how much steal time the machine had during it (a gap is "steal"
// when the hypervisor took at least half of it from this machine's vCPUs: then the Studio's
// thread could not have run whatever it did). STUDIO_BENCH_VERBOSE=1 prints each such gap with
// where the GUI thread's time went (on a CPU, runnable but waiting for one, asleep), the X
// server's time, the steal per vCPU and the longest event delivered in it.
class TickRecorder {
 public:
  explicit TickRecorder(QApplication& app) : m_events(dynamic_cast<EventTimer*>(&app)) {
    m_ticker.setTimerType(Qt::PreciseTimer);
    m_ticker.setInterval(1);
    QObject::connect(&m_ticker, &QTimer::timeout, &app, [this] { tick(); });
  }

  void start() {
    m_xPath = m_verbose ? xServerSchedStatPath() : std::string();
    sample();
    m_stealAtStart = m_steal.empty() ? 0.0 : m_steal[0];
    m_clock.start();
    m_last = -1;
    m_ticker.start();
    if (m_events) {
      m_events->timing = true;
      m_events->startClock();
    }
  }

  void stop() {
    m_ticker.stop();
    if (m_events) m_events->timing = false;
    sample();
    settle(std::numeric_limits<qint64>::max());
    m_measuredS = static_cast<double>(m_clock.nsecsElapsed()) / 1e9;
  }

  double seconds() const { return static_cast<double>(m_clock.nsecsElapsed()) / 1e9; }

  // The gap statistics, as JSON fields.
  QJsonObject stats() const {
    std::vector<double> sorted = m_gaps;
    std::sort(sorted.begin(), sorted.end());
    auto percentile = [&sorted](double p) {
      if (sorted.empty()) return 0.0;
      return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
    };
    double maxNoSteal = 0.0;
    int over50 = 0, over50Steal = 0;
    QJsonArray longGaps;  // every gap over 50 ms: when it ended, how long, the steal in it
    for (const auto& gap : m_long) {
      longGaps.append(QJsonObject{{"end_s", static_cast<double>(gap.endNs) / 1e9}, {"ms", gap.ms}, {"steal_ms", gap.stealMs}});
    }
    for (const double gap : m_gaps) {
      if (gap <= 50.0) maxNoSteal = std::max(maxNoSteal, gap);
    }
    for (const auto& gap : m_long) {
      ++over50;
      if (gap.steal) {
        ++over50Steal;
      } else {
        maxNoSteal = std::max(maxNoSteal, gap.ms);
      }
    }
    return {{"measured_s", m_measuredS},
            {"ticks", static_cast<double>(m_gaps.size())},
            {"max_gap_ms", sorted.empty() ? 0.0 : sorted.back()},
            {"p99_gap_ms", percentile(0.99)},
            {"median_gap_ms", percentile(0.5)},
            {"gaps_over_50ms", over50},
            {"gaps_over_50ms_steal", over50Steal},
            {"max_gap_no_steal_ms", maxNoSteal},
            {"steal_ms", (m_steal.empty() ? 0.0 : m_steal[0]) - m_stealAtStart},
            {"long_gaps", longGaps},
            {"longest_event_cpu_ms", m_events ? m_events->maxCpuMs : 0.0},
            {"longest_event", m_events ? m_events->maxCpu : QString()}};
  }

 private:
  struct LongGap {
    double ms = 0.0;
    qint64 endNs = 0;
    std::vector<double> stealBefore;
    bool settled = false;
    bool steal = false;
    double stealMs = 0.0;  // steal on all vCPUs from the gap's start to 20 ms after its end
  };

  void sample() {
    m_steal = m_stealClock.read();
    if (m_verbose) {
      m_gui = readSchedStat("/proc/thread-self/schedstat");
      if (!m_xPath.empty()) m_x = readSchedStat(m_xPath);
    }
  }

  void tick() {
    const qint64 now = m_clock.nsecsElapsed();
    const std::vector<double> stealBefore = m_steal;
    const SchedStat guiBefore = m_gui, xBefore = m_x;
    sample();
    if (m_last >= 0) {
      const double gap = static_cast<double>(now - m_last) / 1e6;
      m_gaps.push_back(gap);
      if (gap > 50.0) {
        m_long.push_back({gap, now, stealBefore, false, false});
        if (m_verbose) {
          const double run = m_gui.runMs - guiBefore.runMs, wait = m_gui.waitMs - guiBefore.waitMs;
          QString perCpu;
          for (std::size_t i = 1; i < m_steal.size() && i < stealBefore.size(); ++i) {
            perCpu += QStringLiteral(" %1").arg(m_steal[i] - stealBefore[i], 0, 'f', 0);
          }
          std::fprintf(stderr,
                       "gap %.1f ms ending at %.3f s: GUI thread on a CPU %.1f ms, waiting for one %.1f ms, "
                       "asleep %.1f ms; X server on a CPU %.1f ms, waiting %.1f ms; steal so far per vCPU%s ms; "
                       "longest event %s: %.1f ms (%.1f ms CPU)\n",
                       gap, static_cast<double>(now) / 1e9, run, wait, std::max(0.0, gap - run - wait),
                       m_x.runMs - xBefore.runMs, m_x.waitMs - xBefore.waitMs, qPrintable(perCpu),
                       m_events ? qPrintable(m_events->sinceTick) : "?", m_events ? m_events->sinceTickMs : 0.0,
                       m_events ? m_events->sinceTickCpuMs : 0.0);
        }
      }
    }
    settle(now);
    if (m_events) m_events->resetTick();
    m_last = now;
  }

  // The kernel accounts steal at its next tick on the vCPU that lost the time, so a gap's steal
  // is read 20 ms after the gap ended.
  void settle(qint64 now) {
    for (auto& gap : m_long) {
      if (gap.settled || now - gap.endNs < 20'000'000) continue;
      gap.settled = true;
      const double steal = gap.stealBefore.empty() || m_steal.empty() ? 0.0 : m_steal[0] - gap.stealBefore[0];
      gap.stealMs = steal;
      gap.steal = steal >= gap.ms / 2.0;
      if (m_verbose) {
        std::fprintf(stderr, "  the gap of %.1f ms ending at %.3f s: %.0f ms steal in all vCPUs by 20 ms later%s\n",
                     gap.ms, static_cast<double>(gap.endNs) / 1e9, steal, gap.steal ? " (steal)" : "");
      }
    }
  }

  EventTimer* m_events;
  bool m_verbose = std::getenv("STUDIO_BENCH_VERBOSE") != nullptr;
  QTimer m_ticker;
  QElapsedTimer m_clock;
  qint64 m_last = -1;
  std::vector<double> m_gaps;
  std::vector<LongGap> m_long;
  StealClock m_stealClock;
  std::vector<double> m_steal;
  double m_stealAtStart = 0.0;
  std::string m_xPath;
  SchedStat m_gui, m_x;
  double m_measuredS = 0.0;
};

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
    std::fprintf(stderr, "usage: studio_bench stall DATA.csv --target COL [--budget S] [--max-trials N] [--models LIST] [--after MS] [--runs DIR]\n");
    return 2;
  }
  const QString data = args[0];
  QString target, models;
  double budget = 20.0;
  int maxTrials = 0;
  int afterMs = 200;
  QString runsFolder;
  for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
    if (args[i] == QStringLiteral("--target")) target = args[i + 1];
    else if (args[i] == QStringLiteral("--budget")) budget = args[i + 1].toDouble();
    else if (args[i] == QStringLiteral("--max-trials")) maxTrials = args[i + 1].toInt();
    else if (args[i] == QStringLiteral("--models")) models = args[i + 1];
    else if (args[i] == QStringLiteral("--after")) afterMs = args[i + 1].toInt();
    else if (args[i] == QStringLiteral("--runs")) runsFolder = args[i + 1];
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
  setup->setRunsFolder(runsFolder.isEmpty() ? runs.path() : runsFolder);
  setup->setTimeBudget(budget);
  setup->setMaxTrials(maxTrials);
  if (!models.isEmpty()) setup->setFamilies(models.split(QLatin1Char(',')));

  TickRecorder recorder(app);
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
      recorder.start();
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
                                    recorder.seconds());
                     });
  }
  QObject::connect(&window, &MainWindow::runFinished, &app, [&](bool finished) {
    if (std::getenv("STUDIO_BENCH_VERBOSE")) {
      std::fprintf(stderr, "run reported at %.3f s\n", recorder.seconds());
    }
    ok = finished;
    QTimer::singleShot(afterMs, &app, [&recorder] {
      recorder.stop();
      QApplication::exit(0);
    });
  });
  window.openFile(data);
  QTimer::singleShot(static_cast<int>((budget + 600.0) * 1000.0), &app, [] { QApplication::exit(1); });
  const int code = QApplication::exec();
  if (code != 0) return code;
  if (!ok) {
    std::fprintf(stderr, "studio_bench: the run failed: %s\n", qPrintable(window.statusText()));
    return 3;
  }
  QJsonObject result{{"mode", "stall"},
                     {"platform", QGuiApplication::platformName()},
                     {"data", QFileInfo(data).fileName()},
                     {"target", target},
                     {"budget_s", budget},
                     {"families", setup->families().join(QLatin1Char(','))},
                     {"trials", window.runPanel()->trialModel()->rowCount()},
                     {"chart_updates", window.runPanel()->scoreChart()->updateCount()},
                     {"start_call_ms", startCallMs},
                     {"after_ms", afterMs},
                     {"cpus", static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN))}};
  const QJsonObject stats = recorder.stats();
  for (auto it = stats.begin(); it != stats.end(); ++it) result.insert(it.key(), it.value());
  printJson(result);
  return 0;
}

// `idle` and `busy`: the same window and timer for `seconds` with no run; `busy` also keeps
// `threads` threads spinning at the engine worker's nice value, so that the machine is as busy
// as during a run (and a hypervisor sees the same load) while the Studio does nothing.
int control(QApplication& app, const QStringList& args, bool busy) {
  double seconds = 20.0;
  int threads = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  for (qsizetype i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == QStringLiteral("--seconds")) seconds = args[i + 1].toDouble();
    else if (args[i] == QStringLiteral("--threads")) threads = args[i + 1].toInt();
    else {
      std::fprintf(stderr, "studio_bench %s: unknown option %s\n", busy ? "busy" : "idle", qPrintable(args[i]));
      return 2;
    }
  }
  MainWindow window;
  window.resize(1280, 800);
  window.show();
  window.tabs()->setCurrentIndex(1);
  TickRecorder recorder(app);
  std::atomic<bool> spinning{true};
  std::vector<std::thread> spinners;
  QTimer::singleShot(500, &app, [&] {
    recorder.start();
    for (int i = 0; busy && i < threads; ++i) {
      spinners.emplace_back([&spinning] {
        (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)),
                          glasswing::studio::RunWorker::kWorkerNice);
        volatile double x = 1.0;
        while (spinning.load(std::memory_order_relaxed)) x = x * 1.0000001 + 1e-9;
      });
    }
    QTimer::singleShot(static_cast<int>(seconds * 1000.0), Qt::PreciseTimer, &app, [&recorder] {
      recorder.stop();
      QApplication::exit(0);
    });
  });
  QApplication::exec();
  spinning = false;
  for (auto& spinner : spinners) spinner.join();
  QJsonObject result{{"mode", busy ? "busy" : "idle"},
                     {"platform", QGuiApplication::platformName()},
                     {"threads", busy ? threads : 0}};
  const QJsonObject stats = recorder.stats();
  for (auto it = stats.begin(); it != stats.end(); ++it) result.insert(it.key(), it.value());
  printJson(result);
  return 0;
}

// `pages RUN_DIR`: what showing a finished run's insights costs the GUI thread, page by page:
// the run is read off the GUI thread as in the Studio, then each page's setInsights() is timed
// (wall and the GUI thread's CPU time), and then showing the page (layout and first paint).
int pages(QApplication& app, const QStringList& args) {
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: studio_bench pages RUN_DIR\n");
    return 2;
  }
  MainWindow window;
  window.resize(1280, 800);
  window.show();
  auto* insights = window.insightsPanel();
  QJsonObject result{{"mode", "pages"}, {"platform", QGuiApplication::platformName()}, {"run", args[0]}};
  QObject::connect(insights, &glasswing::studio::InsightsPanel::insightsLoaded, &app,
                   [&](bool ok, const QString& message) {
                     if (!ok) {
                       std::fprintf(stderr, "studio_bench: %s\n", qPrintable(message));
                       QApplication::exit(3);
                       return;
                     }
                     QTimer::singleShot(500, &app, [&] {
                       QJsonObject perPage;
                       double total = 0.0;
                       for (const QString& id : insights->panelIds()) {
                         auto* page = insights->page(id);
                         const double cpu0 = EventTimer::threadCpuMs();
                         QElapsedTimer wall;
                         wall.start();
                         page->setInsights(insights->insights());
                         const double setMs = static_cast<double>(wall.nsecsElapsed()) / 1e6;
                         const double setCpu = EventTimer::threadCpuMs() - cpu0;
                         const double cpu1 = EventTimer::threadCpuMs();
                         insights->showPanel(id);
                         QCoreApplication::processEvents();
                         const double showCpu = EventTimer::threadCpuMs() - cpu1;
                         total += setCpu;
                         perPage.insert(id, QJsonObject{{"title", page->title()},
                                                        {"set_ms", setMs},
                                                        {"set_cpu_ms", setCpu},
                                                        {"show_cpu_ms", showCpu}});
                       }
                       result.insert("pages", perPage);
                       result.insert("set_cpu_ms_all", total);
                       QApplication::exit(0);
                     });
                   });
  window.tabs()->setCurrentWidget(insights);
  window.openRunDirectory(args[0]);
  QTimer::singleShot(120000, &app, [] { QApplication::exit(1); });
  const int code = QApplication::exec();
  if (code != 0) return code;
  printJson(result);
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
  EventTimer app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("GlasswingBench"));
  QApplication::setApplicationName(QStringLiteral("Glasswing Studio Bench"));
  const QStringList args = QApplication::arguments().mid(1);
  if (args.value(0) == QStringLiteral("startup")) return startup(app);
  if (args.value(0) == QStringLiteral("stall")) return stall(app, args.mid(1));
  if (args.value(0) == QStringLiteral("idle")) return control(app, args.mid(1), false);
  if (args.value(0) == QStringLiteral("busy")) return control(app, args.mid(1), true);
  if (args.value(0) == QStringLiteral("pages")) return pages(app, args.mid(1));
  std::fprintf(stderr, "usage: studio_bench startup | idle [--seconds S] | busy [--seconds S] [--threads N] | "
                       "stall DATA.csv --target COL [--budget S] [--max-trials N] [--models LIST] [--after MS] [--runs DIR]\n");
  return 2;
}
