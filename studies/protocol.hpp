#pragma once
// A user-study protocol (docs/STUDIES.md, "Protocol file"): what a study shows to whom, what it
// asks, and how participants are assigned to conditions. Parsed from JSON and validated strictly:
// an unknown key, a missing field or a bad value fails with StudyError(BadInput) whose message
// names the field by its JSON path (e.g. "conditions[1].panels[2]"). Immutable after parsing;
// safe to share between threads.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace glasswing::studies {

inline constexpr std::string_view kProtocolFormat = "glasswing-study-protocol/1";

// The transparency panels of PRODUCT.md, P1..P11.
const std::vector<std::string>& all_panels();

struct Condition {
  std::string id;
  std::string label;
  std::string description;
  std::vector<std::string> panels;  // subset of P1..P11, in protocol order
  bool shows(std::string_view panel) const;
};

struct Task {
  std::string id;
  std::string title;
  std::string dataset;
  std::string target;
  std::string instructions;
  std::vector<std::string> candidates;  // empty: any candidate may be judged
};

struct QuestionItem {
  std::string id;
  std::string text;
  std::string type = "likert";  // "likert" (integer on [scale_min, scale_max]) or "text"
  int scale_min = 1;
  int scale_max = 7;
  std::map<std::string, std::string> anchors;  // scale value (as text) -> label
};

struct Questionnaire {
  std::string id;
  std::string title;
  std::string when;  // "after_task" | "end_of_session" | "any"
  std::vector<QuestionItem> items;
  const QuestionItem* find_item(std::string_view item_id) const;
};

struct CardSort {
  std::string id;
  std::string instructions;
  std::string mode;  // "rank" | "piles" | "rank_and_piles"
  std::vector<std::pair<std::string, std::string>> items;  // (id, label)
  std::vector<std::string> piles;
  bool has_item(std::string_view item_id) const;
};

struct Protocol {
  std::string study_id;
  std::string title;
  std::string description;
  std::string consent_version;
  std::string consent_text;
  std::vector<Condition> conditions;
  std::string assignment_method;  // "random" | "balanced" | "counterbalanced"
  std::uint64_t seed = 0;
  std::vector<Task> tasks;
  std::vector<Questionnaire> questionnaires;
  std::optional<CardSort> card_sort;
  int decision_scale_min = 1;  // willingness to deploy and confidence in `decision` events
  int decision_scale_max = 7;
  bool record_machine = false;  // privacy: host and OS user names only when the protocol asks

  nlohmann::json document;  // the validated document, defaults filled in

  const Condition* find_condition(std::string_view id) const;
  const Task* find_task(std::string_view id) const;
  const Questionnaire* find_questionnaire(std::string_view id) const;
  // The canonical text that is stored in the study database and anchors the hash chain.
  std::string canonical_text() const;
};

// Throws StudyError(BadInput) naming `origin` and the offending field.
Protocol parse_protocol(std::string_view json_text, std::string_view origin = "protocol");
Protocol load_protocol(const std::filesystem::path& path);

// Condition and task order for the participant enrolled `enrolment_index`-th (0-based).
// random: condition drawn uniformly from a seeded stream; tasks in protocol order.
// balanced: permuted blocks of one participant per condition (counts never differ by more
//   than one); tasks in protocol order.
// counterbalanced: balanced conditions, and task orders from a balanced Latin square (Williams
//   design) cycled within each condition.
// Deterministic given the protocol's seed, on every platform (no std:: distributions).
struct Assignment {
  std::string condition_id;
  std::vector<std::string> task_order;
};
Assignment assign(const Protocol& protocol, std::int64_t enrolment_index);

}  // namespace glasswing::studies
