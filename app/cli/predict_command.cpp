// glasswing predict --model BUNDLE_DIR --data DATA.csv --out PREDICTIONS.csv

#include <iostream>

#include "app/cli/commands.hpp"
#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/engine/bundle.hpp"

namespace glasswing::cli {

namespace {

struct PredictOptions {
  std::string model;
  std::string data;
  std::string out;
};

int predict_main(const PredictOptions& o) {
  const engine::Bundle bundle = engine::load_bundle(o.model);
  const data::Table table = data::read_csv(o.data);
  const engine::PredictionTable p = engine::predict(bundle, table);
  engine::write_predictions_csv(p, o.out);
  std::cout << "wrote " << p.rows << " predictions (" << bundle.task << ", model " << bundle.model.family << ") to "
            << o.out << '\n';
  return 0;
}

}  // namespace

void add_predict_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "Predict with an exported bundle (RUN_DIR/model)");
  cmd->add_option("--model", o->model, "bundle directory")->required();
  cmd->add_option("--data", o->data, "data to predict (CSV; extra columns such as the target are ignored)")->required();
  cmd->add_option("--out", o->out, "predictions CSV to write")->required();
  cmd->callback([o, &action] { action = [o] { return predict_main(*o); }; });
}

}  // namespace glasswing::cli
