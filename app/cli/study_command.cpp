// glasswing study init|verify|export|summary|record: user-study logs (docs/STUDIES.md).
// A thin layer over studies/: StudyError kinds become glasswing::Error kinds, hence exit codes
// 2 (usage), 3 (bad input: malformed protocol, unknown kind, bad payload, not a study database,
// a log that does not verify) and 4 (storage).

#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/cli/commands.hpp"
#include "automl/common/error.hpp"
#include "studies/error.hpp"
#include "studies/export.hpp"
#include "studies/protocol.hpp"
#include "studies/study_log.hpp"

namespace glasswing::cli {

namespace {

namespace st = glasswing::studies;

struct StudyOptions {
  std::string protocol;
  std::string db;
  std::string out;
  std::string format = "csv";
  bool no_rationale = false;
  bool json = false;
  std::string expect_head;
  std::string participant;
  std::string kind;
  std::string payload;
};

ErrorKind to_kind(st::StudyErrorKind kind) {
  switch (kind) {
    case st::StudyErrorKind::Usage: return ErrorKind::Usage;
    case st::StudyErrorKind::BadInput: return ErrorKind::BadInput;
    case st::StudyErrorKind::Tampered: return ErrorKind::BadInput;
    case st::StudyErrorKind::Storage: return ErrorKind::Storage;
  }
  return ErrorKind::Internal;
}

// Runs `body`, translating the studies module's errors into the CLI's.
template <typename F>
int translated(F&& body) {
  try {
    return body();
  } catch (const st::StudyError& e) {
    throw Error(to_kind(e.kind()), e.what());
  }
}

int run_init(const StudyOptions& o) {
  return translated([&] {
    const st::Protocol protocol = st::load_protocol(o.protocol);
    st::StudyLog::create(o.out, protocol);
    std::cout << "created study " << protocol.study_id << " in " << o.out << " ("
              << protocol.conditions.size() << " conditions, " << protocol.tasks.size()
              << " tasks, assignment " << protocol.assignment_method << ")\n";
    return 0;
  });
}

int run_verify(const StudyOptions& o) {
  return translated([&] {
    const st::VerifyReport r = st::verify_study(o.db);
    if (o.json) {
      std::cout << nlohmann::json{{"ok", r.ok},
                                  {"events", r.events},
                                  {"head_hash", r.head_hash},
                                  {"first_bad_event", r.first_bad_seq ? nlohmann::json(r.first_bad_seq)
                                                                      : nlohmann::json(nullptr)},
                                  {"problem", r.problem}}
                       .dump(2)
                << '\n';
    }
    if (!r.ok) {
      const std::string where =
          r.first_bad_seq > 0 ? "first bad event: " + std::to_string(r.first_bad_seq) + ": " : "";
      throw Error(ErrorKind::BadInput,
                  o.db + " failed verification; " + where + r.problem +
                      " (keep this file as evidence and restore the study from a backup)");
    }
    if (!o.expect_head.empty() && o.expect_head != r.head_hash) {
      throw Error(ErrorKind::BadInput,
                  o.db + " verifies internally but its head " + r.head_hash +
                      " is not the expected " + o.expect_head +
                      ": events were removed from the end or the whole chain was rewritten");
    }
    if (!o.json) {
      std::cout << o.db << ": " << r.events << " events, hash chain verified; head " << r.head_hash
                << '\n';
    }
    return 0;
  });
}

int run_export(const StudyOptions& o) {
  return translated([&] {
    st::ExportOptions options;
    options.format = o.format == "jsonl" ? st::ExportFormat::Jsonl : st::ExportFormat::Csv;
    options.include_rationale = !o.no_rationale;
    const st::ExportResult r = st::export_study(o.db, o.out, options);
    std::cout << "exported " << r.files.size() << " files to " << o.out
              << (o.no_rationale ? " (rationale left out)" : "") << ":";
    for (const auto& [table, rows] : r.rows) std::cout << ' ' << table << '=' << rows;
    std::cout << '\n';
    return 0;
  });
}

int run_summary(const StudyOptions& o) {
  return translated([&] {
    const nlohmann::json s = st::summarize_study(o.db);
    if (o.json) {
      std::cout << s.dump(2) << '\n';
    } else {
      std::cout << st::format_summary(s);
    }
    return 0;
  });
}

int run_record(const StudyOptions& o) {
  return translated([&] {
    nlohmann::json payload = nlohmann::json::object();
    if (!o.payload.empty()) {
      try {
        payload = nlohmann::json::parse(o.payload);
      } catch (const nlohmann::json::parse_error& e) {
        throw Error(ErrorKind::BadInput, "--json is not valid JSON (" + std::string(e.what()) +
                                             "); pass one JSON object, e.g. '{\"panel\":\"P1\"}'");
      }
    }
    st::StudyLog log(o.db);
    std::optional<st::SessionInfo> opened;
    const st::EventReceipt r = log.record(o.participant, o.kind, payload, &opened);
    if (opened) {
      std::cout << "opened session " << opened->session_id << " for " << opened->participant_id
                << " (condition " << opened->condition_id << ")\n";
    }
    std::cout << "recorded event " << r.seq << " (" << o.kind << ") in session " << r.session_id
              << "; hash " << r.hash << '\n';
    return 0;
  });
}

}  // namespace

void add_study_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<StudyOptions>();
  CLI::App* study = app.add_subcommand(
      "study", "User-study logs: a protocol, a hash-chained event log, tidy exports");
  study->require_subcommand(1);

