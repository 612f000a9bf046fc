// The inner loops of the multiply-accumulate kernels: dot products of int8 vectors whose length
// (and stride) the compiler knows, so that it can unroll them. The input zero point is not
// subtracted here: the compiler folds -input_zero_point * sum(w) into each bias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace qpipe::m0 {

// sum_i w[i] * x[i * Stride]
template <std::size_t N, std::size_t Stride = 1>
constexpr std::int32_t dot(const std::int8_t* w, const std::int8_t* x) {
  std::int32_t acc = 0;
#pragma GCC unroll 8
  for (std::size_t i = 0; i < N; ++i) acc += std::int32_t{w[i * Stride]} * std::int32_t{x[i * Stride]};
  return acc;
}

#if defined(__ARM_ARCH_6M__)
// Two output channels per pass over Rows input rows of Row bytes (Stride bytes apart in the
// input; the weights of each channel contiguous), on the Cortex-M0: each input byte is loaded
// once for both channels. A row is walked backwards with one index register shared by the three
// pointers (Thumb-1's LDRSB has only the register-offset form), the pointers set one byte early
// so that the index runs Row..1 and its decrement sets the flags for the loop branch. Per input:
// 3 loads (2 cycles each), 2 multiplies, 2 adds, 1 decrement = 11 cycles for 2 MACs, a taken
// branch (3 cycles) per 4 inputs, and about 10 cycles per row. GCC hands Thumb-1 inline
// assembly over in divided syntax and switches back after it, so the block is written in unified
// syntax between the two directives. (The assembly is put together by macros because asm
// operands must be string literals.)
//
// One step: the input byte at the index, then one MAC per (weight pointer, accumulator), then the
// index decrement whose flags the loop branch tests.
// clang-format off
#define QPIPE_DOT_LOAD_INPUT "ldrsb %[a], [%[x], %[k]]\n\t"
#define QPIPE_DOT_MAC(W, ACC) "ldrsb %[b], [%[" W "], %[k]]\n\t" "muls %[b], %[a]\n\t" "add %[" ACC "], %[b]\n\t"
#define QPIPE_DOT_NEXT_INPUT "subs %[k], #1\n\t"
// A row of Row inputs: the first Row % 4 one step at a time, then four steps per branch (no loop
// for rows of fewer than four). ROWS(SINGLE, LOOP) is a kernel's asm statement around its row.
#define QPIPE_DOT_ROW_LOOP(STEP) "1:\n\t" STEP STEP STEP STEP "bne 1b\n\t"
#define QPIPE_DOT_SINGLES_THEN_LOOP(ROWS, SINGLE, STEP) \
  if constexpr (Row > 4) {                            \
    ROWS(SINGLE, QPIPE_DOT_ROW_LOOP(STEP));           \
  } else {                                            \
    ROWS(SINGLE, "");                                 \
  }
#define QPIPE_DOT_ROW_OF_LENGTH(ROWS, STEP)                                \
  if constexpr (Row % 4 == 0) {                                           \
    ROWS("", QPIPE_DOT_ROW_LOOP(STEP));                                   \
  } else if constexpr (Row % 4 == 1) {                                    \
    QPIPE_DOT_SINGLES_THEN_LOOP(ROWS, STEP, STEP)                         \
  } else if constexpr (Row % 4 == 2) {                                    \
    QPIPE_DOT_SINGLES_THEN_LOOP(ROWS, STEP STEP, STEP)                    \
  } else {                                                                \
    QPIPE_DOT_SINGLES_THEN_LOOP(ROWS, STEP STEP STEP, STEP)               \
  }

#define QPIPE_DOT_PAIR_STEP \
  QPIPE_DOT_LOAD_INPUT QPIPE_DOT_MAC("w0", "acc0") QPIPE_DOT_MAC("w1", "acc1") QPIPE_DOT_NEXT_INPUT
