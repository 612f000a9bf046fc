// What QConv2D, QConv2DPerChannel and the pointwise convolutions share: the integer kernel (TFLite
// CONV_2D, VALID: padding is a QPad2D in front) and the quantization of a weight block.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/detail/dot.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/detail/lane_pointwise.hpp"
#include "qpipe/detail/pointwise_pairs.hpp"
#include "qpipe/detail/window_lanes.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/weights.hpp"

namespace qpipe::detail {

// out[y][x][o] = requantize_o(bias[o] + sum_{ky,kx,i} w[o][ky][kx][i] * (in[y*S+ky][x*S+kx][i] - input_zero_point))
// computed as requantize_o(folded_bias[o] + sum w * in), folded_bias[o] = bias[o] - input_zero_point
// * sum(w[o]) (every output reads all of its weights, so the zero-point term is a constant per
// channel; the compiler adds it). Each kernel row is one contiguous dot product of K * InC terms.
// Channels: 1 for a per-tensor weight scale, OutC for per-channel.
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC, std::size_t Channels,
          bool TwoSided = false>
struct ConvKernel {
  static constexpr std::size_t out_height = valid_output(H, K, S);
  static constexpr std::size_t out_width = valid_output(W, K, S);
  static constexpr std::size_t input_size = H * W * InC;
  static constexpr std::size_t output_size = out_height * out_width * OutC;
  static constexpr std::size_t macs = out_height * out_width * OutC * K * K * InC;
  static constexpr std::size_t parameter_bytes = OutC * K * K * InC + 4 * OutC + 8 * Channels + 12;

  std::array<std::int8_t, OutC * K * K * InC> weights;  // [o][ky][kx][i], TFLite's OHWI
  std::array<std::int32_t, OutC> bias;                   // with the input zero-point term folded in
  ChannelRequantizer<Channels, TwoSided> requantizer;

