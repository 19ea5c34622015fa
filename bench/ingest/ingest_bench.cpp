// ingest_bench: times glasswing::data::read_csv on one file, the way ../shared/tools/bench_csv.py
// times pandas.read_csv, so the two can be compared in one run.
//
//   ingest_bench FILE.csv [--repeat 3] [--threads 0]
//
// Prints JSON: median wall seconds over the repeats, MB/s, rows/s, and the peak RSS
// (getrusage ru_maxrss) before the first read and after the last, as bench_csv.py reports.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"

namespace {
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ingest_bench FILE.csv [--repeat N] [--threads N]\n");
    return 2;
  }
  const std::string file = argv[1];
  int repeat = 3;
  unsigned threads = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--repeat") repeat = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--threads") threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
  }
  const double rss_before = peak_rss_mib();
  std::vector<double> seconds;
  glasswing::data::CsvInfo info;
  std::size_t rows = 0, cols = 0;
  try {
    glasswing::data::CsvOptions options;
    options.threads = threads;
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      glasswing::data::Table table = glasswing::data::read_csv(file, options, &info);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      rows = table.rows();
      cols = table.column_count();
    }  // each table is freed before the next read, so the peak covers a single read
  } catch (const glasswing::Error& e) {
    std::fprintf(stderr, "ingest_bench: %s\n", e.what());
    return 3;
  }
  const double peak = peak_rss_mib();
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  const double bytes = static_cast<double>(info.bytes);
  std::printf("{\n  \"file\": \"%s\",\n  \"bytes\": %.0f,\n  \"rows\": %zu,\n  \"cols\": %zu,\n  \"repeat\": %d,\n"
              "  \"threads\": %u,\n  \"seconds_median\": %.6f,\n  \"seconds_all\": [",
              std::filesystem::path(file).filename().c_str(), bytes, rows, cols, repeat, info.threads_used, median);
  for (std::size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.6f", i ? ", " : "", seconds[i]);
  std::printf("],\n  \"mb_per_s\": %.3f,\n  \"rows_per_s\": %.1f,\n  \"rss_before_read_mib\": %.3f,\n"
              "  \"peak_rss_mib\": %.3f,\n  \"peak_rss_delta_mib\": %.3f\n}\n",
              bytes / 1e6 / median, static_cast<double>(rows) / median, rss_before, peak, peak - rss_before);
  return 0;
}
