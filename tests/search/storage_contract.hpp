#pragma once
// The storage contract: test bodies shared by every Storage implementation. Included by exactly
// one source file per test executable, which instantiates the suite over its storages:
//   INSTANTIATE_TEST_SUITE_P(Prefix, SearchStorageContract, ::testing::ValuesIn(kinds), name_of_kind);
// (storage_contract_test.cpp: memory and SQLite; postgres_storage_test.cpp: PostgreSQL.)
#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "automl/search/storage.hpp"
#include "search_test_util.hpp"

namespace glasswing::search::contract {

using testing::TempDir;

struct StorageKind {
  std::string name;
  std::function<std::unique_ptr<Storage>(const TempDir&)> make;
};
inline void PrintTo(const StorageKind& k, std::ostream* os) { *os << k.name; }

class SearchStorageContract : public ::testing::TestWithParam<StorageKind> {
 protected:
  // A kind's make() returns nullptr when its storage cannot be had here (e.g. no server): skipped.
  void SetUp() override {
    storage_ = GetParam().make(dir_);
    if (!storage_) GTEST_SKIP() << GetParam().name << " is not available on this machine";
  }
  Storage& s() { return *storage_; }
  std::int64_t study(const std::string& name = "s", std::vector<StudyDirection> d = {StudyDirection::Minimize}) {
    return s().create_new_study(d, name);
  }
  TempDir dir_;
  std::unique_ptr<Storage> storage_;
};

inline const Distribution kX = make_float_distribution(-10, 10);
inline const Distribution kN = make_int_distribution(0, 20, false, 5);
inline const Distribution kC = make_categorical_distribution({"adam", "sgd", nullptr, true, 1.5});

TEST_P(SearchStorageContract, StudiesAreCreatedFoundAndDeleted) {
  const auto a = study("a");
  const auto b = study("b", {StudyDirection::Minimize, StudyDirection::Maximize});
  EXPECT_NE(a, b);
  EXPECT_EQ(s().get_study_id_from_name("b"), b);
  EXPECT_THROW(s().get_study_id_from_name("nope"), Error);
  try {
    study("a");
    FAIL() << "duplicate name accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Storage);
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos);
  }
  const auto info = s().get_study(b);
  EXPECT_EQ(info.name, "b");
  EXPECT_EQ(info.directions, (std::vector{StudyDirection::Minimize, StudyDirection::Maximize}));
  ASSERT_EQ(s().get_all_studies().size(), 2u);
  const auto t = s().create_new_trial(a);
  s().set_trial_param(t, "x", 1.0, kX);
  s().set_trial_user_attr(t, "k", 1);
  s().delete_study(a);
  EXPECT_THROW(s().get_study(a), Error);
  EXPECT_THROW(s().get_trial(t), Error);
  ASSERT_EQ(s().get_all_studies().size(), 1u);
  EXPECT_NO_THROW(study("a"));  // the name is free again
}

TEST_P(SearchStorageContract, StudyAttributesHoldAnyJson) {
  const auto id = study();
  const Json nested = parse_python_json(R"({"a": [1, 2.5, null, true], "b": "x"})");
  s().set_study_user_attr(id, "owner", "research");
  s().set_study_user_attr(id, "nested", nested);
  s().set_study_system_attr(id, "sys_key", 123);
  s().set_study_system_attr(id, "sys_key", 124);  // upsert
  const auto info = s().get_study(id);
  EXPECT_EQ(info.user_attrs.at("owner"), "research");
  EXPECT_EQ(dump_python_json(info.user_attrs.at("nested")), R"({"a": [1, 2.5, null, true], "b": "x"})");
  EXPECT_EQ(info.system_attrs.at("sys_key"), 124);
}

TEST_P(SearchStorageContract, TrialNumbersAreDensePerStudyAndIdsIncrease) {
  const auto a = study("a");
  const auto b = study("b");
  std::int64_t last_id = 0;
  for (int i = 0; i < 4; ++i) {
    for (auto sid : {a, b}) {
      const auto id = s().create_new_trial(sid);
      EXPECT_GT(id, last_id);
      last_id = id;
      EXPECT_EQ(s().get_trial(id).number, i);
      EXPECT_EQ(s().get_trial_id_from_study_id_trial_number(sid, i), id);
    }
  }
  EXPECT_EQ(s().get_n_trials(a), 4);
  const auto t = s().get_trial(s().get_trial_id_from_study_id_trial_number(a, 0));
  EXPECT_EQ(t.state, TrialState::Running);
  EXPECT_TRUE(t.datetime_start);
  EXPECT_FALSE(t.datetime_complete);
  EXPECT_FALSE(t.values);
}

