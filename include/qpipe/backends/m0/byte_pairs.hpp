// The pair kernels with their weights kept as bytes in flash (ByteWeightsBackend, backend.hpp).
// The 1 x 1 and K x K pair kernels (pointwise_pairs.hpp, window_pairs.hpp) store each weight as a
// 16-bit lane, twice TFLite's bytes, so that their channel loop (pair_channels_m0) multiplies two
// inputs by two weights in one MULS. These kernels store the same words as two bytes each and
// expand them at run time (expand_weight_pairs) into a stack buffer, a group of output channel
// pairs at a time (BytePairGroups: at most byte_pair_group_bytes); then every pixel of the layer
// runs the same channel loop over the group's channels with the buffer as its weights. The price,
// per MAC: the expansion, 4.5 cycles a weight word over the layer's P output pixels (4.5 / P),
// and the inputs packed again for each group (a 1 x 1 pixel's, about 9 cycles an input pair, for
// the group's 2 G channels: 2.25 / G; a K x K band's columns, at stride S, 2.25 S / (G KW)), where
// the channel loop itself costs 2.6. Since every group reads the whole input, the output may not
// lie over it (no read_fronts: the arena planner keeps them apart).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/pointwise_pairs.hpp"
#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/backends/m0/window_pairs.hpp"
#include "qpipe/ops/convolution.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe::m0 {

// The stack a group's expanded weights take at most, unless one channel pair alone is larger (then
// a group is one pair), and the largest channel pair the K x K kernel takes.
inline constexpr std::size_t byte_pair_group_bytes = 2048;
inline constexpr std::size_t byte_pair_max_pair_bytes = 4096;

// words[k] = lane_weight(bytes[2 k + 1], bytes[2 k]) for k < count (a multiple of 4): the lane
// pairs the channel loop multiplies by, from the bytes the kernels below keep (the high lane's
// weight, the even input's, second). That is the sum lane_input(bytes[2 k], bytes[2 k + 1]), so on
// the Cortex-M0 the inputs' pack loop computes it (pack_lane_pairs_m0: 9 cycles a word).
constexpr void expand_weight_pairs(const std::int8_t* bytes, std::int32_t* words, std::size_t count) {
#if defined(__ARM_ARCH_6M__)
  if (!std::is_constant_evaluated()) {
    pack_lane_pairs_shared_m0<4>(bytes, words, count);
    return;
  }
#endif
  for (std::size_t k = 0; k < count; ++k) words[k] = lane_weight(bytes[2 * k + 1], bytes[2 * k]);
}

// The byte of lane-pair word `word` that holds the weight of input e of the word's two (e even:
// the high lane).
constexpr std::size_t weight_pair_byte(std::size_t word, std::size_t e) { return 2 * word + (e % 2 == 0 ? 1 : 0); }

// The layer's ChannelPairs channel pairs, PairWords weight words each, in groups of about equal
// size whose words fit byte_pair_group_bytes (one pair a group where a pair alone does not).
template <std::size_t PairWords, std::size_t ChannelPairs>
struct BytePairGroups {
  static constexpr std::size_t most_pairs =
      4 * PairWords >= byte_pair_group_bytes ? 1 : byte_pair_group_bytes / (4 * PairWords);
  static constexpr std::size_t groups = (ChannelPairs + most_pairs - 1) / most_pairs;
  static constexpr std::size_t pairs = (ChannelPairs + groups - 1) / groups;  // a group's, the last one's fewer
  static constexpr std::size_t words = pairs * PairWords;
  static_assert(PairWords % 4 == 0);  // expand_weight_pairs' step
};

// The reaches: the fast kernels' (pair_packed_weights, window_pair_weights); for K x K a channel
// pair's words at most byte_pair_max_pair_bytes.
template <ops::Window G, std::size_t Channels, std::size_t OutC>
inline constexpr bool window_byte_pair_weights =
    window_pair_weights<G, Channels, OutC> && 8 * WindowPairs<G>::window_words <= byte_pair_max_pair_bytes;

