// The integer requantization arithmetic of the TFLite int8 spec (gemmlowp's double rounding):
// a saturating, rounding, doubling high multiply by a Q31 multiplier, then a rounding
// arithmetic right shift. Everything here is integer-only and constexpr, so the same code runs
// on the host, on the Cortex-M0 and inside constant expressions.
#pragma once

#include <cstdint>
#include <limits>

namespace qpipe {

// round(a * b / 2^31) with ties towards +infinity, saturating the one overflowing case
// (INT32_MIN * INT32_MIN). Equal to gemmlowp's SaturatingRoundingDoublingHighMul.
constexpr std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) {
  if (a == b && a == std::numeric_limits<std::int32_t>::min()) {
    return std::numeric_limits<std::int32_t>::max();
  }
  const std::int64_t product = std::int64_t{a} * std::int64_t{b};
  // Division truncates towards zero, so negative products need a nudge of 1 - 2^30 rather than
  // 2^30 for the quotient to come out as floor((product + 2^30) / 2^31).
  const std::int64_t nudge = product >= 0 ? (std::int64_t{1} << 30) : 1 - (std::int64_t{1} << 30);
  return static_cast<std::int32_t>((product + nudge) / (std::int64_t{1} << 31));
}

// round(x / 2^exponent) with ties away from zero, for exponent in [0, 31].
constexpr std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent) {
  const std::uint32_t mask = (std::uint32_t{1} << exponent) - 1;  // unsigned: exponent 31 is fine
  const std::uint32_t remainder = static_cast<std::uint32_t>(x) & mask;
  const std::uint32_t threshold = (mask >> 1) + (x < 0 ? 1u : 0u);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// x * 2^shift for shift in [0, 30], saturated to int32. TFLite leaves the overflow undefined;
// saturating gives the answer the final clamp would give for the exact product.
constexpr std::int32_t saturating_left_shift(std::int32_t x, int shift) {
  const std::int64_t wide = std::int64_t{x} * (std::int64_t{1} << shift);
  if (wide > std::numeric_limits<std::int32_t>::max()) return std::numeric_limits<std::int32_t>::max();
  if (wide < std::numeric_limits<std::int32_t>::min()) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(wide);
}

// x * multiplier * 2^(shift - 31), rounded as TFLite's MultiplyByQuantizedMultiplier does:
// positive shifts are applied before the high multiply, negative ones after it.
constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, std::int32_t multiplier,
                                                        int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return rounding_divide_by_pot(
      saturating_rounding_doubling_high_mul(saturating_left_shift(x, left_shift), multiplier),
      right_shift);
}

// An int32 accumulator mapped onto an int8 output grid and clamped to [qmin, qmax]. Clamping to
// [qmin - zero_point, qmax - zero_point] before adding the zero point equals clamping after it
// in exact arithmetic and can never overflow.
constexpr std::int8_t requantize(std::int32_t acc, std::int32_t multiplier, int shift,
                                 std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax) {
  std::int32_t scaled = multiply_by_quantized_multiplier(acc, multiplier, shift);
  if (scaled < qmin - zero_point) scaled = qmin - zero_point;
  if (scaled > qmax - zero_point) scaled = qmax - zero_point;
  return static_cast<std::int8_t>(scaled + zero_point);
}

// sum / count rounded to nearest with ties away from zero (count > 0): TFLite's int8 average
// pooling division.
constexpr std::int32_t rounding_divide(std::int32_t sum, std::int32_t count) {
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

// The integer constants one output grid needs: everything a kernel uses to turn an accumulator
// into an int8, computed by the compiler.
struct Requantizer {
  std::int32_t multiplier;
  std::int32_t shift;
  std::int32_t zero_point;
  std::int32_t qmin;
  std::int32_t qmax;

  constexpr std::int8_t operator()(std::int32_t acc) const {
    return requantize(acc, multiplier, shift, zero_point, qmin, qmax);
  }
  friend constexpr bool operator==(const Requantizer&, const Requantizer&) = default;
};

}  // namespace qpipe