TEST_P(SearchStorageContract, ParamsKeepKindAndValue) {
  const auto id = study();
  const auto t = s().create_new_trial(id);
  s().set_trial_param(t, "x", 0.9762700785464951, kX);
  s().set_trial_param(t, "n", 10.0, kN);
  s().set_trial_param(t, "c", 3.0, kC);
  s().set_trial_param(t, "lr", 0.007257005721594277, make_float_distribution(1e-5, 0.1, true));
  const auto ft = s().get_trial(t);
  EXPECT_EQ(ft.params.at("x"), Json(0.9762700785464951));
  EXPECT_TRUE(ft.params.at("n").is_number_integer());
  EXPECT_EQ(ft.params.at("n"), Json(10));
  EXPECT_EQ(ft.params.at("c"), Json(true));
  EXPECT_EQ(ft.distributions.at("c"), kC);
  EXPECT_EQ(ft.distributions.at("lr"), Distribution(make_float_distribution(1e-5, 0.1, true)));
  EXPECT_EQ(ft.internal_param("c"), 3.0);
  // Another trial may use other bounds but not another kind, log flag or choice list.
  const auto t2 = s().create_new_trial(id);
  EXPECT_NO_THROW(s().set_trial_param(t2, "x", 50.0, make_float_distribution(0, 100)));
  EXPECT_THROW(s().set_trial_param(t2, "n", 1.0, make_float_distribution(0, 20)), Error);
  EXPECT_THROW(s().set_trial_param(t2, "c", 0.0, make_categorical_distribution({"adam"})), Error);
  EXPECT_THROW(s().set_trial_param(t2, "lr", 0.01, make_float_distribution(1e-5, 0.1)), Error);
  EXPECT_THROW(s().set_trial_param(t2, "n", 3.0, kN), Error);  // not on the grid
  EXPECT_EQ(s().get_trial(t2).params.size(), 1u);
}

TEST_P(SearchStorageContract, ValuesIncludingInfinitiesRoundTrip) {
  const auto id = study("mo", {StudyDirection::Minimize, StudyDirection::Maximize});
  const auto t = s().create_new_trial(id);
  EXPECT_TRUE(s().set_trial_state_values(t, TrialState::Complete, std::vector<double>{HUGE_VAL, -HUGE_VAL}));
  const auto ft = s().get_trial(t);
  EXPECT_EQ(ft.state, TrialState::Complete);
  ASSERT_TRUE(ft.values);
  EXPECT_EQ(*ft.values, (std::vector<double>{HUGE_VAL, -HUGE_VAL}));
  EXPECT_TRUE(ft.datetime_complete);
  const auto t2 = s().create_new_trial(id);
  EXPECT_THROW(s().set_trial_state_values(t2, TrialState::Complete, std::vector<double>{std::nan(""), 1.0}), Error);
  EXPECT_EQ(s().get_trial(t2).state, TrialState::Running);
  EXPECT_TRUE(s().set_trial_state_values(t2, TrialState::Fail));
  EXPECT_FALSE(s().get_trial(t2).values);
}

TEST_P(SearchStorageContract, IntermediateValuesKeepNanAndInfAndOverwrite) {
  const auto id = study();
  const auto t = s().create_new_trial(id);
  s().set_trial_intermediate_value(t, 0, std::nan(""));
  s().set_trial_intermediate_value(t, 1, HUGE_VAL);
  s().set_trial_intermediate_value(t, 2, -HUGE_VAL);
  s().set_trial_intermediate_value(t, 3, 1.0);
  s().set_trial_intermediate_value(t, 3, 42.0);
  const auto iv = s().get_trial(t).intermediate_values;
  ASSERT_EQ(iv.size(), 4u);
  EXPECT_TRUE(std::isnan(iv.at(0)));
  EXPECT_EQ(iv.at(1), HUGE_VAL);
  EXPECT_EQ(iv.at(2), -HUGE_VAL);
  EXPECT_EQ(iv.at(3), 42.0);
}

TEST_P(SearchStorageContract, TrialAttributesUpsert) {
  const auto t = s().create_new_trial(study());
  s().set_trial_user_attr(t, "note", "trial 0");
  s().set_trial_user_attr(t, "note", "again");
  s().set_trial_system_attr(t, "sys_t", parse_python_json(R"([1, "two", NaN, Infinity])"));
  const auto ft = s().get_trial(t);
  EXPECT_EQ(ft.user_attrs.at("note"), "again");
  EXPECT_EQ(dump_python_json(ft.system_attrs.at("sys_t")), R"([1, "two", NaN, Infinity])");
}

