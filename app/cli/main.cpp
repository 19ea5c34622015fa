// glasswing: the headless CLI. Parses the command line, runs one subcommand, and maps errors to
// the documented exit codes with one line on stderr.

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "app/cli/commands.hpp"
#include "automl/common/error.hpp"
#include "backend/device.hpp"
#include "glasswing/common/version.hpp"

int main(int argc, char** argv) {
  glasswing::backend::prefer_passive_openmp(argv);  // before anything: see backend/device.hpp
  CLI::App app{"Glasswing: trustworthy AutoML (headless CLI)", "glasswing"};
  app.set_version_flag("--version", std::string("glasswing ") + glasswing::kVersion);
  app.require_subcommand(1);

  glasswing::cli::Action action;
  glasswing::cli::add_inspect_command(app, action);
  glasswing::cli::add_study_command(app, action);
  glasswing::cli::add_search_command(app, action);
  glasswing::cli::add_run_command(app, action);
  glasswing::cli::add_predict_command(app, action);
  glasswing::cli::add_report_command(app, action);
  glasswing::cli::add_worker_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, then a hint; CLI11's own exit codes are replaced by ours (2 = usage error).
    std::cerr << "glasswing: " << e.what() << " (see 'glasswing --help')\n";
    return glasswing::exit_code(glasswing::ErrorKind::Usage);
  }

  try {
    return action ? action() : 0;
  } catch (const glasswing::Error& e) {
    std::cerr << "glasswing: " << e.what() << '\n';
    return glasswing::exit_code(e.kind());
  } catch (const std::bad_alloc&) {
    std::cerr << "glasswing: out of memory; try a smaller file or close other programs\n";
    return glasswing::exit_code(glasswing::ErrorKind::Resource);
  } catch (const std::exception& e) {
    std::cerr << "glasswing: internal error: " << e.what() << " (please report it)\n";
    return glasswing::exit_code(glasswing::ErrorKind::Internal);
  }
}
