// Windows that the M0's kernels do not take as they are -- SAME padding, one stride per axis --
// run one output row at a time. An output row reads KH input rows; those rows, with the input zero
// point wherever the window reaches past the image, form a band, and a kernel built for a one-row
// VALID window over the band's width computes the row. That is TFLite's padding exactly: a padded
// input equals the zero point, and the kernels' folded biases (folded_biases) count every tap's
// weight times the zero point, so a tap on padding adds nothing, as in the reference. Every
// output pixel, border or not, runs on the kernel's fast path; the price is the band (KH rows, on
// the stack) and its copy, about one byte per output row's window column, where the padded copy
// of the whole image (QPad2D) cost a second tensor in the arena.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe::m0 {

#if defined(__ARM_ARCH_6M__)
// n bytes, a multiple of 16, from `from` to `to`, both word-aligned: four words a step (LDM, STM),
// about 0.8 cycles a byte where picolibc's memcpy, a byte loop, takes 10.
[[gnu::always_inline]] inline void copy_words_m0(const std::int8_t* from, std::int8_t* to, std::size_t n) {
  const std::int8_t* const end = from + n;
  // The four words in r4-r7, ascending as LDM and STM list them.
  register std::uint32_t a asm("r4"), b asm("r5"), c asm("r6"), d asm("r7");
  // clang-format off
  asm volatile(".syntax unified\n"  // volatile: its stores are its purpose
      "1:\n\t"
      "ldm %[from]!, {%[a], %[b], %[c], %[d]}\n\t"
      "stm %[to]!, {%[a], %[b], %[c], %[d]}\n\t"
      "cmp %[from], %[end]\n\t"
      "bne 1b"
      : [from] "+l"(from), [to] "+l"(to), [a] "=&l"(a), [b] "=&l"(b), [c] "=&l"(c), [d] "=&l"(d)
      : [end] "h"(end)
      : "cc", "memory");
  // clang-format on
}
#endif

// The band of a window: how wide its rows are and the one-row VALID window its kernel runs.
template <ops::Window G>
struct RowBand {
  static_assert(G.dilation_height == 1 && G.dilation_width == 1, "a band holds a window's rows without gaps");
  // The columns the output row's windows span, padding included.
  static constexpr std::size_t span = (G.out_width - 1) * G.stride_width + G.kernel_width;
  // No column of padding: the band's rows are image rows, and an output row whose window rows all
  // lie in the image reads them where they are.
  static constexpr bool image_rows = G.pad_left == 0 && span <= G.width;
  static constexpr std::size_t width = image_rows ? G.width : span;
  static constexpr std::size_t row_bytes = width * G.channels;
  static constexpr std::size_t bytes = G.kernel_height * row_bytes;
  // The columns of an image row that the band holds, from column pad_left on.
  static constexpr std::size_t image_columns = width - G.pad_left < G.width ? width - G.pad_left : G.width;
  static constexpr ops::Window row_window = ops::valid_window(G.kernel_height, width, G.channels, G.kernel_height,
                                                              G.kernel_width, G.stride_width, G.stride_width);
  static_assert(row_window.out_height == 1 && row_window.out_width == G.out_width);
};

#if defined(__ARM_ARCH_6M__)
// n bytes, a multiple of 16, from `to` on (word-aligned) to the byte that `word` repeats: four words
// a step (STM), about half a cycle a byte, where picolibc's memset, which GCC makes of a byte loop,
// stores a byte in 8 cycles (the zero-point rows of a band: 3 KiB at 128 channels). Out of line:
// inlined, its four fixed registers cost the band loops around it more than the call.
[[gnu::noinline]] inline void fill_words_m0(std::int8_t* to, std::size_t n, std::uint32_t word) {
  std::int8_t* const end = to + n;
  // The same word in r4-r7, for STM.
  register std::uint32_t a asm("r4") = word, b asm("r5") = word, c asm("r6") = word, d asm("r7") = word;
  // clang-format off
  asm volatile(".syntax unified\n"  // volatile: its stores are its purpose
      "1:\n\t"
      "stm %[to]!, {%[a], %[b], %[c], %[d]}\n\t"
      "cmp %[to], %[end]\n\t"
      "bne 1b"
      : [to] "+l"(to)
      : [a] "l"(a), [b] "l"(b), [c] "l"(c), [d] "l"(d), [end] "h"(end)
      : "cc", "memory");
  // clang-format on
}
#endif

