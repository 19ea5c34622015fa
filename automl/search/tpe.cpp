// TPE's view of the history (OPTUNA-COMPAT.md 4.2, 4.4, 4.6): relative search spaces, the
// below/above split (single- and multi-objective), hypervolumes and the MOTPE below weights.
// Pure functions over trial snapshots; the estimator and the sampler are in sampler.cpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "automl/search/sampler.hpp"

namespace glasswing::search::detail {
namespace {

constexpr double kEps = 1e-12;  // Optuna's EPS in the TPE sampler

using Point = std::vector<double>;

bool uses_trial(const FrozenTrial& t) { return t.state == TrialState::Complete || t.state == TrialState::Pruned; }

// a dominates b (minimisation): a <= b everywhere and a < b somewhere.
bool dominates(const Point& a, const Point& b) {
  bool strict = false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    strict |= a[k] < b[k];
  }
  return strict;
}

// Whether each point is on the Pareto front of `pts` (equal points are all on it).
std::vector<bool> pareto_front(const std::vector<Point>& pts) {
  // A dominator of p is lexicographically smaller, so in lexicographic order p only has to be
  // checked against the front found so far.
  std::vector<std::size_t> order(pts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return pts[a] < pts[b]; });
  std::vector<bool> on(pts.size(), false);
  std::vector<std::size_t> front;
  for (auto i : order) {
    bool dominated = false;
    for (auto f : front) {
      if (dominates(pts[f], pts[i])) {
        dominated = true;
        break;
      }
    }
    if (!dominated) {
      on[i] = true;
      front.push_back(i);
    }
  }
  return on;
}

// Hypervolume of points that are all strictly below ref, by slicing the last objective.
double hv_rec(std::vector<Point> pts, const Point& ref, std::size_t d) {
  if (pts.empty()) return 0.0;
  if (d == 1) {
    double best = pts[0][0];
    for (const auto& p : pts) best = std::min(best, p[0]);
    return ref[0] - best;
  }
  if (d == 2) {
    std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) {
      return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]);
    });
    double hv = 0;
    double y_prev = ref[1];
    for (const auto& p : pts) {
      if (p[1] < y_prev) {
        hv += (ref[0] - p[0]) * (y_prev - p[1]);
        y_prev = p[1];
      }
    }
    return hv;
  }
  const std::size_t last = d - 1;
  std::sort(pts.begin(), pts.end(), [&](const Point& a, const Point& b) { return a[last] < b[last]; });
  double hv = 0;
  std::vector<Point> slice;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    slice.emplace_back(pts[i].begin(), pts[i].begin() + static_cast<std::ptrdiff_t>(last));
    const double next = i + 1 < pts.size() ? pts[i + 1][last] : ref[last];
    const double depth = next - pts[i][last];
    if (depth > 0) {
      // Only the non-dominated projections matter.
      const auto on = pareto_front(slice);
      std::vector<Point> front;
      for (std::size_t k = 0; k < slice.size(); ++k) {
        if (on[k]) front.push_back(slice[k]);
      }
      slice = front;
      hv += hv_rec(slice, ref, last) * depth;
    }
  }
  return hv;
}

std::vector<Point> signed_values(const std::vector<StudyDirection>& directions,
                                 const std::vector<const FrozenTrial*>& trials) {
  std::vector<Point> out;
  out.reserve(trials.size());
  for (const auto* t : trials) {
    Point p(directions.size());
    for (std::size_t k = 0; k < directions.size(); ++k) {
      p[k] = (directions[k] == StudyDirection::Maximize ? -1.0 : 1.0) * (*t->values)[k];
    }
    out.push_back(std::move(p));
  }
  return out;
}

