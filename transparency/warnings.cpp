#include "transparency/warnings.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "transparency/json_util.hpp"
#include "transparency/util.hpp"

#include "automl/common/error.hpp"
#include "automl/data/profile.hpp"
#include "automl/metrics/metrics.hpp"

namespace glasswing::transparency {
namespace {

using detail::sorted_quantile;

using data::Column;
using data::Table;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double v, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string pct(double share) { return fmt(100.0 * share, 1) + "%"; }
std::string q_name(std::string_view name) { return "'" + std::string(name) + "'"; }

std::size_t distinct_count(const Column& c) {
  if (c.is_numeric()) {
    std::vector<double> v;
    for (const double x : c.values())
      if (!std::isnan(x)) v.push_back(x == 0.0 ? 0.0 : x);
    std::sort(v.begin(), v.end());
    return static_cast<std::size_t>(std::unique(v.begin(), v.end()) - v.begin());
  }
  std::vector<char> seen(c.categories().size(), 0);
  std::size_t n = 0;
  for (const auto code : c.codes())
    if (code >= 0 && !seen[static_cast<std::size_t>(code)]) {
      seen[static_cast<std::size_t>(code)] = 1;
      ++n;
    }
  return n;
}

bool id_like(const Column& c, const WarningOptions& o, double* share) {
  const std::size_t count = c.size() - c.missing_count();
  const std::size_t distinct = distinct_count(c);
  *share = count == 0 ? 0.0 : static_cast<double>(distinct) / static_cast<double>(count);
  if (c.type() == data::ColumnType::Id) return true;
  const bool kind_ok = c.type() == data::ColumnType::Integer || c.type() == data::ColumnType::Categorical ||
                       c.type() == data::ColumnType::Text;
  return kind_ok && count >= o.id_min_rows && *share >= o.id_distinct_share;
}


// A feature cut into bins for the leakage scores; missing is the last bin.
struct Binned {
  std::vector<std::size_t> bin;
  std::size_t n_bins = 0;
};
Binned bin_feature(const Column& c, std::size_t max_bins) {
  Binned b;
  const std::size_t n = c.size();
  b.bin.resize(n);
  if (c.is_numeric()) {
    std::vector<double> s;
    for (const double x : c.values())
      if (!std::isnan(x)) s.push_back(x);
    std::sort(s.begin(), s.end());
    std::vector<double> uniq = s;
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    std::vector<double> edges;  // bin k holds (edges[k-1], edges[k]]
    if (uniq.size() <= max_bins) {
      edges = uniq;
      if (!edges.empty()) edges.pop_back();
    } else {
      for (std::size_t i = 1; i < max_bins; ++i)
        edges.push_back(sorted_quantile(s, static_cast<double>(i) / static_cast<double>(max_bins)));
      edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    }
    const std::size_t missing_bin = edges.size() + 1;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = c.values()[i];
      b.bin[i] = std::isnan(x) ? missing_bin
                               : static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin());
    }
    b.n_bins = missing_bin + 1;
    return b;
  }
  const std::size_t k = c.categories().size();
  std::vector<std::size_t> counts(k, 0);
  for (const auto code : c.codes())
    if (code >= 0) ++counts[static_cast<std::size_t>(code)];
  std::vector<std::size_t> order(k);
  for (std::size_t i = 0; i < k; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t x) { return counts[a] > counts[x]; });
  const std::size_t kept = std::min(k, max_bins);
  std::vector<std::size_t> map(k, kept);  // kept: "other"
  for (std::size_t r = 0; r < kept; ++r) map[order[r]] = r;
  for (std::size_t i = 0; i < n; ++i) {
    const auto code = c.codes()[i];
    b.bin[i] = code < 0 ? kept + 1 : map[static_cast<std::size_t>(code)];
  }
  b.n_bins = kept + 2;
  return b;
}

double entropy(const std::vector<double>& counts, double total) {
  double h = 0.0;
  for (const double c : counts)
    if (c > 0.0) h -= c / total * std::log(c / total);
  return h;
}

