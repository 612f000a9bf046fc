// Requantization as TFLite defines it: the compiler turns each output channel's real multiplier
// (accumulator scale / output scale) into a Q31 multiplier and shift, and an accumulator becomes
// clamp(zero_point + MultiplyByQuantizedMultiplier(acc, multiplier, shift)). This is what the
// portable ops hold and the reference backend runs; a backend may run an equal form of it (the
// Cortex-M0's fitted requantization, backends/m0/requantizer.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"

namespace qpipe {

// One channel's multiplier with its shift split as requantize_split takes it (8 bytes).
struct SplitMultiplier {
  std::int32_t multiplier;
  std::uint8_t left_shift;
  std::uint8_t right_shift;
  friend constexpr bool operator==(const SplitMultiplier&, const SplitMultiplier&) = default;
};

consteval SplitMultiplier split(QuantizedMultiplier m) {
  const ShiftSplit s = split_shift(m.shift);
  return {m.multiplier, static_cast<std::uint8_t>(s.left), static_cast<std::uint8_t>(s.right)};
}

// The output grid's zero point and the clamp range (the activation folded in).
struct OutputClamp {
  std::int32_t zero_point;
  std::int32_t qmin;
  std::int32_t qmax;
  friend constexpr bool operator==(const OutputClamp&, const OutputClamp&) = default;
};

// A layer's requantization with one multiplier per output channel (Channels == 1: one for the
// whole tensor), TFLite's arithmetic.
template <std::size_t Channels>
struct Requantization {
  std::array<SplitMultiplier, Channels> multiplier;
  OutputClamp clamp;

  constexpr std::int8_t operator()(std::int32_t acc, std::size_t channel) const {
    const SplitMultiplier& m = multiplier[Channels == 1 ? 0 : channel];
    return requantize_split(acc, m.multiplier, m.left_shift, m.right_shift, clamp.zero_point, clamp.qmin, clamp.qmax);
  }
};

template <std::size_t Channels>
consteval Requantization<Channels> requantization_for(const std::array<double, Channels>& accumulator_scale, Grid out,
                                                      ClampRange clamp) {
  Requantization<Channels> r{{}, {out.zero_point, clamp.qmin, clamp.qmax}};
  for (std::size_t c = 0; c < Channels; ++c)
    r.multiplier[c] = split(quantize_multiplier(accumulator_scale[c] / out.scale));
  return r;
}

consteval Requantizer requantizer_for(double accumulator_scale, Grid out, ClampRange clamp) {
  const QuantizedMultiplier m = quantize_multiplier(accumulator_scale / out.scale);
  return {m.multiplier, m.shift, out.zero_point, clamp.qmin, clamp.qmax};
}

// TFLite Micro's MEAN (QuantizedMeanOrSum): the multiplier input_scale / output_scale, then 1 / count
// folded into it in integers: s = min(floor(log2 count), 32, 31 + shift) (the bounds keep the
// product in int64 and the final shift at or above -31), multiplier (q << s) / count truncated,
// shift lowered by s. The result need not be normalised; MultiplyByQuantizedMultiplier takes it.
consteval Requantizer mean_requantizer(Grid in, Grid out, std::size_t count, ClampRange clamp) {
  const QuantizedMultiplier m = quantize_multiplier(in.scale / out.scale);
  int s = 0;
  while ((std::size_t{2} << s) <= count) ++s;
  s = s < 32 ? s : 32;
  s = s < 31 + m.shift ? s : 31 + m.shift;
  const auto folded = (static_cast<std::int64_t>(m.multiplier) << s) / static_cast<std::int64_t>(count);
  return {static_cast<std::int32_t>(folded), m.shift - s, out.zero_point, clamp.qmin, clamp.qmax};
}

}  // namespace qpipe
