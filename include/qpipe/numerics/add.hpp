// TFLite's int8 ADD arithmetic: both operands rescaled onto a common grid with 20 bits of headroom,
// summed, and the sum requantized onto the output grid.
#pragma once

#include <cstdint>

#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"

namespace qpipe {

// TFLite's headroom: operands are shifted left by 20 bits before rescaling, so rounding them onto
// the common grid loses nothing that matters for an int8 result.
inline constexpr int add_left_shift = 20;

// One operand's rescale onto the common grid, TFLite's MultiplyByQuantizedMultiplier((x - zp) <<
// 20, M, -shift), in the form its small domain allows: v = x - zp has at most 9 bits, so with M =
// high 2^11 + low (low < 2^11) the doubling high multiply of v 2^20 by M is exactly
// floor((v M + 2^10) / 2^11) = v high + floor((v low + 2^10) / 2^11), two products inside int32
// instead of a 32 x 32 -> 64 bit one; then the rounding shift by `shift` >= 0 (ties away from
// zero: + 2^(shift-1), and - 1 for a negative value; nothing for shift 0). Equal to TFLite's for
// every int8 x (the residual tests compare all of them). low < 2^11 and shift <= 31 take 16 bits
// each: the Cortex-M0 loads them with one LDRH as it would a word, and an add's constants are 8
// bytes fewer; 2^(shift-1) is computed, not stored.
struct OperandRescale {
  std::int32_t offset;  // -zp
  std::int32_t high;
  std::uint16_t low;
  std::uint16_t shift;

  constexpr std::int32_t operator()(std::int8_t x) const {
    // 2^(shift-1), 0 for shift 0: a constant where the network is one (not stored: 4 bytes an
    // operand).
    const std::int32_t half = shift > 0 ? std::int32_t{1} << (shift - 1) : 0;
    const std::int32_t v = std::int32_t{x} + offset;
    const std::int32_t y = v * high + ((v * low + (1 << 10)) >> 11);
    return (y + half - (half != 0 && y < 0 ? 1 : 0)) >> shift;
  }
};

// TFLite's rescale constants for an operand of grid scale `scale` onto 2 * max_scale (the ratio is
// at most 1/2, so the multiplier's shift is 0 or below: no left shift).
consteval OperandRescale operand_rescale(std::int32_t zero_point, double scale, double twice_max) {
  const QuantizedMultiplier m = quantize_multiplier(scale / twice_max);
  const std::int32_t shift = -m.shift;
  return {-zero_point, m.multiplier >> 11, static_cast<std::uint16_t>(m.multiplier & ((1 << 11) - 1)),
          static_cast<std::uint16_t>(shift)};
}

// TFLite's arithmetic: out = requantize_out(rescale_a((a - zp_a) << 20) + rescale_b((b - zp_b) << 20)).
struct TfliteAdd {
  OperandRescale rescale_a, rescale_b;
  Requantizer requantizer;

  constexpr std::int8_t operator()(std::int8_t a, std::int8_t b) const {
    return requantizer(rescale_a(a) + rescale_b(b));
  }
};

}  // namespace qpipe
