// CSV reader: RFC 4180 into a typed columnar Table.
//
// How it goes:
//  1. The file is memory-mapped (or, for .gz, inflated into memory).
//  2. The header is parsed and checked; the delimiter is detected from the first lines.
//  3. A sample of the first rows decides how each column is parsed: as numbers, as ISO 8601
//     dates, or as text (dictionary-encoded). The sample also records evidence for inference
//     (quoted numeric codes, leading zeros).
//  4. The data is cut into chunks at nominal offsets. Each worker thread parses whole chunks,
//     guessing that a chunk's first row starts after the first newline past its offset. The
//     guess is checked when chunks are merged in order: the previous chunk's true end must be
//     where the guess put the start (a newline inside a quoted field breaks the guess, and the
//     chunk is then parsed again from the true start). Errors found in a chunk count only once
//     its start is confirmed, so a wrong guess never reports a false error.
//  5. Merged chunks are appended to the final columns and their file pages released, so the
//     peak memory is about the size of the Table rather than file + Table.
//  6. A column that the sample took for numbers but that holds text later is parsed again as
//     text in a second pass, limited to those columns.

#include "automl/data/csv.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

#include "automl/common/error.hpp"
#include "automl/data/infer.hpp"

namespace glasswing::data {

const std::vector<std::string>& default_na_tokens() {
  static const std::vector<std::string> tokens = {"NA",   "N/A",  "n/a", "NaN", "nan", "NULL", "null",
                                                  "None", "?",    "-",   "#N/A", "."};
  return tokens;
}

namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Source bytes: a read-only mapping of the file, or an owned buffer.
class Source {
 public:
  Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
  ~Source() {
    if (map_ != nullptr) ::munmap(map_, map_size_);
  }

  void map_file(int fd, std::size_t size) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) throw Error(ErrorKind::Resource, "cannot map the file into memory");
    map_ = p;
    map_size_ = size;
    ::madvise(map_, map_size_, MADV_SEQUENTIAL);
    text_ = std::string_view(static_cast<const char*>(p), size);
  }
  void own(std::string buffer) {
    owned_ = std::move(buffer);
    text_ = owned_;
  }
  void view(std::string_view text) { text_ = text; }
  std::string_view text() const noexcept { return text_; }

  // Tells the kernel the pages wholly inside [begin, end) are no longer needed (mapped files
  // only: the pages stay in the page cache and are read again if touched).
  void release(const char* begin, const char* end) const noexcept {
    if (map_ == nullptr || end <= begin) return;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto b = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
    const auto e = reinterpret_cast<std::uintptr_t>(end) / page * page;
    if (e > b) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_DONTNEED);
  }

 private:
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::string owned_;
  std::string_view text_;
};

// ---------------------------------------------------------------------------------------------
// Small helpers.

inline bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

