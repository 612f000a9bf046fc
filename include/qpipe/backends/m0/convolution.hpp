// The Cortex-M0's convolutions: which kernel runs an ops::Convolution, and the general one.
// The dispatcher (lower) takes the specialised kernels where their geometry fits -- lane pairs for
// 1 x 1 layers with few inputs (pointwise_lanes.hpp), two channels' lane pairs for 1 x 1 layers
// with many (pointwise_pairs.hpp), the same channel loop over a K x K window's packed columns for
// K x K layers with output channels in twos, SAME and strides included (window_pairs.hpp), lane
// pairs along the kernel rows for the few-channel stems that expand their input in place
// (window_lanes.hpp) -- and ConvKernel, the row loops, for every other geometry; SAME padding and
// per-axis strides there through a row band (row_band.hpp), one output row at a time.
// Each packs the op's weights into its own layout and fits the op's requantization at compile
// time; all compute the op's bytes exactly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/backends/m0/byte_pairs.hpp"
#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/pointwise_lanes.hpp"
#include "qpipe/backends/m0/pointwise_pairs.hpp"
#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/backends/m0/row_band.hpp"
#include "qpipe/backends/m0/window_lanes.hpp"
#include "qpipe/backends/m0/window_pairs.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/convolution.hpp"
#include "qpipe/reference/backend.hpp"

namespace qpipe::m0 {

// The general M0 convolution (any K x KW kernel, stride S, channel count): the op's weights and
// folded biases as they are, the fitted requantizer; each kernel row is one contiguous dot product
// of KW * InC terms. K is the kernel's height (KW = K: square).
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC,
          std::size_t Channels, bool TwoSided = false, std::size_t KW = K>
struct ConvKernel : ops::ConvolutionGeometry<ops::valid_window(H, W, InC, K, KW, S, S), OutC, Channels> {
  using geometry = ops::ConvolutionGeometry<ops::valid_window(H, W, InC, K, KW, S, S), OutC, Channels>;
  using geometry::out_height;
  using geometry::out_width;

  std::array<std::int8_t, OutC * K * KW * InC> weights;  // [o][ky][kx][i], TFLite's OHWI
  std::array<std::int32_t, OutC> bias;                    // with the input zero-point term folded in
  ChannelRequantizer<Channels, TwoSided> requantizer;

  // The loops below run the output rows in order, and output row y reads input rows y * S on (the
  // arena planner relies on it: detail/read_front.hpp).
  static constexpr std::array<detail::ReadFront, 2> read_fronts{
      detail::window_rows(out_height, out_width* OutC, H, W* InC, S, 0)};

  // Output channels in fours (kernels of more than one tap, a call per four outputs) or pairs, so
  // that each input row is read once for several of them (dot_quad, dot_pair); an odd last
  // channel alone.
  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    constexpr std::size_t row = KW * InC;  // one kernel row: contiguous in the input and the weights
    for (std::size_t y = 0; y < out_height; ++y) {
      for (std::size_t x = 0; x < out_width; ++x) {
        const std::int8_t* window = in + (y * S * W + x * S) * InC;
        if constexpr (K * KW > 1 && OutC % 4 == 0) {  // four channels per pass (dot_quad)
          for (std::size_t o = 0; o < OutC; o += 4) {
            std::int32_t acc[4] = {bias[o], bias[o + 1], bias[o + 2], bias[o + 3]};
            dot_quad<row, K, W * InC, K * row>(&weights[o * K * row], window, acc);
            for (std::size_t j = 0; j < 4; ++j) *out++ = requantizer(acc[j], o + j);
          }
          continue;
        }
        std::size_t o = 0;
        for (; o + 1 < OutC; o += 2) {
          std::int32_t acc0 = bias[o], acc1 = bias[o + 1];
          const std::int8_t* w = &weights[o * K * row];
          dot_pair<row, K, W * InC>(w, w + K * row, window, acc0, acc1);
          *out++ = requantizer(acc0, o);
          *out++ = requantizer(acc1, o + 1);
        }
        if constexpr (OutC % 2 == 1) {
          std::int32_t acc = bias[o];
          const std::int8_t* w = &weights[o * K * row];
          for (std::size_t ky = 0; ky < K; ++ky) acc += dot<row>(w + ky * row, window + ky * W * InC);
          *out++ = requantizer(acc, o);
        }
      }
    }
  }
};

