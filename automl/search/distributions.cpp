#include "automl/search/distributions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "automl/common/error.hpp"

namespace glasswing::search {
namespace {

[[noreturn]] void bad(const std::string& msg) { throw Error(ErrorKind::Usage, msg); }
[[noreturn]] void bad_json(std::string_view text, const std::string& msg) {
  throw Error(ErrorKind::BadInput, "invalid distribution_json '" + std::string(text.substr(0, 120)) +
                                       "': " + msg);
}

std::string repr(double v) { return python_float_repr(v); }

// 128-bit integers hold 38 decimal digits: two 17-digit reprs aligned to a common exponent.
__extension__ typedef __int128 Int128;

// An exact decimal m * 10^e, from a double's shortest repr (what Python's Decimal(str(x)) holds).
struct Decimal {
  Int128 m = 0;
  int e = 0;
};

Decimal to_decimal(double x) {
  const std::string r = python_float_repr(x);
  Decimal d;
  bool neg = false;
  int frac_digits = 0;
  bool in_frac = false;
  std::size_t i = 0;
  if (r[0] == '-') {
    neg = true;
    i = 1;
  }
  for (; i < r.size() && r[i] != 'e'; ++i) {
    if (r[i] == '.') {
      in_frac = true;
      continue;
    }
    d.m = d.m * 10 + (r[i] - '0');
    if (in_frac) ++frac_digits;
  }
  d.e = -frac_digits + (i < r.size() ? std::atoi(r.c_str() + i + 1) : 0);
  if (neg) d.m = -d.m;
  return d;
}

// Scales `d` to exponent `e` (<= d.e); false on overflow of 38 digits.
bool rescale(Decimal& d, int e) {
  for (; d.e > e; --d.e) {
    if (d.m > static_cast<Int128>(1e36) || d.m < -static_cast<Int128>(1e36)) return false;
    d.m *= 10;
  }
  return true;
}

std::string decimal_text(const Decimal& d) {
  Int128 m = d.m < 0 ? -d.m : d.m;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  } while (m > 0);
  return (d.m < 0 ? "-" : "") + digits + "e" + std::to_string(d.e);
}

// Python's _adjust_discrete_uniform_high: decimal arithmetic on the reprs, then float().
double adjust_float_high(double low, double high, double step) {
  Decimal l = to_decimal(low), h = to_decimal(high), q = to_decimal(step);
  const int e = std::min({l.e, h.e, q.e});
  if (rescale(l, e) && rescale(h, e) && rescale(q, e) && q.m > 0) {
    const Int128 r = h.m - l.m;
    if (r % q.m == 0) return high;
    const Decimal adjusted{(r / q.m) * q.m + l.m, e};
    return std::strtod(decimal_text(adjusted).c_str(), nullptr);  // correctly rounded, as float(Decimal)
  }
  // Out of 38-digit range (wildly different magnitudes): binary arithmetic with a tolerance.
  const long double r = (static_cast<long double>(high) - low) / step;
  if (std::fabs(r - std::round(r)) <= 1e-9L * std::max(1.0L, std::fabs(r))) return high;
  return static_cast<double>(std::floor(r) * step + low);
}

double json_number(const Json& v, std::string_view text, const char* key) {
  if (!v.is_number()) bad_json(text, std::string("\"") + key + "\" must be a number");
  return v.get<double>();
}

std::int64_t json_int(const Json& v, std::string_view text, const char* key) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::floor(d) == d) return static_cast<std::int64_t>(d);
  }
  bad_json(text, std::string("\"") + key + "\" must be an integer");
}

bool json_bool(const Json& v, std::string_view text, const char* key) {
  if (!v.is_boolean()) bad_json(text, std::string("\"") + key + "\" must be true or false");
  return v.get<bool>();
}

void check_keys(const Json& attrs, std::string_view text, std::set<std::string> allowed) {
  if (!attrs.is_object()) bad_json(text, "\"attributes\" must be an object");
  for (const auto& [key, _] : attrs.items()) {
    if (!allowed.count(key)) bad_json(text, "unknown attribute \"" + key + "\"");
  }
}

