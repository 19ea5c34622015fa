// Protocol parsing and validation, and condition assignment (issue 7: "each bad protocol gets a
// clear error naming the field", "balanced assignment").

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "studies/error.hpp"
#include "studies/protocol.hpp"
#include "study_test_util.hpp"

namespace gs = glasswing::studies;
using nlohmann::json;

namespace {

gs::Protocol parse(const json& doc) { return gs::parse_protocol(doc.dump(), "test.json"); }

// Expects parse to fail with BadInput, a one-line message naming `field`.
void expect_bad(const json& doc, const std::string& field, const std::string& also = "") {
  try {
    parse(doc);
    FAIL() << "accepted a bad protocol; expected an error naming " << field;
  } catch (const gs::StudyError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), gs::StudyErrorKind::BadInput) << message;
    EXPECT_NE(message.find("test.json: " + field + ":"), std::string::npos)
        << "message does not name field '" << field << "': " << message;
    if (!also.empty()) {
      EXPECT_NE(message.find(also), std::string::npos) << message;
    }
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  }
}

}  // namespace

TEST(study_protocol, ExampleParses) {
  const gs::Protocol p = gs::load_protocol(study_test::example_protocol_path());
  EXPECT_EQ(p.study_id, "transparency-ab");
  ASSERT_EQ(p.conditions.size(), 2u);
  EXPECT_EQ(p.conditions[0].panels.size(), 11u);
  EXPECT_TRUE(p.conditions[1].shows("P11"));
  EXPECT_FALSE(p.conditions[1].shows("P8"));
  EXPECT_EQ(p.assignment_method, "balanced");
  ASSERT_TRUE(p.card_sort.has_value());
  EXPECT_EQ(p.card_sort->items.size(), 6u);
  EXPECT_EQ(p.questionnaires.size(), 2u);
  // Items without a scale get 1-7.
  EXPECT_EQ(p.find_questionnaire("exit")->find_item("trust_tool")->scale_max, 7);
  // Canonical text re-parses to the same canonical text.
  EXPECT_EQ(gs::parse_protocol(p.canonical_text()).canonical_text(), p.canonical_text());
}

TEST(study_protocol, DefaultQuestionnaireIsWillingnessConfidenceUnderstandability) {
  json doc = study_test::example_json();
  doc.erase("questionnaires");
  doc.erase("card_sort");
  const gs::Protocol p = parse(doc);
  ASSERT_EQ(p.questionnaires.size(), 1u);
  const auto& q = p.questionnaires[0];
  ASSERT_EQ(q.items.size(), 3u);
  EXPECT_EQ(q.items[0].id, "willingness");
  EXPECT_EQ(q.items[1].id, "confidence");
  EXPECT_EQ(q.items[2].id, "understandability");
  for (const auto& item : q.items) {
    EXPECT_EQ(item.scale_min, 1);
    EXPECT_EQ(item.scale_max, 7);
  }
  EXPECT_FALSE(p.card_sort.has_value());
}

TEST(study_protocol, NotJson) {
  try {
    gs::parse_protocol("{\"study_id\": ", "test.json");
    FAIL();
  } catch (const gs::StudyError& e) {
    EXPECT_EQ(e.kind(), gs::StudyErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos);
  }
}

TEST(study_protocol, MissingFile) {
  EXPECT_THROW(gs::load_protocol("/nonexistent/protocol.json"), gs::StudyError);
}

