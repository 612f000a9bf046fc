// The depthwise layer's per-channel constants as one record per channel, and on the Cortex-M0 the
// assembly channel loop that serves two output pixels at a time: with 9 MACs per output, the
// requantization and the bookkeeping around it cost as much as the MACs, and GCC's version of that
// loop kept the clamp constants and the pointers on the stack.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/backends/m0/requantizer.hpp"

#include "qpipe/backends/m0/asm/folded_code_begin.hpp"  // QPIPE_FOLDED_*, taken away at the end

namespace qpipe::m0 {

// The assembly loop's reach: an even channel count (channel pairs), the kernel sizes whose tap
// sequence it spells out, and the immediates it adds: C - 1 between taps, RowStride - K C from one
// kernel row to the next (the taps' index runs through the weights, the input pointers take the
// difference; in additions of at most 255), C + 1 for the second pixel's store, and the pointers'
// way back after the last row (in subtractions of at most 255).
template <std::size_t K, std::size_t C, std::size_t RowStride>
inline constexpr bool depthwise_channels_m0_serves = C % 2 == 0 && C + 1 <= 255 && (K == 2 || K == 3 || K == 5) &&
                                                     RowStride >= K * C + 1 && (K - 1) * (RowStride - K * C) >= 2;

// One to six output pixels of a row (P, windows S apart), one channel at a time, for 3 x 3
// kernels at strides 1 and 2: a window row's 3 weights are loaded once into registers, and each
// input of the row once for every output that reads it (a stride-1 row of four: 6 inputs for 12
// MACs, where the pixel pairs load 12); the channel's requantization constants are loaded once for
// its P outputs. A row runs as passes of one size and one pass of its rest
// (depthwise_row_passes), so that no output falls to the pixel pairs' C++ single pixel (a
// keyword-spotting row of five, MobileNetV1's rows of three). Only with the word's fields as
// immediates (WordImmediates: qpipe::run); otherwise the pixel pairs run. Passes of six run
// depthwise_row_six_m0, which takes C and the row stride as values.
// The immediates: C between a row's inputs; the steps from a row's last input to the next row's
// first (RowStride - (S (P - 1) + 2) C, for the index) and from a row's weights to the next row's
// (RowStride - 3 C, for the weight pointer, which the index also moves), in steps of 255.
template <std::size_t K, std::size_t S, std::size_t C, std::size_t RowStride, std::size_t P = 4>
inline constexpr bool depthwise_row_pixels_m0_serves =
    K == 3 && (S == 1 || S == 2) && P >= 1 && P <= 6 && C >= 1 && C <= 2 * 255 && RowStride >= (S * (P - 1) + 3) * C;

// The cycles of one channel's pass of P pixels at stride S as depthwise_row_pixels_m0 spells it
// (C up to 255), instruction by instruction: per window row its inputs' loads and index steps, the
// 3 weights' loads, 3 P products (MULS, ADD) and the copies of the inputs that later outputs read
// again; then the row steps, the bias, the constants, P codes of 14 cycles and the loop's end (5
// more where the record and the end live on the stack, 6 more again for six, whose steps between
// rows and channels are stack words: depthwise_row_six_m0).
constexpr std::size_t depthwise_row_pass_cycles(std::size_t P, std::size_t S) {
  const std::size_t inputs = S * (P - 1) + 3, row = 2 * inputs + (inputs - 1) + 6 + 2 * 3 * P + (3 * P - inputs);
  return 3 * row + 4 + 8 + 14 + 14 * P + 8 + (P > 4 ? 5 : 0) + (P == 6 ? 6 : 0);
}
// How a row of `width` outputs runs: passes of `size` pixels, then one of `width % size`. The size
// (4 to 6, or the whole row up to 6) with the fewest cycles by depthwise_row_pass_cycles: a row of
// five in one pass (the keyword-spotting layers) rather than four and one.
struct RowPasses {
  std::size_t size;
};
constexpr RowPasses depthwise_row_passes(std::size_t width, std::size_t S) {
  if (width <= 6) return {width};
  RowPasses best{4};
  std::size_t least = ~std::size_t{0};
  for (std::size_t size = 4; size <= 6; ++size) {
    const std::size_t rest = width % size;
    const std::size_t cycles =
        width / size * depthwise_row_pass_cycles(size, S) + (rest ? depthwise_row_pass_cycles(rest, S) : 0);
    if (cycles < least) least = cycles, best = {size};
  }
  return best;
}

#if defined(__ARM_ARCH_6M__)
// Two output pixels (windows x and x1, outputs out[0, C) and out[C, 2 C)) of every channel pair:
// the four accumulators start at the pair's biases; each weight tap is loaded once for both
// pixels (22 cycles per tap for 4 MACs); then the four requantizations in the folded halves form
// (folded_halves_code: 27 cycles each with the clamp's constants read from the one word, 21 with
// them as immediates) and stores.
// Registers: the index, two temporaries, the three pointers of the MAC loop, the channel record
// and the output pointer are the eight low ones; the accumulators, the word and the end are high
// registers. About 330 cycles per channel pair where the C++ loop around the MAC block took 420.
// GCC hands inline assembly over in divided syntax; the block switches to unified and back.
// clang-format off
#define QPIPE_DW_CHANNEL(P0, P1)        \
  "ldrsb %[b], [%[w], %[j]]\n\t"        \
  "ldrsb %[a], [%[x], %[j]]\n\t"        \
  "muls %[a], %[b]\n\t"                 \
  "add %[" P0 "], %[a]\n\t"             \
  "ldrsb %[a], [%[x1], %[j]]\n\t"       \
  "muls %[a], %[b]\n\t"                 \
  "add %[" P1 "], %[a]\n\t"
#define QPIPE_DW_TAP QPIPE_DW_CHANNEL("acc0", "acc2") "adds %[j], #1\n\t" QPIPE_DW_CHANNEL("acc1", "acc3")
#define QPIPE_DW_NEXT "adds %[j], %[next]\n\t"
#define QPIPE_DW_ROW                                                                           \
  QPIPE_DW_NEXT ".rept %c[row_more]\n\tadds %[x], #255\n\tadds %[x1], #255\n\t.endr\n\t" \
  "adds %[x], %[row]\n\t" "adds %[x1], %[row]\n\t"
// One output: acc in a, the record's halves and offset at LOW, HIGH, OFFSET; the code's store.
// MODE: how the word's fields are read (folded_code_m0.hpp).
#define QPIPE_DW_REQUANTIZE(MODE, ACC, LOW, HIGH, OFFSET, N, STORE)                            \
  "mov %[a], %[" ACC "]\n\t"                                                                   \
  QPIPE_FOLDED_SCALED(MODE, "b", "j", "a", "[%[q], #" LOW "]", "[%[q], #" HIGH "]")            \
  "ldr %[j], [%[q], #" OFFSET "]\n\t"                                                          \
  "adds %[b], %[j]\n\t" QPIPE_FOLDED_CLAMP(MODE, "b", "j", N) STORE
// clang-format on
#define QPIPE_DW_ABOVE(MODE, N) QPIPE_FOLDED_ABOVE(MODE, "b", "j", N)

// I: the word's fields as immediates where the network is a template argument; `word` is then
// the shift alone (WordImmediates::handed_word).
template <std::size_t K, std::size_t C, std::size_t RowStride, WordImmediates I>
[[gnu::noinline]] inline void depthwise_pixel_pair_m0(const BiasedChannel* q, const std::int8_t* w,
                                                      const std::int8_t* x, const std::int8_t* x1, std::int8_t* out,
                                                      std::uint32_t word) {
  static_assert(depthwise_channels_m0_serves<K, C, RowStride> && sizeof(BiasedChannel) == 12);
  // From one kernel row to the next: row_more additions of 255, then row (1 to 255).
  constexpr std::size_t row_step = RowStride - K * C;
  constexpr std::size_t row_more = row_step > 255 ? (row_step - 256) / 255 + 1 : 0, row = row_step - 255 * row_more;
  // After the last row, less the next pair's 2: back_more subtractions of 255, then back1 and back2.
  constexpr std::size_t back_all = (K - 1) * row_step - 2;
  constexpr std::size_t back_more = back_all > 2 * 255 ? (back_all - 2 * 255 + 254) / 255 : 0,
                        back = back_all - 255 * back_more;
  // Six high registers: GCC's allocator hands out five of them itself, so they are named (lr
  // too: the routine saves it anyway, as it is not a leaf for GCC's purposes once clobbered).
  register const BiasedChannel* const end asm("lr") = q + C;
  register std::int32_t acc0 asm("r8"), acc1 asm("r9"), acc2 asm("r10"), acc3 asm("r11");
  register std::uint32_t word_hi asm("r12") = word;
  std::uint32_t j;
  std::int32_t a, b;
// clang-format off
#define QPIPE_DW_PAIRS(MODE, TAPS)                                                                                 \
  asm volatile(".syntax unified\n" /* volatile: its stores are its purpose */                                \
      "1:\n\t"                                                                                               \
      "ldr %[a], [%[q], #0]\n\t"                                                                             \
      "mov %[acc0], %[a]\n\t"                                                                                \
      "mov %[acc2], %[a]\n\t"                                                                                \
      "ldr %[a], [%[q], #12]\n\t"                                                                            \
      "mov %[acc1], %[a]\n\t"                                                                                \
      "mov %[acc3], %[a]\n\t"                                                                                \
      "movs %[j], #0\n\t" TAPS                                                                               \
      ".rept %c[back_more]\n\tsubs %[x], #255\n\tsubs %[x1], #255\n\t.endr\n\t"                             \
      "subs %[x], %[back1]\n\t"                                                                              \
      "subs %[x], %[back2]\n\t"                                                                              \
      "subs %[x1], %[back1]\n\t"                                                                             \
      "subs %[x1], %[back2]\n\t"                                                                             \
      "adds %[w], #2\n\t"                                                                                    \
      QPIPE_DW_REQUANTIZE(MODE, "acc0", "4", "6", "8", "0", "strb %[b], [%[out], #0]\n\t")                         \
      QPIPE_DW_REQUANTIZE(MODE, "acc1", "16", "18", "20", "1", "strb %[b], [%[out], #1]\n\t")                      \
      QPIPE_DW_REQUANTIZE(MODE, "acc2", "4", "6", "8", "2", "movs %[a], %[second]\n\t" "strb %[b], [%[out], %[a]]\n\t") \
      QPIPE_DW_REQUANTIZE(MODE, "acc3", "16", "18", "20", "3", "movs %[a], %[second1]\n\t" "strb %[b], [%[out], %[a]]\n\t") \
      "adds %[out], #2\n\t"                                                                                  \
      "adds %[q], #24\n\t"                                                                                   \
      "cmp %[q], %[end]\n\t"                                                                                 \
      "beq 4f\n\t"                                                                                           \
      "b 1b\n"                                                                                               \
      QPIPE_DW_ABOVE(MODE, "0") QPIPE_DW_ABOVE(MODE, "1") QPIPE_DW_ABOVE(MODE, "2") QPIPE_DW_ABOVE(MODE, "3")                      \
      "4:\n\t"                                                                                               \
      : [q] "+l"(q), [w] "+l"(w), [x] "+l"(x), [x1] "+l"(x1), [out] "+l"(out), [j] "=&l"(j), [a] "=&l"(a),   \
        [b] "=&l"(b), [acc0] "=&h"(acc0), [acc1] "=&h"(acc1), [acc2] "=&h"(acc2), [acc3] "=&h"(acc3)          \
      : [word] "h"(word_hi), [end] "h"(end), [next] "I"(C - 1), [row] "I"(row), [row_more] "n"(row_more),                    \
        [back1] "I"(back < 255 ? back : 255), [back2] "I"(back < 255 ? 0 : back - 255), [back_more] "n"(back_more), [second] "I"(C),      \
        [second1] "I"(C + 1), [piece_bits] "I"(I.piece_bits), [span] "I"(I.span), [qmin_byte] "I"(I.qmin_byte)  \
      : "cc", "memory")
// clang-format on
  // The taps in row-major order: NEXT between the taps of a row, ROW between rows.
#define QPIPE_DW_FIVE                                                                                         \
  QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT \
      QPIPE_DW_TAP
#define QPIPE_DW_KERNEL(MODE)                                                                                         \
  if constexpr (K == 2) {                                                                                             \
    QPIPE_DW_PAIRS(MODE,                                                                                              \
                   QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_ROW QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP);     \
  } else if constexpr (K == 3) {                                                                                      \
    QPIPE_DW_PAIRS(MODE, QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_ROW QPIPE_DW_TAP \
                             QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_ROW QPIPE_DW_TAP          \
                                 QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP);                              \
  } else {                                                                                                            \
    QPIPE_DW_PAIRS(MODE, QPIPE_DW_FIVE QPIPE_DW_ROW QPIPE_DW_FIVE QPIPE_DW_ROW QPIPE_DW_FIVE QPIPE_DW_ROW             \
                             QPIPE_DW_FIVE QPIPE_DW_ROW QPIPE_DW_FIVE);                                               \
  }
  if constexpr (I.known) {
    QPIPE_DW_KERNEL(IMMEDIATE)
  } else {
    QPIPE_DW_KERNEL(WORD)
  }
#undef QPIPE_DW_KERNEL
#undef QPIPE_DW_FIVE
#undef QPIPE_DW_PAIRS
}
// A weight of the row into register W; the input at the index; the index to the row's next input.
// clang-format off
#define QPIPE_DW4_WEIGHT(W) "ldrsb %[" W "], [%[wp], %[j]]\n\t"
#define QPIPE_DW4_INPUT "ldrsb %[x], [%[xp], %[j]]\n\t"
// (C above 255, up to 510: two additions, 1 cycle more a step.)
#define QPIPE_DW4_STEP ".if %c[c] > 255\n\tadds %[j], #255\n\tadds %[j], #%c[c] - 255\n\t.else\n\tadds %[j], #%c[c]\n\t.endif\n\t"
// acc += x W, keeping x for a later output (COPY) or as its last use (LAST).
#define QPIPE_DW4_COPY(W, ACC) "mov %[t], %[x]\n\t" "muls %[t], %[" W "]\n\t" "add %[" ACC "], %[t]\n\t"
#define QPIPE_DW4_LAST(W, ACC) "muls %[x], %[" W "]\n\t" "add %[" ACC "], %[x]\n\t"
// Input k of a window row, from k = 0 on (its weight loaded before input k's first use at k < 3):
// input k meets weight k - p S of output p, each output in turn, the last one taking x itself.
#define QPIPE_DW4_IN0 QPIPE_DW4_WEIGHT("w0") QPIPE_DW4_INPUT
#define QPIPE_DW4_IN1 QPIPE_DW4_STEP QPIPE_DW4_WEIGHT("w1") QPIPE_DW4_INPUT
#define QPIPE_DW4_IN2 QPIPE_DW4_STEP QPIPE_DW4_WEIGHT("w2") QPIPE_DW4_INPUT
#define QPIPE_DW4_IN QPIPE_DW4_STEP QPIPE_DW4_INPUT
// One window row of the P outputs (ROW_S<S>_<P>); one output reads its 3 inputs alike at both strides.
#define QPIPE_DW4_ROW_1 \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0") QPIPE_DW4_IN1 QPIPE_DW4_LAST("w1", "acc0") QPIPE_DW4_IN2 QPIPE_DW4_LAST("w2", "acc0")
#define QPIPE_DW4_ROW_S1_2                                                                            \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0")                                                          \
  QPIPE_DW4_IN1 QPIPE_DW4_COPY("w1", "acc0") QPIPE_DW4_LAST("w0", "acc1")                             \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_LAST("w1", "acc1")                             \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc1")
#define QPIPE_DW4_ROW_S1_3                                                                            \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0")                                                          \
  QPIPE_DW4_IN1 QPIPE_DW4_COPY("w1", "acc0") QPIPE_DW4_LAST("w0", "acc1")                             \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_COPY("w1", "acc1") QPIPE_DW4_LAST("w0", "acc2") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_LAST("w1", "acc2")                              \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc2")
#define QPIPE_DW4_ROW_S1_4                                                                            \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0")                                                          \
  QPIPE_DW4_IN1 QPIPE_DW4_COPY("w1", "acc0") QPIPE_DW4_LAST("w0", "acc1")                             \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_COPY("w1", "acc1") QPIPE_DW4_LAST("w0", "acc2") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_COPY("w1", "acc2") QPIPE_DW4_LAST("w0", "acc3")  \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc2") QPIPE_DW4_LAST("w1", "acc3")                              \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc3")
