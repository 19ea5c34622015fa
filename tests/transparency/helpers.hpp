#pragma once
// Shared by the transparency tests: shared datasets as class indices, seeded synthetic
// predictions, row subsets of a Table, and running a Python (scikit-learn) check script.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../data/test_util.hpp"
#include "automl/data/csv.hpp"
#include "automl/data/table.hpp"

namespace glasswing::test {

inline std::string num17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct Labelled {
  std::vector<std::string> classes;  // byte order, as the engine numbers them
  std::vector<std::int32_t> y;       // one per row with a target
  std::vector<std::size_t> rows;     // table row of each y
};

inline Labelled class_indices(const data::Table& t, const std::string& target) {
  const data::Column* col = t.find(target);
  EXPECT_NE(col, nullptr) << target;
  Labelled out;
  std::set<std::string> labels;
  for (std::size_t i = 0; i < t.rows(); ++i)
    if (!col->is_missing(i)) labels.insert(col->cell_text(i));
  out.classes.assign(labels.begin(), labels.end());
  std::map<std::string, std::int32_t> index;
  for (std::size_t j = 0; j < out.classes.size(); ++j) index[out.classes[j]] = static_cast<std::int32_t>(j);
  for (std::size_t i = 0; i < t.rows(); ++i)
    if (!col->is_missing(i)) {
      out.y.push_back(index[col->cell_text(i)]);
      out.rows.push_back(i);
    }
  return out;
}

// A noisy model: more mass on the true class; probabilities rounded to `decimals` (ties), with
// exact 0 and 1 now and then. Row-major n x k; rows sum to about 1.
inline std::vector<double> synthetic_proba(const std::vector<std::int32_t>& y, std::size_t k, std::uint64_t seed,
                                           int decimals = 3, double signal = 1.2) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double scale = std::pow(10.0, decimals);
  std::vector<double> proba;
  for (const auto yi : y) {
    std::vector<double> row(k);
    double sum = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
      row[j] = std::exp(noise(rng) + (static_cast<std::int32_t>(j) == yi ? signal : 0.0));
      sum += row[j];
    }
    const double r = unit(rng);
    for (std::size_t j = 0; j < k; ++j) {
      row[j] = std::round(row[j] / sum * scale) / scale;
      if (r < 0.02) row[j] = static_cast<std::int32_t>(j) == yi ? 1.0 : 0.0;
      if (r > 0.98) row[j] = static_cast<std::int32_t>(j) == yi ? 0.0 : 1.0 / static_cast<double>(k - 1);
    }
    proba.insert(proba.end(), row.begin(), row.end());
  }
  return proba;
}

// The rows `index` of `t`, in that order (dictionaries are kept).
inline data::Table take_rows(const data::Table& t, const std::vector<std::size_t>& index) {
  std::vector<data::Column> cols;
  for (const auto& c : t.columns()) {
    if (c.is_numeric()) {
      std::vector<double> v;
      for (const auto i : index) v.push_back(c.values()[i]);
      cols.push_back(data::Column::numeric(c.name(), c.type(), std::move(v)));
    } else {
      std::vector<std::int32_t> v;
      for (const auto i : index) v.push_back(c.codes()[i]);
      cols.push_back(data::Column::dictionary(c.name(), c.type(), std::move(v), c.categories()));
    }
  }
  return data::Table(std::move(cols));
}

// Runs `script` with Debian's Python (which has scikit-learn) as `python3 script.py ARGS...`
// and parses what it prints as JSON.
inline nlohmann::json run_python(const TempDir& dir, const std::string& script, const std::string& args) {
  const auto path = dir.write("check.py", script);
  const auto out = dir.path() / "out.json";
  const std::string cmd = "/usr/bin/python3 '" + path.string() + "' " + args + " > '" + out.string() + "'";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  std::ifstream in(out);
  return nlohmann::json::parse(in);
}

}  // namespace glasswing::test
