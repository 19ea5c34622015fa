// Feature pipeline: each column type's step, provenance records, out-of-fold target encoding,
// new data with unseen categories, JSON round trips, and bad input.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "../data/test_util.hpp"
#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/data/profile.hpp"
#include "automl/features/pipeline.hpp"

using namespace glasswing;
using namespace glasswing::features;

namespace {

struct Fitted {
  Pipeline pipeline;
  FeatureMatrix matrix;
  std::vector<float> y;
};

// Class index by sorted label, for a classification target.
std::vector<float> class_targets(const data::Table& t, const std::string& target, std::size_t* n_classes = nullptr) {
  const data::Column& c = *t.find(target);
  std::set<std::string> labels;
  for (std::size_t i = 0; i < t.rows(); ++i) labels.insert(c.cell_text(i));
  std::map<std::string, float> index;
  for (const auto& l : labels) index.emplace(l, static_cast<float>(index.size()));
  std::vector<float> y;
  for (std::size_t i = 0; i < t.rows(); ++i) y.push_back(index[c.cell_text(i)]);
  if (n_classes != nullptr) *n_classes = labels.size();
  return y;
}

Fitted fit(const data::Table& t, const std::string& target, TargetKind kind, PipelineOptions o = {},
           IssueLog* issues = nullptr) {
  Fitted f;
  std::size_t k = 0;
  if (kind == TargetKind::Regression) {
    for (const double v : t.find(target)->values()) f.y.push_back(static_cast<float>(v));
  } else {
    f.y = class_targets(t, target, &k);
  }
  f.pipeline = Pipeline::fit(t, target, {}, TargetView{kind, k, f.y}, o, &f.matrix, issues);
  return f;
}

std::size_t feature_index(const Pipeline& p, const std::string& name) {
  for (std::size_t i = 0; i < p.features().size(); ++i)
    if (p.features()[i].name == name) return i;
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

const StepRecord* record_of(const Pipeline& p, const std::string& column) {
  for (const auto& r : p.records())
    if (r.column == column) return &r;
  return nullptr;
}

}  // namespace

TEST(Features, EachColumnTypeGetsItsStep) {
  std::string csv = "num,flag,color,city,when,note,row_id,const,y\n";
  const char* colors[] = {"red", "green", "blue"};
  for (int i = 0; i < 120; ++i) {
    csv += (i % 17 == 0 ? std::string("") : std::to_string(i * 0.5)) + ",";
    csv += std::string(i % 2 ? "yes" : "no") + ",";
    csv += std::string(colors[i % 3]) + ",";
    csv += "city" + std::to_string(i % 15) + ",";
    csv += "2021-03-" + std::to_string(10 + i % 9) + " 1" + std::to_string(i % 10) + ":30:00,";
    csv += "\"the word " + std::to_string(i) + " and more words here\",";
    csv += std::to_string(1000 + i) + ",k," + std::to_string((i * i) % 7 < 3 ? 1 : 0) + "\n";
  }
  const data::Table t = data::read_csv_text(csv);
  ASSERT_EQ(t.find("row_id")->type(), data::ColumnType::Id);
  IssueLog issues;
  const Fitted f = fit(t, "y", TargetKind::Binary, {}, &issues);
  const Pipeline& p = f.pipeline;
  EXPECT_EQ(record_of(p, "num")->step, "numeric");
  EXPECT_EQ(record_of(p, "flag")->step, "boolean");
  EXPECT_EQ(record_of(p, "color")->step, "one_hot");
  EXPECT_EQ(record_of(p, "city")->step, "target_encoding");
  EXPECT_EQ(record_of(p, "when")->step, "datetime");
  EXPECT_EQ(record_of(p, "note")->step, "text_hash");
  EXPECT_EQ(record_of(p, "row_id")->step, "drop");
  EXPECT_NE(record_of(p, "row_id")->reason.find("identifier"), std::string::npos);
  EXPECT_EQ(record_of(p, "const")->step, "drop");
  EXPECT_NE(record_of(p, "const")->reason.find("constant"), std::string::npos);
  EXPECT_GE(issues.size(), 2u);  // the drops are announced

  // Values: a missing number stays NaN with its indicator set; one-hot; datetime parts.
  const std::size_t num = feature_index(p, "num"), miss = feature_index(p, "num.missing");
  EXPECT_TRUE(std::isnan(f.matrix.at(0, num)));
  EXPECT_EQ(f.matrix.at(0, miss), 1.0f);
  EXPECT_EQ(f.matrix.at(1, num), 0.5f);
  EXPECT_EQ(f.matrix.at(1, miss), 0.0f);
  EXPECT_EQ(f.matrix.at(1, feature_index(p, "flag=yes")), 1.0f);
  EXPECT_EQ(f.matrix.at(2, feature_index(p, "color=blue")), 1.0f);
  EXPECT_EQ(f.matrix.at(2, feature_index(p, "color=red")), 0.0f);
  EXPECT_EQ(f.matrix.at(0, feature_index(p, "when.year")), 2021.0f);
  EXPECT_EQ(f.matrix.at(0, feature_index(p, "when.month")), 3.0f);
  EXPECT_EQ(f.matrix.at(0, feature_index(p, "when.day")), 10.0f);
  EXPECT_EQ(f.matrix.at(0, feature_index(p, "when.dayofweek")), 2.0f);  // 2021-03-10 was a Wednesday
  EXPECT_EQ(f.matrix.at(3, feature_index(p, "when.hour")), 13.0f);
  float words = 0;
  for (std::size_t b = 0; b < 32; ++b) words += f.matrix.at(0, feature_index(p, "note.token_hash" + std::to_string(b)));
  EXPECT_EQ(words, 7.0f);  // "the word 0 and more words here"
  // Provenance maps every feature back to its column.
  const auto by_source = p.features_by_source();
  EXPECT_EQ(by_source.at("color").size(), 3u);
  EXPECT_EQ(by_source.at("city").size(), 2u);  // target + frequency encoding
}

TEST(Features, TargetEncodingIsOutOfFold) {
  // Each category appears twice with opposite labels except 'solo' rows, which are unique: an
  // in-fold encoding would reveal their label exactly; out-of-fold it cannot.
  std::string csv = "cat,y\n";
  for (int i = 0; i < 200; ++i) csv += "solo" + std::to_string(i) + "," + std::to_string(i % 2) + "\n";
  for (int i = 0; i < 40; ++i) csv += "c" + std::to_string(i % 20) + "," + std::to_string(i % 2) + "\n";
  const data::Table t = data::read_csv_text(csv);
  PipelineOptions o;
  o.drop_leaks = false;
  const Fitted f = fit(t, "y", TargetKind::Binary, o);
  const std::size_t te = feature_index(f.pipeline, "cat.target_mean");
  // How far the encodings of the solo rows lean towards their own label: an in-fold encoding
  // would lean by (1 - prior) / (1 + smoothing), about 0.045 here; out-of-fold there is nothing.
  double lean = 0.0;
  for (std::size_t i = 0; i < 200; ++i) lean += (f.matrix.at(i, te) - 0.5) * (f.y[i] == 1.0f ? 1.0 : -1.0);
  lean /= 200.0;
  EXPECT_LT(lean, 0.01) << "in-fold leakage: the encoding tells the row's own label";
  // On new data the full-data encodings are used: a seen 'solo' row now leans to its label.
  const FeatureMatrix m = f.pipeline.transform(t);
  EXPECT_GT(m.at(1, te), 0.5f);
  EXPECT_LT(m.at(0, te), 0.5f);
}

TEST(Features, LeaksAreDroppedWithTheReason) {
  const data::Table t = data::read_csv(test::shared_dataset("credit-g.csv"));
  // Add a leaked copy of the target as a number.
  std::vector<double> leak;
  const data::Column& cls = *t.find("class");
  for (std::size_t i = 0; i < t.rows(); ++i) leak.push_back(cls.cell_text(i) == "good" ? 1.0 + static_cast<double>(i % 3) * 0.01 : -1.0);
  std::vector<data::Column> cols = t.columns();
  cols.push_back(data::Column::numeric("leaky", data::ColumnType::Float, leak));
  const data::Table with_leak(cols);
  const Fitted f = fit(with_leak, "class", TargetKind::Binary);
  const StepRecord* r = record_of(f.pipeline, "leaky");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->step, "drop");
  EXPECT_NE(r->reason.find("suspected leak"), std::string::npos) << r->reason;
  // Nothing in the real credit-g data is a leak.
  for (const auto& rec : f.pipeline.records())
    if (rec.column != "leaky") {
      EXPECT_NE(rec.step, "drop") << rec.column << ": " << rec.reason;
    }
}