#define QPIPE_DOT_PAIR_ROWS(SINGLE, LOOP)                                                              \
  asm(".syntax unified\n\t"                                                                     \
      "subs %[x], #1\n\t"                                                                       \
      "subs %[w0], #1\n\t"                                                                      \
      "subs %[w1], #1\n"                                                                        \
      "2:\n\t"                                                                                  \
      "movs %[k], %[row]\n\t" SINGLE LOOP                                                        \
      "add %[x], %[stride]\n\t"                                                                 \
      "adds %[w0], %[row]\n\t"                                                                  \
      "adds %[w1], %[row]\n\t"                                                                  \
      "mov %[a], %[rows]\n\t"                                                                   \
      "subs %[a], #1\n\t"                                                                       \
      "mov %[rows], %[a]\n\t"                                                                   \
      "bne 2b\n\t"                                                                              \
      : [k] "=&l"(k), [a] "=&l"(a), [b] "=&l"(b), [acc0] "+r"(acc0), [acc1] "+r"(acc1), [x] "+l"(x), \
        [w0] "+l"(w0), [w1] "+l"(w1), [rows] "+h"(rows)                                          \
      : [row] "I"(Row), [stride] "h"(stride)                                                     \
      : "cc", "memory")

// One row (1 x 1 kernels): no row loop around it.
#define QPIPE_DOT_PAIR_ROW(SINGLE, LOOP)                                                               \
  asm(".syntax unified\n\t"                                                                        \
      "subs %[x], #1\n\t"                                                                          \
      "subs %[w0], #1\n\t"                                                                         \
      "subs %[w1], #1\n\t"                                                                         \
      "movs %[k], %[row]\n\t" SINGLE LOOP                                        \
      : [k] "=&l"(k), [a] "=&l"(a), [b] "=&l"(b), [acc0] "+r"(acc0), [acc1] "+r"(acc1), [x] "+l"(x), \
        [w0] "+l"(w0), [w1] "+l"(w1)                                                                \
      : [row] "I"(Row)                                                                              \
      : "cc", "memory")
// clang-format on

template <std::size_t Row, std::size_t Rows, std::size_t Stride>
[[gnu::always_inline]] inline void dot_pair_rows_m0(const std::int8_t* w0, const std::int8_t* w1, const std::int8_t* x,
                                                    std::int32_t& acc0_out, std::int32_t& acc1_out) {
  static_assert(Row > 0 && Row < 256 && Rows > 0, "the row length is an 8-bit immediate");
  std::uint32_t k;
  std::int32_t a, b, acc0 = acc0_out, acc1 = acc1_out;
  if constexpr (Rows == 1) {
    QPIPE_DOT_ROW_OF_LENGTH(QPIPE_DOT_PAIR_ROW, QPIPE_DOT_PAIR_STEP)
  } else {
    std::uint32_t rows = Rows;
    const std::uint32_t stride = Stride;
    QPIPE_DOT_ROW_OF_LENGTH(QPIPE_DOT_PAIR_ROWS, QPIPE_DOT_PAIR_STEP)
  }
  acc0_out = acc0;
  acc1_out = acc1;
}
// Several rows (K x K kernels): one out-of-line copy per shape, a call per pair of outputs. A
// single row (1 x 1 kernels, a few MACs per output) stays inline, where a call would cost more
// than the row.
template <std::size_t Row, std::size_t Rows, std::size_t Stride>
[[gnu::noinline]] inline void dot_pair_rows_m0_out_of_line(const std::int8_t* w0, const std::int8_t* w1,
                                                           const std::int8_t* x, std::int32_t& acc0,
                                                           std::int32_t& acc1) {
  dot_pair_rows_m0<Row, Rows, Stride>(w0, w1, x, acc0, acc1);
}

// Four output channels per pass for K x K kernels (channel c's weights at w + c * ChannelStride):
// the accumulators live in high registers (ADD takes them; MULS does not need to), so each input
// byte serves four MACs: 2 + 4 x (2 + 1 + 1) + 1 = 19 cycles per 4 MACs. All eight low registers
// hold the index, two temporaries, the input pointer and the four weight pointers; the row count
// is a fifth high register, and the strides are immediates (so both must be below 256).
#define QPIPE_DOT_QUAD_STEP                                                                                \
  QPIPE_DOT_LOAD_INPUT QPIPE_DOT_MAC("w0", "acc0") QPIPE_DOT_MAC("w1", "acc1") QPIPE_DOT_MAC("w2", "acc2") \
      QPIPE_DOT_MAC("w3", "acc3") QPIPE_DOT_NEXT_INPUT
