#include "studies/study_log.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <regex>
#include <system_error>

#include "studies/error.hpp"
#include "studies/event_kinds.hpp"
#include "studies/hash.hpp"
#include "studies/sqlite.hpp"

namespace glasswing::studies {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kEventFormat = "glasswing-study-event/1";

const char* const kSchema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
  seq            INTEGER PRIMARY KEY,
  ts_utc         TEXT    NOT NULL,
  mono_ns        INTEGER NOT NULL,
  session_id     TEXT    NOT NULL,
  participant_id TEXT    NOT NULL,
  kind           TEXT    NOT NULL,
  payload        TEXT    NOT NULL,
  prev_hash      TEXT    NOT NULL,
  hash           TEXT    NOT NULL UNIQUE
);
CREATE INDEX events_by_participant ON events (participant_id, kind);
CREATE INDEX events_by_session ON events (session_id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'study events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'study events are append-only'); END;
)sql";

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms.count() % 1000));
  return out;
}

std::int64_t mono_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string meta_value(const sql::Db& db, std::string_view key) {
  sql::Stmt st(db, "SELECT value FROM meta WHERE key = ?");
  st.bind(1, key);
  if (!st.step()) {
    throw_bad_input(db.path() + " is not a complete Glasswing study database (meta '" +
                    std::string(key) + "' is missing)");
  }
  return st.text(0);
}

void set_meta(const sql::Db& db, std::string_view key, std::string_view value) {
  sql::Stmt st(db, "INSERT INTO meta (key, value) VALUES (?, ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  st.bind(1, key).bind(2, value);
  st.step();
}

// Opens `path` and checks that it is a study database this build can read.
std::unique_ptr<sql::Db> open_study_db(const fs::path& path, sql::Db::Mode mode) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw_bad_input("study database " + path.string() +
                    " does not exist; create one with 'glasswing study init'");
  }
  if (!fs::is_regular_file(path, ec)) {
    throw_bad_input(path.string() + " is not a file; pass a study database made by "
                                    "'glasswing study init'");
  }
  auto db = std::make_unique<sql::Db>(path, mode);
  {
    sql::Stmt st(*db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                      "name IN ('meta', 'events')");
    st.step();
    if (st.int64(0) != 2) {
      throw_bad_input(path.string() + " is an SQLite database but not a Glasswing study "
                                      "(no meta/events tables); pass a file made by "
                                      "'glasswing study init'");
    }
  }
  if (meta_value(*db, "format") != kStudyFormat) {
    throw_bad_input(path.string() + " is not a Glasswing study database (meta format is '" +
                    meta_value(*db, "format") + "')");
  }
  const std::string version = meta_value(*db, "schema_version");
  if (version != std::to_string(kStudySchemaVersion)) {
    throw_bad_input(path.string() + " has study schema version " + version +
                    ", this Glasswing reads version " + std::to_string(kStudySchemaVersion) +
                    "; use a matching Glasswing");
  }
  if (mode != sql::Db::Mode::ReadOnly) {
    // WAL + synchronous=FULL: each COMMIT appends to the WAL and fsyncs it before returning,
    // so an acknowledged event survives a crash of the process and of the OS/power. (NORMAL
    // would sync only at checkpoints: safe against a killed process, not against a power cut.)
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = FULL");
  }
  return db;
}

std::string machine_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "unknown";
  return host;
}

std::string os_user_name() {
  if (const passwd* pw = getpwuid(geteuid())) return pw->pw_name;
  return "unknown";
}

}  // namespace

std::string canonical_event(const StoredEvent& e) {
  const json j{{"format", kEventFormat},       {"seq", e.seq},
               {"ts_utc", e.ts_utc},           {"mono_ns", e.mono_ns},
               {"session_id", e.session_id},   {"participant_id", e.participant_id},
               {"kind", e.kind},               {"payload", e.payload},
               {"prev_hash", e.prev_hash}};
  return j.dump();  // nlohmann::json objects keep keys sorted: the form is canonical
}

