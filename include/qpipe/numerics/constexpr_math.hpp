// Double-precision math usable in constant expressions: the compiler evaluates these while it
// quantizes a network, so no <cmath> call (and no float code) reaches the target.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

namespace qpipe::math {

inline constexpr double infinity = std::numeric_limits<double>::infinity();

constexpr bool is_nan(double x) { return x != x; }
constexpr bool is_finite(double x) { return x == x && x != infinity && x != -infinity; }
constexpr double abs(double x) { return x < 0 ? -x : x; }

// Round to nearest, ties away from zero (what std::round and TFLite's TfLiteRound do).
// Truncating first and looking at the exact fraction avoids the x + 0.5 trap
// (0.49999999999999994 + 0.5 rounds up to 1.0 in double).
constexpr double round_half_away(double x) {
  const double a = abs(x);
  if (!(a < 4503599627370496.0)) return x;  // >= 2^52 (or NaN): already an integer
  const auto whole = static_cast<std::int64_t>(a);
  const double fraction = a - static_cast<double>(whole);  // exact
  const double rounded = static_cast<double>(whole + (fraction >= 0.5 ? 1 : 0));
  return x < 0 ? -rounded : rounded;
}

constexpr double floor(double x) {
  if (!(abs(x) < 4503599627370496.0)) return x;
  const auto t = static_cast<double>(static_cast<std::int64_t>(x));
  return t > x ? t - 1.0 : t;
}

// x * 2^e, exact unless the result over- or underflows.
constexpr double ldexp(double x, int e) {
  auto power_of_two = [](int k) {  // k in [-1022, 1023]
    return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
  };
  while (e > 1023) {
    x *= power_of_two(1023);
    e -= 1023;
  }
  while (e < -1022) {
    x *= power_of_two(-1022);
    e += 1022;
  }
  return x * power_of_two(e);
}

// e^x. Cody-Waite reduction x = k ln2 + r with |r| <= ln2/2, then a Taylor sum for e^r that is
// exhausted long before it stops contributing (r^27/27! < 1e-38), so the error is a few ulp.
constexpr double exp(double x) {
  if (is_nan(x)) return x;
  if (x > 709.782712893384) return infinity;
  if (x < -745.2) return 0.0;
  constexpr double inv_ln2 = 1.44269504088896338700e+00;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // ln2 with its low 32 bits cleared
  constexpr double ln2_lo = 1.90821492927058770002e-10;  // ln2 - ln2_hi
  const double k = round_half_away(x * inv_ln2);
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  double sum = 1.0;
  double term = 1.0;
  for (int n = 1; n <= 27; ++n) {
    term *= r / n;
    sum += term;
  }
  return ldexp(sum, static_cast<int>(k));
}

// e^x - 1 without the cancellation of exp(x) - 1 near zero.
constexpr double expm1(double x) {
  if (abs(x) >= 0.5) return exp(x) - 1.0;
  double sum = 0.0;
  double term = 1.0;
  for (int n = 1; n <= 30; ++n) {
    term *= x / n;
    sum += term;
  }
  return sum;
}

// 1 / (1 + e^-x), written so that neither branch overflows or cancels.
constexpr double sigmoid(double x) {
  if (is_nan(x)) return x;
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  const double e = exp(x);
  return e / (1.0 + e);
}

// tanh(x) = expm1(2x) / (expm1(2x) + 2): accurate near zero, and exactly +-1 where it saturates.
constexpr double tanh(double x) {
  if (is_nan(x)) return x;
  const double a = abs(x);
  double t = 1.0;
  if (a < 20.0) {
    const double e = expm1(2.0 * a);
    t = e / (e + 2.0);
  }
  return x < 0 ? -t : t;
}

// Square root by Newton iteration from a power-of-two first guess; correctly rounded or
// within one ulp, which is all calibration and equalization need.
constexpr double sqrt(double x) {
  if (is_nan(x) || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0 || x == infinity) return x;
  const auto bits = std::bit_cast<std::uint64_t>(x);
  const int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  double y = ldexp(1.0, e / 2);
  for (int i = 0; i < 80; ++i) {
    const double next = 0.5 * (y + x / y);
    if (next == y) break;
    y = next;
  }
  return y;
}

// Natural logarithm. x = m 2^e with m in [sqrt(1/2), sqrt(2)), then ln m = 2 atanh(z) with
// z = (m - 1) / (m + 1), |z| < 0.172, whose odd series has converged to below an ulp after 14 terms.
constexpr double log(double x) {
  if (is_nan(x) || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -infinity;
  if (x == infinity) return x;
  int e = 0;
  if (x < 2.2250738585072014e-308) {  // subnormal: scale into the normal range first
    x *= 18014398509481984.0;          // 2^54
    e = -54;
  }
  const auto bits = std::bit_cast<std::uint64_t>(x);
  e += static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
  if (m >= 1.4142135623730951) {
    m *= 0.5;
    ++e;
  }
  const double z = (m - 1.0) / (m + 1.0);
  const double z2 = z * z;
  double term = z;
  double sum = 0.0;
  for (int k = 0; k < 14; ++k) {
    sum += term / (2 * k + 1);
    term *= z2;
  }
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  return (e * ln2_hi + 2.0 * sum) + e * ln2_lo;
}

}  // namespace qpipe::math
