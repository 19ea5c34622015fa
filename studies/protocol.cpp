#include "studies/protocol.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "studies/error.hpp"

namespace glasswing::studies {

using nlohmann::json;

namespace {

// Reads one JSON object, remembering its path for error messages, and refuses keys it does not
// know (a misspelt key would otherwise be dropped silently).
class Reader {
 public:
  Reader(const json& value, std::string path, std::string_view origin)
      : value_(value), path_(std::move(path)), origin_(origin) {
    if (!value_.is_object()) fail("must be a JSON object");
  }

  [[noreturn]] void fail(const std::string& what) const { fail_at(path_, what); }
  [[noreturn]] void fail_at(const std::string& path, const std::string& what) const {
    throw_bad_input(std::string(origin_) + ": " + (path.empty() ? "(top level)" : path) + ": " +
                    what);
  }

  std::string child(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  void allow_only(std::initializer_list<std::string_view> keys) const {
    for (const auto& [key, unused] : value_.items()) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        std::string valid;
        for (const auto& k : keys) valid += (valid.empty() ? "" : ", ") + std::string(k);
        fail_at(child(key), "unknown field (valid fields: " + valid + ")");
      }
    }
  }

  bool has(std::string_view key) const { return value_.contains(std::string(key)); }
  const json& at(std::string_view key) const { return value_.at(std::string(key)); }

  std::string string(std::string_view key, bool required, std::string fallback = {}) const {
    if (!has(key)) {
      if (required) fail_at(child(key), "missing (a non-empty string is required)");
      return fallback;
    }
    const json& v = at(key);
    if (!v.is_string()) fail_at(child(key), "must be a string");
    std::string s = v.get<std::string>();
    if (required && s.empty()) fail_at(child(key), "must not be empty");
    return s;
  }

  std::string id(std::string_view key) const {
    std::string s = string(key, true);
    static const std::regex kId("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    if (!std::regex_match(s, kId)) {
      fail_at(child(key), "'" + s +
                              "' is not a valid id (1-64 letters, digits, '_', '.', '-', starting "
                              "with a letter or digit)");
    }
    return s;
  }

  long long integer(std::string_view key, long long fallback, bool required = false) const {
    if (!has(key)) {
      if (required) fail_at(child(key), "missing (an integer is required)");
      return fallback;
    }
    const json& v = at(key);
    if (!v.is_number_integer()) fail_at(child(key), "must be an integer");
    return v.get<long long>();
  }

  bool boolean(std::string_view key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!at(key).is_boolean()) fail_at(child(key), "must be true or false");
    return at(key).get<bool>();
  }

  const json& array(std::string_view key, bool required) const {
    static const json kEmpty = json::array();
    if (!has(key)) {
      if (required) fail_at(child(key), "missing (a non-empty array is required)");
      return kEmpty;
    }
    const json& v = at(key);
    if (!v.is_array()) fail_at(child(key), "must be an array");
    if (required && v.empty()) fail_at(child(key), "must not be empty");
    return v;
  }

  std::vector<std::string> strings(std::string_view key, bool required) const {
    const json& arr = array(key, required);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string p = child(key) + "[" + std::to_string(i) + "]";
      if (!arr[i].is_string() || arr[i].get<std::string>().empty()) {
        fail_at(p, "must be a non-empty string");
      }
      std::string s = arr[i].get<std::string>();
      if (std::find(out.begin(), out.end(), s) != out.end()) fail_at(p, "duplicate '" + s + "'");
      out.push_back(std::move(s));
    }
    return out;
  }

  const std::string& path() const { return path_; }
  std::string_view origin() const { return origin_; }

 private:
  const json& value_;
  std::string path_;
  std::string_view origin_;
};

template <typename T>
void require_unique(const Reader& r, const std::vector<T>& items, std::string_view list,
                    const std::string& id) {
  const auto n = std::count_if(items.begin(), items.end(), [&](const T& t) { return t.id == id; });
  if (n > 1) r.fail_at(r.child(list), "duplicate id '" + id + "'");
}