  CLI::App* init = study->add_subcommand("init", "Create a study database from a protocol file");
  init->add_option("--protocol", opts->protocol, "Protocol JSON (see docs/STUDIES.md)")->required();
  init->add_option("--out", opts->out, "The study database to create (must not exist)")->required();
  init->callback([opts, &action] { action = [opts] { return run_init(*opts); }; });

  CLI::App* verify = study->add_subcommand(
      "verify", "Check the hash chain; exit 3 naming the first bad event when it does not verify");
  verify->add_option("db", opts->db, "Study database")->required();
  verify->add_option("--expect-head", opts->expect_head,
                     "Also require this head hash (recorded earlier, e.g. after data collection)");
  verify->add_flag("--json", opts->json, "Print the report as JSON");
  verify->callback([opts, &action] { action = [opts] { return run_verify(*opts); }; });

  CLI::App* exp = study->add_subcommand(
      "export", "Export tidy tables (one per event kind, participants, sessions, dictionary)");
  exp->add_option("db", opts->db, "Study database")->required();
  exp->add_option("--format", opts->format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  exp->add_option("--out", opts->out, "Folder to write the tables into (created if needed)")->required();
  exp->add_flag("--no-rationale", opts->no_rationale, "Leave decision rationale text out");
  exp->callback([opts, &action] { action = [opts] { return run_export(*opts); }; });

  CLI::App* summary = study->add_subcommand(
      "summary", "Counts per condition, decision rates and mean ratings by condition");
  summary->add_option("db", opts->db, "Study database")->required();
  summary->add_flag("--json", opts->json, "Print the summary as JSON");
  summary->callback([opts, &action] { action = [opts] { return run_summary(*opts); }; });

  CLI::App* record = study->add_subcommand(
      "record", "Append one event for a participant (opens a session when none is open)");
  record->add_option("db", opts->db, "Study database")->required();
  record->add_option("--participant", opts->participant, "Pseudonymous participant id")->required();
  record->add_option("--kind", opts->kind, "Event kind (docs/STUDIES.md)")->required();
  record->add_option("--json", opts->payload, "Event payload: one JSON object");
  record->callback([opts, &action] { action = [opts] { return run_record(*opts); }; });
}

}  // namespace glasswing::cli
