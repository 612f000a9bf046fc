// QDepthwiseConv2D<Options...>: one filter per input channel and depth multiplier, TFLite
// DEPTHWISE_CONV_2D semantics, always with per-channel weight scales. The options name the window
// (qpipe/options.hpp): QDepthwiseConv2D<3, 2> is 3 x 3 with stride 2, VALID;
// QDepthwiseConv2D<kernel(3, 5), same, multiplier(2)> gives each input channel two output channels.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/convolution.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/layers/conv2d.hpp"
#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/weights.hpp"
#include "qpipe/ops/depthwise.hpp"
#include "qpipe/options.hpp"

namespace qpipe {

// Weights [ky][kx][c M + j] (output channel c M + j of input channel c), TFLite's 1 x KH x KW x C M
// layout (from torch's C M x 1 x KH x KW, permute(1, 2, 3, 0)). Kernel: an integer K or
// kernel(h, w). weight_scale: one per output channel; zero to derive, required for int8.
template <auto Kernel, std::size_t C, WeightElement Weight = double, std::size_t Multiplier = 1>
  requires(detail::BlockKernel<Kernel> && Multiplier > 0)
struct DepthwiseConv2DParams {
  static constexpr std::size_t kernel_height = detail::kernel_dims<Kernel>().height;
  static constexpr std::size_t kernel_width = detail::kernel_dims<Kernel>().width;
  static constexpr std::size_t channels = C;
  static constexpr std::size_t multiplier = Multiplier;
  static constexpr std::size_t output_channels = C * Multiplier;
  using weight_type = Weight;
  Weight weights[kernel_height][kernel_width][C * Multiplier];
  double bias[C * Multiplier];
  Grid output;
  double weight_scale[C * Multiplier]{};
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

template <WindowOptions O, std::size_t C, class P> struct expected_depthwise_block {
  using type = DepthwiseConv2DParams<O.kernel, C, double, O.multiplier>;
};
template <WindowOptions O, std::size_t C, auto K, std::size_t C2, class W, std::size_t M>
struct expected_depthwise_block<O, C, DepthwiseConv2DParams<K, C2, W, M>> {
  using type = DepthwiseConv2DParams<expected_kernel<O, K>(), C, W, O.multiplier>;
};

}  // namespace detail

template <auto... Options>
struct QDepthwiseConv2D {
  static constexpr std::string_view kind = "QDepthwiseConv2D";
  static constexpr WeightGranularity weight_granularity = WeightGranularity::per_channel;
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;
  static constexpr detail::WindowOptions options = detail::window_options<false, Options...>();
  static constexpr std::size_t M = options.multiplier;
  static constexpr bool options_ok = options.well_formed;
  static constexpr std::string_view options_rule =
      "QDepthwiseConv2D takes a kernel (an integer, or kernel(h, w)), then optionally a stride (an integer, or "
      "stride(h, w)), dilation(d) or dilation(h, w), same or valid, multiplier(m), each at most once";

  template <ShapeType In> static constexpr bool accepts =
      detail::is_image<In> && options.fits(detail::height<In>, detail::width<In>);
  template <ShapeType In>
  static constexpr void explain_refusal(Sentence& s) {
    options.template explain_refusal<In>(s);
  }
  template <ShapeType In>
  static constexpr ops::Window window =
      options.window_over(detail::height<In>, detail::width<In>, detail::channels<In>);
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    using expected = typename detail::expected_depthwise_block<options, detail::channels<In>, P>::type;
    return detail::parameter_block_matches<At, QDepthwiseConv2D, expected, P>();
  }
  template <ShapeType In, class P>
  using output_shape = Shape<window<In>.out_height, window<In>.out_width, detail::channels<In> * M>;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P& p) {
    constexpr ops::Window G = window<In>;
    constexpr std::size_t taps = G.kernel_height * G.kernel_width, out_channels = G.channels * M;
    const Grid out = checked(p.output);
    detail::WeightStats<out_channels> stats{};
    for (std::size_t ky = 0; ky < G.kernel_height; ++ky)
      for (std::size_t kx = 0; kx < G.kernel_width; ++kx)
        for (std::size_t oc = 0; oc < out_channels; ++oc) stats.add(oc, p.weights[ky][kx][oc]);
    const auto weight_scale =
        weight_scales<typename P::weight_type>(stats, p.weight_scale, WeightGranularity::per_channel);

    constexpr bool two_sided = sizeof...(Clamps) == 0;  // no activation: the output may go below its zero point
    ops::DepthwiseConvolution<G, M, two_sided> op{};
    op.input_zero_point = in.zero_point;
    std::array<double, out_channels> accumulator_scale{};
    for (std::size_t oc = 0; oc < out_channels; ++oc) {
      ChannelWeightSums sums{};
      for (std::size_t t = 0; t < taps; ++t) {
        const std::int8_t w = quantize_weight(p.weights[t / G.kernel_width][t % G.kernel_width][oc], weight_scale[oc]);
        op.weights[t * out_channels + oc] = w;
        sums.add(w);
      }
      accumulator_scale[oc] = in.scale * weight_scale[oc];
      op.bias[oc] = quantize_bias(p.bias[oc], accumulator_scale[oc]);
      op.range[oc] = accumulator_range(folded_bias(op.bias[oc], in.zero_point, sums), sums.sum, sums.absolute_sum);
    }
    op.requantization = requantization_for(accumulator_scale, out, detail::clamp_of<Clamps...>(out));
    return Quantized<decltype(op)>{op, out};
  }

  // The float reference: taps on padding read real 0 and add nothing.
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P& p, double (&v)[N], FloatSlots at) {
    constexpr ops::Window G = window<In>;
    constexpr std::size_t out_channels = G.channels * M;
    double w[G.kernel_height][G.kernel_width][out_channels]{};
    for (std::size_t ky = 0; ky < G.kernel_height; ++ky)
      for (std::size_t kx = 0; kx < G.kernel_width; ++kx)
        for (std::size_t oc = 0; oc < out_channels; ++oc)
          w[ky][kx][oc] = real_weight(p.weights[ky][kx][oc], p.weight_scale[oc]);
    for (std::size_t y = 0; y < G.out_height; ++y) {
      for (std::size_t x = 0; x < G.out_width; ++x) {
        for (std::size_t oc = 0; oc < out_channels; ++oc) {
          const std::size_t c = oc / M;
          double acc = p.bias[oc];
          for (std::size_t ky = 0; ky < G.kernel_height; ++ky) {
            const std::size_t row = y * G.stride_height + ky * G.dilation_height;  // in the padded image
            if (row < G.pad_top || row - G.pad_top >= G.height) continue;
            for (std::size_t kx = 0; kx < G.kernel_width; ++kx) {
              const std::size_t column = x * G.stride_width + kx * G.dilation_width;
              if (column < G.pad_left || column - G.pad_left >= G.width) continue;
              acc += w[ky][kx][oc] * v[at.in + ((row - G.pad_top) * G.width + (column - G.pad_left)) * G.channels + c];
            }
          }
          v[at.out + (y * G.out_width + x) * out_channels + oc] = detail::apply_clamps<Clamps...>(acc);
        }
      }
    }
  }
};

}  // namespace qpipe
