// TFLite HARD_SWISH int8, x * relu6(x + 3) / 6, as its reference kernel computes it: 16-bit fixed
// point with two multipliers (the input on the output scale, and the "relu-ish" factor in [0, 1])
// derived in float from the float32 scales and narrowed to 16 bits
// (DownScaleInt32ToInt16Multiplier). The compiler runs that arithmetic once per input code and
// keeps the 256 results as a table.
#pragma once

#include <cstdint>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/lut.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"
#include "qpipe/numerics/tflite_float.hpp"

namespace qpipe {

namespace detail {

constexpr std::int16_t saturate_int16(std::int64_t v) {
  return static_cast<std::int16_t>(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

// gemmlowp's 16-bit SaturatingRoundingDoublingHighMul: (a b + nudge) / 2^15 truncated, the nudge
// 2^14 for a non-negative product and 1 - 2^14 otherwise; -32768 * -32768 saturates.
constexpr std::int16_t rounding_doubling_high_mul_16(std::int16_t a, std::int16_t b) {
  if (a == -32768 && b == -32768) return 32767;
  const std::int32_t ab = std::int32_t{a} * b;
  const std::int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<std::int16_t>((ab + nudge) / (1 << 15));
}

// The same without the rounding nudge (TFLite's SaturatingDoublingHighMul, like SQDMULH).
constexpr std::int16_t doubling_high_mul_16(std::int16_t a, std::int16_t b) {
  if (a == -32768 && b == -32768) return 32767;
  return static_cast<std::int16_t>((std::int32_t{a} * b) / (1 << 15));
}

constexpr std::int16_t saturating_left_shift_16(std::int16_t v, int amount) {
  return saturate_int16(static_cast<std::int64_t>(v) * (std::int64_t{1} << amount));
}

// A Q31 multiplier rounded to Q15, saturating near 2^31.
constexpr std::int16_t narrow_multiplier_16(std::int32_t m) {
  constexpr std::int32_t offset = 1 << 15;
  if (m >= 2147483647 - offset) return 32767;
  return static_cast<std::int16_t>((m + offset) >> 16);
}

struct HardSwishConstants {
  std::int16_t output_multiplier;  // Q15
  int output_exponent;             // <= 0
  std::int16_t reluish_multiplier;  // Q15
  int reluish_exponent;
};

consteval HardSwishConstants hard_swish_constants(Grid in, Grid out) {
  using tflite_float::f32;
  const float hires_input_scale = (1.0f / 128.0f) * f32(in.scale);
  const float reluish_scale = 3.0f / 32768.0f;
  const QuantizedMultiplier output = quantize_multiplier(static_cast<double>(hires_input_scale / f32(out.scale)));
  if (output.shift > 0)
    compile_error::hard_swish_needs_input_scale_below_128_times_output_scale_as_tflite_requires(in.scale / out.scale);
  const QuantizedMultiplier reluish = quantize_multiplier(static_cast<double>(hires_input_scale / reluish_scale));
  return {narrow_multiplier_16(output.multiplier), output.shift, narrow_multiplier_16(reluish.multiplier),
          reluish.shift};
}

// One input code through TFLite's loop body.
constexpr std::int8_t hard_swish_code(int q, Grid in, Grid out, const HardSwishConstants& k, ClampRange clamp) {
  const auto hires = static_cast<std::int16_t>((q - in.zero_point) * (1 << 7));
  const std::int16_t on_output_scale = rounding_doubling_high_mul_16(hires, k.output_multiplier);
  std::int16_t reluish = hires;
  if (k.reluish_exponent > 0) reluish = saturating_left_shift_16(reluish, k.reluish_exponent - 1);
  reluish = rounding_doubling_high_mul_16(reluish, k.reluish_multiplier);
  if (k.reluish_exponent > 0) reluish = saturating_left_shift_16(reluish, 1);
  if (k.reluish_exponent < 0) reluish = static_cast<std::int16_t>(rounding_divide_by_pot(reluish, -k.reluish_exponent));
  reluish = static_cast<std::int16_t>((reluish + (1 << 15)) >> 1);  // [-1, 1] onto [0, 1]
  const std::int16_t preshift = doubling_high_mul_16(reluish, on_output_scale);
  // TFLite adds the zero point in 16 bits (a sum past 32767 wraps, as the conversion does here).
  const auto code = static_cast<std::int16_t>(rounding_divide_by_pot(preshift, -k.output_exponent) + out.zero_point);
  return clamp.code(code);
}

}  // namespace detail

consteval Lut hard_swish_table(Grid in, Grid out, ClampRange clamp) {
  in = checked(in);
  out = checked(out);
  const detail::HardSwishConstants k = detail::hard_swish_constants(in, out);
  Lut table{};
  for (int q = int8_min; q <= int8_max; ++q)
    table[lut_index(static_cast<std::int8_t>(q))] = detail::hard_swish_code(q, in, out, k, clamp);
  return table;
}

}  // namespace qpipe
