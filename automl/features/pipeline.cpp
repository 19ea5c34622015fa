#include "automl/features/pipeline.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <set>
#include <unordered_map>

#include "automl/common/error.hpp"

namespace glasswing::features {

using nlohmann::json;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int kFormatVersion = 2;  // 2: the robust scaler's clip

// ---- Reading a column whatever its storage (new data may be typed differently) -------------

const data::Column& column_of(const data::Table& table, const std::string& name) {
  const data::Column* c = table.find(name);
  if (c == nullptr)
    throw Error(ErrorKind::BadInput, "column '" + name + "' that the model uses is missing from the data; "
                                     "give a file with the same columns as the training data");
  return *c;
}

// The numeric value of every row; text cells that do not read as numbers are NaN.
class NumericReader {
 public:
  explicit NumericReader(const data::Column& c) : column_(c) {
    if (!c.is_numeric()) {
      parsed_.resize(c.categories().size());
      for (std::size_t i = 0; i < parsed_.size(); ++i) {
        const std::string& s = c.categories()[i];
        double v = 0.0;
        const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
        parsed_[i] = res.ec == std::errc() && res.ptr == s.data() + s.size() ? v : NAN;
      }
    }
  }
  double operator()(std::size_t row) const {
    if (column_.is_numeric()) return column_.values()[row];
    const auto code = column_.codes()[row];
    return code < 0 ? NAN : parsed_[static_cast<std::size_t>(code)];
  }

 private:
  const data::Column& column_;
  std::vector<double> parsed_;
};

// The category text of every row (numbers formatted as cell_text does); -1 = missing.
class CategoryReader {
 public:
  // Maps each distinct text to an index in `vocabulary` (-2 when unseen, -1 when missing).
  CategoryReader(const data::Column& c, const std::unordered_map<std::string, int>& vocabulary) : column_(c) {
    if (!c.is_numeric()) {
      map_.resize(c.categories().size());
      for (std::size_t i = 0; i < map_.size(); ++i) {
        const auto it = vocabulary.find(c.categories()[i]);
        map_[i] = it == vocabulary.end() ? -2 : it->second;
      }
    } else {
      vocabulary_ = &vocabulary;
    }
  }
  int operator()(std::size_t row) const {
    if (!column_.is_numeric()) {
      const auto code = column_.codes()[row];
      return code < 0 ? -1 : map_[static_cast<std::size_t>(code)];
    }
    if (column_.is_missing(row)) return -1;
    const auto it = vocabulary_->find(column_.cell_text(row));
    return it == vocabulary_->end() ? -2 : it->second;
  }

 private:
  const data::Column& column_;
  std::vector<int> map_;
  const std::unordered_map<std::string, int>* vocabulary_ = nullptr;
};

std::vector<std::size_t> all_rows(const data::Table& t, std::span<const std::size_t> rows) {
  if (!rows.empty()) return {rows.begin(), rows.end()};
  std::vector<std::size_t> out(t.rows());
  std::iota(out.begin(), out.end(), std::size_t{0});
  return out;
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// ---- Steps ---------------------------------------------------------------------------------

struct Step {
  virtual ~Step() = default;
  virtual std::string kind() const = 0;
  virtual std::string column() const = 0;
  virtual std::vector<FeatureInfo> outputs() const = 0;
  // Writes outputs().size() values per row at out[i * stride + offset + k].
  virtual void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                         std::size_t offset) const = 0;
  // The training matrix; differs from transform() only for out-of-fold encodings.
  virtual void fit_transform(const data::Table& t, const std::vector<std::size_t>& rows, const TargetView&,
                             float* out, std::size_t stride, std::size_t offset) const {
    transform(t, rows, out, stride, offset);
  }
  virtual json params() const = 0;
};

struct NumericStep : Step {
  std::string name;
  double fill = 0.0;   // median of the training values
  bool impute = false;
  bool indicator = false;

  std::string kind() const override { return "numeric"; }
  std::string column() const override { return name; }
  std::vector<FeatureInfo> outputs() const override {
    std::vector<FeatureInfo> o{{name, {name}, kind()}};
    if (indicator) o.push_back({name + ".missing", {name}, "missing_indicator"});
    return o;
  }
  void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                 std::size_t offset) const override {
    const NumericReader read(column_of(t, name));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double v = read(rows[i]);
      const bool missing = std::isnan(v);
      out[i * stride + offset] = missing ? (impute ? static_cast<float>(fill) : kNaN) : static_cast<float>(v);
      if (indicator) out[i * stride + offset + 1] = missing ? 1.0f : 0.0f;
    }
  }
  json params() const override { return {{"fill", fill}, {"impute", impute}, {"indicator", indicator}}; }
};

struct BooleanStep : Step {
  std::string name;
  std::string true_value;  // the category that maps to 1
  bool impute = false;
  double fill = 0.0;

