#include "automl/data/table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "automl/common/error.hpp"

namespace glasswing::data {

namespace {
constexpr std::array<std::string_view, 8> kTypeNames = {"integer",  "float", "boolean", "categorical",
                                                        "datetime", "date",  "text",    "id"};

// Civil date from days since 1970-01-01 (proleptic Gregorian), after H. Hinnant's public-domain
// derivation of the era/day-of-era arithmetic.
void civil_from_days(long long z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long year = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(year + (m <= 2 ? 1 : 0));
}
}  // namespace

std::string_view to_string(ColumnType type) noexcept { return kTypeNames[static_cast<std::size_t>(type)]; }

std::optional<ColumnType> column_type_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == name) return static_cast<ColumnType>(i);
  return std::nullopt;
}

const std::vector<std::string_view>& column_type_names() {
  static const std::vector<std::string_view> names(kTypeNames.begin(), kTypeNames.end());
  return names;
}

Column Column::numeric(std::string name, ColumnType type, std::vector<double> values) {
  Column c;
  c.name_ = std::move(name);
  c.type_ = type;
  c.storage_ = Storage::Numeric;
  c.values_ = std::move(values);
  return c;
}

Column Column::dictionary(std::string name, ColumnType type, std::vector<std::int32_t> codes,
                          std::vector<std::string> categories) {
  Column c;
  c.name_ = std::move(name);
  c.type_ = type;
  c.storage_ = Storage::Dictionary;
  c.codes_ = std::move(codes);
  c.categories_ = std::move(categories);
  return c;
}

std::size_t Column::missing_count() const noexcept {
  if (storage_ == Storage::Numeric)
    return static_cast<std::size_t>(std::count_if(values_.begin(), values_.end(), [](double v) { return std::isnan(v); }));
  return static_cast<std::size_t>(std::count_if(codes_.begin(), codes_.end(), [](std::int32_t c) { return c < 0; }));
}

std::string Column::cell_text(std::size_t row) const {
  if (is_missing(row)) return {};
  if (storage_ == Storage::Dictionary) return categories_[static_cast<std::size_t>(codes_[row])];
  const double v = values_[row];
  if (type_ == ColumnType::Datetime || type_ == ColumnType::Date)
    return format_epoch_seconds(v, type_ == ColumnType::Date);
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

void Column::set_type(ColumnType type, std::string reason) {
  const bool needs_numeric = type == ColumnType::Integer || type == ColumnType::Float ||
                             type == ColumnType::Datetime || type == ColumnType::Date;
  if (needs_numeric && storage_ != Storage::Numeric)
    throw Error(ErrorKind::Internal, "column '" + name_ + "' holds text and cannot be typed " +
                                         std::string(to_string(type)));
  type_ = type;
  type_reason_ = std::move(reason);
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {
  rows_ = columns_.empty() ? 0 : columns_.front().size();
  for (const auto& c : columns_)
    if (c.size() != rows_)
      throw Error(ErrorKind::Internal, "column '" + c.name() + "' has " + std::to_string(c.size()) +
                                           " rows where the table has " + std::to_string(rows_));
}

const Column* Table::find(std::string_view name) const noexcept {
  for (const auto& c : columns_)
    if (c.name() == name) return &c;
  return nullptr;
}

std::optional<std::size_t> Table::index_of(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name() == name) return i;
  return std::nullopt;
}

std::string format_epoch_seconds(double seconds, bool date_only) {
  if (!std::isfinite(seconds)) return {};
  const auto total = static_cast<long long>(std::floor(seconds));
  long long days = total / 86400;
  long long rem = total % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[48];
  if (date_only) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  } else {
    const double frac = seconds - static_cast<double>(total);
    const auto hh = static_cast<int>(rem / 3600), mm = static_cast<int>(rem / 60 % 60), ss = static_cast<int>(rem % 60);
    if (frac > 5e-7)
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%09.6f", y, m, d, hh, mm, ss + frac);
    else
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", y, m, d, hh, mm, ss);
  }
  return buf;
}

}  // namespace glasswing::data
