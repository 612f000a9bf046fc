// The portable convolution: what QConv2D, QConv2DPerChannel, the 1 x 1 layers and QDensePerChannel
// quantize into, target-neutral. TFLite CONV_2D: KH x KW kernel, per-axis strides and dilations,
// VALID or SAME padding (computed in the op: no padded copy of the input).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe::ops {

// The geometry alone: what every kernel of this op shares, whatever its data's layout. Channels:
// requantizer channels, 1 for a per-tensor weight scale, OutC per channel.
template <Window G, std::size_t OutC, std::size_t Channels>
struct ConvolutionGeometry : WindowGeometry<G> {
  static constexpr std::size_t input_channels = G.channels, output_channels = OutC, requantized_channels = Channels;
  static constexpr std::size_t taps = G.kernel_height * G.kernel_width * G.channels;  // weights per output channel
  static constexpr std::size_t output_size = G.out_height * G.out_width * OutC;
  static constexpr std::size_t macs = G.out_height * G.out_width * OutC * taps;
  static constexpr std::size_t parameter_bytes = OutC * taps + 4 * OutC + 8 * Channels + 12;
};

// out[y][x][o] = requantize_o(bias[o] + sum over the taps inside the image of
//                             w[o][ky][kx][i] * (in[y*SH + ky*DH - pad_top][x*SW + kx*DW - pad_left][i] - input_zero_point))
// TFLite's arithmetic; taps on padding add nothing (they read real 0). TwoSided: no activation
// folded in, so an output may fall below the output zero point. range: what each requantizer
// channel's accumulators can be, over every input and output position.
template <Window G, std::size_t OutC, std::size_t Channels, bool TwoSided>
struct Convolution : ConvolutionGeometry<G, OutC, Channels> {
  static constexpr bool two_sided = TwoSided;

  std::array<std::int8_t, OutC * ConvolutionGeometry<G, OutC, Channels>::taps>
      weights;  // [o][ky][kx][i], TFLite's OHWI
  std::array<std::int32_t, OutC> bias;  // TFLite's int32 bias
  std::int32_t input_zero_point;
  Requantization<Channels> requantization;
  std::array<AccumulatorRange, Channels> range;
};

}  // namespace qpipe::ops