TEST_P(SearchStorageContract, FinishedTrialsNeverChange) {
  const auto id = study();
  for (auto state : {TrialState::Complete, TrialState::Pruned, TrialState::Fail}) {
    const auto t = s().create_new_trial(id);
    s().set_trial_param(t, "x", 1.0, kX);
    s().set_trial_intermediate_value(t, 0, 2.0);
    ASSERT_TRUE(s().set_trial_state_values(
        t, state, state == TrialState::Fail ? std::nullopt : std::optional(std::vector<double>{3.0})));
    const auto before = testing::canonical_dump(s());
    EXPECT_THROW(s().set_trial_param(t, "x", 2.0, kX), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_param(t, "y", 2.0, kX), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_intermediate_value(t, 1, 1.0), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_user_attr(t, "a", 1), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_system_attr(t, "a", 1), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_state_values(t, TrialState::Complete, std::vector<double>{0.0}),
                 UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_state_values(t, TrialState::Running), UpdateFinishedTrialError);
    EXPECT_EQ(testing::canonical_dump(s()), before);
  }
}

TEST_P(SearchStorageContract, WaitingTrialIsPoppedOnce) {
  const auto id = study();
  FrozenTrial waiting;
  waiting.state = TrialState::Waiting;
  waiting.system_attrs["fixed_params"] = parse_python_json(R"({"x": 0.5, "c": "sgd"})");
  const auto t = s().create_new_trial(id, &waiting);
  auto ft = s().get_trial(t);
  EXPECT_EQ(ft.state, TrialState::Waiting);
  EXPECT_FALSE(ft.datetime_start);
  EXPECT_TRUE(s().set_trial_state_values(t, TrialState::Running));
  EXPECT_FALSE(s().set_trial_state_values(t, TrialState::Running));  // someone else popped it
  ft = s().get_trial(t);
  EXPECT_EQ(ft.state, TrialState::Running);
  EXPECT_TRUE(ft.datetime_start);
  const auto running = s().create_new_trial(id);
  EXPECT_FALSE(s().set_trial_state_values(running, TrialState::Running));
}

TEST_P(SearchStorageContract, TemplateTrialIsCopied) {
  const auto id = study();
  s().create_new_trial(id);
  FrozenTrial tmpl;
  tmpl.state = TrialState::Complete;
  tmpl.values = std::vector<double>{3.25};
  tmpl.datetime_start = parse_datetime("2026-11-28 06:09:51.350465");
  tmpl.datetime_complete = tmpl.datetime_start;
  tmpl.params = {{"x", 2.0}, {"n", 10}};
  tmpl.distributions = {{"x", kX}, {"n", kN}};
  tmpl.intermediate_values = {{0, 9.0}, {1, 4.0}};
  tmpl.user_attrs["u"] = "v";
  tmpl.system_attrs["s"] = Json::array({1, 2});
  tmpl.number = 77;   // ignored
  tmpl.trial_id = 5;  // ignored
  const auto t = s().create_new_trial(id, &tmpl);
  const auto ft = s().get_trial(t);
  EXPECT_EQ(ft.trial_id, t);
  EXPECT_EQ(ft.number, 1);
  EXPECT_EQ(ft.state, TrialState::Complete);
  EXPECT_EQ(ft.values, tmpl.values);
  EXPECT_EQ(ft.params, tmpl.params);
  EXPECT_EQ(ft.distributions, tmpl.distributions);
  EXPECT_EQ(ft.intermediate_values, tmpl.intermediate_values);
  EXPECT_EQ(ft.user_attrs, tmpl.user_attrs);
  EXPECT_EQ(ft.system_attrs, tmpl.system_attrs);
  EXPECT_EQ(ft.datetime_start, tmpl.datetime_start);
  EXPECT_EQ(ft.datetime_complete, tmpl.datetime_complete);
}