#if defined(__ARM_ARCH_6M__)
// The 1 x 1 layer on the M0 (the folded form): for each group of output channels [first, first + n)
// its weights expanded, then every pixel's inputs packed and its group's outputs written
// (pointwise_pairs_pixel_m0), `outputs` bytes apart. One out-of-line copy for every layer with the
// same input count and group size.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
template <std::size_t InC, std::size_t GroupWords, WordImmediates I, class Record>
[[gnu::noinline, gnu::noclone]] inline void pointwise_byte_pairs_m0(const Record* channel, std::size_t outputs,
                                                                    std::size_t group_outputs, const std::int8_t* bytes,
                                                                    const std::int8_t* in, std::size_t pixels,
                                                                    std::size_t columns, std::size_t column_step,
                                                                    std::size_t row_step, std::int8_t* out,
                                                                    std::uint32_t word) {
  static_assert(InC % 4 == 0 && InC <= pair_packed_max_inputs);
  std::int32_t weights[GroupWords];
  std::int32_t packed[InC / 2];
  for (std::size_t first = 0; first < outputs; first += group_outputs) {
    const std::size_t n = outputs - first < group_outputs ? outputs - first : group_outputs;
    expand_weight_pairs(bytes + first * InC, weights, n * InC / 2);
    std::int8_t* pixel_out = out + first;
    const std::int8_t* row = in;
    for (std::size_t p = 0; p < pixels; row += row_step) {
      const std::int8_t* x = row;
      for (std::size_t c = 0; c < columns; ++c, ++p, x += column_step, pixel_out += outputs) {
        const std::int32_t* w = weights;
        std::int8_t* o = pixel_out;
        pointwise_pairs_pixel_m0<pair_pack_step<InC>, pair_mac_step<InC>, I>(channel + first, channel + first + n, w, x,
                                                                             packed, InC / 2, o, word);
      }
    }
  }
}

// A chunk's pixels for one group (window_pairs_pixels_m0 with the outputs out_step bytes apart).
template <std::size_t Unroll, WordImmediates I, class Record>
[[gnu::noinline, gnu::noclone]] inline void window_byte_pairs_pixels_m0(const Record* channel, const Record* end,
                                                                        const std::int32_t* w, const std::int32_t* band,
                                                                        std::size_t pixels, std::size_t pixel_words,
                                                                        std::size_t window_words, std::int8_t* out,
                                                                        std::size_t out_step, std::uint32_t word) {
  for (; pixels > 0; --pixels, band += pixel_words, out += out_step) {
    const std::int32_t* weights = w;
    std::int8_t* o = out;
    pair_channels_m0<Unroll, I>(channel, end, weights, band, band + window_words, o, word);
  }
}
#pragma GCC diagnostic pop
#endif

// The channel pair [o, o + 2)'s codes for one pixel's (or window's) packed inputs [x, x + words)
// with the group's weights w (left on the next pair's), in C++ or (the sums) in assembly.
template <std::size_t Unroll, class Records>
[[gnu::always_inline]] constexpr void byte_pair_codes(const Records& r, std::size_t o, const std::int32_t*& w,
                                                      const std::int32_t* x, std::size_t words, std::int8_t* out) {
  std::int32_t acc0 = r.channel[o].bias, acc1 = r.channel[o + 1].bias;
#if defined(__ARM_ARCH_6M__)
  if (!std::is_constant_evaluated()) {
    pair_sums_m0<Unroll>(w, x, x + words, acc0, acc1);
    out[0] = r.code(acc0, o);
    out[1] = r.code(acc1, o + 1);
    return;
  }
#endif
  for (std::size_t j = 0; j < words; ++j, w += 2) {
    acc0 = lane_mac(acc0, x[j], w[0]);
    acc1 = lane_mac(acc1, x[j], w[1]);
  }
  out[0] = r.code(acc0, o);
  out[1] = r.code(acc1, o + 1);
}

// The 1 x 1 pair kernel (PointwisePairKernel's reach and records) with byte weights.
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, bool TwoSided>
struct PointwiseBytePairKernel : ops::ConvolutionGeometry<ops::valid_window(H, W, InC, 1, 1, S, S), OutC, OutC>,
                                 QuadRecords<OutC, TwoSided>,
                                 WordImmediateKernel<PointwiseBytePairKernel<H, W, InC, S, OutC, TwoSided>> {
  using geometry = ops::ConvolutionGeometry<ops::valid_window(H, W, InC, 1, 1, S, S), OutC, OutC>;
  using geometry::out_height;
  using geometry::out_width;
  static constexpr std::size_t pairs = InC / 2;
  using groups = BytePairGroups<2 * pairs, OutC / 2>;

  // The bytes of PointwisePairKernel::weight's words, word k in bytes 2 k and 2 k + 1
  // (weight_pair_byte).
  std::array<std::int8_t, OutC * InC> weight_bytes;

  constexpr void set_weight(std::size_t o, std::size_t i, std::int8_t w) {
    weight_bytes[weight_pair_byte(PointwisePairKernel<H, W, InC, S, OutC, TwoSided>::weight_index(o, i), i)] = w;
  }

  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated() && this->folded) {
      pointwise_byte_pairs_m0<InC, groups::words, I.without_shift()>(
          this->channel.data(), OutC, 2 * groups::pairs, weight_bytes.data(), in, out_height * out_width, out_width,
          S * InC, S * W * InC, out, I.handed_word(this->word));
      return;
    }
