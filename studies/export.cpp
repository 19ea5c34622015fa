#include "studies/export.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <system_error>

#include "studies/error.hpp"
#include "studies/event_kinds.hpp"
#include "studies/study_log.hpp"

namespace glasswing::studies {

using nlohmann::json;
using nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

struct Column {
  std::string name;
  std::string type;
  std::string description;
  std::string values;  // allowed values or range, for the dictionary
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::vector<std::vector<json>> rows;
};

std::vector<Column> envelope_columns() {
  return {
      {"event_seq", "integer", "position of the event in the hash-chained log (events.event_seq)", ""},
      {"session_id", "string", "session (sessions.session_id)", ""},
      {"participant_id", "string", "pseudonymous participant (participants.participant_id)", ""},
      {"condition_id", "string", "the participant's condition (protocol conditions[].id)", ""},
      {"ts_utc", "timestamp", "wall-clock time, ISO 8601 UTC with milliseconds", ""},
      {"mono_ns", "integer", "monotonic clock in nanoseconds (differences are durations; "
                             "comparable within one boot of one machine)", ""},
  };
}

Column field_column(const FieldSpec& f, const Protocol& p) {
  Column c{f.name, "", f.description, ""};
  switch (f.type) {
    case FieldType::String: c.type = "string"; break;
    case FieldType::Integer: c.type = "integer"; break;
    case FieldType::Number: c.type = "number"; break;
    case FieldType::Boolean: c.type = "boolean"; break;
    case FieldType::Enum:
      c.type = "string";
      for (const auto& v : f.values) c.values += (c.values.empty() ? "" : "|") + v;
      break;
    case FieldType::Panel:
      c.type = "string";
      c.values = "P1..P11";
      break;
    case FieldType::Rating:
      c.type = "integer";
      c.values = std::to_string(p.decision_scale_min) + ".." + std::to_string(p.decision_scale_max);
      break;
    case FieldType::StringList: c.type = "json"; c.values = "array of strings"; break;
    case FieldType::Json: c.type = "json"; break;
  }
  if (f.name == "response") {
    c.type = "integer or string";
    c.values = "likert items: an integer on the item's scale; text items: text";
  }
  return c;
}

std::string csv_cell(const json& v) {
  std::string s;
  if (v.is_null()) return s;
  if (v.is_string()) {
    s = v.get<std::string>();
  } else if (v.is_boolean()) {
    s = v.get<bool>() ? "true" : "false";
  } else {
    s = v.dump();
  }
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q += '"';
    q += ch;
  }
  return q + "\"";
}

// JSON-typed columns are JSON text in CSV and native JSON in JSON Lines.
json cell_value(const json& v, const Column& c, ExportFormat format) {
  if (format == ExportFormat::Csv && c.type == "json" && !v.is_null()) return v.dump();
  return v;
}

fs::path write_table(const Table& t, const fs::path& dir, ExportFormat format) {
  const fs::path path = dir / (t.name + (format == ExportFormat::Csv ? ".csv" : ".jsonl"));
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw_storage("cannot write " + tmp.string() + ": check the --out folder");
    if (format == ExportFormat::Csv) {
      for (std::size_t i = 0; i < t.columns.size(); ++i) {
        out << (i ? "," : "") << csv_cell(t.columns[i].name);
      }
      out << '\n';
      for (const auto& row : t.rows) {
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
          out << (i ? "," : "") << csv_cell(cell_value(row[i], t.columns[i], format));
        }
        out << '\n';
      }
    } else {
      for (const auto& row : t.rows) {
        ordered_json obj = ordered_json::object();
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
          obj[t.columns[i].name] = ordered_json::parse(row[i].dump());
        }
        out << obj.dump() << '\n';
      }
    }
    out.flush();
    if (!out) throw_storage("cannot write " + tmp.string() + " (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw_storage("cannot move " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return path;
}

json opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

StudyData load_verified(const fs::path& db) {
  StudyData data = read_study(db);
  if (!data.report.ok) {
    throw StudyError(StudyErrorKind::Tampered,
                     db.string() + " does not verify: " + data.report.problem +
                         "; run 'glasswing study verify' (nothing was exported)");
  }
  return data;
}


}  // namespace