// clang-format off
#define QPIPE_DOT_QUAD_ROWS(SINGLE, LOOP)                                                                  \
  asm(".syntax unified\n\t"                                                                         \
      "subs %[x], #1\n\t"                                                                           \
      "subs %[w0], #1\n\t"                                                                          \
      "subs %[w1], #1\n\t"                                                                          \
      "subs %[w2], #1\n\t"                                                                          \
      "subs %[w3], #1\n"                                                                            \
      "2:\n\t"                                                                                      \
      "movs %[k], %[row]\n\t" SINGLE LOOP                                                            \
      "adds %[x], %[stride]\n\t"                                                                    \
      "adds %[w0], %[row]\n\t"                                                                      \
      "adds %[w1], %[row]\n\t"                                                                      \
      "adds %[w2], %[row]\n\t"                                                                      \
      "adds %[w3], %[row]\n\t"                                                                      \
      "mov %[a], %[rows]\n\t"                                                                       \
      "subs %[a], #1\n\t"                                                                           \
      "mov %[rows], %[a]\n\t"                                                                       \
      "bne 2b\n\t"                                                                                  \
      : [k] "=&l"(k), [a] "=&l"(a), [b] "=&l"(b), [acc0] "+h"(acc0), [acc1] "+h"(acc1), [acc2] "+h"(acc2), \
        [acc3] "+h"(acc3), [x] "+l"(x), [w0] "+l"(w0), [w1] "+l"(w1), [w2] "+l"(w2), [w3] "+l"(w3),      \
        [rows] "+h"(rows)                                                                           \
      : [row] "I"(Row), [stride] "I"(Stride)                                                        \
      : "cc", "memory")
// clang-format on

template <std::size_t Row, std::size_t Rows, std::size_t Stride, std::size_t ChannelStride>
[[gnu::noinline]] inline void dot_quad_rows_m0(const std::int8_t* w, const std::int8_t* x, std::int32_t (&acc)[4]) {
  static_assert(Row > 0 && Row < 256 && Stride < 256 && Rows > 0, "row length and stride are 8-bit immediates");
  std::uint32_t k, rows = Rows;
  std::int32_t a, b, acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
  const std::int8_t *w0 = w, *w1 = w + ChannelStride, *w2 = w + 2 * ChannelStride, *w3 = w + 3 * ChannelStride;
  QPIPE_DOT_ROW_OF_LENGTH(QPIPE_DOT_QUAD_ROWS, QPIPE_DOT_QUAD_STEP)
  acc[0] = acc0;
  acc[1] = acc1;
  acc[2] = acc2;
  acc[3] = acc3;
}
#undef QPIPE_DOT_QUAD_ROWS
#undef QPIPE_DOT_QUAD_STEP
#undef QPIPE_DOT_PAIR_ROWS
#undef QPIPE_DOT_PAIR_ROW
#undef QPIPE_DOT_PAIR_STEP
#undef QPIPE_DOT_ROW_OF_LENGTH
#undef QPIPE_DOT_SINGLES_THEN_LOOP
#undef QPIPE_DOT_ROW_LOOP
#undef QPIPE_DOT_NEXT_INPUT
#undef QPIPE_DOT_MAC
#undef QPIPE_DOT_LOAD_INPUT
#endif