QuestionItem parse_item(const Reader& r) {
  r.allow_only({"id", "text", "type", "scale", "anchors"});
  QuestionItem item;
  item.id = r.id("id");
  item.text = r.string("text", true);
  item.type = r.string("type", false, "likert");
  if (item.type != "likert" && item.type != "text") {
    r.fail_at(r.child("type"), "'" + item.type + "' is not a question type (valid: likert, text)");
  }
  if (r.has("scale")) {
    if (item.type != "likert") r.fail_at(r.child("scale"), "only likert items have a scale");
    Reader s(r.at("scale"), r.child("scale"), r.origin());
    s.allow_only({"min", "max"});
    item.scale_min = static_cast<int>(s.integer("min", 1, true));
    item.scale_max = static_cast<int>(s.integer("max", 7, true));
    if (item.scale_min >= item.scale_max || item.scale_max - item.scale_min > 100) {
      s.fail("min must be below max, at most 100 points apart");
    }
  }
  if (r.has("anchors")) {
    const json& a = r.at("anchors");
    if (!a.is_object()) r.fail_at(r.child("anchors"), "must be an object of value -> label");
    for (const auto& [key, label] : a.items()) {
      const std::string p = r.child("anchors") + "." + key;
      int value = 0;
      std::istringstream in(key);
      if (!(in >> value) || !in.eof() || value < item.scale_min || value > item.scale_max) {
        r.fail_at(p, "anchor key must be a scale value between " +
                         std::to_string(item.scale_min) + " and " + std::to_string(item.scale_max));
      }
      if (!label.is_string()) r.fail_at(p, "anchor label must be a string");
      item.anchors[key] = label.get<std::string>();
    }
  }
  return item;
}

std::vector<Questionnaire> default_questionnaires() {
  Questionnaire q;
  q.id = "post_task";
  q.title = "After each task";
  q.when = "after_task";
  const std::map<std::string, std::string> anchors{{"1", "Strongly disagree"},
                                                   {"7", "Strongly agree"}};
  q.items = {
      {"willingness", "I would deploy this model.", "likert", 1, 7, anchors},
      {"confidence", "I am confident in my decision.", "likert", 1, 7, anchors},
      {"understandability", "I understand how the tool arrived at this model.", "likert", 1, 7,
       anchors},
  };
  return {q};
}

json to_json(const Protocol& p) {
  json conditions = json::array();
  for (const auto& c : p.conditions) {
    conditions.push_back(
        {{"id", c.id}, {"label", c.label}, {"description", c.description}, {"panels", c.panels}});
  }
  json tasks = json::array();
  for (const auto& t : p.tasks) {
    tasks.push_back({{"id", t.id},
                     {"title", t.title},
                     {"dataset", t.dataset},
                     {"target", t.target},
                     {"instructions", t.instructions},
                     {"candidates", t.candidates}});
  }
  json questionnaires = json::array();
  for (const auto& q : p.questionnaires) {
    json items = json::array();
    for (const auto& i : q.items) {
      json item{{"id", i.id}, {"text", i.text}, {"type", i.type}};
      if (i.type == "likert") {
        item["scale"] = {{"min", i.scale_min}, {"max", i.scale_max}};
        item["anchors"] = i.anchors;
      }
      items.push_back(item);
    }
    questionnaires.push_back({{"id", q.id}, {"title", q.title}, {"when", q.when}, {"items", items}});
  }
  json doc{{"format", kProtocolFormat},
           {"study_id", p.study_id},
           {"title", p.title},
           {"description", p.description},
           {"consent", {{"version", p.consent_version}, {"text", p.consent_text}}},
           {"conditions", conditions},
           {"assignment", {{"method", p.assignment_method}, {"seed", p.seed}}},
           {"tasks", tasks},
           {"questionnaires", questionnaires},
           {"decision", {{"scale", {{"min", p.decision_scale_min}, {"max", p.decision_scale_max}}}}},
           {"privacy", {{"record_machine", p.record_machine}}}};
  if (p.card_sort) {
    json items = json::array();
    for (const auto& [id, label] : p.card_sort->items) items.push_back({{"id", id}, {"label", label}});
    doc["card_sort"] = {{"id", p.card_sort->id},
                        {"instructions", p.card_sort->instructions},
                        {"mode", p.card_sort->mode},
                        {"items", items},
                        {"piles", p.card_sort->piles}};
  }
  return doc;
}

}  // namespace

const std::vector<std::string>& all_panels() {
  static const std::vector<std::string> kPanels{"P1", "P2", "P3", "P4",  "P5", "P6",
                                                "P7", "P8", "P9", "P10", "P11"};
  return kPanels;
}

bool Condition::shows(std::string_view panel) const {
  return std::find(panels.begin(), panels.end(), panel) != panels.end();
}

const QuestionItem* Questionnaire::find_item(std::string_view item_id) const {
  for (const auto& i : items) {
    if (i.id == item_id) return &i;
  }
  return nullptr;
}

bool CardSort::has_item(std::string_view item_id) const {
  return std::any_of(items.begin(), items.end(), [&](const auto& i) { return i.first == item_id; });
}

const Condition* Protocol::find_condition(std::string_view id) const {
  for (const auto& c : conditions) {
    if (c.id == id) return &c;
  }
  return nullptr;
}
const Task* Protocol::find_task(std::string_view id) const {
  for (const auto& t : tasks) {
    if (t.id == id) return &t;
  }
  return nullptr;
}
const Questionnaire* Protocol::find_questionnaire(std::string_view id) const {
  for (const auto& q : questionnaires) {
    if (q.id == id) return &q;
  }
  return nullptr;
}