TEST(Features, NewDataWithUnseenCategoriesAndDifferentTyping) {
  const data::Table train = data::read_csv_text("c,n,y\na,1,1\nb,2,0\na,3,1\nb,4,0\na,5,1\n");
  const Fitted f = fit(train, "y", TargetKind::Binary);
  // New data: an unseen category, a missing one, and 'n' now holds text.
  const data::Table fresh = data::read_csv_text("c,n,y\nzzz,7,1\n,x,0\n");
  const FeatureMatrix m = f.pipeline.transform(fresh);
  ASSERT_EQ(m.rows, 2u);
  EXPECT_EQ(m.at(0, feature_index(f.pipeline, "c=a")), 0.0f);
  EXPECT_EQ(m.at(0, feature_index(f.pipeline, "c=b")), 0.0f);
  EXPECT_EQ(m.at(0, feature_index(f.pipeline, "n")), 7.0f);
  EXPECT_TRUE(std::isnan(m.at(1, feature_index(f.pipeline, "n"))));
  const data::Table missing_col = data::read_csv_text("c,y\na,1\n");
  try {
    f.pipeline.transform(missing_col);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("column 'n' that the model uses is missing"), std::string::npos);
  }
}

TEST(Features, JsonRoundTripGivesIdenticalMatrices) {
  const data::Table t = data::read_csv(test::shared_dataset("mpls-stops.csv"));
  std::vector<std::size_t> rows;
  std::vector<float> y;
  const data::Column& target = *t.find("personSearch");
  for (std::size_t i = 0; i < t.rows(); i += 7) {
    rows.push_back(i);
    y.push_back(target.cell_text(i) == "YES" ? 1.0f : 0.0f);
  }
  PipelineOptions o;
  o.scale = true;
  o.impute = true;
  o.generated = true;
  o.max_one_hot = 5;
  FeatureMatrix train;
  const Pipeline p = Pipeline::fit(t, "personSearch", rows, TargetView{TargetKind::Binary, 2, y}, o, &train);
  const Pipeline q = Pipeline::from_json(nlohmann::json::parse(p.to_json().dump()));
  ASSERT_EQ(q.features().size(), p.features().size());
  const FeatureMatrix a = p.transform(t), b = q.transform(t);
  ASSERT_EQ(a.values.size(), b.values.size());
  for (std::size_t i = 0; i < a.values.size(); ++i)
    if (!(std::isnan(a.values[i]) && std::isnan(b.values[i]))) {
      ASSERT_EQ(a.values[i], b.values[i]) << i;
    }
  // Scaled training columns have mean ~0.
  for (std::size_t c = 0; c < train.cols; ++c) {
    double s = 0;
    for (std::size_t r = 0; r < train.rows; ++r) s += train.at(r, c);
    EXPECT_NEAR(s / static_cast<double>(train.rows), 0.0, 1e-3) << p.features()[c].name;
  }
  // Generated features name both sources.
  bool generated = false;
  for (const auto& fi : p.features())
    if (fi.step == "generated_ratio") generated = fi.sources.size() == 2;
  EXPECT_TRUE(generated);
  EXPECT_THROW(Pipeline::from_json(nlohmann::json{{"format", "other"}}), Error);
  nlohmann::json newer = p.to_json();
  newer["version"] = 99;
  EXPECT_THROW(Pipeline::from_json(newer), Error);
}