#if defined(__ARM_ARCH_6M__)
// Depthwise: channels c and c + 1 of a K x K window, whose taps are C bytes apart in a row of the
// input and of the weights (rows RowStride bytes apart in the input, K * C in the weights). One
// index register serves both pointers: for each tap, channel c at [p, j] and channel c + 1 at
// [p, j + 1]. Per tap: 4 loads, 2 multiplies, 2 adds, 2 index steps = 14 cycles for 2 MACs; about
// 8 cycles per row. Inline (9 MACs per output leave no room for a call).
template <std::size_t K, std::size_t C, std::size_t RowStride>
[[gnu::always_inline]] inline void depthwise_pair_m0(const std::int8_t* w, const std::int8_t* x, std::int32_t& acc0_out,
                                                     std::int32_t& acc1_out) {
  static_assert((K - 1) * C + 1 < 256 && K * C < 256, "tap offsets are 8-bit immediates");
  std::uint32_t j, rows = K;
  std::int32_t a, b, acc0 = acc0_out, acc1 = acc1_out;
  const std::uint32_t stride = RowStride;
// clang-format off
#define QPIPE_DEPTHWISE_TAP                  \
  "ldrsb %[a], [%[x], %[j]]\n\t"             \
  "ldrsb %[b], [%[w], %[j]]\n\t"             \
  "muls %[b], %[a]\n\t"                      \
  "add %[acc0], %[b]\n\t"                    \
  "adds %[j], #1\n\t"                        \
  "ldrsb %[a], [%[x], %[j]]\n\t"             \
  "ldrsb %[b], [%[w], %[j]]\n\t"             \
  "muls %[b], %[a]\n\t"                      \
  "add %[acc1], %[b]\n\t"
#define QPIPE_DEPTHWISE_ROWS(TAPS)                                                                  \
  asm(".syntax unified\n"                                                                          \
      "2:\n\t"                                                                                     \
      "movs %[j], %[last]\n\t" TAPS                                                                \
      "add %[x], %[stride]\n\t"                                                                    \
      "adds %[w], %[wrow]\n\t"                                                                     \
      "mov %[a], %[rows]\n\t"                                                                      \
      "subs %[a], #1\n\t"                                                                          \
      "mov %[rows], %[a]\n\t"                                                                      \
      "bne 2b\n\t"                                                                                 \
      : [j] "=&l"(j), [a] "=&l"(a), [b] "=&l"(b), [acc0] "+r"(acc0), [acc1] "+r"(acc1), [x] "+l"(x), \
        [w] "+l"(w), [rows] "+h"(rows)                                                              \
      : [last] "I"((K - 1) * C), [next] "I"(C + 1), [wrow] "I"(K * C), [stride] "h"(stride)           \
      : "cc", "memory")
#define QPIPE_DEPTHWISE_NEXT "subs %[j], %[next]\n\t"
// clang-format on
  if constexpr (K == 1) QPIPE_DEPTHWISE_ROWS(QPIPE_DEPTHWISE_TAP);
  if constexpr (K == 2) QPIPE_DEPTHWISE_ROWS(QPIPE_DEPTHWISE_TAP QPIPE_DEPTHWISE_NEXT QPIPE_DEPTHWISE_TAP);
  if constexpr (K == 3) {
    QPIPE_DEPTHWISE_ROWS(
        QPIPE_DEPTHWISE_TAP QPIPE_DEPTHWISE_NEXT QPIPE_DEPTHWISE_TAP QPIPE_DEPTHWISE_NEXT QPIPE_DEPTHWISE_TAP);
  }
  if constexpr (K == 5) {
    QPIPE_DEPTHWISE_ROWS(
        QPIPE_DEPTHWISE_TAP QPIPE_DEPTHWISE_NEXT QPIPE_DEPTHWISE_TAP QPIPE_DEPTHWISE_NEXT QPIPE_DEPTHWISE_TAP
            QPIPE_DEPTHWISE_NEXT QPIPE_DEPTHWISE_TAP QPIPE_DEPTHWISE_NEXT QPIPE_DEPTHWISE_TAP);
  }
#undef QPIPE_DEPTHWISE_NEXT
#undef QPIPE_DEPTHWISE_ROWS
#undef QPIPE_DEPTHWISE_TAP
  acc0_out = acc0;
  acc1_out = acc1;
}
#endif

