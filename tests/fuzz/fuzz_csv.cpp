// libFuzzer target for the CSV reader: any bytes must give a Table or a BadInput/Usage error,
// never a crash, a hang or a sanitizer report. Built and run by scripts/fuzz-csv.sh (clang).
#include <cstdint>
#include <string>
#include <string_view>
#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/data/profile.hpp"
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  glasswing::data::CsvOptions o;
  o.threads = 2;
  // Tiny chunks make most chunk starts guesses that the merge must check or repair: the result
  // must equal the one-chunk parse.
  glasswing::data::CsvOptions small = o;
  small.chunk_bytes = 1 + (size > 0 ? data[0] % 64 : 0);
  std::string one, many;
  try {
    auto a = glasswing::data::read_csv_text(text, small, "fuzz.csv");
    for (size_t r = 0; r < a.rows(); ++r) for (auto& c : a.columns()) many += c.cell_text(r) + "\x1f";
  } catch (const glasswing::Error& e) {
    many = e.what();
  }
  try {
    auto b = glasswing::data::read_csv_text(text, o, "fuzz.csv");
    for (size_t r = 0; r < b.rows(); ++r) for (auto& c : b.columns()) one += c.cell_text(r) + "\x1f";
  } catch (const glasswing::Error& e) {
    one = e.what();
  }
  // The plain scalar parser is the reference for the structural-index fast path.
  glasswing::data::CsvOptions ref = small;
  ref.reference_parser = true;
  std::string reference;
  try {
    auto c = glasswing::data::read_csv_text(text, ref, "fuzz.csv");
    for (size_t r = 0; r < c.rows(); ++r) for (auto& col : c.columns()) reference += col.cell_text(r) + "\x1f";
  } catch (const glasswing::Error& e) {
    reference = e.what();
  }
  if (one != many || one != reference) __builtin_trap();
  try {
    auto t = glasswing::data::read_csv_text(text, o, "fuzz.csv");
    auto p = glasswing::data::profile_table(t);
    for (size_t r = 0; r < t.rows(); ++r) for (auto& c : t.columns()) (void)c.cell_text(r);
    if (t.column_count() > 0) { try { glasswing::data::analyze_target(t, t.column(0).name()); } catch (const glasswing::Error&) {} }
  } catch (const glasswing::Error& e) {
    if (e.kind() != glasswing::ErrorKind::BadInput && e.kind() != glasswing::ErrorKind::Usage) __builtin_trap();
  }
  return 0;
}
