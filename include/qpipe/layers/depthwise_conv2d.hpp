// QDepthwiseConv2D<K, S>: one K x K filter per channel (depth multiplier 1), stride S, TFLite
// DEPTHWISE_CONV_2D semantics, VALID, always with per-channel weight scales.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/depthwise_channels.hpp"
#include "qpipe/detail/dot.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/weights.hpp"

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

// The constants of a depthwise layer, apart from its image size and stride. folded: the fit took
// the halves form and every channel's offset has the clamp folded in (folded_halves_code, with
// `word`), which is what the M0's assembly loop runs; otherwise the channels requantize as
// requantize_channel says.
template <std::size_t K, std::size_t C, bool TwoSided>
struct DepthwiseConstants {
  std::array<std::int8_t, K * K * C> weights;  // [ky][kx][c]
  std::array<BiasedChannel, C> channel;
  OutputClamp clamp;
  FittedForm form;
  std::array<std::int32_t, TwoSided ? C : 0> negative_offset;
  bool folded;
  std::uint32_t word;

  constexpr std::int8_t requantize(std::int32_t acc, std::size_t c) const {
    if (folded) return folded_halves_code(acc, channel[c].requantization.fitted, word);
    const std::int32_t* negative = nullptr;
    if constexpr (TwoSided) negative = &negative_offset[c];
    return requantize_channel(acc, channel[c].requantization, negative, clamp, form);
  }

  // What the layer's quantize fills in: the requantizer, folded where it can be.
  consteval void set_requantizer(const ChannelRequantizer<C, TwoSided>& r, const std::array<AccumulatorRange, C>& range) {
    clamp = r.clamp;
    form = r.form;
    negative_offset = r.negative_offset;
    for (std::size_t c = 0; c < C; ++c) channel[c].requantization = r.channel[c];
    folded = fold_clamp_into_offsets(channel, range, form, clamp, word);
  }
};

// out[y][x][c] = requantize_c(bias[c] + sum_{ky,kx} w[ky][kx][c] * (in[y*S+ky][x*S+kx][c] - input_zero_point)),
// with the zero-point term folded into the bias by the compiler (see ConvKernel).
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S, bool TwoSided = false>
struct DepthwiseKernel : DepthwiseConstants<K, C, TwoSided> {
  using DepthwiseConstants<K, C, TwoSided>::weights;
  using DepthwiseConstants<K, C, TwoSided>::channel;
  using DepthwiseConstants<K, C, TwoSided>::folded;
  using DepthwiseConstants<K, C, TwoSided>::word;
  using DepthwiseConstants<K, C, TwoSided>::requantize;
  static constexpr std::size_t out_height = valid_output(H, K, S);
  static constexpr std::size_t out_width = valid_output(W, K, S);
  static constexpr std::size_t input_size = H * W * C;
  static constexpr std::size_t output_size = out_height * out_width * C;
  static constexpr std::size_t macs = out_height * out_width * C * K * K;
  static constexpr std::size_t parameter_bytes = K * K * C + 4 * C + 8 * C + 12;

  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const { apply<WordImmediates{}>(in, out); }
  // What qpipe::run hands apply: the word's fields, constants there.
  constexpr WordImmediates immediates() const { return immediates_of(folded, word); }

