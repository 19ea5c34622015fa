// CSV reader: RFC 4180 features, separators, missing values, large inputs parsed in chunks by
// several threads, and every bad input the issue lists (one clear message, ErrorKind::BadInput).

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <random>
#include <sstream>

#include "automl/common/error.hpp"
#include "automl/data/csv.hpp"
#include "test_util.hpp"

using namespace glasswing;
using namespace glasswing::data;
using glasswing::test::TempDir;

namespace {

Table parse(std::string_view text, CsvInfo* info = nullptr, CsvOptions options = {}) {
  return read_csv_text(text, options, "test.csv", info);
}

// The BadInput message for the text, or "" when it parses.
std::string bad_input_message(std::string_view text) {
  try {
    parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    return msg;
  }
  return "";
}

}  // namespace

TEST(Csv, ReadsQuotedFieldsWithSeparatorsNewlinesAndDoubledQuotes) {
  const Table t = parse("id,name,note\n1,\"Smith, John\",\"said \"\"hi\"\"\nthen left\"\n2,plain,\"\"\n");
  ASSERT_EQ(t.rows(), 2u);
  ASSERT_EQ(t.column_count(), 3u);
  EXPECT_EQ(t.column(1).cell_text(0), "Smith, John");
  EXPECT_EQ(t.column(2).cell_text(0), "said \"hi\"\nthen left");
  EXPECT_TRUE(t.column(2).is_missing(1));  // "" is a blank cell
  EXPECT_EQ(t.column(0).values()[1], 2.0);
}

TEST(Csv, HandlesCrlfBomAndNoFinalNewline) {
  CsvInfo info;
  const Table t = parse("\xEF\xBB\xBF" "a,b\r\n1,x\r\n2,y", &info);
  EXPECT_TRUE(info.utf8_bom);
  EXPECT_TRUE(info.crlf);
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.column(0).name(), "a");  // the BOM is not part of the first name
  EXPECT_EQ(t.column(1).cell_text(1), "y");
}

TEST(Csv, DetectsSemicolonAndTab) {
  CsvInfo info;
  Table t = parse("a;b;c\n1,5;2;x\n3,5;4;y\n", &info);
  EXPECT_EQ(info.delimiter, ';');
  EXPECT_EQ(t.column_count(), 3u);
  EXPECT_EQ(t.column(0).cell_text(0), "1,5");  // decimal commas stay text with ';' files
  t = parse("a\tb\n1\t2\n3\t4\n", &info);
  EXPECT_EQ(info.delimiter, '\t');
  EXPECT_EQ(t.column(1).values()[1], 4.0);
  t = parse("a,b\n\"1;2\",3\n", &info);
  EXPECT_EQ(info.delimiter, ',');
}

TEST(Csv, BlankAndNaTokensAreMissing) {
  const Table t = parse("x,y\n1,a\n,b\nNA,NULL\n?,c\n  ,N/A\n4,d\n");
  ASSERT_EQ(t.rows(), 6u);
  const Column& x = t.column(0);
  EXPECT_EQ(x.type(), ColumnType::Integer);
  EXPECT_EQ(x.missing_count(), 4u);
  EXPECT_EQ(t.column(1).missing_count(), 2u);
}

TEST(Csv, SkipsBlankLinesButASingleColumnKeepsThemAsMissing) {
  const Table t = parse("a,b\n1,2\n\n3,4\n\n");
  EXPECT_EQ(t.rows(), 2u);
  // With one column a blank line is a record whose only field is blank; trailing ones are not.
  const Table one = parse("a\n1\n\n3\n\n\n");
  ASSERT_EQ(one.rows(), 3u);
  EXPECT_TRUE(one.column(0).is_missing(1));
}

TEST(Csv, NumbersThatTurnOutToBeTextAreReparsed) {
  // The sample (first 2000 rows) sees only numbers; a later row holds text.
  std::string text = "code,v\n";
  for (int i = 0; i < 8000; ++i) text += std::to_string(i % 50) + "," + std::to_string(i) + "\n";
  text += "A7,1\n";
  const Table t = parse(text);
  ASSERT_EQ(t.rows(), 8001u);
  const Column& code = t.column(0);
  EXPECT_FALSE(code.is_numeric());
  EXPECT_EQ(code.cell_text(3), "3");
  EXPECT_EQ(code.cell_text(8000), "A7");
  EXPECT_EQ(t.column(1).type(), ColumnType::Integer);
}

