// glasswing search ls|show|best --storage URL [--search NAME] [--json]: read a search store
// (an Optuna study database) without changing it.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/commands.hpp"
#include "automl/common/error.hpp"
#include "automl/search/storage_registry.hpp"

namespace glasswing::cli {

namespace {

using nlohmann::ordered_json;
namespace s = glasswing::search;

struct SearchOptions {
  std::string verb;
  std::string storage;
  std::string search;
  bool json = false;
};

// Opens the store for reading. A SQLite URL must name an existing file: reading commands never
// create one (a typo would otherwise leave an empty database behind).
std::shared_ptr<s::Storage> open_for_reading(const std::string& url) {
  constexpr std::string_view kSqlite = "sqlite:///";
  if (url.rfind(kSqlite, 0) == 0) {
    const std::filesystem::path path = url.substr(kSqlite.size());
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw Error(ErrorKind::Storage, "--storage " + url + ": no such file '" + path.string() +
                                          "'; check the path (sqlite:///relative.db or sqlite:////absolute.db)");
  }
  return s::make_storage(url);
}

std::string value_text(const std::optional<std::vector<double>>& values) {
  if (!values || values->empty()) return "-";
  std::string out;
  for (std::size_t i = 0; i < values->size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", (*values)[i]);
    out += (i ? ", " : "") + std::string(buf);
  }
  return out;
}

double seconds_between(const s::FrozenTrial& t) {
  if (!t.datetime_start || !t.datetime_complete) return NAN;
  return std::chrono::duration<double>(*t.datetime_complete - *t.datetime_start).count();
}

ordered_json trial_json(const s::FrozenTrial& t) {
  ordered_json j;
  j["number"] = t.number;
  j["state"] = std::string(s::to_string(t.state));
  j["values"] = t.values ? ordered_json(*t.values) : ordered_json(nullptr);
  auto& params = j["params"] = ordered_json::object();
  for (const auto& [k, v] : t.params) params[k] = v;
  if (t.datetime_start) j["datetime_start"] = s::format_datetime(*t.datetime_start);
  if (t.datetime_complete) j["datetime_complete"] = s::format_datetime(*t.datetime_complete);
  const double secs = seconds_between(t);
  j["duration_s"] = std::isnan(secs) ? ordered_json(nullptr) : ordered_json(secs);
  auto& attrs = j["user_attrs"] = ordered_json::object();
  for (const auto& [k, v] : t.user_attrs) attrs[k] = v;
  if (const auto it = t.system_attrs.find("fail_reason"); it != t.system_attrs.end()) j["fail_reason"] = it->second;
  return j;
}

std::string params_text(const s::FrozenTrial& t) {
  std::string out;
  for (const auto& [k, v] : t.params) out += (out.empty() ? "" : " ") + k + "=" + v.dump();
  return out;
}

std::int64_t pick_study(s::Storage& storage, const SearchOptions& o) {
  if (!o.search.empty()) {
    try {
      return storage.get_study_id_from_name(o.search);
    } catch (const Error&) {
      std::string names;
      for (const auto& st : storage.get_all_studies()) names += (names.empty() ? "" : ", ") + st.name;
      throw Error(ErrorKind::Usage, "--search '" + o.search + "' is not in " + o.storage +
                                        (names.empty() ? std::string("; the store holds no search")
                                                       : "; its searches are: " + names));
    }
  }
  const auto all = storage.get_all_studies();
  if (all.size() == 1) return all.front().study_id;
  std::string names;
  for (const auto& st : all) names += (names.empty() ? "" : ", ") + st.name;
  throw Error(ErrorKind::Usage, all.empty() ? "--storage " + o.storage + " holds no search"
                                            : "--storage " + o.storage + " holds several searches; name one with "
                                                                         "--search (" + names + ")");
}

std::optional<s::FrozenTrial> best_of(s::Storage& storage, std::int64_t study_id) {
  try {
    return storage.get_best_trial(study_id);
  } catch (const Error&) {
    return std::nullopt;  // no completed trial, or several objectives
  }
}

int run_search(const SearchOptions& o) {
  const auto storage = open_for_reading(o.storage);
  if (o.verb == "ls") {
    ordered_json out = ordered_json::array();
    std::ostringstream text;
    char line[512];
    std::snprintf(line, sizeof line, "%-28s %-18s %7s %8s %6s %5s %7s  %s\n", "search", "direction", "trials",
                  "complete", "pruned", "fail", "running", "best");
    text << line;
    for (const auto& st : storage->get_all_studies()) {
      const auto trials = storage->get_all_trials(st.study_id);
      std::map<s::TrialState, std::size_t> by_state;
      for (const auto& t : trials) ++by_state[t.state];
      std::string directions;
      for (const auto d : st.directions) directions += (directions.empty() ? "" : ",") + std::string(s::to_string(d));
      const auto best = best_of(*storage, st.study_id);
      ordered_json j;
      j["search"] = st.name;
      j["directions"] = directions;
      j["trials"] = trials.size();
      auto& states = j["states"] = ordered_json::object();
      for (const auto& [state, n] : by_state) states[std::string(s::to_string(state))] = n;
      j["best"] = best ? trial_json(*best) : ordered_json(nullptr);
      out.push_back(j);
      std::snprintf(line, sizeof line, "%-28s %-18s %7zu %8zu %6zu %5zu %7zu  %s\n", st.name.c_str(), directions.c_str(),
                    trials.size(), by_state[s::TrialState::Complete], by_state[s::TrialState::Pruned],
                    by_state[s::TrialState::Fail], by_state[s::TrialState::Running],
                    best ? ("#" + std::to_string(best->number) + " " + value_text(best->values)).c_str() : "-");
      text << line;
    }
    if (o.json) std::cout << out.dump(2) << '\n';
    else std::cout << text.str();
    return 0;
  }
  const std::int64_t study_id = pick_study(*storage, o);
  const auto study = storage->get_study(study_id);
  if (o.verb == "best") {
    const auto best = best_of(*storage, study_id);
    if (!best)
      throw Error(ErrorKind::Usage, "search '" + study.name + "' has no completed trial yet (or several objectives)");
    if (o.json) {
      std::cout << trial_json(*best).dump(2) << '\n';
    } else {
      std::cout << "search '" << study.name << "': best trial #" << best->number << ", value " << value_text(best->values)
                << '\n';
      for (const auto& [k, v] : best->params) std::cout << "  " << k << " = " << v.dump() << '\n';
    }
    return 0;
  }
  // show
  const auto trials = storage->get_all_trials(study_id);
  if (o.json) {
    ordered_json j;
    j["search"] = study.name;
    auto& arr = j["trials"] = ordered_json::array();
    for (const auto& t : trials) arr.push_back(trial_json(t));
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::ostringstream text;
  text << "search '" << study.name << "': " << trials.size() << " trials\n";
  char line[256];
  std::snprintf(line, sizeof line, "%6s %-9s %-14s %9s  %s\n", "number", "state", "value", "seconds", "params");
  text << line;
  for (const auto& t : trials) {
    const double secs = seconds_between(t);
    std::snprintf(line, sizeof line, "%6lld %-9s %-14s %9s  ", static_cast<long long>(t.number),
                  std::string(s::to_string(t.state)).c_str(), value_text(t.values).c_str(),
                  std::isnan(secs) ? "-" : std::to_string(secs).substr(0, 7).c_str());
    text << line << params_text(t);
    if (const auto it = t.system_attrs.find("fail_reason"); it != t.system_attrs.end())
      text << "  (failed: " << (it->second.is_string() ? it->second.get<std::string>() : it->second.dump()) << ")";
    text << '\n';
  }
  std::cout << text.str();
  return 0;
}

}  // namespace

void add_search_command(CLI::App& app, Action& action) {
  auto opt = std::make_shared<SearchOptions>();
  auto* cmd = app.add_subcommand("search", "Read a search store (an Optuna study database): list searches, show "
                                           "their trials, print the best");
  cmd->require_subcommand(1);
  const auto verb = [&](const char* name, const char* help) {
    auto* sub = cmd->add_subcommand(name, help);
    sub->add_option("--storage", opt->storage, "The store: sqlite:///relative.db, sqlite:////absolute.db, "
                                               "postgresql://user@host/db")
        ->required();
    sub->add_option("--search", opt->search, "The search (study) name; needed when the store holds several");
    sub->add_flag("--json", opt->json, "Print JSON");
    sub->callback([opt, &action, name] {
      opt->verb = name;
      action = [opt] { return run_search(*opt); };
    });
  };
  verb("ls", "List the searches with trial counts by state and the best value");
  verb("show", "List the trials of one search: state, value, duration, parameters, failure reasons");
  verb("best", "Print the best trial of one search");
}

}  // namespace glasswing::cli
