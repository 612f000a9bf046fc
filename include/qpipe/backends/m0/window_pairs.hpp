// K x K convolutions on the 1 x 1 pair kernel's channel loop (pointwise_pairs.hpp: two output
// channels' weights as lane pairs, one MUL for two products, 21 cycles per 8 MACs). A window in
// NHWC is KW columns of KH x InC inputs; the kernel packs the columns an output row reads into lane
// pairs on the stack, column by column (a column: its KH pieces of InC bytes, one per kernel row,
// then a zero lane where KH x InC is odd), the zero point wherever the window reaches past the
// image (SAME). Then every output pixel's window is one contiguous run of words, KW columns from
// its first one, and the channel loop runs over it as over a 1 x 1 pixel's packed inputs, its
// weights permuted to the same column order at compile time. A band column is packed once per
// output row (at stride 1 it serves KW windows) instead of once per window. The price: the weights
// stored as pairs, twice TFLite's bytes, and the band on the stack (window_pair_band_bytes; an
// output row wider than that runs in chunks of pixels).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/pointwise_pairs.hpp"
#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/convolution.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe::m0 {

// The stack the packed columns of one chunk of an output row take at most (more only where one
// window alone is larger), and the largest window the kernel takes.
inline constexpr std::size_t window_pair_band_bytes = 2048;
inline constexpr std::size_t window_pair_max_window_bytes = 8192;

// Where window G's lane pairs lie: a column of column_words words, a window of window_words (its
// KW columns, then zero-weight words up to a multiple of the channel loop's step, `unroll`), and
// the chunks of chunk_pixels output pixels whose columns the band holds.
template <ops::Window G>
struct WindowPairs {
  static constexpr std::size_t column_inputs = G.kernel_height * G.channels;
  static constexpr std::size_t column_words = (column_inputs + 1) / 2;
  static constexpr std::size_t tap_words = G.kernel_width * column_words;
  // The step (2, 4 or 8 pairs) with the fewest cycles: 10.5 a pair, the words rounded up to the
  // step, and 4 a step (its compare and branch).
  static constexpr std::size_t round_up(std::size_t n, std::size_t u) { return (n + u - 1) / u * u; }
  static constexpr std::size_t cost(std::size_t u) {
    return 21 * round_up(tap_words, u) + 8 * (round_up(tap_words, u) / u);
  }
  static constexpr std::size_t unroll =
      cost(8) <= cost(4) ? (cost(8) <= cost(2) ? 8 : 2) : (cost(4) <= cost(2) ? 4 : 2);
  static constexpr std::size_t window_words = round_up(tap_words, unroll);
  static constexpr std::size_t tail_words = window_words - tap_words;  // read past the last column, times zero weights
  static constexpr std::size_t pixel_words = G.stride_width * column_words;

  static constexpr std::size_t band_words_for(std::size_t pixels) {
    return ((pixels - 1) * G.stride_width + G.kernel_width) * column_words + tail_words;
  }
  static constexpr std::size_t most_pixels = [] {
    std::size_t p = 1;
    while (p < G.out_width && 4 * band_words_for(p + 1) <= window_pair_band_bytes) ++p;
    return p;
  }();
  // The row in chunks of about equal size.
  static constexpr std::size_t chunks = (G.out_width + most_pixels - 1) / most_pixels;
  static constexpr std::size_t chunk_pixels = (G.out_width + chunks - 1) / chunks;
  static constexpr std::size_t band_words = band_words_for(chunk_pixels);
};

// The kernel's reach: a K x KW window (not 1 x 1) without dilation, per-channel scales, output
// channels in twos, a window of at most window_pair_max_window_bytes as pairs.
template <ops::Window G, std::size_t Channels, std::size_t OutC>
inline constexpr bool window_pair_weights =
    G.dilation_height == 1 && G.dilation_width == 1 && G.kernel_height * G.kernel_width > 1 &&
    Channels == OutC&& OutC % 2 == 0 && 4 * WindowPairs<G>::window_words <= window_pair_max_window_bytes;

