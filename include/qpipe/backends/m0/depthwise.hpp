// The Cortex-M0's depthwise convolution: the layer's constants as records per channel, the kernel,
// and the dispatcher that builds it from an ops::DepthwiseConvolution.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/backends/m0/depthwise_channels.hpp"
#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/backends/m0/row_band.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/depthwise.hpp"
#include "qpipe/reference/backend.hpp"

namespace qpipe::m0 {

// The constants of a depthwise layer, apart from its image size and stride. folded: the fit took
// the halves form and every channel's offset has the clamp folded in (folded_halves_code, with
// `word`), which is what the M0's assembly loop runs; otherwise the channels requantize as
// requantize_channel says.
template <std::size_t K, std::size_t C, bool TwoSided>
struct DepthwiseConstants {
  std::array<std::int8_t, K * K * C> weights;  // [ky][kx][c]
  std::array<BiasedChannel, C> channel;
  std::array<std::int32_t, TwoSided ? C : 0> negative_offset;
  std::uint32_t word;  // folded_halves_word where folded, else the clamp's bytes and zero point (layer_word)
  FittedForm form;
  bool folded;

  // What the layer clamps to: read only where it was not folded (the general requantization).
  constexpr OutputClamp clamp() const { return clamp_of_word(word); }

  constexpr std::int8_t requantize(std::int32_t acc, std::size_t c) const {
    if (folded) return folded_halves_code(acc, channel[c].requantization.fitted, word);
    const std::int32_t* negative = nullptr;
    if constexpr (TwoSided) negative = &negative_offset[c];
    return requantize_channel(acc, channel[c].requantization, negative, clamp(), form);
  }

