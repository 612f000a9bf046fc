// Building the requantizers of a layer: the compiler turns each output channel's real multiplier
// (accumulator scale / output scale) into a Q31 multiplier and shift.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"
#include "qpipe/numerics/requantize_m0.hpp"

namespace qpipe {

// One channel's multiplier with its shift split as requantize_split takes it (8 bytes).
struct SplitMultiplier {
  std::int32_t multiplier;
  std::uint8_t left_shift;
  std::uint8_t right_shift;
};

consteval SplitMultiplier split(QuantizedMultiplier m) {
  return {m.multiplier, static_cast<std::uint8_t>(m.shift > 0 ? m.shift : 0), static_cast<std::uint8_t>(m.shift > 0 ? 0 : -m.shift)};
}

// The output grid's zero point and the clamp range, in the layout the M0 routine reads.
struct OutputClamp {
  std::int32_t zero_point;
  std::int32_t qmin;
  std::int32_t qmax;
};

// Requantization with one multiplier per output channel (Channels == 1: one for the tensor).
template <std::size_t Channels>
struct ChannelRequantizer {
  std::array<SplitMultiplier, Channels> multiplier;
  OutputClamp clamp;

  constexpr std::int8_t operator()(std::int32_t acc, std::size_t channel) const {
    const SplitMultiplier& m = multiplier[Channels == 1 ? 0 : channel];
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated()) return detail::requantize_split_m0(acc, m, clamp);
#endif
    return requantize_split(acc, m.multiplier, m.left_shift, m.right_shift, clamp.zero_point, clamp.qmin, clamp.qmax);
  }
};

consteval Requantizer requantizer_for(double accumulator_scale, Grid out, ClampRange clamp) {
  const QuantizedMultiplier m = quantize_multiplier(accumulator_scale / out.scale);
  return {m.multiplier, m.shift, out.zero_point, clamp.qmin, clamp.qmax};
}

template <std::size_t Channels>
consteval ChannelRequantizer<Channels> channel_requantizer_for(const std::array<double, Channels>& accumulator_scale,
                                                               Grid out, ClampRange clamp) {
  ChannelRequantizer<Channels> r{{}, {out.zero_point, clamp.qmin, clamp.qmax}};
  for (std::size_t c = 0; c < Channels; ++c) r.multiplier[c] = split(quantize_multiplier(accumulator_scale[c] / out.scale));
  return r;
}

}  // namespace qpipe