#if defined(__ARM_ARCH_6M__)
// The band columns of a one-channel image (the stems on a spectrogram) that lie wholly inside it,
// `columns` of them from the top byte of the first (from; the next column is the next byte):
// each column's Rows bytes, RowBytes apart, as Rows / 2 pairs (lane_input) and the last byte alone
// where Rows is odd (its odd lane zero). Per pair two LDRSB, LSLS, ADDS, the store and the step
// down two rows: 9 cycles, where the C++ of the column loop took about 18; per column 5 more.
template <std::size_t Rows, std::size_t RowBytes>
inline constexpr bool byte_columns_fit =
    2 * RowBytes <= 255 && Rows / 2 * 2 * RowBytes >= 1 && Rows / 2 * 2 * RowBytes - 1 <= 255 && Rows >= 2;

template <std::size_t Rows, std::size_t RowBytes>
[[gnu::always_inline]] inline void pack_byte_columns_m0(const std::int8_t* from, std::int32_t* to,
                                                        std::size_t columns) {
  static_assert(byte_columns_fit<Rows, RowBytes>);
  register std::int32_t* const end asm("r8") = to + columns * ((Rows + 1) / 2);
  const std::int32_t zero = 0, row = RowBytes;
  std::int32_t a, b;
  // clang-format off
  asm volatile(".syntax unified\n" /* volatile: its stores are its purpose */
      "1:\n\t"
      ".rept %c[pairs]\n\t"
      "ldrsb %[a], [%[x], %[zero]]\n\t"
      "ldrsb %[b], [%[x], %[row]]\n\t"
      "lsls %[b], %[b], #16\n\t"
      "adds %[a], %[b]\n\t"
      "stm %[to]!, {%[a]}\n\t"
      "adds %[x], %[two_rows]\n\t"
      ".endr\n\t"
      ".if %c[single]\n\t"
      "ldrsb %[a], [%[x], %[zero]]\n\t"
      "stm %[to]!, {%[a]}\n\t"
      ".endif\n\t"
      "subs %[x], %[back]\n\t"
      "cmp %[to], %[end]\n\t"
      "bne 1b\n\t"
      : [x] "+l"(from), [to] "+l"(to), [a] "=&l"(a), [b] "=&l"(b)
      : [zero] "l"(zero), [row] "l"(row), [end] "h"(end), [pairs] "i"(Rows / 2), [single] "i"(Rows % 2),
        [two_rows] "I"(2 * RowBytes), [back] "I"(Rows / 2 * 2 * RowBytes - 1)
      : "cc", "memory");
  // clang-format on
}

// A chunk's pixels: each one's window, pixel_words further along the band, through the channel
// loop (pair_channels_m0); the outputs one after the other. One out-of-line copy for every layer
// with the same step, immediates and record type. The records come without their type, so that
// one pointer type (WindowPairsPixels) calls the routine of every record type and set of
// immediates from the shared chunk loop (window_pairs_chunks_m0).
using WindowPairsPixels = void (*)(const void* channel, const void* end, const std::int32_t* w,
                                   const std::int32_t* band, std::size_t pixels, std::size_t pixel_words,
                                   std::size_t window_words, std::int8_t* out, std::uint32_t word);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
template <std::size_t Unroll, WordImmediates I, class Record>
[[gnu::noinline, gnu::noclone]] inline void window_pairs_pixels_m0(const void* channel, const void* end,
                                                                   const std::int32_t* w, const std::int32_t* band,
                                                                   std::size_t pixels, std::size_t pixel_words,
                                                                   std::size_t window_words, std::int8_t* out,
                                                                   std::uint32_t word) {
  const Record* const first = static_cast<const Record*>(channel);
  const Record* const last = static_cast<const Record*>(end);
  for (; pixels > 0; --pixels, band += pixel_words) {
    const std::int32_t* weights = w;
    pair_channels_m0<Unroll, I>(first, last, weights, band, band + window_words, out, word);
  }
}
#pragma GCC diagnostic pop
#endif