__attribute__((always_inline)) inline std::string_view trim(std::string_view s) noexcept {
  if (s.empty() || (!is_space(s.front()) && !is_space(s.back()))) return s;
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Length of the valid UTF-8 prefix; == s.size() when all of it is valid.
std::size_t utf8_valid_prefix(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = c & 0x07u;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return n;
}

std::string printable(std::string_view s, std::size_t max = 40) {
  std::string out;
  for (char c : s.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's public-domain derivation).
long long days_from_civil(int y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

inline bool two_digits(const char* p, unsigned& out) noexcept {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return false;
  out = static_cast<unsigned>((p[0] - '0') * 10 + (p[1] - '0'));
  return true;
}

// Remembers the last date seen by a column, so that runs of the same day (common in sorted
// logs) skip the calendar arithmetic.
struct DateCache {
  char key[10] = {};
  std::uint64_t key8 = 0;  // key as words, for the fast path
  std::uint16_t key2 = 0;
  double seconds = 0.0;
  bool valid = false;
};

// ISO 8601: YYYY-MM-DD or YYYY/MM/DD, optionally followed by ' ' or 'T' and HH:MM[:SS[.frac]],
// optionally 'Z'. Returns seconds since the epoch (UTC); has_time tells whether a time of day
// other than midnight was given.
inline bool parse_datetime(std::string_view s, double& out, bool& has_time, DateCache* cache = nullptr) noexcept {
  // Fast path: "YYYY-MM-DD HH:MM:SS" on a day already seen (the day compared as 8 + 2 bytes).
  std::uint64_t day8 = 0;
  std::uint16_t day2 = 0;
  if (s.size() == 19) {
    std::memcpy(&day8, s.data(), 8);
    std::memcpy(&day2, s.data() + 8, 2);
  }
  if (cache != nullptr && cache->valid && s.size() == 19 && day8 == cache->key8 && day2 == cache->key2 &&
      (s[10] == ' ' || s[10] == 'T') && s[13] == ':' && s[16] == ':') {
    unsigned hh = 0, mm = 0, ss = 0;
    if (two_digits(s.data() + 11, hh) && two_digits(s.data() + 14, mm) && two_digits(s.data() + 17, ss) && hh < 24 &&
        mm < 60 && ss < 61) {
      has_time = (hh | mm | ss) != 0;
      out = cache->seconds + static_cast<double>(hh * 3600 + mm * 60 + ss);
      return true;
    }
  }
  s = trim(s);
  if (s.size() < 10) return false;
  const char* p = s.data();
  double seconds = 0.0;
  if (cache != nullptr && cache->valid && std::memcmp(cache->key, p, 10) == 0) {
    seconds = cache->seconds;
  } else {
    unsigned y1 = 0, y2 = 0, mo = 0, d = 0;
    if (!two_digits(p, y1) || !two_digits(p + 2, y2)) return false;
    const char sep = p[4];
    if ((sep != '-' && sep != '/') || p[7] != sep) return false;
    if (!two_digits(p + 5, mo) || !two_digits(p + 8, d)) return false;
    const int year = static_cast<int>(y1 * 100 + y2);
    static constexpr std::array<unsigned, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return false;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return false;
    seconds = static_cast<double>(days_from_civil(year, mo, d)) * 86400.0;
    if (cache != nullptr) {
      std::memcpy(cache->key, p, 10);
      std::memcpy(&cache->key8, p, 8);
      std::memcpy(&cache->key2, p + 8, 2);
      cache->seconds = seconds;
      cache->valid = true;
    }
  }
  has_time = false;
  if (s.size() == 10) {
    out = seconds;
    return true;
  }
  if ((p[10] != ' ' && p[10] != 'T') || s.size() < 16) return false;
  unsigned hh = 0, mm = 0, ss = 0;
  if (!two_digits(p + 11, hh) || p[13] != ':' || !two_digits(p + 14, mm) || hh > 23 || mm > 59) return false;
  std::size_t i = 16;
  double frac = 0.0;
  if (i < s.size() && p[i] == ':') {
    if (i + 3 > s.size() || !two_digits(p + i + 1, ss) || ss > 60) return false;
    i += 3;
    if (i < s.size() && p[i] == '.') {
      double scale = 0.1;
      std::size_t j = i + 1;
      for (; j < s.size() && p[j] >= '0' && p[j] <= '9'; ++j, scale *= 0.1) frac += (p[j] - '0') * scale;
      if (j == i + 1) return false;
      i = j;
    }
  }
  if (i < s.size() && p[i] == 'Z') ++i;
  if (i != s.size()) return false;
  has_time = (hh | mm | ss) != 0 || frac != 0.0;
  out = seconds + hh * 3600.0 + mm * 60.0 + ss + frac;
  return true;
}

enum class NumberParse { Ok, NotNumber, LeadingZero };

// A number, the whole trimmed field. Integers up to 18 digits take a fast path; others go
// through std::from_chars. Leading zeros ("007") mark a code, not a number.
inline NumberParse parse_number(std::string_view s, double& out) noexcept {
  s = trim(s);
  const char* p = s.data();
  const char* e = p + s.size();
  if (p == e) return NumberParse::NotNumber;
  const char* q = p;
  bool neg = false;
  if (*q == '-' || *q == '+') {
    neg = *q == '-';
    ++q;
  }
  const char* digits = q;
  std::uint64_t v = 0;
  while (q < e && q - digits < 19 && static_cast<unsigned char>(*q - '0') < 10) v = v * 10 + static_cast<unsigned>(*q++ - '0');
  const bool leading_zero = q - digits > 1 && digits[0] == '0' && static_cast<unsigned char>(digits[1] - '0') < 10;
  if (q == e && q != digits && q - digits < 19) {
    if (leading_zero) return NumberParse::LeadingZero;
    const double d = static_cast<double>(v);
    out = neg ? -d : d;
    return NumberParse::Ok;
  }
  if (leading_zero) return NumberParse::LeadingZero;
  const char* start = (*p == '+') ? p + 1 : p;
  if (start < e && (*start == '-' || *start == '+') && start != p) return NumberParse::NotNumber;
  double d = 0.0;
  const auto res = std::from_chars(start, e, d);
  if (res.ec != std::errc() || res.ptr != e) {
    if (res.ec == std::errc::result_out_of_range && res.ptr == e) {
      out = d;  // denormal underflow or overflow: from_chars leaves d; accept as a number
      return NumberParse::Ok;
    }
    return NumberParse::NotNumber;
  }
  out = d;
  return NumberParse::Ok;
}

// ---------------------------------------------------------------------------------------------
// Dictionary of distinct strings with int32 codes, open addressing over an arena.
class StringDict {
 public:
  StringDict() { slots_.assign(64, -1); }

  std::int32_t intern(std::string_view s, bool* inserted = nullptr) {
    const std::uint64_t h = hash(s);
    std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (true) {
      const std::int32_t code = slots_[i];
      if (code < 0) break;
      const auto& entry = entries_[static_cast<std::size_t>(code)];
      if (entry.hash == h && view(entry) == s) {
        if (inserted != nullptr) *inserted = false;
        return code;
      }
      i = (i + 1) & mask;
    }
    const auto code = static_cast<std::int32_t>(entries_.size());
    entries_.push_back(Entry{h, arena_.size(), s.size()});
    arena_.append(s);
    slots_[i] = code;
    if (inserted != nullptr) *inserted = true;
    if (entries_.size() * 2 > slots_.size()) grow();
    return code;
  }

  // Empties the dictionary but keeps its memory for reuse.
  void clear() {
    std::fill(slots_.begin(), slots_.end(), -1);
    entries_.clear();
    arena_.clear();
  }

  std::size_t size() const noexcept { return entries_.size(); }
  std::string_view at(std::size_t code) const noexcept { return view(entries_[code]); }

 private:
  struct Entry {
    std::uint64_t hash;
    std::size_t offset;
    std::size_t length;
  };
  static std::uint64_t load_tail(const char* p, std::size_t n) noexcept {
    std::uint64_t w = 0;
    for (std::size_t k = 0; k < n; ++k) w |= std::uint64_t{static_cast<unsigned char>(p[k])} << (8 * k);
    return w;
  }
  static std::uint64_t mix(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }
  // Word-at-a-time multiplicative hash (a MurmurHash3-style finaliser per word).
  static std::uint64_t hash(std::string_view s) noexcept {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = mix(h ^ w) * 0x9E3779B97F4A7C15ull;
    }
    if (i < s.size()) h = mix(h ^ load_tail(s.data() + i, s.size() - i)) * 0x9E3779B97F4A7C15ull;
    return mix(h);
  }
  std::string_view view(const Entry& e) const noexcept { return std::string_view(arena_).substr(e.offset, e.length); }
  void grow() {
    std::vector<std::int32_t> slots(slots_.size() * 2, -1);
    const std::size_t mask = slots.size() - 1;
    for (std::size_t c = 0; c < entries_.size(); ++c) {
      std::size_t i = static_cast<std::size_t>(entries_[c].hash) & mask;
      while (slots[i] >= 0) i = (i + 1) & mask;
      slots[i] = static_cast<std::int32_t>(c);
    }
    slots_ = std::move(slots);
  }

  std::vector<std::int32_t> slots_;
  std::vector<Entry> entries_;
  std::string arena_;
};

// ---------------------------------------------------------------------------------------------
// Missing-value tokens, checked with a first-character filter before the compare.
class NaTokens {
 public:
  explicit NaTokens(const std::vector<std::string>& tokens) {
    for (const auto& t : tokens) {
      const auto s = trim(t);
      if (s.empty()) continue;
      tokens_.emplace_back(s);
      max_len_ = std::max(max_len_, s.size());
      if (s.size() < 32) lengths_[static_cast<unsigned char>(s[0])] |= 1u << s.size();
    }
  }
  // Blank (only spaces) or a token. Most cells are rejected by one table look-up: is there a
  // token that starts with this character and has this length?
  __attribute__((always_inline)) bool is_missing(std::string_view s) const noexcept {
    if (s.empty()) return true;
    const char first = s.front();
    if (!is_space(first) && !is_space(s.back())) {
      if (s.size() >= 32 || (lengths_[static_cast<unsigned char>(first)] >> s.size() & 1u) == 0) return false;
    } else {
      s = trim(s);
      if (s.empty()) return true;
      if (s.size() > max_len_) return false;
    }
    for (const auto& t : tokens_)
      if (t == s) return true;
    return false;
  }

 private:
  std::vector<std::string> tokens_;
  std::array<std::uint32_t, 256> lengths_{};  // bit L set: a token of length L starts with the char
  std::size_t max_len_ = 0;
};

// Line feeds in [b, e) (a quoted field); `end` bounds the readable buffer.
inline std::size_t count_newlines(const char* b, const char* e, const char* end) noexcept {
  std::size_t n = 0;
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  while (b < e && b + 16 <= end) {
    const auto len = static_cast<std::size_t>(e - b);
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), lf)));
    if (len < 16) mask &= (1u << len) - 1u;
    for (; mask != 0; mask &= mask - 1u) ++n;  // usually none or one: no popcount needed
    b += 16;
  }
#endif
  for (; b < e; ++b) n += (*b == '\n');
  return n;
}

// The first '"' at or after p, or nullptr: SSE2 for the common short field, memchr beyond.
// `lf_before` tells whether a line feed may lie between p and the quote (false only when the
// first 16-byte block holds the quote and no line feed before it).
inline const char* find_quote(const char* p, const char* end, bool& lf_before) noexcept {
  lf_before = true;
#if defined(__SSE2__)
  if (p + 16 <= end) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
    if (mask != 0) {
      const int pos = __builtin_ctz(mask);
      const auto lf = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
      lf_before = (lf & ((1u << pos) - 1u)) != 0;
      return p + pos;
    }
    p += 16;
  }
#endif
  return static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
}

// ---------------------------------------------------------------------------------------------
// Row scanning.

enum class Mode : std::uint8_t { Numeric, Datetime, String, Skip };

