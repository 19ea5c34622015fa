#include "automl/data/profile.hpp"

#include <algorithm>
#include <cmath>
#include <atomic>
#include <mutex>
#include <numeric>
#include <system_error>
#include <thread>

#include "automl/common/error.hpp"

namespace glasswing::data {

namespace {

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                                     std::tolower(static_cast<unsigned char>(b[j - 1]))
                                                 ? 0
                                                 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<CategoryCount> category_counts(const Column& column) {
  std::vector<std::size_t> counts(column.categories().size(), 0);
  for (const auto code : column.codes())
    if (code >= 0) ++counts[static_cast<std::size_t>(code)];
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return counts[x] > counts[y]; });
  std::vector<CategoryCount> out;
  out.reserve(order.size());
  for (const auto i : order) out.push_back({column.categories()[i], counts[i]});
  return out;
}

std::string number_label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

std::string_view to_string(Task task) noexcept {
  switch (task) {
    case Task::Binary: return "binary";
    case Task::Multiclass: return "multiclass";
    case Task::Regression: return "regression";
  }
  return "regression";
}

ColumnProfile profile_column(const Column& column, const ProfileOptions& options) {
  ColumnProfile p;
  p.name = column.name();
  p.type = column.type();
  p.type_reason = column.type_reason();
  p.missing = column.missing_count();
  p.count = column.size() - p.missing;

  if (!column.is_numeric()) {
    auto counts = category_counts(column);
    p.distinct = counts.size();
    if (counts.size() > options.top_k) counts.resize(options.top_k);
    p.top = std::move(counts);
    return p;
  }

  std::vector<double> v;
  v.reserve(p.count);
  for (const double x : column.values())
    if (!std::isnan(x)) v.push_back(x);
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  p.distinct = static_cast<std::size_t>(std::unique(v.begin(), v.end()) - v.begin());
  // Moments and the histogram read the column itself (v was reordered by unique()).
  double lo = INFINITY, hi = -INFINITY, mean = 0.0, m2 = 0.0;
  std::size_t n = 0;
  std::size_t finite = 0;
  for (const double x : column.values()) {
    if (std::isnan(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    if (!std::isfinite(x)) continue;
    ++finite;
    ++n;
    const double d = x - mean;  // Welford's update
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  p.min = lo;
  p.max = hi;
  if (finite > 0) p.mean = mean;
  if (finite > 1) p.std = std::sqrt(m2 / static_cast<double>(finite - 1));

  if (options.bins == 0 || !std::isfinite(lo) || !std::isfinite(hi)) return p;
  // Integer-valued columns with a narrow range get one bin per value; others equal-width bins.
  const bool per_value = column.type() == ColumnType::Integer && hi - lo + 1.0 <= static_cast<double>(options.bins);
  std::size_t nbins = per_value ? static_cast<std::size_t>(hi - lo + 1.0) : options.bins;
  double low = per_value ? lo - 0.5 : lo;
  double width = per_value ? 1.0 : (hi - lo) / static_cast<double>(nbins);
  if (width <= 0.0) {
    nbins = 1;
    width = 1.0;
    low = lo - 0.5;
  }
  p.histogram.resize(nbins);
  for (std::size_t b = 0; b < nbins; ++b) {
    p.histogram[b].low = low + width * static_cast<double>(b);
    p.histogram[b].high = low + width * static_cast<double>(b + 1);
  }
  for (const double x : column.values()) {
    if (!std::isfinite(x)) continue;
    auto b = static_cast<std::size_t>(std::max(0.0, std::floor((x - low) / width)));
    if (b >= nbins) b = nbins - 1;
    ++p.histogram[b].count;
  }
  return p;
}

std::vector<ColumnProfile> profile_table(const Table& table, const ProfileOptions& options) {
  // Columns are independent: profile them on all cores (sorting for distinct counts dominates).
  std::vector<ColumnProfile> out(table.column_count());
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < out.size();) {
      try {
        out[i] = profile_column(table.column(i), options);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  const std::size_t threads = std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), out.size());
  std::vector<std::thread> pool;
  try {
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  } catch (const std::system_error&) {
    // Fewer threads than asked for: the ones started and this one do the work.
  }
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return out;
}

TargetSummary analyze_target(const Table& table, std::string_view target) {
  const Column* column = table.find(target);
  if (column == nullptr) {
    std::string best;
    std::size_t best_d = 4;
    std::string names;
    for (const auto& c : table.columns()) {
      const std::size_t d = edit_distance(target, c.name());
      if (d < best_d) {
        best_d = d;
        best = c.name();
      }
      if (names.size() < 300) names += (names.empty() ? "" : ", ") + c.name();
    }
    std::string msg = "target column '" + std::string(target) + "' does not exist";
    if (!best.empty()) msg += " (did you mean '" + best + "'?)";
    msg += "; the columns are: " + names;
    throw Error(ErrorKind::BadInput, msg);
  }
  TargetSummary s;
  s.name = column->name();
  s.missing = column->missing_count();
  const std::size_t present = column->size() - s.missing;
  if (present == 0)
    throw Error(ErrorKind::BadInput, "target column '" + s.name + "' is entirely missing; choose a column that has values");

  const ColumnType type = column->type();
  if (type == ColumnType::Datetime || type == ColumnType::Date)
    throw Error(ErrorKind::BadInput, "target column '" + s.name + "' holds dates; choose a numeric or categorical target");

  if (!column->is_numeric()) {
    s.classes = category_counts(*column);
  } else if (type == ColumnType::Integer || type == ColumnType::Id) {
    std::vector<double> v;
    for (const double x : column->values())
      if (!std::isnan(x)) v.push_back(x);
    std::sort(v.begin(), v.end());
    std::vector<CategoryCount> distinct;
    for (std::size_t i = 0; i < v.size();) {
      std::size_t j = i;
      while (j < v.size() && v[j] == v[i]) ++j;
      distinct.push_back({number_label(v[i]), j - i});
      if (distinct.size() > 20) break;
      i = j;
    }
    if (distinct.size() <= 20) {
      std::stable_sort(distinct.begin(), distinct.end(),
                       [](const CategoryCount& a, const CategoryCount& b) { return a.count > b.count; });
      s.classes = std::move(distinct);
    }
  }

  if (!s.classes.empty() && s.classes.size() == 1)
    throw Error(ErrorKind::BadInput, "target column '" + s.name + "' has the single value '" + s.classes[0].value +
                                         "' in every row; a model cannot learn a constant; choose another target");

  if (!s.classes.empty()) {
    s.task = s.classes.size() == 2 ? Task::Binary : Task::Multiclass;
    s.minority_share = static_cast<double>(s.classes.back().count) / static_cast<double>(present);
    if (column->is_numeric())
      s.reason = std::to_string(s.classes.size()) + " distinct whole numbers, read as classes";
    else
      s.reason = std::to_string(s.classes.size()) + " distinct values of a " + std::string(to_string(type)) + " column";
    return s;
  }

  const ColumnProfile p = profile_column(*column, ProfileOptions{0, 0});
  if (p.min && p.max && *p.min == *p.max)
    throw Error(ErrorKind::BadInput, "target column '" + s.name + "' has the single value " + number_label(*p.min) +
                                         " in every row; a model cannot learn a constant; choose another target");
  s.task = Task::Regression;
  s.min = p.min;
  s.max = p.max;
  s.mean = p.mean;
  s.std = p.std;
  s.reason = type == ColumnType::Float ? "numbers with a fractional part" : "whole numbers with more than 20 distinct values";
  return s;
}

}  // namespace glasswing::data