// U = I(X; Y) / H(Y) over rows with a class (y >= 0).
double uncertainty_coefficient(const Binned& x, const std::vector<std::int32_t>& y, std::size_t k) {
  std::vector<double> joint(x.n_bins * k, 0.0), py(k, 0.0), px(x.n_bins, 0.0);
  double total = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] < 0) continue;
    const auto yi = static_cast<std::size_t>(y[i]);
    joint[x.bin[i] * k + yi] += 1.0;
    py[yi] += 1.0;
    px[x.bin[i]] += 1.0;
    total += 1.0;
  }
  const double hy = entropy(py, total);
  if (hy <= 0.0) return 0.0;
  double hyx = 0.0;
  for (std::size_t b = 0; b < x.n_bins; ++b) {
    if (px[b] == 0.0) continue;
    const std::vector<double> row(joint.begin() + static_cast<std::ptrdiff_t>(b * k),
                                  joint.begin() + static_cast<std::ptrdiff_t>((b + 1) * k));
    hyx += px[b] / total * entropy(row, px[b]);
  }
  return std::clamp((hy - hyx) / hy, 0.0, 1.0);
}

// Correlation ratio eta^2 of y over the bins (rows with y present).
double eta_squared(const Binned& x, const std::vector<double>& y) {
  std::vector<double> sum(x.n_bins, 0.0), cnt(x.n_bins, 0.0);
  double total = 0.0, n = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (std::isnan(y[i])) continue;
    sum[x.bin[i]] += y[i];
    cnt[x.bin[i]] += 1.0;
    total += y[i];
    n += 1.0;
  }
  if (n < 2.0) return 0.0;
  const double mean = total / n;
  double ss_total = 0.0, ss_between = 0.0;
  for (const double v : y)
    if (!std::isnan(v)) ss_total += (v - mean) * (v - mean);
  for (std::size_t b = 0; b < x.n_bins; ++b)
    if (cnt[b] > 0.0) ss_between += cnt[b] * (sum[b] / cnt[b] - mean) * (sum[b] / cnt[b] - mean);
  return ss_total > 0.0 ? std::clamp(ss_between / ss_total, 0.0, 1.0) : 0.0;
}

double pearson_r2(std::span<const double> x, const std::vector<double>& y) {
  double n = 0.0, sx = 0.0, sy = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i)
    if (!std::isnan(x[i]) && !std::isnan(y[i])) {
      n += 1.0;
      sx += x[i];
      sy += y[i];
    }
  if (n < 3.0) return 0.0;
  const double mx = sx / n, my = sy / n;
  double sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i)
    if (!std::isnan(x[i]) && !std::isnan(y[i])) {
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
      sxy += (x[i] - mx) * (y[i] - my);
    }
  return sxx > 0.0 && syy > 0.0 ? sxy * sxy / (sxx * syy) : 0.0;
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Per-column cell hashers; categorical cells hash their text (or, with as_text, every cell does).
struct CellHasher {
  const Column* column = nullptr;
  bool as_text = false;
  std::vector<std::uint64_t> category_hash;
  CellHasher(const Column& c, bool text) : column(&c), as_text(text) {
    for (const auto& s : c.categories()) category_hash.push_back(std::hash<std::string>{}(s));
  }
  std::uint64_t operator()(std::size_t row) const {
    if (column->is_missing(row)) return 0x6d697373696e67ULL;
    if (as_text) return std::hash<std::string>{}(column->cell_text(row));
    if (column->is_numeric()) {
      const double v = column->values()[row];
      return std::bit_cast<std::uint64_t>(v == 0.0 ? 0.0 : v);
    }
    return category_hash[static_cast<std::size_t>(column->codes()[row])];
  }
};

std::vector<std::uint64_t> row_hashes(const Table& t, const std::vector<CellHasher>& hashers) {
  std::vector<std::uint64_t> h(t.rows(), 0x243f6a8885a308d3ULL);
  for (std::size_t c = 0; c < hashers.size(); ++c)
    for (std::size_t r = 0; r < t.rows(); ++r) h[r] = splitmix(h[r] ^ splitmix(hashers[c](r) + c));
  return h;
}

