// The model: Python-compatible JSON, distributions (as Optuna writes and reads them), value
// conversions, states, datetimes.
#include <cmath>

#include <gtest/gtest.h>

#include "automl/common/error.hpp"
#include "automl/search/distributions.hpp"
#include "automl/search/json.hpp"
#include "automl/search/trial.hpp"

namespace glasswing::search {
namespace {

TEST(SearchJson, FloatReprMatchesPython) {
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(10.0), "10.0");
  EXPECT_EQ(python_float_repr(-10.0), "-10.0");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
  EXPECT_EQ(python_float_repr(2.7637615125314248e-05), "2.7637615125314248e-05");
  EXPECT_EQ(python_float_repr(0.9762700785464951), "0.9762700785464951");
  EXPECT_EQ(python_float_repr(123456.789), "123456.789");
  EXPECT_EQ(python_float_repr(std::nan("")), "NaN");
  EXPECT_EQ(python_float_repr(HUGE_VAL), "Infinity");
  EXPECT_EQ(python_float_repr(-HUGE_VAL), "-Infinity");
}

TEST(SearchJson, DumpsLikeJsonDumps) {
  const Json v = Json::parse(R"({"a": [1, 2.5, null, true], "b": "x"})");
  EXPECT_EQ(dump_python_json(v), R"({"a": [1, 2.5, null, true], "b": "x"})");
  EXPECT_EQ(dump_python_json(Json("caf\xc3\xa9 \xf0\x9f\x98\x80\n\"q\"")), R"("caf\u00e9 \ud83d\ude00\n\"q\"")");
  EXPECT_EQ(dump_python_json(Json::parse("[1.0, -3, 1e-05]")), "[1.0, -3, 1e-05]");
  EXPECT_EQ(dump_python_json(Json::object()), "{}");
}

TEST(SearchJson, ParsesNonStandardTokensOutsideStrings) {
  const Json v = parse_python_json(R"([NaN, Infinity, -Infinity, "NaN", {"k": "Infinity"}])");
  ASSERT_EQ(v.size(), 5u);
  EXPECT_TRUE(std::isnan(v[0].get<double>()));
  EXPECT_EQ(v[1].get<double>(), HUGE_VAL);
  EXPECT_EQ(v[2].get<double>(), -HUGE_VAL);
  EXPECT_EQ(v[3], "NaN");
  EXPECT_EQ(v[4]["k"], "Infinity");
  EXPECT_EQ(dump_python_json(v), R"([NaN, Infinity, -Infinity, "NaN", {"k": "Infinity"}])");
  // Key order is kept, so a Python value is written back unchanged.
  EXPECT_EQ(dump_python_json(parse_python_json(R"({"x": 0.5, "c": "sgd"})")), R"({"x": 0.5, "c": "sgd"})");
  EXPECT_THROW(parse_python_json("{nope"), Error);
}

TEST(SearchDistributions, JsonIsExactlyOptunas) {
  EXPECT_EQ(distribution_to_json(make_float_distribution(-10, 10)),
            R"({"name": "FloatDistribution", "attributes": {"step": null, "low": -10.0, "high": 10.0, "log": false}})");
  EXPECT_EQ(distribution_to_json(make_float_distribution(1e-5, 0.1, true)),
            R"({"name": "FloatDistribution", "attributes": {"step": null, "low": 1e-05, "high": 0.1, "log": true}})");
  EXPECT_EQ(distribution_to_json(make_float_distribution(0, 1, false, 0.25)),
            R"({"name": "FloatDistribution", "attributes": {"step": 0.25, "low": 0.0, "high": 1.0, "log": false}})");
  EXPECT_EQ(distribution_to_json(make_int_distribution(0, 20, false, 5)),
            R"({"name": "IntDistribution", "attributes": {"log": false, "step": 5, "low": 0, "high": 20}})");
  EXPECT_EQ(distribution_to_json(make_int_distribution(1, 1024, true)),
            R"({"name": "IntDistribution", "attributes": {"log": true, "step": 1, "low": 1, "high": 1024}})");
  EXPECT_EQ(distribution_to_json(make_categorical_distribution({"adam", "sgd", nullptr, true, 1.5})),
            R"({"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null, true, 1.5]}})");
}

TEST(SearchDistributions, HighIsLoweredToTheGrid) {
  EXPECT_EQ(make_int_distribution(0, 10, false, 3).high, 9);
  EXPECT_EQ(distribution_to_json(make_int_distribution(0, 10, false, 3)),
            R"({"name": "IntDistribution", "attributes": {"log": false, "step": 3, "low": 0, "high": 9}})");
  EXPECT_DOUBLE_EQ(make_float_distribution(0, 1, false, 0.3).high, 0.9);
  EXPECT_EQ(make_float_distribution(0, 1, false, 0.1).high, 1.0);  // 0.1 divides 1 in decimal
}