  std::string kind() const override { return "boolean"; }
  std::string column() const override { return name; }
  std::vector<FeatureInfo> outputs() const override { return {{name + "=" + true_value, {name}, kind()}}; }
  void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                 std::size_t offset) const override {
    const std::unordered_map<std::string, int> vocab = {{true_value, 1}};
    const CategoryReader read(column_of(t, name), vocab);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const int v = read(rows[i]);
      out[i * stride + offset] = v == -1 ? (impute ? static_cast<float>(fill) : kNaN) : (v == 1 ? 1.0f : 0.0f);
    }
  }
  json params() const override { return {{"true_value", true_value}, {"impute", impute}, {"fill", fill}}; }
};

struct OneHotStep : Step {
  std::string name;
  std::vector<std::string> categories;
  bool missing_column = false;  // training rows had missing values: one more column for them

  std::string kind() const override { return "one_hot"; }
  std::string column() const override { return name; }
  std::vector<FeatureInfo> outputs() const override {
    std::vector<FeatureInfo> o;
    for (const auto& c : categories) o.push_back({name + "=" + c, {name}, kind()});
    if (missing_column) o.push_back({name + "=<missing>", {name}, kind()});
    return o;
  }
  void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                 std::size_t offset) const override {
    std::unordered_map<std::string, int> vocab;
    for (std::size_t i = 0; i < categories.size(); ++i) vocab[categories[i]] = static_cast<int>(i);
    const CategoryReader read(column_of(t, name), vocab);
    const std::size_t width = categories.size() + (missing_column ? 1 : 0);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      float* row = out + i * stride + offset;
      std::fill(row, row + width, 0.0f);
      const int v = read(rows[i]);
      if (v >= 0) row[v] = 1.0f;
      else if (v == -1 && missing_column) row[categories.size()] = 1.0f;
      // unseen categories (-2) are all zeros
    }
  }
  json params() const override { return {{"categories", categories}, {"missing_column", missing_column}}; }
};

// Smoothed mean of the target per category (one column per class for multiclass), learned
// out-of-fold for the training rows.
struct TargetEncodingStep : Step {
  std::string name;
  std::size_t outputs_n = 1;               // 1, or the number of classes for multiclass
  std::vector<std::string> categories;
  std::vector<std::vector<double>> enc;    // per category, outputs_n values
  std::vector<double> prior;               // outputs_n values: for unseen and missing
  std::size_t folds = 5;
  double smoothing = 10.0;
  std::uint64_t seed = 0;

  std::string kind() const override { return "target_encoding"; }
  std::string column() const override { return name; }
  std::vector<FeatureInfo> outputs() const override {
    std::vector<FeatureInfo> o;
    if (outputs_n == 1) {
      o.push_back({name + ".target_mean", {name}, kind()});
    } else {
      for (std::size_t k = 0; k < outputs_n; ++k) o.push_back({name + ".target_p" + std::to_string(k), {name}, kind()});
    }
    return o;
  }
  static std::vector<double> target_row(const TargetView& y, std::size_t i, std::size_t n_out) {
    std::vector<double> v(n_out, 0.0);
    if (y.kind == TargetKind::Multiclass) v[static_cast<std::size_t>(y.y[i])] = 1.0;
    else v[0] = y.y[i];
    return v;
  }
  // Encodings from the rows whose positions in `rows` are in `use` (positions into y too).
  void learn(const std::vector<int>& codes, const TargetView& y, const std::vector<std::size_t>& use,
             std::vector<std::vector<double>>& out_enc, std::vector<double>& out_prior) const {
    std::vector<std::vector<double>> sum(categories.size(), std::vector<double>(outputs_n, 0.0));
    std::vector<double> count(categories.size(), 0.0);
    out_prior.assign(outputs_n, 0.0);
    for (const auto p : use) {
      const auto v = target_row(y, p, outputs_n);
      for (std::size_t k = 0; k < outputs_n; ++k) out_prior[k] += v[k];
      if (codes[p] >= 0) {
        for (std::size_t k = 0; k < outputs_n; ++k) sum[static_cast<std::size_t>(codes[p])][k] += v[k];
        count[static_cast<std::size_t>(codes[p])] += 1.0;
      }
    }
    for (auto& v : out_prior) v /= std::max<double>(1.0, static_cast<double>(use.size()));
    out_enc.assign(categories.size(), std::vector<double>(outputs_n, 0.0));
    for (std::size_t c = 0; c < categories.size(); ++c)
      for (std::size_t k = 0; k < outputs_n; ++k)
        out_enc[c][k] = (sum[c][k] + smoothing * out_prior[k]) / (count[c] + smoothing);
  }
  std::vector<int> codes_of(const data::Table& t, const std::vector<std::size_t>& rows) const {
    std::unordered_map<std::string, int> vocab;
    for (std::size_t i = 0; i < categories.size(); ++i) vocab[categories[i]] = static_cast<int>(i);
    const CategoryReader read(column_of(t, name), vocab);
    std::vector<int> codes(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) codes[i] = read(rows[i]);
    return codes;
  }
  void fit(const data::Table& t, const std::vector<std::size_t>& rows, const TargetView& y) {
    std::vector<std::size_t> use(rows.size());
    std::iota(use.begin(), use.end(), std::size_t{0});
    learn(codes_of(t, rows), y, use, enc, prior);
  }
  void write(const std::vector<int>& codes, const std::vector<std::vector<double>>& e, const std::vector<double>& p,
             std::size_t i, float* out, std::size_t stride, std::size_t offset) const {
    const auto& v = codes[i] >= 0 ? e[static_cast<std::size_t>(codes[i])] : p;
    for (std::size_t k = 0; k < outputs_n; ++k) out[i * stride + offset + k] = static_cast<float>(v[k]);
  }
  void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                 std::size_t offset) const override {
    const auto codes = codes_of(t, rows);
    for (std::size_t i = 0; i < rows.size(); ++i) write(codes, enc, prior, i, out, stride, offset);
  }
  void fit_transform(const data::Table& t, const std::vector<std::size_t>& rows, const TargetView& y, float* out,
                     std::size_t stride, std::size_t offset) const override {
    const auto codes = codes_of(t, rows);
    const std::size_t k = std::min<std::size_t>(std::max<std::size_t>(2, folds), rows.size());
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::size_t> fold_of(rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) fold_of[order[i]] = i % k;
    for (std::size_t f = 0; f < k; ++f) {
      std::vector<std::size_t> use;
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (fold_of[i] != f) use.push_back(i);
      std::vector<std::vector<double>> e;
      std::vector<double> p;
      learn(codes, y, use, e, p);
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (fold_of[i] == f) write(codes, e, p, i, out, stride, offset);
    }
  }
  json params() const override {
    return {{"categories", categories}, {"encodings", enc},     {"prior", prior},     {"outputs", outputs_n},
            {"folds", folds},           {"smoothing", smoothing}, {"seed", seed}};
  }
};

