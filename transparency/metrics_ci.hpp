#pragma once
// Metrics with uncertainty (panel P2): percentile-bootstrap 95% confidence intervals on a test or
// holdout set, and per-fold aggregation (mean ± sd) of cross-validation scores.
//
// Metrics come from glasswing::metrics (scikit-learn-exact, the registry's names); nothing here
// re-implements a metric. Conventions are that module's: classes are indices 0..K-1,
// probabilities are row-major n x K.
//
// Bootstrap: `resamples` resamples of the rows, drawn with replacement from a std::mt19937_64
// seeded with `seed`, so a result is identical for the same inputs, seed and build. For
// classification the resampling is stratified: each class keeps its count, so every resample has
// every class of the input (and roc_auc stays defined). A resample where the metric is still
// undefined (NaN) is skipped and counted in `skipped`; the interval is taken over the others.
// The interval is the percentile interval: the (1-level)/2 and 1-(1-level)/2 quantiles of the
// resampled values, with numpy's default (linear) interpolation.
//
// Errors: an unknown metric name, a metric that does not apply to the task, inputs of the wrong
// shape, resamples == 0 or a level outside (0, 1) throw glasswing::Error (Usage / BadInput).
// A metric undefined on the whole data (roc_auc with one class) is not an error: the estimate and
// the bounds are NaN and `notice` says why.
// Cost: O(resamples x rows x classes) time and O(rows x classes) memory per call.
// Thread safety: all functions are pure; call them from any thread.
// JSON: every struct has to_json (nlohmann); non-finite numbers serialise as null.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "automl/metrics/metrics.hpp"

namespace glasswing::transparency {

struct BootstrapOptions {
  std::size_t resamples = 1000;
  double level = 0.95;  // confidence level of the interval, in (0, 1)
  std::uint64_t seed = 0;
};

struct MetricInterval {
  std::string metric;      // registry name
  double estimate = 0.0;   // the metric on all rows
  double low = 0.0;        // lower bound of the interval
  double high = 0.0;       // upper bound of the interval
  double level = 0.95;
  std::size_t resamples = 0;  // resamples drawn
  std::size_t skipped = 0;    // resamples where the metric was undefined (not in the interval)
  std::uint64_t seed = 0;
  bool stratified = false;  // classification resamples keep each class's count
  std::size_t rows = 0;
  std::string method = "percentile bootstrap";
  std::string notice;  // empty, or why the interval is missing or rests on few resamples
};

MetricInterval bootstrap_metric(std::string_view metric, const metrics::Classification& data,
                                const BootstrapOptions& options = {});
MetricInterval bootstrap_metric(std::string_view metric, const metrics::Regression& data,
                                const BootstrapOptions& options = {});

// Every registry metric that applies to `task` (Binary or Multiclass), in registry order, each
// with its own interval. All metrics share the same resampled rows.
std::vector<MetricInterval> bootstrap_all(metrics::TaskKind task, const metrics::Classification& data,
                                          const BootstrapOptions& options = {});
std::vector<MetricInterval> bootstrap_all(const metrics::Regression& data, const BootstrapOptions& options = {});

// numpy.quantile(values, q) with the default linear method; `values` need not be sorted.
// NaN when `values` is empty. Throws Error(Usage) when q is outside [0, 1].
double quantile(std::vector<double> values, double q);

// Cross-validation scores of one metric, one value per fold, aggregated.
struct FoldSummary {
  std::string metric;
  std::vector<double> values;  // as given, one per fold (NaN = undefined on that fold)
  std::size_t folds = 0;       // folds given
  std::size_t undefined = 0;   // NaN folds, left out of mean and sd
  double mean = 0.0;           // NaN when no fold is defined
  double sd = 0.0;             // sample standard deviation (n-1); NaN with fewer than 2 defined folds
  double min = 0.0, max = 0.0;
};

// Throws Error(Usage) for an unknown metric name; an empty `per_fold` gives NaN mean and sd.
FoldSummary aggregate_folds(std::string_view metric, std::span<const double> per_fold);

void to_json(nlohmann::json& j, const BootstrapOptions& v);
void to_json(nlohmann::json& j, const MetricInterval& v);
void to_json(nlohmann::json& j, const FoldSummary& v);

}  // namespace glasswing::transparency