TEST(Csv, LargeFileInChunksMatchesRowByRow) {
  // > 3 chunks of 4 MiB, with quoted newlines everywhere so that guessed chunk starts are often
  // wrong and must be repaired, on 1 and several threads.
  std::ostringstream s;
  s << "i,label,text,x\n";
  const int n = 260000;
  for (int i = 0; i < n; ++i) {
    s << i << ",L" << (i % 7) << ",\"line " << i << "\nsecond, part " << (i % 3) << "\nthird\"," << i / 2
      << (i % 2 ? ".5" : "") << "\n";
  }
  const std::string text = s.str();
  ASSERT_GT(text.size(), 12u << 20);
  for (unsigned threads : {1u, 2u, 4u}) {
    CsvOptions o;
    o.threads = threads;
    const Table t = parse(text, nullptr, o);
    ASSERT_EQ(t.rows(), static_cast<std::size_t>(n)) << threads;
    const Column& i = t.column(0);
    const Column& tx = t.column(2);
    for (int r = 0; r < n; r += 9973) {
      EXPECT_EQ(i.values()[static_cast<std::size_t>(r)], r);
      EXPECT_EQ(tx.cell_text(static_cast<std::size_t>(r)),
                "line " + std::to_string(r) + "\nsecond, part " + std::to_string(r % 3) + "\nthird");
      EXPECT_EQ(t.column(3).values()[static_cast<std::size_t>(r)], r * 0.5);
    }
    EXPECT_EQ(t.column(1).categories().size(), 7u);
  }
}

TEST(Csv, RaggedRowErrorNamesTheLineEvenDeepInALargeFile) {
  std::ostringstream s;
  s << "a,b,c\n";
  for (int i = 0; i < 400000; ++i) s << i << ",\"x\ny\"," << i << "\n";  // 2 lines per row
  s << "1,2\n";
  const std::string msg = bad_input_message(s.str());
  EXPECT_NE(msg.find("test.csv:800002:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 3 fields but found 2"), std::string::npos) << msg;
}

TEST(Csv, ReadsGzipAndFiles) {
  TempDir dir;
  const std::string text = "a,b\n1,x\n2,y\n";
  const auto plain = dir.write("p.csv", text);
  const auto gzpath = dir.path() / "p.csv.gz";
  gzFile gz = gzopen(gzpath.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  CsvInfo info;
  const Table a = read_csv(plain, {}, &info);
  EXPECT_FALSE(info.gzip);
  const Table b = read_csv(gzpath, {}, &info);
  EXPECT_TRUE(info.gzip);
  ASSERT_EQ(b.rows(), 2u);
  EXPECT_EQ(b.column(1).cell_text(1), a.column(1).cell_text(1));
}

TEST(Csv, UserTypeOverrides) {
  CsvOptions o;
  o.column_types["zip"] = ColumnType::Categorical;
  o.column_types["n"] = ColumnType::Float;
  const Table t = parse("zip,n\n12345,1\n23456,2\n", nullptr, o);
  EXPECT_EQ(t.column(0).type(), ColumnType::Categorical);
  EXPECT_EQ(t.column(0).cell_text(1), "23456");
  EXPECT_EQ(t.column(1).type(), ColumnType::Float);
  EXPECT_EQ(t.column(0).type_reason(), "set by the user");
  o.column_types.clear();
  o.column_types["n"] = ColumnType::Integer;
  try {
    parse("zip,n\n1,2\n3,abc\n", nullptr, o);
    FAIL() << "a forced type that does not fit must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("test.csv:3: column 'n' was set to type integer but holds 'abc'"),
              std::string::npos)
        << e.what();
  }
}

// ---- Bad input: each case gives one clear line naming the input ----------------------------