#if defined(__ARM_ARCH_6M__)
// Depthwise, two adjacent channels for two output pixels of a row (x1: the second pixel's
// window): each weight tap is loaded once for both pixels. The index walks the taps forwards:
// channel c at [p, j], channel c + 1 at [p, j + 1]. Per tap of the two channels: 2 weight and 4
// input loads, 4 multiplies, 4 adds, 2 index steps = 22 cycles for 4 MACs (one pixel's channel
// pair takes 14 for 2); 8 cycles per row. The four accumulators are high registers, like
// dot_quad's. acc: pixel 0's channels c and c + 1, then pixel 1's. Out of line, a call per four
// outputs (about 50 cycles with the saved registers): inline it was 34,000 cycles faster for
// MobileNetV2 but put it 111 B over its flash budget (perf/README.md); one copy serves every
// layer with the same K, C and row stride (the stride S only moves x1).
template <std::size_t K, std::size_t C, std::size_t RowStride>
[[gnu::noinline]] inline void depthwise_quad_m0(const std::int8_t* w, const std::int8_t* x, const std::int8_t* x1,
                                                std::int32_t (&acc)[4]) {
  static_assert((K - 1) * C + 1 < 256 && K * C < 256, "tap offsets are 8-bit immediates");
  std::uint32_t j, rows = K;
  std::int32_t a, b, acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
  const std::uint32_t stride = RowStride;
// clang-format off
#define QPIPE_DEPTHWISE_QUAD_CHANNEL(P0, P1) \
  "ldrsb %[b], [%[w], %[j]]\n\t"             \
  "ldrsb %[a], [%[x], %[j]]\n\t"             \
  "muls %[a], %[b]\n\t"                      \
  "add %[" P0 "], %[a]\n\t"                  \
  "ldrsb %[a], [%[x1], %[j]]\n\t"            \
  "muls %[a], %[b]\n\t"                      \
  "add %[" P1 "], %[a]\n\t"
#define QPIPE_DEPTHWISE_QUAD_TAP \
  QPIPE_DEPTHWISE_QUAD_CHANNEL("acc0", "acc2") "adds %[j], #1\n\t" QPIPE_DEPTHWISE_QUAD_CHANNEL("acc1", "acc3")
#define QPIPE_DEPTHWISE_QUAD_NEXT "adds %[j], %[next]\n\t"
#define QPIPE_DEPTHWISE_QUAD_ROWS(TAPS)                                                                     \
  asm(".syntax unified\n"                                                                                  \
      "2:\n\t"                                                                                             \
      "movs %[j], #0\n\t" TAPS                                                                             \
      "add %[x], %[stride]\n\t"                                                                            \
      "add %[x1], %[stride]\n\t"                                                                           \
      "adds %[w], %[wrow]\n\t"                                                                             \
      "subs %[rows], #1\n\t"                                                                               \
      "bne 2b\n\t"                                                                                         \
      : [j] "=&l"(j), [a] "=&l"(a), [b] "=&l"(b), [acc0] "+h"(acc0), [acc1] "+h"(acc1), [acc2] "+h"(acc2), \
        [acc3] "+h"(acc3), [x] "+l"(x), [x1] "+l"(x1), [w] "+l"(w), [rows] "+l"(rows)                       \
      : [next] "I"(C - 1), [wrow] "I"(K * C), [stride] "h"(stride)                                         \
      : "cc", "memory")
// clang-format on
  if constexpr (K == 1) QPIPE_DEPTHWISE_QUAD_ROWS(QPIPE_DEPTHWISE_QUAD_TAP);
  if constexpr (K == 2)
    QPIPE_DEPTHWISE_QUAD_ROWS(QPIPE_DEPTHWISE_QUAD_TAP QPIPE_DEPTHWISE_QUAD_NEXT QPIPE_DEPTHWISE_QUAD_TAP);
  if constexpr (K == 3) {
    QPIPE_DEPTHWISE_QUAD_ROWS(QPIPE_DEPTHWISE_QUAD_TAP QPIPE_DEPTHWISE_QUAD_NEXT QPIPE_DEPTHWISE_QUAD_TAP
                                  QPIPE_DEPTHWISE_QUAD_NEXT QPIPE_DEPTHWISE_QUAD_TAP);
  }
  if constexpr (K == 5) {
    QPIPE_DEPTHWISE_QUAD_ROWS(QPIPE_DEPTHWISE_QUAD_TAP QPIPE_DEPTHWISE_QUAD_NEXT QPIPE_DEPTHWISE_QUAD_TAP
                                  QPIPE_DEPTHWISE_QUAD_NEXT QPIPE_DEPTHWISE_QUAD_TAP QPIPE_DEPTHWISE_QUAD_NEXT
                                      QPIPE_DEPTHWISE_QUAD_TAP QPIPE_DEPTHWISE_QUAD_NEXT QPIPE_DEPTHWISE_QUAD_TAP);
  }
#undef QPIPE_DEPTHWISE_QUAD_ROWS
#undef QPIPE_DEPTHWISE_QUAD_NEXT
#undef QPIPE_DEPTHWISE_QUAD_TAP
#undef QPIPE_DEPTHWISE_QUAD_CHANNEL
  acc[0] = acc0;
  acc[1] = acc1;
  acc[2] = acc2;
  acc[3] = acc3;
}
#endif

