#pragma once
// Test helper: the shared CSV data sets as dense float matrices (numeric columns as they are,
// string columns one-hot up to 32 levels, ordinal codes beyond; empty/NA/? as NaN), and
// deterministic train / eval / test splits. Kept independent of automl/data on purpose: the
// backend suite tests the trainers, not the CSV reader.

#include <cstddef>
#include <string>
#include <vector>

#include "backend/trainer.hpp"

namespace glasswing::backend::testing {

struct Dense {
  std::size_t rows = 0, cols = 0;
  std::vector<float> x;              // row-major
  std::vector<float> y;              // regression values or class codes 0..k-1
  std::vector<std::string> classes;  // class names (sorted) for classification
  DataView view() const { return {{x.data(), rows, cols}, y, {}}; }
  MatrixView matrix() const { return {x.data(), rows, cols}; }
};

// Reads /work/shared/datasets/<file>; `target` names the label column; classification when
// `classify`. `positive` (binary) becomes class 1. `max_rows` > 0 subsamples deterministically.
Dense load_dataset(const std::string& file, const std::string& target, bool classify,
                   const std::string& positive = "", std::size_t max_rows = 0);
// The same for any CSV path.
Dense load_csv_dense(const std::string& path, const std::string& target, bool classify,
                     const std::string& positive = "", std::size_t max_rows = 0);

struct Split {
  Dense train, eval, test;
};
// Shuffles with `seed` and cuts test_share for test, eval_share of the rest for eval.
Split split(const Dense& d, double test_share, double eval_share, unsigned seed);

// Fold `fold` of `folds` (after a shuffle with `seed`) is the test set; eval_share of the rest is
// the evaluation set for early stopping.
Split fold(const Dense& d, int folds, int fold, double eval_share, unsigned seed);

double auc(const std::vector<float>& score, const std::vector<float>& y);
double r2(const std::vector<float>& pred, const std::vector<float>& y);

// Synthetic regression data (for timing-insensitive contracts): y = sum of a few features + noise.
Dense synthetic(std::size_t rows, std::size_t cols, unsigned seed, bool binary = false);

}  // namespace glasswing::backend::testing
