// GPU check: trains the same MLP (Glasswing's LibTorch backend) on the CPU and on CUDA on the same
// data with a fixed number of epochs (no early stopping, so both do the same work) and prints
// wall time, test R^2 and the device each run actually used.
//
//   mlp_bench <csv> <target column> [max rows (0 = all)] [epochs] [width] [batch]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include "automl/common/error.hpp"
#include "backend/registry.hpp"
#include "tests/backend/shared_data.hpp"

using namespace glasswing::backend;

namespace {

void run(const testing::Split& s, DeviceKind kind, int epochs, int width, int batch) {
  auto t = make_trainer("mlp", {{"max_epochs", epochs},
                                {"early_stopping_rounds", 0},
                                {"width", width},
                                {"batch_size", batch}});
  FitOptions o;
  o.task = Task::Regression;
  o.seed = 1;
  o.device.kind = kind;
  o.device.jobs = static_cast<int>(std::thread::hardware_concurrency());
  const auto train = s.train.view(), eval = s.eval.view();
  try {
    const FitReport r = t->fit(train, &eval, o);
    const auto p = t->predict(s.test.matrix());
    std::printf("%-5s device=%-7s width=%-4d batch=%-5d epochs=%-3d fit_s=%8.2f s_per_epoch=%7.3f test_r2=%.4f  (%s)\n",
                to_string(kind), r.device.c_str(), width, batch, r.rounds, r.seconds, r.seconds / r.rounds,
                testing::r2(p.values, s.test.y), r.device_note.c_str());
  } catch (const glasswing::Error& e) {
    std::printf("%-5s unavailable: %s (exit code %d)\n", to_string(kind), e.what(), glasswing::exit_code(e.kind()));
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <csv> <target> [max_rows] [epochs] [width] [batch]\n", argv[0]);
    return 2;
  }
  const std::size_t rows = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 0;
  const int epochs = argc > 4 ? std::atoi(argv[4]) : 20;
  const int width = argc > 5 ? std::atoi(argv[5]) : 128;
  const int batch = argc > 6 ? std::atoi(argv[6]) : 512;
  try {
    const auto data = testing::load_csv_dense(argv[1], argv[2], false, "", rows);
    const auto split = testing::split(data, 0.2, 0.1, 42);
    const auto support = device_support("mlp");
    std::printf("data: %s, %zu rows x %zu columns (train %zu, eval %zu, test %zu); %s; cpu threads %u\n", argv[1],
                data.rows, data.cols, split.train.rows, split.eval.rows, split.test.rows, support.detail.c_str(),
                std::thread::hardware_concurrency());
    run(split, DeviceKind::Cpu, epochs, width, batch);
    run(split, DeviceKind::Cuda, epochs, width, batch);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlp_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