struct FrequencyStep : Step {
  std::string name;
  std::vector<std::string> categories;
  std::vector<double> share;  // share of training rows per category; unseen and missing: 0

  std::string kind() const override { return "frequency_encoding"; }
  std::string column() const override { return name; }
  std::vector<FeatureInfo> outputs() const override { return {{name + ".frequency", {name}, kind()}}; }
  void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                 std::size_t offset) const override {
    std::unordered_map<std::string, int> vocab;
    for (std::size_t i = 0; i < categories.size(); ++i) vocab[categories[i]] = static_cast<int>(i);
    const CategoryReader read(column_of(t, name), vocab);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const int v = read(rows[i]);
      out[i * stride + offset] = v >= 0 ? static_cast<float>(share[static_cast<std::size_t>(v)]) : 0.0f;
    }
  }
  json params() const override { return {{"categories", categories}, {"share", share}}; }
};

struct DatetimeStep : Step {
  std::string name;
  bool hour = false;

  std::string kind() const override { return "datetime"; }
  std::string column() const override { return name; }
  std::vector<FeatureInfo> outputs() const override {
    std::vector<FeatureInfo> o;
    for (const char* part : {"year", "month", "day", "dayofweek"}) o.push_back({name + "." + part, {name}, kind()});
    if (hour) o.push_back({name + ".hour", {name}, kind()});
    o.push_back({name + ".days", {name}, kind()});
    return o;
  }
  void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                 std::size_t offset) const override {
    const data::Column& c = column_of(t, name);
    const std::size_t width = hour ? 6 : 5;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      float* row = out + i * stride + offset;
      const double s = c.is_numeric() && (c.type() == data::ColumnType::Datetime || c.type() == data::ColumnType::Date)
                           ? c.values()[rows[i]]
                           : NAN;
      if (std::isnan(s)) {
        std::fill(row, row + width, kNaN);
        continue;
      }
      const auto days = static_cast<long long>(std::floor(s / 86400.0));
      // Civil date from days since the epoch (H. Hinnant's public-domain derivation).
      long long z = days + 719468;
      const long long era = (z >= 0 ? z : z - 146096) / 146097;
      const auto doe = static_cast<unsigned>(z - era * 146097);
      const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
      const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
      const unsigned mp = (5 * doy + 2) / 153;
      const unsigned d = doy - (153 * mp + 2) / 5 + 1;
      const unsigned m = mp < 10 ? mp + 3 : mp - 9;
      const long long y = static_cast<long long>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
      std::size_t k = 0;
      row[k++] = static_cast<float>(y);
      row[k++] = static_cast<float>(m);
      row[k++] = static_cast<float>(d);
      row[k++] = static_cast<float>(((days % 7) + 7 + 3) % 7);  // Monday = 0, as pandas
      if (hour) row[k++] = static_cast<float>(std::floor((s - static_cast<double>(days) * 86400.0) / 3600.0));
      row[k++] = static_cast<float>(s / 86400.0);
    }
  }
  json params() const override { return {{"hour", hour}}; }
};

struct TextHashStep : Step {
  std::string name;
  std::size_t buckets = 32;