struct Field {
  const char* begin;
  const char* end;
  bool quoted;
  bool escaped;  // holds doubled quotes that must be unescaped
};

enum class RowStatus { Ok, Blank, End, Unterminated, BadQuote };

class RowScanner {
 public:
  RowScanner(const char* end, char delim) : end_(end), delim_(delim) {
    special_.fill(false);
    special_[static_cast<unsigned char>(delim)] = true;
    special_['\n'] = true;
    special_['\r'] = true;
  }

  // The first separator, CR or LF at or after p (end_ if none): 16 bytes at a time with SSE2.
  const char* find_special(const char* p) const noexcept {
#if defined(__SSE2__)
    const __m128i d = _mm_set1_epi8(delim_);
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i cr = _mm_set1_epi8('\r');
    while (p + 16 <= end_) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, cr));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
      if (mask != 0) return p + __builtin_ctz(mask);
      p += 16;
    }
#endif
    while (p < end_ && !special_[static_cast<unsigned char>(*p)]) ++p;
    return p;
  }

  // Scans the row at p into fields. next: start of the following row; newlines: line breaks
  // consumed (inside quotes and the row's own end).
  RowStatus scan(const char* p, std::vector<Field>& fields, const char*& next, std::size_t& newlines,
                 bool& crlf) const {
    fields.clear();
    newlines = 0;
    if (p >= end_) return RowStatus::End;
    if (*p == '\n' || *p == '\r') {
      const char* q = p;
      if (*q == '\r') ++q;
      if (q < end_ && *q == '\n') ++q;
      next = q;
      newlines = 1;
      return RowStatus::Blank;
    }
    while (true) {
      Field f{p, p, false, false};
      if (p < end_ && *p == '"') {
        f.quoted = true;
        ++p;
        f.begin = p;
        while (true) {
          const void* hit = std::memchr(p, '"', static_cast<std::size_t>(end_ - p));
          if (hit == nullptr) {
            next = f.begin;
            return RowStatus::Unterminated;
          }
          const char* q = static_cast<const char*>(hit);
          if (q + 1 < end_ && q[1] == '"') {
            f.escaped = true;
            p = q + 2;
            continue;
          }
          f.end = q;
          p = q + 1;
          break;
        }
        for (const char* c = f.begin; c < f.end; ++c) newlines += (*c == '\n');
        // Spaces between the closing quote and the separator are tolerated.
        while (p < end_ && *p == ' ') ++p;
        if (p < end_ && *p != delim_ && *p != '\n' && *p != '\r') {
          next = p;
          return RowStatus::BadQuote;
        }
      } else {
        p = find_special(p);
        f.end = p;
      }
      fields.push_back(f);
      if (p >= end_) {
        next = end_;
        return RowStatus::Ok;
      }
      if (*p == delim_) {
        ++p;
        continue;
      }
      if (*p == '\r') {
        ++p;
        if (p < end_ && *p == '\n') {
          ++p;
          crlf = true;
        }
      } else {
        ++p;  // '\n'
      }
      ++newlines;
      next = p;
      return RowStatus::Ok;
    }
  }

 private:
  const char* end_;
  char delim_;
  std::array<bool, 256> special_{};
};

// The text of a field, unescaped into `scratch` when needed.
inline std::string_view field_text(const Field& f, std::string& scratch) {
  if (!f.escaped) return std::string_view(f.begin, static_cast<std::size_t>(f.end - f.begin));
  scratch.clear();
  for (const char* c = f.begin; c < f.end; ++c) {
    scratch.push_back(*c);
    if (*c == '"') ++c;  // skip the second quote of a doubled pair
  }
  return scratch;
}

// ---------------------------------------------------------------------------------------------
// Parsed chunk: typed buffers per column.

