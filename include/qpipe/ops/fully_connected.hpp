// The portable fully connected layer with one weight scale (TFLite FULLY_CONNECTED, the input
// read flat), target-neutral. Per-channel scales make it a 1 x 1 Convolution of the flat input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"

namespace qpipe::ops {

// out[u] = requantize(bias[u] + sum_i w[u][i] * (in[i] - input_zero_point)), TFLite's arithmetic;
// range: the union of the units' accumulator ranges.
template <std::size_t Inputs, std::size_t Units>
struct FullyConnectedGeometry {
  static constexpr std::size_t inputs = Inputs, units = Units;
  static constexpr std::size_t input_size = Inputs;
  static constexpr std::size_t output_size = Units;
  static constexpr std::size_t macs = Inputs * Units;
  static constexpr std::size_t parameter_bytes = Inputs * Units + 4 * Units;
};

template <std::size_t Inputs, std::size_t Units, bool TwoSided>
struct FullyConnected : FullyConnectedGeometry<Inputs, Units> {
  static constexpr bool two_sided = TwoSided;

  std::array<std::int8_t, Inputs * Units> weights;  // [unit][input]
  std::array<std::int32_t, Units> bias;             // TFLite's int32 bias
  std::int32_t input_zero_point;
  Requantization<1> requantization;
  std::array<AccumulatorRange, 1> range;
};

}  // namespace qpipe::ops
