// Heartbeats inside Study::optimize: a worker process running optimize with a heartbeat is
// killed (SIGKILL) mid-trial; its heartbeat thread had kept the trial fresh; the next optimize
// over the same SQLite file fails the stale trial and goes on (integrity_check ok). A live
// long trial is never failed by another worker; stopping the thread is prompt; bad options.
// Timing margins hold on a loaded 2-core machine: beats every 1 s, staleness at >= 3 s.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "automl/search/in_memory_storage.hpp"
#include "automl/search/sqlite_storage.hpp"
#include "automl/search/study.hpp"
#include "search_test_util.hpp"

namespace glasswing::search {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

std::string heartbeat_of(const std::filesystem::path& db, std::int64_t trial_id) {
  return testing::sql(db, "SELECT heartbeat FROM trial_heartbeats WHERE trial_id=" + std::to_string(trial_id));
}

TEST(SearchStudyHeartbeat, KilledWorkerTrialIsFailedByTheNextOptimize) {
  TempDir dir;
  const auto db = dir / "hb.db";
  {
    auto study = Study::create(std::make_shared<SqliteStorage>(db), "hb", {StudyDirection::Minimize},
                               make_sampler("random", Json{{"seed", 1}}));
    OptimizeOptions o;
    o.n_trials = 2;
    o.heartbeat_interval = 1s;
    study.optimize([](Trial& t) { return t.suggest_float("x", -1, 1); }, o);
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t victim = ::fork();
  ASSERT_GE(victim, 0);
  if (victim == 0) {  // a worker process: optimize with heartbeats, stuck inside its trial
    ::close(fds[0]);
    try {
      auto study = Study::load(std::make_shared<SqliteStorage>(db), "hb", make_sampler("random", Json{{"seed", 2}}));
      OptimizeOptions o;
      o.n_trials = 1;
      o.heartbeat_interval = 1s;
      study.optimize(
          [&](Trial& t) -> double {
            t.suggest_float("x", -1, 1);
            t.report(0.5, 0);
            const std::int64_t id = t.trial_id();
            if (::write(fds[1], &id, sizeof id) != static_cast<ssize_t>(sizeof id)) ::_exit(2);
            for (;;) ::pause();  // mid-trial until killed
          },
          o);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "victim: %s\n", e.what());
    }
    ::_exit(1);
  }
  ::close(fds[1]);
  pollfd pfd{fds[0], POLLIN, 0};
  std::int64_t victim_trial = -1;
  const bool ready = ::poll(&pfd, 1, 30000) == 1 &&
                     ::read(fds[0], &victim_trial, sizeof victim_trial) == static_cast<ssize_t>(sizeof victim_trial);
  ::close(fds[0]);
  // The worker's heartbeat thread renews the heartbeat while the objective runs.
  const auto first = ready ? heartbeat_of(db, victim_trial) : std::string();
  bool renewed = false;
  for (const auto until = std::chrono::steady_clock::now() + 10s; ready && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(100ms);
    if (heartbeat_of(db, victim_trial) != first) {
      renewed = true;
      break;
    }
  }
  ::kill(victim, SIGKILL);
  int status = 0;
  ::waitpid(victim, &status, 0);
  ASSERT_TRUE(ready) << "the worker did not start its trial within 30 s";
  EXPECT_NE(first, "");
  EXPECT_TRUE(renewed) << "the heartbeat stayed at " << first;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  auto storage = std::make_shared<SqliteStorage>(db);
  EXPECT_EQ(storage->get_trial(victim_trial).state, TrialState::Running);
  std::this_thread::sleep_for(2100ms);  // > grace 1 s, also at the whole-second resolution of SQLite's clock
  auto study = Study::load(storage, "hb", make_sampler("random", Json{{"seed", 3}}));
  OptimizeOptions o;
  o.n_trials = 3;
  o.heartbeat_interval = 1s;
  o.grace_period = 1s;
  const auto rep = study.optimize([](Trial& t) { return t.suggest_float("x", -1, 1); }, o);
  EXPECT_EQ(rep.n_stale_failed, 1);
  EXPECT_EQ(rep.n_complete, 3);
  const auto failed = storage->get_trial(victim_trial);
  EXPECT_EQ(failed.state, TrialState::Fail);
  EXPECT_TRUE(failed.datetime_complete);
  EXPECT_EQ(failed.intermediate_values.at(0), 0.5);
  const auto trials = study.trials();
  ASSERT_EQ(trials.size(), 6u);
  for (std::size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
    EXPECT_EQ(trials[i].state, i == 2 ? TrialState::Fail : TrialState::Complete) << i;
  }
  // Every trial run with heartbeats has its row (Optuna's table), the killed one included.
  EXPECT_EQ(testing::sql(db, "SELECT COUNT(*) FROM trial_heartbeats"), "6\n");
  EXPECT_EQ(testing::sql(db, "PRAGMA integrity_check"), "ok\n");
}

TEST(SearchStudyHeartbeat, LiveLongTrialIsNotFailedByAnotherWorker) {
  TempDir dir;
  const auto db = dir / "live.db";
  auto study = Study::create(std::make_shared<SqliteStorage>(db), "live", {StudyDirection::Minimize},
                             make_sampler("random", Json{{"seed", 1}}));
  OptimizeOptions o;
  o.n_jobs = 2;
  o.heartbeat_interval = 1s;
  o.grace_period = 3s;  // without the thread trial 0's heartbeat would be >= 4 s old at its end
  std::atomic<bool> long_done{false};
  std::atomic<int> short_trials{0};
  o.n_trials = 200;
  o.cancel = nullptr;
  const auto start = std::chrono::steady_clock::now();
  CancelToken stop;
  o.cancel = &stop;
  const auto rep = study.optimize(
      [&](Trial& t) {
        if (t.number() == 0) {
          std::this_thread::sleep_for(4500ms);
          long_done = true;
          stop.cancel();
        } else {
          ++short_trials;  // each new trial of the other worker first runs fail_stale_trials
          std::this_thread::sleep_for(100ms);
        }
        return t.suggest_float("x", -1, 1);
      },
      o);
  EXPECT_TRUE(long_done);
  EXPECT_GE(short_trials.load(), 15);
  EXPECT_EQ(rep.n_stale_failed, 0);
  EXPECT_EQ(rep.n_failed, 0);
  EXPECT_EQ(study.trials().front().state, TrialState::Complete);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 12s);
}

