// `glasswing search ls|show|best` on stores that Python Optuna wrote, and its bad inputs.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../data/test_util.hpp"
#include "cli_support.hpp"

using glasswing::test::count_lines;
using glasswing::test::run_cli;
using glasswing::test::TempDir;

namespace {

// Two studies written by Debian's Python Optuna 3.1: one with complete, pruned and failed trials.
std::filesystem::path make_store(const TempDir& dir) {
  const auto db = dir.path() / "optuna.db";
  const auto script = dir.write("make.py", R"PY(
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
url = "sqlite:///" + sys.argv[1]
s = optuna.create_study(study_name="xgb-credit", storage=url, direction="maximize",
                        sampler=optuna.samplers.RandomSampler(seed=1))
def objective(trial):
    x = trial.suggest_float("eta", 1e-3, 0.3, log=True)
    d = trial.suggest_int("max_depth", 2, 8)
    if trial.number == 3:
        raise RuntimeError("out of memory in fold 2")
    if trial.number == 4:
        raise optuna.TrialPruned()
    return 0.7 + 0.01 * d - x
s.optimize(objective, n_trials=6, catch=(RuntimeError,))
t = optuna.create_study(study_name="other", storage=url, direction="minimize")
t.optimize(lambda tr: tr.suggest_float("a", 0, 1) ** 2, n_trials=2)
print(s.best_trial.number, repr(s.best_value))
)PY");
  const std::string cmd = "/usr/bin/python3 '" + script.string() + "' '" + db.string() + "' > '" +
                          (dir.path() / "best.txt").string() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return db;
}

std::string url_of(const std::filesystem::path& p) { return "sqlite:///" + p.string(); }

}  // namespace

TEST(CliSearch, ListsShowsAndFindsTheBestOfAnOptunaStore) {
  TempDir dir;
  const auto db = make_store(dir);
  std::ifstream best_file(dir.path() / "best.txt");
  int best_number = -1;
  double best_value = 0;
  best_file >> best_number >> best_value;

  auto r = run_cli({"search", "ls", "--storage", url_of(db), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto ls = nlohmann::json::parse(r.out);
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[0]["search"], "xgb-credit");
  EXPECT_EQ(ls[0]["trials"], 6);
  EXPECT_EQ(ls[0]["states"]["COMPLETE"], 4);
  EXPECT_EQ(ls[0]["states"]["PRUNED"], 1);
  EXPECT_EQ(ls[0]["states"]["FAIL"], 1);
  EXPECT_EQ(ls[0]["best"]["number"], best_number);

  r = run_cli({"search", "best", "--storage", url_of(db), "--search", "xgb-credit", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto best = nlohmann::json::parse(r.out);
  EXPECT_EQ(best["number"], best_number);
  EXPECT_DOUBLE_EQ(best["values"][0].get<double>(), best_value);
  EXPECT_TRUE(best["params"].contains("eta") && best["params"].contains("max_depth"));

  r = run_cli({"search", "show", "--storage", url_of(db), "--search", "xgb-credit"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("6 trials"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PRUNED"), std::string::npos);
  EXPECT_NE(r.out.find("FAIL"), std::string::npos);
  EXPECT_NE(r.out.find("max_depth="), std::string::npos);

  r = run_cli({"search", "ls", "--storage", url_of(db)});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("xgb-credit"), std::string::npos);
  EXPECT_NE(r.out.find("MAXIMIZE"), std::string::npos);
}

TEST(CliSearch, BadInputs) {
  TempDir dir;
  const auto db = make_store(dir);
  // A store that does not exist: exit 4, and no empty database is left behind.
  const auto missing = dir.path() / "nope.db";
  auto r = run_cli({"search", "ls", "--storage", url_of(missing)});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(missing));
  // Several searches and none named: exit 2 listing them.
  r = run_cli({"search", "show", "--storage", url_of(db)});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("xgb-credit, other"), std::string::npos) << r.err;
  // An unknown search name: exit 2 listing the valid ones.
  r = run_cli({"search", "best", "--storage", url_of(db), "--search", "xgb"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("its searches are: xgb-credit, other"), std::string::npos) << r.err;
  // A file that is not an Optuna store: exit 4, and the file is untouched.
  const auto foreign = dir.write("notes.db", "just some text, not SQLite");
  r = run_cli({"search", "ls", "--storage", url_of(foreign)});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_EQ(glasswing::test::slurp(foreign), "just some text, not SQLite");
  // An unknown URL scheme: a usage error naming the valid forms.
  r = run_cli({"search", "ls", "--storage", "mysql://x/y"});
  EXPECT_EQ(r.code, 2) << r.err;
  // A missing --storage.
  r = run_cli({"search", "ls"});
  EXPECT_EQ(r.code, 2) << r.err;
}
