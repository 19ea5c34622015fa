#include "automl/search/pruner.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <limits>

#include "automl/common/error.hpp"

namespace glasswing::search {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string completed_rung_key(std::int64_t rung) { return "completed_rung_" + std::to_string(rung); }

// Python's floor division for a positive divisor.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// Whether step < base * factor^exponent, without overflowing.
bool below_power(std::int64_t step, std::int64_t base, std::int64_t factor, std::int64_t exponent) {
  std::int64_t r = base;
  for (std::int64_t i = 0; i < exponent; ++i) {
    if (r > step) return true;
    if (r > std::numeric_limits<std::int64_t>::max() / factor) return true;  // r * factor > step
    r *= factor;
  }
  return step < r;
}
}  // namespace

// ------------------------------------------------------------------------------ PrunerStudy
PrunerStudy::PrunerStudy(Storage& storage, std::int64_t study_id, std::string name, StudyDirection direction,
                         Filter filter)
    : storage_(&storage), study_id_(study_id), name_(std::move(name)), direction_(direction),
      filter_(std::move(filter)) {}

std::vector<FrozenTrial> PrunerStudy::trials(const std::optional<std::vector<TrialState>>& states) const {
  auto all = storage_->get_all_trials(study_id_, states);
  if (filter_) std::erase_if(all, [&](const FrozenTrial& t) { return !filter_(t); });
  return all;
}

PrunerStudy PrunerStudy::restricted(Filter filter) const {
  if (!filter_) return PrunerStudy(*storage_, study_id_, name_, direction_, std::move(filter));
  return PrunerStudy(*storage_, study_id_, name_, direction_,
                     [outer = filter_, inner = std::move(filter)](const FrozenTrial& t) { return outer(t) && inner(t); });
}

void Pruner::filter_for_sampler(const std::string& /*study_name*/, const FrozenTrial& /*trial*/,
                                std::vector<FrozenTrial>& /*trials*/) const {}

bool NopPruner::prune(const PrunerStudy& /*study*/, const FrozenTrial& /*trial*/) { return false; }

// ------------------------------------------------------------------------------- Percentile
PercentilePruner::PercentilePruner(PercentileOptions options, bool median) : options_(options), median_(median) {
  const std::string who = std::string("pruner '") + (median ? "median" : "percentile") + "': ";
  if (!(options_.percentile >= 0.0 && options_.percentile <= 100.0)) {
    throw Error(ErrorKind::Usage, who + "percentile must be between 0 and 100, got " +
                                      python_float_repr(options_.percentile));
  }
  if (options_.n_startup_trials < 0) {
    throw Error(ErrorKind::Usage, who + "n_startup_trials must be >= 0, got " + std::to_string(options_.n_startup_trials));
  }
  if (options_.n_warmup_steps < 0) {
    throw Error(ErrorKind::Usage, who + "n_warmup_steps must be >= 0, got " + std::to_string(options_.n_warmup_steps));
  }
  if (options_.interval_steps < 1) {
    throw Error(ErrorKind::Usage, who + "interval_steps must be >= 1, got " + std::to_string(options_.interval_steps));
  }
  if (options_.n_min_trials < 1) {
    throw Error(ErrorKind::Usage, who + "n_min_trials must be >= 1, got " + std::to_string(options_.n_min_trials));
  }
}

bool PercentilePruner::prune(const PrunerStudy& study, const FrozenTrial& trial) {
  const auto completed = study.trials(std::vector{TrialState::Complete});
  const auto n = static_cast<std::int64_t>(completed.size());
  if (n == 0 || n < options_.n_startup_trials) return false;
  const auto step = trial.last_step();
  if (!step) return false;
  if (*step < options_.n_warmup_steps) return false;
  // Only the first report inside each interval window (windows start at the warmup step).
  const std::int64_t window_start =
      floor_div(*step - options_.n_warmup_steps, options_.interval_steps) * options_.interval_steps +
      options_.n_warmup_steps;
  std::int64_t second_last = -1;
  for (const auto& [s, v] : trial.intermediate_values) {
    if (s != *step && s > second_last) second_last = s;
  }
  if (second_last >= window_start) return false;

  const bool maximize = study.direction() == StudyDirection::Maximize;
  double best = kNaN;  // numpy nanmin / nanmax
  for (const auto& [s, v] : trial.intermediate_values) {
    if (std::isnan(v)) continue;
    if (std::isnan(best) || (maximize ? v > best : v < best)) best = v;
  }
  if (std::isnan(best)) return true;

  std::vector<double> at_step;
  for (const auto& t : completed) {
    if (const auto it = t.intermediate_values.find(*step); it != t.intermediate_values.end()) {
      at_step.push_back(it->second);
    }
  }
  if (static_cast<std::int64_t>(at_step.size()) < options_.n_min_trials) return false;
  const double p = detail::nanpercentile(std::move(at_step), maximize ? 100 - options_.percentile : options_.percentile);
  if (std::isnan(p)) return false;
  return maximize ? best < p : best > p;
}