TEST(SearchStudyHeartbeat, StopsPromptlyAlsoOnExceptionsAndIgnoresMemoryStorage) {
  TempDir dir;
  for (const bool sqlite : {true, false}) {
    std::shared_ptr<Storage> storage;
    if (sqlite) storage = std::make_shared<SqliteStorage>(dir / "prompt.db");
    else storage = std::make_shared<InMemoryStorage>();
    auto study = Study::create(storage, "prompt", {StudyDirection::Minimize}, make_sampler("random"));
    OptimizeOptions o;
    o.n_trials = 6;
    o.heartbeat_interval = std::chrono::hours(1);  // a sleeping thread would hold each trial for an hour
    const auto start = std::chrono::steady_clock::now();
    const auto rep = study.optimize(
        [](Trial& t) -> double {
          if (t.number() % 2) throw std::runtime_error("deliberate");
          return 1.0;
        },
        o);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_EQ(rep.n_complete, 3);
    EXPECT_EQ(rep.n_failed, 3);
    if (sqlite) {
      EXPECT_EQ(testing::sql(dir / "prompt.db", "SELECT COUNT(*) FROM trial_heartbeats"), "6\n");
    }
  }
}

TEST(SearchStudyHeartbeat, BadOptionsAreUsageErrors) {
  auto study = Study::create(std::make_shared<InMemoryStorage>(), "bad", {StudyDirection::Minimize}, make_sampler("random"));
  auto message = [&](const OptimizeOptions& o) {
    try {
      study.optimize([](Trial&) { return 1.0; }, o);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  OptimizeOptions o;
  o.n_trials = 1;
  o.heartbeat_interval = 0s;
  EXPECT_NE(message(o).find("heartbeat_interval must be >= 1 s, got 0 s"), std::string::npos) << message(o);
  o.heartbeat_interval.reset();
  o.grace_period = 5s;
  EXPECT_NE(message(o).find("grace_period needs heartbeat_interval"), std::string::npos) << message(o);
  o.heartbeat_interval = 1s;
  o.grace_period = -1s;
  EXPECT_NE(message(o).find("grace_period must be >= 1 s"), std::string::npos) << message(o);
  EXPECT_TRUE(study.trials().empty());  // nothing ran
}

}  // namespace
}  // namespace glasswing::search