std::string genesis_hash(std::string_view canonical_protocol) {
  return sha256_hex("glasswing-study/1\n" + std::string(canonical_protocol));
}

bool is_valid_participant_id(std::string_view id) {
  static const std::regex kId("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  return std::regex_match(id.begin(), id.end(), kId);
}

// ---- StudyLog ----------------------------------------------------------------------------------

struct StudyLog::Impl {
  std::unique_ptr<sql::Db> db;
  Protocol protocol;
  std::string genesis;
  mutable std::mutex mutex;
  // Immutable facts, cached: a participant's condition, a session's participant.
  std::map<std::string, std::string, std::less<>> condition_of_participant;
  std::map<std::string, std::string, std::less<>> participant_of_session;

  struct Head {
    std::int64_t seq = 0;
    std::string hash;
  };

  Head head() const {
    Head h{0, genesis};
    sql::Stmt st(*db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1");
    if (st.step()) h = {st.int64(0), st.text(1)};
    if (meta_value(*db, "head_hash") != h.hash || meta_value(*db, "head_seq") != std::to_string(h.seq)) {
      throw StudyError(StudyErrorKind::Tampered,
                       db->path() + ": the recorded chain head does not match the last event "
                                    "(events were deleted or added outside Glasswing); run "
                                    "'glasswing study verify' and do not append to this log");
    }
    return h;
  }

  // Must run inside a write transaction.
  EventReceipt append(std::string_view session_id, std::string_view participant_id,
                      std::string_view kind, const json& payload, std::int64_t mono_ns) {
    const Head h = head();
    StoredEvent e;
    e.seq = h.seq + 1;
    e.ts_utc = utc_now();
    e.mono_ns = mono_ns;
    e.session_id = session_id;
    e.participant_id = participant_id;
    e.kind = kind;
    try {
      e.payload = payload.dump();
    } catch (const json::exception& ex) {
      throw_bad_input("payload of '" + std::string(kind) + "' is not valid UTF-8 (" + ex.what() + ")");
    }
    e.prev_hash = h.hash;
    e.hash = sha256_hex(canonical_event(e));
    sql::Stmt st(*db,
                 "INSERT INTO events (seq, ts_utc, mono_ns, session_id, participant_id, kind, "
                 "payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, e.seq).bind(2, e.ts_utc).bind(3, e.mono_ns).bind(4, e.session_id);
    st.bind(5, e.participant_id).bind(6, e.kind).bind(7, e.payload).bind(8, e.prev_hash);
    st.bind(9, e.hash);
    st.step();
    set_meta(*db, "head_seq", std::to_string(e.seq));
    set_meta(*db, "head_hash", e.hash);
    return {e.seq, e.session_id, e.hash};
  }

  std::optional<std::string> open_session_locked(std::string_view participant_id) const {
    sql::Stmt st(*db,
                 "SELECT s.session_id FROM events s WHERE s.participant_id = ?1 AND "
                 "s.kind = 'session_start' AND NOT EXISTS (SELECT 1 FROM events e WHERE "
                 "e.participant_id = ?1 AND e.kind = 'session_end' AND e.session_id = "
                 "s.session_id) ORDER BY s.seq DESC LIMIT 1");
    st.bind(1, participant_id);
    if (st.step()) return st.text(0);
    return std::nullopt;
  }

  // The first session_start payload of a participant, or null when not enrolled.
  json enrolment(std::string_view participant_id) const {
    sql::Stmt st(*db,
                 "SELECT payload FROM events WHERE participant_id = ? AND kind = 'session_start' "
                 "ORDER BY seq LIMIT 1");
    st.bind(1, participant_id);
    if (!st.step()) return nullptr;
    return json::parse(st.text(0));
  }

  std::string condition_of(std::string_view participant_id) {
    if (auto it = condition_of_participant.find(participant_id);
        it != condition_of_participant.end()) {
      return it->second;
    }
    const json e = enrolment(participant_id);
    if (e.is_null()) throw_bad_input("participant '" + std::string(participant_id) + "' is not enrolled");
    const std::string c = e.at("condition_id").get<std::string>();
    condition_of_participant.emplace(std::string(participant_id), c);
    return c;
  }

  std::string participant_of(std::string_view session_id) {
    if (auto it = participant_of_session.find(session_id); it != participant_of_session.end()) {
      return it->second;
    }
    sql::Stmt st(*db, "SELECT participant_id FROM events WHERE session_id = ? AND "
                      "kind = 'session_start' LIMIT 1");
    st.bind(1, session_id);
    if (!st.step()) {
      throw_bad_input("session '" + std::string(session_id) +
                      "' does not exist; start one with start_session or 'study record'");
    }
    std::string p = st.text(0);
    participant_of_session.emplace(std::string(session_id), p);
    return p;
  }

  bool session_ended(std::string_view session_id) const {
    sql::Stmt st(*db, "SELECT 1 FROM events WHERE session_id = ? AND kind = 'session_end' LIMIT 1");
    st.bind(1, session_id);
    return st.step();
  }

  void validate(const KindSpec& spec, json& payload, const Condition& condition) const;
  SessionInfo start_locked(std::string_view participant_id, const json& payload);
  EventReceipt log_locked(std::string_view session_id, std::string_view kind, const json& payload);
  EventReceipt end_locked(std::string_view session_id, const json& payload);
};

namespace {

[[noreturn]] void payload_error(std::string_view kind, const std::string& field,
                                const std::string& what) {
  throw_bad_input("event '" + std::string(kind) + "': field '" + field + "' " + what);
}

std::string valid_fields(const KindSpec& spec) {
  std::string out;
  for (const auto& f : spec.fields) {
    if (!f.system) out += (out.empty() ? "" : ", ") + f.name;
  }
  return out.empty() ? "none" : out;
}

void check_rating(std::string_view kind, const std::string& field, const json& v, int lo, int hi) {
  if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi) {
    payload_error(kind, field, "must be an integer from " + std::to_string(lo) + " to " +
                                   std::to_string(hi) + " (got " + v.dump() + ")");
  }
}

}  // namespace

void StudyLog::Impl::validate(const KindSpec& spec, json& payload,
                              const Condition& condition) const {
  const std::string& kind = spec.kind;
  if (!payload.is_object()) {
    throw_bad_input("event '" + kind + "': the payload must be a JSON object (got " +
                    std::string(payload.type_name()) + ")");
  }
  for (const auto& [name, value] : payload.items()) {
    const FieldSpec* f = spec.find(name);
    if (f == nullptr) {
      payload_error(kind, name, "is not a field of this event (valid: " + valid_fields(spec) + ")");
    }
    if (f->system) payload_error(kind, name, "is filled in by the log and cannot be given");
    const auto type_error = [&](const std::string& expected) {
      payload_error(kind, name, "must be " + expected + " (got " + value.dump() + ")");
    };
    switch (f->type) {
      case FieldType::String:
        if (!value.is_string()) type_error("a string");
        break;
      case FieldType::Integer:
        if (!value.is_number_integer()) type_error("an integer");
        break;
      case FieldType::Number:
        if (!value.is_number()) type_error("a number");
        break;
      case FieldType::Boolean:
        if (!value.is_boolean()) type_error("true or false");
        break;
      case FieldType::Enum: {
        if (!value.is_string() ||
            std::find(f->values.begin(), f->values.end(), value.get<std::string>()) ==
                f->values.end()) {
          std::string valid;
          for (const auto& v : f->values) valid += (valid.empty() ? "" : ", ") + v;
          type_error("one of " + valid);
        }
        break;
      }
      case FieldType::Panel: {
        const auto& panels = all_panels();
        if (!value.is_string() ||
            std::find(panels.begin(), panels.end(), value.get<std::string>()) == panels.end()) {
          type_error("a panel id P1 to P11");
        }
        if (!condition.shows(value.get<std::string>())) {
          payload_error(kind, name, "names panel " + value.get<std::string>() +
                                        ", which condition '" + condition.id + "' does not show");
        }
        break;
      }
      case FieldType::Rating:
        check_rating(kind, name, value, protocol.decision_scale_min, protocol.decision_scale_max);
        break;
      case FieldType::StringList:
        if (!value.is_array() ||
            !std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); })) {
          type_error("an array of strings");
        }
        break;
      case FieldType::Json:
        break;
    }
  }
  for (const auto& f : spec.fields) {
    if (f.required && !payload.contains(f.name)) {
      payload_error(kind, f.name, "is required (" + f.description + ")");
    }
  }

  // Cross-checks against the protocol.
  const Task* task = nullptr;
  if (payload.contains("task_id")) {
    task = protocol.find_task(payload["task_id"].get<std::string>());
    if (task == nullptr) {
      payload_error(kind, "task_id", "'" + payload["task_id"].get<std::string>() +
                                         "' is not a task of the protocol");
    }
  }
  if (task != nullptr && payload.contains("candidate_id") && !task->candidates.empty()) {
    const std::string c = payload["candidate_id"].get<std::string>();
    if (std::find(task->candidates.begin(), task->candidates.end(), c) == task->candidates.end()) {
      payload_error(kind, "candidate_id", "'" + c + "' is not a candidate of task '" + task->id + "'");
    }
  }
  if (kind == "consent" && payload["consent_version"] != protocol.consent_version) {
    payload_error(kind, "consent_version", "is '" + payload["consent_version"].get<std::string>() +
                                               "' but the protocol's consent is version '" +
                                               protocol.consent_version + "'");
  }
  if (kind == "questionnaire") {
    const Questionnaire* q = protocol.find_questionnaire(payload["questionnaire_id"].get<std::string>());
    if (q == nullptr) {
      payload_error(kind, "questionnaire_id", "'" + payload["questionnaire_id"].get<std::string>() +
                                                  "' is not a questionnaire of the protocol");
    }
    const QuestionItem* item = q->find_item(payload["item_id"].get<std::string>());
    if (item == nullptr) {
      payload_error(kind, "item_id", "'" + payload["item_id"].get<std::string>() +
                                         "' is not an item of questionnaire '" + q->id + "'");
    }
    if (item->type == "likert") {
      check_rating(kind, "response", payload["response"], item->scale_min, item->scale_max);
    } else if (!payload["response"].is_string()) {
      payload_error(kind, "response", "must be text for text item '" + item->id + "'");
    }
  }
  if (kind == "card_sort") {
    if (!protocol.card_sort || payload["card_sort_id"] != protocol.card_sort->id) {
      payload_error(kind, "card_sort_id", "'" + payload["card_sort_id"].get<std::string>() +
                                              "' is not the protocol's card sort");
    }
    const CardSort& cs = *protocol.card_sort;
    const bool wants_rank = cs.mode != "piles";
    const bool wants_piles = cs.mode != "rank";
    if (wants_rank != payload.contains("ranking")) {
      payload_error(kind, "ranking", wants_rank ? "is required by card-sort mode '" + cs.mode + "'"
                                                : "is not used by card-sort mode '" + cs.mode + "'");
    }
    if (wants_piles != payload.contains("piles")) {
      payload_error(kind, "piles", wants_piles ? "is required by card-sort mode '" + cs.mode + "'"
                                               : "is not used by card-sort mode '" + cs.mode + "'");
    }
    if (wants_rank) {
      std::vector<std::string> seen;
      for (const auto& v : payload["ranking"]) {
        const std::string id = v.get<std::string>();
        if (!cs.has_item(id)) payload_error(kind, "ranking", "names unknown card '" + id + "'");
        if (std::find(seen.begin(), seen.end(), id) != seen.end()) {
          payload_error(kind, "ranking", "names card '" + id + "' twice");
        }
        seen.push_back(id);
      }
    }
    if (wants_piles) {
      const json& piles = payload["piles"];
      if (!piles.is_object()) payload_error(kind, "piles", "must be an object: pile -> [card ids]");
      std::vector<std::string> seen;
      for (const auto& [pile, cards] : piles.items()) {
        if (std::find(cs.piles.begin(), cs.piles.end(), pile) == cs.piles.end()) {
          payload_error(kind, "piles", "names unknown pile '" + pile + "'");
        }
        if (!cards.is_array()) payload_error(kind, "piles", "pile '" + pile + "' must be an array");
        for (const auto& v : cards) {
          if (!v.is_string() || !cs.has_item(v.get<std::string>())) {
            payload_error(kind, "piles", "pile '" + pile + "' names unknown card " + v.dump());
          }
          if (std::find(seen.begin(), seen.end(), v.get<std::string>()) != seen.end()) {
            payload_error(kind, "piles", "puts card " + v.dump() + " in two piles");
          }
          seen.push_back(v.get<std::string>());
        }
      }
    }
  }
}

