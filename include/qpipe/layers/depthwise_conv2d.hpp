// QDepthwiseConv2D<K, S>: one K x K filter per channel (depth multiplier 1), stride S, TFLite
// DEPTHWISE_CONV_2D semantics, VALID, always with per-channel weight scales.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/weights.hpp"
#include "qpipe/ops/depthwise.hpp"

namespace qpipe {

// Weights [ky][kx][channel], TFLite's 1 x K x K x C layout (from torch's C x 1 x K x K,
// permute(1, 2, 3, 0)). weight_scale: one per channel; zero to derive, required for int8.
template <std::size_t K, std::size_t C, WeightElement Weight = double>
struct DepthwiseConv2DParams {
  static constexpr std::size_t kernel_size = K;
  static constexpr std::size_t channels = C;
  using weight_type = Weight;
  Weight weights[K][K][C];
  double bias[C];
  Grid output;
  double weight_scale[C]{};
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

template <std::size_t K, std::size_t C, class P> struct expected_depthwise_block {
  using type = DepthwiseConv2DParams<K, C>;
};
template <std::size_t K, std::size_t C, std::size_t K2, std::size_t C2>
struct expected_depthwise_block<K, C, DepthwiseConv2DParams<K2, C2, std::int8_t>> {
  using type = DepthwiseConv2DParams<K, C, std::int8_t>;
};

}  // namespace detail

template <std::size_t K, std::size_t S = 1>
  requires(K > 0 && S > 0)
struct QDepthwiseConv2D {
  static constexpr std::string_view kind = "QDepthwiseConv2D";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;

  template <ShapeType In> static constexpr bool accepts = detail::window_fits<In, K>;
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    using expected = typename detail::expected_depthwise_block<K, detail::channels<In>, P>::type;
    return detail::parameter_block_matches<At, QDepthwiseConv2D, expected, P>();
  }
  template <ShapeType In, class P> using output_shape = detail::window_output_shape<In, K, S>;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P& p) {
    constexpr std::size_t H = detail::height<In>, W = detail::width<In>, C = detail::channels<In>;
    const Grid out = checked(p.output);
    detail::WeightStats<C> stats{};
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx)
        for (std::size_t c = 0; c < C; ++c) stats.add(c, p.weights[ky][kx][c]);
    const auto weight_scale = weight_scales<typename P::weight_type>(stats, p.weight_scale, WeightGranularity::per_channel);

    constexpr bool two_sided = sizeof...(Clamps) == 0;  // no activation: the output may go below its zero point
    ops::DepthwiseConvolution<H, W, C, K, S, two_sided> op{};
    std::array<double, C> accumulator_scale{};
    for (std::size_t c = 0; c < C; ++c) {
      ChannelWeightSums sums{};
      for (std::size_t ky = 0; ky < K; ++ky)
        for (std::size_t kx = 0; kx < K; ++kx) {
          const std::int8_t w = quantize_weight(p.weights[ky][kx][c], weight_scale[c]);
          op.weights[(ky * K + kx) * C + c] = w;
          sums.add(w);
        }
      accumulator_scale[c] = in.scale * weight_scale[c];
      op.bias[c] = folded_bias(quantize_bias(p.bias[c], accumulator_scale[c]), in.zero_point, sums);
      op.range[c] = accumulator_range(op.bias[c], sums.sum, sums.absolute_sum);
    }
    op.requantization = requantization_for(accumulator_scale, out, detail::clamp_of<Clamps...>(out));
    return Quantized<decltype(op)>{op, out};
  }

  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P& p, double (&v)[N], FloatSlots at) {
    constexpr std::size_t W = detail::width<In>, C = detail::channels<In>;
    using Out = output_shape<In, P>;
    double w[K][K][C]{};
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx)
        for (std::size_t c = 0; c < C; ++c) w[ky][kx][c] = real_weight(p.weights[ky][kx][c], p.weight_scale[c]);
    for (std::size_t y = 0; y < detail::height<Out>; ++y) {
      for (std::size_t x = 0; x < detail::width<Out>; ++x) {
        for (std::size_t c = 0; c < C; ++c) {
          double acc = p.bias[c];
          for (std::size_t ky = 0; ky < K; ++ky)
            for (std::size_t kx = 0; kx < K; ++kx) acc += w[ky][kx][c] * v[at.in + ((y * S + ky) * W + (x * S + kx)) * C + c];
          v[at.out + (y * detail::width<Out> + x) * C + c] = detail::apply_clamps<Clamps...>(acc);
        }
      }
    }
  }
};

}  // namespace qpipe