#define QPIPE_DW4_ROW_S2_2                                                                            \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0")                                                          \
  QPIPE_DW4_IN1 QPIPE_DW4_LAST("w1", "acc0")                                                          \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_LAST("w0", "acc1")                             \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc1")                                                           \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc1")
#define QPIPE_DW4_ROW_S2_3                                                                            \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0")                                                          \
  QPIPE_DW4_IN1 QPIPE_DW4_LAST("w1", "acc0")                                                          \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_LAST("w0", "acc1")                             \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc1")                                                           \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_LAST("w0", "acc2")                              \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc2")                                                           \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc2")
#define QPIPE_DW4_ROW_S2_4                                                                            \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0")                                                          \
  QPIPE_DW4_IN1 QPIPE_DW4_LAST("w1", "acc0")                                                          \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_LAST("w0", "acc1")                             \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc1")                                                           \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_LAST("w0", "acc2")                              \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc2")                                                           \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc2") QPIPE_DW4_LAST("w0", "acc3")                              \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc3")                                                           \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc3")
#define QPIPE_DW4_ROW_S1_5 \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0") \
  QPIPE_DW4_IN1 QPIPE_DW4_COPY("w1", "acc0") QPIPE_DW4_LAST("w0", "acc1") \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_COPY("w1", "acc1") QPIPE_DW4_LAST("w0", "acc2") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_COPY("w1", "acc2") QPIPE_DW4_LAST("w0", "acc3") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc2") QPIPE_DW4_COPY("w1", "acc3") QPIPE_DW4_LAST("w0", "acc4") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc3") QPIPE_DW4_LAST("w1", "acc4") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc4")