// Append-only buffer of a trivially copyable type with an inlined append; the parser's hot loop
// appends one value per cell. Reserved capacity that is never written costs no resident memory.
template <typename T>
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_) { o.data_ = nullptr, o.size_ = o.capacity_ = 0; }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_, size_ = o.size_, capacity_ = o.capacity_;
      o.data_ = nullptr, o.size_ = o.capacity_ = 0;
    }
    return *this;
  }
  ~Buffer() { std::free(data_); }

  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    void* p = std::realloc(data_, n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    data_ = static_cast<T*>(p);
    capacity_ = n;
  }
  __attribute__((always_inline)) void push_back(T v) {
    if (size_ == capacity_) [[unlikely]]
      reserve(capacity_ < 1024 ? 1024 : capacity_ * 2);
    data_[size_++] = v;
  }
  void clear() noexcept { size_ = 0; }
  void clear_and_free() {
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
  }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }
  std::size_t size() const noexcept { return size_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

struct ChunkColumn {
  Buffer<double> values;
  Buffer<std::int32_t> codes;
  StringDict dict;
  bool failed = false;     // a value did not parse in the column's mode
  bool has_time = false;   // datetime with a time of day
  std::size_t fail_line = 0;
  std::string fail_value;
  DateCache date_cache;
};

struct ChunkError {
  std::size_t line = 0;  // line number within the chunk, 0-based
  std::string message;   // the part after "FILE:LINE: "
};

struct Chunk {
  const char* start = nullptr;  // where parsing began
  const char* end = nullptr;    // start of the first row not parsed
  std::size_t newlines = 0;     // line breaks in [start, end)
  std::size_t rows = 0;
  bool crlf = false;
  std::optional<ChunkError> error;
  std::vector<ChunkColumn> columns;
};

struct ParseSetup {
  const char* data_end = nullptr;
  const char* trailing_blank = nullptr;  // from here to data_end only spaces and line ends
  char delim = ',';
  std::vector<Mode> modes;
  std::vector<bool> forced;  // a parse failure is an error rather than a fallback
  const NaTokens* na = nullptr;
  std::size_t ncols = 0;
  bool reference = false;  // the scalar parser only (tests compare the two)
};

// Parses rows that start in [start, limit) (the last row may run past limit).
// Short strings (up to 8 bytes) looked up in a small direct-mapped cache before the dictionary:
// most categorical cells repeat a handful of short values.
struct ShortStringCache {
  std::array<std::uint64_t, 256> word{};
  std::array<std::int32_t, 256> code;
  std::array<std::uint8_t, 256> length{};
  ShortStringCache() { code.fill(-1); }
};

inline std::uint64_t load_short(const char* p, std::size_t n) noexcept {
  std::uint64_t w = 0;
  for (std::size_t k = 0; k < n; ++k) w |= std::uint64_t{static_cast<unsigned char>(p[k])} << (8 * k);
  return w;
}

// Parses rows that start in [start, limit) (the last row may run past limit). Scanning and
// typed conversion are fused: each field goes to its column as soon as it is delimited.
void parse_chunk(const ParseSetup& setup, const char* start, const char* limit, Chunk& chunk,
                 std::size_t reserve_rows) {
  const std::size_t ncols = setup.ncols;
  std::vector<ShortStringCache> caches(ncols);
  // Reset, keeping the buffers' memory: chunks are recycled, so their pages are faulted in once.
  const auto reset = [&] {
    chunk.start = start;
    chunk.end = nullptr;
    chunk.newlines = chunk.rows = 0;
    chunk.crlf = false;
    chunk.error.reset();
    chunk.columns.resize(ncols);
    for (auto& col : chunk.columns) {
      col.values.clear();
      col.codes.clear();
      if (col.dict.size() > 0) col.dict.clear();
      col.failed = col.has_time = false;
      col.fail_line = 0;
      col.fail_value.clear();
      col.date_cache = DateCache{};
    }
    for (auto& cache : caches) cache = ShortStringCache{};
  };
  reset();
  for (std::size_t c = 0; c < ncols; ++c) {
    if (setup.modes[c] == Mode::Numeric || setup.modes[c] == Mode::Datetime)
      chunk.columns[c].values.reserve(reserve_rows);
    else if (setup.modes[c] == Mode::String)
      chunk.columns[c].codes.reserve(reserve_rows);
  }
  const RowScanner scanner(setup.data_end, setup.delim);
  const char* const end = setup.data_end;
  const char delim = setup.delim;
  const NaTokens& na = *setup.na;
  std::string scratch;
  std::size_t row_newlines = 0;  // newlines inside quoted fields of the current row

  const auto fail_row = [&](std::string message) {
    chunk.error = ChunkError{chunk.newlines + row_newlines, std::move(message)};
  };

  // Converts one field into its column. Returns false when the chunk must stop (an error).
  // Raw pointers: the vectors do not change size while the chunk is parsed, and plain pointers
  // let the compiler keep them in registers.
  const Mode* const modes = setup.modes.data();
  ChunkColumn* const columns = chunk.columns.data();
  ShortStringCache* const cache_of = caches.data();
  const auto put = [&](std::size_t c, const char* fb, const char* fe, bool quoted, bool escaped)
                       __attribute__((always_inline)) -> bool {
    const Mode mode = modes[c];
    if (mode == Mode::Skip) return true;
    ChunkColumn& col = columns[c];
    if (mode == Mode::Numeric && !quoted && fe > fb && fe - fb < 16) {
      // Fast path: a plain integer without spaces.
      const char* q = fb;
      const bool neg = *q == '-';
      q += neg;
      if (q < fe && static_cast<unsigned char>(*q - '0') < 10 && (*q != '0' || q + 1 == fe)) {
        std::uint64_t v = 0;
        while (q < fe && static_cast<unsigned char>(*q - '0') < 10) v = v * 10 + static_cast<unsigned>(*q++ - '0');
        if (q == fe) {
          if (!col.failed) col.values.push_back(neg ? -static_cast<double>(v) : static_cast<double>(v));
          return true;
        }
      }
    }
    std::string_view text(fb, static_cast<std::size_t>(fe - fb));
    if (escaped) text = field_text(Field{fb, fe, quoted, escaped}, scratch);
    if (mode == Mode::String) {
      if (na.is_missing(text)) {
        col.codes.push_back(-1);
        return true;
      }
      const std::string_view t = quoted ? text : trim(text);
      std::int32_t code;
      if (t.size() <= 8) {
        std::uint64_t w;
        if (t.data() + 8 <= end) {  // one unaligned load, masked to the field's length
          std::memcpy(&w, t.data(), 8);
          if (t.size() < 8) w &= (std::uint64_t{1} << (8 * t.size())) - 1;
        } else {
          w = load_short(t.data(), t.size());
        }
        const auto slot = static_cast<std::size_t>(((w * 0x9E3779B97F4A7C15ull) >> 56) ^ t.size()) & 255u;
        ShortStringCache& cache = cache_of[c];
        if (cache.code[slot] >= 0 && cache.word[slot] == w && cache.length[slot] == t.size()) {
          col.codes.push_back(cache.code[slot]);
          return true;
        }
        bool inserted = false;
        code = col.dict.intern(t, &inserted);
        if (inserted && utf8_valid_prefix(t) != t.size()) {
          fail_row("invalid UTF-8 in column " + std::to_string(c + 1) + " ('" + printable(t) + "'); save the file as UTF-8");
          return false;
        }
        cache.word[slot] = w;
        cache.length[slot] = static_cast<std::uint8_t>(t.size());
        cache.code[slot] = code;
      } else {
        bool inserted = false;
        code = col.dict.intern(t, &inserted);
        if (inserted && utf8_valid_prefix(t) != t.size()) {
          fail_row("invalid UTF-8 in column " + std::to_string(c + 1) + " ('" + printable(t) + "'); save the file as UTF-8");
          return false;
        }
      }
      col.codes.push_back(code);
      return true;
    }
    if (col.failed) return true;
    if (na.is_missing(text)) {
      col.values.push_back(std::numeric_limits<double>::quiet_NaN());
      return true;
    }
    double v = 0.0;
    bool ok = false;
    if (mode == Mode::Numeric) {
      ok = parse_number(text, v) == NumberParse::Ok;
    } else {
      bool has_time = false;
      ok = parse_datetime(text, v, has_time, &col.date_cache);
      col.has_time |= has_time;
    }
    if (ok) {
      col.values.push_back(v);
    } else {
      col.failed = true;
      col.fail_line = chunk.newlines + row_newlines;
      col.fail_value = std::string(text.substr(0, 60));
      col.values.clear_and_free();
    }
    return true;
  };


#if defined(__SSE2__)
  // Fast path: a structural index per 64-byte block (simdcsv-style). Quote bits give, through a
  // prefix XOR, which bytes lie inside quotes; separators and line ends outside quotes delimit
  // the fields. Well-formed input only: anything unusual (a quote that neither opens a field nor
  // escapes one, a ragged row, text after a closing quote, an unterminated quote, a field that
  // put() refuses) returns false, and the scalar parser below redoes the chunk, so that errors
  // and odd files are handled by one piece of code with its exact messages.
  const auto simd_scan = [&]() -> bool {
    if (start >= limit || start >= end) {
      chunk.end = start;
      return true;
    }
    const auto mask64 = [](const char* src, char ch) -> std::uint64_t {
      const __m128i v = _mm_set1_epi8(ch);
      std::uint64_t m = 0;
      for (int k = 0; k < 4; ++k) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16 * k));
        m |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, v)))) << (16 * k);
      }
      return m;
    };
    const auto popcount = [](std::uint64_t x) {
      std::size_t n = 0;
      for (; x != 0; x &= x - 1) ++n;
      return n;
    };
    const char* field = start;  // start of the current field
    std::size_t c = 0;          // fields of the current row emitted so far
    bool row_open = false;      // the current row has a separator already
    const char* skip_lf = nullptr;  // the LF of a CRLF, already handled with its CR
    std::uint64_t inside = 0;       // all ones when the previous block ended inside quotes
    bool prev_quote = false, prev_structural = true;
    std::size_t quoted_lf = 0;  // line feeds inside quotes in the current row
    bool escape_seen = false;   // an escape pair ("") in this block or since the field began
    alignas(16) char pad[64];

    // A field [fb, fe): quoted fields keep what is between their quotes (closing quote possibly
    // followed by spaces). false: leave it to the scalar parser.
    const auto emit = [&](const char* fb, const char* fe) __attribute__((always_inline)) -> bool {
      if (c >= ncols) return false;
      if (fb < fe && *fb == '"') {
        const char* e = fe;
        if (e[-1] != '"' || e - fb < 2) {  // spaces after the closing quote, or not closed here
          while (e > fb + 1 && e[-1] == ' ') --e;
          if (e - fb < 2 || e[-1] != '"') return false;
        }
        const char* ib = fb + 1;
        const char* ie = e - 1;
        // Doubled quotes inside: only when an escape pair was seen since the field began.
        const bool escaped = escape_seen && ie > ib && std::memchr(ib, '"', static_cast<std::size_t>(ie - ib)) != nullptr;
        if (!put(c, ib, ie, true, escaped)) return false;
      } else if (!put(c, fb, fe, false, false)) {
        return false;
      }
      ++c;
      return true;
    };

    for (const char* b = start; b < end; b += 64) {
      const auto avail = static_cast<std::size_t>(std::min<std::ptrdiff_t>(64, end - b));
      const char* src = b;
      if (avail < 64) {
        std::memcpy(pad, b, avail);
        std::memset(pad + avail, 0, 64 - avail);
        src = pad;
      }
      const std::uint64_t valid = avail == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << avail) - 1;
      const std::uint64_t q = mask64(src, '"') & valid;
      const std::uint64_t lf = mask64(src, '\n') & valid;
      const std::uint64_t cr = mask64(src, '\r') & valid;
      std::uint64_t x = q;
      x ^= x << 1, x ^= x << 2, x ^= x << 4, x ^= x << 8, x ^= x << 16, x ^= x << 32;
      const std::uint64_t inq = x ^ inside;
      std::uint64_t structural = (mask64(src, delim) | lf | cr) & ~inq & valid;
      const std::uint64_t field_starts = (structural << 1) | (prev_structural ? 1u : 0u);
      const std::uint64_t escapes = (q << 1) | (prev_quote ? 1u : 0u);
      if ((q & inq & ~field_starts & ~escapes) != 0) return false;  // a stray quote
      // Conservative: any escape pair in this block marks every field ending here as possibly
      // escaped (then memchr decides); it is cleared after the first field of the next block.
      const bool block_escapes = (q & inq & escapes) != 0;
      escape_seen |= block_escapes;
      inside = (inq >> 63) != 0 ? ~std::uint64_t{0} : 0;
      prev_quote = (q >> 63) != 0;
      prev_structural = (structural >> 63) != 0;
      std::uint64_t qlf = lf & inq;
      while (structural != 0) {
        const int pos = __builtin_ctzll(structural);
        structural &= structural - 1;
        const char* s = b + pos;
        const char ch = src[pos];
        if (s == skip_lf) continue;
        if (ch == delim) {
          if (!emit(field, s)) return false;
          escape_seen = block_escapes;
          field = s + 1;
          row_open = true;
          continue;
        }
        // A line end (CR, LF or CRLF).
        const char* next = s + 1;
        if (ch == '\r' && next < end && *next == '\n') {
          skip_lf = next;
          ++next;
          chunk.crlf = true;
        }
        const std::uint64_t below = pos == 0 ? 0 : (~std::uint64_t{0} >> (64 - pos));
        if ((qlf & below) != 0) {
          quoted_lf += popcount(qlf & below);
          qlf &= ~below;
        }
        if (!row_open && s == field && quoted_lf == 0) {  // a blank line
          if (ncols == 1 && s < setup.trailing_blank) {
            if (!emit(s, s)) return false;
            ++chunk.rows;
            c = 0;
          }
        } else {
          if (!emit(field, s) || c != ncols) return false;
          ++chunk.rows;
        }
        chunk.newlines += 1 + quoted_lf;
        quoted_lf = 0;
        escape_seen = block_escapes;
        c = 0;
        row_open = false;
        field = next;
        if (field >= limit) {
          chunk.end = field;
          return true;
        }
      }
      if (qlf != 0) quoted_lf += popcount(qlf);
    }
    // The end of the data without a final line end.
    if (inside != 0) return false;  // unterminated quote
    if (field < end || row_open) {
      if (!emit(field, end) || c != ncols) return false;
      ++chunk.rows;
      chunk.newlines += quoted_lf;
    }
    chunk.end = end;
    return true;
  };
  if (!setup.reference && simd_scan()) return;
  reset();
