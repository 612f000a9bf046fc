// What QConv2D, QConv2DPerChannel, the pointwise convolutions and QDensePerChannel share: the
// quantization of a weight block into an ops::Convolution (TFLite CONV_2D: any kernel, strides,
// dilations, VALID or SAME) and the float reference.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <cstdint>
#include <type_traits>

#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/weights.hpp"
#include "qpipe/ops/convolution.hpp"
#include "qpipe/options.hpp"

namespace qpipe::detail {

// Quantizes a block whose weights Block::weight(p, o, ky, kx, i) reads, for a window G, into an
// ops::Convolution; clamps folded in. The ranges are of the accumulators with the whole window
// inside the image; a SAME border reads fewer taps, whose accumulators lie inside them too.
template <ops::Window G, std::size_t OutC, WeightGranularity Granularity, class Block, class P, ClampLayer... Clamps>
consteval auto quantize_convolution(Grid in, const P& p) {
  const Grid out = checked(p.output);
  WeightStats<OutC> stats{};
  for (std::size_t o = 0; o < OutC; ++o)
    for (std::size_t ky = 0; ky < G.kernel_height; ++ky)
      for (std::size_t kx = 0; kx < G.kernel_width; ++kx)
        for (std::size_t i = 0; i < G.channels; ++i) stats.add(o, Block::weight(p, o, ky, kx, i));
  const std::array<double, OutC> weight_scale =
      weight_scales<typename P::weight_type>(stats, p.weight_scale, Granularity);

  constexpr std::size_t channels = Granularity == WeightGranularity::per_channel ? OutC : 1;
  // No activation folded in: the output may go below its zero point (see fitted_requantization.hpp).
  constexpr bool two_sided = sizeof...(Clamps) == 0;
  ops::Convolution<G, OutC, channels, two_sided> op{};
  op.input_zero_point = in.zero_point;
  std::array<double, channels> accumulator_scale{};
  for (std::size_t o = 0; o < OutC; ++o) {
    ChannelWeightSums sums{};
    for (std::size_t ky = 0; ky < G.kernel_height; ++ky)
      for (std::size_t kx = 0; kx < G.kernel_width; ++kx)
        for (std::size_t i = 0; i < G.channels; ++i) {
          const std::int8_t w = quantize_weight(Block::weight(p, o, ky, kx, i), weight_scale[o]);
          op.weights[((o * G.kernel_height + ky) * G.kernel_width + kx) * G.channels + i] = w;
          sums.add(w);
        }
    op.bias[o] = quantize_bias(p.bias[o], in.scale * weight_scale[o]);
    accumulator_scale[channels == 1 ? 0 : o] = in.scale * weight_scale[o];
    const AccumulatorRange r =
        accumulator_range(folded_bias(op.bias[o], in.zero_point, sums), sums.sum, sums.absolute_sum);
    AccumulatorRange& all = op.range[channels == 1 ? 0 : o];
    all = o == 0 || channels > 1 ? r : all.spanning(r);
  }
  op.requantization = requantization_for(accumulator_scale, out, clamp_of<Clamps...>(out));
  return Quantized<decltype(op)>{op, out};
}

// The float reference of the same window: taps on padding read real 0 and add nothing.
template <ops::Window G, std::size_t OutC, class Block, class P, ClampLayer... Clamps, std::size_t N>
constexpr void convolution_reference(const P& p, double (&v)[N], FloatSlots at) {
  constexpr std::size_t taps = G.kernel_height * G.kernel_width * G.channels;
  // The real weights once, flat (calibration runs this in the compiler, where every operation
  // counts against its limit).
  double w[OutC][taps]{};
  for (std::size_t o = 0; o < OutC; ++o)
    for (std::size_t ky = 0, n = 0; ky < G.kernel_height; ++ky)
      for (std::size_t kx = 0; kx < G.kernel_width; ++kx)
        for (std::size_t i = 0; i < G.channels; ++i)
          w[o][n++] = real_weight(Block::weight(p, o, ky, kx, i), p.weight_scale[o]);
  for (std::size_t y = 0; y < G.out_height; ++y) {
    for (std::size_t x = 0; x < G.out_width; ++x) {
      for (std::size_t o = 0; o < OutC; ++o) {
        double acc = p.bias[o];
        for (std::size_t ky = 0; ky < G.kernel_height; ++ky) {
          const std::size_t row = y * G.stride_height + ky * G.dilation_height;  // in the padded image
          if (row < G.pad_top || row - G.pad_top >= G.height) continue;
          for (std::size_t kx = 0; kx < G.kernel_width; ++kx) {
            const std::size_t column = x * G.stride_width + kx * G.dilation_width;
            if (column < G.pad_left || column - G.pad_left >= G.width) continue;
            const std::size_t in = at.in + ((row - G.pad_top) * G.width + (column - G.pad_left)) * G.channels;
            const std::size_t tap = (ky * G.kernel_width + kx) * G.channels;
            for (std::size_t i = 0; i < G.channels; ++i) acc += w[o][tap + i] * v[in + i];
          }
        }
        v[at.out + (y * G.out_width + x) * OutC + o] = apply_clamps<Clamps...>(acc);
      }
    }
  }
}

// The layer side: Self names the layer in diagnostics and says which block it takes
// (Self::template block<InC, P>: the block expected for InC input channels, given P); O its
// window options.
template <class Self, WindowOptions O, WeightGranularity Granularity>
struct ConvolutionLayer {
  static constexpr WeightGranularity weight_granularity =
      Granularity;  // what the diagnostics check given scales against
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;
  static constexpr WeightGranularity granularity = Granularity;
  static constexpr WindowOptions options = O;
  static constexpr bool options_ok = O.well_formed && !O.has_multiplier;
  static constexpr std::string_view options_rule =
      "a convolution takes a kernel (an integer, or kernel(h, w)), then optionally a stride (an integer, or "
      "stride(h, w)), dilation(d) or dilation(h, w), same or valid, each at most once; multiplier(m) only on "
      "QDepthwiseConv2D";

  template <ShapeType In> static constexpr bool accepts = is_image<In> && O.fits(height<In>, width<In>);
  template <ShapeType In>
  static constexpr void explain_refusal(Sentence& s) {
    O.template explain_refusal<In>(s);
  }
  template <ShapeType In> static constexpr ops::Window window = O.window_over(height<In>, width<In>, channels<In>);
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    return parameter_block_matches<At, Self, typename Self::template block<channels<In>, P>, P>();
  }
  template <ShapeType In, class P> using output_shape =
      Shape<window<In>.out_height, window<In>.out_width, P::output_channels>;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P& p) {
    return quantize_convolution<window<In>, P::output_channels, Granularity, Self, P, Clamps...>(in, p);
  }
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P& p, double (&values)[N], FloatSlots at) {
    convolution_reference<window<In>, P::output_channels, Self, P, Clamps...>(p, values, at);
  }
};

}  // namespace qpipe::detail
