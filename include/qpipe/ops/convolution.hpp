// The portable convolution: what QConv2D, QConv2DPerChannel, the 1 x 1 layers and QDensePerChannel
// quantize into, target-neutral. TFLite CONV_2D, VALID (padding is an op of its own).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/image.hpp"
#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"

namespace qpipe::ops {

// out[y][x][o] = requantize_o(bias[o] + sum_{ky,kx,i} w[o][ky][kx][i] * (in[y*S+ky][x*S+kx][i] - input_zero_point))
// on an H x W x InC image, K x K kernel, stride S. The compiler folds the zero-point term into the
// bias (every output reads all of its weights, so it is a constant per channel): bias[o] here is
// TFLite's bias - input_zero_point * sum(w[o]), and an accumulator is bias[o] + sum w * in.
// Channels: requantizer channels, 1 for a per-tensor weight scale, OutC per channel. TwoSided:
// no activation folded in, so an output may fall below the output zero point.
// The geometry alone: what every kernel of this op shares, whatever its data's layout.
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC, std::size_t Channels>
struct ConvolutionGeometry {
  static constexpr std::size_t height = H, width = W, input_channels = InC, kernel_size = K, stride = S;
  static constexpr std::size_t output_channels = OutC, channels = Channels;
  static constexpr std::size_t out_height = detail::valid_output(H, K, S);
  static constexpr std::size_t out_width = detail::valid_output(W, K, S);
  static constexpr std::size_t input_size = H * W * InC;
  static constexpr std::size_t output_size = out_height * out_width * OutC;
  static constexpr std::size_t macs = out_height * out_width * OutC * K * K * InC;
  static constexpr std::size_t parameter_bytes = OutC * K * K * InC + 4 * OutC + 8 * Channels + 12;
};

template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC, std::size_t Channels,
          bool TwoSided>
struct Convolution : ConvolutionGeometry<H, W, InC, K, S, OutC, Channels> {
  static constexpr bool two_sided = TwoSided;

  std::array<std::int8_t, OutC * K * K * InC> weights;  // [o][ky][kx][i], TFLite's OHWI
  std::array<std::int32_t, OutC> bias;                   // with the input zero-point term folded in
  Requantization<Channels> requantization;
  std::array<AccumulatorRange, Channels> range;  // what each requantizer channel can be given
};

}  // namespace qpipe::ops