// The layer: the row kernel (built for RowBand<G>::row_window), the input zero point, and the
// geometry of the whole layer (Geometry: ops::ConvolutionGeometry or ops::DepthwiseGeometry of G).
template <ops::Window G, class Geometry, class RowKernel>
struct RowBandKernel : Geometry {
  using band_type = RowBand<G>;
  static constexpr std::size_t out_row_bytes = Geometry::output_size / G.out_height;

  // The output rows in order; output row y reads input rows y SH - pad_top on (into the band,
  // which is the kernel's own, or where they lie), so the arena planner may lay the output over
  // the input (detail/read_front.hpp).
  static constexpr std::array<detail::ReadFront, 2> read_fronts{
      detail::window_rows(G.out_height, out_row_bytes, G.height, G.width* G.channels, G.stride_height, G.pad_top)};

  RowKernel row_kernel;
  std::int8_t zero_point;

  // What qpipe::run hands apply: the row kernel's word fields, where it takes them.
  using immediates_type = WordImmediates;
  constexpr WordImmediates immediates() const {
    if constexpr (requires(const RowKernel& k) { k.immediates(); }) {
      return row_kernel.immediates();
    } else {
      return {};
    }
  }

  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const { apply<WordImmediates{}>(in, out); }

  template <WordImmediates I>
  constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
    // The padding columns are the zero point for every output row: written once; the image part
    // of each band row is written per output row.
    alignas(4) std::array<std::int8_t, band_type::bytes> band;  // word-aligned: the row copies move words
    if constexpr (!band_type::image_rows) fill(band.data(), band.data() + band.size());
    for (std::size_t y = 0; y < G.out_height; ++y, out += out_row_bytes) {
      const std::ptrdiff_t first = first_row(y);
      const bool inside =
          first >= 0 && first + static_cast<std::ptrdiff_t>(G.kernel_height) <= static_cast<std::ptrdiff_t>(G.height);
      if (band_type::image_rows && inside) {
        run_row<I>(in + static_cast<std::size_t>(first) * G.width * G.channels, out);
        continue;
      }
      copy_rows(in, first, band.data());
      run_row<I>(band.data(), out);
    }
  }

 private:
  // Output row y's first window row, in image rows (negative: above the image).
  static constexpr std::ptrdiff_t first_row(std::size_t y) {
    return static_cast<std::ptrdiff_t>(y * G.stride_height) - static_cast<std::ptrdiff_t>(G.pad_top);
  }
  // The image part of the band's rows from image row `first` on: the row, or the zero point
  // where it lies above or below the image.
  constexpr void copy_rows(const std::int8_t* in, std::ptrdiff_t first, std::int8_t* band) const {
    constexpr std::size_t C = G.channels, bytes = band_type::image_columns * C;
    for (std::size_t ky = 0; ky < G.kernel_height; ++ky) {
      const std::ptrdiff_t r = first + static_cast<std::ptrdiff_t>(ky);
      std::int8_t* to = band + ky * band_type::row_bytes + G.pad_left * C;
      if (r < 0 || r >= static_cast<std::ptrdiff_t>(G.height)) {
        fill(to, to + bytes);
      } else {
        const std::int8_t* from = in + static_cast<std::size_t>(r) * G.width * C;
#if defined(__ARM_ARCH_6M__)
        if constexpr (bytes % 16 == 0) {
          if (!std::is_constant_evaluated() &&
              ((reinterpret_cast<std::uintptr_t>(from) | reinterpret_cast<std::uintptr_t>(to)) & 3) == 0) {
            copy_words_m0(from, to, bytes);
            continue;
          }
        }
#endif
        for (std::size_t i = 0; i < bytes; ++i) to[i] = from[i];
      }
    }
  }
  constexpr void fill(std::int8_t* from, std::int8_t* to) const {
#if defined(__ARM_ARCH_6M__)
    // Bytes up to a word boundary, then words in steps of 16 bytes, then bytes.
    if (!std::is_constant_evaluated()) {
      for (; from != to && (reinterpret_cast<std::uintptr_t>(from) & 3) != 0; ++from) *from = zero_point;
      const std::size_t whole = static_cast<std::size_t>(to - from) & ~std::size_t{15};
      if (whole != 0) {
        fill_words_m0(from, whole, 0x01010101u * static_cast<std::uint8_t>(zero_point));
        from += whole;
      }
    }
#endif
    for (; from != to; ++from) *from = zero_point;
  }
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void run_row(const std::int8_t* rows, std::int8_t* out) const {
    if constexpr (requires(const RowKernel& k, const std::int8_t* r, std::int8_t* o) { k.template apply<I>(r, o); }) {
      row_kernel.template apply<I>(rows, out);
    } else {
      row_kernel(rows, out);
    }
  }
};

}  // namespace qpipe::m0