TEST(study_protocol, EachBadProtocolNamesTheField) {
  struct Case {
    std::string name;
    std::function<void(json&)> mutate;
    std::string field;
    std::string also;
  };
  const std::vector<Case> cases = {
      {"wrong format", [](json& d) { d["format"] = "other/9"; }, "format", "not supported"},
      {"unknown top-level key", [](json& d) { d["conditons"] = json::array(); }, "conditons",
       "unknown field"},
      {"missing study_id", [](json& d) { d.erase("study_id"); }, "study_id", "missing"},
      {"bad study_id", [](json& d) { d["study_id"] = "my study"; }, "study_id", "not a valid id"},
      {"title not a string", [](json& d) { d["title"] = 3; }, "title", "must be a string"},
      {"missing consent", [](json& d) { d.erase("consent"); }, "consent", "missing"},
      {"empty consent version", [](json& d) { d["consent"]["version"] = ""; }, "consent.version",
       "must not be empty"},
      {"no conditions", [](json& d) { d["conditions"] = json::array(); }, "conditions",
       "must not be empty"},
      {"unknown panel", [](json& d) { d["conditions"][1]["panels"][1] = "P12"; },
       "conditions[1].panels[1]", "unknown panel 'P12'"},
      {"duplicate panel", [](json& d) { d["conditions"][1]["panels"] = {"P1", "P1"}; },
       "conditions[1].panels[1]", "duplicate"},
      {"missing panels", [](json& d) { d["conditions"][0].erase("panels"); },
       "conditions[0].panels", "missing"},
      {"duplicate condition", [](json& d) { d["conditions"][1]["id"] = "transparent"; },
       "conditions", "duplicate id 'transparent'"},
      {"unknown condition key", [](json& d) { d["conditions"][0]["pannels"] = json::array(); },
       "conditions[0].pannels", "unknown field"},
      {"bad assignment method", [](json& d) { d["assignment"]["method"] = "alternating"; },
       "assignment.method", "random, balanced, counterbalanced"},
      {"negative seed", [](json& d) { d["assignment"]["seed"] = -1; }, "assignment.seed",
       "non-negative"},
      {"seed not an integer", [](json& d) { d["assignment"]["seed"] = "42"; }, "assignment.seed",
       "integer"},
      {"missing assignment", [](json& d) { d.erase("assignment"); }, "assignment", "missing"},
      {"no tasks", [](json& d) { d.erase("tasks"); }, "tasks", "missing"},
      {"task without target", [](json& d) { d["tasks"][0].erase("target"); }, "tasks[0].target",
       "missing"},
      {"duplicate candidate", [](json& d) { d["tasks"][1]["candidates"] = {"a", "a"}; },
       "tasks[1].candidates[1]", "duplicate"},
      {"counterbalanced with one task",
       [](json& d) {
         d["assignment"]["method"] = "counterbalanced";
         d["tasks"].erase(1);
       },
       "assignment.method", "at least two tasks"},
      {"bad scale", [](json& d) { d["questionnaires"][0]["items"][0]["scale"] = {{"min", 7}, {"max", 1}}; },
       "questionnaires[0].items[0].scale", "min must be below max"},
      {"anchor outside scale",
       [](json& d) { d["questionnaires"][0]["items"][1]["anchors"] = {{"9", "x"}}; },
       "questionnaires[0].items[1].anchors.9", "scale value"},
      {"bad item type", [](json& d) { d["questionnaires"][1]["items"][1]["type"] = "slider"; },
       "questionnaires[1].items[1].type", "likert, text"},
      {"text item with scale",
       [](json& d) { d["questionnaires"][1]["items"][1]["scale"] = {{"min", 1}, {"max", 5}}; },
       "questionnaires[1].items[1].scale", "only likert"},
      {"duplicate item", [](json& d) { d["questionnaires"][0]["items"][1]["id"] = "willingness"; },
       "questionnaires[0].items", "duplicate id"},
      {"bad when", [](json& d) { d["questionnaires"][0]["when"] = "later"; },
       "questionnaires[0].when", "after_task"},
      {"bad card sort mode", [](json& d) { d["card_sort"]["mode"] = "shuffle"; }, "card_sort.mode",
       "rank, piles"},
      {"card sort without piles", [](json& d) { d["card_sort"].erase("piles"); }, "card_sort.piles",
       "at least two piles"},
      {"card sort one card", [](json& d) { d["card_sort"]["items"] = {{{"id", "a"}, {"label", "A"}}}; },
       "card_sort.items", "at least two cards"},
      {"duplicate card", [](json& d) { d["card_sort"]["items"][1]["id"] = "metrics"; },
       "card_sort.items[1].id", "duplicate card"},
      {"bad decision scale", [](json& d) { d["decision"]["scale"] = {{"min", 3}, {"max", 3}}; },
       "decision.scale", "min must be below max"},
      {"privacy flag not boolean", [](json& d) { d["privacy"]["record_machine"] = "yes"; },
       "privacy.record_machine", "true or false"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json doc = study_test::example_json();
    c.mutate(doc);
    expect_bad(doc, c.field, c.also);
  }
}

namespace {

gs::Protocol with_conditions(int n, const std::string& method, std::uint64_t seed, int tasks = 2) {
  json doc = study_test::example_json();
  doc["conditions"] = json::array();
  for (int i = 0; i < n; ++i) {
    doc["conditions"].push_back({{"id", study_test::numbered("c", i)}, {"panels", {"P1", "P11"}}});
  }
  doc["tasks"] = json::array();
  for (int i = 0; i < tasks; ++i) {
    doc["tasks"].push_back({{"id", study_test::numbered("t", i)}, {"dataset", "d.csv"}, {"target", "y"}});
  }
  doc["assignment"] = {{"method", method}, {"seed", seed}};
  return parse(doc);
}

}  // namespace

TEST(study_protocol, BalancedAssignmentKeepsGroupsWithinOne) {
  for (int n : {2, 3, 4}) {
    const gs::Protocol p = with_conditions(n, "balanced", 7);
    std::map<std::string, int> counts;
    for (int k = 0; k < 60; ++k) {
      ++counts[gs::assign(p, k).condition_id];
      int lo = 1 << 30, hi = 0;
      for (const auto& c : p.conditions) {
        lo = std::min(lo, counts[c.id]);
        hi = std::max(hi, counts[c.id]);
      }
      ASSERT_LE(hi - lo, 1) << n << " conditions, after participant " << k;
    }
    for (const auto& c : p.conditions) EXPECT_EQ(counts[c.id], 60 / n);
  }
}

TEST(study_protocol, AssignmentIsDeterministicGivenTheSeed) {
  for (const std::string method : {"random", "balanced", "counterbalanced"}) {
    const gs::Protocol a = with_conditions(3, method, 11, 3);
    const gs::Protocol b = with_conditions(3, method, 11, 3);
    const gs::Protocol c = with_conditions(3, method, 12, 3);
    std::string seq_a, seq_b, seq_c;
    for (int k = 0; k < 30; ++k) {
      seq_a += gs::assign(a, k).condition_id;
      seq_b += gs::assign(b, k).condition_id;
      seq_c += gs::assign(c, k).condition_id;
    }
    EXPECT_EQ(seq_a, seq_b) << method;
    EXPECT_NE(seq_a, seq_c) << method << ": the seed has no effect";
  }
}

TEST(study_protocol, RandomAssignmentUsesEveryCondition) {
  const gs::Protocol p = with_conditions(3, "random", 5);
  std::set<std::string> seen;
  for (int k = 0; k < 60; ++k) seen.insert(gs::assign(p, k).condition_id);
  EXPECT_EQ(seen.size(), 3u);
}

TEST(study_protocol, CounterbalancedTaskOrderIsALatinSquarePerCondition) {
  for (int tasks : {3, 4}) {
    const gs::Protocol p = with_conditions(2, "counterbalanced", 3, tasks);
    const int rows = tasks % 2 == 0 ? tasks : 2 * tasks;
    // position counts per condition: task -> position -> count
    std::map<std::string, std::map<std::string, std::map<std::size_t, int>>> pos;
    for (int k = 0; k < 2 * rows; ++k) {
      const gs::Assignment a = gs::assign(p, k);
      ASSERT_EQ(a.task_order.size(), static_cast<std::size_t>(tasks));
      for (std::size_t i = 0; i < a.task_order.size(); ++i) ++pos[a.condition_id][a.task_order[i]][i];
    }
    for (const auto& [condition, by_task] : pos) {
      for (const auto& [task, by_position] : by_task) {
        for (int i = 0; i < tasks; ++i) {
          EXPECT_EQ(by_position.count(static_cast<std::size_t>(i)) ? by_position.at(static_cast<std::size_t>(i)) : 0,
                    rows / tasks)
              << condition << " " << task << " position " << i;
        }
      }
    }
  }
  // balanced and random keep the protocol's task order
  const gs::Protocol b = with_conditions(2, "balanced", 3, 3);
  EXPECT_EQ(gs::assign(b, 5).task_order, (std::vector<std::string>{"t0", "t1", "t2"}));
}