  std::string kind() const override { return "text_hash"; }
  std::string column() const override { return name; }
  std::vector<FeatureInfo> outputs() const override {
    std::vector<FeatureInfo> o;
    for (std::size_t b = 0; b < buckets; ++b) o.push_back({name + ".token_hash" + std::to_string(b), {name}, kind()});
    return o;
  }
  static std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (const char ch : s) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
    return h;
  }
  void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                 std::size_t offset) const override {
    const data::Column& c = column_of(t, name);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      float* row = out + i * stride + offset;
      std::fill(row, row + buckets, 0.0f);
      if (c.is_missing(rows[i])) continue;
      const std::string text = lower(c.cell_text(rows[i]));
      std::size_t start = 0;
      for (std::size_t k = 0; k <= text.size(); ++k) {
        const bool word = k < text.size() && (std::isalnum(static_cast<unsigned char>(text[k])) != 0 ||
                                              static_cast<unsigned char>(text[k]) >= 0x80);
        if (!word) {
          if (k > start) row[fnv1a(std::string_view(text).substr(start, k - start)) % buckets] += 1.0f;
          start = k + 1;
        }
      }
    }
  }
  json params() const override { return {{"buckets", buckets}}; }
};

// a / b or a - b of two numeric input columns.
struct GeneratedStep : Step {
  std::string a, b;
  char op = '/';

  std::string kind() const override { return op == '/' ? "generated_ratio" : "generated_difference"; }
  std::string column() const override { return a; }
  std::vector<FeatureInfo> outputs() const override { return {{a + op + b, {a, b}, kind()}}; }
  void transform(const data::Table& t, const std::vector<std::size_t>& rows, float* out, std::size_t stride,
                 std::size_t offset) const override {
    const NumericReader ra(column_of(t, a)), rb(column_of(t, b));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const double x = ra(rows[i]), y = rb(rows[i]);
      double v = op == '/' ? (y == 0.0 ? NAN : x / y) : x - y;
      if (!std::isfinite(v)) v = NAN;
      out[i * stride + offset] = static_cast<float>(v);
    }
  }
  json params() const override { return {{"b", b}, {"op", std::string(1, op)}}; }
};

std::unique_ptr<Step> step_from_json(const json& j) {
  const std::string kind = j.at("kind");
  const std::string col = j.at("column");
  const json& p = j.at("params");
  if (kind == "numeric") {
    auto s = std::make_unique<NumericStep>();
    s->name = col, s->fill = p.at("fill"), s->impute = p.at("impute"), s->indicator = p.at("indicator");
    return s;
  }
  if (kind == "boolean") {
    auto s = std::make_unique<BooleanStep>();
    s->name = col, s->true_value = p.at("true_value"), s->impute = p.at("impute"), s->fill = p.at("fill");
    return s;
  }
  if (kind == "one_hot") {
    auto s = std::make_unique<OneHotStep>();
    s->name = col, s->categories = p.at("categories").get<std::vector<std::string>>(), s->missing_column = p.at("missing_column");
    return s;
  }
  if (kind == "target_encoding") {
    auto s = std::make_unique<TargetEncodingStep>();
    s->name = col;
    s->categories = p.at("categories").get<std::vector<std::string>>();
    s->enc = p.at("encodings").get<std::vector<std::vector<double>>>();
    s->prior = p.at("prior").get<std::vector<double>>();
    s->outputs_n = p.at("outputs"), s->folds = p.at("folds"), s->smoothing = p.at("smoothing"), s->seed = p.at("seed");
    return s;
  }
  if (kind == "frequency_encoding") {
    auto s = std::make_unique<FrequencyStep>();
    s->name = col, s->categories = p.at("categories").get<std::vector<std::string>>(), s->share = p.at("share").get<std::vector<double>>();
    return s;
  }
  if (kind == "datetime") {
    auto s = std::make_unique<DatetimeStep>();
    s->name = col, s->hour = p.at("hour");
    return s;
  }
  if (kind == "text_hash") {
    auto s = std::make_unique<TextHashStep>();
    s->name = col, s->buckets = p.at("buckets");
    return s;
  }
  if (kind == "generated_ratio" || kind == "generated_difference") {
    auto s = std::make_unique<GeneratedStep>();
    s->a = col, s->b = p.at("b"), s->op = p.at("op").get<std::string>().at(0);
    return s;
  }
  throw Error(ErrorKind::BadInput, "unknown feature step '" + kind + "' in a saved pipeline; the file comes from a newer Glasswing");
}

// ---- Column analysis for fit ----------------------------------------------------------------

struct Counts {
  std::vector<std::string> categories;  // by descending count (ties: first seen)
  std::vector<std::size_t> count;
  std::size_t missing = 0;
};

