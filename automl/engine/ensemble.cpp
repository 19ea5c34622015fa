#include "automl/engine/ensemble.hpp"

#include <algorithm>
#include <cmath>

#include "automl/common/error.hpp"
#include "automl/metrics/metrics.hpp"

namespace glasswing::engine {

namespace {

// Scores a compact matrix (rows x outputs, every value finite) against compact targets.
class Scorer {
 public:
  Scorer(const EnsembleTarget& target, std::string_view metric) : target_(target), metric_(metric) {
    const metrics::MetricInfo& m = metrics::info(metric);
    maximize_ = m.direction == metrics::Direction::Maximize;
    if (target.classification() && target.outputs < 2)
      throw Error(ErrorKind::BadInput, "ensemble: a classification target needs 2 or more outputs");
    if (!target.classification() && target.outputs != 1)
      throw Error(ErrorKind::BadInput, "ensemble: a regression target has 1 output, not " + std::to_string(target.outputs));
  }

  bool maximize() const noexcept { return maximize_; }
  bool better(double a, double b) const noexcept { return maximize_ ? a > b : a < b; }

  // `rows` selects the target rows that the compact matrix holds, in order.
  double operator()(std::span<const double> compact, const std::vector<std::size_t>& rows) const {
    double s = 0;
    if (target_.classification()) {
      y_class_.resize(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) y_class_[i] = target_.y_class[rows[i]];
      const auto labels = metrics::argmax_labels(compact, target_.outputs);
      metrics::Classification d;
      d.n_classes = target_.outputs;
      d.y_true = y_class_;
      d.y_pred = labels;
      d.proba = compact;
      d.positive = target_.positive;
      s = metrics::compute(metric_, d);
    } else {
      y_value_.resize(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) y_value_[i] = target_.y_value[rows[i]];
      s = metrics::compute(metric_, metrics::Regression{y_value_, compact});
    }
    if (!std::isfinite(s))
      throw Error(ErrorKind::BadInput, "ensemble: the metric " + metric_ + " is undefined on the out-of-fold rows");
    return s;
  }

