// What keeps the Studio's window answering while work runs (bench/studio): every thread that
// trains runs at the worker's nice value (no training thread at the GUI thread's priority),
// background work (the Insights load) runs low on a pool of its own, and a loaded run's Insights
// pages are filled one per event-loop turn, not all in one.
//
// Nice values are per thread on Linux. The checks compare against the test's own (GUI) thread,
// so when the whole test already runs at nice >= 10 (`nice -n 10 ctest`) they cannot tell the
// worker's value from the inherited one and are skipped.

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QElapsedTimer>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "automl/engine/run.hpp"
#include "panels/insightpage.hpp"
#include "panels/insightspanel.hpp"
#include "workers/background.hpp"
#include "workers/runworker.hpp"

using glasswing::studio::InsightsPanel;
using glasswing::studio::RunWorker;
namespace engine = glasswing::engine;

namespace {

constexpr int kTimeoutMs = 120000;

QString sharedFile(const char* name) {
  return QDir(QStringLiteral(GLASSWING_SHARED_DIR)).filePath(QStringLiteral("datasets/%1").arg(QLatin1String(name)));
}

int threadNice() { return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))); }

struct ThreadSample {
  int nice = 0;
  double cpuMs = 0.0;  // user + system
  std::string name;
};

// Every thread of this process: its nice value and the CPU time it has used (/proc/self/task).
std::map<int, ThreadSample> sampleThreads() {
  std::map<int, ThreadSample> threads;
  const double msPerTick = 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
  const QStringList tids = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
  for (const QString& tid : tids) {
    std::ifstream in("/proc/self/task/" + tid.toStdString() + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;  // the thread ended
    ThreadSample sample;
    sample.name = text.substr(open + 1, close - open - 1);
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    // After the name: state (3) ... utime (14), stime (15) ... nice (19).
    double utime = 0, stime = 0;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
      if (i == 19) sample.nice = std::stoi(field);
    }
    sample.cpuMs = (utime + stime) * msPerTick;
    threads[tid.toInt()] = sample;
  }
  return threads;
}

// A short real run of pima-diabetes (xgboost on every core, then the refit), written to `out`.
engine::RunSettings shortRun(const QString& out) {
  engine::RunSettings settings;
  settings.data = sharedFile("pima-diabetes-na.csv").toStdString();
  settings.target = "diabetes";
  settings.max_trials = 2;
  settings.cv = 2;
  settings.models = {"xgboost"};
  settings.space = {{"xgboost", {{"n_estimators", 50}, {"max_depth", 3}}}};  // short fits
  settings.ensemble_candidates = 0;
  settings.out = out.toStdString();
  return settings;
}

}  // namespace

class ResponsivenessTest : public QObject {
  Q_OBJECT

 private slots:
  void trainingThreadsRunAtWorkerNice();
  void backgroundWorkRunsLowOnItsOwnPool();
  void insightsPagesFillOnePerTurn();
  void setInsightsDuringFillingEndsTheLoad();
};

void ResponsivenessTest::trainingThreadsRunAtWorkerNice() {
  const int base = threadNice();
  if (base >= RunWorker::kWorkerNice) QSKIP("the test already runs at the worker's nice value or lower");
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  RunWorker worker;
  QSignalSpy finished(&worker, &RunWorker::finished);
  QSignalSpy failed(&worker, &RunWorker::failed);
  const int self = static_cast<int>(syscall(SYS_gettid));
  const std::map<int, ThreadSample> before = sampleThreads();
  std::map<int, ThreadSample> last;  // the latest sample of every thread seen during the run
  QVERIFY(worker.start(shortRun(dir.filePath(QStringLiteral("run")))));
  QElapsedTimer clock;
  clock.start();
  while (finished.isEmpty() && failed.isEmpty() && clock.elapsed() < kTimeoutMs) {
    QTest::qWait(20);
    for (const auto& [tid, sample] : sampleThreads()) last[tid] = sample;
  }
  QCOMPARE(failed.count(), 0);
  QCOMPARE(finished.count(), 1);
  // Every thread that did real work during the run (>= 30 ms of CPU), other than this (GUI)
  // thread, is a training thread: each must run at the worker's nice value.
  int trainers = 0;
  for (const auto& [tid, sample] : last) {
    if (tid == self) continue;
    const auto earlier = before.find(tid);
    const double used = sample.cpuMs - (earlier == before.end() ? 0.0 : earlier->second.cpuMs);
    if (used < 30.0) continue;
    ++trainers;
    QVERIFY2(sample.nice >= RunWorker::kWorkerNice,
             qPrintable(QStringLiteral("thread %1 (%2) used %3 ms of CPU at nice %4")
                            .arg(tid)
                            .arg(QString::fromStdString(sample.name))
                            .arg(used)
                            .arg(sample.nice)));
  }
  QVERIFY2(trainers >= 1, "no thread trained: the run did no work the test could see");
}

