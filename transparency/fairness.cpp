#include "transparency/fairness.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "transparency/json_util.hpp"
#include "transparency/util.hpp"

#include "automl/common/error.hpp"

namespace glasswing::transparency {
namespace {

using detail::number_text;
using detail::sorted_quantile;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* const kMissing = "(missing)";



std::vector<std::string> group_labels(const data::Column& c, const FairnessOptions& o) {
  const std::size_t n = c.size();
  std::vector<std::string> g(n);
  if (!c.is_numeric()) {
    std::vector<std::size_t> counts(c.categories().size(), 0);
    for (const auto code : c.codes())
      if (code >= 0) ++counts[static_cast<std::size_t>(code)];
    std::vector<std::size_t> order(counts.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return counts[a] > counts[b]; });
    std::vector<char> kept(counts.size(), 0);
    for (std::size_t r = 0; r < order.size() && r < o.max_groups; ++r) kept[order[r]] = 1;
    for (std::size_t i = 0; i < n; ++i) {
      const auto code = c.codes()[i];
      g[i] = code < 0 ? kMissing : kept[static_cast<std::size_t>(code)] ? c.categories()[static_cast<std::size_t>(code)] : "(other)";
    }
    return g;
  }
  std::vector<double> s;
  for (const double v : c.values())
    if (!std::isnan(v)) s.push_back(v);
  std::sort(s.begin(), s.end());
  std::vector<double> uniq = s;
  uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
  if (uniq.size() <= 10) {
    for (std::size_t i = 0; i < n; ++i) g[i] = c.is_missing(i) ? kMissing : c.cell_text(i);
    return g;
  }
  std::vector<double> edges;
  for (const double q : {0.25, 0.5, 0.75}) edges.push_back(sorted_quantile(s, q));
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  for (std::size_t i = 0; i < n; ++i) {
    if (c.is_missing(i)) {
      g[i] = kMissing;
      continue;
    }
    const double v = c.values()[i];
    const auto k = static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin());
    g[i] = (k == 0 ? "(-inf" : "(" + number_text(edges[k - 1])) + ", " + (k == edges.size() ? "inf)" : number_text(edges[k]) + "]");
  }
  return g;
}

}  // namespace

