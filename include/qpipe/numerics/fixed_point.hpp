// The integer requantization arithmetic of the TFLite int8 spec (gemmlowp's double rounding):
// a saturating, rounding, doubling high multiply by a Q31 multiplier, then a rounding
// arithmetic right shift. Everything here is integer-only and constexpr, so the same code runs
// on the host, on the Cortex-M0 and inside constant expressions.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

namespace qpipe {

// round(a * b / 2^31) with ties towards +infinity, saturating the one overflowing case
// (INT32_MIN * INT32_MIN). Equal to gemmlowp's SaturatingRoundingDoublingHighMul: its nudge
// (2^30, or 1 - 2^30 for a negative product) followed by a truncating division is exactly
// floor((a * b + 2^30) / 2^31) in both signs.
//
// The Cortex-M0 multiplies only 32 x 32 -> 32 bits, and a 64-bit product would cost a call to
// __aeabi_lmul; the exact product is assembled from four 16 x 16 products instead.
constexpr std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) {
  if (a == b && a == std::numeric_limits<std::int32_t>::min()) {
    return std::numeric_limits<std::int32_t>::max();
  }
  const std::uint32_t a_lo = static_cast<std::uint32_t>(a) & 0xffffu, b_lo = static_cast<std::uint32_t>(b) & 0xffffu;
  const std::int32_t a_hi = a >> 16, b_hi = b >> 16;  // arithmetic: a = a_hi * 2^16 + a_lo
  const std::uint32_t low = a_lo * b_lo;
  const std::int32_t cross1 = a_hi * static_cast<std::int32_t>(b_lo);  // |.| < 2^31: no overflow
  const std::int32_t cross2 = static_cast<std::int32_t>(a_lo) * b_hi;
  // product = high * 2^32 + lo, accumulated with explicit carries.
  std::uint32_t lo = low + (static_cast<std::uint32_t>(cross1) << 16);
  std::int32_t high = a_hi * b_hi + (cross1 >> 16) + (cross2 >> 16) + (lo < low ? 1 : 0);
  const std::uint32_t before = lo;
  lo += static_cast<std::uint32_t>(cross2) << 16;
  high += lo < before ? 1 : 0;
  const std::uint32_t unrounded = lo;
  lo += std::uint32_t{1} << 30;  // + 2^30, then floor-divide by 2^31
  high += lo < unrounded ? 1 : 0;
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(high) << 1) | (lo >> 31));
}

// The same for a multiplier b in [0, 2^31), which is what every requantizer holds
// (quantize_multiplier gives [2^30, 2^31)), so the saturating corner cannot occur. With
// a = ah 2^16 + al and b = bh 2^16 + bl (al, bl in [0, 2^16), bh < 2^15) the three cross terms
// fit int32 (X = ah bl, Y = al bh in [0, 2^31), P = ah bh), and
//   floor((a b + 2^30) / 2^31) = 2 P + floor(X / 2^15) + floor(((X mod 2^15) + Y + v) / 2^15)
// with v = floor(al bl / 2^16) + 2^14 (the 2^30 nudge divided down). The last sum is below 2^32,
// so unsigned arithmetic holds it: four multiplies and no carry tracking, about half the Thumb
// code of the general form. (Checked against the exact product by the tests and the fuzzer.)
constexpr std::int32_t rounding_doubling_high_mul_by_positive(std::int32_t a, std::int32_t b) {
  const std::int32_t ah = a >> 16, bh = b >> 16;  // arithmetic shift; bh >= 0
  const std::uint32_t al = static_cast<std::uint32_t>(a) & 0xffffu, bl = static_cast<std::uint32_t>(b) & 0xffffu;
  const std::int32_t x = ah * static_cast<std::int32_t>(bl);
  const std::uint32_t y = al * static_cast<std::uint32_t>(bh);
  const std::uint32_t v = ((al * bl) >> 16) + (1u << 14);
  const std::uint32_t low = ((static_cast<std::uint32_t>(x) & 0x7fffu) + y + v) >> 15;
  // The result fits int32; the sum is formed modulo 2^32 (unsigned) so that no step overflows.
  return static_cast<std::int32_t>(2u * static_cast<std::uint32_t>(ah * bh) + static_cast<std::uint32_t>(x >> 15) +
                                   low);
}

// round(x / 2^exponent) with ties away from zero, for exponent in [0, 31].
constexpr std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent) {
  const std::uint32_t mask = (std::uint32_t{1} << exponent) - 1;  // unsigned: exponent 31 is fine
  const std::uint32_t remainder = static_cast<std::uint32_t>(x) & mask;
  const std::uint32_t threshold = (mask >> 1) + (x < 0 ? 1u : 0u);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// x * 2^shift for shift in [0, 30], saturated to int32 (and shift 31, which only SOFTMAX's input
// multiplier takes and only ever applies to a difference of 0). TFLite leaves the overflow undefined;
// saturating gives the answer the final clamp would give for the exact product.
constexpr std::int32_t saturating_left_shift(std::int32_t x, int shift) {
  if (x > (std::numeric_limits<std::int32_t>::max() >> shift)) return std::numeric_limits<std::int32_t>::max();
  if (x < (std::numeric_limits<std::int32_t>::min() >> shift)) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << shift);
}

// TFLite's signed shift in its two parts: positive shifts are applied before the high multiply
// (left), negative ones after it (right); at most one of them is non-zero.
struct ShiftSplit {
  int left;
  int right;
};
constexpr ShiftSplit split_shift(int shift) { return {shift > 0 ? shift : 0, shift > 0 ? 0 : -shift}; }