void StudyLog::create(const fs::path& path, const Protocol& protocol) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    throw_usage(path.string() + " already exists; choose another --out path or remove the file");
  }
  const fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(parent, ec)) {
    throw_storage("cannot open " + path.string() + ": folder " + parent.string() +
                  " does not exist; create it first");
  }
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(getpid());
  fs::remove(tmp, ec);
  try {
    {
      sql::Db db(tmp, sql::Db::Mode::Create);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      sql::Transaction tx(db);
      db.exec(kSchema);
      const std::string text = protocol.canonical_text();
      const std::string genesis = genesis_hash(text);
      set_meta(db, "format", kStudyFormat);
      set_meta(db, "schema_version", std::to_string(kStudySchemaVersion));
      set_meta(db, "study_id", protocol.study_id);
      set_meta(db, "protocol", text);
      set_meta(db, "protocol_sha256", sha256_hex(text));
      set_meta(db, "genesis_hash", genesis);
      set_meta(db, "created_utc", utc_now());
      set_meta(db, "head_seq", "0");
      set_meta(db, "head_hash", genesis);
      tx.commit();
    }  // closing checkpoints the WAL into the main file and removes it
    fs::rename(tmp, path, ec);
    if (ec) throw_storage("cannot move " + tmp.string() + " to " + path.string() + ": " + ec.message());
  } catch (...) {
    fs::remove(tmp, ec);
    fs::remove(tmp.string() + "-wal", ec);
    fs::remove(tmp.string() + "-shm", ec);
    throw;
  }
}