void ResponsivenessTest::backgroundWorkRunsLowOnItsOwnPool() {
  const int base = threadNice();
  if (base >= glasswing::studio::kBackgroundNice) QSKIP("the test already runs at the background nice value or lower");
  // The task's thread and a thread it starts (as XGBoost's OpenMP team would be) run low.
  auto future = glasswing::studio::runInBackground([] {
    int child = -100;
    std::thread inner([&child] { child = threadNice(); });
    inner.join();
    return std::make_pair(threadNice(), child);
  });
  future.waitForFinished();
  const auto [task, child] = future.result();
  QCOMPARE(task, glasswing::studio::kBackgroundNice);
  QCOMPARE(child, glasswing::studio::kBackgroundNice);
  QVERIFY(glasswing::studio::backgroundPool() != QThreadPool::globalInstance());
  // The global pool (CSV loading) keeps the GUI thread's priority.
  auto global = QtConcurrent::run([] { return threadNice(); });
  global.waitForFinished();
  QCOMPARE(global.result(), base);
}

void ResponsivenessTest::insightsPagesFillOnePerTurn() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QString run = dir.filePath(QStringLiteral("run"));
  engine::run(shortRun(run));
  InsightsPanel panel;
  panel.resize(1000, 700);
  panel.show();
  QSignalSpy loaded(&panel, &InsightsPanel::insightsLoaded);
  // Whenever the first page is being filled, the others are not yet: the panel already holds the
  // run (insights()) while the load is still in progress (isLoading()), and insightsLoaded has
  // not come. Looked at between event-loop turns, from a zero timer.
  bool sawFilling = false;
  int turns = 0;
  QTimer probe;
  probe.setInterval(0);
  connect(&probe, &QTimer::timeout, this, [&] {
    ++turns;
    if (panel.insights() != nullptr && panel.isLoading() && loaded.isEmpty()) sawFilling = true;
  });
  probe.start();
  panel.loadRun(run);
  QVERIFY(loaded.wait(kTimeoutMs));
  probe.stop();
  QCOMPARE(loaded.count(), 1);
  QCOMPARE(loaded.front().at(0).toBool(), true);
  QVERIFY2(sawFilling, "every page was filled in the same event-loop turn as the load's result");
  QVERIFY(!panel.isLoading());
  QVERIFY(panel.insights() != nullptr);
  QCOMPARE(panel.runDirectory(), run);
  QVERIFY(panel.messageText().isEmpty());
  QTest::qWait(50);
  QCOMPARE(loaded.count(), 1);  // exactly one insightsLoaded
}

void ResponsivenessTest::setInsightsDuringFillingEndsTheLoad() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QString run = dir.filePath(QStringLiteral("run"));
  engine::run(shortRun(run));
  InsightsPanel panel;
  panel.show();
  QSignalSpy loaded(&panel, &InsightsPanel::insightsLoaded);
  bool cleared = false;
  QTimer probe;
  probe.setInterval(0);
  connect(&probe, &QTimer::timeout, this, [&] {
    if (!cleared && panel.insights() != nullptr && panel.isLoading()) {
      panel.setInsights(nullptr);  // what a new run does (MainWindow::runStarted)
      cleared = true;
    }
  });
  probe.start();
  panel.loadRun(run);
  QTRY_VERIFY_WITH_TIMEOUT(cleared, kTimeoutMs);
  probe.stop();
  QVERIFY(!panel.isLoading());
  QVERIFY(panel.insights() == nullptr);
  QTest::qWait(200);
  QCOMPARE(loaded.count(), 0);  // the stopped load reports nothing
  // A later load works as usual.
  panel.loadRun(run);
  QVERIFY(loaded.wait(kTimeoutMs));
  QCOMPARE(loaded.count(), 1);
  QVERIFY(loaded.front().at(0).toBool());
  QVERIFY(!panel.isLoading());
}

QTEST_MAIN(ResponsivenessTest)
#include "test_responsiveness.moc"