// Optuna 4.x _split_complete_trials_multi_objective: positions of the below trials.
std::vector<std::size_t> mo_below_positions(const std::vector<Point>& lvals, std::size_t n_below) {
  std::vector<std::size_t> below;
  if (n_below == 0) return below;
  if (n_below >= lvals.size()) {
    below.resize(lvals.size());
    std::iota(below.begin(), below.end(), 0);
    return below;
  }
  const auto ranks = nondomination_ranks(lvals, n_below);
  const int max_rank = *std::max_element(ranks.begin(), ranks.end());
  std::vector<std::size_t> counts(static_cast<std::size_t>(max_rank) + 1, 0);
  for (int r : ranks) ++counts[static_cast<std::size_t>(r)];
  int last_full = -1;
  std::size_t cum = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (cum + counts[r] > n_below) break;
    cum += counts[r];
    last_full = static_cast<int>(r);
  }
  for (std::size_t i = 0; i < lvals.size(); ++i) {
    if (ranks[i] <= last_full) below.push_back(i);
  }
  if (below.size() < n_below) {  // tie-break within the next rank by hypervolume subset selection
    std::vector<std::size_t> tie;
    std::vector<Point> tie_vals;
    for (std::size_t i = 0; i < lvals.size(); ++i) {
      if (ranks[i] == last_full + 1) {
        tie.push_back(i);
        tie_vals.push_back(lvals[i]);
      }
    }
    for (auto k : solve_hssp(tie_vals, n_below - below.size(), hv_reference_point(tie_vals))) below.push_back(tie[k]);
  }
  return below;
}

}  // namespace

// ------------------------------------------------------------------------------ spaces
SearchSpace intersection_search_space(const std::vector<FrozenTrial>& trials) {
  std::optional<SearchSpace> space;
  for (const auto& t : trials) {
    if (!uses_trial(t)) continue;
    if (!space) {
      space.emplace(t.distributions.begin(), t.distributions.end());
      continue;
    }
    for (auto it = space->begin(); it != space->end();) {
      const auto found = t.distributions.find(it->first);
      if (found == t.distributions.end() || !(found->second == it->second)) it = space->erase(it);
      else ++it;
    }
    if (space->empty()) break;
  }
  SearchSpace out;
  if (!space) return out;
  for (const auto& [name, d] : *space) {
    if (!is_single(d)) out.emplace(name, d);
  }
  return out;
}

std::vector<SearchSpace> group_decomposed_search_space(const std::vector<FrozenTrial>& trials) {
  std::vector<SearchSpace> groups;
  for (const auto& t : trials) {
    if (!uses_trial(t)) continue;
    std::set<std::string> keys;
    for (const auto& [name, _] : t.distributions) keys.insert(name);
    std::vector<SearchSpace> next;
    for (const auto& g : groups) {
      SearchSpace in, out;
      for (const auto& [name, d] : g) (keys.count(name) ? in : out).emplace(name, d);
      next.push_back(std::move(in));
      next.push_back(std::move(out));
      for (const auto& [name, _] : g) keys.erase(name);
    }
    SearchSpace fresh;
    for (const auto& name : keys) fresh.emplace(name, t.distributions.at(name));
    next.push_back(std::move(fresh));
    groups.clear();
    for (auto& g : next) {
      if (!g.empty()) groups.push_back(std::move(g));
    }
  }
  std::vector<SearchSpace> out;
  for (const auto& g : groups) {
    SearchSpace kept;
    for (const auto& [name, d] : g) {
      if (!is_single(d)) kept.emplace(name, d);
    }
    if (!kept.empty()) out.push_back(std::move(kept));
  }
  std::sort(out.begin(), out.end(), [](const SearchSpace& a, const SearchSpace& b) {
    return a.begin()->first < b.begin()->first;
  });
  return out;
}