StudyLog::StudyLog(const fs::path& path) : impl_(std::make_unique<Impl>()) {
  impl_->db = open_study_db(path, sql::Db::Mode::ReadWrite);
  const std::string text = meta_value(*impl_->db, "protocol");
  try {
    impl_->protocol = parse_protocol(text, path.string() + " (stored protocol)");
  } catch (const StudyError& e) {
    throw StudyError(StudyErrorKind::Tampered, e.what());
  }
  if (impl_->protocol.canonical_text() != text) {
    throw StudyError(StudyErrorKind::Tampered,
                     path.string() + ": the stored protocol is not in canonical form (edited "
                                     "after 'study init'); run 'glasswing study verify'");
  }
  impl_->genesis = genesis_hash(text);
}

StudyLog::~StudyLog() = default;

const Protocol& StudyLog::protocol() const { return impl_->protocol; }

SessionInfo StudyLog::Impl::start_locked(std::string_view participant_id, const json& payload) {
  if (!is_valid_participant_id(participant_id)) {
    throw_bad_input("participant id '" + std::string(participant_id) +
                    "' is not a pseudonymous id (1-64 letters, digits, '_', '.', '-'; never a "
                    "name or e-mail address)");
  }
  if (auto open = open_session_locked(participant_id)) {
    throw_bad_input("participant '" + std::string(participant_id) + "' already has open session '" +
                    *open + "'; end it first (session_end)");
  }
  SessionInfo info;
  info.participant_id = participant_id;
  json enrol = enrolment(participant_id);
  std::int64_t index = 0;
  if (enrol.is_null()) {
    sql::Stmt st(*db, "SELECT count(*) FROM events WHERE kind = 'session_start' AND "
                      "json_extract(payload, '$.new_participant') = 1");
    st.step();
    index = st.int64(0);
    const Assignment a = assign(protocol, index);
    info.condition_id = a.condition_id;
    info.task_order = a.task_order;
    info.new_participant = true;
  } else {
    info.condition_id = enrol.at("condition_id").get<std::string>();
    info.task_order = enrol.at("task_order").get<std::vector<std::string>>();
    index = enrol.at("enrolment_index").get<std::int64_t>();
  }
  const Condition* condition = protocol.find_condition(info.condition_id);
  json full = payload.is_null() ? json::object() : payload;
  validate(*find_kind("session_start"), full, *condition);
  full["condition_id"] = info.condition_id;
  full["task_order"] = info.task_order;
  full["enrolment_index"] = index;
  full["new_participant"] = info.new_participant;
  full["protocol_id"] = protocol.study_id;
  full["consent_version"] = protocol.consent_version;
  if (protocol.record_machine) {
    full["machine"] = machine_name();
    full["os_user"] = os_user_name();
  }
  sql::Stmt count(*db, "SELECT count(*) FROM events WHERE participant_id = ? AND kind = 'session_start'");
  count.bind(1, participant_id);
  count.step();
  info.session_id = std::string(participant_id) + "-s" + std::to_string(count.int64(0) + 1);
  info.start = append(info.session_id, participant_id, "session_start", full, mono_now_ns());
  participant_of_session[info.session_id] = info.participant_id;
  condition_of_participant[info.participant_id] = info.condition_id;
  return info;
}

