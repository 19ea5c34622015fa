#include "studies/event_kinds.hpp"

namespace glasswing::studies {

std::string_view to_string(FieldType type) noexcept {
  switch (type) {
    case FieldType::String: return "string";
    case FieldType::Integer: return "integer";
    case FieldType::Number: return "number";
    case FieldType::Boolean: return "boolean";
    case FieldType::Enum: return "enum";
    case FieldType::Panel: return "panel";
    case FieldType::Rating: return "rating";
    case FieldType::StringList: return "string list (JSON)";
    case FieldType::Json: return "JSON";
  }
  return "unknown";
}

const FieldSpec* KindSpec::find(std::string_view field) const {
  for (const auto& f : fields) {
    if (f.name == field) return &f;
  }
  return nullptr;
}

namespace {

using T = FieldType;

FieldSpec req(std::string name, T type, std::string description,
              std::vector<std::string> values = {}) {
  return {std::move(name), type, true, false, std::move(description), std::move(values)};
}
FieldSpec opt(std::string name, T type, std::string description,
              std::vector<std::string> values = {}) {
  return {std::move(name), type, false, false, std::move(description), std::move(values)};
}
FieldSpec sys(std::string name, T type, std::string description) {
  return {std::move(name), type, false, true, std::move(description), {}};
}
FieldSpec task_id() {
  return opt("task_id", T::String, "the protocol task this event belongs to (tasks[].id)");
}

std::vector<KindSpec> make_kinds() {
  return {
      {"session_start",
       "a session began; the first session of a participant enrols them and assigns the condition",
       {sys("condition_id", T::String, "condition assigned to the participant (conditions[].id)"),
        sys("task_order", T::StringList, "task ids in the order this participant does them"),
        sys("enrolment_index", T::Integer, "0-based order in which the participant was enrolled"),
        sys("new_participant", T::Boolean, "true when this session enrolled the participant"),
        sys("protocol_id", T::String, "study_id of the protocol"),
        sys("consent_version", T::String, "version of the consent text in force"),
        opt("locale", T::String, "UI locale, e.g. en-GB"),
        opt("screen_px", T::String, "screen size in pixels, e.g. 1920x1080"),
        sys("machine", T::String, "host name (only when the protocol sets privacy.record_machine)"),
        sys("os_user", T::String, "OS user name (only when privacy.record_machine)")}},
      {"session_end",
       "a session ended",
       {opt("reason", T::Enum, "why the session ended", {"completed", "withdrawn", "timeout", "aborted"}),
        sys("duration_ms", T::Number, "milliseconds since session_start (monotonic clock)")}},
      {"consent",
       "the participant answered the consent form",
       {req("consent_version", T::String, "version of the consent text shown"),
        req("agreed", T::Boolean, "true when the participant consented")}},
      {"panel_open",
       "a transparency panel was opened",
       {req("panel", T::Panel, "panel id, P1..P11 (PRODUCT.md)"), task_id(),
        opt("candidate_id", T::String, "candidate shown in the panel")}},
      {"panel_close",
       "a transparency panel was closed",
       {req("panel", T::Panel, "panel id, P1..P11"), task_id(),
        opt("candidate_id", T::String, "candidate shown in the panel"),
        opt("dwell_ms", T::Number,
            "milliseconds the panel was open; computed from the matching panel_open when omitted"),
        opt("expanded_sections", T::StringList, "sections the participant expanded")}},
      {"panel_interact",
       "the participant used a control inside a panel",
       {req("panel", T::Panel, "panel id, P1..P11"), task_id(),
        req("control", T::String, "the control, e.g. threshold_slider, sort, filter, hover"),
        opt("value", T::Json, "the control's new value"),
        opt("candidate_id", T::String, "candidate shown in the panel")}},
      {"override",
       "the participant overrode the automation",
       {req("action", T::Enum, "what was overridden",
            {"exclude_feature", "include_feature", "pin_model", "unpin_model", "reject_model",
             "exclude_model", "change_metric", "edit_search_space", "change_type"}),
        task_id(),
        opt("target", T::String,
            "the feature, model or metric acted on (edit_search_space: family.parameter; change_type: "
            "the column)"),
        opt("before", T::Json, "value before the override"),
        opt("after", T::Json, "value after the override")}},
      {"run_start",
       "the participant started an AutoML run (or resumed one)",
       {task_id(), opt("metric", T::String, "the metric asked for (auto: the engine chooses by task)"),
        opt("time_budget_s", T::Number, "the run's time budget in seconds (absent: none)"),
        opt("max_trials", T::Integer, "the run's trial limit (absent: none)"),
        opt("families", T::StringList, "model families searched (absent or empty: the engine's defaults)"),
        opt("resume", T::Boolean, "true when the run continues the previous run's search")}},
      {"run_end",
       "an AutoML run ended: it finished, the participant stopped it, or it failed",
       {task_id(),
        req("outcome", T::Enum,
            "completed (the search ran to its limits), stopped (the participant stopped it; the "
            "finished trials make the result) or failed (no result)",
            {"completed", "stopped", "failed"}),
        opt("trials", T::Integer, "trials that finished (complete, failed or pruned)"),
        opt("best_score", T::Number, "the best candidate's cross-validated score (on metric)"),
        opt("metric", T::String, "the metric of best_score"),
        opt("message", T::String, "why a failed run failed (one line)")}},
      {"decision",
       "the participant decided about a candidate (panel P11)",
       {req("task_id", T::String, "the protocol task decided (tasks[].id)"),
        opt("candidate_id", T::String, "the candidate decided about"),
        req("action", T::Enum, "the decision", {"deploy", "reject", "defer"}),
        req("willingness", T::Rating, "willingness to deploy, on the protocol's decision scale"),
        req("confidence", T::Rating, "confidence in the decision, on the decision scale"),
        opt("rationale", T::String, "free-text rationale (can be left out of exports)"),
        opt("ms_since_run_end", T::Number, "milliseconds since the AutoML run finished")}},
      {"questionnaire",
       "one answer to one questionnaire item",
       {req("questionnaire_id", T::String, "questionnaires[].id"),
        req("item_id", T::String, "questionnaires[].items[].id"),
        req("response", T::Json, "integer on the item's scale (likert) or text (text items)"),
        task_id()}},
      {"card_sort",
       "the result of the card-sort task",
       {req("card_sort_id", T::String, "card_sort.id"),
        opt("ranking", T::StringList, "card ids, most important first"),
        opt("piles", T::Json, "object: pile name -> array of card ids"),
        opt("time_ms", T::Number, "milliseconds spent sorting")}},
      {"export",
       "the participant exported an artifact",
       {req("artifact", T::Enum, "what was exported", {"model", "report", "log"}),
        opt("format", T::String, "file format, e.g. html, bundle, csv"), task_id(),
        opt("sha256", T::String, "SHA-256 of the exported file")}},
  };
}

}  // namespace

const std::vector<KindSpec>& event_kinds() {
  static const std::vector<KindSpec> kKinds = make_kinds();
  return kKinds;
}

const KindSpec* find_kind(std::string_view kind) {
  for (const auto& k : event_kinds()) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

std::string kind_names() {
  std::string out;
  for (const auto& k : event_kinds()) out += (out.empty() ? "" : ", ") + k.kind;
  return out;
}

}  // namespace glasswing::studies
