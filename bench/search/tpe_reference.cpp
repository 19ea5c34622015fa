// glasswing-tpe-reference: dumps every sampled value (internal form, as exact hex bits) of several
// seeded TPE studies, one line per trial, so that two builds of the sampler can be compared for
// bit-identical samples (`diff` of the two outputs; bench/search/RESULTS.md and docs/SEARCH.md
// say which changes were checked this way).
//
//   glasswing-tpe-reference [--trials 300] [--exact]
//
// --exact: TpeOptions::exact_ranking (every candidate scored by the exact path); the samples must
// be the same as without it.
// Scenarios: univariate floats (sphere), every distribution kind (log/step floats, int with step
// and log, categorical of strings/ints/bools/null) with FAIL and PRUNED trials, a maximised
// study, a conditional space, multivariate, multivariate + group, constant liar with 4 trials
// asked before they are told, two objectives, and non-default options.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "automl/common/error.hpp"
#include "automl/search/in_memory_storage.hpp"
#include "automl/search/study.hpp"

namespace gs = glasswing::search;
using gs::Json;

namespace {

std::string hex(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

void dump(const std::string& scenario, gs::Study& study) {
  for (const auto& t : study.trials()) {
    std::cout << scenario << " " << t.number << " " << gs::to_string(t.state);
    for (const auto& [name, v] : t.params) std::cout << " " << name << "=" << hex(t.internal_param(name));
    std::cout << "\n";
  }
}

gs::Study make(const std::string& name, Json options, bool exact, std::vector<gs::StudyDirection> dirs = {
                                                                       gs::StudyDirection::Minimize}) {
  auto sampler = gs::make_sampler("tpe", options);
  if (exact) dynamic_cast<gs::TpeSampler&>(*sampler).set_exact_ranking(true);
  return gs::Study::create(std::make_shared<gs::InMemoryStorage>(), name, dirs, std::move(sampler));
}

double sphere(gs::Trial& t, int dims, double lo, double hi) {
  double s = 0;
  for (int i = 0; i < dims; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), lo, hi);
    s += x * x;
  }
  return s;
}

// Every distribution kind; some trials FAIL (NaN) or are PRUNED with intermediate values.
double every_kind(gs::Trial& t, bool& prune) {
  const double a = t.suggest_float("a", -3, 3);
  const double lr = t.suggest_float("lr", 1e-5, 1.0, true);
  const double q = t.suggest_float("q", 0, 1, false, 0.125);
  const auto n = t.suggest_int("n", 0, 100, false, 5);
  const auto m = t.suggest_int("m", -4, 4);
  const auto k = t.suggest_int("k", 1, 1000, true);
  const auto c = t.suggest_categorical("c", {"x", "y", "z"}).get<std::string>();
  const auto i = t.suggest_categorical("i", {1, 2, 3}).get<int>();
  const Json b = t.suggest_categorical("b", {true, false, nullptr});
  double v = a * a + std::pow(std::log10(lr) + 3, 2) + (q - 0.5) * (q - 0.5) + std::pow((static_cast<double>(n) - 35) / 10, 2) +
             static_cast<double>(m * m) + std::pow(std::log(static_cast<double>(k)) - 3, 2) + (c == "y" ? 0 : 1) +
             i * 0.3 + (b.is_null() ? 0.5 : b.get<bool>() ? 0.0 : 1.0);
  t.report(v * 2, 0);
  t.report(v * 1.5, 1);
  prune = t.number() % 7 == 3;
  if (t.number() % 11 == 5) return std::nan("");
  return v;
}

// A conditional space: the branch decides which params exist.
double conditional(gs::Trial& t) {
  const auto kind = t.suggest_categorical("kind", {"lin", "tree", "net"}).get<std::string>();
  if (kind == "lin") {
    const double alpha = t.suggest_float("alpha", 1e-4, 10, true);
    return std::pow(std::log10(alpha) + 1, 2);
  }
  if (kind == "tree") {
    const auto depth = t.suggest_int("depth", 2, 12);
    const double eta = t.suggest_float("eta", 0.01, 0.3, true);
    return std::pow(static_cast<double>(depth) - 6, 2) / 10 + std::pow(std::log(eta) + 2.5, 2) + 0.2;
  }
  const auto width = t.suggest_int("width", 16, 512, true);
  const double drop = t.suggest_float("dropout", 0, 0.5, false, 0.05);
  return std::pow(std::log2(static_cast<double>(width)) - 7, 2) / 5 + drop + 0.1;
}