// ------------------------------------------------------------------------ SuccessiveHalving
SuccessiveHalvingPruner::SuccessiveHalvingPruner(SuccessiveHalvingOptions options)
    : options_(options), min_resource_(options.min_resource) {
  const std::string who = "pruner 'successive_halving': ";
  if (options_.min_resource && *options_.min_resource < 1) {
    throw Error(ErrorKind::Usage,
                who + "min_resource must be \"auto\" or >= 1, got " + std::to_string(*options_.min_resource));
  }
  if (options_.reduction_factor < 2) {
    throw Error(ErrorKind::Usage, who + "reduction_factor must be >= 2, got " + std::to_string(options_.reduction_factor));
  }
  if (options_.min_early_stopping_rate < 0) {
    throw Error(ErrorKind::Usage, who + "min_early_stopping_rate must be >= 0, got " +
                                      std::to_string(options_.min_early_stopping_rate));
  }
  if (options_.bootstrap_count < 0) {
    throw Error(ErrorKind::Usage, who + "bootstrap_count must be >= 0, got " + std::to_string(options_.bootstrap_count));
  }
  if (options_.bootstrap_count > 0 && !options_.min_resource) {
    throw Error(ErrorKind::Usage, who + "bootstrap_count > 0 needs an integer min_resource, not \"auto\"");
  }
}

std::optional<std::int64_t> SuccessiveHalvingPruner::min_resource() const {
  std::lock_guard lock(mutex_);
  return min_resource_;
}

bool SuccessiveHalvingPruner::prune(const PrunerStudy& study, const FrozenTrial& trial) {
  const auto step = trial.last_step();
  if (!step) return false;
  std::int64_t rung = 0;
  while (trial.system_attrs.contains(completed_rung_key(rung))) ++rung;
  const double value = trial.intermediate_values.at(*step);
  std::optional<std::vector<FrozenTrial>> trials;

  for (;;) {
    std::int64_t min_resource = 0;
    {
      std::lock_guard lock(mutex_);
      if (!min_resource_) {
        // "auto": 1/100 of the longest COMPLETE trial, fixed once known (as Optuna).
        if (!trials) trials = study.trials();
        std::optional<std::int64_t> longest;
        for (const auto& t : *trials) {
          const auto last = t.last_step();
          if (t.state == TrialState::Complete && last && (!longest || *last > *longest)) longest = last;
        }
        if (!longest) return false;
        min_resource_ = std::max<std::int64_t>(floor_div(*longest, 100), 1);
      }
      min_resource = *min_resource_;
    }
    if (below_power(*step, min_resource, options_.reduction_factor, options_.min_early_stopping_rate + rung)) {
      return false;
    }
    if (std::isnan(value)) return true;
    if (!trials) trials = study.trials();
    const auto key = completed_rung_key(rung);
    study.storage().set_trial_system_attr(trial.trial_id, key, Json(value));
    std::vector<double> competing;
    for (const auto& t : *trials) {
      const auto it = t.system_attrs.find(key);
      // Optuna writes only numbers here (never NaN); anything else is not a competitor.
      if (it != t.system_attrs.end() && it->second.is_number()) {
        const double v = it->second.get<double>();
        if (!std::isnan(v)) competing.push_back(v);
      }
    }
    competing.push_back(value);
    if (static_cast<std::int64_t>(competing.size()) <= options_.bootstrap_count) return true;
    // Promotable: within the best max(1, len / reduction_factor) values (ties count).
    std::int64_t idx = static_cast<std::int64_t>(competing.size()) / options_.reduction_factor - 1;
    if (idx < 0) idx = 0;
    std::sort(competing.begin(), competing.end());
    const auto i = static_cast<std::size_t>(idx);
    const bool promotable = study.direction() == StudyDirection::Maximize
                                ? value >= competing[competing.size() - 1 - i]
                                : value <= competing[i];
    if (!promotable) return true;
    ++rung;
  }
}