#endif

  const char* p = start;
  while (p < limit && p < end) {
    if (*p == '\n' || *p == '\r') {  // blank line
      if (ncols == 1 && p < setup.trailing_blank) {  // a single blank field: a missing value
        if (!put(0, p, p, false, false)) break;
        ++chunk.rows;
      }
      if (*p == '\r') ++p;
      if (p < end && *p == '\n') ++p;
      ++chunk.newlines;
      continue;
    }
    row_newlines = 0;
    std::size_t c = 0;
    bool stop = false;
    while (true) {
      const char* fb;
      const char* fe;
      bool quoted = false, escaped = false;
      if (*p == '"') {
        quoted = true;
        fb = ++p;
        bool lf = false, any_lf = false;
        while (true) {
          const char* hit = find_quote(p, end, lf);
          any_lf |= lf;
          if (hit == nullptr) {
            fail_row("unterminated quoted field (a '\"' opens a field that never closes); close the quote or "
                     "double the quotes inside the field");
            stop = true;
            break;
          }
          const char* q = hit;
          if (q + 1 < end && q[1] == '"') {
            escaped = true;
            p = q + 2;
            continue;
          }
          fe = q;
          p = q + 1;
          break;
        }
        if (stop) break;
        if (any_lf) row_newlines += count_newlines(fb, fe, end);
        while (p < end && *p == ' ') ++p;
        if (p < end && *p != delim && *p != '\n' && *p != '\r') {
          fail_row("text after a closing quote; quote the whole field and double any quote inside it");
          stop = true;
          break;
        }
      } else {
        fb = p;
        p = scanner.find_special(p);
        fe = p;
      }
      if (c >= ncols) {
        std::size_t found = c + 1;
        for (const char* k = p; k < end && *k != '\n' && *k != '\r'; ++k) found += (*k == delim);
        fail_row("expected " + std::to_string(ncols) + " fields but found " + std::to_string(found) +
                 " (ragged row); fix the row or quote fields that contain the separator");
        stop = true;
        break;
      }
      if (!put(c, fb, fe, quoted, escaped)) {
        stop = true;
        break;
      }
      ++c;
      if (p >= end) break;
      if (*p == delim) {
        ++p;
        if (p >= end) {  // a separator at the very end: one more, empty field
          if (c >= ncols || !put(c, p, p, false, false)) {
            fail_row("expected " + std::to_string(ncols) + " fields but found " + std::to_string(c + 1) +
                     " (ragged row); fix the row or quote fields that contain the separator");
            stop = true;
          }
          ++c;
          break;
        }
        continue;
      }
      if (*p == '\r') {
        ++p;
        if (p < end && *p == '\n') {
          ++p;
          chunk.crlf = true;
        }
      } else {
        ++p;
      }
      ++row_newlines;
      break;
    }
    if (stop) break;
    if (c != ncols) {
      chunk.error = ChunkError{chunk.newlines, "expected " + std::to_string(ncols) + " fields but found " +
                                                   std::to_string(c) +
                                                   " (ragged row); fix the row or quote fields that contain the separator"};
      break;
    }
    ++chunk.rows;
    chunk.newlines += row_newlines;
  }
  chunk.end = p < end ? p : end;
}

// ---------------------------------------------------------------------------------------------
// Final columns, appended to in chunk order.

struct FinalColumn {
  std::vector<double> values;
  std::vector<std::int32_t> codes;
  StringDict dict;
  bool failed = false;
  bool has_time = false;
  std::size_t fail_line = 0;  // absolute, 1-based
  std::string fail_value;
};

