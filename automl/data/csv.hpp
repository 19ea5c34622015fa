#pragma once
// CSV ingest (RFC 4180) into a typed Table.
//
// Accepts: quoted fields with embedded separators, newlines and doubled quotes; LF or CRLF line
// ends; a UTF-8 byte-order mark; comma, semicolon or tab separators (detected when not given);
// gzip-compressed files (".gz"). Blank cells and the NA tokens in CsvOptions are missing values.
// The first line is the header.
//
// Errors: every malformed input throws glasswing::Error(ErrorKind::BadInput) with one line that
// names the file, the line number where it applies, and the remedy: missing or unreadable file,
// empty file, header only, ragged row, unterminated quote, invalid UTF-8, duplicate or empty
// column names. Nothing is read partially: either a whole Table or an error.
//
// Performance: the file is memory-mapped and parsed by several threads in blocks; the parsed
// regions are released as it goes, so peak memory is about the size of the Table.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "automl/common/cancel.hpp"
#include "automl/data/table.hpp"

namespace glasswing::data {

// The NA tokens recognised by default, besides the blank cell (compared case-sensitively, after
// trimming spaces): NA, N/A, n/a, NaN, nan, NULL, null, None, ?, -, #N/A, .
const std::vector<std::string>& default_na_tokens();

struct CsvOptions {
  char delimiter = '\0';                                 // '\0': detect among , ; and tab
  std::vector<std::string> na_tokens = default_na_tokens();
  unsigned threads = 0;                                  // 0: hardware concurrency
  std::map<std::string, ColumnType> column_types;        // user overrides, by column name
  const CancelToken* cancel = nullptr;                   // polled between blocks
  std::size_t chunk_bytes = 0;                           // parallel block size; 0: 4 MiB (tests use tiny ones)
  bool reference_parser = false;                         // tests: the plain scalar parser, to compare with
};

// What the reader found out about the file besides its contents (shown by `inspect`).
struct CsvInfo {
  char delimiter = ',';
  bool utf8_bom = false;
  bool crlf = false;
  bool gzip = false;
  std::size_t bytes = 0;        // size of the CSV text (after decompression)
  std::size_t rows = 0;         // data rows, header excluded
  double seconds = 0.0;         // wall time of the read
  unsigned threads_used = 1;
};

Table read_csv(const std::filesystem::path& path, const CsvOptions& options = {},
               CsvInfo* info = nullptr);
// Parses CSV text held in memory; `source_name` is used in error messages.
Table read_csv_text(std::string_view text, const CsvOptions& options = {},
                    std::string_view source_name = "<text>", CsvInfo* info = nullptr);

}  // namespace glasswing::data