// Depthwise taps of two adjacent channels: acc0 += sum_{ky,kx} w[(ky K + kx) C] x[ky RowStride +
// kx C], acc1 the same one byte further in both. The assembly above on the M0 for K in {1, 2, 3, 5}.
template <std::size_t K, std::size_t C, std::size_t RowStride>
constexpr void depthwise_pair(const std::int8_t* w, const std::int8_t* x, std::int32_t& acc0, std::int32_t& acc1) {
#if defined(__ARM_ARCH_6M__)
  if constexpr ((K == 1 || K == 2 || K == 3 || K == 5) && (K - 1) * C + 1 < 256 && K * C < 256) {
    if (!std::is_constant_evaluated()) {
      depthwise_pair_m0<K, C, RowStride>(w, x, acc0, acc1);
      return;
    }
  }
#endif
  for (std::size_t ky = 0; ky < K; ++ky) {
    acc0 += dot<K, C>(w + ky * K * C, x + ky * RowStride);
    acc1 += dot<K, C>(w + ky * K * C + 1, x + ky * RowStride + 1);
  }
}

// depthwise_pair for two output pixels whose windows are PixelStride bytes apart: acc[0], acc[1]
// the first pixel's two channels, acc[2], acc[3] the second's. The assembly above on the M0.
template <std::size_t K, std::size_t C, std::size_t RowStride, std::size_t PixelStride>
constexpr void depthwise_quad(const std::int8_t* w, const std::int8_t* x, std::int32_t (&acc)[4]) {
#if defined(__ARM_ARCH_6M__)
  if constexpr ((K == 1 || K == 2 || K == 3 || K == 5) && (K - 1) * C + 1 < 256 && K * C < 256) {
    if (!std::is_constant_evaluated()) {
      depthwise_quad_m0<K, C, RowStride>(w, x, x + PixelStride, acc);
      return;
    }
  }
#endif
  depthwise_pair<K, C, RowStride>(w, x, acc[0], acc[1]);
  depthwise_pair<K, C, RowStride>(w, x + PixelStride, acc[2], acc[3]);
}

// Two int8 products per 32-bit multiply: an input pair x0, x1 as one word X = x0 + 2^16 x1, a
// weight pair w0, w1 as W = w1 + 2^16 w0. Then X W = x0 w1 + 2^16 (x0 w0 + x1 w1) + 2^32 x1 w0:
// modulo 2^32 the x1 w0 term is gone, and |x0 w1| <= 128 * 127 < 2^15 with |x0 w0 + x1 w1| <=
// 32,512 < 2^15, so the low product is exact (no int32 overflow: |X W mod 2^32| < 2^31) and
// floor(X W / 2^16) is x0 w0 + x1 w1 less one exactly when the low lane x0 w1 is negative, which
// bit 15 tells. On the M0 one pair is LDR + MULS + ASRS #16 + ADCS (the shift's carry-out is bit
// 15): 5 cycles for 2 MACs. The price is weights stored as 32-bit pairs, twice their bytes, so the
// kernels use it where the packed inputs stay in registers (1 x 1 kernels with few inputs).
constexpr std::int32_t lane_input(std::int32_t x0, std::int32_t x1) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(x0) + (static_cast<std::uint32_t>(x1) << 16));
}
constexpr std::int32_t lane_weight(std::int32_t w0, std::int32_t w1) {
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(w0) << 16) + static_cast<std::uint32_t>(w1));
}
// A pixel's InC inputs as lane pairs (lane_input), the last one alone if InC is odd.
template <std::size_t InC>
constexpr void pack_pixel(const std::int8_t* pixel, std::int32_t (&packed)[(InC + 1) / 2]) {
  for (std::size_t j = 0; j < (InC + 1) / 2; ++j)
    packed[j] = lane_input(pixel[2 * j], 2 * j + 1 < InC ? pixel[2 * j + 1] : 0);
}

