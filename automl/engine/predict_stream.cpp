// Streaming batch prediction (bundle.hpp, predict_file): reader -> worker -> writer over bounded
// queues of chunks.

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "automl/engine/bundle.hpp"

namespace glasswing::engine {

namespace fs = std::filesystem;

namespace {

// A blocking queue of at most `capacity` items. close(): no more items (pop drains, then
// nullopt); abort(): pushes and pops give up at once.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}
  bool push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return aborted_ || items_.size() < capacity_; });
    if (aborted_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return aborted_ || closed_ || !items_.empty(); });
    if (aborted_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }
  void abort() {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  bool closed_ = false, aborted_ = false;
};

// Finds the ends of CSV records (a line feed outside quotes; a quote opens a field only at its
// start, as the CSV reader has it), carrying its state across buffers.
class RecordScanner {
 public:
  explicit RecordScanner(char delimiter) : delim_(delimiter) {}
  // Scans text[from, to); returns the position after the last record end (npos if none). With
  // `first`, stops after the first record end and sets `stopped` there.
  std::size_t scan(const std::string& text, std::size_t from, std::size_t to, bool first, std::size_t* stopped) {
    std::size_t last = std::string::npos;
    for (std::size_t i = from; i < to; ++i) {
      const char ch = text[i];
      switch (state_) {
        case State::FieldStart:
          if (ch == '"') state_ = State::Quoted;
          else if (ch == '\n') last = i + 1;
          else if (ch != delim_) state_ = State::Unquoted;
          break;
        case State::Unquoted:
          if (ch == delim_) state_ = State::FieldStart;
          else if (ch == '\n') {
            last = i + 1;
            state_ = State::FieldStart;
          }
          break;
        case State::Quoted:
          if (ch == '"') state_ = State::QuoteInQuoted;
          break;
        case State::QuoteInQuoted:
          if (ch == '"') state_ = State::Quoted;
          else if (ch == delim_) state_ = State::FieldStart;
          else if (ch == '\n') {
            last = i + 1;
            state_ = State::FieldStart;
          } else {
            state_ = State::Unquoted;
          }
          break;
      }
      if (first && last != std::string::npos) {
        if (stopped != nullptr) *stopped = last;
        return last;
      }
    }
    if (stopped != nullptr) *stopped = to;
    return last;
  }

 private:
  enum class State { FieldStart, Unquoted, Quoted, QuoteInQuoted };
  char delim_;
  State state_ = State::FieldStart;
};

// The delimiter of a header line: the most frequent of , ; and tab outside quotes (ties in that
// order), ',' when none.
char detect_delimiter(const std::string& header) {
  std::size_t comma = 0, semi = 0, tab = 0;
  bool quoted = false;
  for (const char ch : header) {
    if (ch == '"') quoted = !quoted;
    if (quoted) continue;
    comma += ch == ',';
    semi += ch == ';';
    tab += ch == '\t';
  }
  if (semi > comma && semi >= tab) return ';';
  if (tab > comma && tab > semi) return '\t';
  return ',';
}

bool blank(const std::string& s, std::size_t from) {
  return s.find_first_not_of(" \t\r\n", from) == std::string::npos;
}

std::size_t count_newlines(const std::string& s, std::size_t from = 0, std::size_t to = std::string::npos) {
  return static_cast<std::size_t>(std::count(s.begin() + static_cast<std::ptrdiff_t>(from),
                                             to == std::string::npos ? s.end() : s.begin() + static_cast<std::ptrdiff_t>(to), '\n'));
}