EventReceipt StudyLog::Impl::log_locked(std::string_view session_id, std::string_view kind,
                                        const json& payload) {
  const KindSpec* spec = find_kind(kind);
  if (spec == nullptr) {
    throw_bad_input("unknown event kind '" + std::string(kind) + "' (valid: " + kind_names() + ")");
  }
  if (kind == "session_start" || kind == "session_end") {
    throw_usage("'" + std::string(kind) + "' is written by start_session/end_session, not log()");
  }
  const std::string participant = participant_of(session_id);
  if (session_ended(session_id)) {
    throw_bad_input("session '" + std::string(session_id) + "' has ended; start a new session");
  }
  const Condition* condition = protocol.find_condition(condition_of(participant));
  json full = payload.is_null() ? json::object() : payload;
  validate(*spec, full, *condition);
  const std::int64_t now = mono_now_ns();
  if (kind == "panel_close" && !full.contains("dwell_ms")) {
    // Dwell time from the matching panel_open of this session (the latest open of that panel
    // with no close after it); left out when there is none.
    sql::Stmt st(*db, "SELECT kind, mono_ns, payload FROM events WHERE session_id = ? AND kind IN "
                      "('panel_open', 'panel_close') ORDER BY seq DESC");
    st.bind(1, session_id);
    while (st.step()) {
      if (json::parse(st.text(2)).value("panel", "") != full["panel"]) continue;
      if (st.text(0) == "panel_open") full["dwell_ms"] = (now - st.int64(1)) / 1000000;
      break;
    }
  }
  return append(session_id, participant, kind, full, now);
}