FairnessReport fairness_by_groups(std::string_view column, std::span<const std::string> groups,
                                  std::span<const std::int32_t> y_true, std::span<const std::int32_t> y_pred,
                                  std::int32_t positive, const FairnessOptions& o) {
  if (groups.size() != y_true.size() || y_pred.size() != y_true.size())
    throw_bad_input("fairness: the group labels, y_true and y_pred must have one entry per row (got " +
                    std::to_string(groups.size()) + ", " + std::to_string(y_true.size()) + ", " +
                    std::to_string(y_pred.size()) + ")");
  FairnessReport r;
  r.column = std::string(column);
  if (y_true.empty()) {
    r.notices.push_back("Fairness by '" + r.column + "' has no rows to judge.");
    return r;
  }
  struct Acc {
    std::size_t rows = 0, tp = 0, fp = 0, fn = 0, tn = 0;
  };
  std::map<std::string, Acc> acc;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    Acc& a = acc[groups[i]];
    ++a.rows;
    const bool actual = y_true[i] == positive, predicted = y_pred[i] == positive;
    ++(actual ? (predicted ? a.tp : a.fn) : (predicted ? a.fp : a.tn));
  }
  for (const auto& [name, a] : acc) {
    GroupMetrics g;
    g.group = name;
    g.rows = a.rows;
    g.actual_positive = a.tp + a.fn;
    g.predicted_positive = a.tp + a.fp;
    const auto rows = static_cast<double>(a.rows);
    g.selection_rate = static_cast<double>(g.predicted_positive) / rows;
    g.tpr = g.actual_positive ? static_cast<double>(a.tp) / static_cast<double>(g.actual_positive) : kNaN;
    g.fpr = a.fp + a.tn ? static_cast<double>(a.fp) / static_cast<double>(a.fp + a.tn) : kNaN;
    g.accuracy = static_cast<double>(a.tp + a.tn) / rows;
    g.too_small = a.rows < o.min_group_size;
    r.groups.push_back(g);
  }
  std::stable_sort(r.groups.begin(), r.groups.end(), [](const GroupMetrics& a, const GroupMetrics& b) { return a.rows > b.rows; });
  r.available = true;
  const GroupMetrics* ref = nullptr;
  for (const auto& g : r.groups)
    if (!g.too_small && (!ref || g.selection_rate > ref->selection_rate)) ref = &g;
  r.min_disparate_impact = kNaN;
  if (!ref) {
    r.notices.push_back("No group of '" + r.column + "' has at least " + std::to_string(o.min_group_size) +
                        " rows, so no disparate impact ratio is given; judge the per-group numbers with care.");
  } else if (ref->selection_rate == 0.0) {
    r.reference_group = ref->group;
    r.notices.push_back("No row of a group large enough to judge is predicted positive, so disparate impact is undefined.");
  } else {
    r.reference_group = ref->group;
    const double ref_rate = ref->selection_rate;
    for (auto& g : r.groups) {
      g.disparate_impact = g.selection_rate / ref_rate;
      if (!g.too_small && (std::isnan(r.min_disparate_impact) || g.disparate_impact < r.min_disparate_impact))
        r.min_disparate_impact = g.disparate_impact;
    }
  }
  if (!ref || ref->selection_rate == 0.0)
    for (auto& g : r.groups) g.disparate_impact = kNaN;
  for (const auto& g : r.groups) {
    if (g.too_small)
      r.notices.push_back("Group '" + g.group + "' of '" + r.column + "' has only " + std::to_string(g.rows) +
                          " rows (fewer than " + std::to_string(o.min_group_size) +
                          "), so its rates are unreliable and it is left out of the reference and the minimum ratio.");
    else if (std::isnan(g.tpr) || std::isnan(g.fpr))
      r.notices.push_back("Group '" + g.group + "' of '" + r.column + "' has no actual " +
                          (std::isnan(g.tpr) ? "positives, so its TPR" : "negatives, so its FPR") + " is undefined.");
  }
  return r;
}

FairnessReport fairness(const data::Table& table, std::string_view column, std::span<const std::int32_t> y_true,
                        std::span<const std::int32_t> y_pred, std::int32_t positive, const FairnessOptions& options) {
  const data::Column* c = table.find(column);
  if (!c) {
    FairnessReport r;
    r.column = std::string(column);
    std::string names;
    for (const auto& col : table.columns()) names += (names.empty() ? "" : ", ") + col.name();
    r.notices.push_back("The fairness column '" + r.column + "' does not exist in the data; choose one of: " + names + ".");
    return r;
  }
  if (y_true.size() != table.rows())
    throw_bad_input("fairness: y_true has " + std::to_string(y_true.size()) + " rows but the table has " +
                    std::to_string(table.rows()));
  const auto labels = group_labels(*c, options);
  return fairness_by_groups(column, labels, y_true, y_pred, positive, options);
}

void to_json(nlohmann::json& j, const GroupMetrics& v) {
  j = {{"group", v.group},
       {"rows", v.rows},
       {"actual_positive", v.actual_positive},
       {"predicted_positive", v.predicted_positive},
       {"selection_rate", v.selection_rate},
       {"tpr", v.tpr},
       {"fpr", v.fpr},
       {"accuracy", v.accuracy},
       {"disparate_impact", v.disparate_impact},
       {"too_small", v.too_small}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const FairnessReport& v) {
  j = {{"column", v.column},
       {"available", v.available},
       {"reference_group", v.reference_group},
       {"min_disparate_impact", v.min_disparate_impact},
       {"groups", v.groups},
       {"notices", v.notices}};
  detail::finite_or_null(j);
}

}  // namespace glasswing::transparency