TEST(SearchDistributions, ValidatesLikeOptuna) {
  EXPECT_THROW(make_float_distribution(1, 0), Error);
  EXPECT_THROW(make_float_distribution(0, 1, true), Error);
  EXPECT_THROW(make_float_distribution(1, 2, true, 0.5), Error);
  EXPECT_THROW(make_float_distribution(0, 1, false, 0.0), Error);
  EXPECT_THROW(make_int_distribution(0, 10, true), Error);
  EXPECT_THROW(make_int_distribution(1, 10, true, 2), Error);
  EXPECT_THROW(make_int_distribution(0, 10, false, 0), Error);
  EXPECT_THROW(make_categorical_distribution({}), Error);
  EXPECT_THROW(make_categorical_distribution({Json::array()}), Error);
}

TEST(SearchDistributions, ParsesCurrentLegacyAndAbbreviatedForms) {
  const char* texts[] = {
      R"({"name": "FloatDistribution", "attributes": {"step": null, "low": -10.0, "high": 10.0, "log": false}})",
      R"({"name": "IntDistribution", "attributes": {"log": true, "step": 1, "low": 1, "high": 1024}})",
      R"({"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null, true, 1.5]}})"};
  for (const char* t : texts) EXPECT_EQ(distribution_to_json(distribution_from_json(t)), t);
  // Missing optional keys take Optuna's defaults; key order and spacing do not matter.
  EXPECT_EQ(distribution_from_json(R"({"attributes":{"high":2,"low":1},"name":"IntDistribution"})"),
            Distribution(make_int_distribution(1, 2)));
  EXPECT_EQ(distribution_from_json(R"({"name": "UniformDistribution", "attributes": {"low": 0.0, "high": 1.0}})"),
            Distribution(make_float_distribution(0, 1)));
  EXPECT_EQ(distribution_from_json(R"({"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1.0}})"),
            Distribution(make_float_distribution(0.001, 1, true)));
  EXPECT_EQ(distribution_from_json(
                R"({"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 1.0, "q": 0.25}})"),
            Distribution(make_float_distribution(0, 1, false, 0.25)));
  EXPECT_EQ(distribution_from_json(R"({"name": "IntUniformDistribution", "attributes": {"step": 2, "low": 0, "high": 10}})"),
            Distribution(make_int_distribution(0, 10, false, 2)));
  EXPECT_EQ(distribution_from_json(
                R"({"name": "IntLogUniformDistribution", "attributes": {"step": 1, "low": 1, "high": 100}})"),
            Distribution(make_int_distribution(1, 100, true)));
  EXPECT_EQ(distribution_from_json(R"({"type": "float", "low": 0, "high": 1, "log": false})"),
            Distribution(make_float_distribution(0, 1)));
  EXPECT_EQ(distribution_from_json(R"({"type": "int", "low": 0, "high": 10, "step": 2})"),
            Distribution(make_int_distribution(0, 10, false, 2)));
  EXPECT_EQ(distribution_from_json(R"({"type": "categorical", "choices": ["a", 1]})"),
            Distribution(make_categorical_distribution({"a", 1})));
}

TEST(SearchDistributions, RejectsUnknownNamesAndKeys) {
  EXPECT_THROW(distribution_from_json(R"({"name": "FloatDistribution", "attributes": {"low": 0, "high": 1, "foo": 1}})"),
               Error);
  EXPECT_THROW(distribution_from_json(R"({"name": "GaussDistribution", "attributes": {}})"), Error);
  EXPECT_THROW(distribution_from_json(R"({"type": "float", "low": 0})"), Error);
  EXPECT_THROW(distribution_from_json("[1]"), Error);
  try {
    distribution_from_json(R"({"name": "X", "attributes": {}})");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("FloatDistribution, IntDistribution or CategoricalDistribution"), std::string::npos);
  }
}