EventReceipt StudyLog::Impl::end_locked(std::string_view session_id, const json& payload) {
  const std::string participant = participant_of(session_id);
  if (session_ended(session_id)) {
    throw_bad_input("session '" + std::string(session_id) + "' has already ended");
  }
  const Condition* condition = protocol.find_condition(condition_of(participant));
  json full = payload.is_null() ? json::object() : payload;
  validate(*find_kind("session_end"), full, *condition);
  const std::int64_t now = mono_now_ns();
  sql::Stmt st(*db, "SELECT mono_ns FROM events WHERE session_id = ? AND kind = 'session_start'");
  st.bind(1, session_id);
  if (st.step()) full["duration_ms"] = (now - st.int64(0)) / 1000000;
  return append(session_id, participant, "session_end", full, now);
}

SessionInfo StudyLog::start_session(std::string_view participant_id, const json& payload) {
  std::lock_guard lock(impl_->mutex);
  sql::Transaction tx(*impl_->db);
  SessionInfo info = impl_->start_locked(participant_id, payload);
  tx.commit();
  return info;
}

EventReceipt StudyLog::log(std::string_view session_id, std::string_view kind, const json& payload) {
  std::lock_guard lock(impl_->mutex);
  sql::Transaction tx(*impl_->db);
  EventReceipt r = impl_->log_locked(session_id, kind, payload);
  tx.commit();
  return r;
}