#define QPIPE_DW4_ROW_S1_6 \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0") \
  QPIPE_DW4_IN1 QPIPE_DW4_COPY("w1", "acc0") QPIPE_DW4_LAST("w0", "acc1") \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_COPY("w1", "acc1") QPIPE_DW4_LAST("w0", "acc2") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_COPY("w1", "acc2") QPIPE_DW4_LAST("w0", "acc3") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc2") QPIPE_DW4_COPY("w1", "acc3") QPIPE_DW4_LAST("w0", "acc4") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc3") QPIPE_DW4_COPY("w1", "acc4") QPIPE_DW4_LAST("w0", "acc5") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc4") QPIPE_DW4_LAST("w1", "acc5") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc5")
#define QPIPE_DW4_ROW_S2_5 \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0") \
  QPIPE_DW4_IN1 QPIPE_DW4_LAST("w1", "acc0") \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_LAST("w0", "acc1") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc1") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_LAST("w0", "acc2") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc2") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc2") QPIPE_DW4_LAST("w0", "acc3") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc3") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc3") QPIPE_DW4_LAST("w0", "acc4") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc4") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc4")
#define QPIPE_DW4_ROW_S2_6 \
  QPIPE_DW4_IN0 QPIPE_DW4_LAST("w0", "acc0") \
  QPIPE_DW4_IN1 QPIPE_DW4_LAST("w1", "acc0") \
  QPIPE_DW4_IN2 QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_LAST("w0", "acc1") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc1") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_LAST("w0", "acc2") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc2") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc2") QPIPE_DW4_LAST("w0", "acc3") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc3") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc3") QPIPE_DW4_LAST("w0", "acc4") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc4") \
  QPIPE_DW4_IN QPIPE_DW4_COPY("w2", "acc4") QPIPE_DW4_LAST("w0", "acc5") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w1", "acc5") \
  QPIPE_DW4_IN QPIPE_DW4_LAST("w2", "acc5")