  // Two output pixels of a row per pass, so that each weight tap is loaded once for both
  // (depthwise_quad), adjacent channels in pairs; an odd last pixel or channel alone. I: the
  // word's fields as the assembly loop's immediates (known only where the network is a constant).
  template <WordImmediates I>
  constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    // The assembly channel loop where the requantizer was folded (a constant here) and it reaches.
    bool assembly = false;
    if constexpr (depthwise_channels_m0_serves<K, C, W * C> || depthwise_four_pixels_m0_serves<K, S, C, W * C>) {
      if (!std::is_constant_evaluated()) assembly = folded;
    }
    // With the word's fields as immediates: four pixels of a row a pass, one channel at a time,
    // where every row is whole fours.
    if constexpr (I.known && depthwise_four_pixels_m0_serves<K, S, C, W * C> && out_width % 4 == 0) {
      if (assembly) {
        for (std::size_t y = 0; y < out_height; ++y)
          for (std::size_t x = 0; x < out_width; x += 4)
            depthwise_four_pixels_m0<C, W * C, I.without_shift()>(channel.data(), weights.data(), in + (y * S * W + x * S) * C,
                                                  out + (y * out_width + x) * C, I.handed_word(word), S);
        return;
      }
    }
#endif
    for (std::size_t y = 0; y < out_height; ++y) {
      std::size_t x = 0;
      for (; x + 1 < out_width; x += 2) {
        const std::int8_t* window = in + (y * S * W + x * S) * C;
        std::int8_t* o = out + (y * out_width + x) * C;
#if defined(__ARM_ARCH_6M__)
        if constexpr (depthwise_channels_m0_serves<K, C, W * C>) {
          if (assembly) {
            depthwise_pixel_pair_m0<K, C, W * C, I.without_shift()>(channel.data(), weights.data(), window, window + S * C, o,
                                                   I.handed_word(word));
            continue;
          }
        }
#endif
        std::size_t c = 0;
        for (; c + 1 < C; c += 2) {
          std::int32_t acc[4] = {channel[c].bias, channel[c + 1].bias, channel[c].bias, channel[c + 1].bias};
          detail::depthwise_quad<K, C, W * C, S * C>(&weights[c], window + c, acc);
          for (std::size_t j = 0; j < 4; ++j) o[(j >> 1) * C + c + (j & 1)] = requantize(acc[j], c + (j & 1));
        }
        if constexpr (C % 2 == 1) {
          o[c] = single_channel(window, c);
          o[C + c] = single_channel(window + S * C, c);
        }
      }
      if constexpr (out_width % 2 == 1) pixel(in + (y * S * W + x * S) * C, out + (y * out_width + x) * C);
    }
  }

 private:
  // One output pixel, adjacent channels in pairs (one pass over the window for both on the M0).
  constexpr void pixel(const std::int8_t* window, std::int8_t* out) const {
    std::size_t c = 0;
    for (; c + 1 < C; c += 2) {
      std::int32_t acc0 = channel[c].bias, acc1 = channel[c + 1].bias;
      detail::depthwise_pair<K, C, W * C>(&weights[c], window + c, acc0, acc1);
      *out++ = requantize(acc0, c);
      *out++ = requantize(acc1, c + 1);
    }
    if constexpr (C % 2 == 1) *out = single_channel(window, c);
  }
  // One channel of one pixel: K kernel rows of K taps, C apart in the input and the weights.
  constexpr std::int8_t single_channel(const std::int8_t* window, std::size_t c) const {
    std::int32_t acc = channel[c].bias;
    for (std::size_t ky = 0; ky < K; ++ky) acc += detail::dot<K, C>(&weights[ky * K * C + c], window + ky * W * C + c);
    return requantize(acc, c);
  }
};

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
    detail::DepthwiseKernel<H, W, C, K, S, two_sided> k{};
    std::array<double, C> accumulator_scale{};
    std::array<AccumulatorRange, C> range{};
    for (std::size_t c = 0; c < C; ++c) {
      ChannelWeightSums sums{};
      for (std::size_t ky = 0; ky < K; ++ky)
        for (std::size_t kx = 0; kx < K; ++kx) {
          const std::int8_t w = quantize_weight(p.weights[ky][kx][c], weight_scale[c]);
          k.weights[(ky * K + kx) * C + c] = w;
          sums.add(w);
        }
      accumulator_scale[c] = in.scale * weight_scale[c];
      k.channel[c].bias = folded_bias(quantize_bias(p.bias[c], accumulator_scale[c]), in.zero_point, sums);
      range[c] = accumulator_range(k.channel[c].bias, sums.sum, sums.absolute_sum);
    }
    k.set_requantizer(channel_requantizer_for<two_sided>(accumulator_scale, out, detail::clamp_of<Clamps...>(out), range), range);
    return Quantized<decltype(k)>{k, out};
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