#if defined(__ARM_ARCH_6M__)
// `pieces` pieces of `pairs` pairs each (a multiple of Step, 2 or 4), piece i's bytes from
// from + i from_step on, its pairs (lane_input) to to + i to_step words on: a kernel row's pieces
// of the band's columns. Per pair two LDRSB, LSLS, ADDS, STM and the count's ADDS, 9 cycles as in
// pack_lane_pairs_m0 (the index k counts up to the piece's end, x and odd point past it); per
// piece 8 more, where pack_lane_pairs_m0 called per piece, the strides run-time values, took
// about 30 (ResNet-8's first 3 x 3 layer: 2.7 % more cycles than with the geometry as constants).
template <std::size_t Step>
[[gnu::always_inline]] inline void pack_pieces_m0(const std::int8_t* from, std::int32_t* to, std::size_t pairs,
                                                  std::size_t pieces, std::size_t from_step, std::size_t to_step) {
  static_assert(Step == 2 || Step == 4);
  const std::int8_t* x = from + 2 * pairs;
  const std::int8_t* odd = x + 1;
  const std::int8_t* const stop = x + pieces * from_step;
  const std::int32_t minus_bytes = -2 * static_cast<std::int32_t>(pairs);
  const std::size_t skip = 4 * (to_step - pairs);
  std::int32_t k, a, t;
  // clang-format off
  asm volatile(".syntax unified\n" /* volatile: its stores are its purpose */
      "1:\n\t"
      "mov %[k], %[minus_bytes]\n\t"
      "2:\n\t"
      ".rept %c[step]\n\t"
      "ldrsb %[a], [%[x], %[k]]\n\t"
      "ldrsb %[t], [%[odd], %[k]]\n\t"
      "lsls %[t], %[t], #16\n\t"
      "adds %[a], %[t]\n\t"
      "stm %[to]!, {%[a]}\n\t"
      "adds %[k], #2\n\t"
      ".endr\n\t"
      "bne 2b\n\t"
      "add %[to], %[skip]\n\t"
      "add %[x], %[from_step]\n\t"
      "adds %[odd], %[x], #1\n\t"
      "cmp %[x], %[stop]\n\t"
      "bne 1b\n\t"
      : [x] "+l"(x), [odd] "+l"(odd), [to] "+l"(to), [k] "=&l"(k), [a] "=&l"(a), [t] "=&l"(t)
      : [minus_bytes] "h"(minus_bytes), [skip] "h"(skip), [from_step] "h"(from_step), [stop] "h"(stop),
        [step] "i"(Step)
      : "cc", "memory");
  // clang-format on
}
#endif

// What the band's columns of an even InC take of the window, as values, so that one copy of
// their loops (pack_window_pieces) serves every layer with the same pack step: inlined with the
// geometry as constants, they were most of each such layer's code (ResNet-8's six 3 x 3 layers
// of 16 to 64 inputs took 548 to 668 B each, 176 to 180 B without). The image's rows, columns and
// channels, the kernel's rows, the strides and the leading padding: 12 bytes of flash a layer (an
// image row's bytes, W InC, a kernel row's pairs, InC / 2, and a band column's words, KH InC / 2,
// are computed from them once a call: with them the record took 44, and ResNet-8's five such
// layers cost the byte-weight backend's constants their +5 % bound).
struct WindowColumnShape {
  std::uint16_t height, width, channels;
  std::uint8_t kernel_height, stride_height, stride_width, pad_top, pad_left;
};
// A layer's shape, for geometries whose values the record holds (every layer a Cortex-M0's RAM
// can hold an image of: 65,535 rows, columns and channels; kernels, strides and padding to 255).
template <ops::Window G>
consteval WindowColumnShape window_column_shape() {
  constexpr std::size_t wide = 65535, narrow = 255;
  static_assert(G.height <= wide && G.width <= wide && G.channels <= wide && G.kernel_height <= narrow &&
                    G.stride_height <= narrow && G.stride_width <= narrow && G.pad_top <= narrow &&
                    G.pad_left <= narrow,
                "qpipe: a K x K convolution's image has more than 65,535 rows, columns or channels, or its kernel, "
                "strides or padding exceed 255: the Cortex-M0 kernel's band record (WindowColumnShape) cannot hold it");
  return {static_cast<std::uint16_t>(G.height),       static_cast<std::uint16_t>(G.width),
          static_cast<std::uint16_t>(G.channels),     static_cast<std::uint8_t>(G.kernel_height),
          static_cast<std::uint8_t>(G.stride_height), static_cast<std::uint8_t>(G.stride_width),
          static_cast<std::uint8_t>(G.pad_top),       static_cast<std::uint8_t>(G.pad_left)};
}