// The op's biases with the input zero point's term folded in, bias[o] - zp sum(w[o]): every
// output of a window inside the image reads all of its weights, so the kernels multiply raw
// input codes and the compiler adds the constant. (The op checked that these fit int32.)
template <class Op>
consteval std::array<std::int32_t, Op::output_channels> folded_biases(const Op& op) {
  std::array<std::int32_t, Op::output_channels> folded{};
  for (std::size_t o = 0; o < Op::output_channels; ++o) {
    std::int64_t sum = 0;
    for (std::size_t n = 0; n < Op::taps; ++n) sum += op.weights[o * Op::taps + n];
    folded[o] = static_cast<std::int32_t>(op.bias[o] - std::int64_t{op.input_zero_point} * sum);
  }
  return folded;
}

// A kernel with its own weight layout, from the op: the weights through set_weight (n: the
// weight's place in its channel's K x K x InC window), the folded biases and the fitted
// requantizer.
template <class Kernel, class Op, class Requantizer>
consteval Kernel packed_kernel(const Op& op, const Requantizer& requantizer) {
  const auto bias = folded_biases(op);
  Kernel k{};
  for (std::size_t o = 0; o < Op::output_channels; ++o) {
    for (std::size_t n = 0; n < Op::taps; ++n) k.set_weight(o, n, op.weights[o * Op::taps + n]);
    k.set_bias(o, bias[o]);
  }
  k.set_requantizer(requantizer, op.range);
  return k;
}

// The kernel of a window inside the image with one stride and no dilation (a K x KW kernel): the
// first specialised kernel whose reach takes its geometry, else the row loops. LayerPixels: the
// output pixels the layer's weights serve (stored lane pairs pay from window_lane_min_pixels on),
// over all of its calls when a row band calls the kernel once per output row.
// ByteWeights (ByteWeightsBackend): no kernel that stores lane pairs (the 1 x 1 pair kernel's byte
// form; the lane kernel's stems go to the K x K one's, lower_convolution).
template <std::size_t LayerPixels, bool ByteWeights = false, ops::Window G, std::size_t OutC, std::size_t Channels,
          bool TwoSided>
consteval auto lower_inside(const ops::Convolution<G, OutC, Channels, TwoSided>& op) {
  static_assert(G.inside() && G.stride_height == G.stride_width && G.dilation_height == 1 && G.dilation_width == 1);
  constexpr std::size_t H = G.height, W = G.width, InC = G.channels, K = G.kernel_height, KW = G.kernel_width,
                        S = G.stride_height;
  const ChannelRequantizer<Channels, TwoSided> requantizer = fitted_requantizer<TwoSided>(op.requantization, op.range);
  if constexpr (K == 1 && KW == 1 && lane_packed_inputs<K, InC, Channels, OutC>) {
    return packed_kernel<PointwiseLaneKernel<H, W, InC, S, OutC, TwoSided>>(op, requantizer);
  } else if constexpr (K == 1 && KW == 1 && pair_packed_weights<K, InC, Channels, OutC> && ByteWeights) {
    return packed_kernel<PointwiseBytePairKernel<H, W, InC, S, OutC, TwoSided>>(op, requantizer);
  } else if constexpr (K == 1 && KW == 1 && pair_packed_weights<K, InC, Channels, OutC>) {
    return packed_kernel<PointwisePairKernel<H, W, InC, S, OutC, TwoSided>>(op, requantizer);
  } else if constexpr (window_lane_weights<K, InC, W, Channels, OutC, LayerPixels, KW> && !ByteWeights) {
    return packed_kernel<WindowLaneKernel<H, W, InC, K, S, OutC, TwoSided, KW>>(op, requantizer);
  } else {
    return ConvKernel<H, W, InC, K, S, OutC, Channels, TwoSided, KW>{{}, op.weights, folded_biases(op), requantizer};
  }
}