TEST(SearchDistributions, InternalExternalConversion) {
  const Distribution c = make_categorical_distribution({"adam", "sgd", nullptr, true, 1.5});
  EXPECT_EQ(to_external(c, 3.0), Json(true));
  EXPECT_EQ(to_external(c, 2.0), Json(nullptr));
  EXPECT_EQ(to_internal(c, "sgd"), 1.0);
  EXPECT_EQ(to_internal(c, 1.5), 4.0);
  EXPECT_EQ(to_internal(c, 1), 3.0);  // Python: 1 == True
  EXPECT_THROW(to_internal(c, "rmsprop"), Error);
  EXPECT_THROW(to_external(c, 5.0), Error);
  const Distribution i = make_int_distribution(0, 20, false, 5);
  EXPECT_TRUE(to_external(i, 10.0).is_number_integer());
  EXPECT_EQ(to_external(i, 10.0), Json(10));
  EXPECT_EQ(to_internal(i, 15), 15.0);
  const Distribution f = make_float_distribution(1e-5, 0.1, true);
  EXPECT_EQ(to_internal(f, 0.01), 0.01);  // the value itself, not its log
  EXPECT_TRUE(to_external(f, 0.01).is_number_float());
  EXPECT_TRUE(contains(i, 10.0));
  EXPECT_FALSE(contains(i, 11.0));
  EXPECT_FALSE(contains(f, 0.2));
  EXPECT_TRUE(contains(make_float_distribution(0, 1, false, 0.25), 0.75));
  EXPECT_FALSE(contains(make_float_distribution(0, 1, false, 0.25), 0.7));
  EXPECT_TRUE(is_single(make_int_distribution(3, 3)));
  EXPECT_FALSE(is_single(i));
}

TEST(SearchDistributions, CompatibilityLikeOptuna) {
  EXPECT_NO_THROW(check_distribution_compatibility("x", make_float_distribution(0, 1), make_float_distribution(-5, 5)));
  EXPECT_THROW(check_distribution_compatibility("x", make_float_distribution(1, 2), make_float_distribution(1, 2, true)),
               Error);
  EXPECT_THROW(check_distribution_compatibility("x", make_float_distribution(0, 1), make_int_distribution(0, 1)), Error);
  EXPECT_NO_THROW(check_distribution_compatibility("c", make_categorical_distribution({1, std::nan("")}),
                                                   make_categorical_distribution({1.0, std::nan("")})));
  EXPECT_THROW(check_distribution_compatibility("c", make_categorical_distribution({"a"}),
                                                make_categorical_distribution({"a", "b"})),
               Error);
  EXPECT_TRUE(choices_equal(Json(1), Json(true)));
  EXPECT_FALSE(choices_equal(Json("1"), Json(1)));
}

TEST(SearchModel, StateAndDirectionNames) {
  EXPECT_EQ(to_string(TrialState::Complete), "COMPLETE");
  EXPECT_EQ(trial_state_from_string("WAITING"), TrialState::Waiting);
  EXPECT_EQ(study_direction_from_string("MAXIMIZE"), StudyDirection::Maximize);
  EXPECT_EQ(to_string(StudyDirection::NotSet), "NOT_SET");
  EXPECT_THROW(trial_state_from_string("DONE"), Error);
  EXPECT_TRUE(is_finished(TrialState::Fail));
  EXPECT_FALSE(is_finished(TrialState::Waiting));
}

TEST(SearchModel, DatetimeTextIsSqlAlchemys) {
  const auto t = parse_datetime("2026-11-28 06:09:50.798055");
  EXPECT_EQ(format_datetime(t), "2026-11-28 06:09:50.798055");
  EXPECT_EQ(format_datetime(parse_datetime("2026-01-02 03:04:05")), "2026-01-02 03:04:05.000000");
  EXPECT_EQ(format_datetime(parse_datetime("2026-01-02T03:04:05.5")), "2026-01-02 03:04:05.500000");
  EXPECT_EQ(format_datetime(parse_datetime("1999-12-31 23:59:59.000001")), "1999-12-31 23:59:59.000001");
  EXPECT_THROW(parse_datetime("yesterday"), Error);
  const auto now = format_datetime(now_local());
  EXPECT_EQ(now.size(), 26u);
}

TEST(SearchModel, FrozenTrialAccessors) {
  FrozenTrial t;
  t.number = 4;
  EXPECT_THROW(t.value(), Error);
  t.values = std::vector<double>{1.5};
  EXPECT_EQ(t.value(), 1.5);
  t.values = std::vector<double>{1.5, 2.0};
  EXPECT_THROW(t.value(), Error);
  EXPECT_FALSE(t.last_step());
  t.intermediate_values = {{0, 1.0}, {7, 2.0}};
  EXPECT_EQ(*t.last_step(), 7);
  t.params["c"] = "sgd";
  t.distributions.emplace("c", make_categorical_distribution({"adam", "sgd"}));
  EXPECT_EQ(t.internal_param("c"), 1.0);
  EXPECT_THROW(t.internal_param("zz"), Error);
}

}  // namespace
}  // namespace glasswing::search
