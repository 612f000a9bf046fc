// K x K convolutions whose weights serve many output pixels (the stems): two MACs per multiply.
// A kernel row's K * InC inputs are contiguous in the image, so they pair up as lane inputs
// (lane_input: x0 + 2^16 x1, dot.hpp); each pair, built once from two bytes, is multiplied by four
// output channels' lane weights, and the top half of each product is x0 w0 + x1 w1 (lane_mac).
// On the Cortex-M0 that is 8 cycles to build the pair and 5 per channel (LDM of the weight pair,
// MULS, ASRS, ADCS): 28 cycles per 8 MACs, where the byte loops take 19 per 4. The price is the
// weights stored as 32-bit pairs, twice TFLite's bytes, which is why only layers with many output
// pixels take this kernel (window_lane_weights).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/pointwise_pairs.hpp"
#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/ops/convolution.hpp"

#include "qpipe/backends/m0/asm/folded_code_begin.hpp"  // QPIPE_FOLDED_*, taken away at the end

namespace qpipe::m0 {

// The flash a layer's weights take doubles while its MACs get about 1.5 cycles cheaper each; both
// examples' stems (64 output pixels, each weight used 64 times) gain 90 to 140 cycles per added
// byte, their 3 x 3 block convolutions (16 pixels) about 26. From this many output pixels the
// weights are stored as pairs (below it, the K x K pair kernel of window_pairs.hpp takes the layer).
inline constexpr std::size_t window_lane_min_pixels = 64;

// The kernel's reach: per-channel scales, output channels in fours, a kernel row (KW inputs of
// InC channels) of at most 31 inputs (its pairs' weights 16 bytes apart: one ADDS immediate spans
// a row, byte offsets stay below 32) and a row step the loop adds as an immediate. KH x KW kernels
// (KW = K when square), 1 x 1 apart.
template <std::size_t K, std::size_t InC, std::size_t W, std::size_t Channels, std::size_t OutC, std::size_t KW = K>
inline constexpr bool window_lane_geometry =
    K * KW > 1 && Channels == OutC&& OutC % 4 == 0 && KW* InC <= 31 && KW <= W&& W* InC - KW* InC / 2 * 2 <= 255;
// Weights stored as pairs (the stems).
template <std::size_t K, std::size_t InC, std::size_t W, std::size_t Channels, std::size_t OutC, std::size_t OutPixels,
          std::size_t KW = K>
inline constexpr bool window_lane_weights =
    window_lane_geometry<K, InC, W, Channels, OutC, KW> && OutPixels >= window_lane_min_pixels;

#if defined(__ARM_ARCH_6M__)
// acc[c] += the lane MACs of one output pixel's window with channel c of a group of four: Full
// input pairs and, if Single, one last input alone per kernel row; the weights, [row][pair][c],
// from w (left after them), the rows RowStride bytes apart. All eight low registers: the four
// accumulators (ADCS takes low ones), the pair, a temporary, the input and weight pointers; the
// end of a row's pairs and of the window's weights are high ones. Per pair 8 + 4 x 5 cycles; per
// two pairs 5 for the loop; per row 8.
// clang-format off
#define QPIPE_WINDOW_MAC(ACC)  \
  "ldm %[w]!, {%[t]}\n\t"      \
  "muls %[t], %[pair]\n\t"     \
  "asrs %[t], %[t], #16\n\t"   \
  "adcs %[" ACC "], %[t]\n\t"
#define QPIPE_WINDOW_MACS QPIPE_WINDOW_MAC("a0") QPIPE_WINDOW_MAC("a1") QPIPE_WINDOW_MAC("a2") QPIPE_WINDOW_MAC("a3")
// The pair at byte AT of the row: LDRB has an immediate offset (LDRSB only a register one).
#define QPIPE_WINDOW_PAIR(AT, NEXT)     \
  "ldrb %[pair], [%[x], #" AT "]\n\t"   \
  "ldrb %[t], [%[x], #" NEXT "]\n\t"    \
  "sxtb %[pair], %[pair]\n\t"           \
  "sxtb %[t], %[t]\n\t"                 \
  "lsls %[t], %[t], #16\n\t"            \
  "adds %[pair], %[t]\n\t" QPIPE_WINDOW_MACS
// clang-format on

template <std::size_t Full, bool Single, std::size_t RowStride>
[[gnu::always_inline]] inline void window_lanes_m0(const std::int32_t*& w_io, const std::int32_t* window_end,
                                                   const std::int8_t* x, std::int32_t (&acc)[4]) {
  static_assert(Full >= 1 && 2 * Full + Single <= 31 && RowStride >= 2 * Full && RowStride - 2 * Full <= 255);
  std::int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const std::int32_t* w = w_io;
  std::int32_t pair, t;
  const std::int32_t* pairs_end;
  // clang-format off
  asm volatile(".syntax unified\n"  // volatile: the loads depend on memory the compiler does not see written
      "1:\n\t"
      "mov %[t], %[w]\n\t"
      "adds %[t], %[full_bytes]\n\t"
      "mov %[pairs_end], %[t]\n\t"
      // gas's conditionals keep the parts this geometry needs: an odd pair count takes one pair
      // before the loop of two, an odd row its last input alone
      ".if %c[odd]\n\t" QPIPE_WINDOW_PAIR("0", "1")
      "adds %[x], #2\n\t"
      ".endif\n\t"
      ".if %c[loop]\n"
      "2:\n\t" QPIPE_WINDOW_PAIR("0", "1") QPIPE_WINDOW_PAIR("2", "3")
      "adds %[x], #4\n\t"
      "cmp %[w], %[pairs_end]\n\t"
      "bne 2b\n\t"
      ".endif\n\t"
      ".if %c[single]\n\t"
      "ldrb %[pair], [%[x], #0]\n\t"
      "sxtb %[pair], %[pair]\n\t" QPIPE_WINDOW_MACS
      ".endif\n"
      "adds %[x], %[row_step]\n\t"
      "cmp %[w], %[window_end]\n\t"
      "bne 1b\n\t"
      : [a0] "+l"(a0), [a1] "+l"(a1), [a2] "+l"(a2), [a3] "+l"(a3), [w] "+l"(w), [x] "+l"(x), [pair] "=&l"(pair), [t] "=&l"(t),
        [pairs_end] "=&h"(pairs_end)
      : [window_end] "h"(window_end), [full_bytes] "I"(16 * Full), [row_step] "I"(RowStride - 2 * Full),
        [odd] "i"(Full % 2), [loop] "i"(Full / 2 != 0), [single] "i"(Single ? 1 : 0)
      : "cc", "memory");
  // clang-format on
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
  w_io = w;
}

// The same over an input already expanded into lane pairs, one word per two bytes (the layer's
// input buffer, expanded in place: WindowLaneKernel::apply_expanding): a pair is one LDM, 2
// cycles where building it from its bytes takes 8, so 22 cycles per 8 MACs. Pairs words a kernel
// row (an odd row's last input is a full word whose partner meets a zero weight), RowStep bytes
// from a row's end to the next row's first word.
template <std::size_t Pairs, std::size_t RowStep>
[[gnu::always_inline]] inline void window_lane_words_m0(const std::int32_t*& w_io, const std::int32_t* window_end,
                                                        const std::int32_t* x, std::int32_t (&acc)[4]) {
  static_assert(Pairs >= 1 && 16 * Pairs <= 255 && RowStep <= 255);
  std::int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const std::int32_t* w = w_io;
  std::int32_t pair, t;
  const std::int32_t* pairs_end;
  // clang-format off
  asm volatile(".syntax unified\n"  // volatile: the loads depend on memory the compiler does not see written
      "1:\n\t"
      ".if %c[loop]\n\t"
      "mov %[t], %[w]\n\t"
      "adds %[t], %[row_bytes]\n\t"
      "mov %[pairs_end], %[t]\n\t"
      ".endif\n\t"
      ".if %c[odd]\n\t"
      "ldm %[x]!, {%[pair]}\n\t" QPIPE_WINDOW_MACS
      ".endif\n\t"
      ".if %c[loop]\n"
      "2:\n\t"
      "ldm %[x]!, {%[pair]}\n\t" QPIPE_WINDOW_MACS
      "ldm %[x]!, {%[pair]}\n\t" QPIPE_WINDOW_MACS
      "cmp %[w], %[pairs_end]\n\t"
      "bne 2b\n\t"
      ".endif\n\t"
      "adds %[x], %[row_step]\n\t"
      "cmp %[w], %[window_end]\n\t"
      "bne 1b\n\t"
      : [a0] "+l"(a0), [a1] "+l"(a1), [a2] "+l"(a2), [a3] "+l"(a3), [w] "+l"(w), [x] "+l"(x), [pair] "=&l"(pair), [t] "=&l"(t),
        [pairs_end] "=&h"(pairs_end)
      : [window_end] "h"(window_end), [row_bytes] "I"(16 * Pairs), [row_step] "I"(RowStep), [odd] "i"(Pairs % 2),
        [loop] "i"(Pairs / 2 != 0)
      : "cc", "memory");
  // clang-format on
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
  w_io = w;
}
#undef QPIPE_WINDOW_PAIR
#undef QPIPE_WINDOW_MACS
#undef QPIPE_WINDOW_MAC

// The four outputs of a group in the folded halves form with the word's fields as immediates
// (WordImmediates), each channel's shift in its offset word (folded_shifted_code): records q[0 ..
// 3], codes to out[0 .. 3]. About 20 cycles an output, 11 fewer than GCC's code for
// folded_shifted_code with the word read at run time.
// clang-format off
#define QPIPE_WINDOW_CODE(ACC, N)                                                                     \
  QPIPE_FOLDED_SCALED(IMMEDIATE, "x", "t", ACC, "[%[q], #12*" N "+4]", "[%[q], #12*" N "+6]")         \
  QPIPE_FOLDED_SHIFTED_OFFSET("x", "t", ACC, "[%[q], #12*" N "+8]")                                   \
  QPIPE_FOLDED_RANGE(IMMEDIATE, "x", "t", N) "strb %[x], [%[out], #" N "]\n\t"
// clang-format on
template <WordImmediates I>
[[gnu::always_inline]] inline void window_codes_m0(const BiasedChannel* q, const std::int32_t (&acc)[4],
                                                   std::int8_t* out) {
  static_assert(I.known && sizeof(BiasedChannel) == 12);
  std::int32_t x, t;
  std::int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];  // each a temporary once its code has it
  // clang-format off
  asm volatile(".syntax unified\n\t" /* volatile: its stores are its purpose */
      QPIPE_WINDOW_CODE("a0", "0") QPIPE_WINDOW_CODE("a1", "1") QPIPE_WINDOW_CODE("a2", "2") QPIPE_WINDOW_CODE("a3", "3")
      "b 4f\n"
      QPIPE_FOLDED_ABOVE(IMMEDIATE, "x", "t", "0") QPIPE_FOLDED_ABOVE(IMMEDIATE, "x", "t", "1")
      QPIPE_FOLDED_ABOVE(IMMEDIATE, "x", "t", "2") QPIPE_FOLDED_ABOVE(IMMEDIATE, "x", "t", "3")
      "4:\n\t"
      : [x] "=&l"(x), [t] "=&l"(t), [a0] "+l"(a0), [a1] "+l"(a1), [a2] "+l"(a2), [a3] "+l"(a3)
      : [q] "l"(q), [out] "l"(out), [piece_bits] "I"(I.piece_bits), [span] "I"(I.span), [qmin_byte] "I"(I.qmin_byte)
      : "cc", "memory");
  // clang-format on
}
#undef QPIPE_WINDOW_CODE
#endif

