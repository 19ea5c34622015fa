// glasswing inspect DATA.csv [--target COL] [--json]: the schema and profile of a CSV file.

#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/commands.hpp"
#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/data/profile.hpp"

namespace glasswing::cli {

namespace {

using nlohmann::ordered_json;

struct InspectOptions {
  std::string data;
  std::string target;
  bool json = false;
  std::vector<std::string> types;  // NAME=TYPE overrides
  unsigned threads = 0;
};

bool is_time(data::ColumnType t) { return t == data::ColumnType::Datetime || t == data::ColumnType::Date; }

std::string fmt_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string fmt_value(const data::ColumnProfile& p, double v) {
  return is_time(p.type) ? data::format_epoch_seconds(v, p.type == data::ColumnType::Date) : fmt_number(v);
}

ordered_json profile_json(const data::ColumnProfile& p) {
  ordered_json j;
  j["name"] = p.name;
  j["type"] = std::string(data::to_string(p.type));
  j["type_reason"] = p.type_reason;
  j["count"] = p.count;
  j["missing"] = p.missing;
  j["distinct"] = p.distinct;
  if (p.min) j["min"] = is_time(p.type) ? ordered_json(fmt_value(p, *p.min)) : ordered_json(*p.min);
  if (p.max) j["max"] = is_time(p.type) ? ordered_json(fmt_value(p, *p.max)) : ordered_json(*p.max);
  if (p.mean) j["mean"] = is_time(p.type) ? ordered_json(fmt_value(p, *p.mean)) : ordered_json(*p.mean);
  if (p.std) j["std"] = is_time(p.type) ? ordered_json(*p.std / 86400.0) : ordered_json(*p.std);
  if (p.std && is_time(p.type)) j["std_unit"] = "days";
  if (!p.top.empty()) {
    auto& top = j["top"] = ordered_json::array();
    for (const auto& c : p.top) top.push_back({{"value", c.value}, {"count", c.count}});
  }
  if (!p.histogram.empty()) {
    auto& h = j["histogram"] = ordered_json::array();
    for (const auto& b : p.histogram) h.push_back({{"low", b.low}, {"high", b.high}, {"count", b.count}});
  }
  return j;
}

ordered_json target_json(const data::TargetSummary& t) {
  ordered_json j;
  j["name"] = t.name;
  j["task"] = std::string(data::to_string(t.task));
  j["reason"] = t.reason;
  j["missing"] = t.missing;
  if (t.task == data::Task::Regression) {
    j["min"] = *t.min;
    j["max"] = *t.max;
    if (t.mean) j["mean"] = *t.mean;
    if (t.std) j["std"] = *t.std;
  } else {
    auto& classes = j["classes"] = ordered_json::array();
    for (const auto& c : t.classes) classes.push_back({{"value", c.value}, {"count", c.count}});
    j["minority_share"] = t.minority_share;
  }
  return j;
}

std::string clip(std::string s, std::size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s;
}

void print_text(const InspectOptions& opt, const data::Table& table, const data::CsvInfo& info,
                const std::vector<data::ColumnProfile>& profiles, const data::TargetSummary* target) {
  std::ostringstream out;
  const char* delim = info.delimiter == '\t' ? "tab" : info.delimiter == ';' ? "semicolon" : "comma";
  out << opt.data << ": " << table.rows() << " rows x " << table.column_count() << " columns (" << delim
      << "-separated" << (info.crlf ? ", CRLF" : "") << (info.utf8_bom ? ", UTF-8 BOM" : "")
      << (info.gzip ? ", gzip" : "") << "; read in " << fmt_number(info.seconds) << " s)\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %-11s %9s %8s %9s  %s\n", "column", "type", "missing", "missing%",
                "distinct", "summary");
  out << line;
  for (const auto& p : profiles) {
    std::string summary;
    if (p.min && p.max) {
      summary = "min " + fmt_value(p, *p.min) + ", max " + fmt_value(p, *p.max);
      if (p.mean && !is_time(p.type)) summary += ", mean " + fmt_number(*p.mean);
      if (p.std && !is_time(p.type)) summary += ", std " + fmt_number(*p.std);
    } else if (!p.top.empty()) {
      for (std::size_t i = 0; i < p.top.size() && i < 3; ++i)
        summary += (i ? ", " : "") + clip(p.top[i].value, 20) + " (" + std::to_string(p.top[i].count) + ")";
      if (p.distinct > 3) summary += ", ...";
    } else {
      summary = "all missing";
    }
    const double pct = table.rows() ? 100.0 * static_cast<double>(p.missing) / static_cast<double>(table.rows()) : 0.0;
    std::snprintf(line, sizeof line, "%-24s %-11s %9zu %7.1f%% %9zu  %s\n", clip(p.name, 24).c_str(),
                  std::string(data::to_string(p.type)).c_str(), p.missing, pct, p.distinct, summary.c_str());
    out << line;
  }
  if (target != nullptr) {
    out << "\ntarget '" << target->name << "': " << data::to_string(target->task) << " (" << target->reason << ")";
    if (target->missing) out << "; " << target->missing << " rows have no target and will be dropped";
    out << '\n';
    if (target->task == data::Task::Regression) {
      out << "  range " << fmt_number(*target->min) << " .. " << fmt_number(*target->max);
      if (target->mean) out << ", mean " << fmt_number(*target->mean);
      if (target->std) out << ", std " << fmt_number(*target->std);
      out << '\n';
    } else {
      const std::size_t present = table.rows() - target->missing;
      for (std::size_t i = 0; i < target->classes.size() && i < 20; ++i) {
        const auto& c = target->classes[i];
        std::snprintf(line, sizeof line, "  %-20s %9zu  %5.1f%%\n", clip(c.value, 20).c_str(), c.count,
                      100.0 * static_cast<double>(c.count) / static_cast<double>(present));
        out << line;
      }
      if (target->classes.size() > 20) out << "  ... " << target->classes.size() - 20 << " more classes\n";
      std::snprintf(line, sizeof line, "  minority class share %.1f%%\n", 100.0 * target->minority_share);
      out << line;
    }
  }
  std::cout << out.str();
}

int run_inspect(const InspectOptions& opt) {
  data::CsvOptions csv;
  csv.threads = opt.threads;
  for (const auto& spec : opt.types) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(ErrorKind::Usage, "--type '" + spec + "' must be NAME=TYPE, for example --type zip=categorical");
    const auto type = data::column_type_from_string(spec.substr(eq + 1));
    if (!type) {
      std::string valid;
      for (const auto n : data::column_type_names()) valid += (valid.empty() ? "" : ", ") + std::string(n);
      throw Error(ErrorKind::Usage, "--type '" + spec + "': unknown type; valid types are " + valid);
    }
    csv.column_types[spec.substr(0, eq)] = *type;
  }
  data::CsvInfo info;
  const data::Table table = data::read_csv(opt.data, csv, &info);
  const auto profiles = data::profile_table(table);
  std::optional<data::TargetSummary> target;
  if (!opt.target.empty()) {
    try {
      target = data::analyze_target(table, opt.target);
    } catch (const Error& e) {
      throw Error(e.kind(), opt.data + ": " + e.what());
    }
  }
  if (opt.json) {
    ordered_json j;
    j["file"] = opt.data;
    j["rows"] = table.rows();
    j["delimiter"] = std::string(1, info.delimiter);
    j["read_seconds"] = info.seconds;
    auto& cols = j["columns"] = ordered_json::array();
    for (const auto& p : profiles) cols.push_back(profile_json(p));
    if (target) j["target"] = target_json(*target);
    std::cout << j.dump(2) << '\n';
  } else {
    print_text(opt, table, info, profiles, target ? &*target : nullptr);
  }
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, Action& action) {
  auto opt = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "Show the schema and profile of a CSV file (types, missing values, "
                                            "distributions) and, with --target, the inferred task");
  cmd->add_option("data", opt->data, "The CSV file (.csv or .csv.gz)")->required();
  cmd->add_option("--target", opt->target, "The column to predict: prints its task and class balance or range");
  cmd->add_flag("--json", opt->json, "Print JSON instead of a table");
  cmd->add_option("--type", opt->types, "Override a column's type: NAME=TYPE (repeatable)");
  cmd->add_option("--threads", opt->threads, "Parser threads (0: all cores)");
  cmd->callback([opt, &action] { action = [opt] { return run_inspect(*opt); }; });
}

}  // namespace glasswing::cli