// -------------------------------------------------------------------------------- Hyperband
HyperbandPruner::HyperbandPruner(HyperbandOptions options) : options_(options), max_resource_(options.max_resource) {
  const std::string who = "pruner 'hyperband': ";
  if (options_.min_resource < 1) {
    throw Error(ErrorKind::Usage, who + "min_resource must be >= 1, got " + std::to_string(options_.min_resource));
  }
  if (options_.max_resource && *options_.max_resource < options_.min_resource) {
    throw Error(ErrorKind::Usage, who + "max_resource must be \"auto\" or >= min_resource (" +
                                      std::to_string(options_.min_resource) + "), got " +
                                      std::to_string(*options_.max_resource));
  }
  if (options_.reduction_factor < 2) {
    throw Error(ErrorKind::Usage, who + "reduction_factor must be >= 2, got " + std::to_string(options_.reduction_factor));
  }
  if (options_.bootstrap_count < 0) {
    throw Error(ErrorKind::Usage, who + "bootstrap_count must be >= 0, got " + std::to_string(options_.bootstrap_count));
  }
  if (options_.bootstrap_count > 0 && !options_.max_resource) {
    throw Error(ErrorKind::Usage, who + "bootstrap_count > 0 needs an integer max_resource, not \"auto\"");
  }
}

int HyperbandPruner::Layout::bracket_of(const std::string& study_name, std::int64_t trial_number) const {
  if (budgets.empty()) return 0;  // no brackets: Optuna answers 0
  std::int64_t n = static_cast<std::int64_t>(detail::crc32(study_name + "_" + std::to_string(trial_number))) % total;
  for (std::size_t b = 0; b < budgets.size(); ++b) {
    n -= budgets[b];
    if (n < 0) return static_cast<int>(b);
  }
  return static_cast<int>(budgets.size()) - 1;  // unreachable: the budgets sum to total
}

void HyperbandPruner::try_initialise(const PrunerStudy& study) {
  if (!max_resource_) {
    std::optional<std::int64_t> longest;
    for (const auto& t : study.trials(std::vector{TrialState::Complete})) {
      const auto last = t.last_step();
      if (last && (!longest || *last > *longest)) longest = last;
    }
    if (!longest) return;
    max_resource_ = *longest + 1;
  }
  // Python: floor(math.log(max / min, rf)) + 1, i.e. log(x) / log(rf) in doubles.
  const double ratio = static_cast<double>(*max_resource_) / static_cast<double>(options_.min_resource);
  const double n_brackets_d = std::floor(std::log(ratio) / std::log(static_cast<double>(options_.reduction_factor))) + 1;
  const int n_brackets = n_brackets_d < 0 ? 0 : static_cast<int>(n_brackets_d);
  auto layout = std::make_shared<Layout>();
  for (int b = 0; b < n_brackets; ++b) {
    const std::int64_t s = n_brackets - 1 - b;
    std::int64_t numerator = n_brackets;
    for (std::int64_t i = 0; i < s; ++i) {
      if (__builtin_mul_overflow(numerator, options_.reduction_factor, &numerator)) {
        throw Error(ErrorKind::Usage, "pruner 'hyperband': max_resource " + std::to_string(*max_resource_) +
                                          " is too large for reduction_factor " +
                                          std::to_string(options_.reduction_factor));
      }
    }
    const auto budget = static_cast<std::int64_t>(std::ceil(static_cast<double>(numerator) / static_cast<double>(s + 1)));
    layout->budgets.push_back(budget);
    layout->total += budget;
    SuccessiveHalvingOptions o;
    o.min_resource = options_.min_resource;
    o.reduction_factor = options_.reduction_factor;
    o.min_early_stopping_rate = b;
    o.bootstrap_count = options_.bootstrap_count;
    brackets_.push_back(std::make_unique<SuccessiveHalvingPruner>(o));
  }
  layout_ = std::move(layout);
}