// Python-style numeric view of a choice for ==: bool and int and float compare by value.
std::optional<double> numeric(const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

}  // namespace

bool CategoricalDistribution::operator==(const CategoricalDistribution& other) const {
  if (choices.size() != other.choices.size()) return false;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (!choices_equal(choices[i], other.choices[i])) return false;
  }
  return true;
}

bool choices_equal(const Json& a, const Json& b) {
  const auto na = numeric(a);
  const auto nb = numeric(b);
  if (na && nb) {
    if (std::isnan(*na) && std::isnan(*nb)) return true;
    return *na == *nb;
  }
  if (na || nb) return false;
  return a == b;
}

FloatDistribution make_float_distribution(double low, double high, bool log, std::optional<double> step) {
  if (!(low <= high)) {
    bad("FloatDistribution: low (" + repr(low) + ") must be <= high (" + repr(high) + ")");
  }
  if (log && step) bad("FloatDistribution: step and log cannot be used together; drop one of them");
  if (log && low <= 0.0) bad("FloatDistribution: low (" + repr(low) + ") must be > 0 when log=true");
  if (step) {
    if (!(*step > 0.0)) bad("FloatDistribution: step (" + repr(*step) + ") must be > 0");
    high = adjust_float_high(low, high, *step);
  }
  return FloatDistribution{low, high, log, step};
}

IntDistribution make_int_distribution(std::int64_t low, std::int64_t high, bool log, std::int64_t step) {
  if (low > high) {
    bad("IntDistribution: low (" + std::to_string(low) + ") must be <= high (" + std::to_string(high) + ")");
  }
  if (step <= 0) bad("IntDistribution: step (" + std::to_string(step) + ") must be > 0");
  if (log && step != 1) bad("IntDistribution: step must be 1 when log=true");
  if (log && low < 1) bad("IntDistribution: low (" + std::to_string(low) + ") must be >= 1 when log=true");
  high = (high - low) / step * step + low;
  return IntDistribution{low, high, log, step};
}

CategoricalDistribution make_categorical_distribution(std::vector<Json> choices) {
  if (choices.empty()) bad("CategoricalDistribution: choices must not be empty");
  for (const auto& c : choices) {
    if (!(c.is_null() || c.is_boolean() || c.is_number() || c.is_string())) {
      bad("CategoricalDistribution: choice " + dump_python_json(c) +
          " is not null, bool, int, float or string");
    }
  }
  return CategoricalDistribution{std::move(choices)};
}

std::string_view distribution_name(const Distribution& d) {
  switch (d.index()) {
    case 0: return "FloatDistribution";
    case 1: return "IntDistribution";
    default: return "CategoricalDistribution";
  }
}

std::string distribution_to_json(const Distribution& d) {
  // Key order follows the attribute assignment order in Optuna's constructors.
  Json attrs = Json::object();
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    attrs["step"] = f->step ? Json(*f->step) : Json(nullptr);
    attrs["low"] = f->low;
    attrs["high"] = f->high;
    attrs["log"] = f->log;
  } else if (const auto* i = std::get_if<IntDistribution>(&d)) {
    attrs["log"] = i->log;
    attrs["step"] = i->step;
    attrs["low"] = i->low;
    attrs["high"] = i->high;
  } else {
    attrs["choices"] = Json::array();
    for (const auto& c : std::get<CategoricalDistribution>(d).choices) attrs["choices"].push_back(c);
  }
  Json j = Json::object();
  j["name"] = std::string(distribution_name(d));
  j["attributes"] = std::move(attrs);
  return dump_python_json(j);
}