#endif
    // Another form, the host and constant expressions: the same groups, the codes in C++.
    std::int32_t weights[groups::words];
    std::int32_t packed[pairs];
    for (std::size_t first = 0; first < OutC; first += 2 * groups::pairs) {
      const std::size_t n = OutC - first < 2 * groups::pairs ? OutC - first : 2 * groups::pairs;
      expand_weight_pairs(weight_bytes.data() + first * InC, weights, n * pairs);
      for (std::size_t y = 0; y < out_height; ++y) {
        for (std::size_t x = 0; x < out_width; ++x) {
          const std::int8_t* pixel = in + (y * S * W + x * S) * InC;
#if defined(__ARM_ARCH_6M__)
          if (!std::is_constant_evaluated()) {
            pack_lane_pairs_m0<pair_pack_step<InC>>(pixel, packed, pairs);
          } else {
            pack_pixel<InC>(pixel, packed);
          }
#else
          pack_pixel<InC>(pixel, packed);
#endif
          std::int8_t* pixel_out = out + (y * out_width + x) * OutC;
          const std::int32_t* w = weights;
#pragma GCC unroll 1
          for (std::size_t o = first; o < first + n; o += 2) {
            byte_pair_codes<pair_mac_step<InC>>(*this, o, w, packed, pairs, pixel_out + o);
          }
        }
      }
    }
  }
};

// The K x K pair kernel (WindowPairKernel's reach, band and records) with byte weights: for each
// group, the rows' bands packed again (WindowColumns) and each chunk's pixels run over the group.
template <ops::Window G, std::size_t OutC, bool TwoSided>
struct WindowBytePairKernel : ops::ConvolutionGeometry<G, OutC, OutC>,
                              QuadRecords<OutC, TwoSided>,
                              WordImmediateKernel<WindowBytePairKernel<G, OutC, TwoSided>> {
  using geometry = ops::ConvolutionGeometry<G, OutC, OutC>;
  using layout = WindowPairs<G>;
  using geometry::out_height;
  using geometry::out_width;
  static constexpr std::size_t KW = G.kernel_width, window_words = layout::window_words;
  using groups = BytePairGroups<2 * window_words, OutC / 2>;
  static_assert(8 * window_words <= byte_pair_max_pair_bytes);

  // The bytes of WindowPairKernel::weight's words, word k in bytes 2 k and 2 k + 1.
  std::array<std::int8_t, OutC * 2 * window_words> weight_bytes;

  // The window's input e of weight n as WindowPairKernel::set_weight places it.
  constexpr void set_weight(std::size_t o, std::size_t n, std::int8_t w) {
    const std::size_t ky = n / (KW * G.channels), kx = n / G.channels % KW, i = n % G.channels;
    const std::size_t e = kx * 2 * layout::column_words + ky * G.channels + i;
    weight_bytes[weight_pair_byte(WindowPairKernel<G, OutC, TwoSided>::weight_index(o, e / 2), e)] = w;
  }

  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
    std::array<std::int32_t, layout::band_words> band;
    std::array<std::int32_t, groups::words> weights;
    for (std::size_t j = layout::band_words - layout::tail_words; j < layout::band_words; ++j) band[j] = 0;
    const std::int32_t padding = this->padding();
    for (std::size_t first = 0; first < OutC; first += 2 * groups::pairs) {
      const std::size_t n = OutC - first < 2 * groups::pairs ? OutC - first : 2 * groups::pairs;
      expand_weight_pairs(weight_bytes.data() + first * 2 * window_words, weights.data(), n * window_words);
      for (std::size_t y = 0; y < out_height; ++y) {
        for (std::size_t x = 0; x < out_width; x += layout::chunk_pixels) {
          const std::size_t pixels = out_width - x < layout::chunk_pixels ? out_width - x : layout::chunk_pixels;
          WindowColumns<G>::pack(in, y, x, (pixels - 1) * G.stride_width + KW, band.data(), padding);
          run_pixels<I>(band.data(), weights.data(), first, n, pixels, out + (y * out_width + x) * OutC + first);
        }
      }
    }
  }

  // The codes of channels [first, first + n) of `pixels` output pixels whose windows start
  // pixel_words apart from band on; w the group's weights.
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void run_pixels(const std::int32_t* band, const std::int32_t* w, std::size_t first,
                                                   std::size_t n, std::size_t pixels, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated() && this->folded) {
      window_byte_pairs_pixels_m0<layout::unroll, I.without_shift()>(
          this->channel.data() + first, this->channel.data() + first + n, w, band, pixels, layout::pixel_words,
          window_words, out, OutC, I.handed_word(this->word));
      return;
    }
#endif
    for (std::size_t p = 0; p < pixels; ++p, out += OutC) {
      const std::int32_t* weights = w;
#pragma GCC unroll 1
      for (std::size_t o = 0; o < n; o += 2) {
        byte_pair_codes<layout::unroll>(*this, first + o, weights, band + p * layout::pixel_words, window_words,
                                        out + o);
      }
    }
  }
};

}  // namespace qpipe::m0