// acc + x0 w0 + x1 w1 from the packed pairs (the M0's instruction sequence, written out).
constexpr std::int32_t lane_mac(std::int32_t acc, std::int32_t x, std::int32_t w) {
  const std::int32_t p = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) * static_cast<std::uint32_t>(w));
  return acc + (p >> 16) + ((p >> 15) & 1);
}

#if defined(__ARM_ARCH_6M__)
// packed[n] = lane_input(x[2 n], x[2 n + 1]) for n < count (a multiple of Step, 2 or 4), Step
// pairs a loop step from the end (the index k counts the bytes down; x + 1 is the odd inputs'
// base): 9 cycles a pair, 5 a step.
// clang-format off
#define QPIPE_LANE_PACK(AT)            \
  "subs %[k], #2\n\t"                 \
  "ldrsb %[a], [%[x], %[k]]\n\t"      \
  "ldrsb %[t], [%[odd], %[k]]\n\t"    \
  "lsls %[t], %[t], #16\n\t"          \
  "adds %[a], %[t]\n\t"               \
  "str %[a], [%[p], #" AT "]\n\t"
// clang-format on
template <std::size_t Step>
[[gnu::always_inline]] inline void pack_lane_pairs_m0(const std::int8_t* x, std::int32_t* packed, std::size_t count) {
  static_assert(Step == 2 || Step == 4);
  const std::int8_t* odd = x + 1;
  std::int32_t* p = packed + count;
  std::size_t k = 2 * count;
  std::int32_t a, t;
// clang-format off
#define QPIPE_LANE_PACK_LOOP(STEPS)                                   \
  asm volatile(".syntax unified\n" /* volatile: its stores are its purpose */ \
      "1:\n\t"                                                       \
      "subs %[p], #4 * %c[step]\n\t" STEPS                           \
      "cmp %[k], #0\n\t"                                             \
      "bne 1b\n\t"                                                   \
      : [p] "+l"(p), [k] "+l"(k), [a] "=&l"(a), [t] "=&l"(t)           \
      : [x] "l"(x), [odd] "l"(odd), [step] "I"(Step)                  \
      : "cc", "memory")
// clang-format on
  if constexpr (Step == 4) {
    QPIPE_LANE_PACK_LOOP(QPIPE_LANE_PACK("12") QPIPE_LANE_PACK("8") QPIPE_LANE_PACK("4") QPIPE_LANE_PACK("0"));
  } else {
    QPIPE_LANE_PACK_LOOP(QPIPE_LANE_PACK("4") QPIPE_LANE_PACK("0"));
  }
#undef QPIPE_LANE_PACK_LOOP
}
#undef QPIPE_LANE_PACK
// The same out of line, one copy for the callers that pack a whole block or image at a time
// (the expand layers' pixel blocks, the stems' inputs), where a call is nothing next to the loop.
template <std::size_t Step>
[[gnu::noinline]] inline void pack_lane_pairs_shared_m0(const std::int8_t* x, std::int32_t* packed, std::size_t count) {
  pack_lane_pairs_m0<Step>(x, packed, count);
}