// `pieces` pieces of `pairs` words (both at least 1), `step` words apart from `to` on, to `padding`:
// the band's pieces on the padding. On the M0 in assembly, 5 cycles a word: GCC's loop, unrolled
// and peeled, took some 200 B at each of the three places.
[[gnu::always_inline]] constexpr void fill_window_pieces(std::int32_t* to, std::size_t pieces, std::size_t pairs,
                                                         std::size_t step, std::int32_t padding) {
#if defined(__ARM_ARCH_6M__)
  if (!std::is_constant_evaluated()) {
    const std::size_t skip = 4 * (step - pairs);
    std::size_t k;
    // clang-format off
    asm volatile(".syntax unified\n" /* volatile: its stores are its purpose */
        "1:\n\t"
        "mov %[k], %[pairs]\n\t"
        "2:\n\t"
        "stm %[to]!, {%[padding]}\n\t"
        "subs %[k], #1\n\t"
        "bne 2b\n\t"
        "add %[to], %[skip]\n\t"
        "subs %[pieces], #1\n\t"
        "bne 1b\n\t"
        : [to] "+l"(to), [pieces] "+l"(pieces), [k] "=&l"(k)
        : [pairs] "r"(pairs), [skip] "h"(skip), [padding] "l"(padding)
        : "cc", "memory");
    // clang-format on
    return;
  }
#endif
  for (std::size_t c = 0; c < pieces; ++c)
    for (std::size_t j = 0; j < pairs; ++j) to[c * step + j] = padding;
}

// A kernel row's pieces of the band's columns that lie in the image: `pieces` pieces of `pairs`
// pairs, piece i's bytes from from + i from_step on, its pairs to to + i to_step words on. Each
// piece's start computed, not stepped to: a step past the band's or the image's end is refused in
// a constant expression.
template <std::size_t Step>
[[gnu::always_inline]] constexpr void pack_image_pieces(const std::int8_t* from, std::int32_t* to, std::size_t pairs,
                                                        std::size_t pieces, std::size_t from_step,
                                                        std::size_t to_step) {
#if defined(__ARM_ARCH_6M__)
  if constexpr (Step != 0) {
    if (!std::is_constant_evaluated()) {
      pack_pieces_m0<Step>(from, to, pairs, pieces, from_step, to_step);
      return;
    }
  }
#endif
  for (std::size_t c = 0; c < pieces; ++c) {
    const std::int8_t* const piece = from + c * from_step;
    for (std::size_t j = 0; j < pairs; ++j) to[c * to_step + j] = lane_input(piece[2 * j], piece[2 * j + 1]);
  }
}

// A band column's kernel rows, each a piece of s.pairs pairs (the image's, or `padding` where the
// window reaches past it), for the windows of output row y from output column x on: count columns.
// Step: pack_lane_pairs_m0's pairs a step where InC is a multiple of four (pair_pack_step), else 0
// (the pairs in C++).
template <std::size_t Step>
constexpr void pack_window_pieces(const WindowColumnShape& s, const std::int8_t* in, std::size_t y, std::size_t x,
                                  std::size_t count, std::int32_t* band, std::int32_t padding) {
  const std::size_t column_bytes = s.channels, pairs = column_bytes / 2, column_words = s.kernel_height * pairs;
  const std::size_t row_bytes = std::size_t{s.width} * column_bytes;
  const std::ptrdiff_t top = static_cast<std::ptrdiff_t>(y * s.stride_height) - static_cast<std::ptrdiff_t>(s.pad_top);
  const std::ptrdiff_t left = static_cast<std::ptrdiff_t>(x * s.stride_width) - static_cast<std::ptrdiff_t>(s.pad_left);
  // The band's columns [first, last) lie in the image, those before and after on the padding.
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(count);
  const std::size_t first = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(-left, 0, n));
  const std::size_t last = static_cast<std::size_t>(
      std::clamp<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(s.width) - left, static_cast<std::ptrdiff_t>(first), n));
  // Kernel row by kernel row: a row's pieces, column_words apart, from one image row (or none).
  for (std::size_t ky = 0; ky < s.kernel_height; ++ky) {
    std::int32_t* const to = band + ky * pairs;
    const std::size_t row = static_cast<std::size_t>(top + static_cast<std::ptrdiff_t>(ky));  // wraps round above
    const bool row_inside = row < s.height;
    if (row_inside && last > first)
      pack_image_pieces<Step>(
          in + row * row_bytes + static_cast<std::size_t>(left + static_cast<std::ptrdiff_t>(first)) * column_bytes,
          to + first * column_words, pairs, last - first, column_bytes, column_words);
    // The pieces on the padding: the columns before and after the image's, or all of them.
    if (!row_inside) {
      fill_window_pieces(to, count, pairs, column_words, padding);
    } else {
      if (first > 0) fill_window_pieces(to, first, pairs, column_words, padding);
      if (last < count) fill_window_pieces(to + last * column_words, count - last, pairs, column_words, padding);
    }
  }
}
// pack_window_pieces at run time: one copy for every layer with the same step (noclone: no copy
// per layer with its shape's values propagated; see pointwise_pairs_pixels_m0).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
template <std::size_t Step>
[[gnu::noinline, gnu::noclone]] inline void pack_window_pieces_shared(const WindowColumnShape& s, const std::int8_t* in,
                                                                      std::size_t y, std::size_t x, std::size_t count,
                                                                      std::int32_t* band, std::int32_t padding) {
  pack_window_pieces<Step>(s, in, y, x, count, band, padding);
}
#pragma GCC diagnostic pop