EventReceipt StudyLog::end_session(std::string_view session_id, const json& payload) {
  std::lock_guard lock(impl_->mutex);
  sql::Transaction tx(*impl_->db);
  EventReceipt r = impl_->end_locked(session_id, payload);
  tx.commit();
  return r;
}

EventReceipt StudyLog::record(std::string_view participant_id, std::string_view kind,
                              const json& payload, std::optional<SessionInfo>* opened) {
  if (find_kind(kind) == nullptr) {
    throw_bad_input("unknown event kind '" + std::string(kind) + "' (valid: " + kind_names() + ")");
  }
  if (!is_valid_participant_id(participant_id)) {
    throw_bad_input("participant id '" + std::string(participant_id) +
                    "' is not a pseudonymous id (1-64 letters, digits, '_', '.', '-'; never a "
                    "name or e-mail address)");
  }
  std::lock_guard lock(impl_->mutex);
  sql::Transaction tx(*impl_->db);
  EventReceipt r;
  if (kind == "session_start") {
    SessionInfo info = impl_->start_locked(participant_id, payload);
    r = info.start;
    if (opened) *opened = std::move(info);
  } else {
    std::optional<std::string> session = impl_->open_session_locked(participant_id);
    if (kind == "session_end") {
      if (!session) {
        throw_bad_input("participant '" + std::string(participant_id) + "' has no open session to end");
      }
      r = impl_->end_locked(*session, payload);
    } else {
      if (!session) {
        SessionInfo info = impl_->start_locked(participant_id, json::object());
        session = info.session_id;
        if (opened) *opened = std::move(info);
      }
      r = impl_->log_locked(*session, kind, payload);
    }
  }
  tx.commit();
  return r;
}

std::optional<std::string> StudyLog::open_session(std::string_view participant_id) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open_session_locked(participant_id);
}

// ---- Reading and verifying -------------------------------------------------------------------

