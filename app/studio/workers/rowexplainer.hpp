#pragma once
// One evaluation row's SHAP explanation on demand (P8's row chooser). The run's insights carry
// the waterfall of one row; another row is explained by transparency::shap_local on the run's
// own bundle (model/) and the evaluation rows the insights kept (RunInsights::evaluation), off
// the GUI thread. No number is computed here: the bundle's pipeline and TreeSHAP do it.

#include <cstddef>
#include <string>

#include "panels/insightsdata.hpp"

namespace glasswing::studio {

struct RowExplanation {
  bool ok = false;
  std::string error;  // one line when !ok
  transparency::ShapLocal local;
};

// Rows that can be chosen (the kept evaluation rows; 0 when none were kept).
std::size_t explainableRows(const transparency::RunInsights& insights);
// Explains evaluation row `row` with the bundle in insights.run_dir/model. Thread-safe (reads
// only); never throws: a missing bundle, a model without SHAP or a row out of range is `error`.
RowExplanation explainRow(const transparency::RunInsights& insights, std::size_t row);

}  // namespace glasswing::studio
