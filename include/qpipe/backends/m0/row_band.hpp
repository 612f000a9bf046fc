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

#if defined(__ARM_ARCH_6M__)
// n bytes from `from` to `to`, for the band rows that words do not fit: out of line, so that GCC's
// word-wise version of the loop (some 200 B) is not part of the band loops.
[[gnu::noinline]] inline void copy_bytes_m0(const std::int8_t* from, std::int8_t* to, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
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

// A band's dimensions as values, so that one copy of the band loops (run_band_rows) serves every
// layer and geometry; per layer there remain this record (in flash) and the call of its row kernel.
struct BandShape {
  std::size_t out_height, height, kernel_height, stride_height, pad_top;
  std::size_t image_row_bytes;  // W C: from one image row to the next
  std::size_t row_bytes;        // a band row
  std::size_t pad_left_bytes;   // the band row's padding columns before the image part (pad_left C)
  std::size_t image_bytes;      // the image part of a band row (RowBand::image_columns C)
  std::size_t out_row_bytes;
  std::size_t bytes;  // the band
  bool image_rows;    // RowBand::image_rows
};
template <ops::Window G>
constexpr BandShape band_shape(std::size_t out_row_bytes) {
  using band = RowBand<G>;
  return {G.out_height,
          G.height,
          G.kernel_height,
          G.stride_height,
          G.pad_top,
          G.width * G.channels,
          band::row_bytes,
          G.pad_left * G.channels,
          band::image_columns * G.channels,
          out_row_bytes,
          band::bytes,
          band::image_rows};
}

// [from, to) to the zero point. Out of line: the band loops call it for the padding and for the
// rows above and below the image, and each inlined copy cost some 80 B.
[[gnu::noinline]] constexpr void fill_band(std::int8_t* from, std::int8_t* to, std::int8_t zero_point) {
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

// The output rows in order (run_row(rows, out): one output row of the row kernel, from the first
// of its KH rows); output row y reads input rows y SH - pad_top on, into the band or where they
// lie. The padding columns are the zero point for every output row: written once; the image part
// of each band row is written per output row.
template <class RunRow>
constexpr void run_band(const BandShape& s, std::int8_t zero_point, std::int8_t* band, const std::int8_t* in,
                        std::int8_t* out, const RunRow& run_row) {
  const std::size_t kernel_height = s.kernel_height, image_row_bytes = s.image_row_bytes, bytes = s.image_bytes;
  if (!s.image_rows) fill_band(band, band + s.bytes, zero_point);
  // Whole words in steps of 16 bytes, where every row copy's ends allow them (decided once).
#if defined(__ARM_ARCH_6M__)
  bool words = false;
  if (!std::is_constant_evaluated())
    words = bytes % 16 == 0 && ((reinterpret_cast<std::uintptr_t>(in) | reinterpret_cast<std::uintptr_t>(band) |
                                 image_row_bytes | s.row_bytes | s.pad_left_bytes) &
                                3) == 0;
#endif
  // Output row y's first window row, in image rows (negative: above the image).
  std::ptrdiff_t first = -static_cast<std::ptrdiff_t>(s.pad_top);
  for (std::size_t y = 0; y < s.out_height;
       ++y, out += s.out_row_bytes, first += static_cast<std::ptrdiff_t>(s.stride_height)) {
    if (s.image_rows && first >= 0 &&
        first + static_cast<std::ptrdiff_t>(kernel_height) <= static_cast<std::ptrdiff_t>(s.height)) {
      run_row(in + static_cast<std::size_t>(first) * image_row_bytes, out);
      continue;
    }
    // The image part of the band's rows: the row, or the zero point where it lies above or below
    // the image (r wraps round above it). Each row's start computed, not stepped to: a step past
    // the last row would leave the band, which a constant expression refuses (clang does).
    for (std::size_t ky = 0; ky < kernel_height; ++ky) {
      std::int8_t* to = band + ky * s.row_bytes + s.pad_left_bytes;
      const std::size_t r = static_cast<std::size_t>(first + static_cast<std::ptrdiff_t>(ky));
      if (r >= s.height) {
        fill_band(to, to + bytes, zero_point);
        continue;
      }
      const std::int8_t* from = in + r * image_row_bytes;
#if defined(__ARM_ARCH_6M__)
      if (!std::is_constant_evaluated()) {
        if (words) {
          copy_words_m0(from, to, bytes);
        } else {
          copy_bytes_m0(from, to, bytes);
        }
        continue;
      }
#endif
      for (std::size_t i = 0; i < bytes; ++i) to[i] = from[i];
    }
    run_row(static_cast<const std::int8_t*>(band), out);
  }
}

// One output row of a layer's row kernel at run time: its routine and the kernel it runs.
struct BandRow {
  void (*run)(const void* kernel, const std::int8_t* rows, std::int8_t* out);
  const void* kernel;
  void operator()(const std::int8_t* rows, std::int8_t* out) const { run(kernel, rows, out); }
};
// run_band at run time: one copy for every layer (inlined, each geometry had its own, 200 to 300 B
// on the M0).
[[gnu::noinline]] inline void run_band_rows(const BandShape& s, std::int8_t zero_point, std::int8_t* band,
                                            const std::int8_t* in, std::int8_t* out, BandRow row) {
  run_band(s, zero_point, band, in, out, row);
}

// The layer: the row kernel (built for RowBand<G>::row_window), the input zero point, and the
// geometry of the whole layer (Geometry: ops::ConvolutionGeometry or ops::DepthwiseGeometry of G).
template <ops::Window G, class Geometry, class RowKernel>
struct RowBandKernel : Geometry {
  using band_type = RowBand<G>;
  static constexpr std::size_t out_row_bytes = Geometry::output_size / G.out_height;
  static constexpr BandShape shape = band_shape<G>(out_row_bytes);

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
    alignas(4) std::array<std::int8_t, band_type::bytes> band;  // word-aligned: the row copies move words
    if (std::is_constant_evaluated()) {
      run_band(shape, zero_point, band.data(), in, out,
               [this](const std::int8_t* rows, std::int8_t* o) { run_row<I>(rows, o); });
    } else {
      run_band_rows(shape, zero_point, band.data(), in, out, BandRow{&run_row_of<I>, this});
    }
  }

 private:
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void run_row(const std::int8_t* rows, std::int8_t* out) const {
    if constexpr (requires(const RowKernel& k, const std::int8_t* r, std::int8_t* o) { k.template apply<I>(r, o); }) {
      row_kernel.template apply<I>(rows, out);
    } else {
      row_kernel(rows, out);
    }
  }
  template <WordImmediates I>
  static void run_row_of(const void* self, const std::int8_t* rows, std::int8_t* out) {
    static_cast<const RowBandKernel*>(self)->template run_row<I>(rows, out);
  }
};

}  // namespace qpipe::m0