Counts count_categories(const data::Column& c, const std::vector<std::size_t>& rows) {
  Counts out;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::size_t> by_code;
  if (!c.is_numeric()) by_code.assign(c.categories().size(), 0);
  std::vector<std::string> order;
  std::vector<std::size_t> counts;
  for (const auto r : rows) {
    if (c.is_missing(r)) {
      ++out.missing;
      continue;
    }
    if (!c.is_numeric()) {
      ++by_code[static_cast<std::size_t>(c.codes()[r])];
      continue;
    }
    const std::string s = c.cell_text(r);
    const auto [it, inserted] = index.emplace(s, order.size());
    if (inserted) {
      order.push_back(s);
      counts.push_back(0);
    }
    ++counts[it->second];
  }
  if (!c.is_numeric()) {
    for (std::size_t i = 0; i < by_code.size(); ++i)
      if (by_code[i] > 0) {
        order.push_back(c.categories()[i]);
        counts.push_back(by_code[i]);
      }
  }
  std::vector<std::size_t> idx(order.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t x, std::size_t y) { return counts[x] > counts[y]; });
  for (const auto i : idx) {
    out.categories.push_back(order[i]);
    out.count.push_back(counts[i]);
  }
  return out;
}

// Rank AUC of a score for a binary target (ignoring NaN scores); 0.5 when undefined.
double single_feature_auc(const std::vector<double>& score, const TargetView& y) {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < score.size(); ++i)
    if (!std::isnan(score[i])) idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double rank_sum = 0.0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j < idx.size() && score[idx[j]] == score[idx[i]]) ++j;
    const double avg = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (y.y[idx[k]] > 0.5f) {
        rank_sum += avg;
        ++pos;
      }
    i = j;
  }
  const std::size_t neg = idx.size() - pos;
  if (pos == 0 || neg == 0) return 0.5;
  const double p = static_cast<double>(pos);
  return (rank_sum - p * (p + 1.0) / 2.0) / (p * static_cast<double>(neg));
}

double abs_correlation(const std::vector<double>& x, const TargetView& y) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) continue;
    const double a = x[i], b = y.y[i];
    sx += a, sy += b, sxx += a * a, syy += b * b, sxy += a * b;
    ++n;
  }
  if (n < 3) return 0.0;
  const double dn = static_cast<double>(n);
  const double cov = sxy / dn - sx / dn * sy / dn;
  const double vx = sxx / dn - sx / dn * sx / dn, vy = syy / dn - sy / dn * sy / dn;
  if (vx <= 0 || vy <= 0) return 0.0;
  return std::fabs(cov / std::sqrt(vx * vy));
}

// How well one numeric column alone predicts the target: |AUC - 0.5| * 2 (binary) or |r|.
double numeric_strength(const std::vector<double>& x, const TargetView& y) {
  if (y.kind == TargetKind::Binary) return std::fabs(single_feature_auc(x, y) - 0.5) * 2.0;
  if (y.kind == TargetKind::Regression) return abs_correlation(x, y);
  return 0.0;
}

}  // namespace

// ---- Pipeline ---------------------------------------------------------------------------------

DataTraits describe_data(const data::Table& table, const std::string& target, std::span<const std::size_t> rows_in,
                         const PipelineOptions& o) {
  const auto rows = all_rows(table, rows_in);
  DataTraits d;
  for (const auto& col : table.columns()) {
    if (col.name() == target || o.exclude.count(col.name()) > 0) continue;
    const data::ColumnType type = col.type();
    if (type == data::ColumnType::Integer || type == data::ColumnType::Float) {
      ++d.numeric;
      if (!d.missing_numbers)
        for (const auto r : rows)
          if (col.is_missing(r)) {
            d.missing_numbers = true;
            break;
          }
    } else if (type == data::ColumnType::Categorical && !d.high_cardinality) {
      d.high_cardinality = count_categories(col, rows).categories.size() > o.max_one_hot;
    }
  }
  return d;
}

struct Pipeline::Impl {
  std::string target;
  std::vector<std::unique_ptr<Step>> steps;
  std::vector<FeatureInfo> features;
  std::vector<StepRecord> records;
  bool scale = false;
  std::vector<double> mean, scale_by;  // per output column, when scale: (v - mean) / scale_by
  double clip = 0;                     // when > 0, scaled values are clipped to [-clip, clip]

  float scaled(float v, std::size_t c) const {
    double z = (static_cast<double>(v) - mean[c]) / scale_by[c];
    if (clip > 0) z = std::clamp(z, -clip, clip);
    return static_cast<float>(z);
  }

  void rebuild_features() {
    features.clear();
    for (const auto& s : steps)
      for (auto& f : s->outputs()) features.push_back(std::move(f));
  }

  FeatureMatrix run(const data::Table& t, std::span<const std::size_t> rows_in, const TargetView* y) const {
    const auto rows = all_rows(t, rows_in);
    FeatureMatrix m;
    m.rows = rows.size();
    m.cols = features.size();
    m.values.assign(m.rows * m.cols, 0.0f);
    std::size_t offset = 0;
    for (const auto& s : steps) {
      if (y != nullptr)
        s->fit_transform(t, rows, *y, m.values.data(), m.cols, offset);
      else
        s->transform(t, rows, m.values.data(), m.cols, offset);
      offset += s->outputs().size();
    }
    if (scale)
      for (std::size_t i = 0; i < m.rows; ++i)
        for (std::size_t c = 0; c < m.cols; ++c) {
          float& v = m.values[i * m.cols + c];
          if (!std::isnan(v)) v = scaled(v, c);
        }
    return m;
  }
};

