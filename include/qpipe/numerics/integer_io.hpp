// Real values in and out of a network without float at run time, for targets without an FPU (the
// Cortex-M0): a real value is an integer count of 1/Unit (Unit 1000: thousandths), and the
// compiler turns the grid's scale into a fixed-point multiplier.
//
//   code_of<input_grid, 1000>(1234)     the input code of 1.234
//   value_of<output_grid, 1000>(code)   an output code in thousandths
//
// Both round to nearest with ties away from zero, as quantize() does; the multiplier's relative
// precision is 2^-31, so a value within that of a tie may round the other way.
#pragma once

#include <cstdint>

#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"

namespace qpipe {

namespace detail {

// x / 2^s, ties away from zero (0 < s < 63).
constexpr std::int64_t rounding_shift_right(std::int64_t x, int s) {
  const std::int64_t half = std::int64_t{1} << (s - 1);
  return x >= 0 ? (x + half) >> s : -((-x + half) >> s);
}

// v * real, rounded, for a multiplier m (multiplier * 2^(shift - 31)) and |v| < 2^31; saturated
// to +-2^40 where the result would be larger (the callers clamp it further).
constexpr std::int64_t scale_rounded(std::int64_t v, QuantizedMultiplier m) {
  const std::int64_t product = v * m.multiplier;  // |product| < 2^62
  const int right = 31 - m.shift;
  if (right >= 63) return 0;
  if (right > 0) return rounding_shift_right(product, right);
  constexpr std::int64_t limit = std::int64_t{1} << 40;
  if (product != 0 && (product >= (limit >> -right) || product <= -(limit >> -right)))
    return product > 0 ? limit : -limit;
  return product * (std::int64_t{1} << -right);
}

// Any positive finite real as multiplier * 2^(shift - 31): unlike a requantizer's, the shift may be
// anything (scale_rounded takes it); a real below 2^-62 gives 0 (every value rounds to 0).
constexpr QuantizedMultiplier real_multiplier(double real) {
  const multiplier_result r = try_quantize_multiplier(real, 1 << 20);
  if (r.status == multiplier_status::not_positive || r.status == multiplier_status::not_finite)
    compile_error::grid_scale_must_be_positive_and_finite(real);
  if (r.status == multiplier_status::too_small) return {0, 0};
  return r.value;
}

}  // namespace detail

// The code of the real value value / Unit on grid G: round(value / (Unit * scale)) + zero point,
// clamped to int8.
template <Grid G, std::int32_t Unit = 1000>
constexpr std::int8_t code_of(std::int32_t value) {
  constexpr QuantizedMultiplier m = detail::real_multiplier(1.0 / (static_cast<double>(Unit) * G.scale));
  const std::int64_t q = detail::scale_rounded(value, m) + G.zero_point;
  return static_cast<std::int8_t>(q < int8_min ? int8_min : (q > int8_max ? int8_max : q));
}

// The real value of code q on grid G in units of 1/Unit: round((q - zero point) * scale * Unit),
// saturated to int32.
template <Grid G, std::int32_t Unit = 1000>
constexpr std::int32_t value_of(std::int8_t q) {
  constexpr QuantizedMultiplier m = detail::real_multiplier(static_cast<double>(Unit) * G.scale);
  const std::int64_t v = detail::scale_rounded(std::int32_t{q} - G.zero_point, m);
  constexpr std::int64_t lo = -2147483647 - 1, hi = 2147483647;
  return static_cast<std::int32_t>(v < lo ? lo : (v > hi ? hi : v));
}

}  // namespace qpipe