bool HyperbandPruner::prune(const PrunerStudy& study, const FrozenTrial& trial) {
  std::shared_ptr<const Layout> layout;
  SuccessiveHalvingPruner* bracket_pruner = nullptr;
  int bracket = 0;
  {
    std::lock_guard lock(mutex_);
    if (!layout_) try_initialise(study);
    if (!layout_ || brackets_.empty()) return false;
    layout = layout_;
    bracket = layout->bracket_of(study.name(), trial.number);
    bracket_pruner = brackets_[static_cast<std::size_t>(bracket)].get();
  }
  const auto bracket_study = study.restricted([layout, name = study.name(), bracket](const FrozenTrial& t) {
    return layout->bracket_of(name, t.number) == bracket;
  });
  return bracket_pruner->prune(bracket_study, trial);
}

void HyperbandPruner::filter_for_sampler(const std::string& study_name, const FrozenTrial& trial,
                                         std::vector<FrozenTrial>& trials) const {
  std::shared_ptr<const Layout> layout;
  {
    std::lock_guard lock(mutex_);
    layout = layout_;
  }
  if (!layout || layout->budgets.empty()) return;  // not initialised: every trial is in bracket 0
  const int bracket = layout->bracket_of(study_name, trial.number);
  std::erase_if(trials, [&](const FrozenTrial& t) { return layout->bracket_of(study_name, t.number) != bracket; });
}

std::optional<int> HyperbandPruner::n_brackets() const {
  std::lock_guard lock(mutex_);
  if (!layout_) return std::nullopt;
  return static_cast<int>(layout_->budgets.size());
}

std::optional<int> HyperbandPruner::bracket_of(const std::string& study_name, std::int64_t trial_number) const {
  std::lock_guard lock(mutex_);
  if (!layout_) return std::nullopt;
  return layout_->bracket_of(study_name, trial_number);
}

// --------------------------------------------------------------------------------- registry
namespace {
void check_option_keys(std::string_view pruner, const Json& options, std::initializer_list<const char*> valid) {
  if (!options.is_object()) {
    throw Error(ErrorKind::Usage, "pruner '" + std::string(pruner) + "': options must be a JSON object, got " +
                                      options.dump());
  }
  for (const auto& [key, _] : options.items()) {
    if (std::find_if(valid.begin(), valid.end(), [&](const char* v) { return key == v; }) == valid.end()) {
      std::string list;
      for (const char* v : valid) list += std::string(list.empty() ? "" : ", ") + v;
      throw Error(ErrorKind::Usage, "pruner '" + std::string(pruner) + "' has no option '" + key +
                                        "'; valid options: " + (list.empty() ? "none" : list));
    }
  }
}

std::optional<std::int64_t> int_option(std::string_view pruner, const Json& options, const char* key) {
  if (!options.contains(key)) return std::nullopt;
  const auto& v = options[key];
  if (!v.is_number_integer()) {
    throw Error(ErrorKind::Usage, "pruner '" + std::string(pruner) + "': option '" + key +
                                      "' must be an integer, got " + v.dump());
  }
  return v.get<std::int64_t>();
}

int small_int(std::string_view pruner, const char* key, std::int64_t v) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    throw Error(ErrorKind::Usage, "pruner '" + std::string(pruner) + "': option '" + key + "' is out of range");
  }
  return static_cast<int>(v);
}

// An integer or the string "auto" (nullopt).
std::optional<std::int64_t> int_or_auto(std::string_view pruner, const Json& options, const char* key,
                                        std::optional<std::int64_t> fallback) {
  if (!options.contains(key)) return fallback;
  const auto& v = options[key];
  if (v.is_string() && v.get<std::string>() == "auto") return std::nullopt;
  if (!v.is_number_integer()) {
    throw Error(ErrorKind::Usage, "pruner '" + std::string(pruner) + "': option '" + key +
                                      "' must be \"auto\" or an integer, got " + v.dump());
  }
  return v.get<std::int64_t>();
}