// Large column arrays are filled once, front to back: transparent huge pages cut the page faults
// (where the kernel offers them on request) without changing what is resident.
void advise_huge_pages(const void* data, std::size_t bytes) noexcept {
#ifdef MADV_HUGEPAGE
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  if (bytes < 2 * kHuge) return;
  const auto b = (reinterpret_cast<std::uintptr_t>(data) + kHuge - 1) / kHuge * kHuge;
  const auto e = (reinterpret_cast<std::uintptr_t>(data) + bytes) / kHuge * kHuge;
  if (e > b) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
#else
  (void)data, (void)bytes;
#endif
}

// Runs fn(0..n-1) on up to `threads` threads; the first exception is rethrown.
template <typename Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto work = [&]() {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  try {
    for (unsigned t = 1; t < std::min<std::size_t>(threads, n); ++t) pool.emplace_back(work);
  } catch (const std::system_error&) {
    // Fewer threads than asked for: the ones started and this one do the work.
  }
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

class Reader {
 public:
  Reader(std::string_view text, std::string name, const CsvOptions& options, const Source* source)
      : text_(text), name_(std::move(name)), options_(options), source_(source), na_(options.na_tokens) {}

  Table read(CsvInfo& info) {
    const char* p = text_.data();
    const char* end = p + text_.size();
    if (text_.size() >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
      info.utf8_bom = true;
      p += 3;
    }
    if (trim_all_space(p, end)) fail(0, "the file is empty; give a CSV file with a header line and data rows");
    delim_ = options_.delimiter != '\0' ? options_.delimiter : detect_delimiter(p, end);
    info.delimiter = delim_;

    // Header.
    RowScanner scanner(end, delim_);
    std::vector<Field> fields;
    const char* next = nullptr;
    std::size_t nl = 0;
    bool crlf = false;
    RowStatus st;
    std::size_t line = 1;
    while ((st = scanner.scan(p, fields, next, nl, crlf)) == RowStatus::Blank) {
      p = next;
      line += nl;
    }
    if (st == RowStatus::Unterminated) fail(line, "unterminated quoted field in the header; close the quote");
    if (st == RowStatus::BadQuote) fail(line, "text after a closing quote in the header; quote the whole column name");
    std::string scratch;
    std::vector<std::string> names;
    for (const auto& f : fields) {
      const auto t = field_text(f, scratch);
      const auto n = f.quoted ? t : trim(t);
      if (utf8_valid_prefix(n) != n.size())
        fail(line, "invalid UTF-8 in the header ('" + printable(n) + "'); save the file as UTF-8");
      names.emplace_back(n);
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (trim(names[i]).empty())
        fail(line, "column " + std::to_string(i + 1) + " has an empty name; give every column a name in the header");
      for (std::size_t j = 0; j < i; ++j)
        if (names[j] == names[i])
          fail(line, "duplicate column name '" + names[i] + "' (columns " + std::to_string(j + 1) + " and " +
                         std::to_string(i + 1) + "); give every column a distinct name");
    }
    for (const auto& [col, type] : options_.column_types)
      if (std::find(names.begin(), names.end(), col) == names.end())
        throw Error(ErrorKind::Usage, name_ + ": a type was given for column '" + col + "', which the file does not have");
    header_lines_ = line - 1 + nl;
    info.crlf = crlf;
    const char* data = next;
    ncols_ = names.size();

    // Is there any data row?
    {
      const char* q = data;
      RowStatus s2;
      while ((s2 = scanner.scan(q, fields, next, nl, crlf)) == RowStatus::Blank) q = next;
      if (s2 == RowStatus::End)
        fail(header_lines_, "the file has a header but no data rows; add data rows below the header");
    }

    // Sample and modes.
    ParseSetup setup;
    setup.data_end = end;
    setup.trailing_blank = end;
    while (setup.trailing_blank > data && (setup.trailing_blank[-1] == '\n' || setup.trailing_blank[-1] == '\r' ||
                                           setup.trailing_blank[-1] == ' ' || setup.trailing_blank[-1] == '\t'))
      --setup.trailing_blank;
    setup.delim = delim_;
    setup.na = &na_;
    setup.ncols = ncols_;
    setup.reference = options_.reference_parser;
    std::vector<detail::ColumnEvidence> evidence(ncols_);
    choose_modes(data, end, names, setup, evidence);

    // Main pass.
    std::vector<FinalColumn> cols(ncols_);
    const std::size_t rows = run_pass(setup, data, end, cols, info);

    // Second pass for columns whose sample was misleading.
    std::vector<bool> redo(ncols_, false);
    bool any_redo = false;
    for (std::size_t c = 0; c < ncols_; ++c) {
      if (!cols[c].failed) continue;
      if (setup.forced[c]) {
        fail(cols[c].fail_line, "column '" + names[c] + "' was set to type " +
                                    std::string(to_string(*evidence[c].forced)) + " but holds '" +
                                    printable(cols[c].fail_value) + "'; fix the value or choose another type");
      }
      redo[c] = any_redo = true;
    }
    if (any_redo) {
      ParseSetup second = setup;
      for (std::size_t c = 0; c < ncols_; ++c) {
        second.modes[c] = redo[c] ? Mode::String : Mode::Skip;
        if (redo[c]) {
          evidence[c].datetime = false;
          evidence[c].has_time = false;
          cols[c] = FinalColumn{};
        }
      }
      CsvInfo ignored;
      run_pass(second, data, end, cols, ignored);
    }

    // Build the table; type inference reads every value, so columns are inferred in parallel.
    std::vector<Column> columns(ncols_);
    const auto build = [&](std::size_t c) {
      FinalColumn& fc = cols[c];
      const Mode mode = any_redo && redo[c] ? Mode::String : setup.modes[c];
      Column column;
      if (mode == Mode::String) {
        std::vector<std::string> cats;
        cats.reserve(fc.dict.size());
        for (std::size_t i = 0; i < fc.dict.size(); ++i) cats.emplace_back(fc.dict.at(i));
        fc.dict = StringDict{};
        column = Column::dictionary(names[c], ColumnType::Categorical, std::move(fc.codes), std::move(cats));
      } else {
        evidence[c].has_time = fc.has_time;
        column = Column::numeric(names[c], ColumnType::Float, std::move(fc.values));
      }
      detail::infer_column_type(column, evidence[c]);
      columns[c] = std::move(column);
    };
    parallel_for(ncols_, info.threads_used, build);
    info.rows = rows;
    return Table(std::move(columns));
  }

 private:
  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    std::string msg = name_;
    if (line > 0) msg += ":" + std::to_string(line);
    msg += ": " + what;
    throw Error(ErrorKind::BadInput, msg);
  }

  static bool trim_all_space(const char* p, const char* end) {
    for (; p < end; ++p)
      if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return false;
    return true;
  }

  // Counts , ; and tab outside quotes on the first lines; the separator that appears in the
  // header and the same number of times on most lines wins.
  static char detect_delimiter(const char* p, const char* end) {
    static constexpr std::array<char, 3> kCandidates = {',', ';', '\t'};
    std::array<std::vector<std::size_t>, 3> counts;
    std::array<std::size_t, 3> cur{};
    bool in_quotes = false;
    std::size_t lines = 0;
    const char* limit = std::min(end, p + (1 << 16));
    for (; p < limit && lines < 20; ++p) {
      const char c = *p;
      if (c == '"') {
        in_quotes = !in_quotes;
      } else if (!in_quotes && c == '\n') {
        for (std::size_t k = 0; k < 3; ++k) {
          counts[k].push_back(cur[k]);
          cur[k] = 0;
        }
        ++lines;
      } else if (!in_quotes) {
        for (std::size_t k = 0; k < 3; ++k) cur[k] += (c == kCandidates[k]);
      }
    }
    if (lines < 20)
      for (std::size_t k = 0; k < 3; ++k)
        if (cur[k] > 0) counts[k].push_back(cur[k]);
    char best = ',';
    double best_score = 0.0;
    for (std::size_t k = 0; k < 3; ++k) {
      if (counts[k].empty() || counts[k][0] == 0) continue;
      const std::size_t header = counts[k][0];
      std::size_t same = 0;
      for (auto n : counts[k]) same += (n == header);
      const double score = static_cast<double>(same) / static_cast<double>(counts[k].size()) * 1000.0 +
                           static_cast<double>(header);
      if (score > best_score) {
        best_score = score;
        best = kCandidates[k];
      }
    }
    return best;
  }

  void choose_modes(const char* data, const char* end, const std::vector<std::string>& names, ParseSetup& setup,
                    std::vector<detail::ColumnEvidence>& evidence) {
    constexpr std::size_t kSampleRows = 2000;
    struct Stats {
      std::size_t present = 0, numeric = 0, leading_zero = 0, dates = 0, quoted = 0;
      bool has_time = false;
      std::set<std::string> distinct;
    };
    std::vector<Stats> stats(ncols_);
    RowScanner scanner(end, delim_);
    std::vector<Field> fields;
    std::string scratch;
    const char* p = data;
    bool crlf = false;
    for (std::size_t r = 0; r < kSampleRows;) {
      const char* next = nullptr;
      std::size_t nl = 0;
      const RowStatus st = scanner.scan(p, fields, next, nl, crlf);
      if (st == RowStatus::End || st == RowStatus::Unterminated || st == RowStatus::BadQuote) break;
      p = next;
      if (st == RowStatus::Blank) continue;
      ++r;
      if (fields.size() != ncols_) break;  // the main pass reports it with its line number
      for (std::size_t c = 0; c < ncols_; ++c) {
        const auto text = field_text(fields[c], scratch);
        if (na_.is_missing(text)) continue;
        Stats& s = stats[c];
        ++s.present;
        s.quoted += fields[c].quoted;
        double v = 0.0;
        const NumberParse np = parse_number(text, v);
        if (np == NumberParse::Ok) ++s.numeric;
        if (np == NumberParse::LeadingZero) ++s.leading_zero;
        bool has_time = false;
        if (np != NumberParse::Ok && parse_datetime(text, v, has_time)) {
          ++s.dates;
          s.has_time |= has_time;
        }
        // Distinct values matter only for quoted numbers (are they category codes?).
        if (np == NumberParse::Ok && fields[c].quoted && s.distinct.size() <= 32) s.distinct.emplace(trim(text));
      }
    }
    setup.modes.assign(ncols_, Mode::Numeric);
    setup.forced.assign(ncols_, false);
    for (std::size_t c = 0; c < ncols_; ++c) {
      const Stats& s = stats[c];
      auto& ev = evidence[c];
      Mode mode = Mode::Numeric;
      if (s.present == 0) {
        mode = Mode::Numeric;  // nothing seen yet: numbers, falling back to text if text comes
      } else if (s.numeric + s.leading_zero == s.present && s.leading_zero > 0) {
        mode = Mode::String;
        ev.leading_zero_codes = true;
      } else if (s.numeric == s.present) {
        // Numbers that the writer quoted like text, with few distinct values, are codes of a
        // categorical variable (R's write.csv and Python's QUOTE_NONNUMERIC quote only text).
        if (s.quoted == s.present && s.distinct.size() <= 32) {
          mode = Mode::String;
          ev.quoted_numeric_codes = true;
        }
      } else if (s.dates == s.present) {
        mode = Mode::Datetime;
        ev.datetime = true;
      } else {
        mode = Mode::String;
      }
      if (auto it = options_.column_types.find(names[c]); it != options_.column_types.end()) {
        const ColumnType t = it->second;
        ev.forced = t;
        setup.forced[c] = t != ColumnType::Boolean && t != ColumnType::Categorical && t != ColumnType::Text &&
                          t != ColumnType::Id;
        if (t == ColumnType::Integer || t == ColumnType::Float) {
          mode = Mode::Numeric;
        } else if (t == ColumnType::Datetime || t == ColumnType::Date) {
          mode = Mode::Datetime;
          ev.datetime = true;
        } else {
          mode = Mode::String;
        }
      }
      setup.modes[c] = mode;
    }
  }

  // Parses [data, end) in chunks on several threads and appends to cols. Returns the row count.
  std::size_t run_pass(const ParseSetup& setup, const char* data, const char* end, std::vector<FinalColumn>& cols,
                       CsvInfo& info) {
    const auto bytes = static_cast<std::size_t>(end - data);
    unsigned threads = options_.threads != 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    // At most 4 MiB a chunk (bounded buffers), and at least 8 chunks per thread so that the
    // threads finish together (a 10 MB file in 4 MiB chunks would leave one thread idle for a
    // third of the time); never below 256 KiB, where the per-chunk costs start to show.
    std::size_t kChunk = options_.chunk_bytes;
    if (kChunk == 0)
      kChunk = std::clamp<std::size_t>(bytes / (std::size_t{8} * threads), std::size_t{256} << 10, std::size_t{4} << 20);
    const std::size_t nchunks = std::max<std::size_t>(1, (bytes + kChunk - 1) / kChunk);
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, nchunks));
    info.threads_used = threads;
    std::vector<const char*> bounds(nchunks + 1);
    for (std::size_t k = 0; k <= nchunks; ++k) bounds[k] = data + std::min(bytes, k * kChunk);

    // Rough row estimate for reservations (reserved but untouched pages cost no memory).
    std::size_t est_rows = 1024;
    {
      const char* q = data;
      std::size_t n = 0;
      const char* limit = std::min(end, data + (1 << 20));
      while (q < limit && n < 2000) {
        const void* hit = std::memchr(q, '\n', static_cast<std::size_t>(limit - q));
        if (hit == nullptr) break;
        q = static_cast<const char*>(hit) + 1;
        ++n;
      }
      if (n > 0) {
        const double per_row = static_cast<double>(q - data) / static_cast<double>(n);
        est_rows = static_cast<std::size_t>(static_cast<double>(bytes) / per_row * 1.1) + 1024;
      }
    }
    for (std::size_t c = 0; c < ncols_; ++c) {
      if (setup.modes[c] == Mode::Numeric || setup.modes[c] == Mode::Datetime) {
        cols[c].values.reserve(est_rows);
        advise_huge_pages(cols[c].values.data(), cols[c].values.capacity() * sizeof(double));
      }
      if (setup.modes[c] == Mode::String) {
        cols[c].codes.reserve(est_rows);
        advise_huge_pages(cols[c].codes.data(), cols[c].codes.capacity() * sizeof(std::int32_t));
      }
    }
    const std::size_t chunk_rows = est_rows / nchunks + 1024;

    // Parsed chunks wait in their slot until merged in order; merged chunks go back to a pool.
    std::vector<std::unique_ptr<Chunk>> slots(nchunks);
    std::vector<std::unique_ptr<Chunk>> spare;
    std::mutex spare_mutex;
    std::vector<std::atomic<bool>> ready(nchunks);
    std::atomic<std::size_t> next_chunk{0};
    std::mutex merge_mutex;
    std::size_t merged = 0;
    const char* merged_end = data;  // true end of the last merged chunk
    std::size_t line_base = header_lines_;
    std::size_t rows = 0;
    bool crlf = false;
    std::atomic<bool> stop{false};
    std::exception_ptr failure;

    auto merge_ready = [&]() {
      std::lock_guard lock(merge_mutex);
      while (merged < nchunks && ready[merged].load(std::memory_order_acquire) && !stop.load()) {
        Chunk& ch = *slots[merged];
        try {
          if (ch.start != merged_end) {
            // The guessed start was wrong (a quoted newline) or a previous chunk ran long.
            parse_chunk(setup, merged_end, std::max(merged_end, bounds[merged + 1]), ch, chunk_rows);
          }
          if (ch.error) fail(line_base + ch.error->line + 1, ch.error->message);
          append(setup, ch, cols, line_base);
        } catch (...) {
          failure = std::current_exception();
          stop = true;
          return;
        }
        line_base += ch.newlines;
        rows += ch.rows;
        crlf |= ch.crlf;
        if (source_ != nullptr) source_->release(merged_end, ch.end);
        merged_end = ch.end;
        {
          std::lock_guard spare_lock(spare_mutex);
          spare.push_back(std::move(slots[merged]));
        }
        ++merged;
      }
    };

    auto work = [&]() {
      while (!stop.load()) {
        const std::size_t k = next_chunk.fetch_add(1);
        if (k >= nchunks) break;
        if (options_.cancel != nullptr && options_.cancel->cancelled()) {
          std::lock_guard lock(merge_mutex);
          if (!failure) failure = std::make_exception_ptr(Cancelled());
          stop = true;
          break;
        }
        const char* start = bounds[k];
        if (k > 0) {
          const void* hit = std::memchr(bounds[k] - 1, '\n', static_cast<std::size_t>(end - bounds[k] + 1));
          start = hit == nullptr ? end : static_cast<const char*>(hit) + 1;
        }
        std::unique_ptr<Chunk> chunk;
        {
          std::lock_guard spare_lock(spare_mutex);
          if (!spare.empty()) {
            chunk = std::move(spare.back());
            spare.pop_back();
          }
        }
        if (!chunk) chunk = std::make_unique<Chunk>();
        parse_chunk(setup, start, std::max(start, bounds[k + 1]), *chunk, chunk_rows);
        slots[k] = std::move(chunk);
        ready[k].store(true, std::memory_order_release);
        merge_ready();
      }
    };
    // No exception may leave a thread (that would terminate the process): the first one is kept
    // and rethrown after the join, out of memory included.
    auto worker = [&]() {
      try {
        work();
      } catch (...) {
        std::lock_guard lock(merge_mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
      }
    };

    std::vector<std::thread> pool;
    try {
      for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    } catch (const std::system_error&) {
      // Fewer threads than asked for: the ones started and this one do the work.
    }
    worker();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    merge_ready();
    if (merged != nchunks) throw Error(ErrorKind::Internal, name_ + ": CSV chunks were not all merged");
    info.crlf |= crlf;
    return rows;
  }

  void append(const ParseSetup& setup, Chunk& ch, std::vector<FinalColumn>& cols, std::size_t line_base) const {
    for (std::size_t c = 0; c < ncols_; ++c) {
      const Mode mode = setup.modes[c];
      if (mode == Mode::Skip) continue;
      FinalColumn& fc = cols[c];
      ChunkColumn& cc = ch.columns[c];
      if (mode == Mode::String) {
        std::vector<std::int32_t> remap(cc.dict.size());
        for (std::size_t i = 0; i < remap.size(); ++i) remap[i] = fc.dict.intern(cc.dict.at(i));
        const std::size_t base = fc.codes.size();
        fc.codes.resize(base + cc.codes.size());
        std::int32_t* dst = fc.codes.data() + base;
        for (const std::int32_t code : cc.codes) *dst++ = code < 0 ? -1 : remap[static_cast<std::size_t>(code)];
        continue;
      }
      if (fc.failed) continue;
      if (cc.failed) {
        fc.failed = true;
        fc.fail_line = line_base + cc.fail_line + 1;
        fc.fail_value = cc.fail_value;
        std::vector<double>().swap(fc.values);
        continue;
      }
      fc.has_time |= cc.has_time;
      fc.values.insert(fc.values.end(), cc.values.begin(), cc.values.end());
    }
  }

  std::string_view text_;
  std::string name_;
  const CsvOptions& options_;
  const Source* source_;
  NaTokens na_;
  char delim_ = ',';
  std::size_t ncols_ = 0;
  std::size_t header_lines_ = 0;
};

