// glasswing-tpe-proposal: exposes Glasswing's TPE to bench/search/tpe_conformance.py, which
// compares it with Optuna 3.1 patched to behave as Optuna 4.x (optuna_tpe_variants.py):
//
//   glasswing-tpe-proposal density --in CASES.json
//     Per case {"dist": Optuna distribution JSON text, "obs": [internal values], "points": [...]}:
//     the univariate Parzen estimator of those observations (detail::build_parzen_estimator with
//     the default TpeOptions) as {"weights", "mus", "sigmas", "probs", "log_pdf": at the points}.
//   glasswing-tpe-proposal propose --history H.json --param NAME --samples N [--seed0 S] [--shared]
//     H.json: {"dists": [[name, distribution JSON text], ...] (suggest order),
//              "trials": [{"params": {name: internal value}, "value": v}, ...]}.
//     Loads the trials into an in-memory study (enqueued, then told COMPLETE), then asks N more
//     trials, suggests every param (NAME's value is the sample) and tells each FAIL (TPE ignores
//     FAIL trials, so every sample sees the same history): a fresh TPE sampler seeded S+i per
//     sample, or (--shared) one sampler seeded S for all, which also exercises the sampler's
//     caches across history snapshots. Prints {"samples": [internal values]}.
// Exit codes: 0 ok, 2 usage, 3 bad input, 1 internal.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "automl/common/error.hpp"
#include "automl/search/in_memory_storage.hpp"
#include "automl/search/sampler.hpp"
#include "automl/search/study.hpp"

namespace gs = glasswing::search;
using glasswing::Error;
using glasswing::ErrorKind;
using gs::Json;

namespace {

Json read_json(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::BadInput, std::string("cannot read ") + what + " '" + path + "'; check the path");
  try {
    return Json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
  } catch (const Json::exception& e) {
    throw Error(ErrorKind::BadInput, std::string(what) + " '" + path + "' is not valid JSON: " + e.what());
  }
}

Json density(const Json& cases) {
  Json out = Json::array();
  const gs::TpeOptions options;
  for (const auto& c : cases.at("cases")) {
    const auto d = gs::distribution_from_json(c.at("dist").get<std::string>());
    const auto obs = c.at("obs").get<std::vector<double>>();
    const auto pe = gs::detail::build_parzen_estimator(d, obs, options);
    Json r{{"weights", pe.weights}, {"mus", pe.mus}, {"sigmas", pe.sigmas}, {"probs", pe.probs}};
    Json lp = Json::array();
    for (double x : c.at("points").get<std::vector<double>>()) lp.push_back(gs::detail::parzen_log_pdf(pe, d, x));
    r["log_pdf"] = std::move(lp);
    out.push_back(std::move(r));
  }
  return Json{{"cases", out}};
}

// Suggests `d` under `name` and returns the internal value.
double suggest(gs::Trial& t, const std::string& name, const gs::Distribution& d) {
  Json v;
  if (const auto* f = std::get_if<gs::FloatDistribution>(&d)) {
    v = t.suggest_float(name, f->low, f->high, f->log, f->step);
  } else if (const auto* i = std::get_if<gs::IntDistribution>(&d)) {
    v = t.suggest_int(name, i->low, i->high, i->log, i->step);
  } else {
    v = t.suggest_categorical(name, std::get<gs::CategoricalDistribution>(d).choices);
  }
  return gs::to_internal(d, v);
}

Json propose(const Json& history, const std::string& param, int samples, std::uint64_t seed0, bool shared) {
  std::vector<std::pair<std::string, gs::Distribution>> dists;
  bool found = false;
  for (const auto& e : history.at("dists")) {
    dists.emplace_back(e.at(0).get<std::string>(), gs::distribution_from_json(e.at(1).get<std::string>()));
    found = found || dists.back().first == param;
  }
  if (!found) throw Error(ErrorKind::Usage, "--param '" + param + "' is not among the history's dists");
  auto storage = std::make_shared<gs::InMemoryStorage>();
  {
    auto study = gs::Study::create(storage, "history", {gs::StudyDirection::Minimize}, gs::make_sampler("random"));
    for (const auto& t : history.at("trials")) {
      std::map<std::string, Json> params;
      for (const auto& [name, d] : dists) params[name] = gs::to_external(d, t.at("params").at(name).get<double>());
      study.enqueue_trial(params);
      auto trial = study.ask();
      for (const auto& [name, d] : dists) suggest(trial, name, d);
      study.tell(trial, t.at("value").get<double>());
    }
  }
  Json out = Json::array();
  std::shared_ptr<gs::Sampler> sampler;
  if (shared) sampler = gs::make_sampler("tpe", Json{{"seed", seed0}});
  for (int i = 0; i < samples; ++i) {
    if (!shared) sampler = gs::make_sampler("tpe", Json{{"seed", seed0 + static_cast<std::uint64_t>(i)}});
    auto study = gs::Study::load(storage, "history", sampler);
    auto trial = study.ask();
    double value = 0;
    for (const auto& [name, d] : dists) {
      const double v = suggest(trial, name, d);
      if (name == param) value = v;
    }
    study.tell(trial, gs::TrialState::Fail);
    out.push_back(value);
  }
  return Json{{"samples", out}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"glasswing-tpe-proposal: Glasswing's TPE estimator and proposals for bench/search/tpe_conformance.py"};
  app.require_subcommand(1);
  std::string in, history, param;
  int samples = 1000;
  std::uint64_t seed0 = 0;
  bool shared = false;
  auto* dens = app.add_subcommand("density", "Parzen estimators and log densities of given observations");
  dens->add_option("--in", in, "cases JSON")->required();
  auto* prop = app.add_subcommand("propose", "TPE's next value of one param given a history, many seeds");
  prop->add_option("--history", history, "history JSON")->required();
  prop->add_option("--param", param, "the param whose samples are printed")->required();
  prop->add_option("--samples", samples, "number of samples (default 1000)");
  prop->add_option("--seed0", seed0, "first seed (default 0)");
  prop->add_flag("--shared", shared, "one sampler for all samples (seeded seed0)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (samples < 1) throw Error(ErrorKind::Usage, "--samples must be >= 1");
    const Json out = dens->parsed() ? density(read_json(in, "cases file"))
                                    : propose(read_json(history, "history file"), param, samples, seed0, shared);
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "glasswing-tpe-proposal: " << e.what() << "\n";
    return glasswing::exit_code(e.kind());
  } catch (const Json::exception& e) {
    std::cerr << "glasswing-tpe-proposal: malformed input JSON (see the file header): " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "glasswing-tpe-proposal: internal error: " << e.what() << "\n";
    return 1;
  }
}