ExportResult export_study(const fs::path& db, const fs::path& out_dir, const ExportOptions& options) {
  const StudyData data = load_verified(db);
  const Protocol& protocol = data.protocol;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) {
    throw_storage("cannot create the export folder " + out_dir.string() +
                  (ec ? ": " + ec.message() : std::string()));
  }

  std::vector<Table> tables;
  std::map<std::string, std::string> table_descriptions;

  Table participants{"participants",
                     {{"participant_id", "string", "pseudonymous participant id", ""},
                      {"condition_id", "string", "assigned condition (conditions[].id)", ""},
                      {"condition_label", "string", "the condition's label in the protocol", ""},
                      {"enrolment_index", "integer", "0-based order of enrolment (drives assignment)", ""},
                      {"task_order", "json", "task ids in the order this participant does them",
                       "array of strings"},
                      {"enrolled_utc", "timestamp", "time of the first session_start", ""},
                      {"sessions", "integer", "number of sessions", ""},
                      {"events", "integer", "number of events, all kinds", ""}},
                     {}};
  for (const auto& p : data.participants) {
    const Condition* c = protocol.find_condition(p.condition_id);
    participants.rows.push_back({p.participant_id, p.condition_id, c ? c->label : "",
                                 p.enrolment_index, p.task_order, p.enrolled_utc, p.sessions,
                                 p.events});
  }
  table_descriptions["participants"] = "one row per participant";
  tables.push_back(std::move(participants));

  Table sessions{"sessions",
                 {{"session_id", "string", "session id (<participant_id>-s<n>)", ""},
                  {"participant_id", "string", "participants.participant_id", ""},
                  {"condition_id", "string", "the participant's condition", ""},
                  {"started_utc", "timestamp", "time of session_start", ""},
                  {"ended_utc", "timestamp", "time of session_end; empty while open", ""},
                  {"end_reason", "string", "session_end.reason", "completed|withdrawn|timeout|aborted"},
                  {"duration_ms", "number", "session_end.duration_ms", ""},
                  {"start_seq", "integer", "event_seq of session_start", ""},
                  {"end_seq", "integer", "event_seq of session_end; empty while open", ""},
                  {"events", "integer", "number of events in the session", ""}},
                 {}};
  for (const auto& s : data.sessions) {
    sessions.rows.push_back({s.session_id, s.participant_id, s.condition_id, s.started_utc,
                             opt(s.ended_utc), opt(s.end_reason),
                             s.duration_ms ? json(*s.duration_ms) : json(nullptr), s.start_seq,
                             s.end_seq ? json(*s.end_seq) : json(nullptr), s.events});
  }
  table_descriptions["sessions"] = "one row per session";
  tables.push_back(std::move(sessions));

  Table events{"events",
               {{"event_seq", "integer", "position in the log, 1, 2, 3, ...", ""},
                {"ts_utc", "timestamp", "wall-clock time, ISO 8601 UTC", ""},
                {"mono_ns", "integer", "monotonic clock, nanoseconds", ""},
                {"session_id", "string", "sessions.session_id", ""},
                {"participant_id", "string", "participants.participant_id", ""},
                {"condition_id", "string", "the participant's condition", ""},
                {"kind", "string", "event kind; its fields are in the table of that name", ""},
                {"payload", "json", "the event's payload as stored (without rationale when "
                                    "rationale is excluded)", ""},
                {"prev_hash", "string", "SHA-256 (hex) of the previous event; genesis hash for event 1", ""},
                {"hash", "string", "SHA-256 (hex) of this event's canonical form", ""}},
               {}};
  std::map<std::string, Table> by_kind;
  for (const auto& spec : event_kinds()) {
    Table t{spec.kind, envelope_columns(), {}};
    for (const auto& f : spec.fields) {
      if (!options.include_rationale && spec.kind == "decision" && f.name == "rationale") continue;
      // session_start.condition_id is already the envelope's condition_id column.
      if (std::any_of(t.columns.begin(), t.columns.end(),
                      [&](const Column& c) { return c.name == f.name; })) {
        continue;
      }
      t.columns.push_back(field_column(f, protocol));
    }
    table_descriptions[spec.kind] = "one row per " + spec.kind + " event: " + spec.description;
    by_kind.emplace(spec.kind, std::move(t));
  }
  Table card_items{"card_sort_items",
                   {{"event_seq", "integer", "card_sort.event_seq", ""},
                    {"session_id", "string", "sessions.session_id", ""},
                    {"participant_id", "string", "participants.participant_id", ""},
                    {"condition_id", "string", "the participant's condition", ""},
                    {"card_sort_id", "string", "card_sort.id of the protocol", ""},
                    {"card_id", "string", "card_sort.items[].id", ""},
                    {"rank", "integer", "1 = most important; empty when the card was not ranked", ""},
                    {"pile", "string", "pile the card was put in; empty when not sorted into piles", ""}},
                   {}};
  table_descriptions["card_sort_items"] = "one row per card per card_sort event (long format)";
  table_descriptions["events"] = "the whole hash-chained log, one row per event";

  std::map<std::string, std::string> condition_of_session;
  for (const auto& s : data.sessions) condition_of_session[s.session_id] = s.condition_id;
  for (const auto& e : data.events) {
    json payload = json::parse(e.payload);
    if (!options.include_rationale && e.kind == "decision") payload.erase("rationale");
    const std::string condition = condition_of_session[e.session_id];
    events.rows.push_back({e.seq, e.ts_utc, e.mono_ns, e.session_id, e.participant_id, condition,
                           e.kind, payload, e.prev_hash, e.hash});
    Table& t = by_kind.at(e.kind);
    std::vector<json> row{e.seq, e.session_id, e.participant_id, condition, e.ts_utc, e.mono_ns};
    for (std::size_t i = row.size(); i < t.columns.size(); ++i) {
      row.push_back(payload.contains(t.columns[i].name) ? payload[t.columns[i].name] : json(nullptr));
    }
    t.rows.push_back(std::move(row));
    if (e.kind == "card_sort" && protocol.card_sort) {
      for (const auto& [card, label] : protocol.card_sort->items) {
        json rank = nullptr, pile = nullptr;
        if (payload.contains("ranking")) {
          const auto& r = payload["ranking"];
          for (std::size_t i = 0; i < r.size(); ++i) {
            if (r[i] == card) rank = static_cast<std::int64_t>(i + 1);
          }
        }
        if (payload.contains("piles")) {
          for (const auto& [name, cards] : payload["piles"].items()) {
            for (const auto& c : cards) {
              if (c == card) pile = name;
            }
          }
        }
        card_items.rows.push_back({e.seq, e.session_id, e.participant_id, condition,
                                   payload["card_sort_id"], card, rank, pile});
      }
    }
  }
  tables.push_back(std::move(events));
  for (const auto& spec : event_kinds()) tables.push_back(std::move(by_kind.at(spec.kind)));
  tables.push_back(std::move(card_items));

  Table dictionary{"data_dictionary",
                   {{"table", "string", "table (file name without extension)", ""},
                    {"column", "string", "column name", ""},
                    {"type", "string", "string, integer, number, boolean, timestamp, json", ""},
                    {"description", "string", "what the column holds", ""},
                    {"values", "string", "allowed values or range, when restricted", ""}},
                   {}};
  for (const auto& t : tables) {
    for (const auto& c : t.columns) {
      dictionary.rows.push_back({t.name, c.name, c.type, c.description, c.values});
    }
  }
  for (const auto& c : dictionary.columns) {
    dictionary.rows.push_back({dictionary.name, c.name, c.type, c.description, c.values});
  }
  table_descriptions["data_dictionary"] = "every column of every table";
  tables.push_back(std::move(dictionary));

  ExportResult result;
  ordered_json manifest_tables = ordered_json::object();
  for (const auto& t : tables) {
    result.files.push_back(write_table(t, out_dir, options.format));
    result.rows[t.name] = static_cast<std::int64_t>(t.rows.size());
    manifest_tables[t.name] = {{"file", result.files.back().filename().string()},
                               {"rows", t.rows.size()},
                               {"description", table_descriptions[t.name]}};
  }
  ordered_json manifest{
      {"format", "glasswing-study-export/1"},
      {"study_id", protocol.study_id},
      {"title", protocol.title},
      {"created_utc", data.created_utc},
      {"verified", true},
      {"events", data.report.events},
      {"head_hash", data.report.head_hash},
      {"export_format", options.format == ExportFormat::Csv ? "csv" : "jsonl"},
      {"rationale_included", options.include_rationale},
      {"protocol", ordered_json::parse(protocol.canonical_text())},
      {"tables", manifest_tables}};
  const fs::path manifest_path = out_dir / "manifest.json";
  const fs::path tmp = manifest_path.string() + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << manifest.dump(2) << '\n';
    if (!out) throw_storage("cannot write " + tmp.string());
  }
  fs::rename(tmp, manifest_path, ec);
  if (ec) throw_storage("cannot write " + manifest_path.string() + ": " + ec.message());
  result.files.push_back(manifest_path);
  return result;
}