// lane_mac with the J-th weight pair of w: LDR (immediate offset), MULS, ASRS, ADCS, the carry
// kept inside the asm statement.
template <std::size_t J>
[[gnu::always_inline]] inline std::int32_t lane_mac_m0(std::int32_t acc, const std::int32_t* w, std::int32_t x) {
  std::int32_t t;
  // clang-format off
  asm(".syntax unified\n\t"
      "ldr %[t], [%[w], %[offset]]\n\t"
      "muls %[t], %[x]\n\t"
      "asrs %[t], %[t], #16\n\t"
      "adcs %[acc], %[t]\n\t"
      : [acc] "+l"(acc), [t] "=&l"(t)
      : [w] "l"(w), [x] "l"(x), [offset] "I"(4 * J), "m"(w[J])
      : "cc");
  // clang-format on
  return acc;
}
#endif

// acc + sum_j lane_mac(x[j], w[j]) over Pairs pairs (on the M0 lane_mac_m0, 5 cycles a pair).
template <std::size_t Pairs>
[[gnu::always_inline]] constexpr std::int32_t lane_dot(std::int32_t acc, const std::int32_t* w,
                                                       const std::int32_t (&x)[Pairs]) {
#if defined(__ARM_ARCH_6M__)
  if constexpr (Pairs <= 32) {  // word offsets up to 124
    if (!std::is_constant_evaluated()) {
      [&]<std::size_t... J>(std::index_sequence<J...>) {
        ((acc = lane_mac_m0<J>(acc, w, x[J])), ...);
      }(std::make_index_sequence<Pairs>{});
      return acc;
    }
  }
#endif
  for (std::size_t j = 0; j < Pairs; ++j) acc = lane_mac(acc, x[j], w[j]);
  return acc;
}

// acc0 += sum_{r < Rows} sum_{i < Row} w0[r * Row + i] * x[r * Stride + i], and the same for w1:
// two output channels reading the same input rows. Plain C++ on the host and inside constant
// expressions; the assembly loop above on the Cortex-M0 (integer sums: the same bits).
template <std::size_t Row, std::size_t Rows, std::size_t Stride>
constexpr void dot_pair(const std::int8_t* w0, const std::int8_t* w1, const std::int8_t* x, std::int32_t& acc0,
                        std::int32_t& acc1) {
#if defined(__ARM_ARCH_6M__)
  if constexpr (Row < 256) {  // the row length is an 8-bit immediate there (longer rows: C++)
    if (!std::is_constant_evaluated()) {
      if constexpr (Rows == 1) {
        dot_pair_rows_m0<Row, Rows, Stride>(w0, w1, x, acc0, acc1);
      } else {
        dot_pair_rows_m0_out_of_line<Row, Rows, Stride>(w0, w1, x, acc0, acc1);
      }
      return;
    }
  }
#endif
  for (std::size_t r = 0; r < Rows; ++r) {
    acc0 += dot<Row>(w0 + r * Row, x + r * Stride);
    acc1 += dot<Row>(w1 + r * Row, x + r * Stride);
  }
}

// acc[j] += sum_{r < Rows} sum_{i < Row} w[j * ChannelStride + r * Row + i] * x[r * Stride + i]
// for four output channels j. The M0 runs the four-channel assembly loop when the row and the
// input stride fit its immediates; otherwise (and on the host, and in constant expressions) two
// pairs.
template <std::size_t Row, std::size_t Rows, std::size_t Stride, std::size_t ChannelStride>
constexpr void dot_quad(const std::int8_t* w, const std::int8_t* x, std::int32_t (&acc)[4]) {
#if defined(__ARM_ARCH_6M__)
  if constexpr (Row < 256 && Stride < 256) {
    if (!std::is_constant_evaluated()) {
      dot_quad_rows_m0<Row, Rows, Stride, ChannelStride>(w, x, acc);
      return;
    }
  }
#endif
  dot_pair<Row, Rows, Stride>(w, w + ChannelStride, x, acc[0], acc[1]);
  dot_pair<Row, Rows, Stride>(w + 2 * ChannelStride, w + 3 * ChannelStride, x, acc[2], acc[3]);
}

}  // namespace qpipe::m0