Distribution distribution_from_json(std::string_view text) {
  const Json j = parse_python_json(text);
  if (!j.is_object()) bad_json(text, "expected a JSON object");
  try {
    if (j.contains("name")) {
      if (!j["name"].is_string()) bad_json(text, "\"name\" must be a string");
      const std::string name = j["name"].get<std::string>();
      const Json attrs = j.contains("attributes") ? j["attributes"] : Json::object();
      auto opt = [&](const char* key) -> const Json* {
        return attrs.contains(key) && !attrs[key].is_null() ? &attrs[key] : nullptr;
      };
      auto req = [&](const char* key) -> const Json& {
        if (!attrs.contains(key)) bad_json(text, std::string("missing attribute \"") + key + "\"");
        return attrs[key];
      };
      if (name == "FloatDistribution") {
        check_keys(attrs, text, {"low", "high", "log", "step"});
        std::optional<double> step;
        if (const auto* s = opt("step")) step = json_number(*s, text, "step");
        return make_float_distribution(json_number(req("low"), text, "low"),
                                       json_number(req("high"), text, "high"),
                                       opt("log") ? json_bool(*opt("log"), text, "log") : false, step);
      }
      if (name == "IntDistribution") {
        check_keys(attrs, text, {"low", "high", "log", "step"});
        return make_int_distribution(json_int(req("low"), text, "low"), json_int(req("high"), text, "high"),
                                     opt("log") ? json_bool(*opt("log"), text, "log") : false,
                                     opt("step") ? json_int(*opt("step"), text, "step") : 1);
      }
      if (name == "CategoricalDistribution") {
        check_keys(attrs, text, {"choices"});
        const Json& c = req("choices");
        if (!c.is_array()) bad_json(text, "\"choices\" must be a list");
        return make_categorical_distribution(std::vector<Json>(c.begin(), c.end()));
      }
      if (name == "UniformDistribution" || name == "LogUniformDistribution") {
        check_keys(attrs, text, {"low", "high"});
        return make_float_distribution(json_number(req("low"), text, "low"),
                                       json_number(req("high"), text, "high"), name == "LogUniformDistribution");
      }
      if (name == "DiscreteUniformDistribution") {
        check_keys(attrs, text, {"low", "high", "q"});
        return make_float_distribution(json_number(req("low"), text, "low"), json_number(req("high"), text, "high"),
                                       false, json_number(req("q"), text, "q"));
      }
      if (name == "IntUniformDistribution" || name == "IntLogUniformDistribution") {
        check_keys(attrs, text, {"low", "high", "step"});
        return make_int_distribution(json_int(req("low"), text, "low"), json_int(req("high"), text, "high"),
                                     name == "IntLogUniformDistribution",
                                     opt("step") ? json_int(*opt("step"), text, "step") : 1);
      }
      bad_json(text, "unknown distribution class \"" + name +
                         "\"; expected FloatDistribution, IntDistribution or CategoricalDistribution");
    }
    // Abbreviated form {"type": "float"|"int"|"categorical", ...}.
    if (j.contains("type") && j["type"].is_string()) {
      const std::string type = j["type"].get<std::string>();
      Json attrs = j;
      attrs.erase("type");
      auto opt = [&](const char* key) -> const Json* {
        return attrs.contains(key) && !attrs[key].is_null() ? &attrs[key] : nullptr;
      };
      if (type == "float") {
        check_keys(attrs, text, {"low", "high", "log", "step"});
        if (!opt("low") || !opt("high")) bad_json(text, "float needs \"low\" and \"high\"");
        std::optional<double> step;
        if (const auto* s = opt("step")) step = json_number(*s, text, "step");
        return make_float_distribution(json_number(attrs["low"], text, "low"),
                                       json_number(attrs["high"], text, "high"),
                                       opt("log") ? json_bool(*opt("log"), text, "log") : false, step);
      }
      if (type == "int") {
        check_keys(attrs, text, {"low", "high", "log", "step"});
        if (!opt("low") || !opt("high")) bad_json(text, "int needs \"low\" and \"high\"");
        return make_int_distribution(json_int(attrs["low"], text, "low"), json_int(attrs["high"], text, "high"),
                                     opt("log") ? json_bool(*opt("log"), text, "log") : false,
                                     opt("step") ? json_int(*opt("step"), text, "step") : 1);
      }
      if (type == "categorical") {
        check_keys(attrs, text, {"choices"});
        if (!opt("choices") || !attrs["choices"].is_array()) bad_json(text, "categorical needs a \"choices\" list");
        return make_categorical_distribution(std::vector<Json>(attrs["choices"].begin(), attrs["choices"].end()));
      }
      bad_json(text, "unknown \"type\" \"" + type + "\"; expected float, int or categorical");
    }
    bad_json(text, "neither \"name\" nor \"type\" is present");
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::BadInput) throw;
    bad_json(text, e.what());
  }
}