std::string Protocol::canonical_text() const { return document.dump(); }

Protocol parse_protocol(std::string_view json_text, std::string_view origin) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw_bad_input(std::string(origin) + ": not valid JSON (" + e.what() + ")");
  }
  Reader top(doc, "", origin);
  top.allow_only({"format", "study_id", "title", "consent", "conditions", "assignment", "tasks",
                  "questionnaires", "card_sort", "decision", "privacy", "description"});
  if (top.has("format") && top.string("format", true) != kProtocolFormat) {
    top.fail_at("format", "'" + top.string("format", true) + "' is not supported (expected '" +
                              std::string(kProtocolFormat) + "')");
  }
  Protocol p;
  p.study_id = top.id("study_id");
  p.title = top.string("title", true);
  p.description = top.string("description", false);

  if (!top.has("consent")) top.fail_at("consent", "missing (an object with version and text)");
  {
    Reader c(top.at("consent"), "consent", origin);
    c.allow_only({"version", "text"});
    p.consent_version = c.string("version", true);
    p.consent_text = c.string("text", true);
  }

  const json& conditions = top.array("conditions", true);
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    Reader c(conditions[i], "conditions[" + std::to_string(i) + "]", origin);
    c.allow_only({"id", "label", "panels", "description"});
    Condition cond;
    cond.id = c.id("id");
    cond.label = c.string("label", false, cond.id);
    cond.description = c.string("description", false);
    cond.panels = c.strings("panels", false);
    if (!c.has("panels")) c.fail_at(c.child("panels"), "missing (list the panels shown, P1..P11)");
    for (std::size_t k = 0; k < cond.panels.size(); ++k) {
      const auto& all = all_panels();
      if (std::find(all.begin(), all.end(), cond.panels[k]) == all.end()) {
        c.fail_at(c.child("panels") + "[" + std::to_string(k) + "]",
                  "unknown panel '" + cond.panels[k] + "' (valid: P1 to P11)");
      }
    }
    p.conditions.push_back(std::move(cond));
    require_unique(top, p.conditions, "conditions", p.conditions.back().id);
  }

  if (!top.has("assignment")) {
    top.fail_at("assignment", "missing (an object with method and seed)");
  }
  {
    Reader a(top.at("assignment"), "assignment", origin);
    a.allow_only({"method", "seed"});
    p.assignment_method = a.string("method", true);
    if (p.assignment_method != "random" && p.assignment_method != "balanced" &&
        p.assignment_method != "counterbalanced") {
      a.fail_at("assignment.method", "'" + p.assignment_method +
                                         "' is not an assignment method (valid: random, "
                                         "balanced, counterbalanced)");
    }
    const long long seed = a.integer("seed", 0, true);
    if (seed < 0) a.fail_at("assignment.seed", "must be a non-negative integer");
    p.seed = static_cast<std::uint64_t>(seed);
  }

  const json& tasks = top.array("tasks", true);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    Reader t(tasks[i], "tasks[" + std::to_string(i) + "]", origin);
    t.allow_only({"id", "title", "dataset", "target", "candidates", "instructions"});
    Task task;
    task.id = t.id("id");
    task.title = t.string("title", false, task.id);
    task.dataset = t.string("dataset", true);
    task.target = t.string("target", true);
    task.instructions = t.string("instructions", false);
    task.candidates = t.strings("candidates", false);
    p.tasks.push_back(std::move(task));
    require_unique(top, p.tasks, "tasks", p.tasks.back().id);
  }
  if (p.assignment_method == "counterbalanced" && p.tasks.size() < 2) {
    top.fail_at("assignment.method", "counterbalanced needs at least two tasks to order");
  }

  if (top.has("questionnaires")) {
    const json& qs = top.array("questionnaires", true);
    for (std::size_t i = 0; i < qs.size(); ++i) {
      Reader q(qs[i], "questionnaires[" + std::to_string(i) + "]", origin);
      q.allow_only({"id", "title", "when", "items"});
      Questionnaire quest;
      quest.id = q.id("id");
      quest.title = q.string("title", false, quest.id);
      quest.when = q.string("when", false, "any");
      if (quest.when != "after_task" && quest.when != "end_of_session" && quest.when != "any") {
        q.fail_at(q.child("when"), "'" + quest.when +
                                       "' is not a time (valid: after_task, end_of_session, any)");
      }
      const json& items = q.array("items", true);
      for (std::size_t k = 0; k < items.size(); ++k) {
        Reader it(items[k], q.child("items") + "[" + std::to_string(k) + "]", origin);
        quest.items.push_back(parse_item(it));
        require_unique(q, quest.items, "items", quest.items.back().id);
      }
      p.questionnaires.push_back(std::move(quest));
      require_unique(top, p.questionnaires, "questionnaires", p.questionnaires.back().id);
    }
  } else {
    p.questionnaires = default_questionnaires();
  }

  if (top.has("card_sort")) {
    Reader c(top.at("card_sort"), "card_sort", origin);
    c.allow_only({"id", "instructions", "mode", "items", "piles"});
    CardSort cs;
    cs.id = c.id("id");
    cs.instructions = c.string("instructions", false);
    cs.mode = c.string("mode", false, "rank");
    if (cs.mode != "rank" && cs.mode != "piles" && cs.mode != "rank_and_piles") {
      c.fail_at("card_sort.mode",
                "'" + cs.mode + "' is not a card-sort mode (valid: rank, piles, rank_and_piles)");
    }
    const json& items = c.array("items", true);
    if (items.size() < 2) c.fail_at("card_sort.items", "needs at least two cards");
    for (std::size_t k = 0; k < items.size(); ++k) {
      Reader it(items[k], "card_sort.items[" + std::to_string(k) + "]", origin);
      it.allow_only({"id", "label"});
      std::string item_id = it.id("id");
      if (cs.has_item(item_id)) it.fail_at(it.child("id"), "duplicate card id '" + item_id + "'");
      cs.items.emplace_back(item_id, it.string("label", true));
    }
    cs.piles = c.strings("piles", false);
    if (cs.mode != "rank" && cs.piles.size() < 2) {
      c.fail_at("card_sort.piles", "mode '" + cs.mode + "' needs at least two piles");
    }
    if (cs.mode == "rank" && !cs.piles.empty()) {
      c.fail_at("card_sort.piles", "mode 'rank' takes no piles (use mode 'rank_and_piles')");
    }
    p.card_sort = std::move(cs);
  }

  if (top.has("decision")) {
    Reader d(top.at("decision"), "decision", origin);
    d.allow_only({"scale"});
    if (d.has("scale")) {
      Reader s(d.at("scale"), "decision.scale", origin);
      s.allow_only({"min", "max"});
      p.decision_scale_min = static_cast<int>(s.integer("min", 1, true));
      p.decision_scale_max = static_cast<int>(s.integer("max", 7, true));
      if (p.decision_scale_min >= p.decision_scale_max) s.fail("min must be below max");
    }
  }
  if (top.has("privacy")) {
    Reader pr(top.at("privacy"), "privacy", origin);
    pr.allow_only({"record_machine"});
    p.record_machine = pr.boolean("record_machine", false);
  }

  p.document = to_json(p);
  return p;
}

