#include "workers/rowexplainer.hpp"

#include <exception>
#include <vector>

#include "automl/engine/bundle.hpp"

namespace glasswing::studio {

std::size_t explainableRows(const transparency::RunInsights& insights) {
  return insights.evaluation ? insights.evaluation->table.rows() : 0;
}

RowExplanation explainRow(const transparency::RunInsights& insights, std::size_t row) {
  RowExplanation out;
  try {
    if (!insights.evaluation) {
      out.error = "this run kept no evaluation rows to explain (a regression run, or no test set and no training data)";
      return out;
    }
    const data::Table& table = insights.evaluation->table;
    if (row >= table.rows()) {
      out.error = "row " + std::to_string(row) + " is out of range: choose 0 to " + std::to_string(table.rows() - 1);
      return out;
    }
    const engine::Bundle bundle = engine::load_bundle(insights.run_dir / "model");
    const backend::Trainer* trainer = bundle.model.trainer.get();
    if (trainer == nullptr || !trainer->supports_shap()) {
      out.error = "SHAP values need a tree model (XGBoost); the chosen model is " + insights.family;
      return out;
    }
    const std::vector<std::size_t> rows{row};
    const features::FeatureMatrix fx = bundle.pipeline.transform(table, rows);
    const backend::MatrixView x{fx.values.data(), fx.rows, fx.cols};
    const std::vector<std::string> names = transparency::feature_names(bundle.pipeline);
    out.local = transparency::shap_local(*trainer, x, 0, names);
    out.local.row = row;
    out.ok = true;
  } catch (const std::exception& e) {
    out.error = std::string("row ") + std::to_string(row) + " could not be explained: " + e.what();
  }
  return out;
}

}  // namespace glasswing::studio