PercentileOptions percentile_options(std::string_view pruner, const Json& options) {
  PercentileOptions o;
  if (const auto v = int_option(pruner, options, "n_startup_trials")) o.n_startup_trials = small_int(pruner, "n_startup_trials", *v);
  if (const auto v = int_option(pruner, options, "n_warmup_steps")) o.n_warmup_steps = *v;
  if (const auto v = int_option(pruner, options, "interval_steps")) o.interval_steps = *v;
  if (const auto v = int_option(pruner, options, "n_min_trials")) o.n_min_trials = small_int(pruner, "n_min_trials", *v);
  return o;
}
}  // namespace

std::vector<std::string> pruner_names() { return {"none", "median", "percentile", "successive_halving", "hyperband"}; }

std::unique_ptr<Pruner> make_pruner(std::string_view name, const Json& options_in) {
  const Json options = options_in.is_null() ? Json::object() : options_in;
  if (name == "none") {
    check_option_keys(name, options, {});
    return std::make_unique<NopPruner>();
  }
  if (name == "median") {
    check_option_keys(name, options, {"n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"});
    return std::make_unique<PercentilePruner>(percentile_options(name, options), true);
  }
  if (name == "percentile") {
    check_option_keys(name, options,
                      {"percentile", "n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"});
    if (!options.contains("percentile") || !options["percentile"].is_number()) {
      throw Error(ErrorKind::Usage, "pruner 'percentile' needs the option 'percentile', a number in [0, 100]");
    }
    auto o = percentile_options(name, options);
    o.percentile = options["percentile"].get<double>();
    return std::make_unique<PercentilePruner>(o);
  }
  if (name == "successive_halving") {
    check_option_keys(name, options, {"min_resource", "reduction_factor", "min_early_stopping_rate", "bootstrap_count"});
    SuccessiveHalvingOptions o;
    o.min_resource = int_or_auto(name, options, "min_resource", std::nullopt);
    if (const auto v = int_option(name, options, "reduction_factor")) o.reduction_factor = *v;
    if (const auto v = int_option(name, options, "min_early_stopping_rate")) o.min_early_stopping_rate = *v;
    if (const auto v = int_option(name, options, "bootstrap_count")) o.bootstrap_count = *v;
    return std::make_unique<SuccessiveHalvingPruner>(o);
  }
  if (name == "hyperband") {
    check_option_keys(name, options, {"min_resource", "max_resource", "reduction_factor", "bootstrap_count"});
    HyperbandOptions o;
    if (const auto v = int_option(name, options, "min_resource")) o.min_resource = *v;
    o.max_resource = int_or_auto(name, options, "max_resource", std::nullopt);
    if (const auto v = int_option(name, options, "reduction_factor")) o.reduction_factor = *v;
    if (const auto v = int_option(name, options, "bootstrap_count")) o.bootstrap_count = *v;
    return std::make_unique<HyperbandPruner>(o);
  }
  std::string list;
  for (const auto& n : pruner_names()) list += (list.empty() ? "" : ", ") + n;
  throw Error(ErrorKind::Usage, "unknown pruner '" + std::string(name) + "'; valid pruners: " + list);
}

// ---------------------------------------------------------------------------------- detail
namespace detail {

double nanpercentile(std::vector<double> values, double q) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  // numpy 1.22+ "linear": virtual index (n - 1) * q/100, neighbours clipped to the last
  // element, gamma = index - previous (with previous = -1 when clipped), then _lerp.
  const auto n = values.size();
  const double quantile = q / 100.0;
  const double virtual_index = static_cast<double>(n - 1) * quantile;
  double previous_index = std::floor(virtual_index);
  std::size_t prev = 0;
  std::size_t next = 0;
  if (virtual_index >= static_cast<double>(n - 1)) {
    prev = next = n - 1;
    previous_index = -1;
  } else if (virtual_index < 0) {
    prev = next = 0;
    previous_index = 0;
  } else {
    prev = static_cast<std::size_t>(previous_index);
    next = prev + 1;
  }
  const double gamma = virtual_index - previous_index;
  const double a = values[prev];
  const double b = values[next];
  const double diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

std::uint32_t crc32(std::string_view bytes) noexcept {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFU;
  for (const char ch : bytes) crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFFU] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFU;
}

}  // namespace detail

}  // namespace glasswing::search