void run_plain(const std::string& name, Json options, bool exact, int trials,
               const std::function<double(gs::Trial&)>& objective) {
  auto study = make(name, std::move(options), exact);
  for (int i = 0; i < trials; ++i) {
    auto t = study.ask();
    study.tell(t, objective(t));
  }
  dump(name, study);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"glasswing-tpe-reference: seeded TPE studies' samples as exact hex, for bit-identity checks"};
  int trials = 300;
  bool exact = false;
  app.add_option("--trials", trials, "trials per scenario (default 300)");
  app.add_flag("--exact", exact, "score every EI candidate exactly (TpeSampler::set_exact_ranking)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    run_plain("sphere10", Json{{"seed", 0}}, exact, trials, [](gs::Trial& t) { return sphere(t, 10, -5.12, 5.12); });
    run_plain("sphere3-wide", Json{{"seed", 7}}, exact, trials, [](gs::Trial& t) { return sphere(t, 3, -1e3, 1e3); });
    {
      auto study = make("every-kind", Json{{"seed", 1}}, exact);
      for (int i = 0; i < trials; ++i) {
        auto t = study.ask();
        bool prune = false;
        const double v = every_kind(t, prune);
        if (prune) study.tell(t, gs::TrialState::Pruned);
        else study.tell(t, v);
      }
      dump("every-kind", study);
    }
    {
      auto study = make("maximize", Json{{"seed", 2}}, exact, {gs::StudyDirection::Maximize});
      for (int i = 0; i < trials; ++i) {
        auto t = study.ask();
        study.tell(t, -sphere(t, 4, -2, 2));
      }
      dump("maximize", study);
    }
    run_plain("conditional", Json{{"seed", 3}}, exact, trials, conditional);
    run_plain("multivariate", Json{{"seed", 4}, {"multivariate", true}}, exact, trials,
              [](gs::Trial& t) {
                bool p = false;
                const double v = every_kind(t, p);
                return std::isnan(v) ? 1e3 : v;
              });
    run_plain("group", Json{{"seed", 5}, {"multivariate", true}, {"group", true}}, exact, trials, conditional);
    run_plain("options", Json{{"seed", 6}, {"consider_endpoints", true}, {"consider_magic_clip", false},
                              {"prior_weight", 2.0}, {"n_ei_candidates", 64}, {"n_startup_trials", 5}},
              exact, trials, [](gs::Trial& t) { return sphere(t, 5, -5, 5); });
    {
      auto study = make("constant-liar", Json{{"seed", 8}, {"constant_liar", true}}, exact);
      for (int i = 0; i < trials; i += 4) {
        std::vector<gs::Trial> batch;
        std::vector<double> values;
        for (int k = 0; k < 4; ++k) {
          batch.push_back(study.ask());
          values.push_back(sphere(batch.back(), 5, -5, 5));
        }
        for (int k = 0; k < 4; ++k) study.tell(batch[static_cast<std::size_t>(k)], values[static_cast<std::size_t>(k)]);
      }
      dump("constant-liar", study);
    }
    {
      auto study = make("two-objectives", Json{{"seed", 9}}, exact,
                        {gs::StudyDirection::Minimize, gs::StudyDirection::Maximize});
      for (int i = 0; i < trials; ++i) {
        auto t = study.ask();
        const double x = t.suggest_float("x", 0, 1);
        const double y = t.suggest_float("y", 0, 1);
        const auto z = t.suggest_int("z", 0, 10);
        study.tell(t, gs::TrialState::Complete, std::vector{x * x + static_cast<double>(z) / 10, y - (1 - x) * (1 - x)});
      }
      dump("two-objectives", study);
    }
  } catch (const glasswing::Error& e) {
    std::cerr << "glasswing-tpe-reference: " << e.what() << "\n";
    return glasswing::exit_code(e.kind());
  }
  return 0;
}
