// Fast kernel sums for TPE's candidate ranking (see parzen_fast.hpp). Compiled with
// -fno-trapping-math (automl/search/CMakeLists.txt) so that the selects below if-convert and the
// loops vectorise; that flag allows no value-changing transformation.
#include "automl/search/parzen_fast.hpp"

#include <bit>
#include <cmath>
#include <cstdint>

namespace glasswing::search::detail {
namespace {

// Proof of kFastExpRelErr (5e-14) for x in [-700, 700]:
// - n = round(x log2 e) by the 1.5*2^52 trick: t lies in [2^52, 2^53), where doubles are the
//   integers, so t - kRound = n exactly and the bits of t minus those of kRound are n (|n| <= 1010).
// - r = x - n ln2 by Cody-Waite: kLn2Hi has 21 trailing zero bits, so n * kLn2Hi is exact and so
//   is x - n * kLn2Hi (Sterbenz); the kLn2Lo product and subtraction and ln2's own truncation
//   leave an absolute error below 2e-16 in r, i.e. a relative one below 2.1e-16 in exp(r).
//   |r| <= ln2/2 + 1e-13 < 0.35 (x log2 e is rounded once before the rounding to n).
// - exp(r) by its Taylor polynomial of degree 11: remainder <= e^0.35 * 0.35^12 / 12! < 1.0e-14
//   absolute, < 1.5e-14 relative to exp(r) >= e^-0.35.
// - Horner: 11 steps, each rounding a multiply and an add (or one FMA): at most 23 u times
//   sum |c_k| |r|^k <= e^0.35, relative to exp(r) >= e^-0.35: < 23 * 1.12e-16 * 2.02 = 5.2e-15.
// - times 2^n: exact in the normal range (|n| <= 1010), one more rounding (1.2e-16).
// Total < 2.1e-14 < kFastExpRelErr; SearchTpeRanking.FastExpWithinItsBound measures it.
inline double fast_exp_inline(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kRound = 0x1.8p52;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  x = x < -700.0 ? -700.0 : x;
  x = x > 700.0 ? 700.0 : x;
  const double t = x * kLog2e + kRound;
  const double n = t - kRound;
  const std::int64_t ni = std::bit_cast<std::int64_t>(t) - std::bit_cast<std::int64_t>(kRound);
  const double r = (x - n * kLn2Hi) - n * kLn2Lo;
  double p = 1.0 / 39916800.0;  // 1/11!
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return p * std::bit_cast<double>(static_cast<std::uint64_t>(ni + 1023) << 52);
}

inline double term(double x, double mu, double inv_sigma, double arg, double far_z) {
  const double z = (x - mu) * inv_sigma;
  const double e = fast_exp_inline(arg - 0.5 * z * z);
  return std::abs(z) > far_z ? 0.0 : e;  // |z| > far_z: as z > far_z || z < -far_z (z is finite)
}

}  // namespace

double fast_exp(double x) { return fast_exp_inline(x); }

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
double fast_kernel_sum(double x, const double* mu, const double* inv_sigma, const double* arg, std::size_t n,
                       double far_z) {
  // Four independent partial sums (the order of the sum does not matter for the bound).
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += term(x, mu[i], inv_sigma[i], arg[i], far_z);
    a1 += term(x, mu[i + 1], inv_sigma[i + 1], arg[i + 1], far_z);
    a2 += term(x, mu[i + 2], inv_sigma[i + 2], arg[i + 2], far_z);
    a3 += term(x, mu[i + 3], inv_sigma[i + 3], arg[i + 3], far_z);
  }
  for (; i < n; ++i) a0 += term(x, mu[i], inv_sigma[i], arg[i], far_z);
  return (a0 + a1) + (a2 + a3);
}

}  // namespace glasswing::search::detail
