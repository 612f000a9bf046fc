// The portable depthwise convolution (TFLite DEPTHWISE_CONV_2D, depth multiplier 1, VALID, per
// channel), target-neutral.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/image.hpp"
#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"

namespace qpipe::ops {

// out[y][x][c] = requantize_c(bias[c] + sum_{ky,kx} w[ky][kx][c] * (in[y*S+ky][x*S+kx][c] - input_zero_point)),
// the zero-point term folded into bias[c] (see Convolution).
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S, bool TwoSided>
struct DepthwiseConvolution {
  static constexpr std::size_t height = H, width = W, channels = C, kernel_size = K, stride = S;
  static constexpr bool two_sided = TwoSided;
  static constexpr std::size_t out_height = detail::valid_output(H, K, S);
  static constexpr std::size_t out_width = detail::valid_output(W, K, S);
  static constexpr std::size_t input_size = H * W * C;
  static constexpr std::size_t output_size = out_height * out_width * C;
  static constexpr std::size_t macs = out_height * out_width * C * K * K;
  static constexpr std::size_t parameter_bytes = K * K * C + 4 * C + 8 * C + 12;

  std::array<std::int8_t, K * K * C> weights;  // [ky][kx][c], TFLite's 1 x K x K x C
  std::array<std::int32_t, C> bias;            // with the input zero-point term folded in
  Requantization<C> requantization;
  std::array<AccumulatorRange, C> range;
};

}  // namespace qpipe::ops