TEST_P(SearchStorageContract, InvalidTemplatesAreRefusedWithoutATrace) {
  const auto id = study();
  FrozenTrial t;
  t.state = TrialState::Complete;
  t.values = std::vector<double>{1.0};
  t.params = {{"x", 2.0}};
  EXPECT_THROW(s().create_new_trial(id, &t), Error);  // no distribution
  t.distributions = {{"x", kX}, {"n", kN}};
  EXPECT_THROW(s().create_new_trial(id, &t), Error);  // no value for n
  t.params["n"] = 3;
  EXPECT_THROW(s().create_new_trial(id, &t), Error);  // off the grid
  t.params["n"] = 5;
  t.values = std::vector<double>{std::nan("")};
  EXPECT_THROW(s().create_new_trial(id, &t), Error);
  t.values = std::vector<double>{1.0};
  s().set_trial_param(s().create_new_trial(id), "x", 0.0, make_float_distribution(-1, 1, false, 0.5));
  t.distributions["x"] = make_float_distribution(-10, 10, false, 0.5);
  t.params["x"] = 2.0;
  EXPECT_NO_THROW(s().create_new_trial(id, &t));  // bounds may differ
  t.distributions["x"] = make_categorical_distribution({2.0});
  EXPECT_THROW(s().create_new_trial(id, &t), Error);  // kind may not
  EXPECT_EQ(s().get_n_trials(id), 2);
}

TEST_P(SearchStorageContract, SnapshotsDoNotChange) {
  const auto id = study();
  const auto t = s().create_new_trial(id);
  const auto snap = s().get_trial(t);
  s().set_trial_param(t, "x", 1.0, kX);
  s().set_trial_state_values(t, TrialState::Complete, std::vector<double>{1.0});
  EXPECT_TRUE(snap.params.empty());
  EXPECT_EQ(snap.state, TrialState::Running);
}

TEST_P(SearchStorageContract, FiltersAndBestTrial) {
  const auto id = study("min");
  const auto mk = [&](TrialState st, std::optional<double> v) {
    const auto t = s().create_new_trial(id);
    s().set_trial_state_values(t, st, v ? std::optional(std::vector<double>{*v}) : std::nullopt);
    return t;
  };
  mk(TrialState::Complete, HUGE_VAL);
  const auto best = mk(TrialState::Complete, -3.0);
  mk(TrialState::Pruned, -100.0);
  mk(TrialState::Fail, std::nullopt);
  mk(TrialState::Complete, 5.0);
  s().create_new_trial(id);
  EXPECT_EQ(s().get_best_trial(id).trial_id, best);
  EXPECT_EQ(s().get_n_trials(id, std::vector{TrialState::Complete}), 3);
  EXPECT_EQ(s().get_n_trials(id, std::vector{TrialState::Running, TrialState::Fail}), 2);
  const auto trials = s().get_all_trials(id);
  ASSERT_EQ(trials.size(), 6u);
  for (std::size_t i = 0; i < trials.size(); ++i) EXPECT_EQ(trials[i].number, static_cast<std::int64_t>(i));
  const auto maxi = study("max", {StudyDirection::Maximize});
  EXPECT_THROW(s().get_best_trial(maxi), Error);
  const auto t = s().create_new_trial(maxi);
  s().set_trial_state_values(t, TrialState::Complete, std::vector<double>{-HUGE_VAL});
  const auto t2 = s().create_new_trial(maxi);
  s().set_trial_state_values(t2, TrialState::Complete, std::vector<double>{-1.0});
  EXPECT_EQ(s().get_best_trial(maxi).trial_id, t2);
}

TEST_P(SearchStorageContract, UnknownIdsAreStorageErrors) {
  try {
    s().get_trial(12345);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Storage);
  }
  EXPECT_THROW(s().create_new_trial(999), Error);
  EXPECT_THROW(s().get_all_trials(999), Error);
  EXPECT_THROW(s().set_study_user_attr(999, "k", 1), Error);
}

TEST_P(SearchStorageContract, ThreadsAddTrialsWithoutDuplicatesOrLoss) {
  const auto id = study();
  constexpr int kThreads = 6;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto t = s().create_new_trial(id);
        s().set_trial_param(t, "x", static_cast<double>(w), kX);
        s().set_trial_state_values(t, TrialState::Complete, std::vector<double>{static_cast<double>(i)});
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto trials = s().get_all_trials(id);
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::int64_t> numbers;
  for (const auto& t : trials) {
    numbers.insert(t.number);
    EXPECT_EQ(t.state, TrialState::Complete);
  }
  EXPECT_EQ(numbers.size(), trials.size());
  EXPECT_EQ(*numbers.begin(), 0);
  EXPECT_EQ(*numbers.rbegin(), kThreads * kPerThread - 1);
}

inline std::string name_of_kind(const ::testing::TestParamInfo<StorageKind>& info) { return info.param.name; }

}  // namespace glasswing::search::contract