Pipeline::Pipeline() : impl_(std::make_unique<Impl>()) {}
Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;

const std::vector<FeatureInfo>& Pipeline::features() const { return impl_->features; }
const std::vector<StepRecord>& Pipeline::records() const { return impl_->records; }

std::map<std::string, std::vector<std::size_t>> Pipeline::features_by_source() const {
  std::map<std::string, std::vector<std::size_t>> out;
  for (std::size_t i = 0; i < impl_->features.size(); ++i)
    for (const auto& s : impl_->features[i].sources) out[s].push_back(i);
  return out;
}

Pipeline Pipeline::fit(const data::Table& table, const std::string& target, std::span<const std::size_t> rows_in,
                       const TargetView& y, const PipelineOptions& o, FeatureMatrix* train_matrix, IssueLog* issues) {
  const auto rows = all_rows(table, rows_in);
  if (y.y.size() != rows.size())
    throw Error(ErrorKind::Internal, "feature pipeline: " + std::to_string(y.y.size()) + " targets for " +
                                         std::to_string(rows.size()) + " rows");
  if (rows.empty()) throw Error(ErrorKind::BadInput, "no training rows to learn features from");
  Pipeline p;
  Impl& im = *p.impl_;
  im.target = target;
  im.scale = o.scale;
  const auto record = [&](const std::string& col, const std::string& step, const std::string& reason, bool notice) {
    im.records.push_back({col, step, reason});
    if (notice && issues != nullptr) issues->add(Severity::Info, "features", "column '" + col + "' " + reason);
  };

  std::vector<std::pair<double, std::string>> numeric_strengths;
  for (const auto& col : table.columns()) {
    const std::string& name = col.name();
    if (name == target) continue;
    if (o.exclude.count(name)) {
      record(name, "drop", "excluded by the user", false);
      continue;
    }
    const Counts counts = count_categories(col, rows);
    const std::size_t present = rows.size() - counts.missing;
    if (present == 0) {
      record(name, "drop", "dropped: every training value is missing", true);
      continue;
    }
    if (counts.categories.size() == 1) {
      record(name, "drop", "dropped: constant (the single value '" + counts.categories[0] + "')", true);
      continue;
    }
    const data::ColumnType type = col.type();
    if (type == data::ColumnType::Id) {
      record(name, "drop", "dropped: an identifier (" + col.type_reason() + "); it cannot generalise", true);
      continue;
    }

    // Leak check: does this column alone predict the target almost perfectly?
    if (o.drop_leaks && y.kind != TargetKind::Multiclass && present >= 30) {
      std::vector<double> x(rows.size());
      if (col.is_numeric() && type != data::ColumnType::Datetime && type != data::ColumnType::Date) {
        const NumericReader read(col);
        for (std::size_t i = 0; i < rows.size(); ++i) x[i] = read(rows[i]);
        const double strength = numeric_strength(x, y);
        if (strength >= 0.998) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.4f", y.kind == TargetKind::Binary ? 0.5 + strength / 2.0 : strength);
          record(name, "drop", std::string("dropped: suspected leak: alone it predicts the target almost perfectly (") +
                                   (y.kind == TargetKind::Binary ? "AUC " : "|correlation| ") + buf +
                                   "); exclude it from the run if that is intended, or check how it was recorded",
                 true);
          continue;
        }
        numeric_strengths.emplace_back(strength, name);
      } else if (!col.is_numeric() && counts.categories.size() * 2 <= present) {
        // Purity: share of rows whose category alone determines the class / value.
        std::unordered_map<std::string, int> vocab;
        for (std::size_t i = 0; i < counts.categories.size(); ++i) vocab[counts.categories[i]] = static_cast<int>(i);
        const CategoryReader read(col, vocab);
        std::vector<std::map<float, std::size_t>> per(counts.categories.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
          const int c = read(rows[i]);
          if (c >= 0) ++per[static_cast<std::size_t>(c)][y.y[i]];
        }
        std::size_t majority = 0;
        for (const auto& m : per) {
          std::size_t best = 0;
          for (const auto& [v, n] : m) best = std::max(best, n);
          majority += best;
        }
        const double purity = static_cast<double>(majority) / static_cast<double>(present);
        if (purity >= 0.999 && y.kind == TargetKind::Binary) {
          record(name, "drop", "dropped: suspected leak: each of its values maps to a single class; exclude it from "
                               "the run if that is intended, or check how it was recorded", true);
          continue;
        }
      }
    }

    switch (type) {
      case data::ColumnType::Integer:
      case data::ColumnType::Float: {
        auto s = std::make_unique<NumericStep>();
        s->name = name;
        std::vector<double> v;
        const NumericReader read(col);
        for (const auto r : rows)
          if (const double x = read(r); !std::isnan(x)) v.push_back(x);
        if (v.empty()) {
          record(name, "drop", "dropped: no training value reads as a number", true);
          continue;
        }
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        s->fill = v[v.size() / 2];
        s->impute = o.impute;
        s->indicator = o.missing_indicators && counts.missing > 0;
        record(name, "numeric",
               std::string("kept as a number") + (counts.missing > 0 ? (o.impute ? "; missing values get the median" : "; missing values stay missing (the model handles them)") : "") +
                   (s->indicator ? ", plus a missing-value indicator" : ""),
               false);
        im.steps.push_back(std::move(s));
        break;
      }
      case data::ColumnType::Boolean: {
        auto s = std::make_unique<BooleanStep>();
        s->name = name;
        static const std::set<std::string> truthy = {"true", "yes", "y", "t", "1", "on"};
        s->true_value = counts.categories[0];
        for (const auto& c : counts.categories)
          if (truthy.count(lower(c))) {
            s->true_value = c;
            break;
          }
        s->impute = o.impute;
        s->fill = 0.0;
        record(name, "boolean", "encoded as 1 for '" + s->true_value + "', 0 otherwise", false);
        im.steps.push_back(std::move(s));
        break;
      }
      case data::ColumnType::Datetime:
      case data::ColumnType::Date: {
        auto s = std::make_unique<DatetimeStep>();
        s->name = name;
        s->hour = type == data::ColumnType::Datetime;
        record(name, "datetime",
               std::string("expanded to year, month, day, day of week") + (s->hour ? ", hour" : "") + " and days since 1970",
               false);
        im.steps.push_back(std::move(s));
        break;
      }
      case data::ColumnType::Text: {
        if (!o.text_hashing) {
          record(name, "drop", "dropped: free text (text hashing is off)", true);
          continue;
        }
        auto s = std::make_unique<TextHashStep>();
        s->name = name;
        s->buckets = std::max<std::size_t>(1, o.hash_buckets);
        record(name, "text_hash", "free text: counts of its words hashed into " + std::to_string(s->buckets) + " columns",
               false);
        im.steps.push_back(std::move(s));
        break;
      }
      default: {  // categorical
        if (counts.categories.size() <= o.max_one_hot) {
          auto s = std::make_unique<OneHotStep>();
          s->name = name;
          s->categories = counts.categories;
          s->missing_column = counts.missing > 0;
          record(name, "one_hot",
                 std::to_string(counts.categories.size()) + " categories: one column each" +
                     (s->missing_column ? ", plus one for missing values" : ""),
                 false);
          im.steps.push_back(std::move(s));
          break;
        }
        const bool target_enc = o.high_cardinality != HighCardinality::Frequency;
        const bool frequency_enc = o.high_cardinality != HighCardinality::Target;
        const std::string many =
            std::to_string(counts.categories.size()) + " categories (over " + std::to_string(o.max_one_hot) + "): ";
        if (target_enc) {
          auto te = std::make_unique<TargetEncodingStep>();
          te->name = name;
          te->categories = counts.categories;
          te->outputs_n = y.kind == TargetKind::Multiclass ? y.n_classes : 1;
          te->folds = o.target_encoding_folds;
          te->smoothing = o.target_encoding_smoothing;
          te->seed = o.seed;
          te->fit(table, rows, y);
          record(name, "target_encoding",
                 many + "out-of-fold target encoding (" + std::to_string(te->folds) + " folds, smoothing " +
                     std::to_string(static_cast<int>(te->smoothing)) + ")" +
                     (frequency_enc ? " and frequency encoding" : " (frequency encoding not chosen)"),
                 false);
          im.steps.push_back(std::move(te));
        } else {
          record(name, "frequency_encoding", many + "frequency encoding (each category's share of the training rows; "
                                                    "target encoding not chosen)",
                 false);
        }
        if (frequency_enc) {
          auto fq = std::make_unique<FrequencyStep>();
          fq->name = name;
          fq->categories = counts.categories;
          for (const auto n : counts.count) fq->share.push_back(static_cast<double>(n) / static_cast<double>(rows.size()));
          im.steps.push_back(std::move(fq));
        }
        break;
      }
    }
  }

  if (o.generated && numeric_strengths.size() >= 2) {
    std::stable_sort(numeric_strengths.begin(), numeric_strengths.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    const std::size_t k = std::min(o.generated_pairs_from, numeric_strengths.size());
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = i + 1; j < k; ++j)
        for (const char op : {'/', '-'}) {
          auto s = std::make_unique<GeneratedStep>();
          s->a = numeric_strengths[i].second;
          s->b = numeric_strengths[j].second;
          s->op = op;
          record(s->a + op + s->b, s->kind(),
                 std::string(op == '/' ? "ratio" : "difference") + " of '" + s->a + "' and '" + s->b +
                     "', two of the numeric columns that predict the target best alone",
                 false);
          im.steps.push_back(std::move(s));
        }
  }
  im.rebuild_features();
  if (im.features.empty())
    throw Error(ErrorKind::BadInput, "no usable feature is left besides the target (every column was dropped: see the "
                                     "feature pipeline); give data with informative columns");

  // Training matrix (out-of-fold encodings), then the scaler learned from it.
  im.scale = false;
  FeatureMatrix m = im.run(table, rows, &y);
  if (o.scale) {
    im.mean.assign(m.cols, 0.0);
    im.scale_by.assign(m.cols, 1.0);
    std::vector<double> present;
    for (std::size_t c = 0; c < m.cols; ++c) {
      double s = 0, ss = 0;
      present.clear();
      for (std::size_t i = 0; i < m.rows; ++i) {
        const float v = m.values[i * m.cols + c];
        if (std::isnan(v)) continue;
        s += v, ss += static_cast<double>(v) * v;
        present.push_back(v);
      }
      const std::size_t n = present.size();
      if (n == 0) continue;
      im.mean[c] = s / static_cast<double>(n);
      const double var = ss / static_cast<double>(n) - im.mean[c] * im.mean[c];
      const double sd = var > 1e-24 ? std::sqrt(var) : 0.0;
      im.scale_by[c] = sd > 0 ? sd : 1.0;
      if (o.robust_scale) {
        // Median and interquartile range (nearest ranks), as robust to outliers as a quantile
        // transform but invertible and cheap; a column whose IQR is 0 (e.g. a rare indicator)
        // keeps its standard deviation.
        auto at = [&](double q) {
          const auto k = static_cast<std::ptrdiff_t>(std::floor(q * static_cast<double>(n - 1)));
          std::nth_element(present.begin(), present.begin() + k, present.end());
          return present[static_cast<std::size_t>(k)];
        };
        const double median = at(0.5), q1 = at(0.25), q3 = at(0.75);
        im.mean[c] = median;
        const double iqr = (q3 - q1) / 1.349;  // the standard deviation of a normal distribution
        if (iqr > 1e-12) im.scale_by[c] = iqr;
      }
    }
    im.scale = true;
    im.clip = o.robust_scale ? std::max(0.0, o.robust_clip) : 0.0;
    for (std::size_t i = 0; i < m.rows; ++i)
      for (std::size_t c = 0; c < m.cols; ++c) {
        float& v = m.values[i * m.cols + c];
        if (!std::isnan(v)) v = im.scaled(v, c);
      }
    if (o.robust_scale) {
      char clip[32];
      std::snprintf(clip, sizeof clip, "%g", im.clip);
      im.records.push_back({"*", "scale", std::string("every feature scaled robustly on the training rows: minus its median, "
                                                      "divided by its interquartile range / 1.349, clipped to +-") + clip});
    } else {
      im.records.push_back({"*", "scale", "every feature standardised to mean 0 and standard deviation 1 on the training rows"});
    }
  }
  if (train_matrix != nullptr) *train_matrix = std::move(m);
  return p;
}

