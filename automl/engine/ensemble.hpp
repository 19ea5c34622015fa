#pragma once
// Ensemble selection (Caruana et al., 2004): greedy forward selection with replacement over the
// out-of-fold (OOF) predictions of the best candidates of a run.
//
// Usage at the end of a run (engine::run keeps `oof`: trial number -> rows x outputs):
//
//   std::vector<std::span<const double>> preds;            // the best K candidates, best first
//   for (const auto* t : best_k) preds.emplace_back(oof.at(t->number));
//   EnsembleTarget y{p.outputs(), p.y_class, p.y_value};   // aligned with the OOF rows
//   const EnsembleSelection sel = select_ensemble(preds, y, metric);
//   if (sel.improves) {
//     // refit the members with sel.counts[k] > 0 on all rows, then
//     std::vector<BundleMember> members;                   // bundle.hpp
//     for (k ...) if (sel.counts[k] > 0)
//       members.push_back({&refit[k].pipeline, &refit[k].fit.model, sel.weights[k], {{"trial", n_k}}});
//     write_ensemble_bundle(run_dir / "model", members, manifest);   // predicts sum_k w_k P_k
//   } else {
//     write_bundle(run_dir / "model", best.pipeline, best.fit.model, manifest);
//   }
//   manifest["ensemble"] = sel.to_json() is a convenient record (weights, scores, trajectory).
//
// Algorithm: start from an empty ensemble (or the `init_best` best single candidates); in each
// of `rounds` rounds add the candidate (with replacement) whose addition gives the best metric of
// the averaged predictions; ties go to the lower candidate index (callers pass candidates best
// first), so the result is deterministic. The ensemble kept is the prefix of rounds with the best
// score (earliest on ties): round 1 is the best single candidate, so the kept ensemble is never
// worse than it on the OOF rows.
//
// Averaging: class probabilities are averaged with the weights and renormalised per row; label
// metrics (accuracy, balanced_accuracy, f1) read the argmax of the averaged probabilities, as
// predict() does; roc_auc and log_loss read the probabilities; regression takes the weighted mean.
// Rows where any candidate has a non-finite prediction (e.g. outside a holdout's validation
// rows) are left out of every score.
//
// Errors: Error(BadInput) for inconsistent shapes, no candidates, no scorable rows or a metric
// that is undefined on the rows; Error(Usage) for an unknown metric or one of another task.
// Thread safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace glasswing::engine {

// The true targets of the OOF rows.
struct EnsembleTarget {
  std::size_t outputs = 1;             // number of classes, or 1 for regression
  std::vector<std::int32_t> y_class;   // classification: class index 0..outputs-1 per row
  std::vector<double> y_value;         // regression: the value per row
  std::int32_t positive = 1;           // binary metrics' positive class
  bool classification() const noexcept { return !y_class.empty(); }
  std::size_t rows() const noexcept { return classification() ? y_class.size() : y_value.size(); }
};

struct EnsembleOptions {
  int rounds = 40;    // greedy rounds (additions)
  int init_best = 0;  // start with the best N single candidates (Caruana's sorted initialisation)
};

struct EnsembleSelection {
  std::vector<int> counts;         // per candidate: times selected in the kept rounds
  std::vector<double> weights;     // counts / sum(counts); sums to 1
  double score = 0;                // the ensemble's OOF score
  double best_single_score = 0;    // the best single candidate's OOF score (same rows)
  std::size_t best_single = 0;     // its index
  std::vector<double> single_scores;  // OOF score of every candidate
  std::vector<double> trajectory;  // score after each round (all rounds run)
  std::size_t rounds_kept = 0;     // rounds of the kept prefix
  std::size_t rows_scored = 0;
  bool improves = false;           // strictly better than the best single, with 2+ members
  nlohmann::ordered_json to_json() const;
};

// Weighted average of prediction matrices (rows x outputs each); class probabilities are
// renormalised per row when outputs > 1. Weights need not sum to 1 (they are normalised).
// weights[i] / sum(weights), summed in order: what an ensemble bundle stores for its members and
// what load_bundle() gives back (it normalises what it reads once more). The run blends its test
// predictions with normalise_weights(normalise_weights(w)) so that they equal, bit for bit,
// `glasswing predict` with the bundle (which blends with the loaded weights).
std::vector<double> normalise_weights(std::span<const double> weights);

std::vector<double> blend(const std::vector<std::span<const double>>& predictions, std::span<const double> weights,
                          std::size_t outputs);

// The metric of one prediction matrix on the rows where it is finite.
double score_predictions(std::span<const double> prediction, const EnsembleTarget& target, std::string_view metric);

EnsembleSelection select_ensemble(const std::vector<std::span<const double>>& candidates, const EnsembleTarget& target,
                                  std::string_view metric, const EnsembleOptions& options = {});

}  // namespace glasswing::engine
