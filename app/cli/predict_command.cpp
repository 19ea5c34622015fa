// glasswing predict --model BUNDLE_DIR --data DATA.csv --out PREDICTIONS.csv

#include <cstdio>
#include <iostream>

#include "app/cli/commands.hpp"
#include "automl/common/error.hpp"
#include "automl/engine/bundle.hpp"

namespace glasswing::cli {

namespace {

struct PredictOptions {
  std::string model;
  std::string data;
  std::string out;
  std::size_t chunk_mb = 4;
};

int predict_main(const PredictOptions& o) {
  const engine::Bundle bundle = engine::load_bundle(o.model);
  engine::PredictFileOptions options;
  options.chunk_bytes = o.chunk_mb << 20;
  const engine::PredictFileStats s = engine::predict_file(bundle, o.data, o.out, options);
  for (const auto& [column, n] : s.unseen)
    std::cerr << "column " << column << ": " << n << " rows had categories unseen in training (treated as missing)\n";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f", s.seconds);
  std::cout << "wrote " << s.rows << " predictions (" << bundle.task << ", model "
            << (bundle.ensemble() ? "ensemble of " + std::to_string(bundle.members.size()) : bundle.family) << ") to "
            << o.out << " in " << s.chunks << (s.chunks == 1 ? " chunk" : " chunks") << ", at most "
            << s.peak_chunks_in_memory << " in memory, " << seconds << " s\n";
  return 0;
}

}  // namespace

void add_predict_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "Predict with an exported bundle (RUN_DIR/model)");
  cmd->add_option("--model", o->model, "bundle directory")->required();
  cmd->add_option("--data", o->data, "data to predict (CSV or .csv.gz; extra columns such as the target are ignored)")->required();
  cmd->add_option("--out", o->out, "predictions CSV to write")->required();
  cmd->add_option("--chunk-mb", o->chunk_mb, "rows are read, predicted and written in chunks of about this many MiB")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->callback([o, &action] { action = [o] { return predict_main(*o); }; });
}

}  // namespace glasswing::cli
