// glasswing-bench-search: times the search core (glasswing::search Study + sampler + storage) on
// the synthetic functions of ../shared/tools/bench_tpe.py, with the same command line and the same
// report, so that both sides can be compared in one run (bench/search/run.sh).
//
//   glasswing-bench-search --function NAME --dims D --trials N --seed S [--storage sqlite:///x.db]
//                          [--sampler tpe|random] [--n-startup-trials 10] [--multivariate] [--out FILE]
//   glasswing-bench-search --list
//
// Each trial is study.ask(), then every parameter suggested in bench_tpe.py's order, the
// objective, then study.tell(trial, value). The storage is wrapped in a forwarding decorator
// that times every call by phase (ask / suggest / tell), so that
//   sampler_self_s       = time inside the suggest calls minus the storage calls made there
//                          (the sampler plus Trial's few bookkeeping steps: an upper bound),
//   storage_in_sampler_s = the history reads (get_all_trials) made while suggesting,
//   sampler_s            = their sum (what bench_tpe.py's sampler_s measures for Optuna).
// Per-trial overhead = ask + suggests + tell (everything but the objective), as bench_tpe.py.
// Exit codes: 0 ok, 2 usage, 3 bad input, 4 storage, 1 internal.

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "automl/common/error.hpp"
#include "glasswing/common/version.hpp"
#include "automl/search/sampler.hpp"
#include "automl/search/storage_registry.hpp"
#include "automl/search/study.hpp"

namespace gs = glasswing::search;
using glasswing::Error;
using glasswing::ErrorKind;
using gs::Json;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
// CPU seconds of this thread (the bench is single-threaded): robust to other load on the machine.
double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// ------------------------------------------------------------------ functions (bench_tpe.py)
constexpr double kStX = -2.903534027771177;  // Styblinski-Tang minimiser
constexpr double kStF = -39.16616570377141;

struct FunctionInfo {
  const char* name;
  double low, high;  // bounds of the x_i (mixed: of its floats)
  int min_dims;
  const char* formula;
};

const std::vector<FunctionInfo>& functions() {
  static const std::vector<FunctionInfo> f = {
      {"sphere", -5.12, 5.12, 1, "sum_i x_i^2"},
      {"rosenbrock", -5.0, 10.0, 2, "sum_{i=0}^{D-2} [100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2]"},
      {"rastrigin", -5.12, 5.12, 1, "10 D + sum_i [x_i^2 - 10 cos(2 pi x_i)]"},
      {"ackley", -32.768, 32.768, 1,
       "-20 exp(-0.2 sqrt(sum_i x_i^2 / D)) - exp(sum_i cos(2 pi x_i) / D) + 20 + e"},
      {"styblinski_tang", -5.0, 5.0, 1, "0.5 sum_i (x_i^4 - 16 x_i^2 + 5 x_i)"},
      {"mixed", -5.12, 5.12, 3,
       "((n - 35) / 10)^2 + (log10(lr) + 3)^2 + offset[c] + sum_i x_i^2, "
       "offset = {'a': 1.0, 'b': 0.5, 'c': 0.0, 'd': 2.0, 'e': 3.0}"},
  };
  return f;
}

