// What QConv2D, QConv2DPerChannel, the pointwise convolutions and QDensePerChannel share: the
// quantization of a weight block into an ops::Convolution (TFLite CONV_2D, VALID: padding is a
// QPad2D in front) and the float reference.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/weights.hpp"
#include "qpipe/ops/convolution.hpp"

namespace qpipe::detail {

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
  ops::Convolution<H, W, InC, K, S, OutC, channels, two_sided> op{};
  std::array<double, channels> accumulator_scale{};
  for (std::size_t o = 0; o < OutC; ++o) {
    ChannelWeightSums sums{};
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx)
        for (std::size_t i = 0; i < InC; ++i) {
          const std::int8_t w = quantize_weight(Block::weight(p, o, ky, kx, i), weight_scale[o]);
          op.weights[((o * K + ky) * K + kx) * InC + i] = w;
          sums.add(w);
        }
    op.bias[o] = folded_bias(quantize_bias(p.bias[o], in.scale * weight_scale[o]), in.zero_point, sums);
    accumulator_scale[channels == 1 ? 0 : o] = in.scale * weight_scale[o];
    const AccumulatorRange r = accumulator_range(op.bias[o], sums.sum, sums.absolute_sum);
    AccumulatorRange& all = op.range[channels == 1 ? 0 : o];
    all = o == 0 || channels > 1 ? r : all.spanning(r);
  }
  op.requantization = requantization_for(accumulator_scale, out, clamp_of<Clamps...>(out));
  return Quantized<decltype(op)>{op, out};
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
