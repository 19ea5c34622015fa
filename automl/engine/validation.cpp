#include "automl/engine/validation.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "automl/common/error.hpp"

namespace glasswing::engine {

namespace {

// Below this many rows, k-fold CV; above, one holdout split: 5 fits of a table this large cost
// too much of a time budget for the variance they remove (a 20% holdout has 2,000+ rows), and
// the search gets five times the trials (bench/automl: letter, shuttle, diamonds at 60 s).
constexpr std::size_t kHoldoutRows = 10000;

std::vector<std::size_t> sorted(std::vector<std::size_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Complement of `valid` in [0, rows).
std::vector<std::size_t> complement(const std::vector<std::size_t>& valid, std::size_t rows) {
  std::vector<char> in(rows, 0);
  for (const auto i : valid) in[i] = 1;
  std::vector<std::size_t> out;
  out.reserve(rows - valid.size());
  for (std::size_t i = 0; i < rows; ++i)
    if (!in[i]) out.push_back(i);
  return out;
}

// The fold that validates on `valid` and trains on every other row.
Fold fold_from_valid(std::vector<std::size_t> valid, std::size_t rows) {
  Fold f;
  f.valid = sorted(std::move(valid));
  f.train = complement(f.valid, rows);
  return f;
}

// Deals the rows of each class, shuffled, round-robin into k buckets; the starting bucket of
// each class continues where the previous class stopped, so bucket sizes differ by at most one.
std::vector<std::vector<std::size_t>> stratified_buckets(std::size_t rows, std::size_t k,
                                                         std::span<const std::int32_t> classes, std::mt19937_64& rng) {
  std::map<std::int32_t, std::vector<std::size_t>> by_class;
  for (std::size_t i = 0; i < rows; ++i) by_class[classes.empty() ? 0 : classes[i]].push_back(i);
  std::vector<std::vector<std::size_t>> buckets(k);
  std::size_t next = 0;
  for (auto& [cls, members] : by_class) {
    std::shuffle(members.begin(), members.end(), rng);
    for (const auto i : members) {
      buckets[next].push_back(i);
      next = (next + 1) % k;
    }
  }
  return buckets;
}

}  // namespace

std::string_view to_string(ValidationKind kind) noexcept {
  switch (kind) {
    case ValidationKind::KFold: return "k-fold";
    case ValidationKind::StratifiedKFold: return "stratified k-fold";
    case ValidationKind::GroupKFold: return "group k-fold";
    case ValidationKind::TimeOrdered: return "time-ordered folds";
    case ValidationKind::Holdout: return "holdout";
  }
  return "k-fold";
}

ValidationPlan choose_validation(const ValidationRequest& r) {
  if (r.cv && *r.cv < 2) throw Error(ErrorKind::Usage, "--cv " + std::to_string(*r.cv) + " is too small; give 2 or more folds");
  if (r.cv && static_cast<std::size_t>(*r.cv) > r.rows)
    throw Error(ErrorKind::Usage, "--cv " + std::to_string(*r.cv) + " asks for more folds than the " +
                                      std::to_string(r.rows) + " rows; give at most " + std::to_string(r.rows));
  if (r.cv && r.holdout) throw Error(ErrorKind::Usage, "--cv and --holdout exclude each other; give one of them");
  if (r.holdout && !(*r.holdout > 0.0 && *r.holdout < 1.0))
    throw Error(ErrorKind::Usage, "--holdout must be a fraction between 0 and 1, such as 0.2");
  if (r.group_column && r.time_column)
    throw Error(ErrorKind::Usage, "a group column and a time column cannot both shape the folds; give one of them");
  if (r.rows < 4) throw Error(ErrorKind::BadInput, "only " + std::to_string(r.rows) + " rows: too few to validate a model; give at least 4");

  ValidationPlan p;
  const std::size_t default_folds = std::min<std::size_t>(5, r.rows);
  if (r.time_column) {
    p.kind = ValidationKind::TimeOrdered;
    p.folds = r.cv ? static_cast<std::size_t>(*r.cv) : default_folds;
    p.reason = "a time column was named: each validation block comes after all of its training rows";
    return p;
  }
  if (r.group_column) {
    p.kind = ValidationKind::GroupKFold;
    p.folds = r.cv ? static_cast<std::size_t>(*r.cv) : default_folds;
    p.reason = "a group column was named: no group is split between training and validation";
    return p;
  }
  const bool large = r.rows > kHoldoutRows;
  if (r.holdout || (large && !r.cv)) {
    p.kind = ValidationKind::Holdout;
    p.folds = 1;
    p.holdout_fraction = r.holdout ? *r.holdout : 0.2;
    p.reason = r.holdout ? "holdout requested" :
                           std::to_string(r.rows) + " rows (over " + std::to_string(kHoldoutRows) +
                               "): one " + (r.classification ? "stratified " : "") + "20% holdout instead of k-fold CV";
    if (r.classification) p.reason += r.holdout ? ", stratified by class" : "";
    return p;
  }
  p.kind = r.classification ? ValidationKind::StratifiedKFold : ValidationKind::KFold;
  p.folds = r.cv ? static_cast<std::size_t>(*r.cv) : default_folds;
  p.reason = r.cv ? "--cv " + std::to_string(*r.cv) + " requested"
                  : std::to_string(r.rows) + " rows: " + std::to_string(p.folds) + "-fold cross-validation" +
                        (r.classification ? ", stratified by class" : "");
  return p;
}

std::vector<Fold> make_folds(const ValidationPlan& plan, std::size_t rows, const FoldInputs& in, std::uint64_t seed) {
  if (rows < 2) throw Error(ErrorKind::BadInput, "fewer than 2 rows to split into training and validation");
  if (!in.classes.empty() && in.classes.size() != rows) throw Error(ErrorKind::Internal, "class vector size mismatch");
  if (!in.groups.empty() && in.groups.size() != rows) throw Error(ErrorKind::Internal, "group vector size mismatch");
  if (!in.times.empty() && in.times.size() != rows) throw Error(ErrorKind::Internal, "time vector size mismatch");
  std::mt19937_64 rng(seed);
  std::vector<Fold> folds;
  const std::size_t k = plan.folds;

  switch (plan.kind) {
    case ValidationKind::KFold:
    case ValidationKind::StratifiedKFold: {
      if (k < 2 || k > rows) throw Error(ErrorKind::BadInput, "cannot make " + std::to_string(k) + " folds of " + std::to_string(rows) + " rows");
      const auto classes = plan.kind == ValidationKind::StratifiedKFold ? in.classes : std::span<const std::int32_t>{};
      auto buckets = stratified_buckets(rows, k, classes, rng);
      for (auto& b : buckets) folds.push_back(fold_from_valid(std::move(b), rows));
      break;
    }
    case ValidationKind::Holdout: {
      const double frac = plan.holdout_fraction > 0.0 ? plan.holdout_fraction : 0.2;
      // Per class, the first round(frac * size) shuffled rows are held out (at least one when
      // the class has two or more rows, so every class is validated).
      std::map<std::int32_t, std::vector<std::size_t>> by_class;
      for (std::size_t i = 0; i < rows; ++i) by_class[in.classes.empty() ? 0 : in.classes[i]].push_back(i);
      Fold f;
      for (auto& [cls, members] : by_class) {
        std::shuffle(members.begin(), members.end(), rng);
        auto take = static_cast<std::size_t>(std::llround(frac * static_cast<double>(members.size())));
        if (take == 0 && members.size() >= 2) take = 1;
        if (take >= members.size() && members.size() >= 2) take = members.size() - 1;
        f.valid.insert(f.valid.end(), members.begin(), members.begin() + static_cast<std::ptrdiff_t>(take));
      }
      if (f.valid.empty()) throw Error(ErrorKind::BadInput, "the holdout would be empty; use more rows or a larger fraction");
      folds.push_back(fold_from_valid(std::move(f.valid), rows));
      break;
    }
    case ValidationKind::GroupKFold: {
      if (in.groups.empty()) throw Error(ErrorKind::Internal, "group k-fold without groups");
      std::map<std::int32_t, std::vector<std::size_t>> by_group;
      for (std::size_t i = 0; i < rows; ++i) by_group[in.groups[i]].push_back(i);
      if (by_group.size() < k)
        throw Error(ErrorKind::BadInput, "the group column has " + std::to_string(by_group.size()) + " groups, fewer than the " +
                                             std::to_string(k) + " folds; lower --cv or choose another group column");
      // Largest groups first, each into the fold with the fewest rows so far (ties: random order
      // of equal-sized groups through the seeded shuffle).
      std::vector<std::vector<std::size_t>*> groups;
      for (auto& [g, members] : by_group) groups.push_back(&members);
      std::shuffle(groups.begin(), groups.end(), rng);
      std::stable_sort(groups.begin(), groups.end(), [](auto* a, auto* b) { return a->size() > b->size(); });
      std::vector<std::vector<std::size_t>> buckets(k);
      for (auto* g : groups) {
        auto smallest = std::min_element(buckets.begin(), buckets.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
        smallest->insert(smallest->end(), g->begin(), g->end());
      }
      for (auto& b : buckets) folds.push_back(fold_from_valid(std::move(b), rows));
      break;
    }
    case ValidationKind::TimeOrdered: {
      if (in.times.empty()) throw Error(ErrorKind::Internal, "time-ordered folds without times");
      for (std::size_t i = 0; i < rows; ++i)
        if (std::isnan(in.times[i]))
          throw Error(ErrorKind::BadInput, "the time column is missing in row " + std::to_string(i + 1) +
                                               "; fill it or drop such rows before a time-ordered validation");
      std::vector<std::size_t> order(rows);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return in.times[a] < in.times[b]; });
      // k validation blocks after a first training block of the same size (TimeSeriesSplit);
      // rows with equal times stay on the same side of every cut.
      const std::size_t block = rows / (k + 1);
      if (block == 0) throw Error(ErrorKind::BadInput, "too few rows for " + std::to_string(k) + " time-ordered folds; lower --cv");
      for (std::size_t f = 0; f < k; ++f) {
        std::size_t cut = rows - (k - f) * block;
        while (cut > 0 && cut < rows && in.times[order[cut]] == in.times[order[cut - 1]]) ++cut;
        std::size_t end = f + 1 == k ? rows : rows - (k - f - 1) * block;
        while (end > cut && end < rows && in.times[order[end]] == in.times[order[end - 1]]) ++end;
        if (cut >= end) continue;
        Fold fold;
        fold.train = sorted(std::vector<std::size_t>(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(cut)));
        fold.valid = sorted(std::vector<std::size_t>(order.begin() + static_cast<std::ptrdiff_t>(cut),
                                                     order.begin() + static_cast<std::ptrdiff_t>(end)));
        folds.push_back(std::move(fold));
      }
      if (folds.empty()) throw Error(ErrorKind::BadInput, "the time column has too few distinct times for time-ordered folds");
      break;
    }
  }
  return folds;
}

}  // namespace glasswing::engine
