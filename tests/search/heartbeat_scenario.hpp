#pragma once
// A scenario shared by the storages with heartbeats (SQLite in search_tests, PostgreSQL in
// search_postgres_tests).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "automl/search/storage.hpp"

namespace glasswing::search::contract {

// Heartbeats, for the storages that have them (SQLite, PostgreSQL): a forked worker starts a
// trial, records a heartbeat and is killed (SIGKILL) mid-trial. After the grace period
// fail_stale_trials makes its trial FAIL; a RUNNING trial without heartbeats stays RUNNING; the
// search goes on (another worker process adds and finishes trials, numbered after it).
// `open` opens a new connection to the same store (called in the children too).
inline void killed_worker_scenario(const std::function<std::unique_ptr<Storage>()>& open) {
  using namespace std::chrono_literals;
  auto s = open();
  const auto study_id = s->create_new_study({StudyDirection::Minimize}, "hb");
  const auto no_heartbeat = s->create_new_trial(study_id);  // e.g. a worker without heartbeats
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t victim = ::fork();
  ASSERT_GE(victim, 0);
  if (victim == 0) {
    ::close(fds[0]);
    try {
      auto mine = open();
      const auto t = mine->create_new_trial(study_id);
      mine->set_trial_param(t, "x", 1.0, make_float_distribution(-10, 10));
      mine->record_heartbeat(t);
      mine->record_heartbeat(t);  // upsert
      const std::int64_t msg = t;
      if (::write(fds[1], &msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) ::_exit(2);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "victim: %s\n", e.what());
      ::_exit(1);
    }
    for (;;) ::pause();  // mid-trial until killed
  }
  ::close(fds[1]);
  pollfd pfd{fds[0], POLLIN, 0};
  std::int64_t victim_trial = -1;
  const bool ready = ::poll(&pfd, 1, 30000) == 1 && ::read(fds[0], &victim_trial, sizeof victim_trial) ==
                                                        static_cast<ssize_t>(sizeof victim_trial);
  ::close(fds[0]);
  ::kill(victim, SIGKILL);
  int status = 0;
  ::waitpid(victim, &status, 0);
  ASSERT_TRUE(ready) << "the worker did not start its trial within 30 s";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  const auto grace = std::chrono::seconds(2);
  EXPECT_TRUE(s->fail_stale_trials(study_id, grace).empty());  // its heartbeat is fresh
  EXPECT_EQ(s->get_trial(victim_trial).state, TrialState::Running);
  std::this_thread::sleep_for(3200ms);  // > grace, also at the second resolution of SQLite's clock
  EXPECT_EQ(s->fail_stale_trials(study_id, grace), std::vector<std::int64_t>{victim_trial});
  const auto failed = s->get_trial(victim_trial);
  EXPECT_EQ(failed.state, TrialState::Fail);
  EXPECT_TRUE(failed.datetime_complete);
  EXPECT_EQ(failed.params.at("x"), Json(1.0));
  EXPECT_EQ(s->get_trial(no_heartbeat).state, TrialState::Running);  // never failed without heartbeats
  EXPECT_TRUE(s->fail_stale_trials(study_id, grace).empty());        // once only

  // The search goes on: another worker process adds trials.
  const pid_t worker = ::fork();
  ASSERT_GE(worker, 0);
  if (worker == 0) {
    int code = 0;
    try {
      auto mine = open();
      for (int i = 0; i < 3; ++i) {
        const auto t = mine->create_new_trial(study_id);
        mine->record_heartbeat(t);
        mine->set_trial_param(t, "x", static_cast<double>(i), make_float_distribution(-10, 10));
        mine->set_trial_state_values(t, TrialState::Complete, std::vector<double>{static_cast<double>(i)});
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "worker: %s\n", e.what());
      code = 1;
    }
    ::_exit(code);
  }
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (::waitpid(worker, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(worker, SIGKILL);
      ::waitpid(worker, &status, 0);
      FAIL() << "the second worker did not finish in 60 s";
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto trials = s->get_all_trials(study_id);
  ASSERT_EQ(trials.size(), 5u);
  for (std::size_t i = 0; i < trials.size(); ++i) EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
  EXPECT_EQ(s->get_n_trials(study_id, std::vector{TrialState::Complete}), 3);
  EXPECT_EQ(s->get_n_trials(study_id, std::vector{TrialState::Fail}), 1);
  EXPECT_THROW(s->record_heartbeat(987654), Error);
}

// Python Optuna 3.1 (argv: URL): records a heartbeat on a new trial of study "hb-py", waits
// 3.2 s, records one on trial 1 of "hb-ours", runs fail_stale_trials on "hb-ours" (grace 1 s)
// and prints the states of its trials.
inline constexpr const char* kPythonHeartbeatScript = R"PY(
import sys, time, warnings
warnings.simplefilter("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
storage = optuna.storages.RDBStorage(sys.argv[1], heartbeat_interval=1, grace_period=1)
py = optuna.create_study(study_name="hb-py", storage=storage)
trial = py.ask()
storage.record_heartbeat(trial._trial_id)
time.sleep(3.2)
ours = optuna.load_study(study_name="hb-ours", storage=storage)
storage.record_heartbeat(ours.trials[1]._trial_id)  # the second one stays fresh
optuna.storages.fail_stale_trials(ours)
print(",".join(t.state.name for t in ours.trials))
)PY";

}  // namespace glasswing::search::contract