TEST(CsvBadInput, MissingFile) {
  try {
    read_csv("/nonexistent/dir/data.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_STREQ(e.what(), "/nonexistent/dir/data.csv: no such file; check the path");
  }
}

TEST(CsvBadInput, EmptyFileAndWhitespaceOnly) {
  TempDir dir;
  for (const char* content : {"", "\n\n  \r\n"}) {
    const auto p = dir.write("empty.csv", content);
    try {
      read_csv(p);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadInput);
      EXPECT_NE(std::string(e.what()).find("the file is empty"), std::string::npos) << e.what();
    }
  }
}

TEST(CsvBadInput, HeaderOnly) {
  EXPECT_NE(bad_input_message("a,b,c\n").find("header but no data rows"), std::string::npos);
  EXPECT_NE(bad_input_message("a,b,c").find("header but no data rows"), std::string::npos);
  EXPECT_NE(bad_input_message("a,b,c\r\n\r\n").find("header but no data rows"), std::string::npos);
}

TEST(CsvBadInput, RaggedRowSaysWhichLine) {
  EXPECT_EQ(bad_input_message("a,b\n1,2\n3,4,5\n6,7\n"),
            "test.csv:3: expected 2 fields but found 3 (ragged row); fix the row or quote fields that contain the "
            "separator");
  EXPECT_NE(bad_input_message("a,b,c\n1,2,3\n\"x\ny\",2\n").find("test.csv:3: expected 3 fields but found 2"),
            std::string::npos);
}

TEST(CsvBadInput, UnterminatedQuote) {
  const std::string msg = bad_input_message("a,b\n1,2\n3,\"open\n4,5\n");
  EXPECT_NE(msg.find("test.csv:3: unterminated quoted field"), std::string::npos) << msg;
  EXPECT_NE(bad_input_message("\"a,b\n1,2\n").find("unterminated quoted field in the header"), std::string::npos);
}

TEST(CsvBadInput, TextAfterClosingQuote) {
  EXPECT_NE(bad_input_message("a,b\n\"x\"y,2\n").find("test.csv:2: text after a closing quote"), std::string::npos);
}

TEST(CsvBadInput, InvalidUtf8) {
  const std::string msg = bad_input_message("name,v\nok,1\nbad\xC3\x28,2\n");
  EXPECT_NE(msg.find("test.csv:3: invalid UTF-8 in column 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("save the file as UTF-8"), std::string::npos) << msg;
  EXPECT_NE(bad_input_message("n\xFFme,v\n1,2\n").find("invalid UTF-8 in the header"), std::string::npos);
  // A latin-1 byte in a column that looked numeric in the sample is still caught.
  std::string text = "v\n";
  for (int i = 0; i < 6000; ++i) text += "1\n";
  text += "caf\xE9\n";
  EXPECT_NE(bad_input_message(text).find("test.csv:6002: invalid UTF-8"), std::string::npos);
}

TEST(CsvBadInput, DuplicateAndEmptyColumnNames) {
  EXPECT_EQ(bad_input_message("a,b,a\n1,2,3\n"),
            "test.csv:1: duplicate column name 'a' (columns 1 and 3); give every column a distinct name");
  EXPECT_EQ(bad_input_message("a,,c\n1,2,3\n"),
            "test.csv:1: column 2 has an empty name; give every column a name in the header");
  EXPECT_NE(bad_input_message("a, ,c\n1,2,3\n").find("column 2 has an empty name"), std::string::npos);
}

TEST(CsvBadInput, DirectoryAndCorruptGzip) {
  TempDir dir;
  try {
    read_csv(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos);
  }
  const auto p = dir.write("x.csv.gz", std::string("\x1f\x8b\x08\x00garbage-garbage-garbage", 27));
  try {
    read_csv(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput) << e.what();
  }
}

TEST(Csv, CancelStopsTheRead) {
  std::string text = "a,b\n";
  for (int i = 0; i < 600000; ++i) text += "1,2\n";
  CancelToken token;
  token.cancel();
  CsvOptions o;
  o.cancel = &token;
  EXPECT_THROW(parse(text, nullptr, o), Cancelled);
}

TEST(Csv, TinyChunksGiveTheSameTableAsOneChunk) {
  // Random CSV with quoted separators, quotes and newlines; every chunk size from 1 to 97 bytes
  // makes guessed chunk starts land everywhere, including inside quoted fields.
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::string text = "a,b,c\n";
    const int rows = 30 + static_cast<int>(rng() % 40);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < 3; ++c) {
        switch (rng() % 5) {
          case 0: text += std::to_string(rng() % 1000); break;
          case 1: text += "\"x,\ny" + std::to_string(r) + "\""; break;
          case 2: text += "\"q\"\"" + std::to_string(c) + "\""; break;
          case 3: break;  // blank
          default: text += "w" + std::to_string(rng() % 5); break;
        }
        text += c < 2 ? "," : (rng() % 3 == 0 ? "\r\n" : "\n");
      }
    }
    const auto render = [](const Table& t) {
      std::string s;
      for (std::size_t r = 0; r < t.rows(); ++r)
        for (const auto& c : t.columns()) s += c.cell_text(r) + "|";
      return s;
    };
    const std::string expected = render(parse(text));
    for (std::size_t chunk = 1; chunk < 98; chunk += 3) {
      CsvOptions o;
      o.chunk_bytes = chunk;
      o.threads = 1 + static_cast<unsigned>(chunk % 3);
      ASSERT_EQ(render(parse(text, nullptr, o)), expected) << "chunk " << chunk << "\n" << text;
    }
  }
}