 private:
  const EnsembleTarget& target_;
  std::string metric_;
  bool maximize_ = true;
  mutable std::vector<std::int32_t> y_class_;
  mutable std::vector<double> y_value_;
};

void check_shape(std::span<const double> p, const EnsembleTarget& target, std::size_t index) {
  if (p.size() != target.rows() * target.outputs)
    throw Error(ErrorKind::BadInput, "ensemble: candidate " + std::to_string(index) + " has " + std::to_string(p.size()) +
                                         " values, expected " + std::to_string(target.rows()) + " rows x " +
                                         std::to_string(target.outputs) + " outputs");
}

void renormalise(double* row, std::size_t outputs) {
  if (outputs < 2) return;
  double sum = 0;
  for (std::size_t c = 0; c < outputs; ++c) sum += row[c];
  if (sum > 0)
    for (std::size_t c = 0; c < outputs; ++c) row[c] /= sum;
}

}  // namespace

nlohmann::ordered_json EnsembleSelection::to_json() const {
  return {{"method", "greedy ensemble selection with replacement (Caruana et al. 2004) on out-of-fold predictions"},
          {"counts", counts},
          {"weights", weights},
          {"score", score},
          {"best_single", best_single},
          {"best_single_score", best_single_score},
          {"single_scores", single_scores},
          {"trajectory", trajectory},
          {"rounds_kept", rounds_kept},
          {"rows_scored", rows_scored},
          {"improves", improves}};
}

std::vector<double> normalise_weights(std::span<const double> weights) {
  double total = 0;
  for (const double w : weights) total += w;
  std::vector<double> out;
  out.reserve(weights.size());
  for (const double w : weights) out.push_back(w / total);
  return out;
}

std::vector<double> blend(const std::vector<std::span<const double>>& predictions, std::span<const double> weights,
                          std::size_t outputs) {
  if (predictions.empty() || predictions.size() != weights.size())
    throw Error(ErrorKind::BadInput, "blend: " + std::to_string(predictions.size()) + " predictions but " +
                                         std::to_string(weights.size()) + " weights");
  if (outputs == 0) throw Error(ErrorKind::BadInput, "blend: zero outputs");
  double total = 0;
  for (const double w : weights) {
    if (!(w >= 0) || !std::isfinite(w)) throw Error(ErrorKind::BadInput, "blend: weights must be finite and >= 0");
    total += w;
  }
  if (!(total > 0)) throw Error(ErrorKind::BadInput, "blend: the weights sum to 0");
  const std::size_t n = predictions.front().size();
  if (n % outputs != 0) throw Error(ErrorKind::BadInput, "blend: the predictions are not rows x outputs");
  std::vector<double> out(n, 0.0);
  for (std::size_t k = 0; k < predictions.size(); ++k) {
    if (predictions[k].size() != n) throw Error(ErrorKind::BadInput, "blend: the predictions have different shapes");
    const double w = weights[k] / total;
    if (w == 0) continue;
    for (std::size_t i = 0; i < n; ++i) out[i] += w * predictions[k][i];
  }
  for (std::size_t r = 0; r < n / outputs; ++r) renormalise(out.data() + r * outputs, outputs);
  return out;
}

double score_predictions(std::span<const double> prediction, const EnsembleTarget& target, std::string_view metric) {
  check_shape(prediction, target, 0);
  const Scorer scorer(target, metric);
  const std::size_t k = target.outputs;
  std::vector<std::size_t> rows;
  std::vector<double> compact;
  for (std::size_t r = 0; r < target.rows(); ++r) {
    bool ok = true;
    for (std::size_t c = 0; c < k; ++c) ok = ok && std::isfinite(prediction[r * k + c]);
    if (!ok) continue;
    rows.push_back(r);
    compact.insert(compact.end(), prediction.begin() + static_cast<std::ptrdiff_t>(r * k),
                   prediction.begin() + static_cast<std::ptrdiff_t>((r + 1) * k));
  }
  if (rows.empty()) throw Error(ErrorKind::BadInput, "no row has a finite prediction to score");
  return scorer(compact, rows);
}

EnsembleSelection select_ensemble(const std::vector<std::span<const double>>& candidates, const EnsembleTarget& target,
                                  std::string_view metric, const EnsembleOptions& options) {
  if (candidates.empty()) throw Error(ErrorKind::BadInput, "ensemble: no candidates to select from");
  if (options.rounds < 1) throw Error(ErrorKind::Usage, "ensemble: rounds must be at least 1");
  const Scorer scorer(target, metric);
  const std::size_t k = target.outputs;
  const std::size_t m = candidates.size();
  for (std::size_t j = 0; j < m; ++j) check_shape(candidates[j], target, j);

  // Rows where every candidate predicts (finite), and the candidates compacted to them.
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < target.rows(); ++r) {
    bool ok = true;
    for (std::size_t j = 0; j < m && ok; ++j)
      for (std::size_t c = 0; c < k; ++c) ok = ok && std::isfinite(candidates[j][r * k + c]);
    if (ok) rows.push_back(r);
  }
  if (rows.empty()) throw Error(ErrorKind::BadInput, "ensemble: no out-of-fold row has a prediction from every candidate");
  const std::size_t n = rows.size();
  std::vector<std::vector<double>> compact(m, std::vector<double>(n * k));
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < k; ++c) compact[j][i * k + c] = candidates[j][rows[i] * k + c];

  EnsembleSelection sel;
  sel.rows_scored = n;
  sel.counts.assign(m, 0);
  sel.single_scores.resize(m);
  for (std::size_t j = 0; j < m; ++j) {
    sel.single_scores[j] = scorer(compact[j], rows);
    if (j == 0 || scorer.better(sel.single_scores[j], sel.single_scores[sel.best_single])) sel.best_single = j;
  }
  sel.best_single_score = sel.single_scores[sel.best_single];

  // Running sum of the selected candidates' predictions; `trial` holds (sum + P_j) / (count + 1).
  std::vector<double> sum(n * k, 0.0), trial(n * k);
  std::vector<int> counts(m, 0);
  int selected = 0;
  auto add = [&](std::size_t j) {
    for (std::size_t i = 0; i < n * k; ++i) sum[i] += compact[j][i];
    ++counts[j];
    ++selected;
  };
  std::vector<std::vector<int>> history;  // counts after each round
  auto record = [&](double score) {
    sel.trajectory.push_back(score);
    history.push_back(counts);
  };
  // Sorted initialisation: the best N singles (ties: lower index), each once.
  if (options.init_best > 0) {
    std::vector<std::size_t> order(m);
    for (std::size_t j = 0; j < m; ++j) order[j] = j;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return scorer.better(sel.single_scores[a], sel.single_scores[b]); });
    const std::size_t init = std::min(m, static_cast<std::size_t>(options.init_best));
    for (std::size_t i = 0; i < init; ++i) add(order[i]);
    for (std::size_t i = 0; i < n * k; ++i) trial[i] = sum[i] / selected;
    for (std::size_t r = 0; r < n; ++r) renormalise(trial.data() + r * k, k);
    record(scorer(trial, rows));
  }
  for (int round = 0; round < options.rounds; ++round) {
    std::size_t best = 0;
    double best_score = 0;
    const double denom = static_cast<double>(selected + 1);
    for (std::size_t j = 0; j < m; ++j) {
      for (std::size_t i = 0; i < n * k; ++i) trial[i] = (sum[i] + compact[j][i]) / denom;
      for (std::size_t r = 0; r < n; ++r) renormalise(trial.data() + r * k, k);
      const double s = scorer(trial, rows);
      if (j == 0 || scorer.better(s, best_score)) {
        best = j;
        best_score = s;
      }
    }
    add(best);
    record(best_score);
  }

  // Keep the best prefix (earliest on ties).
  std::size_t keep = 0;
  for (std::size_t i = 1; i < sel.trajectory.size(); ++i)
    if (scorer.better(sel.trajectory[i], sel.trajectory[keep])) keep = i;
  sel.counts = history[keep];
  sel.score = sel.trajectory[keep];
  sel.rounds_kept = keep + 1;
  int total = 0;
  int members = 0;
  for (const int c : sel.counts) {
    total += c;
    members += c > 0 ? 1 : 0;
  }
  sel.weights.resize(m);
  for (std::size_t j = 0; j < m; ++j) sel.weights[j] = static_cast<double>(sel.counts[j]) / total;
  // With sorted initialisation the kept ensemble can be worse than the best single: fall back.
  if (scorer.better(sel.best_single_score, sel.score)) {
    sel.counts.assign(m, 0);
    sel.counts[sel.best_single] = 1;
    sel.weights.assign(m, 0.0);
    sel.weights[sel.best_single] = 1.0;
    sel.score = sel.best_single_score;
    members = 1;
  }
  sel.improves = members >= 2 && scorer.better(sel.score, sel.best_single_score);
  return sel;
}

}  // namespace glasswing::engine
