#pragma once
// The fast, bounded-error kernel sums behind TPE's ranking of its EI candidates (sampler.cpp,
// detail::choose_candidate). Internal to automl/search; exposed for tests.
#include <cstddef>

namespace glasswing::search::detail {

// Relative error bound of fast_exp on [-700, 700] (proof in parzen_fast.cpp).
inline constexpr double kFastExpRelErr = 5e-14;

// exp(x) within kFastExpRelErr for x in [-700, 700]; x outside is clamped to that range.
double fast_exp(double x);

// Sum over k < n of fast_exp(arg[k] - z*z/2) with z = (x - mu[k]) * inv_sigma[k], skipping the
// terms with |z| > far_z: z and the skips are computed exactly as the exact path does
// ((x - mu) * inv_sigma; a subtraction then a product, which no compiler contracts), so both
// paths sum the same set of kernels. Vectorised (AVX2/FMA where the CPU has them).
double fast_kernel_sum(double x, const double* mu, const double* inv_sigma, const double* arg, std::size_t n,
                       double far_z);

}  // namespace glasswing::search::detail