json summarize_study(const fs::path& db) {
  const StudyData data = load_verified(db);
  const Protocol& protocol = data.protocol;
  json conditions = json::array();
  for (const auto& c : protocol.conditions) {
    json s{{"condition_id", c.id}, {"label", c.label}, {"panels", c.panels}};
    std::int64_t n_participants = 0, n_sessions = 0, n_events = 0;
    for (const auto& p : data.participants) n_participants += p.condition_id == c.id;
    std::map<std::string, std::string> condition_of;
    for (const auto& sess : data.sessions) {
      condition_of[sess.session_id] = sess.condition_id;
      n_sessions += sess.condition_id == c.id;
    }
    json by_kind = json::object();
    std::map<std::string, std::int64_t> actions{{"deploy", 0}, {"reject", 0}, {"defer", 0}};
    double will_sum = 0, conf_sum = 0;
    std::int64_t decisions = 0;
    std::map<std::string, std::pair<double, std::int64_t>> items;
    for (const auto& e : data.events) {
      if (condition_of[e.session_id] != c.id) continue;
      ++n_events;
      by_kind[e.kind] = by_kind.value(e.kind, 0) + 1;
      const json payload = json::parse(e.payload);
      if (e.kind == "decision") {
        ++decisions;
        ++actions[payload["action"].get<std::string>()];
        will_sum += payload["willingness"].get<double>();
        conf_sum += payload["confidence"].get<double>();
      } else if (e.kind == "questionnaire" && payload["response"].is_number()) {
        auto& acc = items[payload["questionnaire_id"].get<std::string>() + "." +
                          payload["item_id"].get<std::string>()];
        acc.first += payload["response"].get<double>();
        ++acc.second;
      }
    }
    json decision{{"n", decisions}};
    for (const auto& [action, n] : actions) {
      decision[action] = n;
      decision[action + "_rate"] =
          decisions ? json(static_cast<double>(n) / static_cast<double>(decisions)) : json(nullptr);
    }
    json means = json::object();
    for (const auto& [item, acc] : items) {
      means[item] = {{"mean", acc.first / static_cast<double>(acc.second)}, {"n", acc.second}};
    }
    s["participants"] = n_participants;
    s["sessions"] = n_sessions;
    s["events"] = n_events;
    s["events_by_kind"] = by_kind;
    s["decisions"] = decision;
    s["mean_willingness"] = decisions ? json(will_sum / static_cast<double>(decisions)) : json(nullptr);
    s["mean_confidence"] = decisions ? json(conf_sum / static_cast<double>(decisions)) : json(nullptr);
    s["questionnaire_means"] = means;
    conditions.push_back(std::move(s));
  }
  return {{"study_id", protocol.study_id},
          {"title", protocol.title},
          {"verified", true},
          {"head_hash", data.report.head_hash},
          {"events", data.report.events},
          {"participants", data.participants.size()},
          {"sessions", data.sessions.size()},
          {"conditions", conditions}};
}