  // Output channels in fours (K x K kernels, a call per four outputs) or pairs, so that each input
  // row is read once for several of them (dot_quad, dot_pair); an odd last channel alone.
  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    constexpr std::size_t row = K * InC;  // one kernel row: contiguous in the input and the weights
    for (std::size_t y = 0; y < out_height; ++y) {
      for (std::size_t x = 0; x < out_width; ++x) {
        const std::int8_t* window = in + (y * S * W + x * S) * InC;
        if constexpr (K > 1 && OutC % 4 == 0) {  // K x K kernels: four channels per pass (dot_quad)
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

// Quantizes a block whose weights Block::weight(p, o, ky, kx, i) reads; clamps folded in.
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC,
          WeightGranularity Granularity, class Block, class P, ClampLayer... Clamps>
consteval auto quantize_convolution(Grid in, const P& p) {
  const Grid out = checked(p.output);
  WeightStats<OutC> stats{};
  for (std::size_t o = 0; o < OutC; ++o)
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx)
        for (std::size_t i = 0; i < InC; ++i) stats.add(o, Block::weight(p, o, ky, kx, i));
  const std::array<double, OutC> weight_scale = weight_scales<typename P::weight_type>(stats, p.weight_scale, Granularity);

  constexpr std::size_t channels = Granularity == WeightGranularity::per_channel ? OutC : 1;
  // No activation folded in: the output may go below its zero point (see fitted_requantization.hpp).
  constexpr bool two_sided = sizeof...(Clamps) == 0;
  // The kernels with their own weight layouts (1 x 1: lane pairs, the packed inputs in registers
  // for few inputs, on the stack for many; K x K: lane pairs along the kernel rows, stored for
  // many output pixels, built on the stack for fewer), else the row loops.
  constexpr bool lanes = lane_packed_inputs<K, InC, channels, OutC>;
  constexpr bool pairs = !lanes && pair_packed_weights<K, InC, channels, OutC>;
  constexpr std::size_t out_pixels = valid_output(H, K, S) * valid_output(W, K, S);
  constexpr bool stored_windows = window_lane_weights<K, InC, W, channels, OutC, out_pixels>;
  constexpr bool windows = stored_windows || window_lane_built<K, InC, W, channels, OutC, out_pixels>;
  constexpr bool packed = lanes || pairs || windows;
  std::conditional_t<lanes, PointwiseLaneKernel<H, W, InC, S, OutC, two_sided>,
                     std::conditional_t<pairs, PointwisePairKernel<H, W, InC, S, OutC, two_sided>,
                                        std::conditional_t<windows, WindowLaneKernel<H, W, InC, K, S, OutC, two_sided, stored_windows>,
                                                           ConvKernel<H, W, InC, K, S, OutC, channels, two_sided>>>>
      k{};
  std::array<double, channels> accumulator_scale{};
  std::array<AccumulatorRange, channels> range{};
  for (std::size_t o = 0; o < OutC; ++o) {
    ChannelWeightSums sums{};
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx)
        for (std::size_t i = 0; i < InC; ++i) {
          const std::int8_t w = quantize_weight(Block::weight(p, o, ky, kx, i), weight_scale[o]);
          if constexpr (packed) {
            k.set_weight(o, (ky * K + kx) * InC + i, w);  // the 1 x 1 kernels: i
          } else {
            k.weights[((o * K + ky) * K + kx) * InC + i] = w;
          }
          sums.add(w);
        }
    const std::int32_t bias = folded_bias(quantize_bias(p.bias[o], in.scale * weight_scale[o]), in.zero_point, sums);
    if constexpr (packed) {
      k.set_bias(o, bias);
    } else {
      k.bias[o] = bias;
    }
    accumulator_scale[channels == 1 ? 0 : o] = in.scale * weight_scale[o];
    const AccumulatorRange r = accumulator_range(bias, sums.sum, sums.absolute_sum);
    AccumulatorRange& all = range[channels == 1 ? 0 : o];
    all = o == 0 || channels > 1 ? r : all.spanning(r);
  }
  const ChannelRequantizer<channels, two_sided> requantizer =
      channel_requantizer_for<two_sided>(accumulator_scale, out, clamp_of<Clamps...>(out), range);
  if constexpr (packed) {
    k.set_requantizer(requantizer, range);
  } else {
    k.requantizer = requantizer;
  }
  return Quantized<decltype(k)>{k, out};
}

template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC,
          class Block, class P, ClampLayer... Clamps, std::size_t N>
constexpr void convolution_reference(const P& p, double (&v)[N], FloatSlots at) {
  constexpr std::size_t OH = valid_output(H, K, S), OW = valid_output(W, K, S), taps = K * K * InC;
  // The real weights once, flat (calibration runs this in the compiler, where every operation
  // counts against its limit).
  double w[OutC][taps]{};
  for (std::size_t o = 0; o < OutC; ++o)
    for (std::size_t ky = 0, n = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx)
        for (std::size_t i = 0; i < InC; ++i) w[o][n++] = real_weight(Block::weight(p, o, ky, kx, i), p.weight_scale[o]);
  for (std::size_t y = 0; y < OH; ++y) {
    for (std::size_t x = 0; x < OW; ++x) {
      for (std::size_t o = 0; o < OutC; ++o) {
        double acc = p.bias[o];
        for (std::size_t ky = 0; ky < K; ++ky) {
          const std::size_t row = at.in + ((y * S + ky) * W + x * S) * InC, tap = ky * K * InC;
          for (std::size_t j = 0; j < K * InC; ++j) acc += w[o][tap + j] * v[row + j];
        }
        v[at.out + (y * OW + x) * OutC + o] = apply_clamps<Clamps...>(acc);
      }
    }
  }
}

// The layer side: Self names the layer in diagnostics and says which block it takes
// (Self::template block<InC, P>: the block expected for InC input channels, given P).
template <class Self, std::size_t K, std::size_t S, WeightGranularity Granularity>
struct ConvolutionLayer {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;
  static constexpr WeightGranularity granularity = Granularity;

  template <ShapeType In> static constexpr bool accepts = window_fits<In, K>;
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    return parameter_block_matches<At, Self, typename Self::template block<channels<In>, P>, P>();
  }
  template <ShapeType In, class P> using output_shape = window_output_shape<In, K, S, P::output_channels>;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P& p) {
    return quantize_convolution<height<In>, width<In>, channels<In>, K, S, P::output_channels, Granularity, Self, P, Clamps...>(in, p);
  }
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P& p, double (&values)[N], FloatSlots at) {
    convolution_reference<height<In>, width<In>, channels<In>, K, S, P::output_channels, Self, P, Clamps...>(p, values, at);
  }
};

}  // namespace qpipe::detail
