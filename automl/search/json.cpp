#include "automl/search/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "automl/common/error.hpp"

namespace glasswing::search {
namespace {

// Sentinels that stand for Python's non-standard number tokens while nlohmann parses the text.
constexpr std::string_view kNaN = "\x01gw:NaN";
constexpr std::string_view kPosInf = "\x01gw:Infinity";
constexpr std::string_view kNegInf = "\x01gw:-Infinity";

void append_hex4(std::string& out, unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", value & 0xFFFFu);
  out += buf;
}

void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            append_hex4(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence (nlohmann has validated the string when it was parsed; a
    // string built in C++ with bad UTF-8 is escaped byte by byte as U+FFFD).
    unsigned cp = 0;
    std::size_t len = 0;
    if ((c & 0xE0u) == 0xC0u) { cp = c & 0x1Fu; len = 2; }
    else if ((c & 0xF0u) == 0xE0u) { cp = c & 0x0Fu; len = 3; }
    else if ((c & 0xF8u) == 0xF0u) { cp = c & 0x07u; len = 4; }
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0u) != 0x80u) ok = false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (!ok) {
      append_hex4(out, 0xFFFD);
      ++i;
      continue;
    }
    if (cp >= 0x10000u) {
      const unsigned v = cp - 0x10000u;
      append_hex4(out, 0xD800u + (v >> 10));
      append_hex4(out, 0xDC00u + (v & 0x3FFu));
    } else {
      append_hex4(out, cp);
    }
    i += len;
  }
  out += '"';
}

void dump(std::string& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    case Json::value_t::number_float: out += python_float_repr(v.get<double>()); break;
    case Json::value_t::string: dump_string(out, v.get_ref<const std::string&>()); break;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ", ";
        first = false;
        dump(out, e);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, e] : v.items()) {
        if (!first) out += ", ";
        first = false;
        dump_string(out, key);
        out += ": ";
        dump(out, e);
      }
      out += '}';
      break;
    }
    default:
      throw Error(ErrorKind::Internal, "dump_python_json: binary or discarded JSON value cannot be written");
  }
}

void restore_sentinels(Json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s[0] != '\x01') return;
    if (s == kNaN) v = std::nan("");
    else if (s == kPosInf) v = HUGE_VAL;
    else if (s == kNegInf) v = -HUGE_VAL;
  } else if (v.is_array() || v.is_object()) {
    for (auto& e : v) restore_sentinels(e);
  }
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string out;
  std::size_t pos = 0;
  if (sci[0] == '-') {
    out += '-';
    pos = 1;
  }
  const auto epos = sci.find('e');
  std::string digits;
  for (std::size_t i = pos; i < epos; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  const int exp10 = std::atoi(sci.c_str() + epos + 1);
  const int decpt = exp10 + 1;  // position of the decimal point relative to the digits
  const int ndigits = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {  // Python's float_repr_style 'short' switch points
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= ndigits) {
      out += digits;
      out.append(static_cast<std::size_t>(decpt - ndigits), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(decpt));
      out += '.';
      out += digits.substr(static_cast<std::size_t>(decpt));
    }
  } else {
    out += digits[0];
    if (ndigits > 1) {
      out += '.';
      out += digits.substr(1);
    }
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out += ebuf;
  }
  return out;
}

std::string dump_python_json(const Json& value) {
  std::string out;
  dump(out, value);
  return out;
}

Json parse_python_json(std::string_view text) {
  // Replace the bare tokens NaN, Infinity and -Infinity (outside strings) by sentinel strings.
  std::string prepared;
  prepared.reserve(text.size() + 16);
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      prepared += c;
      if (c == '\\' && i + 1 < text.size()) {
        prepared += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      prepared += c;
    } else if (text.substr(i, 3) == "NaN") {
      prepared += "\"\\u0001gw:NaN\"";
      i += 2;
    } else if (text.substr(i, 8) == "Infinity") {
      prepared += "\"\\u0001gw:Infinity\"";
      i += 7;
    } else if (text.substr(i, 9) == "-Infinity") {
      prepared += "\"\\u0001gw:-Infinity\"";
      i += 8;
    } else {
      prepared += c;
    }
  }
  Json value;
  try {
    value = Json::parse(prepared);
  } catch (const nlohmann::json::exception& e) {
    std::string shown(text.substr(0, 80));
    throw Error(ErrorKind::BadInput,
                "invalid JSON value '" + shown + "': " + e.what() + "; expected json.dumps output");
  }
  restore_sentinels(value);
  return value;
}

}  // namespace glasswing::search
