// The portable depthwise convolution (TFLite DEPTHWISE_CONV_2D, depth multiplier 1, VALID, per
// channel), target-neutral.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe::ops {

// out[y][x][c] = requantize_c(bias[c] + sum_{ky,kx} w[ky][kx][c] * (in[y*S+ky][x*S+kx][c] - input_zero_point)),
// the zero-point term folded into bias[c] (see Convolution).
// The geometry alone: what every kernel of this op shares.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct DepthwiseGeometry : WindowGeometry<H, W, C, K, S> {
  using WindowGeometry<H, W, C, K, S>::out_height;
  using WindowGeometry<H, W, C, K, S>::out_width;
  static constexpr std::size_t output_size = out_height * out_width * C;
  static constexpr std::size_t macs = out_height * out_width * C * K * K;
  static constexpr std::size_t parameter_bytes = K * K * C + 4 * C + 8 * C + 12;
};

template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S, bool TwoSided>
struct DepthwiseConvolution : DepthwiseGeometry<H, W, C, K, S> {
  static constexpr bool two_sided = TwoSided;

  std::array<std::int8_t, K * K * C> weights;  // [ky][kx][c], TFLite's 1 x K x K x C
  std::array<std::int32_t, C> bias;            // with the input zero-point term folded in
  Requantization<C> requantization;
  std::array<AccumulatorRange, C> range;
};

}  // namespace qpipe::ops
