// Requantization: hand-computed vectors, then ten million random cases against the exact 128-bit
// reference of tests/reference/, written from the rounding rules' definitions.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "requantize_vectors.hpp"
#include "reference/requantize_reference.hpp"

using qpipe_test::exact_doubling_high_mul;
using qpipe_test::exact_multiply;
using qpipe_test::exact_requantize;
using qpipe_test::int32_max;
using qpipe_test::int32_min;

TEST_CASE("hand-computed requantization vectors") {
  for (const auto& c : qpipe_test::requantize_cases) {
    CAPTURE(c.acc);
    CAPTURE(c.multiplier);
    CAPTURE(c.shift);
    CHECK(qpipe::requantize(c.acc, c.multiplier, c.shift, c.zero_point, c.qmin, c.qmax) == c.expected);
    // The form for multipliers in [0, 2^31) (Requantizer's), the shift split by split_shift.
    if (c.multiplier >= 0)
      CHECK(qpipe::requantize_positive(c.acc, c.multiplier, c.shift, c.zero_point, c.qmin, c.qmax) == c.expected);
  }
  // The same at compile time.
  static_assert(qpipe::requantize(1000, qpipe_test::half, -3, -10, -128, 127) == 53);
  static_assert(qpipe::requantize(5, qpipe_test::half, -1, 0, -128, 127) == 2);
  // 100 x 0.5 / 4 = 12.5, ties away from zero: 13 and -13; 100 x 2 x 0.5 = 100.
  static_assert(qpipe::requantize_positive(100, qpipe_test::half, -2, 0, -128, 127) == 13);
  static_assert(qpipe::requantize_positive(-100, qpipe_test::half, -2, 0, -128, 127) == -13);
  static_assert(qpipe::requantize_positive(100, qpipe_test::half, 1, 0, -128, 127) == 100);
}

TEST_CASE("a signed shift's split and a clamp range's codes: hand-computed") {
  static_assert(qpipe::split_shift(3).left == 3 && qpipe::split_shift(3).right == 0);
  static_assert(qpipe::split_shift(-5).left == 0 && qpipe::split_shift(-5).right == 5);
  static_assert(qpipe::split_shift(0).left == 0 && qpipe::split_shift(0).right == 0);
  constexpr qpipe::ClampRange relu6{-128, 5};
  static_assert(relu6.code(300) == 5 && relu6.code(5) == 5 && relu6.code(-1000) == -128 && relu6.code(-7) == -7);
}

TEST_CASE("saturating rounding doubling high multiply: hand-computed") {
  using qpipe::saturating_rounding_doubling_high_mul;
  CHECK(saturating_rounding_doubling_high_mul(int32_min, int32_min) == int32_max);
  CHECK(saturating_rounding_doubling_high_mul(int32_max, int32_max) == 2147483646);  // 2^31 - 2 + 2^-31
  CHECK(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30) == 1 << 29);          // 2^60 / 2^31, exact
  CHECK(saturating_rounding_doubling_high_mul(1, 1 << 30) == 1);                      // 0.5 -> 1
  CHECK(saturating_rounding_doubling_high_mul(-1, 1 << 30) == 0);                     // -0.5 -> 0
  CHECK(saturating_rounding_doubling_high_mul(int32_min, int32_max) == -2147483647);  // -(2^31 - 1)
  static_assert(qpipe::saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1);
}

TEST_CASE("rounding divide by power of two: hand-computed") {
  using qpipe::rounding_divide_by_pot;
  CHECK(rounding_divide_by_pot(5, 1) == 3);
  CHECK(rounding_divide_by_pot(-5, 1) == -3);
  CHECK(rounding_divide_by_pot(7, 2) == 2);
  CHECK(rounding_divide_by_pot(-6, 2) == -2);
  CHECK(rounding_divide_by_pot(-5, 2) == -1);
  CHECK(rounding_divide_by_pot(int32_min, 31) == -1);
  CHECK(rounding_divide_by_pot(int32_max, 31) == 1);
  CHECK(rounding_divide_by_pot(-12345, 0) == -12345);
  static_assert(qpipe::rounding_divide_by_pot(-3, 1) == -2);
}