Protocol load_protocol(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_bad_input("cannot read protocol file " + path.string() + ": check the path");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_protocol(text.str(), path.string());
}

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Row `row` of a balanced Latin square over n items (Williams design; 2n rows when n is odd).
std::vector<std::size_t> williams_row(std::size_t n, std::size_t row) {
  const std::size_t rows = (n % 2 == 0) ? n : 2 * n;
  row %= rows;
  const std::size_t shift = row % n;
  std::vector<std::size_t> order(n);
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t base = (j == 0) ? 0 : (j % 2 == 1 ? (j + 1) / 2 : n - j / 2);
    order[j] = (base + shift) % n;
  }
  if (row >= n) std::reverse(order.begin(), order.end());
  return order;
}

}  // namespace

Assignment assign(const Protocol& protocol, std::int64_t enrolment_index) {
  const auto k = static_cast<std::uint64_t>(enrolment_index);
  const std::size_t n = protocol.conditions.size();
  Assignment a;
  std::uint64_t index_within_condition = 0;
  if (protocol.assignment_method == "random") {
    const std::uint64_t draw = splitmix64(protocol.seed ^ splitmix64(k + 1));
    a.condition_id = protocol.conditions[draw % n].id;
  } else {
    // Permuted blocks: block b holds one participant per condition, in a seeded order.
    const std::uint64_t block = k / n;
    std::vector<std::size_t> perm(n);
    for (std::size_t i = 0; i < n; ++i) perm[i] = i;
    std::uint64_t state = splitmix64(protocol.seed ^ splitmix64(block + 0x5151));
    for (std::size_t i = n; i > 1; --i) {
      state = splitmix64(state);
      std::swap(perm[i - 1], perm[state % i]);
    }
    a.condition_id = protocol.conditions[perm[k % n]].id;
    index_within_condition = block;
  }
  if (protocol.assignment_method == "counterbalanced") {
    for (std::size_t t : williams_row(protocol.tasks.size(), index_within_condition)) {
      a.task_order.push_back(protocol.tasks[t].id);
    }
  } else {
    for (const auto& t : protocol.tasks) a.task_order.push_back(t.id);
  }
  return a;
}

}  // namespace glasswing::studies