// From a row's last input to the next row's first; the weight pointer so that the index finds
// the next row's weights.
#define QPIPE_DW4_NEXT_ROW                                                                            \
  ".rept %c[index_step] / 255\n\tadds %[j], #255\n\t.endr\n\t"                                         \
  "adds %[j], #%c[index_step] %% 255\n\t"                                                              \
  ".rept %c[weight_step] / 255\n\tsubs %[wp], #255\n\t.endr\n\t"                                       \
  "subs %[wp], #%c[weight_step] %% 255\n\t"
#define QPIPE_DW4_SET(ACC) "mov %[" ACC "], %[t]\n\t"
// Output N from x (its accumulator copied there): the channel's low and high halves in w0 and w1,
// its offset in w2, the shift in the register SHIFT, the output pointer in j. Above the span:
// label 2N.
#define QPIPE_DW4_CODE(N, SHIFT)                                                                      \
  "mov %[t], %[x]\n\t"                                                                                \
  "muls %[t], %[w0]\n\t"                                                                              \
  "asrs %[t], %[t], %[piece_bits]\n\t"                                                                \
  "muls %[x], %[w1]\n\t"                                                                              \
  "adds %[x], %[t]\n\t"                                                                               \
  "adds %[x], %[w2]\n\t"                                                                              \
  "asrs %[x], %[" SHIFT "]\n\t" QPIPE_FOLDED_RANGE(IMMEDIATE, "x", "t", N) "strb %[x], [%[j], #0]\n\t"
// Output N from ACC, the shift in wp, j moved C on after every output but the last (MOVE).
#define QPIPE_DW4_REQUANTIZE(ACC, N, MOVE) "mov %[x], %[" ACC "]\n\t" QPIPE_DW4_CODE(N, "wp") MOVE
#define QPIPE_DW4_ABOVE(N) QPIPE_FOLDED_ABOVE(IMMEDIATE, "x", "t", N)
#define QPIPE_DW4_OUT(N) QPIPE_DW4_REQUANTIZE("acc" #N, #N, QPIPE_DW4_STEP)

