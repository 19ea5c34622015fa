// train_bench: one timed training run through Glasswing's Trainer (backend/), for comparison with
// bench/train/peer_train.py (Python xgboost / torch on the same data and parameters, same threads).
//
//   train_bench xgboost <csv> <target> <regression|binary> --out PREFIX [--positive LABEL]
//               [--threads 2] [--rounds 200] [--max-depth 6] [--eta 0.1] [--max-bin 256] [--seed 0]
//   train_bench mlp <csv> <target> regression --out PREFIX [--threads 2] [--epochs 6]
//               [--width 128] [--depth 2] [--batch 512] [--eval-every 10] [--seed 0]
//
// Encoding (peer_train.py reproduces it and checks it against PREFIX.x.f32): columns read by
// glasswing::data::read_csv; numeric columns as float32 (missing = NaN), dictionary columns as
// their code in the byte-wise sorted list of categories (missing = NaN). Binary target: 1 where the
// cell equals --positive, else 0. Rows stay in file order; the MLP's evaluation set is every
// eval-every-th row (rows 10, 20, ... of the data), the training set the others.
//
// Writes PREFIX.x.f32 / PREFIX.y.f32 (the encoded matrix, row-major, little-endian float32),
// PREFIX.model (the saved model), PREFIX.pred.f32 (predictions on all rows: regression the value,
// binary P(class 1); float32 bits as computed) and prints one JSON object: fit seconds (the whole
// fit() call: DMatrix / tensor creation included) and, for the MLP, the wall time of every epoch
// (training pass + the per-epoch evaluation the trainer always does).

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "backend/registry.hpp"

using namespace glasswing;
using namespace glasswing::backend;

namespace {

struct Encoded {
  std::size_t rows = 0, cols = 0;
  std::vector<float> x, y;
  std::vector<std::string> features;
};

Encoded encode(const std::string& path, const std::string& target, bool binary, const std::string& positive) {
  data::CsvOptions options;
  options.threads = 1;
  const data::Table table = data::read_csv(path, options);
  const auto t = table.index_of(target);
  if (!t) throw std::runtime_error("no column '" + target + "' in " + path);
  Encoded e;
  e.rows = table.rows();
  std::vector<std::vector<float>> columns;
  for (std::size_t c = 0; c < table.column_count(); ++c) {
    if (c == *t) continue;
    const data::Column& col = table.column(c);
    std::vector<float> v(e.rows);
    if (col.is_numeric()) {
      for (std::size_t r = 0; r < e.rows; ++r) v[r] = static_cast<float>(col.values()[r]);
    } else {
      std::vector<std::string> sorted = col.categories();
      std::sort(sorted.begin(), sorted.end());
      std::vector<float> rank(col.categories().size());
      for (std::size_t k = 0; k < rank.size(); ++k)
        rank[k] = static_cast<float>(std::lower_bound(sorted.begin(), sorted.end(), col.categories()[k]) - sorted.begin());
      for (std::size_t r = 0; r < e.rows; ++r) {
        const std::int32_t code = col.codes()[r];
        v[r] = code < 0 ? std::nanf("") : rank[static_cast<std::size_t>(code)];
      }
    }
    columns.push_back(std::move(v));
    e.features.push_back(col.name());
  }
  e.cols = columns.size();
  e.x.resize(e.rows * e.cols);
  for (std::size_t r = 0; r < e.rows; ++r)
    for (std::size_t c = 0; c < e.cols; ++c) e.x[r * e.cols + c] = columns[c][r];
  const data::Column& y = table.column(*t);
  e.y.resize(e.rows);
  for (std::size_t r = 0; r < e.rows; ++r) {
    if (binary) {
      if (y.is_missing(r)) throw std::runtime_error("missing target in row " + std::to_string(r + 2));
      e.y[r] = y.cell_text(r) == positive ? 1.0f : 0.0f;
    } else {
      if (!y.is_numeric()) throw std::runtime_error("regression target '" + target + "' is not numeric");
      e.y[r] = static_cast<float>(y.values()[r]);
    }
  }
  return e;
}

void write_f32(const std::string& path, const std::vector<float>& v) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  if (!out) throw std::runtime_error("cannot write " + path);
}

