// Bundles (automl/engine/bundle.hpp): single-model (version 1) and ensemble (version 2) bundles
// of real XGBoost models fitted on credit-g, their manifest (input schema with categories,
// training summary, files with roles and sha256), refused bundles, the input-schema checks
// (missing column, extra column, unseen categories) and streamed prediction, through the library
// and through `glasswing predict`.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/engine/bundle.hpp"
#include "automl/engine/ensemble.hpp"
#include "backend/registry.hpp"
#include "tests/cli/cli_support.hpp"

namespace fs = std::filesystem;
namespace engine = glasswing::engine;
namespace features = glasswing::features;
namespace data = glasswing::data;
using glasswing::Error;
using glasswing::ErrorKind;
using glasswing::test::count_lines;
using glasswing::test::run_cli;
using glasswing::test::shell_quote;
using glasswing::test::slurp;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

const fs::path kCreditG = fs::path(GLASSWING_SHARED_DIR) / "datasets/credit-g.csv";

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("glasswing-bundle-test-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Fitted {
  features::Pipeline pipeline;
  engine::Model model;
};

// A real XGBoost model on credit-g (target "class": bad/good).
Fitted fit_xgboost(const data::Table& table, std::size_t max_one_hot, double depth, std::uint64_t seed) {
  const data::Column& target = *table.find("class");
  std::vector<float> y(table.rows());
  for (std::size_t r = 0; r < y.size(); ++r) y[r] = target.cell_text(r) == "good" ? 1.0f : 0.0f;
  features::PipelineOptions po;
  po.max_one_hot = max_one_hot;
  po.seed = seed;
  features::FeatureMatrix x;
  Fitted f{features::Pipeline::fit(table, "class", {}, {features::TargetKind::Binary, 2, y}, po, &x), {}};
  f.model.family = "xgboost";
  f.model.trainer = glasswing::backend::make_trainer("xgboost", {{"n_estimators", 25}, {"max_depth", depth}, {"learning_rate", 0.3}});
  glasswing::backend::FitOptions fo;
  fo.task = glasswing::backend::Task::Binary;
  fo.seed = seed;
  fo.device.jobs = 1;
  f.model.trainer->fit({{x.values.data(), x.rows, x.cols}, y, {}}, nullptr, fo);
  return f;
}

ordered_json base_manifest(const data::Table& table) {
  ordered_json m{{"task", "binary"}, {"target", "class"}, {"classes", {"bad", "good"}}, {"metric", "roc_auc"}};
  m.update(engine::describe_training_data(table, "class"));
  return m;
}

// Built once: credit-g, two XGBoost models (one-hot and target-encoded pipelines), a constant
// model, and bundles of each plus an ensemble of the three.
struct World {
  TempDir dir;
  data::Table table;
  Fitted a, b;
  engine::Model constant;
  fs::path single_a, single_b, ensemble;
  World() {
    table = data::read_csv(kCreditG);
    a = fit_xgboost(table, 10, 3, 1);
    b = fit_xgboost(table, 3, 5, 2);
    constant.family = "constant";
    constant.constant = {0.3, 0.7};
    single_a = dir.path / "single_a";
    single_b = dir.path / "single_b";
    ensemble = dir.path / "ensemble";
    engine::write_bundle(single_a, a.pipeline, a.model, base_manifest(table));
    engine::write_bundle(single_b, b.pipeline, b.model, base_manifest(table));
    std::vector<engine::BundleMember> members = {{&a.pipeline, &a.model, 6, {{"trial", 4}}},
                                                 {&b.pipeline, &b.model, 3, {{"trial", 7}}},
                                                 {&a.pipeline, &constant, 1, {{"trial", 0}}}};
    engine::write_ensemble_bundle(ensemble, members, base_manifest(table));
  }
};

// Built on first use and destroyed by the test environment's TearDown, before the process's
// static destructors (XGBoost's own globals are gone by then).
World* g_world = nullptr;
World& world() {
  if (g_world == nullptr) g_world = new World;
  return *g_world;
}
struct WorldEnvironment : ::testing::Environment {
  void TearDown() override {
    delete g_world;
    g_world = nullptr;
  }
};
[[maybe_unused]] ::testing::Environment* const g_world_env = ::testing::AddGlobalTestEnvironment(new WorldEnvironment);

