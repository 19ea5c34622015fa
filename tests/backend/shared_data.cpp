#include "shared_data.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

namespace glasswing::backend::testing {
namespace {

std::vector<std::string> parse_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool is_missing(const std::string& s) { return s.empty() || s == "NA" || s == "?"; }

bool parse_number(const std::string& s, float& out) {
  if (is_missing(s)) {
    out = std::nanf("");
    return true;
  }
  char* end = nullptr;
  out = std::strtof(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

Dense take(const Dense& d, const std::vector<std::size_t>& rows) {
  Dense out;
  out.rows = rows.size();
  out.cols = d.cols;
  out.classes = d.classes;
  for (auto r : rows) {
    out.x.insert(out.x.end(), d.x.begin() + static_cast<std::ptrdiff_t>(r * d.cols),
                 d.x.begin() + static_cast<std::ptrdiff_t>((r + 1) * d.cols));
    out.y.push_back(d.y[r]);
  }
  return out;
}

}  // namespace

Dense load_dataset(const std::string& file, const std::string& target, bool classify, const std::string& positive,
                   std::size_t max_rows) {
  return load_csv_dense(std::string(GLASSWING_SHARED_DIR) + "/datasets/" + file, target, classify, positive, max_rows);
}

Dense load_csv_dense(const std::string& path, const std::string& target, bool classify, const std::string& positive,
                     std::size_t max_rows) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);
  const auto header = parse_line(line);
  std::vector<std::vector<std::string>> cells;
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    cells.push_back(parse_line(line));
    if (cells.back().size() != header.size()) throw std::runtime_error("ragged row in " + path);
  }
  if (max_rows > 0 && cells.size() > max_rows) {
    std::mt19937 rng(7);
    std::shuffle(cells.begin(), cells.end(), rng);
    cells.resize(max_rows);
  }
  const auto t = static_cast<std::size_t>(std::find(header.begin(), header.end(), target) - header.begin());
  if (t == header.size()) throw std::runtime_error("no column " + target + " in " + path);

  // Column encoders: numeric, one-hot (levels) or ordinal (levels, > 32).
  struct Encoder {
    std::size_t column;
    bool numeric;
    std::vector<std::string> levels;
    bool onehot;
  };
  std::vector<Encoder> encoders;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (c == t) continue;
    bool numeric = true;
    std::set<std::string> levels;
    for (const auto& row : cells) {
      float v;
      if (!parse_number(row[c], v)) numeric = false;
      if (!is_missing(row[c])) levels.insert(row[c]);
    }
    Encoder e{c, numeric, {levels.begin(), levels.end()}, !numeric && levels.size() <= 32};
    encoders.push_back(std::move(e));
  }
  Dense d;
  d.rows = cells.size();
  for (const auto& e : encoders) d.cols += e.onehot ? e.levels.size() : 1;
  if (classify) {
    std::set<std::string> classes;
    for (const auto& row : cells) classes.insert(row[t]);
    d.classes.assign(classes.begin(), classes.end());
    if (!positive.empty()) {  // binary: `positive` is class 1
      d.classes.erase(std::find(d.classes.begin(), d.classes.end(), positive));
      d.classes.push_back(positive);
    }
  }
  d.x.reserve(d.rows * d.cols);
  for (const auto& row : cells) {
    for (const auto& e : encoders) {
      const std::string& s = row[e.column];
      if (e.numeric) {
        float v;
        parse_number(s, v);
        d.x.push_back(v);
      } else {
        const auto it = std::find(e.levels.begin(), e.levels.end(), s);
        const auto code = static_cast<std::size_t>(it - e.levels.begin());
        if (e.onehot) {
          for (std::size_t k = 0; k < e.levels.size(); ++k)
            d.x.push_back(is_missing(s) ? std::nanf("") : (k == code ? 1.0f : 0.0f));
        } else {
          d.x.push_back(is_missing(s) ? std::nanf("") : static_cast<float>(code));
        }
      }
    }
    if (classify) {
      const auto it = std::find(d.classes.begin(), d.classes.end(), row[t]);
      d.y.push_back(static_cast<float>(it - d.classes.begin()));
    } else {
      float v;
      parse_number(row[t], v);
      d.y.push_back(v);
    }
  }
  return d;
}

Split split(const Dense& d, double test_share, double eval_share, unsigned seed) {
  std::vector<std::size_t> idx(d.rows);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::mt19937 rng(seed);
  std::shuffle(idx.begin(), idx.end(), rng);
  const auto n_test = static_cast<std::size_t>(std::round(test_share * static_cast<double>(d.rows)));
  const auto n_eval = static_cast<std::size_t>(std::round(eval_share * static_cast<double>(d.rows - n_test)));
  Split s;
  s.test = take(d, {idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n_test)});
  s.eval = take(d, {idx.begin() + static_cast<std::ptrdiff_t>(n_test),
                    idx.begin() + static_cast<std::ptrdiff_t>(n_test + n_eval)});
  s.train = take(d, {idx.begin() + static_cast<std::ptrdiff_t>(n_test + n_eval), idx.end()});
  return s;
}

Split fold(const Dense& d, int folds, int fold, double eval_share, unsigned seed) {
  std::vector<std::size_t> idx(d.rows);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::mt19937 rng(seed);
  std::shuffle(idx.begin(), idx.end(), rng);
  std::vector<std::size_t> test, rest;
  for (std::size_t i = 0; i < idx.size(); ++i)
    (static_cast<int>(i % static_cast<std::size_t>(folds)) == fold ? test : rest).push_back(idx[i]);
  const auto n_eval = static_cast<std::size_t>(std::round(eval_share * static_cast<double>(rest.size())));
  Split s;
  s.test = take(d, test);
  s.eval = take(d, {rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(n_eval)});
  s.train = take(d, {rest.begin() + static_cast<std::ptrdiff_t>(n_eval), rest.end()});
  return s;
}

double auc(const std::vector<float>& score, const std::vector<float>& y) {
  std::vector<std::size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return score[a] < score[b]; });
  // Mann-Whitney U with average ranks for ties.
  double rank_sum = 0, pos = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j < idx.size() && score[idx[j]] == score[idx[i]]) ++j;
    const double avg = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;
    for (std::size_t k = i; k < j; ++k)
      if (y[idx[k]] == 1) {
        rank_sum += avg;
        pos += 1;
      }
    i = j;
  }
  const double neg = static_cast<double>(y.size()) - pos;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double r2(const std::vector<float>& pred, const std::vector<float>& y) {
  double mean = 0;
  for (float v : y) mean += v;
  mean /= static_cast<double>(y.size());
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    ss_res += (static_cast<double>(pred[i]) - y[i]) * (static_cast<double>(pred[i]) - y[i]);
    ss_tot += (y[i] - mean) * (y[i] - mean);
  }
  return 1 - ss_res / ss_tot;
}

Dense synthetic(std::size_t rows, std::size_t cols, unsigned seed, bool binary) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Dense d;
  d.rows = rows;
  d.cols = cols;
  d.x.resize(rows * cols);
  for (auto& v : d.x) v = normal(rng);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = &d.x[r * cols];
    const float signal = 2 * row[0] - row[1 % cols] + 0.5f * row[2 % cols] * row[3 % cols] + 0.3f * normal(rng);
    d.y.push_back(binary ? (signal > 0 ? 1.0f : 0.0f) : signal);
  }
  if (binary) d.classes = {"0", "1"};
  return d;
}

}  // namespace glasswing::backend::testing