// ------------------------------------------------------------------------------- split
std::vector<int> nondomination_ranks(const std::vector<Point>& lvals, std::size_t n_below) {
  std::vector<int> ranks(lvals.size(), -1);
  std::vector<std::size_t> rest(lvals.size());
  std::iota(rest.begin(), rest.end(), 0);
  std::size_t ranked = 0;
  int rank = 0;
  while (!rest.empty() && ranked < n_below) {
    std::vector<Point> pts;
    for (auto i : rest) pts.push_back(lvals[i]);
    const auto on = pareto_front(pts);
    std::vector<std::size_t> next;
    for (std::size_t k = 0; k < rest.size(); ++k) {
      if (on[k]) {
        ranks[rest[k]] = rank;
        ++ranked;
      } else {
        next.push_back(rest[k]);
      }
    }
    rest = std::move(next);
    ++rank;
  }
  for (auto i : rest) ranks[i] = rank;  // worse than the top n_below: one last rank
  return ranks;
}

double hypervolume(const std::vector<Point>& points, const std::vector<double>& ref) {
  std::vector<Point> inside;
  for (const auto& p : points) {
    bool ok = true;
    for (std::size_t k = 0; k < ref.size(); ++k) ok = ok && p[k] < ref[k];
    if (ok) inside.push_back(p);
  }
  if (inside.empty()) return 0.0;
  return hv_rec(std::move(inside), ref, ref.size());
}

std::vector<double> hv_reference_point(const std::vector<Point>& lvals) {
  std::vector<double> ref(lvals.front().size(), -std::numeric_limits<double>::infinity());
  for (const auto& p : lvals) {
    for (std::size_t k = 0; k < ref.size(); ++k) ref[k] = std::max(ref[k], p[k]);
  }
  for (auto& r : ref) {
    r = std::max(1.1 * r, 0.9 * r);
    if (r == 0.0) r = kEps;
  }
  return ref;
}

std::vector<std::size_t> solve_hssp(const std::vector<Point>& lvals, std::size_t subset_size,
                                    const std::vector<double>& ref) {
  const std::size_t n = lvals.size();
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  if (subset_size >= n) return all;
  // Unique points in lexicographic order, each represented by its first occurrence.
  std::vector<std::size_t> order = all;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return lvals[a] < lvals[b]; });
  std::vector<std::size_t> uniq;
  std::vector<bool> is_first(n, false);
  for (auto i : order) {
    if (uniq.empty() || lvals[uniq.back()] != lvals[i]) {
      uniq.push_back(i);
      is_first[i] = true;
    }
  }
  if (uniq.size() < subset_size) {  // every distinct point, then the earliest duplicates
    std::size_t extra = subset_size - uniq.size();
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < n; ++i) {
      if (is_first[i]) out.push_back(i);
      else if (extra > 0) {
        out.push_back(i);
        --extra;
      }
    }
    return out;
  }
  bool finite = true;
  for (double r : ref) finite = finite && std::isfinite(r);
  if (!finite || uniq.size() == subset_size) return {uniq.begin(), uniq.begin() + static_cast<std::ptrdiff_t>(subset_size)};

  std::vector<std::size_t> selected;
  std::vector<std::size_t> rest = uniq;  // lexicographic order: argmax ties go to the first
  if (ref.size() == 2) {
    // Exact greedy contributions of mutually non-dominated points (Optuna's _solve_hssp_2d).
    std::vector<Point> diag(rest.size(), ref);
    for (std::size_t s = 0; s < subset_size; ++s) {
      std::size_t best = 0;
      double best_c = -std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < rest.size(); ++k) {
        const double c = (diag[k][0] - lvals[rest[k]][0]) * (diag[k][1] - lvals[rest[k]][1]);
        if (c > best_c) {
          best_c = c;
          best = k;
        }
      }
      const Point chosen = lvals[rest[best]];
      selected.push_back(rest[best]);
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(best));
      diag.erase(diag.begin() + static_cast<std::ptrdiff_t>(best));
      for (std::size_t k = 0; k < best; ++k) diag[k][0] = std::min(chosen[0], diag[k][0]);
      for (std::size_t k = best; k < rest.size(); ++k) diag[k][1] = std::min(chosen[1], diag[k][1]);
    }
    return selected;
  }
  std::vector<Point> chosen;
  double hv_selected = 0;
  for (std::size_t s = 0; s < subset_size; ++s) {
    std::size_t best = 0;
    double best_c = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < rest.size(); ++k) {
      chosen.push_back(lvals[rest[k]]);
      const double c = hypervolume(chosen, ref) - hv_selected;
      chosen.pop_back();
      if (c > best_c) {
        best_c = c;
        best = k;
      }
    }
    chosen.push_back(lvals[rest[best]]);
    hv_selected = hypervolume(chosen, ref);
    selected.push_back(rest[best]);
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(best));
  }
  return selected;
}

