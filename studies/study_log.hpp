#pragma once
// The study database: an append-only, hash-chained SQLite event log (docs/STUDIES.md).
//
// Contract
// - Every event is committed and fsynced before log()/start_session()/end_session()/record()
//   returns (WAL journal, synchronous=FULL: each commit syncs the WAL file, so an acknowledged
//   event survives a killed process and a power cut). The returned EventReceipt is the proof.
// - Thread safety: one StudyLog may be used from any number of threads; calls are serialised on
//   an internal mutex. Several processes may append to one file at once (the Studio and
//   `glasswing study record`): each append is a BEGIN IMMEDIATE transaction that reads the chain
//   head and writes the next event, so the chain stays linear.
// - Hash chain: event n stores prev_hash (the hash of event n-1; for event 1 the genesis hash,
//   SHA-256 of "glasswing-study/1\n" + the canonical protocol) and hash = SHA-256 of the
//   canonical serialisation of the event including prev_hash (canonical_event()).
// - Errors: StudyError. BadInput for a bad participant id, unknown kind, bad payload or a file
//   that is not a study database; Tampered when the stored chain head does not match the log;
//   Storage for SQLite I/O failures; Usage for create() onto an existing file.
// - Privacy: participants are pseudonymous ids ([A-Za-z0-9][A-Za-z0-9_.-]{0,63}); host and user
//   names are recorded only when the protocol sets privacy.record_machine.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "studies/protocol.hpp"

namespace glasswing::studies {

inline constexpr std::string_view kStudyFormat = "glasswing-study";
inline constexpr int kStudySchemaVersion = 1;

struct EventReceipt {
  std::int64_t seq = 0;
  std::string session_id;
  std::string hash;
};

struct SessionInfo {
  std::string session_id;
  std::string participant_id;
  std::string condition_id;
  std::vector<std::string> task_order;
  bool new_participant = false;
  EventReceipt start;
};

struct StoredEvent {
  std::int64_t seq = 0;
  std::string ts_utc;      // ISO 8601 UTC with milliseconds, e.g. 2026-11-28T06:51:50.123Z
  std::int64_t mono_ns = 0;  // steady (monotonic) clock, nanoseconds; comparable within a boot
  std::string session_id;
  std::string participant_id;
  std::string kind;
  std::string payload;     // canonical JSON text of the payload
  std::string prev_hash;
  std::string hash;
};

// The exact bytes that are hashed for an event (JSON, keys sorted, no spaces, UTF-8).
std::string canonical_event(const StoredEvent& event);
std::string genesis_hash(std::string_view canonical_protocol);

bool is_valid_participant_id(std::string_view id);

class StudyLog {
 public:
  // Creates a new study database at `path` (written beside it and renamed into place).
  static void create(const std::filesystem::path& path, const Protocol& protocol);

  // Opens an existing study database for appending.
  explicit StudyLog(const std::filesystem::path& path);
  ~StudyLog();
  StudyLog(const StudyLog&) = delete;
  StudyLog& operator=(const StudyLog&) = delete;

  const Protocol& protocol() const;

  // Starts a session; a participant's first session enrols them and assigns their condition and
  // task order (kept for all their later sessions). Fails if the participant has an open session.
  // `payload` may hold the client fields of session_start (locale, screen_px).
  SessionInfo start_session(std::string_view participant_id,
                            const nlohmann::json& payload = nlohmann::json::object());
  // Appends an event of `kind` to an open session (not session_start / session_end).
  EventReceipt log(std::string_view session_id, std::string_view kind,
                   const nlohmann::json& payload = nlohmann::json::object());
  EventReceipt end_session(std::string_view session_id,
                           const nlohmann::json& payload = nlohmann::json::object());
  // For scripts: appends one event for a participant, opening a session first when none is open
  // (`opened` then receives it). session_start and session_end are allowed as kinds.
  EventReceipt record(std::string_view participant_id, std::string_view kind,
                      const nlohmann::json& payload = nlohmann::json::object(),
                      std::optional<SessionInfo>* opened = nullptr);

  std::optional<std::string> open_session(std::string_view participant_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- Reading and verifying -------------------------------------------------------------------

struct ParticipantRow {
  std::string participant_id;
  std::string condition_id;
  std::int64_t enrolment_index = 0;
  std::vector<std::string> task_order;
  std::string enrolled_utc;
  std::int64_t sessions = 0;
  std::int64_t events = 0;
};

struct SessionRow {
  std::string session_id;
  std::string participant_id;
  std::string condition_id;
  std::string started_utc;
  std::optional<std::string> ended_utc;
  std::optional<std::string> end_reason;
  std::optional<double> duration_ms;
  std::int64_t start_seq = 0;
  std::optional<std::int64_t> end_seq;
  std::int64_t events = 0;
};

struct VerifyReport {
  bool ok = false;
  std::int64_t events = 0;
  std::string head_hash;           // hash of the last event (the genesis hash when empty)
  std::int64_t first_bad_seq = 0;  // 0 when the problem is not one event (or none)
  std::string problem;             // one line; empty when ok
};

struct StudyData {
  Protocol protocol;
  std::string created_utc;
  std::vector<StoredEvent> events;           // in seq order
  std::vector<ParticipantRow> participants;  // in enrolment order
  std::vector<SessionRow> sessions;          // in start order
  VerifyReport report;
};

// Reads and verifies the whole database (read-only). Never throws for tampering: the report
// says what is wrong. Throws BadInput for a file that is not a study database, Storage for I/O.
StudyData read_study(const std::filesystem::path& path);
VerifyReport verify_study(const std::filesystem::path& path);

}  // namespace glasswing::studies
