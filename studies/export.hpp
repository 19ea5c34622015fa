#pragma once
// Tidy exports and summaries of a study database (docs/STUDIES.md, "Exports").
// Both read the database read-only and verify the hash chain first: a log that does not verify
// is refused (StudyError Tampered), never exported or summarised.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace glasswing::studies {

enum class ExportFormat { Csv, Jsonl };

struct ExportOptions {
  ExportFormat format = ExportFormat::Csv;
  bool include_rationale = true;  // false: decision.rationale is left out of every table
};

struct ExportResult {
  std::vector<std::filesystem::path> files;
  std::map<std::string, std::int64_t> rows;  // table name -> data rows
};

// Writes one file per table into `out_dir` (created if needed; each file written to a temporary
// name and renamed): participants, sessions, events, one table per event kind, card_sort_items,
// the data dictionary of every column, and manifest.json.
ExportResult export_study(const std::filesystem::path& db, const std::filesystem::path& out_dir,
                          const ExportOptions& options);

// Counts per condition, decision rates and mean ratings by condition, as JSON (see STUDIES.md).
nlohmann::json summarize_study(const std::filesystem::path& db);
// The same, as text for a terminal.
std::string format_summary(const nlohmann::json& summary);

}  // namespace glasswing::studies