namespace {
TpeSplit split_trials_impl(const std::vector<StudyDirection>& directions, const std::vector<FrozenTrial>& trials,
                           std::int64_t exclude_trial_id, bool constant_liar,
                           const std::function<std::size_t(std::size_t)>& gamma, bool select) {
  std::vector<const FrozenTrial*> complete, pruned, running;
  for (const auto& t : trials) {
    if (t.trial_id == exclude_trial_id) continue;
    if (t.state == TrialState::Complete && t.values && t.values->size() == directions.size()) complete.push_back(&t);
    else if (t.state == TrialState::Pruned) pruned.push_back(&t);
    else if (t.state == TrialState::Running && constant_liar) running.push_back(&t);
  }
  TpeSplit split;
  split.n = complete.size() + pruned.size();
  std::size_t n_below = gamma(split.n);

  // COMPLETE trials.
  // Single objective: below = the first k of a stable sort by value, i.e. the k smallest
  // (value, position) pairs, a unique set (positions differ) that a selection finds without
  // sorting; both groups keep the history's order, which is usually already trial-number order
  // (checked at the end; NaN values, which a sort cannot order, take the stable sort).
  bool in_history_order = false;
  if (directions.size() <= 1) {
    const double sign = !directions.empty() && directions[0] == StudyDirection::Maximize ? -1.0 : 1.0;
    const std::size_t k = std::min(n_below, complete.size());
    std::vector<std::pair<double, std::size_t>> keyed(complete.size());
    bool has_nan = false;
    for (std::size_t i = 0; i < complete.size(); ++i) {
      keyed[i] = {sign * complete[i]->values->front(), i};
      has_nan = has_nan || std::isnan(keyed[i].first);
    }
    if (select && !has_nan) {
      if (k < keyed.size()) std::nth_element(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(k), keyed.end());
      std::vector<bool> in_below(complete.size(), false);
      for (std::size_t j = 0; j < k; ++j) in_below[keyed[j].second] = true;
      for (std::size_t i = 0; i < complete.size(); ++i) (in_below[i] ? split.below : split.above).push_back(complete[i]);
      in_history_order = true;
    } else {
      std::stable_sort(complete.begin(), complete.end(),
                       [&](auto a, auto b) { return sign * a->values->front() < sign * b->values->front(); });
      split.below.assign(complete.begin(), complete.begin() + static_cast<std::ptrdiff_t>(k));
      split.above.assign(complete.begin() + static_cast<std::ptrdiff_t>(k), complete.end());
    }
  } else {
    const auto positions = mo_below_positions(signed_values(directions, complete), std::min(n_below, complete.size()));
    std::vector<bool> in_below(complete.size(), false);
    for (auto p : positions) in_below[p] = true;
    for (std::size_t i = 0; i < complete.size(); ++i) (in_below[i] ? split.below : split.above).push_back(complete[i]);
  }
  n_below -= std::min(n_below, split.below.size());

  // PRUNED trials: deeper first, then by the last intermediate value (NaN last).
  const double sign0 = !directions.empty() && directions[0] == StudyDirection::Maximize ? -1.0 : 1.0;
  auto pruned_key = [&](const FrozenTrial* t) -> std::pair<double, double> {
    if (t->intermediate_values.empty()) return {1.0, 0.0};
    const auto& [step, v] = *t->intermediate_values.rbegin();
    return {-static_cast<double>(step), std::isnan(v) ? std::numeric_limits<double>::infinity() : sign0 * v};
  };
  std::stable_sort(pruned.begin(), pruned.end(), [&](auto a, auto b) { return pruned_key(a) < pruned_key(b); });
  const std::size_t k = std::min(n_below, pruned.size());
  split.below.insert(split.below.end(), pruned.begin(), pruned.begin() + static_cast<std::ptrdiff_t>(k));
  split.above.insert(split.above.end(), pruned.begin() + static_cast<std::ptrdiff_t>(k), pruned.end());
  split.above.insert(split.above.end(), running.begin(), running.end());

  auto by_number = [](const FrozenTrial* a, const FrozenTrial* b) { return a->number < b->number; };
  // Distinct numbers: std::sort's order is unique, whatever the input order (a group already
  // strictly increasing needs no sort). Duplicate numbers (not in a real study): std::sort's
  // order of equals depends on its input, so everything is redone with the stable sort.
  auto strictly_increasing = [&](const std::vector<const FrozenTrial*>& v) {
    return std::adjacent_find(v.begin(), v.end(), [&](auto a, auto b) { return !by_number(a, b); }) == v.end();
  };
  if (in_history_order) {
    for (auto* g : {&split.below, &split.above}) {
      if (!strictly_increasing(*g)) std::sort(g->begin(), g->end(), by_number);
    }
    if (strictly_increasing(split.below) && strictly_increasing(split.above)) return split;
    return split_trials_impl(directions, trials, exclude_trial_id, constant_liar, gamma, false);
  }
  std::sort(split.below.begin(), split.below.end(), by_number);
  std::sort(split.above.begin(), split.above.end(), by_number);
  return split;
}
}  // namespace

