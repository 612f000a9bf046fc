// TFLite's int8 softmax arithmetic: gemmlowp fixed point throughout, so the result is bit-exact
// with TFLite's reference kernel. A value in "Qi" format is an int32 raw r standing for
// r / 2^(31 - i): i integer bits, 31 - i fractional bits.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"
#include "qpipe/numerics/tflite_float.hpp"

namespace qpipe {

namespace softmax_fixed_point {

// Differences from the row maximum are rescaled to Q5 (range (-32, 0]); exponentials are summed
// in Q12 (up to 4096 terms of at most 1).
inline constexpr int diff_integer_bits = 5;
inline constexpr int sum_integer_bits = 12;

// The saturating rounding doubling high multiply, out of line: a softmax runs once per row, so the
// calls cost little, whereas inlined, the Cortex-M0's 64-bit product (four 16 x 16 multiplies and
// their carries) is repeated at every use after GCC unrolls the loops below: the exponential and
// the reciprocal were most of a network's code on the M0 (the commit that made them calls says
// how much).
[[gnu::noinline]] constexpr std::int32_t high_mul(std::int32_t a, std::int32_t b) {
  return saturating_rounding_doubling_high_mul(a, b);
}

// x * 2^exponent: saturating for exponent > 0, rounding (ties away from zero) for exponent < 0.
constexpr std::int32_t multiply_by_pot(std::int32_t x, int exponent) {
  if (exponent > 0) return saturating_left_shift(x, exponent);
  if (exponent < 0) return rounding_divide_by_pot(x, -exponent);
  return x;
}

// round(c * 2^31) for c in (0, 1): a Q0 constant computed by the compiler.
consteval std::int32_t q0_constant(double c) {
  return static_cast<std::int32_t>(math::round_half_away(c * 2147483648.0));
}

inline constexpr std::int32_t exp_minus_one_eighth = q0_constant(math::exp(-0.125));
inline constexpr std::int32_t one_third = q0_constant(1.0 / 3.0);
// exp(-2^k) for k = -2 .. 4, in Q0.
inline constexpr std::int32_t exp_of_minus_power_of_two[7] = {
    q0_constant(math::exp(-0.25)), q0_constant(math::exp(-0.5)), q0_constant(math::exp(-1.0)),
    q0_constant(math::exp(-2.0)),  q0_constant(math::exp(-4.0)), q0_constant(math::exp(-8.0)),
    q0_constant(math::exp(-16.0)),
};
// The published gemmlowp constants: the compiler's exp must reproduce every one of them.
static_assert(exp_minus_one_eighth == 1895147668 && one_third == 715827883);
static_assert(exp_of_minus_power_of_two[0] == 1672461947 && exp_of_minus_power_of_two[1] == 1302514674 &&
              exp_of_minus_power_of_two[2] == 790015084 && exp_of_minus_power_of_two[3] == 290630308 &&
              exp_of_minus_power_of_two[4] == 39332535 && exp_of_minus_power_of_two[5] == 720401 &&
              exp_of_minus_power_of_two[6] == 242);

// exp(a) for a Q0 value a in [-1/4, 0): a Taylor expansion around -1/8 to fourth order,
// exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24) with x = a + 1/8.
constexpr std::int32_t exp_on_quarter_interval(std::int32_t a) {
  const std::int32_t x = a + (std::int32_t{1} << 28);  // + 1/8
  const std::int32_t x2 = high_mul(x, x);
  const std::int32_t x3 = high_mul(x2, x);
  const std::int32_t x4 = high_mul(x2, x2);
  const std::int32_t x4_over_4 = multiply_by_pot(x4, -2);
  const std::int32_t higher_terms =  // x^4/24 + x^3/6 + x^2/2
      multiply_by_pot(high_mul(x4_over_4 + x3, one_third) + x2, -1);
  return exp_minus_one_eighth + high_mul(exp_minus_one_eighth, x + higher_terms);
}

// exp(a) for a Q5 value a <= 0, as a Q0 value. a = (a mod 1/4) - 1/4 - (a multiple of 1/4): the
// first part goes through the Taylor expansion, the multiple through one multiply by exp(-2^k)
// for each bit k set in it (k = -2 .. 4). Out of line, as high_mul: both passes of a row call it.
[[gnu::noinline]] constexpr std::int32_t exp_on_negative_values(std::int32_t a) {
  constexpr int fractional_bits = 31 - diff_integer_bits;
  constexpr std::int32_t one_quarter = std::int32_t{1} << (fractional_bits - 2);
  const std::int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
  std::int32_t result = exp_on_quarter_interval(multiply_by_pot(a_mod_quarter_minus_quarter, diff_integer_bits));
  const std::int32_t remainder = a_mod_quarter_minus_quarter - a;  // the multiple of 1/4, >= 0
  for (int k = -2; k <= 4; ++k) {
    if (remainder & (std::int32_t{1} << (fractional_bits + k))) {
      result = high_mul(result, exp_of_minus_power_of_two[k + 2]);
    }
  }
  return a == 0 ? std::numeric_limits<std::int32_t>::max() : result;  // exp(0): Q0's largest value
}

// (a + b) / 2 rounded half away from zero, without overflow.
constexpr std::int32_t rounding_half_sum(std::int32_t a, std::int32_t b) {
  const std::int64_t sum = std::int64_t{a} + b;
  return static_cast<std::int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
}

// 1 / (1 + x) for a Q0 value x in [0, 1), as a Q0 value: three Newton-Raphson steps on
// d = (1 + x) / 2 from the start 48/17 - 32/17 d, in Q2.
constexpr std::int32_t one_over_one_plus_x(std::int32_t x) {
  constexpr std::int32_t q2_48_over_17 = 1515870810;    // round(48/17 * 2^29)
  constexpr std::int32_t q2_minus_32_over_17 = -1010580540;  // round(-32/17 * 2^29)
  constexpr std::int32_t q2_one = std::int32_t{1} << 29;
  const std::int32_t half_denominator = rounding_half_sum(x, std::numeric_limits<std::int32_t>::max());
  std::int32_t estimate = q2_48_over_17 + high_mul(half_denominator, q2_minus_32_over_17);
  for (int step = 0; step < 3; ++step) {
    const std::int32_t error = q2_one - high_mul(half_denominator, estimate);
    estimate += multiply_by_pot(high_mul(estimate, error), 2);
  }
  // estimate ~ 1 / d = 2 / (1 + x) in Q2; halve it (reinterpret as Q1) and rescale to Q0.
  return multiply_by_pot(estimate, 1);
}
static_assert(1515870810 == static_cast<std::int32_t>(48.0 / 17.0 * (1 << 29)) &&
              -1010580540 == static_cast<std::int32_t>(-32.0 / 17.0 * (1 << 29)));

}  // namespace softmax_fixed_point

// The constants of a softmax on an input grid: differences from the row maximum are multiplied
// onto Q5 by input_multiplier * 2^input_left_shift; a difference below diff_min would give an
// exponential that rounds to nothing and its output is the minimum.
struct SoftmaxConstants {
  std::int32_t input_multiplier;
  std::int32_t input_left_shift;
  std::int32_t diff_min;
};

// TFLite Micro's SOFTMAX prepare (softmax_common.cc), which TFLite's reference kernel shares:
// PreprocessSoftmaxScaling(beta, input_scale, 5) computes min(beta * input_scale * 2^26, 2^31 - 1)
// in double, in that order (beta a float32 widened: TFLite's schema stores it so; the input scale
// taken as the grid gives it), and QuantizeMultiplierGreaterThanOne refuses a product that is not
// above 1. The cap makes every input scale at or above 16 / beta legal: the shift is then 31 and
// diff_min 0, so only the row's maxima count (each other value is the output minimum), and a
// shift of 31 is only ever applied to a difference of 0. diff_min = -floor(CalculateInputRadius(5,
// shift, 31)) = -floor(31 * 2^26 / 2^shift), in double.
consteval SoftmaxConstants softmax_constants(double input_scale, double beta = 1.0) {
  constexpr int integer_bits = softmax_fixed_point::diff_integer_bits;
  const double tflite_beta = static_cast<double>(tflite_float::f32(beta));
  double real = tflite_beta * input_scale * double(std::int64_t{1} << (31 - integer_bits));
  if (real > 2147483647.0) real = 2147483647.0;
  if (!(real > 1.0))
    compile_error::softmax_beta_times_input_scale_must_be_above_2_pow_minus_26_as_tflite_requires(tflite_beta *
                                                                                                  input_scale);
  const detail::multiplier_result r = detail::try_quantize_multiplier(real, 31);
  const QuantizedMultiplier m = r.value;  // real in (1, 2^31 - 1]: always ok, shift in [1, 31]
  // The largest Q5 magnitude, brought back to the scale of the input differences.
  const double radius = double((std::int64_t{1} << integer_bits) - 1) * double(std::int64_t{1} << (31 - integer_bits)) /
                        double(std::int64_t{1} << m.shift);
  return {m.multiplier, m.shift, -static_cast<std::int32_t>(math::floor(radius))};
}

// exp(diff) in Q0 for a difference diff <= 0 from the row's maximum (both passes over the row).
constexpr std::int32_t exp_of_difference(std::int32_t diff, const SoftmaxConstants& k) {
  return softmax_fixed_point::exp_on_negative_values(
      multiply_by_quantized_multiplier(diff, k.input_multiplier, k.input_left_shift));
}

// One row of n values: out = round(256 * softmax(in)) - 128 in TFLite's fixed point.
// Its loops are not unrolled: a network runs it once, over a handful of classes, and unrolled each
// class cost its own copy of the exponential's calls (1.3 KB of M0 code for ten classes).
constexpr void softmax_row(const std::int8_t* in, std::int8_t* out, std::size_t n, const SoftmaxConstants& k) {
  using namespace softmax_fixed_point;
  std::int32_t row_max = in[0];
#pragma GCC unroll 1
  for (std::size_t i = 1; i < n; ++i) row_max = in[i] > row_max ? in[i] : row_max;

  std::int32_t sum = 0;  // Q12
#pragma GCC unroll 1
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t diff = in[i] - row_max;
    if (diff >= k.diff_min) sum += multiply_by_pot(exp_of_difference(diff, k), -sum_integer_bits);
  }
  // sum = 2^(bits_over_unit) * (1 + x) with x in [0, 1): its reciprocal from 1 / (1 + x).
  const int headroom_plus_one = std::countl_zero(static_cast<std::uint32_t>(sum));
  const int bits_over_unit = sum_integer_bits - headroom_plus_one;
  const std::int32_t x =
      static_cast<std::int32_t>((static_cast<std::uint32_t>(sum) << headroom_plus_one) - (std::uint32_t{1} << 31));
  const std::int32_t reciprocal = one_over_one_plus_x(x);

#pragma GCC unroll 1
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t diff = in[i] - row_max;
    std::int32_t q = int8_min;
    if (diff >= k.diff_min) {
      q = rounding_divide_by_pot(high_mul(reciprocal, exp_of_difference(diff, k)), bits_over_unit + 31 - 8) + int8_min;
      q = q > int8_max ? int8_max : q;
    }
    out[i] = static_cast<std::int8_t>(q);
  }
}

}  // namespace qpipe