Severity psi_severity(double psi, const WarningOptions& o) {
  return psi >= o.psi_critical ? Severity::Critical : psi >= o.psi_warning ? Severity::Warning : Severity::Info;
}

DriftResult drift_column(const Column& a, const Column& b, const WarningOptions& o) {
  DriftResult r;
  r.column = a.name();
  r.psi = kNaN;
  if (a.size() == 0 || b.size() == 0) {
    r.method = "skipped: a table has no rows";
    return r;
  }
  double id_share = 0.0;
  if (id_like(a, o, &id_share)) {
    r.method = "skipped: ID-like column";
    return r;
  }
  if (distinct_count(a) <= 1) {
    r.method = "skipped: constant column";
    return r;
  }
  if (a.is_numeric() != b.is_numeric()) {
    r.method = "skipped: the column is numeric in one table and categorical in the other";
    return r;
  }
  std::vector<double> ca, cb;  // counts per bin; the last bin is "missing"
  if (a.is_numeric()) {
    r.method = "psi quantile bins";
    std::vector<double> s;
    for (const double x : a.values())
      if (!std::isnan(x)) s.push_back(x);
    std::sort(s.begin(), s.end());
    std::vector<double> edges;
    for (std::size_t i = 1; i < o.drift_bins; ++i)
      edges.push_back(sorted_quantile(s, static_cast<double>(i) / static_cast<double>(o.drift_bins)));
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    // The top edge equal to the maximum would leave an empty last bin; drop it.
    while (!edges.empty() && edges.back() >= s.back()) edges.pop_back();
    ca.assign(edges.size() + 2, 0.0);
    cb = ca;
    auto count = [&](const Column& c, std::vector<double>& out) {
      for (const double x : c.values())
        out[std::isnan(x) ? edges.size() + 1
                          : static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin())] += 1.0;
    };
    count(a, ca);
    count(b, cb);
    for (std::size_t k = 0; k <= edges.size(); ++k) {
      const std::string lo = k == 0 ? "-inf" : fmt(edges[k - 1], 4), hi = k == edges.size() ? "inf" : fmt(edges[k], 4);
      r.bins.push_back({"(" + lo + ", " + hi + (k == edges.size() ? ")" : "]"), 0.0, 0.0});
    }
  } else {
    r.method = "psi categories";
    const std::size_t k = a.categories().size();
    std::vector<std::size_t> counts(k, 0);
    for (const auto code : a.codes())
      if (code >= 0) ++counts[static_cast<std::size_t>(code)];
    std::vector<std::size_t> order(k);
    for (std::size_t i = 0; i < k; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return counts[x] > counts[y]; });
    std::map<std::string, std::size_t> kept;
    for (const auto i : order) {
      if (kept.size() >= 20 || static_cast<double>(counts[i]) < 0.01 * static_cast<double>(a.size())) break;
      const std::size_t index = kept.size();
      kept.emplace(a.categories()[i], index);
      r.bins.push_back({a.categories()[i], 0.0, 0.0});
    }
    r.bins.push_back({"other", 0.0, 0.0});
    ca.assign(kept.size() + 2, 0.0);
    cb = ca;
    auto count = [&](const Column& c, std::vector<double>& out) {
      std::vector<std::size_t> map(c.categories().size(), kept.size());
      for (std::size_t i = 0; i < map.size(); ++i)
        if (auto it = kept.find(c.categories()[i]); it != kept.end()) map[i] = it->second;
      for (const auto code : c.codes()) out[code < 0 ? kept.size() + 1 : map[static_cast<std::size_t>(code)]] += 1.0;
    };
    count(a, ca);
    count(b, cb);
  }
  r.bins.push_back({"missing", 0.0, 0.0});
  const auto na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  double psi = 0.0;
  std::vector<DriftBin> shown;
  for (std::size_t k = 0; k < ca.size(); ++k) {
    const double p = ca[k] / na, q = cb[k] / nb;
    const double pc = std::max(p, 1e-4), qc = std::max(q, 1e-4);
    psi += (qc - pc) * std::log(qc / pc);
    r.bins[k].train_share = p;
    r.bins[k].test_share = q;
    if (p > 0.0 || q > 0.0) shown.push_back(r.bins[k]);
  }
  r.bins = std::move(shown);
  r.psi = psi;
  r.severity = psi_severity(psi, o);
  return r;
}

}  // namespace