class Source {
 public:
  Source(const fs::path& path, std::size_t block) : name_(path.string()), block_(block) {
    if (!fs::is_regular_file(path))
      throw Error(ErrorKind::BadInput, "data file " + name_ + " does not exist or is not a file; check the path");
    file_ = gzopen(name_.c_str(), "rb");
    if (file_ == nullptr) throw Error(ErrorKind::BadInput, "data file " + name_ + " cannot be opened; check the path and permissions");
    gzbuffer(file_, 1u << 18);
  }
  ~Source() {
    if (file_ != nullptr) gzclose(file_);
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
  // Appends up to one block to `buf`; false at the end of the file.
  bool read_more(std::string& buf) {
    if (eof_) return false;
    const std::size_t old = buf.size();
    buf.resize(old + block_);
    const int n = gzread(file_, buf.data() + old, static_cast<unsigned>(block_));
    if (n < 0) {
      int err = 0;
      const std::string msg = gzerror(file_, &err);
      throw Error(ErrorKind::BadInput, name_ + ": cannot read the file (" + msg + "); check the file or decompress it");
    }
    buf.resize(old + static_cast<std::size_t>(n));
    if (n == 0) eof_ = true;
    return n > 0;
  }
  bool eof() const noexcept { return eof_; }

 private:
  std::string name_;
  std::size_t block_;
  gzFile file_ = nullptr;
  bool eof_ = false;
};

// Cuts the file into header + chunks of whole records.
class Chunker {
 public:
  Chunker(const fs::path& path, std::size_t chunk_bytes)
      : source_(path, std::clamp<std::size_t>(chunk_bytes, 4096, std::size_t{1} << 20)),
        scanner_(','),
        chunk_bytes_(std::max<std::size_t>(chunk_bytes, 1)) {
    // The header: the first record.
    std::size_t end = std::string::npos;
    while (true) {
      const std::size_t before = pending_.size();
      const bool more = source_.read_more(pending_);
      end = scanner_.scan(pending_, before, pending_.size(), true, nullptr);
      if (end != std::string::npos || !more) break;
    }
    if (end == std::string::npos) end = pending_.size();  // a header without a line end: the CSV reader says what is wrong
    header_ = pending_.substr(0, end);
    pending_.erase(0, end);
    scanner_ = RecordScanner(detect_delimiter(header_));
    scanned_ = 0;
    scan_new();
    next_line_ = count_newlines(header_) + 1;
  }

  const std::string& header() const noexcept { return header_; }
  char delimiter() const { return detect_delimiter(header_); }

  struct Piece {
    std::string body;
    std::size_t first_line = 0;  // file line number of the body's first line
  };
  // The next chunk of whole records, or nullopt at the end. Blank pieces are skipped.
  std::optional<Piece> next() {
    while (true) {
      while (!source_.eof() && (pending_.size() < chunk_bytes_ || boundary_ == std::string::npos)) {
        source_.read_more(pending_);
        scan_new();
      }
      if (pending_.empty()) return std::nullopt;
      // At the end of the file the rest is the last chunk; before it, cut after the last whole
      // record (what is left holds no record end, and the scanner's state fits it).
      const std::size_t cut = source_.eof() ? pending_.size() : boundary_;
      Piece piece;
      piece.body = pending_.substr(0, cut);
      pending_.erase(0, cut);
      scanned_ -= cut;
      boundary_ = std::string::npos;
      piece.first_line = next_line_;
      next_line_ += count_newlines(piece.body);
      if (blank(piece.body, 0)) continue;
      return piece;
    }
  }

 private:
  void scan_new() {
    const std::size_t b = scanner_.scan(pending_, scanned_, pending_.size(), false, nullptr);
    if (b != std::string::npos) boundary_ = b;
    scanned_ = pending_.size();
  }

  Source source_;
  RecordScanner scanner_;
  std::size_t chunk_bytes_;
  std::string header_;
  std::string pending_;
  std::size_t scanned_ = 0;                     // pending_[0, scanned_) went through the scanner
  std::size_t boundary_ = std::string::npos;    // last record end in pending_[0, scanned_)
  std::size_t next_line_ = 1;
};

// Parses header + body; error line numbers are made file line numbers.
data::Table parse_piece(const std::string& header, const Chunker::Piece& piece, const data::CsvOptions& options,
                        const std::string& name) {
  try {
    return data::read_csv_text(header + piece.body, options, name);
  } catch (const Error& e) {
    std::string msg = e.what();
    const std::string prefix = name + ":";
    const std::size_t header_lines = count_newlines(header);
    if (msg.rfind(prefix, 0) == 0) {
      std::size_t i = prefix.size(), j = i;
      while (j < msg.size() && msg[j] >= '0' && msg[j] <= '9') ++j;
      if (j > i && j < msg.size() && msg[j] == ':') {
        const std::size_t line = std::stoul(msg.substr(i, j - i));
        if (line > header_lines) msg = prefix + std::to_string(line - header_lines - 1 + piece.first_line) + msg.substr(j);
      }
    }
    throw Error(e.kind(), msg);
  }
}

}  // namespace