TEST(Csv, TinyChunksReportTheSameErrorLine) {
  const std::string text = "a,b\n\"1\n2\",3\n4,5\n6,\"7\n\"\n8\n9,10\n";
  std::string expected;
  try {
    parse(text);
  } catch (const Error& e) {
    expected = e.what();
  }
  EXPECT_NE(expected.find("test.csv:7: expected 2 fields but found 1"), std::string::npos) << expected;
  for (std::size_t chunk = 1; chunk < 40; ++chunk) {
    CsvOptions o;
    o.chunk_bytes = chunk;
    try {
      parse(text, nullptr, o);
      FAIL() << "chunk " << chunk;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), expected) << "chunk " << chunk;
    }
  }
}

TEST(Csv, FastPathMatchesTheReferenceParserOnOddInput) {
  // Random text from a small alphabet of CSV-significant pieces: stray and doubled quotes, spaces
  // after closing quotes, CR, LF, CRLF, blank lines, long fields that cross 64-byte blocks. The
  // structural-index path and the plain scalar parser must agree on the table or the error.
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {",", "\n", "\r\n", "\r", "\"", "\"\"", "a", "12", "-3.5", " ", "\"x,y\"",
                                           "\"p\nq\"", "\"e\"\"f\"", "NA", std::string(70, 'z'),
                                           "\"" + std::string(80, 'w') + "\"\"" + std::string(30, 'v') + "\""};
  const auto outcome = [](const std::string& text, bool reference, unsigned threads) {
    CsvOptions o;
    o.reference_parser = reference;
    o.threads = threads;
    o.chunk_bytes = 97;
    try {
      const Table t = read_csv_text(text, o, "odd.csv");
      std::string s = std::to_string(t.rows()) + "x" + std::to_string(t.column_count()) + ":";
      for (std::size_t r = 0; r < t.rows(); ++r)
        for (const auto& c : t.columns()) s += c.cell_text(r) + "|";
      return s;
    } catch (const Error& e) {
      return std::string("error: ") + e.what();
    }
  };
  std::size_t parsed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = round % 2 ? "a,b,c\n" : "h\n";
    const int n = 5 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      // Mostly well-formed rows, sometimes raw pieces.
      if (rng() % 4 == 0) {
        text += pieces[rng() % pieces.size()];
      } else {
        const int fields = round % 2 ? 3 : 1;
        for (int f = 0; f < fields; ++f) {
          text += pieces[6 + rng() % (pieces.size() - 6)];
          if (f + 1 < fields) text += ",";
        }
        text += rng() % 5 == 0 ? "\r\n" : "\n";
      }
    }
    const std::string expected = outcome(text, true, 1);
    parsed += expected.rfind("error", 0) != 0;
    ASSERT_EQ(outcome(text, false, 1), expected) << text;
    ASSERT_EQ(outcome(text, false, 3), expected) << text;
  }
  EXPECT_GT(parsed, 300u);  // enough inputs were valid CSV, not only errors
}