std::string_view to_string(WarningKind kind) noexcept {
  switch (kind) {
    case WarningKind::Leakage: return "leakage";
    case WarningKind::IdLike: return "id_like";
    case WarningKind::Constant: return "constant";
    case WarningKind::DuplicateRows: return "duplicate_rows";
    case WarningKind::TrainTestDuplicates: return "train_test_duplicates";
    case WarningKind::HeavyMissing: return "heavy_missing";
    case WarningKind::ClassImbalance: return "class_imbalance";
    case WarningKind::Drift: return "drift";
    case WarningKind::OverfittingGap: return "overfitting_gap";
  }
  return "unknown";
}

std::string_view to_string(Severity severity) noexcept {
  switch (severity) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Critical: return "critical";
  }
  return "unknown";
}

std::vector<DataWarning> check_table(const Table& table, std::string_view target, const WarningOptions& o,
                                     std::vector<FeatureSignal>* feature_signals) {
  const data::TargetSummary summary = data::analyze_target(table, target);
  const Column& y_col = *table.find(target);
  const std::size_t n = table.rows();
  const bool classification = summary.task != data::Task::Regression;
  std::vector<DataWarning> leakage, ids, constants, missing, out;

  // Target as class indices (classification) or values (regression).
  std::vector<std::int32_t> y_class(n, -1);
  std::vector<double> y_value(n, kNaN);
  std::size_t n_classes = 0;
  std::size_t labelled = 0;
  if (classification) {
    std::map<std::string, std::int32_t> index;
    for (std::size_t i = 0; i < n; ++i) {
      if (y_col.is_missing(i)) continue;
      auto [it, inserted] = index.emplace(y_col.cell_text(i), static_cast<std::int32_t>(index.size()));
      y_class[i] = it->second;
      ++labelled;
    }
    n_classes = index.size();
  } else {
    for (std::size_t i = 0; i < n; ++i)
      if (!y_col.is_missing(i)) {
        y_value[i] = y_col.values()[i];
        ++labelled;
      }
  }
  // Few rows cannot fill many bins without inflating the scores: about 30 rows per bin.
  const std::size_t bins = std::clamp<std::size_t>(labelled / 30, 2, std::max<std::size_t>(o.leakage_bins, 2));

  for (const Column& c : table.columns()) {
    const double miss_share = n == 0 ? 0.0 : static_cast<double>(c.missing_count()) / static_cast<double>(n);
    const bool is_target = c.name() == target;
    const std::size_t distinct = distinct_count(c);
    if (!is_target && distinct <= 1) {
      DataWarning w{WarningKind::Constant, Severity::Warning, {c.name()}, static_cast<double>(distinct), "distinct values", ""};
      if (distinct == 0) {
        w.message = "Column " + q_name(c.name()) + " is missing in every row; drop it, it carries no information.";
      } else {
        std::string value;
        for (std::size_t i = 0; i < n && value.empty(); ++i)
          if (!c.is_missing(i)) value = c.cell_text(i);
        w.message = "Column " + q_name(c.name()) + " has the same value ('" + value + "') in every row" +
                    (miss_share > 0.0 ? " that has one" : "") + "; drop it, it carries no information.";
      }
      constants.push_back(std::move(w));
      continue;
    }
    if (miss_share >= o.missing_warning) {
      DataWarning w{WarningKind::HeavyMissing,
                    miss_share >= o.missing_critical ? Severity::Critical : Severity::Warning,
                    {c.name()},
                    miss_share,
                    "share missing",
                    ""};
      w.message = is_target ? "The target " + q_name(c.name()) + " is missing in " + pct(miss_share) +
                                  " of rows; those rows are dropped from training, so check that the rest is representative."
                            : "Column " + q_name(c.name()) + " is missing in " + pct(miss_share) +
                                  " of rows; drop it, or keep it with imputation and a missing indicator if the missingness itself is informative.";
      missing.push_back(std::move(w));
    }
    if (is_target) continue;
    double share = 0.0;
    if (id_like(c, o, &share)) {
      ids.push_back({WarningKind::IdLike, Severity::Warning, {c.name()}, share, "distinct share",
                     "Column " + q_name(c.name()) + " looks like an identifier (" + pct(share) +
                         " of its values are distinct); exclude it from the features, a model can only memorise it."});
      continue;
    }
    // Leakage: the feature's predictive power alone.
    const Binned b = bin_feature(c, bins);
    FeatureSignal best{c.name(), "", 0.0};
    bool flagged = false;
    if (classification) {
      best = {c.name(), "uncertainty coefficient", uncertainty_coefficient(b, y_class, n_classes)};
      flagged = best.value >= o.leakage_u;
      if (n_classes == 2 && c.is_numeric() && miss_share < 0.1) {
        std::vector<std::int32_t> yy;
        std::vector<double> xx;
        for (std::size_t i = 0; i < n; ++i)
          if (y_class[i] >= 0 && !c.is_missing(i)) {
            yy.push_back(y_class[i]);
            xx.push_back(c.values()[i]);
          }
        const double auc = metrics::roc_auc(yy, xx, 1);
        const double strength = std::isnan(auc) ? 0.0 : std::max(auc, 1.0 - auc);
        if (strength >= o.leakage_auc && !flagged) {
          best = {c.name(), "roc_auc", strength};
          flagged = true;
        }
      }
    } else {
      best = {c.name(), "eta^2", eta_squared(b, y_value)};
      if (c.is_numeric()) {
        const double r2 = pearson_r2(c.values(), y_value);
        if (r2 > best.value) best = {c.name(), "r^2", r2};
      }
      flagged = best.value >= o.leakage_r2;
    }
    if (flagged)
      leakage.push_back({WarningKind::Leakage, Severity::Critical, {c.name(), std::string(target)}, best.value,
                         best.method,
                         "Column " + q_name(c.name()) + " alone predicts the target " + q_name(target) +
                             " almost perfectly (" + best.method + " " + fmt(best.value) +
                             "); check that it is not derived from the target or recorded after the outcome, and exclude it if so."});
    if (feature_signals) feature_signals->push_back(best);
  }

  // Duplicate rows over all columns.
  std::vector<CellHasher> hashers;
  for (const Column& c : table.columns()) hashers.emplace_back(c, false);
  const auto hashes = row_hashes(table, hashers);
  std::unordered_set<std::uint64_t> seen;
  std::size_t dups = 0;
  for (const auto h : hashes)
    if (!seen.insert(h).second) ++dups;

  out.insert(out.end(), leakage.begin(), leakage.end());
  out.insert(out.end(), ids.begin(), ids.end());
  out.insert(out.end(), constants.begin(), constants.end());
  if (dups > 0) {
    const double share = static_cast<double>(dups) / static_cast<double>(n);
    out.push_back({WarningKind::DuplicateRows, share >= o.duplicate_warning ? Severity::Warning : Severity::Info, {},
                   static_cast<double>(dups), "duplicate rows",
                   std::to_string(dups) + " rows (" + pct(share) +
                       ") repeat an earlier row in every column; check whether they are real repeats or an export error, and drop them if they are errors, since duplicates split across CV folds inflate the scores."});
  }
  out.insert(out.end(), missing.begin(), missing.end());
  if (classification && summary.classes.size() >= 2) {
    const auto& largest = summary.classes.front();
    const auto& smallest = summary.classes.back();
    const double ratio = static_cast<double>(smallest.count) / static_cast<double>(largest.count);
    if (ratio < o.imbalance_warning)
      out.push_back({WarningKind::ClassImbalance, ratio < o.imbalance_critical ? Severity::Critical : Severity::Warning,
                     {std::string(target)}, ratio, "minority / majority count",
                     "The target " + q_name(target) + " is imbalanced: class '" + smallest.value + "' has " +
                         std::to_string(smallest.count) + " rows against " + std::to_string(largest.count) + " for '" +
                         largest.value + "'; judge models by balanced accuracy, ROC AUC or F1 rather than accuracy, and consider class weights."});
  }
  return out;
}