PredictFileStats predict_file(const Bundle& bundle, const fs::path& data, const fs::path& out,
                              const PredictFileOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string name = data.string();
  Chunker chunker(data, options.chunk_bytes);
  data::CsvOptions csv;
  csv.delimiter = chunker.delimiter();
  csv.threads = 1;

  // The first chunk, read here: its header says whether every model column is there before any
  // row is predicted; the categorical columns the model reads are then parsed as text, as in
  // training (per-chunk inference could read codes such as "01" as numbers).
  std::optional<Chunker::Piece> first = chunker.next();
  if (!first) {
    (void)data::read_csv_text(chunker.header(), csv, name);  // throws: the file is empty or has a header only
    throw Error(ErrorKind::BadInput, name + ": the file has no data rows; add data rows below the header");
  }
  {
    const data::Table probe = parse_piece(chunker.header(), *first, csv, name);
    std::string missing;
    std::size_t n_missing = 0;
    for (const auto& col : bundle.required_columns) {
      if (probe.find(col) == nullptr) {
        missing += (missing.empty() ? "'" : ", '") + col + "'";
        ++n_missing;
        continue;
      }
      const auto t = bundle.column_types.find(col);
      if (t != bundle.column_types.end() &&
          (t->second == data::ColumnType::Categorical || t->second == data::ColumnType::Boolean ||
           t->second == data::ColumnType::Text))
        csv.column_types[col] = t->second;
    }
    if (n_missing > 0)
      throw Error(ErrorKind::BadInput, "data file " + name + " lacks " + (n_missing == 1 ? "column " : "columns ") + missing +
                                           ", which the model uses; give a file with the training data's columns "
                                           "(extra columns are ignored)");
  }

  fs::path tmp = out;
  tmp += ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (file == nullptr)
    throw Error(ErrorKind::Storage, "cannot write " + out.string() + "; choose a writable --out path");

  struct Parsed {
    data::Table table;
  };
  BoundedQueue<Parsed> parsed(options.queue_chunks);
  BoundedQueue<std::string> formatted(options.queue_chunks);
  std::mutex error_mutex;
  std::exception_ptr error;
  auto fail = [&](std::exception_ptr e) {
    {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::move(e);
    }
    parsed.abort();
    formatted.abort();
  };
  std::atomic<std::size_t> alive{0}, peak{0}, chunks{0};
  auto born = [&] {
    const std::size_t now = ++alive;
    std::size_t p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    ++chunks;
  };

  std::thread reader([&] {
    try {
      std::optional<Chunker::Piece> piece = std::move(first);
      while (piece) {
        born();
        if (!parsed.push(Parsed{parse_piece(chunker.header(), *piece, csv, name)})) return;
        piece = chunker.next();
      }
      parsed.close();
    } catch (...) {
      fail(std::current_exception());
    }
  });
  std::thread writer([&] {
    try {
      const std::string header = predictions_csv_header(bundle.classes);
      if (std::fwrite(header.data(), 1, header.size(), file) != header.size())
        throw Error(ErrorKind::Storage, "cannot write " + out.string() + "; check free space");
      while (auto text = formatted.pop()) {
        if (std::fwrite(text->data(), 1, text->size(), file) != text->size())
          throw Error(ErrorKind::Storage, "cannot write " + out.string() + "; check free space");
        --alive;
      }
    } catch (...) {
      fail(std::current_exception());
    }
  });

  PredictFileStats stats;
  try {
    while (auto chunk = parsed.pop()) {
      const PredictionTable p = predict(bundle, chunk->table, &stats.unseen);
      stats.rows += p.rows;
      std::string text;
      text.reserve(p.rows * (bundle.outputs() * 20 + 8));
      append_predictions_csv(p, text);
      if (!formatted.push(std::move(text))) break;
    }
    formatted.close();
  } catch (...) {
    fail(std::current_exception());
  }
  reader.join();
  writer.join();
  const bool closed = std::fclose(file) == 0;
  std::error_code ec;
  if (error) {
    fs::remove(tmp, ec);
    std::rethrow_exception(error);
  }
  if (!closed) {
    fs::remove(tmp, ec);
    throw Error(ErrorKind::Storage, "cannot write " + out.string() + "; check free space");
  }
  fs::rename(tmp, out, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(ErrorKind::Storage, "cannot move the predictions into " + out.string() + ": " + ec.message());
  }
  stats.chunks = chunks.load();
  stats.peak_chunks_in_memory = peak.load();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace glasswing::engine