// The channel loop around the rows. On entry j holds the first record and the stack words are
// written; SAVE keeps the record and the channels' end where the pass has no high register for
// them, RECORD(R) / KEEP_RECORD(R) read and write the record pointer, AT_END compares with the end.
// Per channel: the P accumulators at its bias (SET: one QPIPE_DW4_SET each), the three window
// rows, the constants (j, then the output pointer), the P outputs, the next channel's pointers.
#define QPIPE_DW4_LOOP(SAVE, RECORD, KEEP_RECORD, AT_END, SET, ROW, OUTPUTS, ABOVE)                  \
  SAVE                                                                                                \
  "1:\n\t" RECORD("t")                                                                                \
  "ldr %[t], [%[t], #0]\n\t" SET                                                                      \
  "movs %[j], #0\n\t" ROW QPIPE_DW4_NEXT_ROW ROW QPIPE_DW4_NEXT_ROW ROW RECORD("j")                   \
  "ldrh %[w0], [%[j], #4]\n\t"                                                                        \
  "ldrh %[w1], [%[j], #6]\n\t"                                                                        \
  "ldr %[w2], [%[j], #8]\n\t"                                                                         \
  "adds %[j], #12\n\t" KEEP_RECORD("j")                                                               \
  "ldr %[wp], [sp, #4]\n\t"                                                                           \
  "ldr %[j], [sp, #0]\n\t"                                                                            \
  "adds %[j], %[xp]\n\t" OUTPUTS                                                                      \
  "adds %[xp], #1\n\t"                                                                                \
  "ldr %[wp], [sp, #8]\n\t"                                                                           \
  "adds %[wp], %[xp]\n\t" AT_END                                                                      \
  "beq 4f\n\t"                                                                                        \
  "b 1b\n" ABOVE                                                                                      \
  "4:\n\t"
// Up to four outputs: the record in a high register (r12), the end in lr.
#define QPIPE_DW4_RECORD_HIGH(R) "mov %[" R "], %[record]\n\t"
#define QPIPE_DW4_KEEP_RECORD_HIGH(R) "mov %[record], %[" R "]\n\t"
// Five: r12 and lr hold accumulators, the record and the end are stack words 12 and 16.
#define QPIPE_DW4_RECORD_STACK(R) "ldr %[" R "], [sp, #12]\n\t"
#define QPIPE_DW4_KEEP_RECORD_STACK(R) "str %[" R "], [sp, #12]\n\t"
#define QPIPE_DW4_SAVE_STACK                                                                          \
  "str %[j], [sp, #12]\n\t"                                                                           \
  "mov %[t], %[xp]\n\t" QPIPE_DW4_STEP_T                                                              \
  "str %[t], [sp, #16]\n\t"
#define QPIPE_DW4_STEP_T ".if %c[c] > 255\n\tadds %[t], #255\n\tadds %[t], #%c[c] - 255\n\t.else\n\tadds %[t], #%c[c]\n\t.endif\n\t"
// clang-format on

// out[p C + c] for the windows at x + p S C, p = 0 .. P - 1, every channel c: the records q, the
// weights w ([ky][kx][c]), the shift (WordImmediates::handed_word).
// Registers: the three weights of a row, the input, a temporary, the index and the weight and
// input pointers are the eight low ones; the accumulators are high registers, and so are the
// channel record and the end up to four outputs; the output's distance from the input, the shift
// and the weights' distance from the input are on the stack (12 bytes below the routine's own
// frame; 20 with the record and the end for five outputs, 5 cycles a channel more). Six outputs:
// depthwise_row_six_m0.
// GCC hands inline assembly over in divided syntax; the block switches to unified and back.
template <std::size_t P, std::size_t S, std::size_t C, std::size_t RowStride, WordImmediates I>
[[gnu::noinline]] inline void depthwise_row_pixels_m0(const BiasedChannel* q, const std::int8_t* w,
                                                      const std::int8_t* x, std::int8_t* out, std::uint32_t shift) {
  static_assert(depthwise_row_pixels_m0_serves<3, S, C, RowStride, P> && P <= 5 && I.known &&
                sizeof(BiasedChannel) == 12);
  // From a row's last input (S (P - 1) + 2) to the next row's first.
  constexpr std::size_t index_step = RowStride - (S * (P - 1) + 2) * C;
  constexpr std::size_t weight_step = RowStride - 3 * C;
  register std::int32_t acc0 asm("r8"), acc1 asm("r9"), acc2 asm("r10"), acc3 asm("r11");
  // In: the stack words and the first record, in registers the routine then reuses.
  std::uint32_t w0 =
      static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(out) - reinterpret_cast<std::uintptr_t>(x));
  std::uint32_t w1 = shift;
  std::uint32_t w2 =
      static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(w) - reinterpret_cast<std::uintptr_t>(x));
  std::uint32_t j = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(q));
  std::uint32_t t;
  std::int32_t v;
// clang-format off
#define QPIPE_DW4_FRAME(BYTES, LOOP)                                                                 \
  ".syntax unified\n\t" /* volatile: its stores are its purpose */                                   \
  "sub sp, #" BYTES "\n\t"                                                                           \
  "str %[w0], [sp, #0]\n\t"                                                                          \
  "str %[w1], [sp, #4]\n\t"                                                                          \
  "str %[w2], [sp, #8]\n\t" LOOP                                                                     \
  "add sp, #" BYTES "\n\t"
#define QPIPE_DW4_OPERANDS                                                                           \
  [xp] "+l"(x), [wp] "+l"(w), [w0] "+l"(w0), [w1] "+l"(w1), [w2] "+l"(w2), [j] "+l"(j), [t] "=&l"(t), \
      [x] "=&l"(v), [acc0] "=&h"(acc0), [acc1] "=&h"(acc1), [acc2] "=&h"(acc2), [acc3] "=&h"(acc3)
#define QPIPE_DW4_CONSTANTS                                                                          \
  [c] "n"(C), [index_step] "n"(index_step), [weight_step] "n"(weight_step), [piece_bits] "I"(I.piece_bits), \
      [span] "I"(I.span), [qmin_byte] "I"(I.qmin_byte)
#define QPIPE_DW4_PASS_HIGH(SET, ROW, OUTPUTS, ABOVE)                                                \
  asm volatile(QPIPE_DW4_FRAME("12", QPIPE_DW4_LOOP("mov %[record], %[j]\n\t", QPIPE_DW4_RECORD_HIGH, \
                                                     QPIPE_DW4_KEEP_RECORD_HIGH, "cmp %[xp], %[end]\n\t", SET, ROW, \
                                                     OUTPUTS, ABOVE))                                \
               : QPIPE_DW4_OPERANDS, [record] "=&h"(record)                                           \
               : [end] "h"(end), QPIPE_DW4_CONSTANTS                                                 \
               : "cc", "memory")