const FunctionInfo* find_function(const std::string& name) {
  for (const auto& f : functions()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

double mixed_offset(const std::string& c) {
  static const std::map<std::string, double> offsets = {{"a", 1.0}, {"b", 0.5}, {"c", 0.0}, {"d", 2.0}, {"e", 3.0}};
  return offsets.at(c);
}

double evaluate_x(const std::string& fn, const std::vector<double>& x) {
  const double d = static_cast<double>(x.size());
  double s = 0;
  if (fn == "sphere") {
    for (double v : x) s += v * v;
  } else if (fn == "rosenbrock") {
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
      const double a = x[i + 1] - x[i] * x[i];
      s += 100.0 * a * a + (1.0 - x[i]) * (1.0 - x[i]);
    }
  } else if (fn == "rastrigin") {
    s = 10.0 * d;
    for (double v : x) s += v * v - 10.0 * std::cos(2.0 * std::numbers::pi * v);
  } else if (fn == "ackley") {
    double sq = 0, cs = 0;
    for (double v : x) {
      sq += v * v;
      cs += std::cos(2.0 * std::numbers::pi * v);
    }
    s = -20.0 * std::exp(-0.2 * std::sqrt(sq / d)) - std::exp(cs / d) + 20.0 + std::numbers::e;
  } else if (fn == "styblinski_tang") {
    for (double v : x) s += v * v * v * v - 16.0 * v * v + 5.0 * v;
    s *= 0.5;
  }
  return s;
}

// Suggests every parameter in bench_tpe.py's order and returns the objective value.
double suggest_and_evaluate(gs::Trial& trial, const FunctionInfo& f, int dims, double& objective_s) {
  const std::string fn = f.name;
  if (fn != "mixed") {
    std::vector<double> x(static_cast<std::size_t>(dims));
    for (int i = 0; i < dims; ++i) x[static_cast<std::size_t>(i)] = trial.suggest_float("x" + std::to_string(i), f.low, f.high);
    const auto t0 = Clock::now();
    const double v = evaluate_x(fn, x);
    objective_s = seconds_since(t0);
    return v;
  }
  const auto n = trial.suggest_int("n", 0, 100, false, 5);
  const double lr = trial.suggest_float("lr", 1e-5, 1.0, true);
  const auto c = trial.suggest_categorical("c", {"a", "b", "c", "d", "e"}).get<std::string>();
  std::vector<double> x(static_cast<std::size_t>(dims - 3));
  for (int i = 0; i < dims - 3; ++i) x[static_cast<std::size_t>(i)] = trial.suggest_float("x" + std::to_string(i), f.low, f.high);
  const auto t0 = Clock::now();
  const double a = (static_cast<double>(n) - 35.0) / 10.0;
  const double b = std::log10(lr) + 3.0;
  const double v = a * a + b * b + mixed_offset(c) + evaluate_x("sphere", x);
  objective_s = seconds_since(t0);
  return v;
}

Json list_functions() {
  Json out = Json::object();
  for (const auto& f : functions()) {
    Json j = Json::object();
    const std::string name = f.name;
    if (name == "mixed") {
      j["bounds"] = {{"n", "int [0, 100] step 5"},
                     {"lr", "float [1e-5, 1] log"},
                     {"c", "categorical ['a', 'b', 'c', 'd', 'e']"},
                     {"x0..x{D-4}", "float [-5.12, 5.12]"}};
    } else {
      j["bounds"] = Json::array({f.low, f.high});
    }
    j["min_dims"] = f.min_dims;
    j["formula"] = f.formula;
    if (name == "styblinski_tang") {
      j["optimum"] = "-39.16616570377141 * D at x_i = -2.903534027771177";
    } else if (name == "rosenbrock") {
      j["optimum"] = "0 at x_i = 1";
    } else if (name == "mixed") {
      j["optimum"] = "0 at n = 35, lr = 1e-3, c = 'c', x_i = 0";
    } else {
      j["optimum"] = "0 at x_i = 0";
    }
    out[name] = j;
  }
  (void)kStX;
  (void)kStF;
  return out;
}

// ------------------------------------------------------------------ timed storage decorator
enum class Phase { Other = 0, Ask = 1, Suggest = 2, Tell = 3 };
constexpr int kPhases = 4;

// Forwards every call to the real storage and adds its duration to (phase, method).
class TimedStorage final : public gs::Storage {
 public:
  explicit TimedStorage(std::shared_ptr<gs::Storage> inner) : inner_(std::move(inner)) {}

  Phase phase = Phase::Other;
  struct Stat {
    double s = 0;
    double cpu_s = 0;
    std::int64_t calls = 0;
  };
  std::map<std::string, Stat> by_method[kPhases];

  double total(Phase p, bool cpu = false) const {
    double s = 0;
    for (const auto& [_, st] : by_method[static_cast<int>(p)]) s += cpu ? st.cpu_s : st.s;
    return s;
  }
  double total_all(bool cpu = false) const {
    double s = 0;
    for (int p = 0; p < kPhases; ++p) s += total(static_cast<Phase>(p), cpu);
    return s;
  }

  std::int64_t create_new_study(const std::vector<gs::StudyDirection>& d, const std::string& name) override {
    return timed("create_new_study", [&] { return inner_->create_new_study(d, name); });
  }
  void delete_study(std::int64_t id) override {
    timed("delete_study", [&] { inner_->delete_study(id); });
  }
  void set_study_user_attr(std::int64_t id, const std::string& k, const Json& v) override {
    timed("set_study_user_attr", [&] { inner_->set_study_user_attr(id, k, v); });
  }
  void set_study_system_attr(std::int64_t id, const std::string& k, const Json& v) override {
    timed("set_study_system_attr", [&] { inner_->set_study_system_attr(id, k, v); });
  }
  std::int64_t get_study_id_from_name(const std::string& name) override {
    return timed("get_study_id_from_name", [&] { return inner_->get_study_id_from_name(name); });
  }
  gs::StudyInfo get_study(std::int64_t id) override {
    return timed("get_study", [&] { return inner_->get_study(id); });
  }
  std::vector<gs::StudyInfo> get_all_studies() override {
    return timed("get_all_studies", [&] { return inner_->get_all_studies(); });
  }
  std::int64_t create_new_trial(std::int64_t id, const gs::FrozenTrial* templ) override {
    return timed("create_new_trial", [&] { return inner_->create_new_trial(id, templ); });
  }
  void set_trial_param(std::int64_t id, const std::string& name, double v, const gs::Distribution& d) override {
    timed("set_trial_param", [&] { inner_->set_trial_param(id, name, v, d); });
  }
  bool set_trial_state_values(std::int64_t id, gs::TrialState st, const std::optional<std::vector<double>>& v) override {
    return timed("set_trial_state_values", [&] { return inner_->set_trial_state_values(id, st, v); });
  }
  void set_trial_intermediate_value(std::int64_t id, std::int64_t step, double v) override {
    timed("set_trial_intermediate_value", [&] { inner_->set_trial_intermediate_value(id, step, v); });
  }
  void set_trial_user_attr(std::int64_t id, const std::string& k, const Json& v) override {
    timed("set_trial_user_attr", [&] { inner_->set_trial_user_attr(id, k, v); });
  }
  void set_trial_system_attr(std::int64_t id, const std::string& k, const Json& v) override {
    timed("set_trial_system_attr", [&] { inner_->set_trial_system_attr(id, k, v); });
  }
  gs::FrozenTrial get_trial(std::int64_t id) override {
    return timed("get_trial", [&] { return inner_->get_trial(id); });
  }
  std::vector<gs::FrozenTrial> get_all_trials(std::int64_t id,
                                              const std::optional<std::vector<gs::TrialState>>& states) override {
    return timed("get_all_trials", [&] { return inner_->get_all_trials(id, states); });
  }
  void record_heartbeat(std::int64_t id) override {
    timed("record_heartbeat", [&] { inner_->record_heartbeat(id); });
  }
  std::vector<std::int64_t> fail_stale_trials(std::int64_t id, std::chrono::seconds grace) override {
    return timed("fail_stale_trials", [&] { return inner_->fail_stale_trials(id, grace); });
  }
  std::int64_t get_trial_id_from_study_id_trial_number(std::int64_t id, std::int64_t number) override {
    return timed("get_trial_id_from_study_id_trial_number",
                 [&] { return inner_->get_trial_id_from_study_id_trial_number(id, number); });
  }
  std::int64_t get_n_trials(std::int64_t id, const std::optional<std::vector<gs::TrialState>>& states) override {
    return timed("get_n_trials", [&] { return inner_->get_n_trials(id, states); });
  }
  gs::FrozenTrial get_best_trial(std::int64_t id) override {
    return timed("get_best_trial", [&] { return inner_->get_best_trial(id); });
  }
  void refresh_trials(std::int64_t id, std::vector<gs::FrozenTrial>& trials) override {
    timed("refresh_trials", [&] { inner_->refresh_trials(id, trials); });
  }

 private:
  template <class F>
  auto timed(const char* method, F&& body) -> decltype(body()) {
    struct Add {
      Stat& st;
      Clock::time_point t0 = Clock::now();
      double c0 = thread_cpu_s();
      ~Add() {
        st.cpu_s += thread_cpu_s() - c0;
        st.s += seconds_since(t0);
        ++st.calls;
      }
    } add{by_method[static_cast<int>(phase)][method]};
    return body();
  }

  std::shared_ptr<gs::Storage> inner_;
};

// ------------------------------------------------------------------ report helpers
std::vector<std::int64_t> checkpoints(std::int64_t n) {
  std::vector<std::int64_t> marks = {10, 50};
  for (std::int64_t p = 100; p <= 1000000000; p *= 10) {
    for (std::int64_t m : {1, 2, 5}) marks.push_back(m * p);
  }
  std::vector<std::int64_t> out;
  for (auto k : marks) {
    if (k < n) out.push_back(k);
  }
  out.push_back(n);
  return out;
}

// numpy's default percentile (linear interpolation between closest ranks).
double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

Json method_report(const TimedStorage& st, std::initializer_list<Phase> phases) {
  std::map<std::string, TimedStorage::Stat> sum;
  for (auto p : phases) {
    for (const auto& [name, s] : st.by_method[static_cast<int>(p)]) {
      sum[name].s += s.s;
      sum[name].cpu_s += s.cpu_s;
      sum[name].calls += s.calls;
    }
  }
  Json out = Json::object();
  for (const auto& [name, s] : sum) out[name] = {{"s", s.s}, {"cpu_s", s.cpu_s}, {"calls", s.calls}};
  return out;
}

struct Args {
  std::string function;
  int dims = 10;
  std::int64_t trials = 200;
  std::uint64_t seed = 0;
  std::string storage;
  std::string sampler = "tpe";
  int n_startup_trials = 10;
  bool multivariate = false;
  std::string out;
};

Json run(const Args& a) {
  const FunctionInfo* f = find_function(a.function);
  if (!f) {
    std::string names;
    for (const auto& g : functions()) names += std::string(names.empty() ? "" : ", ") + g.name;
    throw Error(ErrorKind::Usage, "unknown --function '" + a.function + "'; valid: " + names);
  }
  if (a.dims < f->min_dims) {
    throw Error(ErrorKind::Usage, a.function + " needs --dims >= " + std::to_string(f->min_dims));
  }
  if (a.trials < 1) throw Error(ErrorKind::Usage, "--trials must be >= 1");

  Json sampler_options = {{"seed", a.seed}};
  if (a.sampler == "tpe") sampler_options["n_startup_trials"] = a.n_startup_trials;
  if (a.multivariate) sampler_options["multivariate"] = true;  // refused with the valid options if unsupported
  std::shared_ptr<gs::Sampler> sampler = gs::make_sampler(a.sampler, sampler_options);

  const auto t_setup = Clock::now();
  const std::string url = a.storage.empty() ? "memory:" : a.storage;
  auto timed = std::make_shared<TimedStorage>(gs::make_storage(url));
  const std::string study_name = "bench-tpe-" + a.function + "-d" + std::to_string(a.dims) + "-s" + std::to_string(a.seed);
  if (!a.storage.empty()) {
    for (const auto& s : timed->get_all_studies()) {
      if (s.name == study_name) timed->delete_study(s.study_id);
    }
  }
  gs::Study study = gs::Study::create(timed, study_name, {gs::StudyDirection::Minimize}, sampler);
  const double setup_s = seconds_since(t_setup);
  for (auto& m : timed->by_method) m.clear();

  std::vector<double> overhead_ms, trace;
  overhead_ms.reserve(static_cast<std::size_t>(a.trials));
  double objective_s = 0, suggest_s = 0, suggest_cpu_s = 0, best = INFINITY;
  const auto t_loop = Clock::now();
  const double c_loop = thread_cpu_s();
  for (std::int64_t i = 0; i < a.trials; ++i) {
    const auto t0 = Clock::now();
    timed->phase = Phase::Ask;
    gs::Trial trial = study.ask();
    timed->phase = Phase::Suggest;
    const auto ts = Clock::now();
    const double cs = thread_cpu_s();
    double obj = 0;
    const double value = suggest_and_evaluate(trial, *f, a.dims, obj);
    const double suggest_and_obj = seconds_since(ts);
    suggest_cpu_s += thread_cpu_s() - cs - obj;  // the objective's microseconds, by wall clock
    suggest_s += suggest_and_obj - obj;
    timed->phase = Phase::Tell;
    study.tell(trial, value);
    const auto t3 = Clock::now();
    timed->phase = Phase::Other;
    overhead_ms.push_back((std::chrono::duration<double>(t3 - t0).count() - obj) * 1e3);
    objective_s += obj;
    best = std::min(best, value);
    trace.push_back(best);
  }
  const double loop_s = seconds_since(t_loop);
  const double loop_cpu_s = thread_cpu_s() - c_loop;

  // The storage calls made while suggesting: the sampler's history read (get_all_trials), and
  // set_trial_param, which Optuna's Trial makes outside the sampler too.
  // (get_all_trials, or refresh_trials where the study keeps its history between trials).
  double history_s = 0;
  double suggest_storage_s = timed->total(Phase::Suggest);
  double history_cpu_s = 0;
  for (const char* method : {"get_all_trials", "refresh_trials"}) {
    if (const auto it = timed->by_method[static_cast<int>(Phase::Suggest)].find(method);
        it != timed->by_method[static_cast<int>(Phase::Suggest)].end()) {
      history_s += it->second.s;
      history_cpu_s += it->second.cpu_s;
    }
  }
  const double sampler_self_s = suggest_s - suggest_storage_s;
  const double storage_s = timed->total_all();
  const double sampler_self_cpu_s = suggest_cpu_s - timed->total(Phase::Suggest, true);

  const auto marks = checkpoints(a.trials);
  Json blocks = Json::object();
  std::size_t lo = 0;
  for (auto hi : marks) {
    std::vector<double> part(overhead_ms.begin() + static_cast<std::ptrdiff_t>(lo),
                             overhead_ms.begin() + static_cast<std::ptrdiff_t>(hi));
    blocks[std::to_string(lo + 1) + "-" + std::to_string(hi)] = percentile(part, 50);
    lo = static_cast<std::size_t>(hi);
  }
  double mean = 0;
  for (double v : overhead_ms) mean += v;
  mean /= static_cast<double>(overhead_ms.size());
  Json after = Json::object();
  for (auto k : marks) after[std::to_string(k)] = trace[static_cast<std::size_t>(k - 1)];

  timed->phase = Phase::Other;
  const gs::FrozenTrial bt = study.best_trial();
  Json best_params = Json::object();
  for (const auto& [k, v] : bt.params) best_params[k] = v;

  Json out = Json::object();
  out["function"] = a.function;
  out["dims"] = a.dims;
  out["trials"] = a.trials;
  out["seed"] = a.seed;
  out["storage"] = a.storage.empty() ? "inmemory" : "sqlite";
  out["sampler"] = {{"name", a.sampler}, {"options", sampler_options}, {"other_args", "glasswing defaults"}};
  out["setup_s"] = setup_s;
  out["total_wall_s"] = loop_s;
  out["objective_s"] = objective_s;
  out["sampler_s"] = sampler_self_s + history_s;
  out["sampler_self_s"] = sampler_self_s;
  out["storage_s"] = storage_s;
  out["storage_in_sampler_s"] = history_s;
  out["storage_by_phase_s"] = {{"ask", timed->total(Phase::Ask)},
                               {"suggest", suggest_storage_s},
                               {"tell", timed->total(Phase::Tell)}};
  out["storage_calls"] = method_report(*timed, {Phase::Ask, Phase::Suggest, Phase::Tell});
  // The same in CPU seconds of this thread (not in bench_tpe.py): less sensitive to other load.
  out["cpu"] = {{"total_s", loop_cpu_s},
                {"sampler_s", sampler_self_cpu_s + history_cpu_s},
                {"sampler_self_s", sampler_self_cpu_s},
                {"storage_s", timed->total_all(true)},
                {"storage_in_sampler_s", history_cpu_s}};
  out["per_trial_overhead_ms"] = {{"median", percentile(overhead_ms, 50)},
                                  {"mean", mean},
                                  {"p90", percentile(overhead_ms, 90)},
                                  {"max", *std::max_element(overhead_ms.begin(), overhead_ms.end())},
                                  {"median_by_trial_block", blocks}};
  out["best_value"] = bt.values ? Json(bt.values->front()) : Json(nullptr);
  out["best_trial"] = bt.number;
  out["best_params"] = best_params;
  out["best_value_after"] = after;
  out["versions"] = {{"glasswing", glasswing::kVersion}};
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"glasswing-bench-search: the search core on bench_tpe.py's synthetic functions (all minimized)"};
  Args a;
  bool list = false;
  app.add_flag("--list", list, "print the function definitions and exit");
  app.add_option("--function", a.function, "sphere, rosenbrock, rastrigin, ackley, styblinski_tang or mixed");
  app.add_option("--dims", a.dims, "dimensions (default 10)");
  app.add_option("--trials", a.trials, "trials (default 200)");
  app.add_option("--seed", a.seed, "sampler seed (default 0)");
  app.add_option("--storage", a.storage, "storage URL, e.g. sqlite:///bench.db (default: in-memory)");
  app.add_option("--sampler", a.sampler, "tpe (default) or random");
  app.add_option("--n-startup-trials", a.n_startup_trials, "TPE start-up trials (default 10)");
  app.add_flag("--multivariate", a.multivariate, "multivariate TPE (when the sampler supports it)");
  app.add_option("--out", a.out, "also write the JSON to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    Json result;
    if (list) {
      result = list_functions();
    } else {
      if (a.function.empty()) throw Error(ErrorKind::Usage, "--function is required (or --list)");
      result = run(a);
    }
    const std::string text = result.dump(2);
    std::cout << text << "\n";
    if (!a.out.empty()) {
      std::ofstream file(a.out);
      file << text << "\n";
      if (!file) throw Error(ErrorKind::BadInput, "cannot write --out file '" + a.out + "'; check the folder exists");
    }
  } catch (const Error& e) {
    std::cerr << "glasswing-bench-search: " << e.what() << "\n";
    return glasswing::exit_code(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "glasswing-bench-search: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