// User + system CPU seconds of this process so far (all threads).
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: train_bench xgboost|mlp <csv> <target> regression|binary --out PREFIX [options]\n"
                 "       (see the comment at the top of bench/train/train_bench.cpp)\n");
    return 2;
  }
  const std::string trainer = argv[1], csv = argv[2], target = argv[3], task_name = argv[4];
  std::map<std::string, std::string> opt{{"--threads", "2"},    {"--rounds", "200"}, {"--max-depth", "6"},
                                         {"--eta", "0.1"},      {"--max-bin", "256"}, {"--seed", "0"},
                                         {"--epochs", "6"},     {"--width", "128"},   {"--depth", "2"},
                                         {"--batch", "512"},    {"--eval-every", "10"}, {"--positive", ""},
                                         {"--out", ""},         {"--dump-data", "1"}};
  for (int i = 5; i + 1 < argc; i += 2) {
    if (!opt.count(argv[i])) {
      std::fprintf(stderr, "train_bench: unknown option %s\n", argv[i]);
      return 2;
    }
    opt[argv[i]] = argv[i + 1];
  }
  const std::string prefix = opt["--out"];
  if (prefix.empty() || (trainer != "xgboost" && trainer != "mlp") ||
      (task_name != "regression" && task_name != "binary")) {
    std::fprintf(stderr, "train_bench: need xgboost|mlp, regression|binary and --out PREFIX\n");
    return 2;
  }
  const bool binary = task_name == "binary";
  const int threads = std::atoi(opt["--threads"].c_str());
  try {
    const Encoded d = encode(csv, target, binary, opt["--positive"]);
    if (opt["--dump-data"] == "1") {
      write_f32(prefix + ".x.f32", d.x);
      write_f32(prefix + ".y.f32", d.y);
    }
    FitOptions fo;
    fo.task = binary ? Task::Binary : Task::Regression;
    fo.seed = std::strtoull(opt["--seed"].c_str(), nullptr, 10);
    fo.device.kind = DeviceKind::Cpu;
    fo.device.jobs = threads;
    nlohmann::json out;
    out["side"] = "glasswing";
    out["trainer"] = trainer;
    out["data"] = csv;
    out["task"] = task_name;
    out["rows"] = d.rows;
    out["cols"] = d.cols;
    out["features"] = d.features;
    out["threads"] = threads;

    const DataView all{{d.x.data(), d.rows, d.cols}, d.y, {}};
    std::unique_ptr<Trainer> t;
    FitReport report;
    const double cpu0 = cpu_seconds();
    if (trainer == "xgboost") {
      const Params p{{"n_estimators", std::atof(opt["--rounds"].c_str())},
                     {"learning_rate", std::atof(opt["--eta"].c_str())},
                     {"max_depth", std::atof(opt["--max-depth"].c_str())},
                     {"max_bin", std::atof(opt["--max-bin"].c_str())},
                     {"early_stopping_rounds", 0}};
      t = make_trainer("xgboost", p);
      out["params"] = p;
      // No on_round callback and no evaluation set: the plainest fit the backend offers.
      report = t->fit(all, nullptr, fo);
    } else {
      const Params p{{"max_epochs", std::atof(opt["--epochs"].c_str())},
                     {"width", std::atof(opt["--width"].c_str())},
                     {"depth", std::atof(opt["--depth"].c_str())},
                     {"batch_size", std::atof(opt["--batch"].c_str())},
                     {"early_stopping_rounds", 0}};
      t = make_trainer("mlp", p);
      out["params"] = p;
      // Every eval-every-th row (1-based: rows 10, 20, ...) is the evaluation set, the rest trains.
      const std::size_t every = std::strtoul(opt["--eval-every"].c_str(), nullptr, 10);
      std::vector<float> tx, ty, ex, ey;
      for (std::size_t r = 0; r < d.rows; ++r) {
        const bool is_eval = every > 0 && r % every == every - 1;
        auto& xs = is_eval ? ex : tx;
        xs.insert(xs.end(), d.x.begin() + static_cast<std::ptrdiff_t>(r * d.cols),
                  d.x.begin() + static_cast<std::ptrdiff_t>((r + 1) * d.cols));
        (is_eval ? ey : ty).push_back(d.y[r]);
      }
      const std::size_t n_train = ty.size(), n_eval = ey.size();
      const DataView train{{tx.data(), n_train, d.cols}, ty, {}};
      const DataView eval{{ex.data(), n_eval, d.cols}, ey, {}};
      out["train_rows"] = n_train;
      out["eval_rows"] = n_eval;
      std::vector<double> stamps, cpu_stamps;
      std::vector<double> eval_rmse;
      const auto t0 = std::chrono::steady_clock::now();
      fo.on_round = [&](const RoundInfo& info) {
        stamps.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        cpu_stamps.push_back(cpu_seconds());
        eval_rmse.push_back(info.eval_value);
        return true;
      };
      report = t->fit(train, &eval, fo);
      std::vector<double> epochs, epochs_cpu;
      for (std::size_t i = 1; i < stamps.size(); ++i) {
        epochs.push_back(stamps[i] - stamps[i - 1]);
        epochs_cpu.push_back(cpu_stamps[i] - cpu_stamps[i - 1]);
      }
      out["epoch_cpu_s"] = epochs_cpu;
      out["epoch_cpu_s_median"] = median(epochs_cpu);
      out["first_epoch_s"] = stamps.empty() ? 0.0 : stamps[0];  // includes set-up (scaling, tensors)
      out["epoch_s"] = epochs;                                   // epochs 2..n
      out["epoch_s_median"] = median(epochs);
      out["eval_rmse"] = eval_rmse;
    }
    out["fit_cpu_s"] = cpu_seconds() - cpu0;
    out["fit_s"] = report.seconds;
    out["rounds"] = report.rounds;
    out["device"] = report.device;
    out["backend"] = device_support(trainer).detail;

    t->save(prefix + ".model");
    const Prediction pred = t->predict({d.x.data(), d.rows, d.cols});
    std::vector<float> col(pred.rows);
    for (std::size_t r = 0; r < pred.rows; ++r) col[r] = pred.at(r, pred.cols - 1);  // value or P(1)
    write_f32(prefix + ".pred.f32", col);
    out["model"] = prefix + ".model";
    out["predictions"] = prefix + ".pred.f32";
    std::printf("%s\n", out.dump(1).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
