// The portable depthwise convolution (TFLite DEPTHWISE_CONV_2D, per channel): KH x KW kernel,
// per-axis strides and dilations, VALID or SAME, depth multiplier M (output channel c M + j reads
// input channel c), target-neutral.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe::ops {

// The geometry alone: what every kernel of this op shares.
template <Window G, std::size_t M>
struct DepthwiseGeometry : WindowGeometry<G> {
  static constexpr std::size_t multiplier = M, output_channels = G.channels * M;
  static constexpr std::size_t output_size = G.out_height * G.out_width * output_channels;
  static constexpr std::size_t macs = output_size * G.kernel_height * G.kernel_width;
  static constexpr std::size_t parameter_bytes =
      G.kernel_height * G.kernel_width * output_channels + 4 * output_channels + 8 * output_channels + 12;
};

// out[y][x][c M + j] = requantize(bias[c M + j] + sum over the taps inside the image of
//                                 w[ky][kx][c M + j] * (in[...][c] - input_zero_point)), TFLite's arithmetic.
template <Window G, std::size_t M, bool TwoSided>
struct DepthwiseConvolution : DepthwiseGeometry<G, M> {
  static constexpr bool two_sided = TwoSided;
  static constexpr std::size_t out_channels = G.channels * M;

  std::array<std::int8_t, G.kernel_height * G.kernel_width * out_channels>
      weights;  // [ky][kx][c M + j], TFLite's 1 x KH x KW x C M
  std::array<std::int32_t, out_channels> bias;                                     // TFLite's int32 bias
  std::int32_t input_zero_point;
  Requantization<out_channels> requantization;
  std::array<AccumulatorRange, out_channels> range;
};

}  // namespace qpipe::ops