FeatureMatrix Pipeline::transform(const data::Table& table, std::span<const std::size_t> rows) const {
  return impl_->run(table, rows, nullptr);
}

json Pipeline::to_json() const {
  json j;
  j["format"] = "glasswing-feature-pipeline";
  // Version 2 only when a reader must know the clip (version 1 readers would ignore it).
  j["version"] = impl_->clip > 0 ? kFormatVersion : 1;
  j["target"] = impl_->target;
  auto& steps = j["steps"] = json::array();
  for (const auto& s : impl_->steps) steps.push_back({{"kind", s->kind()}, {"column", s->column()}, {"params", s->params()}});
  auto& records = j["records"] = json::array();
  for (const auto& r : impl_->records) records.push_back({{"column", r.column}, {"step", r.step}, {"reason", r.reason}});
  j["scale"] = impl_->scale;
  if (impl_->scale) {
    j["mean"] = impl_->mean;
    j["scale_by"] = impl_->scale_by;
    if (impl_->clip > 0) j["clip"] = impl_->clip;
  }
  return j;
}

Pipeline Pipeline::from_json(const json& j) {
  if (!j.is_object() || j.value("format", "") != "glasswing-feature-pipeline")
    throw Error(ErrorKind::BadInput, "not a Glasswing feature pipeline (no \"format\": \"glasswing-feature-pipeline\")");
  if (j.value("version", 0) > kFormatVersion)
    throw Error(ErrorKind::BadInput, "feature pipeline version " + std::to_string(j.value("version", 0)) +
                                         " is newer than this Glasswing reads (" + std::to_string(kFormatVersion) +
                                         "); upgrade Glasswing");
  try {
    Pipeline p;
    Impl& im = *p.impl_;
    im.target = j.at("target");
    for (const auto& s : j.at("steps")) im.steps.push_back(step_from_json(s));
    for (const auto& r : j.at("records")) im.records.push_back({r.at("column"), r.at("step"), r.at("reason")});
    im.scale = j.at("scale");
    if (im.scale) {
      im.mean = j.at("mean").get<std::vector<double>>();
      im.scale_by = j.at("scale_by").get<std::vector<double>>();
      im.clip = j.value("clip", 0.0);
    }
    im.rebuild_features();
    if (im.scale && (im.mean.size() != im.features.size() || im.scale_by.size() != im.features.size()))
      throw Error(ErrorKind::BadInput, "feature pipeline: scaler size does not match its features; the file is damaged");
    return p;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::BadInput, std::string("feature pipeline is damaged: ") + e.what());
  }
}

}  // namespace glasswing::features