TEST_CASE("requantization equals the exact 128-bit reference on 10 million random cases") {
  std::mt19937_64 rng(20261123);
  std::uniform_int_distribution<std::int32_t> any_int32(int32_min, int32_max);
  std::uniform_int_distribution<std::int32_t> q31_multiplier(1 << 30, int32_max);
  std::uniform_int_distribution<int> any_shift(-31, 30);
  std::uniform_int_distribution<int> bits(0, 31);
  std::uniform_int_distribution<std::int32_t> zp(-128, 127);

  long mismatches = 0;
  constexpr long cases = 10'000'000;
  for (long n = 0; n < cases; ++n) {
    // Accumulators: full range, or of a random magnitude so small values and powers of two are common.
    std::int32_t acc = any_int32(rng);
    if (n % 2 == 1) acc >>= bits(rng);
    // Multipliers as quantize_multiplier makes them, and now and then any int32 at all.
    const std::int32_t m = n % 16 == 0 ? any_int32(rng) : q31_multiplier(rng);
    const int shift = n % 4 == 0 ? any_shift(rng) : -bits(rng) / 2;  // realistic shifts are small and negative
    const std::int32_t z = zp(rng);
    std::int32_t lo = zp(rng), hi = zp(rng);
    if (lo > hi) std::swap(lo, hi);
    if (n % 3 == 0) lo = -128, hi = 127;
    // The kernels' form (a non-negative multiplier, the shift split) on the same cases.
    const std::int32_t positive = m < 0 ? -(m + 1) : m;
    const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    if (qpipe::multiply_by_quantized_multiplier(acc, m, shift) != exact_multiply(acc, m, shift) ||
        qpipe::requantize(acc, m, shift, z, lo, hi) != exact_requantize(acc, m, shift, z, lo, hi) ||
        qpipe::rounding_doubling_high_mul_by_positive(acc, positive) != exact_doubling_high_mul(acc, positive) ||
        qpipe::requantize_split(acc, positive, left, right, z, lo, hi) !=
            exact_requantize(acc, positive, shift, z, lo, hi)) {
      if (++mismatches <= 10) {
        MESSAGE("mismatch: acc=" << acc << " m=" << m << " shift=" << shift << " zp=" << z);
      }
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("requantization is within one unit of the single-rounded exact product") {
  // Double rounding may move a result by one unit, never more.
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::int32_t> acc(-(1 << 24), 1 << 24);
  std::uniform_int_distribution<std::int32_t> m(1 << 30, int32_max);
  std::uniform_int_distribution<int> shift(-20, 0);
  for (int n = 0; n < 100000; ++n) {
    const std::int32_t a = acc(rng), mm = m(rng);
    const int s = shift(rng);
    const long double exact = static_cast<long double>(a) * mm / 2147483648.0L * std::pow(2.0L, s);
    CHECK(std::abs(qpipe::multiply_by_quantized_multiplier(a, mm, s) - exact) <= 1.0L);
  }
}

TEST_CASE("a mean's division by a constant count as a multiply and a shift, on every sum of int8 values") {
  // By hand: count 9 over |sum| + 4 <= 1156 takes shift 24 (the largest whose product fits 32 bits)
  // and m = ceil(2^24 / 9) = 1,864,136, an error of 8 (1156 8 < 2^24).
  constexpr qpipe::MeanDivisor nine = qpipe::mean_divisor(9);
  static_assert(nine.multiplier == 1864136 && nine.shift == 24);
  static_assert(nine(40) == 4 && nine(41) == 5 && nine(-41) == -5 && nine(-40) == -4 && nine(0) == 0);
  // A power of two shifts alone: 64 is m = 1 at shift 6, and 1 divides by nothing.
  static_assert(qpipe::mean_divisor(64).multiplier == 1 && qpipe::mean_divisor(64).shift == 6);
  static_assert(qpipe::mean_divisor(1).multiplier == 1 && qpipe::mean_divisor(1).shift == 0);
  static_assert(qpipe::mean_divisor(64)(-96) == -2 && qpipe::mean_divisor(64)(-95) == -1);
  // Every count up to 400 (a 20 x 20 window) on every sum its int8 values make, against round half
  // away from zero written out: floor((2 |sum| + count) / (2 count)), the sign put back.
  int wrong = 0, divided = 0;
  for (std::int32_t count = 1; count <= 400; ++count) {
    const qpipe::MeanDivisor divide = qpipe::mean_divisor(count);
    divided += divide.multiplier == 0;
    for (std::int32_t sum = -128 * count; sum <= 127 * count; ++sum) {
      const std::int64_t magnitude = sum < 0 ? -std::int64_t{sum} : sum;
      const std::int64_t q = (2 * magnitude + count) / (2 * std::int64_t{count});
      wrong += divide(sum) != (sum < 0 ? -q : q);
    }
  }
  CHECK(wrong == 0);
  // The windows of the MLPerf Tiny replicas' pools (3 x 3, 8 x 8, 25 x 5) multiply; past a few
  // hundred values the product no longer fits 32 bits with room for the error, and the division
  // (the fallback, exact too) runs.
  static_assert(qpipe::mean_divisor(64).multiplier != 0 && qpipe::mean_divisor(125).multiplier != 0);
  CHECK(divided > 0);
  CHECK(qpipe::mean_divisor(200).multiplier != 0);
  CHECK(qpipe::mean_divisor(400).multiplier == 0);
}