json read_json(const fs::path& p) { return json::parse(slurp(p)); }
void write_json(const fs::path& p, const json& j) { std::ofstream(p, std::ios::trunc) << j.dump(2); }

void copy_dir(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

ErrorKind load_error(const fs::path& bundle, std::string* message = nullptr) {
  try {
    engine::load_bundle(bundle);
  } catch (const Error& e) {
    if (message != nullptr) *message = e.what();
    return e.kind();
  }
  return ErrorKind::Internal;  // loaded: not what the callers expect
}

// credit-g rows (without or with changes) as CSV text.
std::string credit_g_text() { return slurp(kCreditG); }

TEST(Bundle, EnsembleManifestFilesAndWeights) {
  const World& w = world();
  const json m = read_json(w.ensemble / "manifest.json");
  EXPECT_EQ(m["format"], "glasswing-bundle");
  EXPECT_EQ(m["version"], 2);
  EXPECT_EQ(m["family"], "ensemble");
  ASSERT_EQ(m["members"].size(), 3u);
  double total = 0;
  for (const auto& mem : m["members"]) total += mem["weight"].get<double>();
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(m["members"][0]["weight"].get<double>(), 0.6);
  EXPECT_EQ(m["members"][0]["trial"], 4);
  EXPECT_EQ(m["members"][0]["model_file"], "member_0.model.json");
  EXPECT_EQ(m["members"][2]["trainer"], "constant");
  // Every file listed with a role and its sha256, and every file in the folder listed.
  std::set<std::string> listed;
  for (const auto& f : m["files"]) {
    listed.insert(f["path"].get<std::string>());
    EXPECT_FALSE(f["role"].get<std::string>().empty());
    if (f["path"] != "manifest.json") {
      EXPECT_EQ(f["sha256"].get<std::string>().size(), 64u);
    }
  }
  std::set<std::string> present;
  for (const auto& e : fs::directory_iterator(w.ensemble)) present.insert(e.path().filename().string());
  EXPECT_EQ(listed, present);
  EXPECT_FALSE(fs::exists(w.dir.path / "ensemble.tmp"));
  // The input schema with the training categories, and the training summary.
  bool saw_purpose = false;
  for (const auto& c : m["input_columns"]) {
    EXPECT_NE(c["name"], "class");
    if (c["name"] == "purpose") {
      saw_purpose = true;
      EXPECT_EQ(c["type"], "categorical");
      std::set<std::string> expected;
      const data::Column& col = *w.table.find("purpose");
      for (std::size_t r = 0; r < col.size(); ++r) expected.insert(col.cell_text(r));
      EXPECT_EQ(c["categories"].get<std::vector<std::string>>(), std::vector<std::string>(expected.begin(), expected.end()));
    }
  }
  EXPECT_TRUE(saw_purpose);
  EXPECT_EQ(m["training_rows"], 1000);
  EXPECT_EQ(m["training_summary"]["rows"], 1000);
  const auto& dur = m["training_summary"]["columns"]["duration"];
  double mean = 0;
  for (double v : w.table.find("duration")->values()) mean += v / 1000.0;
  EXPECT_NEAR(dur["mean"].get<double>(), mean, 1e-9);
  EXPECT_EQ(dur["missing_rate"], 0.0);
  EXPECT_EQ(m["training_summary"]["columns"]["foreign_worker"]["top"], "yes");
}

TEST(Bundle, DescribeTrainingDataCountsMissingAndCategories) {
  const data::Table t = data::read_csv_text(
      "x,colour,flag,y\n1,red,yes,a\n,blue,no,b\n4,red,,a\n7,,yes,b\n", {}, "t.csv");
  const std::vector<std::size_t> rows = {0, 1, 2};  // the fitted rows only
  const ordered_json d = engine::describe_training_data(t, "y", rows);
  EXPECT_EQ(d["training_rows"], 3);
  ASSERT_EQ(d["input_columns"].size(), 3u);  // the target is left out
  EXPECT_EQ(d["input_columns"][1]["name"], "colour");
  EXPECT_EQ(d["input_columns"][1]["categories"], ordered_json({"blue", "red"}));
  const auto& s = d["training_summary"]["columns"];
  EXPECT_NEAR(s["x"]["missing_rate"].get<double>(), 1.0 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(s["x"]["mean"].get<double>(), 2.5);
  EXPECT_EQ(s["colour"]["top"], "red");
  EXPECT_NEAR(s["colour"]["top_share"].get<double>(), 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(s["flag"]["missing_rate"].get<double>(), 1.0 / 3.0, 1e-15);
  EXPECT_FALSE(d["input_columns"][0].contains("categories"));  // numbers have none
}

TEST(Bundle, EnsemblePredictsTheWeightedAverageOfItsMembers) {
  const World& w = world();
  const engine::Bundle ens = engine::load_bundle(w.ensemble);
  const engine::Bundle sa = engine::load_bundle(w.single_a);
  const engine::Bundle sb = engine::load_bundle(w.single_b);
  EXPECT_TRUE(ens.ensemble());
  EXPECT_EQ(ens.version, 2);
  EXPECT_EQ(sa.version, 1);
  ASSERT_EQ(ens.members.size(), 3u);
  EXPECT_EQ(ens.model.family, "xgboost");  // the heaviest member, for the explanation panels
  const auto pe = engine::predict(ens, w.table);
  const auto pa = engine::predict(sa, w.table);
  const auto pb = engine::predict(sb, w.table);
  ASSERT_EQ(pe.rows, 1000u);
  // The members' own predictions differ (else the check below proves little).
  double diff = 0;
  for (std::size_t i = 0; i < pa.values.size(); ++i) diff = std::max(diff, std::abs(pa.values[i] - pb.values[i]));
  EXPECT_GT(diff, 0.05);
  for (std::size_t r = 0; r < 1000; ++r) {
    double v[2];
    for (std::size_t c = 0; c < 2; ++c) v[c] = 0.6 * pa.values[r * 2 + c] + 0.3 * pb.values[r * 2 + c] + 0.1 * w.constant.constant[c];
    for (std::size_t c = 0; c < 2; ++c) EXPECT_NEAR(pe.values[r * 2 + c], v[c] / (v[0] + v[1]), 1e-12) << r;
  }
  // Also equal to engine::blend of the members' predictions.
  const std::vector<double> cst = [&] {
    std::vector<double> out;
    for (std::size_t r = 0; r < 1000; ++r) out.insert(out.end(), {0.3, 0.7});
    return out;
  }();
  const auto blended = engine::blend({pa.values, pb.values, cst}, std::vector<double>{6, 3, 1}, 2);
  for (std::size_t i = 0; i < blended.size(); ++i) EXPECT_NEAR(pe.values[i], blended[i], 1e-12);
}

TEST(Bundle, PythonXgboostLoadsEveryMemberModel) {
  const World& w = world();
  const std::string cmd = "/usr/bin/python3 -c " +
                          shell_quote("import sys, xgboost\nb = xgboost.Booster()\nb.load_model(sys.argv[1])\nprint(b.num_features())") +
                          " " + shell_quote((w.ensemble / "member_1.model.json").string()) + " > " +
                          shell_quote((w.dir.path / "nf.txt").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  EXPECT_EQ(std::stoul(slurp(w.dir.path / "nf.txt")), w.b.pipeline.features().size());
}

TEST(Bundle, OlderVersionOneBundlesStillLoad) {
  // A version 1 manifest as the first slice wrote it: no sha256, no categories, no summary.
  const World& w = world();
  TempDir t;
  const fs::path old = t.path / "old";
  copy_dir(w.single_a, old);
  json m = read_json(old / "manifest.json");
  for (auto& f : m["files"]) f.erase("sha256");
  for (auto& c : m["input_columns"]) c.erase("categories");
  m.erase("training_summary");
  write_json(old / "manifest.json", m);
  const engine::Bundle b = engine::load_bundle(old);
  EXPECT_EQ(b.version, 1);
  EXPECT_FALSE(b.ensemble());
  // The training categories come from the pipeline's encoders then.
  ASSERT_TRUE(b.known_categories.count("purpose"));
  EXPECT_EQ(b.known_categories.at("purpose").size(), 10u);
  const auto p = engine::predict(b, w.table);
  const auto direct = engine::predict_matrix(w.a.model, w.a.pipeline.transform(w.table), 2);
  ASSERT_EQ(p.values.size(), direct.size());
  for (std::size_t i = 0; i < direct.size(); ++i) EXPECT_EQ(p.values[i], direct[i]);
}

TEST(Bundle, RefusesForeignDamagedNewerAndEscapingBundles) {
  const World& w = world();
  TempDir t;
  struct Case {
    std::string name;
    std::function<void(const fs::path&)> damage;
    std::string expect;  // part of the message
  };
  const std::vector<Case> cases = {
      {"newer version", [](const fs::path& d) { json m = read_json(d / "manifest.json"); m["version"] = 3; write_json(d / "manifest.json", m); }, "upgrade Glasswing"},
      {"foreign format", [](const fs::path& d) { json m = read_json(d / "manifest.json"); m["format"] = "sklearn-pickle"; write_json(d / "manifest.json", m); }, "not a Glasswing bundle"},
      {"damaged manifest", [](const fs::path& d) { std::ofstream(d / "manifest.json", std::ios::trunc) << "{\"format\": \"glasswing-bundle\", "; }, "not valid JSON"},
      {"no manifest", [](const fs::path& d) { fs::remove(d / "manifest.json"); }, "cannot be read"},
      {"changed model file", [](const fs::path& d) { std::ofstream(d / "member_1.model.json", std::ios::app) << " "; }, "sha256"},
      {"missing member file", [](const fs::path& d) { fs::remove(d / "member_0.pipeline.json"); }, "lacks its file member_0.pipeline.json"},
      {"files entry outside", [](const fs::path& d) { json m = read_json(d / "manifest.json"); m["files"].push_back({{"path", "../x"}, {"role", "evil"}}); write_json(d / "manifest.json", m); }, "'../x', which is not inside the bundle"},
      {"absolute files entry", [](const fs::path& d) { json m = read_json(d / "manifest.json"); m["files"].push_back({{"path", "/etc/passwd"}, {"role", "evil"}}); write_json(d / "manifest.json", m); }, "not inside the bundle"},
      {"member model outside", [](const fs::path& d) { json m = read_json(d / "manifest.json"); m["members"][1]["model_file"] = "../single_b/model.json"; write_json(d / "manifest.json", m); }, "not inside the bundle"},
      {"symbolic link", [](const fs::path& d) { fs::remove(d / "member_1.model.json"); fs::create_symlink(fs::absolute(world().single_b / "model.json"), d / "member_1.model.json"); }, "not a plain file"},
      {"zero weight", [](const fs::path& d) { json m = read_json(d / "manifest.json"); m["members"][2]["weight"] = 0; write_json(d / "manifest.json", m); }, "weight that is not positive"},
      {"members in version 1", [](const fs::path& d) { json m = read_json(d / "manifest.json"); m["version"] = 1; write_json(d / "manifest.json", m); }, "says version 1"},
      {"wrong classes", [](const fs::path& d) { json m = read_json(d / "manifest.json"); m["classes"] = {"a", "b", "c"}; write_json(d / "manifest.json", m); }, "outputs do not match"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path d = t.path / "bad";
    copy_dir(w.ensemble, d);
    c.damage(d);
    std::string msg;
    EXPECT_EQ(load_error(d, &msg), ErrorKind::BadInput);
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // A single-model bundle naming its model file outside the folder.
  const fs::path d = t.path / "single";
  copy_dir(w.single_a, d);
  json m = read_json(d / "manifest.json");
  m["model_file"] = "../single_b/model.json";
  write_json(d / "manifest.json", m);
  std::string msg;
  EXPECT_EQ(load_error(d, &msg), ErrorKind::BadInput);
  EXPECT_NE(msg.find("not inside the bundle"), std::string::npos) << msg;
  // Through the CLI: exit 3 and one line.
  const fs::path data = t.path / "in.csv";
  std::ofstream(data) << credit_g_text();
  copy_dir(w.ensemble, t.path / "newer");
  json newer = read_json(t.path / "newer/manifest.json");
  newer["version"] = 99;
  write_json(t.path / "newer/manifest.json", newer);
  for (const fs::path& bundle : {d, t.path / "newer", t.path / "missing"}) {
    const auto r = run_cli({"predict", "--model", bundle.string(), "--data", data.string(), "--out", (t.path / "p.csv").string()});
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_FALSE(fs::exists(t.path / "p.csv"));
  }
}

TEST(Bundle, InputSchemaChecks) {
  const World& w = world();
  const engine::Bundle b = engine::load_bundle(w.ensemble);
  TempDir t;
  const std::string text = credit_g_text();
  // Extra columns are ignored: the same rows with two more columns predict the same.
  {
    std::string extra;
    std::istringstream in(text);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      extra += (header ? "row_id,note," : std::to_string(extra.size()) + ",\"free, text\",") + line + "\n";
      header = false;
    }
    const auto p1 = engine::predict(b, data::read_csv_text(text));
    const auto p2 = engine::predict(b, data::read_csv_text(extra));
    EXPECT_EQ(p1.values, p2.values);
  }
  // A missing column: BadInput naming it (both, when two are missing).
  {
    std::string msg;
    const data::Table full = data::read_csv_text(text);
    std::vector<data::Column> cols;
    for (const auto& c : full.columns())
      if (c.name() != "purpose" && c.name() != "age") cols.push_back(c);
    try {
      engine::predict(b, data::Table(cols));
      ADD_FAILURE() << "predicted without 'purpose' and 'age'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadInput);
      msg = e.what();
    }
    EXPECT_NE(msg.find("'age'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'purpose'"), std::string::npos) << msg;
  }
  // Unseen categories are missing values, counted per column.
  {
    std::string changed, blanked;
    std::istringstream in(text);
    std::string line;
    int row = -1;
    while (std::getline(in, line)) {
      std::string c = line, k = line;
      if (row >= 0 && row < 3) {
        const auto pos = line.find(",radio/tv,");
        if (pos != std::string::npos) {
          c = line.substr(0, pos) + ",spaceship," + line.substr(pos + 10);
          k = line.substr(0, pos) + ",," + line.substr(pos + 10);
        }
      }
      changed += c + "\n";
      blanked += k + "\n";
      ++row;
    }
    ASSERT_NE(changed.find("spaceship"), std::string::npos);
    engine::UnseenCounts unseen;
    const auto pc = engine::predict(b, data::read_csv_text(changed), &unseen);
    const auto pk = engine::predict(b, data::read_csv_text(blanked));
    ASSERT_EQ(unseen.size(), 1u);
    EXPECT_EQ(unseen.at("purpose"), 2u);  // rows 0 and 1 of credit-g are radio/tv, row 2 is not
    EXPECT_EQ(pc.values, pk.values);
    // Through the CLI: one stderr line per column.
    const fs::path in_csv = t.path / "unseen.csv", out = t.path / "unseen_pred.csv";
    std::ofstream(in_csv) << changed;
    const auto r = run_cli({"predict", "--model", w.ensemble.string(), "--data", in_csv.string(), "--out", out.string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "column purpose: 2 rows had categories unseen in training (treated as missing)\n");
    EXPECT_NE(r.out.find("wrote 1000 predictions (binary, model ensemble of 3) to " + out.string() + " in 1 chunk, at most 1 in memory"),
              std::string::npos) << r.out;
    EXPECT_EQ(count_lines(slurp(out)), 1001u);
  }
  // Through the CLI: a missing column exits 3 naming it; nothing is written.
  {
    std::string cut;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) cut += line.substr(line.find(',') + 1) + "\n";  // drops checking_status
    const fs::path in_csv = t.path / "cut.csv", out = t.path / "cut_pred.csv";
    std::ofstream(in_csv) << cut;
    const auto r = run_cli({"predict", "--model", w.ensemble.string(), "--data", in_csv.string(), "--out", out.string()});
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("'checking_status'"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(t.path / "cut_pred.csv.tmp"));
  }
  // An unwritable output: Storage (4).
  {
    const fs::path in_csv = t.path / "ok.csv";
    std::ofstream(in_csv) << text;
    const auto r = run_cli({"predict", "--model", w.ensemble.string(), "--data", in_csv.string(), "--out",
                            (t.path / "no/such/dir/p.csv").string()});
    EXPECT_EQ(r.code, 4) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  }
}

// A large file streamed in chunks gives exactly the whole-table predictions; quoted fields with
// separators and line breaks may straddle the chunk cuts.
TEST(Bundle, StreamedPredictionMatchesWholeTableAndStaysBounded) {
  const World& w = world();
  const engine::Bundle b = engine::load_bundle(w.ensemble);
  TempDir t;
  const fs::path big = t.path / "big.csv";
  std::size_t rows = 0;
  {
    std::istringstream in(credit_g_text());
    std::string header;
    std::getline(in, header);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::ofstream out(big, std::ios::binary);
    out << "note," << header << "\n";
    for (int rep = 0; rep < 200; ++rep)
      for (std::size_t i = 0; i < lines.size(); ++i, ++rows)
        out << (i % 7 == 0 ? "\"multi\nline, \"\"quoted\"\"\"" : "plain") << "," << lines[i] << "\n";
  }
  ASSERT_EQ(rows, 200000u);
  engine::PredictFileOptions o;
  o.chunk_bytes = 1 << 20;
  const auto stats = engine::predict_file(b, big, t.path / "big_pred.csv", o);
  EXPECT_EQ(stats.rows, rows);
  EXPECT_GE(stats.chunks, 20u);              // about 32 MB in 1 MiB chunks
  EXPECT_LE(stats.peak_chunks_in_memory, 7u);  // reader + 2 queued + worker + 2 queued + writer
  EXPECT_FALSE(fs::exists(t.path / "big_pred.csv.tmp"));
  // The whole table, predicted at once, formats to the same bytes.
  const auto whole = engine::predict(b, data::read_csv(big));
  std::string expected = engine::predictions_csv_header(whole.classes);
  engine::append_predictions_csv(whole, expected);
  EXPECT_TRUE(slurp(t.path / "big_pred.csv") == expected);

}

TEST(Bundle, StreamedPredictionSmallChunksGzipAndLineNumbers) {
  const World& w = world();
  const engine::Bundle b = engine::load_bundle(w.single_a);
  TempDir t;
  const std::string text = credit_g_text();
  const fs::path csv = t.path / "in.csv";
  std::ofstream(csv, std::ios::binary) << text;
  const auto whole = engine::predict(b, data::read_csv(csv));
  std::string expected = engine::predictions_csv_header(whole.classes);
  engine::append_predictions_csv(whole, expected);
  engine::PredictFileOptions o;
  o.chunk_bytes = 16384;
  auto s = engine::predict_file(b, csv, t.path / "p.csv", o);
  EXPECT_GE(s.chunks, 8u);
  EXPECT_TRUE(slurp(t.path / "p.csv") == expected);
  // gzip input.
  ASSERT_EQ(std::system(("gzip -k " + shell_quote(csv.string())).c_str()), 0);
  s = engine::predict_file(b, t.path / "in.csv.gz", t.path / "pz.csv", o);
  EXPECT_EQ(s.rows, 1000u);
  EXPECT_TRUE(slurp(t.path / "pz.csv") == expected);
  // A ragged row deep in the file: the error names its line in the file, nothing is written.
  std::string ragged;
  std::istringstream in(text);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    ragged += line + (line_no == 777 ? ",extra" : "") + "\n";
  }
  std::ofstream(t.path / "ragged.csv", std::ios::binary) << ragged;
  try {
    engine::predict_file(b, t.path / "ragged.csv", t.path / "pr.csv", o);
    ADD_FAILURE() << "a ragged row was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("ragged.csv:777:"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(t.path / "pr.csv"));
  EXPECT_FALSE(fs::exists(t.path / "pr.csv.tmp"));
  // Empty file, header only: BadInput.
  std::ofstream(t.path / "empty.csv");
  std::ofstream(t.path / "header.csv") << text.substr(0, text.find('\n') + 1);
  for (const char* f : {"empty.csv", "header.csv", "absent.csv"}) {
    try {
      engine::predict_file(b, t.path / f, t.path / "pe.csv", o);
      ADD_FAILURE() << f;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    }
  }
}

}  // namespace