// The band's columns (the K x K pair kernels': this one and the byte-weight one, byte_pairs.hpp),
// `padding` (lane_input of the zero point twice) where a window reaches past the image.
template <ops::Window G>
struct WindowColumns {
  static constexpr std::size_t InC = G.channels, KH = G.kernel_height;
  static constexpr std::size_t column_words = WindowPairs<G>::column_words;
  // An even InC: each kernel row's piece is whole pairs, packed by pack_window_pieces.
  static constexpr std::size_t pack_step = InC % 4 == 0 ? pair_pack_step<InC> : 0;
  // A chunk of fewer than 256 pairs (a small image: the ResNet-18 block example's 4 x 4 outputs
  // take 72) pays the shared copy's fixed cost, some 240 cycles a chunk (the call, the loops'
  // set-up from the shape), on too little work: there pack_window_pieces is inlined, the shape's
  // values constants.
  static constexpr bool shared = WindowPairs<G>::band_words - WindowPairs<G>::tail_words >= 256;
  static constexpr WindowColumnShape shape = window_column_shape<G>();
  static_assert(InC % 2 != 0 || column_words == KH * InC / 2);

  // The band's columns for the windows of output row y from output column x on: count columns.
  static constexpr void pack(const std::int8_t* in, std::size_t y, std::size_t x, std::size_t count, std::int32_t* band,
                             std::int32_t padding) {
    if constexpr (InC % 2 == 0) {
      if (std::is_constant_evaluated() || !shared) {
        pack_window_pieces<pack_step>(shape, in, y, x, count, band, padding);
      } else {
        pack_window_pieces_shared<pack_step>(shape, in, y, x, count, band, padding);
      }
    } else {
      pack_odd(in, y, x, count, band, padding);
    }
  }
  // An odd InC: the pairs cross the kernel rows' pieces.
  static constexpr void pack_odd(const std::int8_t* in, std::size_t y, std::size_t x, std::size_t count,
                                 std::int32_t* band, std::int32_t padding) {
    const std::ptrdiff_t top =
        static_cast<std::ptrdiff_t>(y * G.stride_height) - static_cast<std::ptrdiff_t>(G.pad_top);
    const std::ptrdiff_t left =
        static_cast<std::ptrdiff_t>(x * G.stride_width) - static_cast<std::ptrdiff_t>(G.pad_left);
#if defined(__ARM_ARCH_6M__)
    if constexpr (InC == 1 && byte_columns_fit<KH, G.width>) {
      // One channel, the window's rows all inside the image: the padding's columns at the ends,
      // the columns between in assembly.
      if (!std::is_constant_evaluated() && top >= 0 &&
          top + static_cast<std::ptrdiff_t>(KH) <= static_cast<std::ptrdiff_t>(G.height) && count > 0) {
        const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(count), width = static_cast<std::ptrdiff_t>(G.width);
        const std::ptrdiff_t first = std::clamp<std::ptrdiff_t>(-left, 0, n), last = std::clamp(width - left, first, n);
        for (std::ptrdiff_t j = 0; j < first * static_cast<std::ptrdiff_t>(column_words); ++j) band[j] = padding;
        for (std::ptrdiff_t j = last * static_cast<std::ptrdiff_t>(column_words);
             j < n * static_cast<std::ptrdiff_t>(column_words); ++j)
          band[j] = padding;
        if (last > first)
          pack_byte_columns_m0<KH, G.width>(in + top * width + left + first, band + first * column_words,
                                            static_cast<std::size_t>(last - first));
        return;
      }
    }
#endif
    for (std::size_t c = 0; c < count; ++c, band += column_words) {
      const std::ptrdiff_t column = left + static_cast<std::ptrdiff_t>(c);
      const bool column_inside = column >= 0 && column < static_cast<std::ptrdiff_t>(G.width);
      if (!column_inside) {
        // A column on the padding (SAME's left and right): the zero point's pairs, the odd last
        // input's lane too (it meets a zero weight).
        for (std::size_t j = 0; j < column_words; ++j) band[j] = padding;
      } else if (top >= 0 && top + static_cast<std::ptrdiff_t>(KH) <= static_cast<std::ptrdiff_t>(G.height)) {
        // The whole column inside the image (most of a stem's): its pairs straight from the input,
        // each byte at an offset known at compile time.
        pack_inside_column(in + (static_cast<std::size_t>(top) * G.width + static_cast<std::size_t>(column)) * InC,
                           band);
      } else {
        // Pairs across the kernel rows' pieces: the column's bytes first.
        std::array<std::int8_t, 2 * column_words> bytes{};
        const std::int8_t zero_point = static_cast<std::int8_t>(padding);
        for (std::size_t ky = 0; ky < KH; ++ky) {
          const std::ptrdiff_t row = top + static_cast<std::ptrdiff_t>(ky);
          const bool inside = column_inside && row >= 0 && row < static_cast<std::ptrdiff_t>(G.height);
          const std::int8_t* from =
              inside ? in + (static_cast<std::size_t>(row) * G.width + static_cast<std::size_t>(column)) * InC
                     : nullptr;
          for (std::size_t i = 0; i < InC; ++i) bytes[ky * InC + i] = inside ? from[i] : zero_point;
        }
        for (std::size_t j = 0; j < column_words; ++j) band[j] = lane_input(bytes[2 * j], bytes[2 * j + 1]);
      }
    }
  }
  // A column of an odd InC wholly inside the image, from its top byte: input e of the column (kernel
  // row e / InC, channel e % InC) is e / InC rows below, the last pair's odd lane (past the
  // column's inputs) zero.
  static constexpr std::size_t column_inputs = WindowPairs<G>::column_inputs;
  static constexpr std::size_t column_offset(std::size_t e) { return e / InC * G.width * InC + e % InC; }
  [[gnu::always_inline]] static constexpr void pack_inside_column(const std::int8_t* from, std::int32_t* to) {
    for (std::size_t j = 0; j < column_words; ++j) {
      const std::int32_t odd = 2 * j + 1 < column_inputs ? from[column_offset(2 * j + 1)] : 0;
      to[j] = lane_input(from[column_offset(2 * j)], odd);
    }
  }
};