void check_distribution_compatibility(const std::string& param_name, const Distribution& stored,
                                      const Distribution& requested) {
  if (stored.index() != requested.index()) {
    bad("parameter '" + param_name + "': cannot set different distribution kind to the same parameter name (" +
        std::string(distribution_name(stored)) + " stored, " + std::string(distribution_name(requested)) +
        " requested); use another name");
  }
  if (const auto* f = std::get_if<FloatDistribution>(&stored)) {
    if (f->log != std::get<FloatDistribution>(requested).log) {
      bad("parameter '" + param_name + "': cannot change log for the same parameter name; use another name");
    }
  } else if (const auto* i = std::get_if<IntDistribution>(&stored)) {
    if (i->log != std::get<IntDistribution>(requested).log) {
      bad("parameter '" + param_name + "': cannot change log for the same parameter name; use another name");
    }
  } else if (!(std::get<CategoricalDistribution>(stored) == std::get<CategoricalDistribution>(requested))) {
    bad("parameter '" + param_name + "': categorical choices differ from the stored ones; use another name");
  }
}

double to_internal(const Distribution& d, const Json& external) {
  if (std::holds_alternative<CategoricalDistribution>(d)) {
    const auto& choices = std::get<CategoricalDistribution>(d).choices;
    for (std::size_t i = 0; i < choices.size(); ++i) {
      if (choices_equal(choices[i], external)) return static_cast<double>(i);
    }
    bad("value " + dump_python_json(external) + " is not among the categorical choices");
  }
  if (!external.is_number() && !external.is_boolean()) {
    bad("value " + dump_python_json(external) + " is not a number for " + std::string(distribution_name(d)));
  }
  if (external.is_number_integer()) return static_cast<double>(external.get<std::int64_t>());
  if (external.is_number_unsigned()) return static_cast<double>(external.get<std::uint64_t>());
  if (external.is_boolean()) return external.get<bool>() ? 1.0 : 0.0;
  return external.get<double>();
}

Json to_external(const Distribution& d, double internal) {
  if (std::holds_alternative<FloatDistribution>(d)) return internal;
  if (std::holds_alternative<IntDistribution>(d)) return static_cast<std::int64_t>(internal);
  const auto& choices = std::get<CategoricalDistribution>(d).choices;
  const auto idx = static_cast<std::int64_t>(internal);
  if (idx < 0 || static_cast<std::size_t>(idx) >= choices.size()) {
    throw Error(ErrorKind::BadInput, "categorical index " + python_float_repr(internal) + " is out of range (" +
                                         std::to_string(choices.size()) + " choices)");
  }
  return choices[static_cast<std::size_t>(idx)];
}

bool contains(const Distribution& d, double internal) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    if (!(f->low <= internal && internal <= f->high)) return false;
    if (!f->step) return true;
    const double k = (internal - f->low) / *f->step;
    return std::fabs(k - std::round(k)) < 1e-8;
  }
  if (const auto* i = std::get_if<IntDistribution>(&d)) {
    if (std::floor(internal) != internal) return false;
    const auto v = static_cast<std::int64_t>(internal);
    return i->low <= v && v <= i->high && (v - i->low) % i->step == 0;
  }
  const auto n = std::get<CategoricalDistribution>(d).choices.size();
  return internal >= 0 && internal < static_cast<double>(n) && std::floor(internal) == internal;
}

bool is_single(const Distribution& d) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    if (f->low == f->high) return true;
    return f->step && (f->high - f->low) < *f->step;
  }
  if (const auto* i = std::get_if<IntDistribution>(&d)) return i->low == i->high;
  return std::get<CategoricalDistribution>(d).choices.size() == 1;
}

}  // namespace glasswing::search