std::string format_summary(const json& s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2);
  out << "study " << s["study_id"].get<std::string>() << " (" << s["title"].get<std::string>()
      << "): " << s["participants"] << " participants, " << s["sessions"] << " sessions, "
      << s["events"] << " events; chain verified, head " << s["head_hash"].get<std::string>()
      << '\n';
  for (const auto& c : s["conditions"]) {
    out << "condition " << c["condition_id"].get<std::string>() << " ("
        << c["label"].get<std::string>() << "): " << c["participants"] << " participants, "
        << c["sessions"] << " sessions, " << c["events"] << " events\n";
    const json& d = c["decisions"];
    out << "  decisions: " << d["n"];
    if (d["n"].get<std::int64_t>() > 0) {
      out << " (deploy " << 100 * d["deploy_rate"].get<double>() << "%, reject "
          << 100 * d["reject_rate"].get<double>() << "%, defer "
          << 100 * d["defer_rate"].get<double>() << "%); mean willingness "
          << c["mean_willingness"].get<double>() << ", mean confidence "
          << c["mean_confidence"].get<double>();
    }
    out << '\n';
    for (const auto& [item, m] : c["questionnaire_means"].items()) {
      out << "  " << item << ": mean " << m["mean"].get<double>() << " (n=" << m["n"] << ")\n";
    }
    if (!c["events_by_kind"].empty()) {
      out << "  events by kind:";
      for (const auto& [kind, n] : c["events_by_kind"].items()) out << ' ' << kind << '=' << n;
      out << '\n';
    }
  }
  return out.str();
}

}  // namespace glasswing::studies