TEST(Features, MulticlassTargetEncodingHasOneColumnPerClass) {
  const data::Table t = data::read_csv(test::shared_dataset("flights-20k.csv"));
  // Use origin (high cardinality) to predict a 3-class bucket of the delay.
  std::vector<float> y;
  for (const double d : t.find("delay")->values()) y.push_back(d < 0 ? 0.0f : (d < 15 ? 1.0f : 2.0f));
  PipelineOptions o;
  o.exclude = {"delay"};
  FeatureMatrix m;
  const Pipeline p = Pipeline::fit(t, "delay", {}, TargetView{TargetKind::Multiclass, 3, y}, o, &m);
  EXPECT_EQ(p.features_by_source().at("origin").size(), 4u);  // 3 class shares + frequency
  for (std::size_t r = 0; r < 50; ++r) {
    float sum = 0;
    for (int k = 0; k < 3; ++k) sum += m.at(r, feature_index(p, "origin.target_p" + std::to_string(k)));
    EXPECT_NEAR(sum, 1.0f, 1e-4f);
  }
}

TEST(Features, NothingLeftIsBadInput) {
  const data::Table t = data::read_csv_text("k,y\n1,0\n1,1\n1,0\n");
  std::vector<float> y = {0, 1, 0};
  EXPECT_THROW(Pipeline::fit(t, "y", {}, TargetView{TargetKind::Binary, 2, y}, {}, nullptr), Error);
}

