#include "automl/data/infer.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <unordered_set>

namespace glasswing::data::detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Column names that say "identifier": id, ID, Id, *_id, *Id, *.id, key, uuid, ...
bool id_like_name(std::string_view name) {
  const std::string n = lower(name);
  if (n == "id" || n == "key" || n == "uuid" || n == "guid" || n == "index" || n == "rowid" || n == "row_id")
    return true;
  const auto ends_with = [&](std::string_view suffix) {
    return n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("_id") || ends_with(".id") || ends_with("-id") || ends_with(" id")) return true;
  // camelCase "customerId"/"customerID": the original has an upper-case I before the final d/D.
  return name.size() > 2 && (name.ends_with("Id") || name.ends_with("ID")) &&
         std::islower(static_cast<unsigned char>(name[name.size() - 3])) != 0;
}

bool boolean_pair(std::string a, std::string b) {
  a = lower(a);
  b = lower(b);
  if (a > b) std::swap(a, b);
  static const std::pair<const char*, const char*> kPairs[] = {
      {"false", "true"}, {"no", "yes"}, {"n", "y"}, {"f", "t"}, {"0", "1"}, {"off", "on"}};
  for (const auto& [x, y] : kPairs)
    if (a == x && b == y) return true;
  return false;
}

}  // namespace

void infer_column_type(Column& column, const ColumnEvidence& ev) {
  if (ev.forced) {
    column.set_type(*ev.forced, "set by the user");
    return;
  }
  if (column.is_numeric()) {
    const auto values = column.values();
    if (ev.datetime) {
      if (ev.has_time)
        column.set_type(ColumnType::Datetime, "ISO 8601 date and time values");
      else
        column.set_type(ColumnType::Date, "ISO 8601 dates without a time of day");
      return;
    }
    // One pass: present values, whole or not, and their range.
    bool integral = true;
    double lo = INFINITY, hi = -INFINITY;
    std::size_t n = 0;
    for (const double v : values) {
      if (std::isnan(v)) continue;
      ++n;
      if (integral && (std::fabs(v) > 9007199254740992.0 || v != static_cast<double>(static_cast<long long>(v))))
        integral = false;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (n == 0) {
      column.set_type(ColumnType::Float, "every value is missing");
      return;
    }
    if (!integral) {
      column.set_type(ColumnType::Float, "numbers with a fractional part");
      return;
    }
    // All distinct is only possible when the range holds n values (pigeonhole), which spares
    // the hash set for most columns.
    if (n >= 20 && hi - lo + 1.0 >= static_cast<double>(n)) {
      std::unordered_set<double> seen;
      bool unique = true;
      for (const double v : values) {
        if (!std::isnan(v) && !seen.insert(v).second) {
          unique = false;
          break;
        }
      }
      if (unique && id_like_name(column.name())) {
        column.set_type(ColumnType::Id, "every value is distinct and the name marks an identifier");
        return;
      }
      if (unique && hi - lo + 1.0 == static_cast<double>(n)) {
        column.set_type(ColumnType::Id, "every value is distinct and they run consecutively (a row number)");
        return;
      }
    }
    column.set_type(ColumnType::Integer, "whole numbers");
    return;
  }

  // Dictionary storage.
  const auto& cats = column.categories();
  // Distinct values actually used (categories can include values of rows later dropped).
  std::vector<std::size_t> counts(cats.size(), 0);
  std::size_t n = 0;  // present values
  for (const auto code : column.codes())
    if (code >= 0) {
      ++counts[static_cast<std::size_t>(code)];
      ++n;
    }
  std::vector<std::size_t> used;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) used.push_back(i);
  const std::size_t k = used.size();

  if (k == 2 && boolean_pair(cats[used[0]], cats[used[1]])) {
    column.set_type(ColumnType::Boolean, "two values that read as a yes/no pair ('" + cats[used[0]] + "', '" +
                                             cats[used[1]] + "')");
    return;
  }
  if (ev.quoted_numeric_codes) {
    column.set_type(ColumnType::Categorical, "numeric codes that the file quotes as text, with few distinct values");
    return;
  }
  if (ev.leading_zero_codes) {
    if (n >= 20 && k == n)
      column.set_type(ColumnType::Id, "digit codes with leading zeros, every value distinct");
    else
      column.set_type(ColumnType::Categorical, "digit codes with leading zeros (kept as text)");
    return;
  }
  if (n >= 20 && static_cast<double>(k) >= 0.95 * static_cast<double>(n)) {
    std::size_t with_space = 0;
    double total_len = 0.0;
    for (const auto i : used) {
      total_len += static_cast<double>(cats[i].size());
      if (cats[i].find(' ') != std::string::npos) ++with_space;
    }
    const double mean_len = total_len / static_cast<double>(k);
    if (with_space * 2 >= k || mean_len >= 30.0) {
      column.set_type(ColumnType::Text, "nearly every value is distinct free text");
      return;
    }
    if (k == n) {
      column.set_type(ColumnType::Id, "every value is a distinct token (an identifier)");
      return;
    }
  }
  column.set_type(ColumnType::Categorical, std::to_string(k) + " distinct text values");
}

}  // namespace glasswing::data::detail