// x * multiplier * 2^(shift - 31), rounded as TFLite's MultiplyByQuantizedMultiplier does.
constexpr std::int32_t multiply_by_quantized_multiplier(std::int32_t x, std::int32_t multiplier, int shift) {
  const ShiftSplit s = split_shift(shift);
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(saturating_left_shift(x, s.left), multiplier),
                                s.right);
}

// A requantized value onto an int8 output grid, clamped to [qmin, qmax]. Clamping to
// [qmin - zero_point, qmax - zero_point] before adding the zero point equals clamping after it
// in exact arithmetic and can never overflow.
constexpr std::int8_t to_output_code(std::int32_t scaled, std::int32_t zero_point, std::int32_t qmin,
                                     std::int32_t qmax) {
  if (scaled < qmin - zero_point) scaled = qmin - zero_point;
  if (scaled > qmax - zero_point) scaled = qmax - zero_point;
  return static_cast<std::int8_t>(scaled + zero_point);
}

// An int32 accumulator mapped onto an int8 output grid and clamped to [qmin, qmax], for any
// multiplier (negative ones too).
constexpr std::int8_t requantize(std::int32_t acc, std::int32_t multiplier, int shift, std::int32_t zero_point,
                                 std::int32_t qmin, std::int32_t qmax) {
  return to_output_code(multiply_by_quantized_multiplier(acc, multiplier, shift), zero_point, qmin, qmax);
}

// The same for a multiplier in [0, 2^31) (every requantizer's), with the shift split into its
// left part (applied before the high multiply) and its right part (after it), at most one of them
// non-zero: what the kernels call. Per-channel kernels store the shifts split, so that their code
// has no branch on the shift's sign (with one, GCC duplicates the whole high multiply for the two
// cases in every layer).
constexpr std::int8_t requantize_split(std::int32_t acc, std::int32_t multiplier, int left_shift, int right_shift,
                                       std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax) {
  const std::int32_t shifted = saturating_left_shift(acc, left_shift);
  return to_output_code(
      rounding_divide_by_pot(rounding_doubling_high_mul_by_positive(shifted, multiplier), right_shift), zero_point,
      qmin, qmax);
}
// requantize_split with TFLite's signed shift (split_shift): what a requantizer that stores the
// shift whole runs (Requantizer, the Cortex-M0's add).
constexpr std::int8_t requantize_positive(std::int32_t acc, std::int32_t multiplier, int shift, std::int32_t zero_point,
                                          std::int32_t qmin, std::int32_t qmax) {
  const ShiftSplit s = split_shift(shift);
  return requantize_split(acc, multiplier, s.left, s.right, zero_point, qmin, qmax);
}

// sum / count rounded to nearest with ties away from zero (count > 0): TFLite's int8 average
// pooling division.
constexpr std::int32_t rounding_divide(std::int32_t sum, std::int32_t count) {
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

// rounding_divide(sum, count) for a mean of count int8 values (|sum| <= 128 count) by a count known
// to the compiler: as a multiply and a shift, floor(x m / 2^shift) of x = |sum| + count / 2, where
// one is exact on that whole range (else by division). The Cortex-M0 has no divide instruction,
// and without a 64-bit product GCC calls __divsi3 there; an average pool divides once an output.
struct MeanDivisor {
  std::int32_t count = 1;
  std::uint32_t multiplier = 0;  // 0: no exact multiply, divide
  unsigned shift = 0;

  constexpr std::int32_t operator()(std::int32_t sum) const {
    if (multiplier == 0) return rounding_divide(sum, count);
    const std::uint32_t x = (sum < 0 ? 0u - static_cast<std::uint32_t>(sum) : static_cast<std::uint32_t>(sum)) +
                            static_cast<std::uint32_t>(count / 2);
    const std::int32_t q = static_cast<std::int32_t>((x * multiplier) >> shift);
    return sum < 0 ? -q : q;
  }
};
// m = ceil(2^shift / count) with error e = m count - 2^shift: x m / 2^shift = x / count + x e /
// (count 2^shift), and the second term stays below 1 / count, which cannot carry x / count past
// the next integer, while x e < 2^shift; the product x m must fit 32 bits. A power of two (a 1 x 1
// or 8 x 8 window) is m = 1 with no error: a shift alone, the multiply gone where the count is a
// constant.
constexpr MeanDivisor mean_divisor(std::int32_t count) {
  if (count > 0 && std::has_single_bit(static_cast<std::uint32_t>(count)))
    return {count, 1, static_cast<unsigned>(std::countr_zero(static_cast<std::uint32_t>(count)))};
  const std::uint64_t largest = 128 * static_cast<std::uint64_t>(count) + static_cast<std::uint64_t>(count / 2);
  const std::uint64_t d = static_cast<std::uint64_t>(count);
  for (unsigned shift = 31; shift > 0; --shift) {
    const std::uint64_t unit = std::uint64_t{1} << shift, m = (unit + d - 1) / d;
    if (largest * m <= 0xffffffffu && largest * (m * d - unit) < unit)
      return {count, static_cast<std::uint32_t>(m), shift};
  }
  return {count, 0, 0};
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
    return requantize_positive(acc, multiplier, shift, zero_point, qmin, qmax);
  }
  friend constexpr bool operator==(const Requantizer&, const Requantizer&) = default;
};

}  // namespace qpipe