std::vector<DriftResult> drift(const Table& train, const Table& test, const WarningOptions& o) {
  std::vector<DriftResult> out;
  for (const Column& c : train.columns())
    if (const Column* t = test.find(c.name())) out.push_back(drift_column(c, *t, o));
  return out;
}

std::vector<DataWarning> check_train_test(const Table& train, const Table& test, std::string_view target,
                                          const WarningOptions& o, std::vector<DriftResult>* drift_out) {
  std::vector<DataWarning> out;
  std::vector<CellHasher> ha, hb;
  std::vector<std::string> common;
  for (const Column& c : train.columns()) {
    if (c.name() == target) continue;
    const Column* t = test.find(c.name());
    if (!t) continue;
    const bool as_text = c.is_numeric() != t->is_numeric();
    ha.emplace_back(c, as_text);
    hb.emplace_back(*t, as_text);
    common.push_back(c.name());
  }
  if (!common.empty() && test.rows() > 0) {
    const auto h_train = row_hashes(train, ha), h_test = row_hashes(test, hb);
    const std::unordered_set<std::uint64_t> in_train(h_train.begin(), h_train.end());
    std::size_t dups = 0;
    for (const auto h : h_test) dups += in_train.count(h);
    if (dups > 0) {
      const double share = static_cast<double>(dups) / static_cast<double>(test.rows());
      out.push_back({WarningKind::TrainTestDuplicates, share >= 0.1 ? Severity::Critical : Severity::Warning, {},
                     static_cast<double>(dups), "test rows also in train",
                     std::to_string(dups) + " test rows (" + pct(share) +
                         ") repeat a training row in every feature column; remove them from the test set, or the test score overstates performance on new data."});
    }
  }
  auto results = drift(train, test, o);
  for (const auto& d : results)
    if (d.severity != Severity::Info)
      out.push_back({WarningKind::Drift, d.severity, {d.column}, d.psi, "PSI",
                     "Column " + q_name(d.column) + " is distributed differently in the test data than in training (PSI " +
                         fmt(d.psi) + ", " + (d.severity == Severity::Critical ? "major" : "moderate") +
                         "); check how each set was collected, and expect test scores to differ from cross-validation."});
  if (drift_out) *drift_out = std::move(results);
  return out;
}

