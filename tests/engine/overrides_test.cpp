// Column type overrides and search-space edits (RunSettings::column_types, RunSettings::space):
// validation of each bad case, and short real runs whose store, run.json and bundle show them.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "automl/engine/run.hpp"
#include "automl/search/storage_registry.hpp"
#include "tests/engine/engine_support.hpp"

namespace fs = std::filesystem;
using glasswing::Error;
using glasswing::ErrorKind;
using glasswing::engine::check_space_edits;
using glasswing::engine::family_space;
using glasswing::engine::RunSettings;
using nlohmann::ordered_json;

namespace {

// 60 rows: x (float), code (whole numbers 1..4 that are really categories), name (text with a
// few numbers among words), ratio (fractional), flag (three values), noise, y (binary).
fs::path write_data(const fs::path& dir) {
  const fs::path p = dir / "data.csv";
  std::ofstream out(p);
  out << "x,code,name,ratio,flag,noise,y\n";
  for (int i = 0; i < 60; ++i) {
    const int code = 1 + i % 4;
    const double x = std::sin(i * 0.7) * 3 + (code == 2 ? 2.0 : 0.0);
    const std::string name = i % 10 == 3 ? "abc" + std::to_string(i) : std::to_string(100 + i);
    out << x << ',' << code << ',' << name << ',' << (i % 7) * 0.5 << ',' << (i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c") << ','
        << (i * 37 % 11) << ',' << ((x > 0.5) != (i % 9 == 0) ? "yes" : "no") << '\n';
  }
  return p;
}

RunSettings base_settings(const fs::path& data, const fs::path& out) {
  RunSettings s;
  s.data = data;
  s.target = "y";
  s.out = out;
  s.models = {"xgboost"};
  s.max_trials = 4;
  s.cv = 3;
  s.ensemble_candidates = 0;
  return s;
}

// The error's kind and message of a run that must fail before it trains.
std::pair<ErrorKind, std::string> failure(const RunSettings& s) {
  try {
    (void)glasswing::engine::run(s);
  } catch (const Error& e) {
    return {e.kind(), e.what()};
  }
  return {ErrorKind::Internal, "no error"};
}

std::pair<ErrorKind, std::string> space_failure(const ordered_json& space) {
  try {
    (void)check_space_edits(space);
  } catch (const Error& e) {
    return {e.kind(), e.what()};
  }
  return {ErrorKind::Internal, "no error"};
}

}  // namespace

TEST(FamilySpace, RecordsWhatSuggestParamsAsksWithDefaults) {
  const auto specs = family_space("xgboost");
  const auto it = std::find_if(specs.begin(), specs.end(), [](const auto& s) { return s.name == "max_depth"; });
  ASSERT_NE(it, specs.end());
  EXPECT_EQ(it->kind, "int");
  EXPECT_EQ(it->low, 2);
  EXPECT_EQ(it->high, 10);
  EXPECT_EQ(it->default_value, 6);
  const auto lr = std::find_if(specs.begin(), specs.end(), [](const auto& s) { return s.name == "learning_rate"; });
  ASSERT_NE(lr, specs.end());
  EXPECT_EQ(lr->kind, "float");
  EXPECT_TRUE(lr->log);
  EXPECT_TRUE(family_space("constant").empty());
  EXPECT_THROW((void)family_space("gbm"), Error);
}

TEST(SpaceEdits, NormalisesValidEdits) {
  const ordered_json out = check_space_edits(ordered_json::parse(
      R"({"xgboost": {"max_depth": 4.0, "learning_rate": {"low": 0.02, "high": 0.1}}, "xgboost_rf": {}})"));
  EXPECT_TRUE(out["xgboost"]["max_depth"].is_number_integer());
  EXPECT_EQ(out["xgboost"]["max_depth"], 4);
  EXPECT_EQ(out["xgboost"]["learning_rate"]["low"], 0.02);
  EXPECT_FALSE(out.contains("xgboost_rf"));  // no edits
  EXPECT_TRUE(check_space_edits(ordered_json()).empty());
}

TEST(SpaceEdits, EachBadEditIsBadInputNamingIt) {
  const struct {
    const char* json;
    const char* says;
  } cases[] = {
      {R"([1, 2])", "expected a JSON object"},
      {R"({"gbm": {}})", "unknown model family 'gbm'"},
      {R"({"xgboost": 3})", "family 'xgboost' takes an object"},
      {R"({"xgboost": {"depth": 3}})", "family 'xgboost' has no parameter 'depth'"},
      {R"({"xgboost": {"max_depth": "deep"}})", "xgboost.max_depth takes an integer in [2, 10]"},
      {R"({"xgboost": {"max_depth": 4.5}})", "xgboost.max_depth takes an integer"},
      {R"({"xgboost": {"max_depth": 12}})", "xgboost.max_depth: 12 is outside the family's bounds [2, 10]"},
      {R"({"xgboost": {"max_depth": {"low": 1, "high": 5}}})", "outside the family's bounds [2, 10]"},
      {R"({"xgboost": {"max_depth": {"low": 6, "high": 3}}})", "xgboost.max_depth: low (6) is above high (3)"},
      {R"({"xgboost": {"max_depth": {"low": 3}}})", "a range is {\"low\": L, \"high\": H}"},
      {R"({"xgboost": {"subsample": [0.5, 0.6]}})", "xgboost.subsample is numeric"},
      {R"({"xgboost": {"learning_rate": true}})", "xgboost.learning_rate takes a number"},
  };
  for (const auto& c : cases) {
    const auto [kind, message] = space_failure(ordered_json::parse(c.json));
    EXPECT_EQ(kind, ErrorKind::BadInput) << c.json << ": " << message;
    EXPECT_NE(message.find(c.says), std::string::npos) << c.json << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ColumnTypes, EachBadOverrideFailsBeforeTrainingWithOneLine) {
  glasswing::test::TempDir dir;
  const fs::path data = write_data(dir.path);
  const struct {
    std::map<std::string, std::string> types;
    ErrorKind kind;
    const char* says;
  } cases[] = {
      {{{"zip", "categorical"}}, ErrorKind::BadInput, "column 'zip'"},
      {{{"zip", "ignore"}}, ErrorKind::BadInput, "column 'zip' (set to ignore) is not in the file"},
      {{{"code", "categorcal"}}, ErrorKind::Usage, "unknown column type 'categorcal' for column 'code'; valid: integer"},
      {{{"name", "float"}}, ErrorKind::BadInput, "column 'name' was set to type float, but 6 of its 60 values are not numbers (the first: 'abc3' in data row 4)"},
      {{{"name", "numeric"}}, ErrorKind::BadInput, "6 of its 60 values are not numbers"},
      {{{"flag", "datetime"}}, ErrorKind::BadInput, "column 'flag' was set to type datetime, but 60 of its 60 values are not ISO 8601 dates"},
      {{{"ratio", "integer"}}, ErrorKind::BadInput, "column 'ratio' was set to type integer, but"},
      {{{"flag", "boolean"}}, ErrorKind::BadInput, "column 'flag' was set to type boolean, but it holds 3 distinct values"},
      {{{"y", "ignore"}}, ErrorKind::BadInput, "column 'y' is the target, so it cannot be ignored"},
  };
  for (const auto& c : cases) {
    RunSettings s = base_settings(data, dir.path / "run");
    s.column_types = c.types;
    const auto [kind, message] = failure(s);
    EXPECT_EQ(kind, c.kind) << message;
    EXPECT_NE(message.find(c.says), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(dir.path / "run" / "search.db")) << message;  // nothing stored
  }
  RunSettings s = base_settings(data, dir.path / "run");
  s.space = ordered_json::parse(R"({"xgboost": {"max_depth": 11}})");
  EXPECT_EQ(failure(s).first, ErrorKind::BadInput);
}

// A short real run: the overrides reach the table, run.json, the bundle and the search store;
// every trial keeps the fixed parameter and the narrowed range; a worker and --resume rebuild
// the same space, and --resume with another space is refused.
TEST(OverridesRun, TypesAndSpaceReachRunJsonBundleAndStore) {
  glasswing::test::TempDir dir;
  const fs::path data = write_data(dir.path);
  RunSettings s = base_settings(data, dir.path / "run");
  s.column_types = {{"code", "categorical"}, {"noise", "ignore"}};
  s.space = ordered_json::parse(R"({"xgboost": {"max_depth": 3, "learning_rate": {"low": 0.1, "high": 0.2}, "n_estimators": {"low": 50, "high": 80}}})");
  const auto r = glasswing::engine::run(s);
  EXPECT_GE(r.trials_complete, 3);

  const auto run_json = glasswing::test::read_json(dir.path / "run" / "run.json");
  EXPECT_EQ(run_json["settings"]["column_types"]["code"], "categorical");
  EXPECT_EQ(run_json["settings"]["column_types"]["noise"], "ignore");
  EXPECT_EQ(run_json["settings"]["space"]["xgboost"]["max_depth"], 3);
  const auto manifest = glasswing::test::read_json(dir.path / "run" / "model" / "manifest.json");
  bool code_seen = false;
  for (const auto& c : manifest["input_columns"]) {
    EXPECT_NE(c["name"], "noise");
    if (c["name"] == "code") {
      code_seen = true;
      EXPECT_EQ(c["type"], "categorical");
    }
  }
  EXPECT_TRUE(code_seen);

  const std::string url = "sqlite:///" + (dir.path / "run" / "search.db").string();
  auto check_trials = [&](std::size_t at_least) {
    auto storage = glasswing::search::make_storage(url);
    const auto id = storage->get_study_id_from_name("glasswing-run");
    std::size_t xgb = 0;
    for (const auto& t : storage->get_all_trials(id)) {
      const auto m = t.params.find("model");
      if (m == t.params.end() || m->second != "xgboost") continue;
      ++xgb;
      EXPECT_EQ(t.params.at("xgboost.max_depth"), 3) << "trial " << t.number;
      const double lr = t.params.at("xgboost.learning_rate").get<double>();
      EXPECT_GE(lr, 0.1);
      EXPECT_LE(lr, 0.2);
      const double n = t.params.at("xgboost.n_estimators").get<double>();
      EXPECT_GE(n, 50);
      EXPECT_LE(n, 80);
    }
    EXPECT_GE(xgb, at_least);
  };
  check_trials(3);  // the enqueued default (clamped into the edits) and TPE trials

  // A worker rebuilds the same space from the store.
  glasswing::engine::WorkerSettings w;
  w.storage = url;
  w.search_name = "glasswing-run";
  w.max_trials = 2;
  const auto wr = glasswing::engine::join_search(w);
  EXPECT_EQ(wr.trials_run, 2);
  check_trials(5);

  // --resume with another space (or other types) is refused; with the same one it goes on.
  RunSettings again = s;
  again.resume = true;
  again.space = ordered_json::parse(R"({"xgboost": {"max_depth": 4}})");
  const auto [kind, message] = failure(again);
  EXPECT_EQ(kind, ErrorKind::Usage) << message;
  EXPECT_NE(message.find("pass the same --space"), std::string::npos) << message;
  again.space = s.space;
  again.column_types = {{"code", "categorical"}};
  EXPECT_EQ(failure(again).first, ErrorKind::Usage);
}