  // What the layer's quantize fills in: the requantizer, folded where it can be.
  consteval void set_requantizer(const ChannelRequantizer<C, TwoSided>& r,
                                 const std::array<AccumulatorRange, C>& range) {
    form = r.form;
    negative_offset = r.negative_offset;
    for (std::size_t c = 0; c < C; ++c) channel[c].requantization = r.channel[c];
    folded = fold_clamp_into_offsets(channel, range, form, r.clamp, word);
    word = layer_word(folded, word, r.clamp);
  }
};

// The M0's depthwise convolution (ops::DepthwiseConvolution, any K and S): assembly channel loops
// where they reach (depthwise_channels.hpp), else the pixel-pair and single loops.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S, bool TwoSided = false>
struct DepthwiseKernel : ops::DepthwiseGeometry<ops::valid_window(H, W, C, K, K, S, S), 1>,
                         DepthwiseConstants<K, C, TwoSided>,
                         WordImmediateKernel<DepthwiseKernel<H, W, C, K, S, TwoSided>> {
  using geometry = ops::DepthwiseGeometry<ops::valid_window(H, W, C, K, K, S, S), 1>;
  using DepthwiseConstants<K, C, TwoSided>::weights;
  using DepthwiseConstants<K, C, TwoSided>::channel;
  using DepthwiseConstants<K, C, TwoSided>::folded;
  using DepthwiseConstants<K, C, TwoSided>::word;
  using DepthwiseConstants<K, C, TwoSided>::requantize;
  using geometry::out_height;
  using geometry::out_width;
  // The row-pixel loops (depthwise_row_pixels_m0) reach every pass of a row: passes of
  // row_pass pixels and one of the rest.
  static constexpr std::size_t row_pass = depthwise_row_passes(out_width, S).size, row_rest = out_width % row_pass;
  static constexpr bool row_pixels_serve = depthwise_row_pixels_m0_serves<K, S, C, W * C, row_pass> &&
                                           (row_rest == 0 || depthwise_row_pixels_m0_serves<K, S, C, W * C, row_rest>);

  // Every path below runs the output rows in order (two to six pixels of a row a pass), and
  // output row y reads input rows y * S on (the arena planner relies on it:
  // detail/read_front.hpp).
  static constexpr std::array<detail::ReadFront, 2> read_fronts{
      detail::window_rows(out_height, out_width* C, H, W* C, S, 0)};

  // The word's fields without the shift: the routines read the shift from handed_word, so that
  // layers of one geometry whose shifts differ share one apply (MobileNetV1's five 6 x 6 x 128).
  constexpr WordImmediates immediates() const { return immediates_of(folded, word).without_shift(); }

  // With the word's fields as immediates (I, known only where the network is a constant and the
  // layer was folded: immediates_of), 3 x 3 rows of up to six pixels a pass (row_pixels), and no
  // other path: the folded check and the C++ loops below would be code that never runs. Otherwise
  // two output pixels of a row per pass, so that each weight tap is loaded once for both
  // (depthwise_quad), adjacent channels in pairs; an odd last pixel or channel alone.
  template <WordImmediates I>
  constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if constexpr (I.known && row_pixels_serve) {
      if (!std::is_constant_evaluated()) {
        for (std::size_t y = 0; y < out_height; ++y) {
          std::size_t x = 0;
          for (; x + row_pass <= out_width; x += row_pass)
            row_pixels<row_pass, I>(in + (y * S * W + x * S) * C, out + (y * out_width + x) * C);
          if constexpr (row_rest != 0)
            row_pixels<row_rest, I>(in + (y * S * W + x * S) * C, out + (y * out_width + x) * C);
        }
        return;
      }
    }
    // The assembly channel loop where the requantizer was folded (a constant here) and it reaches.
    bool assembly = false;
    if constexpr (depthwise_channels_m0_serves<K, C, W * C>) {
      if (!std::is_constant_evaluated()) assembly = folded;
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
            depthwise_pixel_pair_m0<K, C, W * C, I.without_shift()>(channel.data(), weights.data(), window,
                                                                    window + S * C, o, I.handed_word(word));
            continue;
          }
        }
#endif
        std::size_t c = 0;
        for (; c + 1 < C; c += 2) {
          std::int32_t acc[4] = {channel[c].bias, channel[c + 1].bias, channel[c].bias, channel[c + 1].bias};
          depthwise_quad<K, C, W * C, S * C>(&weights[c], window + c, acc);
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
#if defined(__ARM_ARCH_6M__)
  // A pass of P pixels of a row: six in the routine that takes C and the row stride as values
  // (one copy for every layer of a stride), fewer in the ones that take them as immediates.
  template <std::size_t P, WordImmediates I>
  [[gnu::always_inline]] void row_pixels(const std::int8_t* window, std::int8_t* o) const {
    if constexpr (P == 6) {
      static constexpr DepthwiseRowSteps steps = depthwise_row_steps(6, S, C, W * C);
      depthwise_row_six_m0<S, I.without_shift()>(channel.data(), weights.data(), window, o, I.handed_word(word), steps);
    } else {
      depthwise_row_pixels_m0<P, S, C, W * C, I.without_shift()>(channel.data(), weights.data(), window, o,
                                                                 I.handed_word(word));
    }
  }
#endif
  // One output pixel, adjacent channels in pairs (one pass over the window for both on the M0).
  constexpr void pixel(const std::int8_t* window, std::int8_t* out) const {
    std::size_t c = 0;
    for (; c + 1 < C; c += 2) {
      std::int32_t acc0 = channel[c].bias, acc1 = channel[c + 1].bias;
      depthwise_pair<K, C, W * C>(&weights[c], window + c, acc0, acc1);
      *out++ = requantize(acc0, c);
      *out++ = requantize(acc1, c + 1);
    }
    if constexpr (C % 2 == 1) *out = single_channel(window, c);
  }
  // One channel of one pixel: K kernel rows of K taps, C apart in the input and the weights.
  constexpr std::int8_t single_channel(const std::int8_t* window, std::size_t c) const {
    std::int32_t acc = channel[c].bias;
    for (std::size_t ky = 0; ky < K; ++ky) acc += dot<K, C>(&weights[ky * K * C + c], window + ky * W * C + c);
    return requantize(acc, c);
  }
};

// The channel loops over an H x W image for an op's weights (its window inside the image: every
// output reads all of its weights, so the input zero point's term folds into the biases).
template <std::size_t H, std::size_t W, std::size_t S, ops::Window G, bool TwoSided>
consteval auto depthwise_kernel(const ops::DepthwiseConvolution<G, 1, TwoSided>& op) {
  constexpr std::size_t C = G.channels, K = G.kernel_height;
  DepthwiseKernel<H, W, C, K, S, TwoSided> k{};
  k.weights = op.weights;
  for (std::size_t c = 0; c < C; ++c) {
    std::int64_t sum = 0;
    for (std::size_t t = 0; t < K * K; ++t) sum += op.weights[t * C + c];
    k.channel[c].bias = static_cast<std::int32_t>(op.bias[c] - std::int64_t{op.input_zero_point} * sum);
  }
  k.set_requantizer(fitted_requantizer<TwoSided>(op.requantization, op.range), op.range);
  return k;
}

// The kernel for an op with a square kernel, no dilation and a depth multiplier of 1: the channel
// loops where the window lies inside the image with one stride; with SAME padding or a stride per
// axis, the channel loops for one output row inside a row band (row_band.hpp). Any other geometry
// runs the reference loop nest.
template <ops::Window G, std::size_t M, bool TwoSided>
consteval auto lower(const ops::DepthwiseConvolution<G, M, TwoSided>& op) {
  if constexpr (M != 1 || G.kernel_height != G.kernel_width || G.dilation_height != 1 || G.dilation_width != 1) {
    return reference_ops::Kernel<ops::DepthwiseConvolution<G, M, TwoSided>>{op};
  } else if constexpr (G.inside() && G.stride_height == G.stride_width) {
    return depthwise_kernel<G.height, G.width, G.stride_height>(op);
  } else {
    using band = RowBand<G>;
    const auto row_kernel = depthwise_kernel<G.kernel_height, band::width, G.stride_width>(op);
    return RowBandKernel<G, ops::DepthwiseGeometry<G, 1>, std::remove_const_t<decltype(row_kernel)>>{
        {}, row_kernel, static_cast<std::int8_t>(op.input_zero_point)};
  }
}

}  // namespace qpipe::m0
