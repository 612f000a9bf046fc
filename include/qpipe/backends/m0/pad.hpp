// The Cortex-M0's padding: the byte runs a zero-padding pass writes, and the loop that writes them. A padded NHWC image is,
// in memory order: fill (the top rows and the first row's left border), then for every input row
// its W * C bytes and the fill between it and the next row (right border + left border), the last
// row followed by the right border and the bottom rows. So a pad is one loop over the input rows
// whatever its geometry, and one copy of it serves every pad of a network.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/pad.hpp"

namespace qpipe::m0 {

struct PadRuns {
  std::uint32_t rows;  // H
  std::uint32_t row_bytes;  // W * C
  std::uint32_t first_fill;  // (Top * OW + Left) * C
  std::uint32_t between_fill;  // (Right + Left) * C
  std::uint32_t last_fill;  // (Right + Bottom * OW) * C
};

template <std::size_t H, std::size_t W, std::size_t C, std::size_t Top, std::size_t Bottom, std::size_t Left,
          std::size_t Right>
inline constexpr PadRuns pad_runs{H, W* C, ((Top * (W + Left + Right)) + Left) * C, (Right + Left) * C,
                                  (Right + Bottom * (W + Left + Right)) * C};

constexpr void write_pad_bytes(const std::int8_t* in, std::int8_t* out, const PadRuns& r, std::int8_t fill) {
  for (std::uint32_t n = 0; n < r.first_fill; ++n) *out++ = fill;
  for (std::uint32_t y = 0; y < r.rows; ++y) {
    for (std::uint32_t n = 0; n < r.row_bytes; ++n) *out++ = *in++;
    const std::uint32_t gap = y + 1 < r.rows ? r.between_fill : r.last_fill;
    for (std::uint32_t n = 0; n < gap; ++n) *out++ = fill;
  }
}

#if defined(__ARM_ARCH_6M__)
// The same on the M0, out of line (one copy for all the pads of a network), in Thumb-1 assembly so
// that GCC does not turn the loops into calls of the C library's memset and memcpy. Whole words
// where every run is a multiple of 4 bytes between word-aligned buffers: STM of the fill pattern
// (6 cycles a word), LDM/STM pairs for the rows (5 cycles a word); otherwise bytes, each run
// walked backwards with one index for both pointers (STRB 6 cycles a byte, LDRB + STRB 8).
[[gnu::noinline]] inline void write_pad_m0(const std::int8_t* in, std::int8_t* out, const PadRuns& r,
                                           std::uint32_t fill4, bool words) {
  const auto fill = [&](std::uint32_t n) {  // n bytes
    if (n == 0) return;
    if (words) {
      n /= 4;
      // clang-format off
      asm volatile(".syntax unified\n"
                   "1:\n\t"
                   "stmia %[out]!, {%[f]}\n\t"
                   "subs %[n], #1\n\t"
                   "bne 1b"
                   : [out] "+l"(out), [n] "+l"(n)
                   : [f] "l"(fill4)
                   : "cc", "memory");
      // clang-format on
    } else {
      std::int8_t* const start = out;
      out += n;
      // clang-format off
      asm volatile(".syntax unified\n"
                   "1:\n\t"
                   "subs %[n], #1\n\t"
                   "strb %[f], [%[start], %[n]]\n\t"
                   "bne 1b"
                   : [n] "+l"(n)
                   : [f] "l"(fill4), [start] "l"(start)
                   : "cc", "memory");
      // clang-format on
    }
  };
  fill(r.first_fill);
  for (std::uint32_t y = r.rows; y > 0; --y) {
    if (words) {
      std::uint32_t n = r.row_bytes / 4;
      // LDM and STM take their registers in ascending order: name two that are.
      register std::uint32_t a asm("r4");
      register std::uint32_t b asm("r5");
      if (n & 1) {
        // clang-format off
        asm volatile(".syntax unified\n\t"
                     "ldmia %[in]!, {%[a]}\n\t"
                     "stmia %[out]!, {%[a]}"
                     : [in] "+l"(in), [out] "+l"(out), [a] "=&l"(a)
                     :
                     : "memory");
        // clang-format on
      }
      n /= 2;
      if (n != 0) {
        // clang-format off
        asm volatile(".syntax unified\n"
                     "1:\n\t"
                     "ldmia %[in]!, {%[a], %[b]}\n\t"
                     "stmia %[out]!, {%[a], %[b]}\n\t"
                     "subs %[n], #1\n\t"
                     "bne 1b"
                     : [in] "+l"(in), [out] "+l"(out), [n] "+l"(n), [a] "=&l"(a), [b] "=&l"(b)
                     :
                     : "cc", "memory");
        // clang-format on
      }
    } else {
      std::uint32_t n = r.row_bytes, t;  // at least one byte
      // clang-format off
      asm volatile(".syntax unified\n"
                   "1:\n\t"
                   "subs %[n], #1\n\t"
                   "ldrb %[t], [%[in], %[n]]\n\t"
                   "strb %[t], [%[out], %[n]]\n\t"
                   "bne 1b"
                   : [n] "+l"(n), [t] "=&l"(t)
                   : [in] "l"(in), [out] "l"(out)
                   : "cc", "memory");
      // clang-format on
      in += r.row_bytes;
      out += r.row_bytes;
    }
    fill(y > 1 ? r.between_fill : r.last_fill);
  }
}
#endif

// Writes the padded image. On the M0, whole words when the channel count allows it (C % 4 == 0
// makes every run a multiple of 4 bytes) and both buffers are word-aligned.
template <bool WholeWords>
constexpr void write_pad(const std::int8_t* in, std::int8_t* out, const PadRuns& r, std::int8_t fill) {
#if defined(__ARM_ARCH_6M__)
  if (!std::is_constant_evaluated()) {
    const bool aligned = ((reinterpret_cast<std::uintptr_t>(in) | reinterpret_cast<std::uintptr_t>(out)) & 3) == 0;
    write_pad_m0(in, out, r, static_cast<std::uint8_t>(fill) * 0x01010101u, WholeWords && aligned);
    return;
  }
#endif
  write_pad_bytes(in, out, r, fill);
}

// The kernel of an ops::Pad: every pad of a network shares the one loop above.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t Top, std::size_t Bottom, std::size_t Left,
          std::size_t Right>
struct PadKernel {
  using op = ops::Pad<H, W, C, Top, Bottom, Left, Right>;
  static constexpr std::size_t input_size = op::input_size;
  static constexpr std::size_t output_size = op::output_size;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = op::parameter_bytes;

  std::int8_t fill;  // the input zero point

  // The loop writes the padded image in memory order, copying input row y - Top while it writes
  // output row y (a row's bytes backwards on the byte path): once output row y has a byte written,
  // input rows y - Top on are read (the arena planner relies on it: detail/read_front.hpp).
  static constexpr std::array<detail::ReadFront, 2> read_fronts{
      detail::window_rows(op::out_height, op::out_width* C, H, W* C, 1, Top)};

  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    write_pad<C % 4 == 0>(in, out, pad_runs<H, W, C, Top, Bottom, Left, Right>, fill);
  }
};

template <std::size_t H, std::size_t W, std::size_t C, std::size_t Top, std::size_t Bottom, std::size_t Left,
          std::size_t Right>
consteval PadKernel<H, W, C, Top, Bottom, Left, Right> lower(const ops::Pad<H, W, C, Top, Bottom, Left, Right>& op) {
  return {op.fill};
}

}  // namespace qpipe::m0