StudyData read_study(const fs::path& path) {
  auto db = open_study_db(path, sql::Db::Mode::ReadOnly);
  StudyData data;
  VerifyReport& r = data.report;
  const auto bad = [&](std::int64_t seq, const std::string& problem) {
    if (r.problem.empty()) {
      r.first_bad_seq = seq;
      r.problem = problem;
    }
  };

  sql::Stmt tx(*db, "BEGIN");  // one consistent snapshot while a writer may be appending
  tx.step();
  const std::string text = meta_value(*db, "protocol");
  data.created_utc = meta_value(*db, "created_utc");
  const std::string genesis = genesis_hash(text);
  bool protocol_ok = true;
  try {
    data.protocol = parse_protocol(text, "stored protocol");
    if (data.protocol.canonical_text() != text) {
      bad(0, "the stored protocol was edited after 'study init' (not in canonical form)");
      protocol_ok = false;
    }
  } catch (const StudyError& e) {
    bad(0, std::string("the stored protocol was edited after 'study init': ") + e.what());
    protocol_ok = false;
  }
  if (protocol_ok && meta_value(*db, "genesis_hash") != genesis) {
    bad(0, "the stored protocol was changed after 'study init' (genesis hash differs)");
  }

  std::map<std::string, std::size_t> participant_index, session_index;
  std::string prev = genesis;
  std::int64_t expected = 1;
  sql::Stmt st(*db, "SELECT seq, ts_utc, mono_ns, session_id, participant_id, kind, payload, "
                    "prev_hash, hash FROM events ORDER BY seq");
  while (st.step()) {
    StoredEvent e{st.int64(0), st.text(1), st.int64(2), st.text(3), st.text(4),
                  st.text(5),  st.text(6), st.text(7),  st.text(8)};
    const std::string where = "event " + std::to_string(e.seq) + " (" + e.kind + ")";
    if (e.seq != expected) {
      bad(expected, "event " + std::to_string(expected) +
                        " is missing: events were deleted (the log jumps to event " +
                        std::to_string(e.seq) + ")");
    } else if (e.prev_hash != prev) {
      bad(e.seq, where + " does not link to the event before it: events were deleted, inserted "
                         "or reordered, or the protocol was changed");
    } else if (sha256_hex(canonical_event(e)) != e.hash) {
      bad(e.seq, where + " was changed after it was written (its hash does not match)");
    }
    prev = e.hash;
    expected = e.seq + 1;

    json payload;
    try {
      payload = json::parse(e.payload);
    } catch (const json::exception&) {
      bad(e.seq, where + " has a payload that is not JSON");
      payload = json::object();
    }
    if (find_kind(e.kind) == nullptr) bad(e.seq, where + " has an unknown kind");
    if (e.kind == "session_start") {
      if (session_index.count(e.session_id)) {
        bad(e.seq, where + " starts session " + e.session_id + " a second time");
      }
      SessionRow s;
      s.session_id = e.session_id;
      s.participant_id = e.participant_id;
      s.condition_id = payload.value("condition_id", "");
      s.started_utc = e.ts_utc;
      s.start_seq = e.seq;
      session_index[e.session_id] = data.sessions.size();
      data.sessions.push_back(s);
      if (payload.value("new_participant", false)) {
        ParticipantRow p;
        p.participant_id = e.participant_id;
        p.condition_id = s.condition_id;
        p.enrolment_index = payload.value("enrolment_index", std::int64_t{0});
        p.task_order = payload.value("task_order", std::vector<std::string>{});
        p.enrolled_utc = e.ts_utc;
        participant_index[e.participant_id] = data.participants.size();
        data.participants.push_back(p);
      }
    }
    auto s_it = session_index.find(e.session_id);
    auto p_it = participant_index.find(e.participant_id);
    if (s_it == session_index.end() || p_it == participant_index.end() ||
        data.sessions[s_it->second].participant_id != e.participant_id) {
      bad(e.seq, where + " belongs to session " + e.session_id + " that was never started");
    } else {
      SessionRow& s = data.sessions[s_it->second];
      ++s.events;
      ++data.participants[p_it->second].events;
      if (e.kind == "session_start") ++data.participants[p_it->second].sessions;
      if (e.kind == "session_end") {
        s.ended_utc = e.ts_utc;
        s.end_seq = e.seq;
        if (payload.contains("reason")) s.end_reason = payload["reason"].get<std::string>();
        if (payload.contains("duration_ms")) s.duration_ms = payload["duration_ms"].get<double>();
      }
    }
    data.events.push_back(std::move(e));
  }
  r.events = static_cast<std::int64_t>(data.events.size());
  r.head_hash = prev;
  const std::string head_seq = meta_value(*db, "head_seq");
  const std::string head_hash = meta_value(*db, "head_hash");
  const std::int64_t last = data.events.empty() ? 0 : data.events.back().seq;
  if (head_seq != std::to_string(last) || head_hash != prev) {
    std::int64_t recorded = 0;
    try {
      recorded = std::stoll(head_seq);
    } catch (const std::exception&) {
      recorded = 0;
    }
    bad(std::min(last, recorded) + 1, "the log ends at event " + std::to_string(last) +
                      " but its recorded head is event " + head_seq +
                      ": events at the end were deleted or added outside Glasswing");
  }
  {
    sql::Stmt trig(*db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
                        "('events_append_only_update', 'events_append_only_delete')");
    trig.step();
    if (trig.int64(0) != 2) bad(0, "the append-only triggers on the events table were removed");
  }
  sql::Stmt end(*db, "COMMIT");
  end.step();
  r.ok = r.problem.empty();
  return data;
}

VerifyReport verify_study(const fs::path& path) { return read_study(path).report; }

}  // namespace glasswing::studies