// The high-cardinality encodings a search can choose: target and frequency, target alone,
// frequency alone; each records its choice.
TEST(Features, HighCardinalityEncodingChoices) {
  std::string csv = "cat,x,y\n";
  for (int i = 0; i < 300; ++i) csv += "c" + std::to_string(i % 25) + "," + std::to_string(i % 11) + "," + std::to_string(i % 25 < 8 ? 1 : 0) + "\n";
  const data::Table t = data::read_csv_text(csv);
  auto names = [](const Pipeline& p) {
    std::set<std::string> s;
    for (const auto& f : p.features()) s.insert(f.name);
    return s;
  };
  PipelineOptions o;
  o.drop_leaks = false;
  const Fitted both = fit(t, "y", TargetKind::Binary, o);
  EXPECT_EQ(names(both.pipeline), (std::set<std::string>{"cat.target_mean", "cat.frequency", "x"}));
  EXPECT_EQ(record_of(both.pipeline, "cat")->step, "target_encoding");
  o.high_cardinality = HighCardinality::Target;
  const Fitted target = fit(t, "y", TargetKind::Binary, o);
  EXPECT_EQ(names(target.pipeline), (std::set<std::string>{"cat.target_mean", "x"}));
  EXPECT_NE(record_of(target.pipeline, "cat")->reason.find("frequency encoding not chosen"), std::string::npos);
  o.high_cardinality = HighCardinality::Frequency;
  const Fitted freq = fit(t, "y", TargetKind::Binary, o);
  EXPECT_EQ(names(freq.pipeline), (std::set<std::string>{"cat.frequency", "x"}));
  EXPECT_EQ(record_of(freq.pipeline, "cat")->step, "frequency_encoding");
  // The frequency column equals the category's share of the rows (12 of 300 each).
  const std::size_t fq = feature_index(freq.pipeline, "cat.frequency");
  EXPECT_FLOAT_EQ(freq.matrix.at(0, fq), 12.0f / 300.0f);
  // Round trip of the frequency-only pipeline.
  const Pipeline q = Pipeline::from_json(nlohmann::json::parse(freq.pipeline.to_json().dump()));
  EXPECT_EQ(q.transform(t).values, freq.pipeline.transform(t).values);
}

// Robust scaling: median 0, IQR/1.349 unit, clipped; its clip travels in the JSON (version 2,
// a version-1 document has none); standard scaling still writes version 1.
TEST(Features, RobustScalingIsMedianIqrAndClipped) {
  std::string csv = "x,flag,y\n";
  for (int i = 0; i < 200; ++i) {
    const double x = i == 199 ? 1e6 : static_cast<double>(i % 100);  // one huge outlier
    csv += std::to_string(x) + "," + (i % 50 == 0 ? "a" : "b") + "," + std::to_string(i % 3) + ".5\n";
  }
  const data::Table t = data::read_csv_text(csv);
  PipelineOptions o;
  o.scale = true;
  o.impute = true;
  o.robust_scale = true;
  const Fitted r = fit(t, "y", TargetKind::Regression, o);
  const std::size_t x = feature_index(r.pipeline, "x");
  // x takes 0..99 twice (one 99 replaced by 1e6); ranks floor(q * 199) of the sorted values:
  // median 49, quartiles 24 and 74, so IQR 50.
  EXPECT_NEAR(r.matrix.at(49, x), 0.0, 1e-6);
  EXPECT_NEAR(r.matrix.at(0, x), (0.0 - 49.0) / (50.0 / 1.349), 1e-4);
  EXPECT_FLOAT_EQ(r.matrix.at(199, x), 5.0f);  // the outlier clipped at +5
  EXPECT_NE(r.pipeline.records().back().reason.find("robustly"), std::string::npos);
  const nlohmann::json j = r.pipeline.to_json();
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["clip"], 5.0);
  const Pipeline q = Pipeline::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(q.transform(t).values, r.pipeline.transform(t).values);
  // Standard scaling: version 1, no clip, the outlier unclipped.
  o.robust_scale = false;
  const Fitted s = fit(t, "y", TargetKind::Regression, o);
  EXPECT_EQ(s.pipeline.to_json()["version"], 1);
  EXPECT_FALSE(s.pipeline.to_json().contains("clip"));
  EXPECT_GT(s.matrix.at(199, feature_index(s.pipeline, "x")), 10.0f);
}

// What the data offers the feature-step choices.
TEST(Features, DescribeDataFindsTheTraits) {
  const data::Table a = data::read_csv_text("n,m,cat,y\n1,,a,0\n2,3,b,1\n3,4,c,0\n4,5,d,1\n");
  PipelineOptions o;
  o.max_one_hot = 3;
  DataTraits d = describe_data(a, "y", {}, o);
  EXPECT_TRUE(d.high_cardinality);
  EXPECT_TRUE(d.missing_numbers);
  EXPECT_EQ(d.numeric, 2u);
  // Rows 1..3 only: no missing number; the target and excluded columns do not count.
  const std::vector<std::size_t> rows{1, 2, 3};
  o.exclude = {"cat"};
  d = describe_data(a, "y", rows, o);
  EXPECT_FALSE(d.high_cardinality);
  EXPECT_FALSE(d.missing_numbers);
  EXPECT_EQ(d.numeric, 2u);
  d = describe_data(a, "n", rows, PipelineOptions{});
  EXPECT_EQ(d.numeric, 2u);  // m and y
  EXPECT_FALSE(d.high_cardinality);  // 3 categories (b, c, d) <= 10
}