std::string display_name(const std::filesystem::path& path) { return path.string(); }

}  // namespace

Table read_csv_text(std::string_view text, const CsvOptions& options, std::string_view source_name, CsvInfo* info) {
  const auto t0 = Clock::now();
  CsvInfo local;
  CsvInfo& out = info != nullptr ? *info : local;
  out = CsvInfo{};
  out.bytes = text.size();
  Reader reader(text, std::string(source_name), options, nullptr);
  Table table = reader.read(out);
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return table;
}

Table read_csv(const std::filesystem::path& path, const CsvOptions& options, CsvInfo* info) {
  const auto t0 = Clock::now();
  const std::string name = display_name(path);
  CsvInfo local;
  CsvInfo& out = info != nullptr ? *info : local;
  out = CsvInfo{};

  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw Error(ErrorKind::BadInput, name + ": no such file; check the path");
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorKind::BadInput, name + ": is a directory, not a CSV file; give the path of a file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(ErrorKind::BadInput, name + ": cannot open (" + std::string(std::strerror(errno)) +
                                         "); check the file's permissions");
  struct FdGuard {
    int fd;
    ~FdGuard() {
      if (fd >= 0) ::close(fd);
    }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(ErrorKind::BadInput, name + ": cannot read the file's size; check the path");
  const auto size = static_cast<std::size_t>(st.st_size);
  const std::string empty_message =
      name + ": the file is empty; give a CSV file with a header line and data rows";
  if (size == 0) throw Error(ErrorKind::BadInput, empty_message);
  Source source;
  unsigned char magic[2] = {0, 0};
  const bool gz = size >= 2 && ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (gz) {
    out.gzip = true;
    gzFile gzf = gzdopen(::dup(fd), "rb");
    if (gzf == nullptr) throw Error(ErrorKind::BadInput, name + ": cannot open the gzip stream");
    gzbuffer(gzf, 1 << 20);
    std::string buffer;
    buffer.reserve(size * 4);
    std::vector<char> block(1 << 20);
    while (true) {
      const int n = gzread(gzf, block.data(), static_cast<unsigned>(block.size()));
      if (n < 0) {
        int err = 0;
        const std::string msg = gzerror(gzf, &err);
        gzclose(gzf);
        throw Error(ErrorKind::BadInput, name + ": corrupt gzip data (" + msg + "); check the file or decompress it");
      }
      if (n == 0) break;
      buffer.append(block.data(), static_cast<std::size_t>(n));
    }
    gzclose(gzf);
    if (buffer.empty()) throw Error(ErrorKind::BadInput, empty_message);
    source.own(std::move(buffer));
  } else {
    source.map_file(fd, size);
  }
  out.bytes = source.text().size();
  Reader reader(source.text(), name, options, &source);
  Table table = reader.read(out);
  out.bytes = source.text().size();
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return table;
}

}  // namespace glasswing::data