// The layer: weights as lane pairs [group of four channels][kernel row][pair][channel], the
// channel records and the requantization of the many-input 1 x 1 kernel (QuadRecords,
// pointwise_pairs.hpp, without the second offset where the layer has no use for it). The host
// and constant evaluation run the same lane arithmetic in C++ (lane_mac). K x KW: the kernel's
// rows and their width (a square kernel: KW = K).
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC, bool TwoSided,
          std::size_t KW = K>
struct WindowLaneKernel : ops::ConvolutionGeometry<ops::valid_window(H, W, InC, K, KW, S, S), OutC, OutC>,
                          QuadRecords<OutC, TwoSided>,
                          WordImmediateKernel<WindowLaneKernel<H, W, InC, K, S, OutC, TwoSided, KW>> {
  using geometry = ops::ConvolutionGeometry<ops::valid_window(H, W, InC, K, KW, S, S), OutC, OutC>;
  using geometry::input_size;
  using geometry::out_height;
  using geometry::out_width;
  static constexpr std::size_t row = KW * InC;          // a kernel row's inputs, contiguous in the image
  static constexpr std::size_t pairs = (row + 1) / 2;  // per kernel row, the last input alone if row is odd
  static constexpr std::size_t group_words = 4 * K * pairs;

  // A zero low lane after an odd row's last weight.
  std::array<std::int32_t, OutC / 4 * group_words> weight;

  static constexpr std::size_t weight_index(std::size_t o, std::size_t ky, std::size_t j) {
    return o / 4 * group_words + (ky * pairs + j) * 4 + o % 4;
  }

  // What quantize_convolution fills in: n = (ky K + kx) InC + i, the input's place in the window.
  // The high lane holds the even input's weight (lane_weight); 0 past a row's end.
  constexpr void set_weight(std::size_t o, std::size_t n, std::int8_t w) {
    const std::size_t ky = n / row, e = n % row;
    std::int32_t& p = weight[weight_index(o, ky, e / 2)];
    p = e % 2 == 0 ? lane_weight(w, 0) : lane_weight(p >> 16, w);
  }

  // With every window row starting on an even byte (S InC and W InC even), the
  // layer can expand its input in place into lane pairs, one word per two bytes, where the model
  // gives it the buffer alone and room for the words (Model::expands: an arena buffer no other
  // step reads). Each pair is then built once for the whole layer (about 10 cycles) instead of
  // once per window and group that reads it (8 cycles each time; a 7 x 7 stride-2 window reads
  // an input about 12 times, twice per group pass with 8 channels). The words: every pair of the
  // image, in steps of four, from the first word-aligned address of the buffer. An odd row's last
  // input shares its word with the next input, which meets a zero weight; that one is inside the
  // image row, since such a row has KW and InC odd, so S and W even, so no window ends at W.
  static constexpr std::size_t row_words = pairs;
  static constexpr std::size_t row_word_step = 2 * W * InC - 4 * row_words;
  static constexpr bool expands_input = (S * InC) % 2 == 0 && (W * InC) % 2 == 0 && 16 * row_words <= 255 &&
                                        2 * W * InC >= 4 * row_words && row_word_step <= 255 &&
                                        (row % 2 == 0 || (out_width - 1) * S + KW < W);
  static constexpr std::size_t expanded_words = (input_size / 2 + 3) / 4 * 4;
  static constexpr std::size_t input_capacity = 4 * expanded_words + 3;

  // The run on an input buffer of input_capacity bytes that the layer may overwrite (on the M0;
  // elsewhere, and in constant evaluation, apply's).
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply_expanding(std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if constexpr (expands_input) {
      if (!std::is_constant_evaluated()) {
        // Downwards, each pair's bytes read before its word is stored at or above them.
        std::int32_t* const words =
            reinterpret_cast<std::int32_t*>((reinterpret_cast<std::uintptr_t>(in) + 3) & ~std::uintptr_t{3});
        pack_lane_pairs_shared_m0<4>(in, words, expanded_words);
        for (std::size_t y = 0; y < out_height; ++y) {
          for (std::size_t x = 0; x < out_width; ++x) {
            const std::int32_t* window = words + (y * S * W + x * S) * InC / 2;
            const std::int32_t* w = weight.data();
            for (std::size_t o = 0; o < OutC; o += 4, out += 4) {
              std::int32_t acc[4] = {this->channel[o].bias, this->channel[o + 1].bias, this->channel[o + 2].bias,
                                     this->channel[o + 3].bias};
              window_lane_words_m0<row_words, row_word_step>(w, w + group_words, window, acc);
              group_codes_of<I>(acc, o, out);
            }
          }
        }
        return;
      }
    }
#endif
    apply<I>(in, out);
  }

  // I: the word's fields, known where the network is a template argument; then, on the M0, a
  // folded layer with a folded activation (one offset a channel) requantizes in assembly.
  // Pixel by pixel, the groups of a pixel in turn.
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
    for (std::size_t y = 0; y < out_height; ++y) {
      for (std::size_t x = 0; x < out_width; ++x) {
        const std::int8_t* window = in + (y * S * W + x * S) * InC;
        const std::int32_t* w = weight.data();
        for (std::size_t o = 0; o < OutC; o += 4, out += 4) group_codes<I>(w, window, o, out);
      }
    }
  }

  // The codes of channels o .. o + 3 for the window, the group's pairs from w (left after them).
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void group_codes(const std::int32_t*& w, const std::int8_t* window, std::size_t o,
                                                    std::int8_t* out) const {
    std::int32_t acc[4] = {this->channel[o].bias, this->channel[o + 1].bias, this->channel[o + 2].bias,
                           this->channel[o + 3].bias};
    window_dot(w, window, acc);
    group_codes_of<I>(acc, o, out);
  }
  // The codes of channels o .. o + 3 from their accumulators.
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void group_codes_of(const std::int32_t (&acc)[4], std::size_t o,
                                                       std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if constexpr (I.known && !TwoSided) {
      if (!std::is_constant_evaluated() && this->folded) {
        window_codes_m0<I>(&this->channel[o], acc, out);
        return;
      }
    }
#endif
    // Four codes, unrolled at every optimisation level (GCC's -O3 peels this loop completely, its
    // -O2 did not, and the ResNet block's stem was slower; perf/README.md, "Optimisation levels").
#pragma GCC unroll 4
    for (std::size_t j = 0; j < 4; ++j) out[j] = this->code(acc[j], o + j);
  }

  // acc[c] += channel c's dot product with the window; w moves on to the next group's weights.
  [[gnu::always_inline]] static constexpr void window_dot(const std::int32_t*& w, const std::int8_t* window,
                                                          std::int32_t (&acc)[4]) {
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated()) {
      window_lanes_m0<row / 2, row % 2 == 1, W * InC>(w, w + group_words, window, acc);
      return;
    }
#endif
    for (std::size_t ky = 0; ky < K; ++ky) {
      const std::int8_t* x = window + ky * W * InC;
      for (std::size_t j = 0; j < pairs; ++j, w += 4) {
        const std::int32_t packed = lane_input(x[2 * j], 2 * j + 1 < row ? x[2 * j + 1] : 0);
        for (std::size_t c = 0; c < 4; ++c) acc[c] = lane_mac(acc[c], packed, w[c]);
      }
    }
  }
};

}  // namespace qpipe::m0

#include "qpipe/backends/m0/asm/folded_code_end.hpp"