#if defined(__ARM_ARCH_6M__)
// What the chunk loop of a layer whose band columns are packed by the shared routine
// (WindowColumns<G>::shared) reads at run time, one in flash per layer and set of immediates:
// the band's columns (WindowColumnShape), the output rows, columns and channels, the chunks'
// pixels, the kernel's columns, a window's words, the channel records' bytes (the loop does not
// know their type) and the routine of a chunk's pixels. Inlined with the geometry as constants,
// the loop was a copy in every such layer's code; with the geometry as values, one copy serves
// them all. The byte-weight kernel (byte_pairs.hpp) keeps its own loop: its constants are near
// their bound, and a record a layer would cross it.
struct WindowPairChunks {
  WindowPairsPixels pixels;
  WindowColumnShape columns;
  std::uint16_t out_height, out_width, outputs, chunk_pixels, window_words, channel_bytes, kernel_width;
};

// The output rows in order, each in chunks from the left: a chunk's band columns packed
// (pack_window_pieces_shared), then its pixels (s.pixels). band is the layer's, on its caller's
// stack (so that -fstack-usage's bound stays the sum of known frames), with its zero-weight tail
// set. One copy for every layer with the same pack step (noclone: no copy per layer with its
// record's values propagated). The record's fields are read where they are used, not held: the
// calls may change memory, so held they would take registers and stack across both calls.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
template <std::size_t Step>
[[gnu::noinline, gnu::noclone]] inline void window_pairs_chunks_m0(const WindowPairChunks& s, const void* channel,
                                                                   const std::int32_t* w, const std::int8_t* in,
                                                                   std::int8_t* out, std::uint32_t word,
                                                                   std::int32_t padding, std::int32_t* band) {
  std::size_t y = 0;
  do {
    for (std::size_t x = 0, left = s.out_width; left > 0;) {
      const std::size_t pixels = left < s.chunk_pixels ? left : s.chunk_pixels;
      const WindowColumnShape& c = s.columns;
      pack_window_pieces_shared<Step>(c, in, y, x, (pixels - 1) * c.stride_width + s.kernel_width, band, padding);
      s.pixels(channel, static_cast<const char*>(channel) + s.channel_bytes, w, band, pixels,
               c.stride_width * c.kernel_height * (c.channels / 2u), s.window_words, out, word);
      out += pixels * s.outputs;
      x += pixels;
      left -= pixels;
    }
  } while (++y < s.out_height);
}
#pragma GCC diagnostic pop
#endif