std::optional<DataWarning> overfitting_gap(std::string_view metric, double train_score, double cv_score,
                                           const WarningOptions& o) {
  const auto& info = metrics::info(metric);
  const double gap = info.direction == metrics::Direction::Maximize ? train_score - cv_score : cv_score - train_score;
  const double rel = gap / std::max(std::abs(cv_score), 1e-12);
  if (!(rel >= o.gap_warning)) return std::nullopt;
  return DataWarning{WarningKind::OverfittingGap, rel >= o.gap_critical ? Severity::Critical : Severity::Warning, {}, gap,
                     info.name + " gap (train - CV, in the better direction)",
                     "The training " + info.name + " (" + fmt(train_score) + ") is better than the cross-validated " +
                         info.name + " (" + fmt(cv_score) + ") by " + fmt(gap) +
                         "; the model is overfitting: regularise or simplify it, or add data, and trust the CV score."};
}

void to_json(nlohmann::json& j, const DataWarning& v) {
  j = {{"kind", to_string(v.kind)}, {"severity", to_string(v.severity)}, {"columns", v.columns},
       {"value", v.value},          {"value_name", v.value_name},        {"message", v.message}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const FeatureSignal& v) {
  j = {{"column", v.column}, {"method", v.method}, {"value", v.value}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const DriftBin& v) {
  j = {{"label", v.label}, {"train_share", v.train_share}, {"test_share", v.test_share}};
  detail::finite_or_null(j);
}
void to_json(nlohmann::json& j, const DriftResult& v) {
  j = {{"column", v.column}, {"method", v.method}, {"psi", v.psi}, {"severity", to_string(v.severity)}, {"bins", v.bins}};
  detail::finite_or_null(j);
}

}  // namespace glasswing::transparency
