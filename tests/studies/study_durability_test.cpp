// Durability across a kill (issue 7): a child process appends events from several threads and
// reports each acknowledged event (the call returned) on a pipe; the parent SIGKILLs it mid-stream,
// then checks that every acknowledged event is in the log and that the chain verifies.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "studies/study_log.hpp"
#include "study_test_util.hpp"

namespace gs = glasswing::studies;
using study_test::TempDir;
namespace fs = std::filesystem;

namespace {

struct Ack {
  std::int64_t seq;
  char hash[64];
};

// Child: never returns. Writes one Ack per acknowledged event to `fd` (atomic: < PIPE_BUF).
[[noreturn]] void writer_child(const fs::path& db, int fd, int threads) {
  try {
    gs::StudyLog log(db);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const std::string participant = study_test::numbered("K", t);
        for (int i = 0;; ++i) {
          const auto r = log.record(participant, "panel_interact",
                                    {{"panel", "P1"}, {"control", "slider"}, {"value", i}});
          Ack ack{};
          ack.seq = r.seq;
          std::memcpy(ack.hash, r.hash.data(), std::min<std::size_t>(64, r.hash.size()));
          if (write(fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) _exit(3);
        }
      });
    }
    for (auto& w : workers) w.join();
  } catch (...) {
    _exit(2);
  }
  _exit(0);
}

void run_kill_round(int threads, std::size_t acks_before_kill) {
  TempDir dir;
  const fs::path db = dir / "study.db";
  gs::StudyLog::create(db, gs::load_protocol(study_test::example_protocol_path()));

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    writer_child(db, fds[1], threads);
  }
  close(fds[1]);

  std::vector<Ack> acks;
  auto read_acks = [&](bool until_eof) {
    Ack ack{};
    std::size_t got = 0;
    while (true) {
      if (!until_eof && acks.size() >= acks_before_kill) return;
      const ssize_t n = read(fds[0], reinterpret_cast<char*>(&ack) + got, sizeof ack - got);
      if (n <= 0) return;
      got += static_cast<std::size_t>(n);
      if (got == sizeof ack) {
        acks.push_back(ack);
        got = 0;
      }
    }
  };
  read_acks(false);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself (status " << status << ")";
  read_acks(true);  // acks written before the kill but not read yet
  close(fds[0]);
  ASSERT_GE(acks.size(), acks_before_kill);

  const gs::StudyData data = gs::read_study(db);
  ASSERT_TRUE(data.report.ok) << data.report.problem;
  std::set<std::int64_t> seen;
  for (const Ack& ack : acks) {
    ASSERT_LE(ack.seq, data.report.events) << "acknowledged event " << ack.seq << " is missing";
    const auto& e = data.events[static_cast<std::size_t>(ack.seq - 1)];
    EXPECT_EQ(e.seq, ack.seq);
    EXPECT_EQ(e.hash, std::string(ack.hash, 64)) << "event " << ack.seq << " differs from its receipt";
    seen.insert(ack.seq);
  }
  EXPECT_EQ(seen.size(), acks.size());

  // The log is still usable: a new writer appends onto the recovered chain.
  gs::StudyLog log(db);
  log.record("AFTER", "export", {{"artifact", "log"}});
  const auto r = gs::verify_study(db);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.events, data.report.events + 2);
}

}  // namespace

TEST(study_durability, EveryAcknowledgedEventSurvivesSigkill) {
  run_kill_round(1, 40);
}

TEST(study_durability, EveryAcknowledgedEventSurvivesSigkillWithThreads) {
  for (std::size_t acks : {25u, 60u, 110u}) {
    SCOPED_TRACE(acks);
    run_kill_round(4, acks);
  }
}