#define QPIPE_DW4_PASS_STACK(SET, ROW, OUTPUTS, ABOVE)                                               \
  asm volatile(QPIPE_DW4_FRAME("20", QPIPE_DW4_LOOP(QPIPE_DW4_SAVE_STACK, QPIPE_DW4_RECORD_STACK,     \
                                                     QPIPE_DW4_KEEP_RECORD_STACK,                     \
                                                     "ldr %[x], [sp, #16]\n\t" "cmp %[xp], %[x]\n\t", SET, ROW, \
                                                     OUTPUTS, ABOVE))                                \
               : QPIPE_DW4_OPERANDS, [acc4] "=&h"(acc4), [acc5] "=&h"(acc5)                          \
               : QPIPE_DW4_CONSTANTS                                                                 \
               : "cc", "memory")
// clang-format on
#define QPIPE_DW4_SETS(N) QPIPE_DW4_SET("acc0") QPIPE_DW4_SETS_##N
#define QPIPE_DW4_SETS_1
#define QPIPE_DW4_SETS_2 QPIPE_DW4_SET("acc1")
#define QPIPE_DW4_SETS_3 QPIPE_DW4_SETS_2 QPIPE_DW4_SET("acc2")
#define QPIPE_DW4_SETS_4 QPIPE_DW4_SETS_3 QPIPE_DW4_SET("acc3")
#define QPIPE_DW4_SETS_5 QPIPE_DW4_SETS_4 QPIPE_DW4_SET("acc4")
  if constexpr (P <= 4) {
    register const std::int8_t* const end asm("lr") = x + C;
    register const BiasedChannel* record asm("r12");
    if constexpr (P == 4) {
      if constexpr (S == 1) {
        QPIPE_DW4_PASS_HIGH(QPIPE_DW4_SETS(4), QPIPE_DW4_ROW_S1_4,
                            QPIPE_DW4_OUT(0) QPIPE_DW4_OUT(1) QPIPE_DW4_OUT(2) QPIPE_DW4_REQUANTIZE("acc3", "3", ""),
                            QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1") QPIPE_DW4_ABOVE("2") QPIPE_DW4_ABOVE("3"));
      } else {
        QPIPE_DW4_PASS_HIGH(QPIPE_DW4_SETS(4), QPIPE_DW4_ROW_S2_4,
                            QPIPE_DW4_OUT(0) QPIPE_DW4_OUT(1) QPIPE_DW4_OUT(2) QPIPE_DW4_REQUANTIZE("acc3", "3", ""),
                            QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1") QPIPE_DW4_ABOVE("2") QPIPE_DW4_ABOVE("3"));
      }
    } else if constexpr (P == 3) {
      if constexpr (S == 1) {
        QPIPE_DW4_PASS_HIGH(QPIPE_DW4_SETS(3), QPIPE_DW4_ROW_S1_3,
                            QPIPE_DW4_OUT(0) QPIPE_DW4_OUT(1) QPIPE_DW4_REQUANTIZE("acc2", "2", ""),
                            QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1") QPIPE_DW4_ABOVE("2"));
      } else {
        QPIPE_DW4_PASS_HIGH(QPIPE_DW4_SETS(3), QPIPE_DW4_ROW_S2_3,
                            QPIPE_DW4_OUT(0) QPIPE_DW4_OUT(1) QPIPE_DW4_REQUANTIZE("acc2", "2", ""),
                            QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1") QPIPE_DW4_ABOVE("2"));
      }
    } else if constexpr (P == 2) {
      if constexpr (S == 1) {
        QPIPE_DW4_PASS_HIGH(QPIPE_DW4_SETS(2), QPIPE_DW4_ROW_S1_2,
                            QPIPE_DW4_OUT(0) QPIPE_DW4_REQUANTIZE("acc1", "1", ""),
                            QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1"));
      } else {
        QPIPE_DW4_PASS_HIGH(QPIPE_DW4_SETS(2), QPIPE_DW4_ROW_S2_2,
                            QPIPE_DW4_OUT(0) QPIPE_DW4_REQUANTIZE("acc1", "1", ""),
                            QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1"));
      }
    } else {
      QPIPE_DW4_PASS_HIGH(QPIPE_DW4_SETS(1), QPIPE_DW4_ROW_1, QPIPE_DW4_REQUANTIZE("acc0", "0", ""),
                          QPIPE_DW4_ABOVE("0"));
    }
  } else {
    register std::int32_t acc4 asm("r12"), acc5 asm("lr");
    if constexpr (S == 1) {
      QPIPE_DW4_PASS_STACK(
          QPIPE_DW4_SETS(5), QPIPE_DW4_ROW_S1_5,
          QPIPE_DW4_OUT(0) QPIPE_DW4_OUT(1) QPIPE_DW4_OUT(2) QPIPE_DW4_OUT(3) QPIPE_DW4_REQUANTIZE("acc4", "4", ""),
          QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1") QPIPE_DW4_ABOVE("2") QPIPE_DW4_ABOVE("3") QPIPE_DW4_ABOVE("4"));
    } else {
      QPIPE_DW4_PASS_STACK(
          QPIPE_DW4_SETS(5), QPIPE_DW4_ROW_S2_5,
          QPIPE_DW4_OUT(0) QPIPE_DW4_OUT(1) QPIPE_DW4_OUT(2) QPIPE_DW4_OUT(3) QPIPE_DW4_REQUANTIZE("acc4", "4", ""),
          QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1") QPIPE_DW4_ABOVE("2") QPIPE_DW4_ABOVE("3") QPIPE_DW4_ABOVE("4"));
    }
  }
#undef QPIPE_DW4_SETS_5
#undef QPIPE_DW4_SETS_4
#undef QPIPE_DW4_SETS_3
#undef QPIPE_DW4_SETS_2
#undef QPIPE_DW4_SETS_1
#undef QPIPE_DW4_SETS
#undef QPIPE_DW4_PASS_STACK
#undef QPIPE_DW4_PASS_HIGH
#undef QPIPE_DW4_CONSTANTS
#undef QPIPE_DW4_OPERANDS
#undef QPIPE_DW4_FRAME
}

// The row-pixel pass of six outputs with the channel count and the row stride as run-time values
// (DepthwiseRowSteps), so that one copy serves every layer of a stride: the immediate routine's
// six-pixel copies, one per channel count and row stride, were some 700 B each (seven of them in
// MobileNetV1). The immediates' price is a register for C, which the six accumulators leave no
// room for beside an index and two pointers: here the index j is the input's address itself
// (less C: inputs load at j + C, from the register k = C), and the weights load at j + d, d their
// distance from the index (constant along a window row: both move C an input). The steps from
// row to row and from channel to channel are stack words (6 cycles at a row's end where the
// immediates took 2 to 6); during the outputs the index is the output pointer. Up to 4 cycles
// more a channel than the immediate copy, of some 350.
struct DepthwiseRowSteps {
  std::uint32_t channels;     // C: from one input of a window row to the next, and one output to the next
  std::uint32_t index_step;   // RowStride - (S (P - 1) + 2) C: a window row's last input to the next row's first
  std::uint32_t weight_step;  // RowStride - 3 C: the weights' distance from the index, less from row to row
  std::uint32_t rows;         // (S (P - 1) + 1) C + 2 RowStride: the index's way through a channel's rows
};
constexpr DepthwiseRowSteps depthwise_row_steps(std::size_t P, std::size_t S, std::size_t C, std::size_t RowStride) {
  return {static_cast<std::uint32_t>(C), static_cast<std::uint32_t>(RowStride - (S * (P - 1) + 2) * C),
          static_cast<std::uint32_t>(RowStride - 3 * C),
          static_cast<std::uint32_t>((S * (P - 1) + 1) * C + 2 * RowStride)};
}

// The index's register steps in place of the immediate ones: the row macros above, read again.
#undef QPIPE_DW4_WEIGHT
#undef QPIPE_DW4_INPUT
#undef QPIPE_DW4_STEP
// clang-format off
#define QPIPE_DW4_WEIGHT(W) "ldrsb %[" W "], [%[j], %[d]]\n\t"
#define QPIPE_DW4_INPUT "ldrsb %[x], [%[j], %[k]]\n\t"
#define QPIPE_DW4_STEP "adds %[j], %[k]\n\t"
// Output N from x: QPIPE_DW4_CODE with the shift in d.
#define QPIPE_DW6_CODE(N) QPIPE_DW4_CODE(N, "d")
#define QPIPE_DW6_OUT(N) "mov %[x], %[acc" #N "]\n\t" QPIPE_DW6_CODE(#N) "adds %[j], %[k]\n\t"
// clang-format on

// out[p C + c] for the windows at x + p S C, p = 0 .. 5, every channel c, as
// depthwise_row_pixels_m0<6, S, C, RowStride, I> computes them, with `steps` =
// depthwise_row_steps(6, S, C, RowStride).
// Registers: the three weights of a row, the input, a temporary, the index, C and the weights'
// distance are the eight low ones, the six accumulators the high ones. The stack, 32 bytes below
// the routine's frame: the output's distance from the index after the rows, the shift, the
// weights' distance at the first row, the channel record, the index's end, the index step, the
// weight step and the way back from the channel's last output to the next channel's index.
template <std::size_t S, WordImmediates I>
[[gnu::noinline]] inline void depthwise_row_six_m0(const BiasedChannel* q, const std::int8_t* w, const std::int8_t* x,
                                                   std::int8_t* out, std::uint32_t shift,
                                                   const DepthwiseRowSteps& steps) {
  static_assert((S == 1 || S == 2) && I.known && sizeof(BiasedChannel) == 12);
  const std::uint32_t at_x = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(x));
  std::uint32_t k = steps.channels;
  std::uint32_t j = at_x - k;
  std::uint32_t d = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(w)) - at_x + k;
  // In: the stack words that no register holds, in registers the routine then reuses.
  std::uint32_t w0 = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(out)) - at_x - steps.rows;
  std::uint32_t w1 = shift;
  std::uint32_t w2 = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(q));
  std::uint32_t v = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(&steps));
  std::uint32_t t = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(out)) - at_x + 6 * k - 1;
  register std::int32_t acc0 asm("r8"), acc1 asm("r9"), acc2 asm("r10"), acc3 asm("r11"), acc4 asm("r12"),
      acc5 asm("lr");
  // clang-format off
#define QPIPE_DW6_PASS(ROW)                                                                          \
  asm volatile(".syntax unified\n\t" /* volatile: its stores are its purpose */                      \
      "sub sp, #32\n\t"                                                                              \
      "str %[t], [sp, #28]\n\t"                                                                      \
      "str %[w0], [sp, #0]\n\t"                                                                      \
      "str %[w1], [sp, #4]\n\t"                                                                      \
      "str %[d], [sp, #8]\n\t"                                                                       \
      "str %[w2], [sp, #12]\n\t"                                                                     \
      "adds %[t], %[j], %[k]\n\t"                                                                    \
      "str %[t], [sp, #16]\n\t"                                                                      \
      "ldr %[t], [%[x], #4]\n\t"                                                                     \
      "str %[t], [sp, #20]\n\t"                                                                      \
      "ldr %[t], [%[x], #8]\n\t"                                                                     \
      "str %[t], [sp, #24]\n"                                                                        \
      "1:\n\t"                                                                                       \
      "ldr %[t], [sp, #12]\n\t"                                                                      \
      "ldr %[t], [%[t], #0]\n\t"                                                                     \
      "mov %[acc0], %[t]\n\t"                                                                        \
      "mov %[acc1], %[t]\n\t"                                                                        \
      "mov %[acc2], %[t]\n\t"                                                                        \
      "mov %[acc3], %[t]\n\t"                                                                        \
      "mov %[acc4], %[t]\n\t"                                                                        \
      "mov %[acc5], %[t]\n\t"                                                                        \
      ROW QPIPE_DW6_NEXT_ROW ROW QPIPE_DW6_NEXT_ROW ROW                                              \
      "ldr %[d], [sp, #12]\n\t"                                                                      \
      "ldrh %[w0], [%[d], #4]\n\t"                                                                   \
      "ldrh %[w1], [%[d], #6]\n\t"                                                                   \
      "ldr %[w2], [%[d], #8]\n\t"                                                                    \
      "adds %[d], #12\n\t"                                                                           \
      "str %[d], [sp, #12]\n\t"                                                                      \
      "ldr %[d], [sp, #4]\n\t"                                                                       \
      "ldr %[t], [sp, #0]\n\t"                                                                       \
      "adds %[j], %[t]\n\t"                                                                          \
      QPIPE_DW6_OUT(0) QPIPE_DW6_OUT(1) QPIPE_DW6_OUT(2) QPIPE_DW6_OUT(3) QPIPE_DW6_OUT(4)           \
      "mov %[x], %[acc5]\n\t" QPIPE_DW6_CODE("5")                                                    \
      "ldr %[t], [sp, #28]\n\t"                                                                      \
      "subs %[j], %[t]\n\t"                                                                          \
      "ldr %[d], [sp, #8]\n\t"                                                                       \
      "ldr %[x], [sp, #16]\n\t"                                                                      \
      "cmp %[j], %[x]\n\t"                                                                           \
      "beq 4f\n\t"                                                                                   \
      "b 1b\n"                                                                                       \
      QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1") QPIPE_DW4_ABOVE("2") QPIPE_DW4_ABOVE("3")            \
      QPIPE_DW4_ABOVE("4") QPIPE_DW4_ABOVE("5")                                                      \
      "4:\n\t"                                                                                       \
      "add sp, #32\n\t"                                                                              \
      : [j] "+l"(j), [k] "+l"(k), [d] "+l"(d), [w0] "+l"(w0), [w1] "+l"(w1), [w2] "+l"(w2),          \
        [x] "+l"(v), [t] "+l"(t), [acc0] "=&h"(acc0), [acc1] "=&h"(acc1), [acc2] "=&h"(acc2),        \
        [acc3] "=&h"(acc3), [acc4] "=&h"(acc4), [acc5] "=&h"(acc5)                                   \
      : [piece_bits] "I"(I.piece_bits), [span] "I"(I.span), [qmin_byte] "I"(I.qmin_byte)             \
      : "cc", "memory")
// From a row's last input to the next row's first; the weights' distance to the next row's.
#define QPIPE_DW6_NEXT_ROW                                                                           \
  "ldr %[t], [sp, #20]\n\t"                                                                          \
  "adds %[j], %[t]\n\t"                                                                              \
  "ldr %[t], [sp, #24]\n\t"                                                                          \
  "subs %[d], %[t]\n\t"
  // clang-format on
  if constexpr (S == 1) {
    QPIPE_DW6_PASS(QPIPE_DW4_ROW_S1_6);
  } else {
    QPIPE_DW6_PASS(QPIPE_DW4_ROW_S2_6);
  }
#undef QPIPE_DW6_NEXT_ROW
#undef QPIPE_DW6_PASS
}
#undef QPIPE_DW6_OUT
#undef QPIPE_DW6_CODE
#undef QPIPE_DW4_STEP_T
#undef QPIPE_DW4_SAVE_STACK
#undef QPIPE_DW4_KEEP_RECORD_STACK
#undef QPIPE_DW4_RECORD_STACK
#undef QPIPE_DW4_KEEP_RECORD_HIGH
#undef QPIPE_DW4_RECORD_HIGH
#undef QPIPE_DW4_LOOP
#undef QPIPE_DW4_OUT
#undef QPIPE_DW4_ABOVE
#undef QPIPE_DW4_REQUANTIZE
#undef QPIPE_DW4_CODE
#undef QPIPE_DW4_SET
#undef QPIPE_DW4_NEXT_ROW
#undef QPIPE_DW4_ROW_S2_6
#undef QPIPE_DW4_ROW_S2_5
#undef QPIPE_DW4_ROW_S1_6
#undef QPIPE_DW4_ROW_S1_5
#undef QPIPE_DW4_ROW_S2_4
#undef QPIPE_DW4_ROW_S2_3
#undef QPIPE_DW4_ROW_S2_2
#undef QPIPE_DW4_ROW_S1_4
#undef QPIPE_DW4_ROW_S1_3
#undef QPIPE_DW4_ROW_S1_2
#undef QPIPE_DW4_ROW_1
#undef QPIPE_DW4_IN
#undef QPIPE_DW4_IN2
#undef QPIPE_DW4_IN1
#undef QPIPE_DW4_IN0
#undef QPIPE_DW4_LAST
#undef QPIPE_DW4_COPY
#undef QPIPE_DW4_STEP
#undef QPIPE_DW4_INPUT
#undef QPIPE_DW4_WEIGHT
#undef QPIPE_DW_ABOVE
#undef QPIPE_DW_REQUANTIZE
#undef QPIPE_DW_ROW
#undef QPIPE_DW_NEXT
#undef QPIPE_DW_TAP
#undef QPIPE_DW_CHANNEL
#endif

}  // namespace qpipe::m0

#include "qpipe/backends/m0/asm/folded_code_end.hpp"