// The layer (any padding and strides, G's geometry): the weights as lane pairs [channel pair][window
// word][channel], the channel records and requantization of the 1 x 1 pair kernel (QuadRecords),
// the input zero point's pair for the taps on padding.
template <ops::Window G, std::size_t OutC, bool TwoSided>
struct WindowPairKernel : ops::ConvolutionGeometry<G, OutC, OutC>,
                          QuadRecords<OutC, TwoSided, true>,
                          WordImmediateKernel<WindowPairKernel<G, OutC, TwoSided>> {
  using geometry = ops::ConvolutionGeometry<G, OutC, OutC>;
  using layout = WindowPairs<G>;
  using columns = WindowColumns<G>;
  using geometry::out_height;
  using geometry::out_width;
  static constexpr std::size_t InC = G.channels, KH = G.kernel_height, KW = G.kernel_width;
  static constexpr std::size_t column_words = layout::column_words, window_words = layout::window_words;
  static_assert(G.dilation_height == 1 && G.dilation_width == 1);

  // The output rows in order (each in chunks from the left); once output row y has a byte
  // written, the kernel reads input rows y SH - pad_top on, into the band on the stack: the
  // output may lie over the input (detail/read_front.hpp).
  static constexpr std::array<detail::ReadFront, 2> read_fronts{
      detail::window_rows(out_height, out_width* OutC, G.height, G.width* InC, G.stride_height, G.pad_top)};

  std::array<std::int32_t, OutC * window_words> weight;

  static constexpr std::size_t weight_index(std::size_t o, std::size_t j) {
    return (o / 2 * window_words + j) * 2 + o % 2;
  }

  // n = (ky KW + kx) InC + i, TFLite's order; the window's input e = kx column_inputs' pairs + ky
  // InC + i, the high lane of word e / 2 where e is even (lane_weight). Either lane may be set
  // first.
  constexpr void set_weight(std::size_t o, std::size_t n, std::int8_t w) {
    const std::size_t ky = n / (KW * InC), kx = n / InC % KW, i = n % InC;
    const std::size_t e = kx * 2 * column_words + ky * InC + i;
    std::int32_t& pair = weight[weight_index(o, e / 2)];
    const std::int32_t low =
        static_cast<std::int16_t>(static_cast<std::uint16_t>(static_cast<std::uint32_t>(pair) & 0xffffu));
    const std::int32_t high = (pair - low) / 65536;
    pair = e % 2 == 0 ? lane_weight(w, low) : lane_weight(high, w);
  }

  // The immediates of the routine of a chunk's pixels under I, and the word it takes: three pieces
  // read b and the shift from the word (the channel loop's _REGISTER steps: one copy for the layers
  // of a record type whose b or shift differ); the folded halves take the word's fields as I holds
  // them, the shift alone handed over.
  template <WordImmediates I>
  static constexpr WordImmediates pixels_immediates = I.three_pieces ? I.without_piece_bits() : I.without_shift();
  template <WordImmediates I>
  constexpr std::uint32_t pixels_word() const {
    return I.three_pieces ? this->word : I.handed_word(this->word);
  }

#if defined(__ARM_ARCH_6M__)
  // The layers the shared chunk loop (window_pairs_chunks_m0) takes: band columns packed by the
  // shared routine (an even InC, chunks large enough: WindowColumns::shared) and a geometry its
  // record's 16-bit fields hold.
  static constexpr bool shared_chunks = InC % 2 == 0 && columns::shared && out_height <= 65535 && out_width <= 65535 &&
                                        OutC * sizeof(typename WindowPairKernel::Record) <= 65535 && KW <= 65535;
  // The shared loop steps from window to window by what the column shape gives (an even InC's
  // columns are KH InC / 2 words): the layout's step, which the inlined loop takes.
  static_assert(!shared_chunks ||
                columns::shape.stride_width * columns::shape.kernel_height * (columns::shape.channels / 2u) ==
                    layout::pixel_words);
  // The record of the shared chunk loop for the immediates I.
  template <WordImmediates I>
  static constexpr WindowPairChunks chunks{
      &window_pairs_pixels_m0<layout::unroll, pixels_immediates<I>, typename WindowPairKernel::Record>,
      columns::shape,
      static_cast<std::uint16_t>(out_height),
      static_cast<std::uint16_t>(out_width),
      static_cast<std::uint16_t>(OutC),
      static_cast<std::uint16_t>(layout::chunk_pixels),
      static_cast<std::uint16_t>(window_words),
      static_cast<std::uint16_t>(OutC * sizeof(typename WindowPairKernel::Record)),
      static_cast<std::uint16_t>(KW)};
#endif

  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    // Where the band's columns are packed by the shared routine and the channel loop is the
    // assembly one, the loop over rows and chunks runs out of line too: one copy for every such
    // layer. The band stays in this frame, so that -fstack-usage counts it where it was.
    if constexpr (shared_chunks) {
      if (!std::is_constant_evaluated() && (this->folded || I.three_pieces)) {
        std::array<std::int32_t, layout::band_words> band;
        for (std::size_t j = layout::band_words - layout::tail_words; j < layout::band_words; ++j) band[j] = 0;
        window_pairs_chunks_m0<columns::pack_step>(chunks<I>, this->channel.data(), weight.data(), in, out,
                                                   pixels_word<I>(), this->padding(), band.data());
        return;
      }
    }
#endif
    std::array<std::int32_t, layout::band_words> band;
    // The words past the last column meet zero weights; a chunk's band is never shorter than the
    // windows of its pixels read, the last chunk's reading the earlier ones' columns.
    for (std::size_t j = layout::band_words - layout::tail_words; j < layout::band_words; ++j) band[j] = 0;
    const std::int32_t padding = this->padding();
    for (std::size_t y = 0; y < out_height; ++y) {
      for (std::size_t x = 0; x < out_width; x += layout::chunk_pixels) {
        const std::size_t pixels = out_width - x < layout::chunk_pixels ? out_width - x : layout::chunk_pixels;
        WindowColumns<G>::pack(in, y, x, (pixels - 1) * G.stride_width + KW, band.data(), padding);
        run_pixels<I>(band.data(), pixels, out + (y * out_width + x) * OutC);
      }
    }
  }

  // The codes of `pixels` output pixels whose windows start pixel_words apart from band on.
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void run_pixels(const std::int32_t* band, std::size_t pixels,
                                                   std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated()) {
      if (this->folded || I.three_pieces) {
        window_pairs_pixels_m0<layout::unroll, pixels_immediates<I>, typename WindowPairKernel::Record>(
            this->channel.data(), this->channel.data() + OutC, weight.data(), band, pixels, layout::pixel_words,
            window_words, out, pixels_word<I>());
        return;
      }
      // Another form: the sums in assembly (pair_sums_m0), the codes in C++.
      for (std::size_t p = 0; p < pixels; ++p) {
        const std::int32_t* x = band + p * layout::pixel_words;
        const std::int32_t* w = weight.data();
#pragma GCC unroll 1
        for (std::size_t o = 0; o < OutC; o += 2) {
          std::int32_t acc0 = this->channel[o].bias, acc1 = this->channel[o + 1].bias;
          pair_sums_m0<layout::unroll>(w, x, x + window_words, acc0, acc1);
          *out++ = this->code(acc0, o);
          *out++ = this->code(acc1, o + 1);
        }
      }
      return;
    }
#endif
    // (Each window's start computed, not stepped to: a step past the band's end is refused in a
    // constant expression where the stride exceeds the kernel.)
    for (std::size_t p = 0; p < pixels; ++p) {
      const std::int32_t* x = band + p * layout::pixel_words;
      for (std::size_t o = 0; o < OutC; ++o) {
        std::int32_t acc = this->channel[o].bias;
        for (std::size_t j = 0; j < window_words; ++j) acc = lane_mac(acc, x[j], weight[weight_index(o, j)]);
        *out++ = this->code(acc, o);
      }
    }
  }
};

}  // namespace qpipe::m0
