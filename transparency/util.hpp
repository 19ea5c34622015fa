#pragma once
// Internal helpers shared by the transparency sources (not installed API).

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace glasswing::transparency::detail {

// numpy.quantile(values, q) with the default linear method, on values sorted ascending
// (non-empty); computed as numpy's _lerp does, so results match to the last bit.
inline double sorted_quantile(const std::vector<double>& s, double q) {
  const double virt = static_cast<double>(s.size() - 1) * q;
  const double prev = std::floor(virt);
  const auto i = static_cast<std::size_t>(prev);
  if (i + 1 >= s.size()) return s.back();
  const double t = virt - prev, diff = s[i + 1] - s[i];
  return t >= 0.5 ? s[i + 1] - diff * (1.0 - t) : s[i] + diff * t;
}

// A number for messages: 6 significant digits.
inline std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace glasswing::transparency::detail
