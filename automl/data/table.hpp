#pragma once
// Typed columnar Table: what the CSV reader produces and every later stage reads.
//
// A Column has a semantic type (the inference vocabulary of the product) and one of two
// physical storages:
//   - Numeric: one double per row, NaN = missing. Used by integer, float, datetime, date and
//     numeric-looking id columns. Datetime and date hold seconds since 1970-01-01T00:00:00 UTC
//     (a date is its midnight), so both sort and subtract as numbers.
//   - Dictionary: one int32 code per row into categories(), -1 = missing. Used by boolean,
//     categorical, text and string id columns. categories() keep the first-seen order of the file.
//
// Tables are immutable once built (Column's mutators are for builders); they may be read from
// any number of threads at once.

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glasswing::data {

enum class ColumnType : std::uint8_t { Integer, Float, Boolean, Categorical, Datetime, Date, Text, Id };
enum class Storage : std::uint8_t { Numeric, Dictionary };

std::string_view to_string(ColumnType type) noexcept;
std::optional<ColumnType> column_type_from_string(std::string_view name) noexcept;
// All type names, in enum order, for messages such as "valid types are ...".
const std::vector<std::string_view>& column_type_names();

class Column {
 public:
  Column() = default;
  static Column numeric(std::string name, ColumnType type, std::vector<double> values);
  static Column dictionary(std::string name, ColumnType type, std::vector<std::int32_t> codes,
                           std::vector<std::string> categories);

  const std::string& name() const noexcept { return name_; }
  ColumnType type() const noexcept { return type_; }
  Storage storage() const noexcept { return storage_; }
  std::size_t size() const noexcept {
    return storage_ == Storage::Numeric ? values_.size() : codes_.size();
  }
  bool is_numeric() const noexcept { return storage_ == Storage::Numeric; }

  bool is_missing(std::size_t row) const noexcept {
    return storage_ == Storage::Numeric ? std::isnan(values_[row]) : codes_[row] < 0;
  }
  std::size_t missing_count() const noexcept;

  // Numeric storage only (empty otherwise).
  std::span<const double> values() const noexcept { return values_; }
  // Dictionary storage only (empty otherwise).
  std::span<const std::int32_t> codes() const noexcept { return codes_; }
  const std::vector<std::string>& categories() const noexcept { return categories_; }

  // The cell as a user would read it: "" when missing; datetimes as ISO 8601.
  std::string cell_text(std::size_t row) const;

  // Why inference chose the type (shown by `inspect` and the data panel).
  const std::string& type_reason() const noexcept { return type_reason_; }

  // Builders' mutators.
  void set_type(ColumnType type, std::string reason);
  void set_name(std::string name) { name_ = std::move(name); }

 private:
  std::string name_;
  ColumnType type_ = ColumnType::Float;
  Storage storage_ = Storage::Numeric;
  std::vector<double> values_;
  std::vector<std::int32_t> codes_;
  std::vector<std::string> categories_;
  std::string type_reason_;
};

class Table {
 public:
  Table() = default;
  explicit Table(std::vector<Column> columns);

  std::size_t rows() const noexcept { return rows_; }
  std::size_t column_count() const noexcept { return columns_.size(); }
  const std::vector<Column>& columns() const noexcept { return columns_; }
  const Column& column(std::size_t index) const { return columns_.at(index); }
  // nullptr when no column has that exact name.
  const Column* find(std::string_view name) const noexcept;
  std::optional<std::size_t> index_of(std::string_view name) const noexcept;

 private:
  std::vector<Column> columns_;
  std::size_t rows_ = 0;
};

// ISO 8601 text of seconds since the epoch: "YYYY-MM-DD" when date_only, else "YYYY-MM-DD HH:MM:SS".
std::string format_epoch_seconds(double seconds, bool date_only);

}  // namespace glasswing::data
