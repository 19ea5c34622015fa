// glasswing report --run RUN_DIR [--out FILE.html] [--fairness COLUMN] [--json FILE.json]:
// (re)writes the run's self-contained HTML report (transparency/report_html.hpp).

#include <fstream>
#include <iostream>

#include "app/cli/commands.hpp"
#include "automl/common/error.hpp"
#include "transparency/report_html.hpp"
#include "transparency/run_insights.hpp"

namespace glasswing::cli {

namespace {

struct ReportOptions {
  std::string run;
  std::string out;
  std::string fairness;
  std::string json;
};

int report_main(const ReportOptions& o) {
  transparency::InsightOptions io;
  io.fairness_column = o.fairness;
  const transparency::RunInsights insights = transparency::load_run_insights(o.run, io);
  const std::filesystem::path out = o.out.empty() ? std::filesystem::path(o.run) / "report.html" : std::filesystem::path(o.out);
  transparency::write_report_html(insights, out);
  if (!o.json.empty()) {
    std::ofstream j(o.json, std::ios::trunc);
    nlohmann::json doc = insights;
    j << doc.dump(1) << '\n';
    if (!j) throw Error(ErrorKind::Storage, "cannot write " + o.json + "; choose a writable --json path");
  }
  std::cout << "wrote " << out.string() << " (" << insights.task << ", model " << insights.family << ", "
            << insights.seconds << " s)\n";
  for (const auto& n : insights.notices) std::cerr << "note: " << n << '\n';
  return 0;
}

}  // namespace

bool write_run_report(const std::string& run_dir, std::string& problem) {
  try {
    const transparency::RunInsights insights = transparency::load_run_insights(run_dir, {});
    transparency::write_report_html(insights, std::filesystem::path(run_dir) / "report.html");
    return true;
  } catch (const std::exception& e) {
    problem = e.what();
    return false;
  }
}

void add_report_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand("report", "Write a run's self-contained HTML report (RUN_DIR/report.html)");
  cmd->add_option("--run", o->run, "run directory (the --out of `glasswing run`)")->required();
  cmd->add_option("--out", o->out, "HTML file to write (default RUN_DIR/report.html)");
  cmd->add_option("--fairness", o->fairness, "column whose groups get fairness metrics (P9)");
  cmd->add_option("--json", o->json, "also write the report's content as one JSON document");
  cmd->callback([o, &action] { action = [o] { return report_main(*o); }; });
}

}  // namespace glasswing::cli