// The stems with few output channels that the lane kernel with stored pairs can run on their input
// expanded in place (WindowLaneKernel::expands_input: the DSL examples' stems after a QPad2D, 7 x 7
// and 3 x 3 at stride 2 to 8 channels): the pair kernel's columns cost more there, its band packed
// for only four channel pairs (ResNet-18's stem 3.61 -> 3.76 cycles a MAC, MobileNetV2's 4.47 ->
// 4.77).
template <ops::Window G, std::size_t OutC, std::size_t Channels>
inline constexpr bool window_lane_stem = [] {
  if constexpr (G.inside() && G.stride_height == G.stride_width && G.dilation_height == 1 && G.dilation_width == 1 &&
                OutC <= 8) {
    constexpr std::size_t K = G.kernel_height, KW = G.kernel_width, InC = G.channels, W = G.width;
    if constexpr (window_lane_weights<K, InC, W, Channels, OutC, G.out_height * G.out_width, KW>) {
      return WindowLaneKernel<G.height, W, InC, K, G.stride_height, OutC, false, KW>::expands_input;
    }
  }
  return false;
}();

// The kernel for an op: the K x K pair kernel (window_pairs.hpp) where its reach takes the
// window, but for the stems above; another window inside the image with one stride takes
// lower_inside's kernel; SAME padding or a stride per axis, a row band (row_band.hpp) around the
// kernel of one output row; a dilated window runs the reference loop nest.
// ByteWeights: the kernels that keep the weights as bytes (lower_byte_weights).
template <bool ByteWeights, ops::Window G, std::size_t OutC, std::size_t Channels, bool TwoSided>
consteval auto lower_convolution(const ops::Convolution<G, OutC, Channels, TwoSided>& op) {
  if constexpr (G.dilation_height != 1 || G.dilation_width != 1) {
    return reference_ops::Kernel<ops::Convolution<G, OutC, Channels, TwoSided>>{op};
  } else if constexpr (window_pair_weights<G, Channels, OutC> && !window_lane_stem<G, OutC, Channels> && !ByteWeights) {
    auto kernel = packed_kernel<WindowPairKernel<G, OutC, TwoSided>>(
        op, fitted_requantizer<TwoSided>(op.requantization, op.range));
    kernel.input_zero_point = static_cast<std::int8_t>(op.input_zero_point);
    return kernel;
  } else if constexpr (window_byte_pair_weights<G, Channels, OutC> && ByteWeights) {
    auto kernel = packed_kernel<WindowBytePairKernel<G, OutC, TwoSided>>(
        op, fitted_requantizer<TwoSided>(op.requantization, op.range));
    kernel.input_zero_point = static_cast<std::int8_t>(op.input_zero_point);
    return kernel;
  } else if constexpr (G.inside() && G.stride_height == G.stride_width) {
    return lower_inside<G.out_height * G.out_width, ByteWeights>(op);
  } else {
    constexpr ops::Window row_window = RowBand<G>::row_window;
    const ops::Convolution<row_window, OutC, Channels, TwoSided> row_op{
        {}, op.weights, op.bias, op.input_zero_point, op.requantization, op.range};
    const auto row_kernel = lower_inside<G.out_height * G.out_width, ByteWeights>(row_op);
    return RowBandKernel<G, ops::ConvolutionGeometry<G, OutC, Channels>, std::remove_const_t<decltype(row_kernel)>>{
        {}, row_kernel, static_cast<std::int8_t>(op.input_zero_point)};
  }
}
template <ops::Window G, std::size_t OutC, std::size_t Channels, bool TwoSided>
consteval auto lower(const ops::Convolution<G, OutC, Channels, TwoSided>& op) {
  return lower_convolution<false>(op);
}
// The same with the weights kept as bytes in flash (ByteWeightsBackend): the pair kernels' byte
// forms (byte_pairs.hpp) where their reach takes the layer, the few-channel stems
// (window_lane_stem) included; a K x K layer whose channel pair's words exceed
// byte_pair_max_pair_bytes, the row loops (bytes).
template <ops::Window G, std::size_t OutC, std::size_t Channels, bool TwoSided>
consteval auto lower_byte_weights(const ops::Convolution<G, OutC, Channels, TwoSided>& op) {
  return lower_convolution<true>(op);
}

}  // namespace qpipe::m0
