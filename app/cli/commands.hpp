#pragma once
// Subcommands of the `glasswing` CLI. Each add_*_command() registers its CLI11 subcommand and
// sets `action`, which main() runs after parsing. An action returns the exit code; errors are
// thrown as glasswing::Error and mapped to exit codes by main() (PRODUCT.md, "Exit codes").

#include <functional>

#include <CLI/CLI.hpp>

namespace glasswing::cli {

using Action = std::function<int()>;

void add_inspect_command(CLI::App& app, Action& action);
void add_study_command(CLI::App& app, Action& action);
void add_search_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_predict_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);
// Writes RUN_DIR/report.html (as `glasswing report --run RUN_DIR`); false with `problem` set on failure.
bool write_run_report(const std::string& run_dir, std::string& problem);
void add_worker_command(CLI::App& app, Action& action);

}  // namespace glasswing::cli