TpeSplit split_trials(const std::vector<StudyDirection>& directions, const std::vector<FrozenTrial>& trials,
                      std::int64_t exclude_trial_id, bool constant_liar,
                      const std::function<std::size_t(std::size_t)>& gamma) {
  return split_trials_impl(directions, trials, exclude_trial_id, constant_liar, gamma, true);
}

std::vector<double> mo_weights_below(const std::vector<StudyDirection>& directions,
                                     const std::vector<const FrozenTrial*>& below) {
  std::vector<double> weights(below.size(), kEps);
  std::vector<const FrozenTrial*> feasible;
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < below.size(); ++i) {
    const auto* t = below[i];
    if (t->state == TrialState::Complete && t->values && t->values->size() == directions.size()) {
      weights[i] = 1.0;
      feasible.push_back(t);
      where.push_back(i);
    }
  }
  if (feasible.size() <= 1) return weights;
  const auto lvals = signed_values(directions, feasible);
  const auto ref = hv_reference_point(lvals);
  const auto on = pareto_front(lvals);
  std::vector<Point> front;
  std::vector<std::size_t> front_pos;
  for (std::size_t i = 0; i < lvals.size(); ++i) {
    if (on[i]) {
      front.push_back(lvals[i]);
      front_pos.push_back(i);
    }
  }
  const double hv = hypervolume(front, ref);
  if (!std::isfinite(hv)) return weights;
  std::vector<double> contribs(lvals.size(), 0.0);
  for (std::size_t k = 0; k < front.size(); ++k) {
    std::vector<Point> loo = front;
    loo.erase(loo.begin() + static_cast<std::ptrdiff_t>(k));
    contribs[front_pos[k]] = hv - hypervolume(loo, ref);
  }
  const double max_c = std::max(*std::max_element(contribs.begin(), contribs.end()), kEps);
  for (std::size_t i = 0; i < lvals.size(); ++i) weights[where[i]] = std::max(contribs[i] / max_c, kEps);
  return weights;
}

}  // namespace glasswing::search::detail
