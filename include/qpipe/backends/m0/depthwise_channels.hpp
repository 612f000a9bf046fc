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
inline constexpr bool depthwise_channels_m0_serves =
    C % 2 == 0 && C + 1 <= 255 && (K == 2 || K == 3 || K == 5) && RowStride >= K * C + 1 && (K - 1) * (RowStride - K * C) >= 2;

// Four output pixels of a row (windows S apart), one channel at a time, for 3 x 3 kernels at
// strides 1 and 2: a window row's 3 weights are loaded once into registers, and each input of the
// row once for every output that reads it (a stride-1 row: 6 inputs for 12 MACs, where the pixel
// pairs load 12); the channel's requantization constants are loaded once for its four outputs.
// MobileNetV2's layers: 65 cycles an output at stride 1 (the pixel pairs: 78), 75 at stride 2. Only with the word's
// fields as immediates (WordImmediates: qpipe::run); otherwise the pixel pairs run.
// The immediates: C between a row's inputs; the steps from a row's last input to the next row's
// first (RowStride - (3 S + 2) C, for the index) and from a row's weights to the next row's
// (RowStride - 3 C, for the weight pointer, which the index also moves), in steps of 255.
template <std::size_t K, std::size_t S, std::size_t C, std::size_t RowStride>
inline constexpr bool depthwise_four_pixels_m0_serves =
    K == 3 && (S == 1 || S == 2) && C >= 1 && C <= 2 * 255 && RowStride >= (3 * S + 3) * C;

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
#define QPIPE_DW_ABOVE(MODE, N) QPIPE_FOLDED_ABOVE(MODE, "b", "j", N)

// I: the word's fields as immediates where the network is a template argument; `word` is then
// the shift alone (WordImmediates::handed_word).
template <std::size_t K, std::size_t C, std::size_t RowStride, WordImmediates I>
[[gnu::noinline]] inline void depthwise_pixel_pair_m0(const BiasedChannel* q, const std::int8_t* w, const std::int8_t* x,
                                                      const std::int8_t* x1, std::int8_t* out, std::uint32_t word) {
  static_assert(depthwise_channels_m0_serves<K, C, RowStride> && sizeof(BiasedChannel) == 12);
  // From one kernel row to the next: row_more additions of 255, then row (1 to 255).
  constexpr std::size_t row_step = RowStride - K * C;
  constexpr std::size_t row_more = row_step > 255 ? (row_step - 256) / 255 + 1 : 0, row = row_step - 255 * row_more;
  // After the last row, less the next pair's 2: back_more subtractions of 255, then back1 and back2.
  constexpr std::size_t back_all = (K - 1) * row_step - 2;
  constexpr std::size_t back_more = back_all > 2 * 255 ? (back_all - 2 * 255 + 254) / 255 : 0, back = back_all - 255 * back_more;
  // Six high registers: GCC's allocator hands out five of them itself, so they are named (lr
  // too: the routine saves it anyway, as it is not a leaf for GCC's purposes once clobbered).
  register const BiasedChannel* const end asm("lr") = q + C;
  register std::int32_t acc0 asm("r8"), acc1 asm("r9"), acc2 asm("r10"), acc3 asm("r11");
  register std::uint32_t word_hi asm("r12") = word;
  std::uint32_t j;
  std::int32_t a, b;
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
  // The taps in row-major order: NEXT between the taps of a row, ROW between rows.
#define QPIPE_DW_FIVE QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP
#define QPIPE_DW_KERNEL(MODE)                                                                                         \
  if constexpr (K == 2) {                                                                                             \
    QPIPE_DW_PAIRS(MODE, QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_ROW QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP); \
  } else if constexpr (K == 3) {                                                                                      \
    QPIPE_DW_PAIRS(MODE, QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_ROW                \
                   QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_ROW                      \
                   QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP QPIPE_DW_NEXT QPIPE_DW_TAP);                                 \
  } else {                                                                                                            \
    QPIPE_DW_PAIRS(MODE, QPIPE_DW_FIVE QPIPE_DW_ROW QPIPE_DW_FIVE QPIPE_DW_ROW QPIPE_DW_FIVE QPIPE_DW_ROW               \
                   QPIPE_DW_FIVE QPIPE_DW_ROW QPIPE_DW_FIVE);                                                           \
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
#define QPIPE_DW4_WEIGHT(W) "ldrsb %[" W "], [%[wp], %[j]]\n\t"
#define QPIPE_DW4_INPUT "ldrsb %[x], [%[xp], %[j]]\n\t"
// (C above 255, up to 510: two additions, 1 cycle more a step.)
#define QPIPE_DW4_STEP ".if %c[c] > 255\n\tadds %[j], #255\n\tadds %[j], #%c[c] - 255\n\t.else\n\tadds %[j], #%c[c]\n\t.endif\n\t"
// acc += x W, keeping x for a later output (COPY) or as its last use (LAST).
#define QPIPE_DW4_COPY(W, ACC) "mov %[t], %[x]\n\t" "muls %[t], %[" W "]\n\t" "add %[" ACC "], %[t]\n\t"
#define QPIPE_DW4_LAST(W, ACC) "muls %[x], %[" W "]\n\t" "add %[" ACC "], %[x]\n\t"
// One window row of the four outputs: input k of the row meets weight k - p S of output p.
#define QPIPE_DW4_ROW_S1                                                                              \
  QPIPE_DW4_WEIGHT("w0") QPIPE_DW4_INPUT QPIPE_DW4_LAST("w0", "acc0")                                 \
  QPIPE_DW4_STEP QPIPE_DW4_WEIGHT("w1") QPIPE_DW4_INPUT QPIPE_DW4_COPY("w1", "acc0") QPIPE_DW4_LAST("w0", "acc1") \
  QPIPE_DW4_STEP QPIPE_DW4_WEIGHT("w2") QPIPE_DW4_INPUT QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_COPY("w1", "acc1") \
  QPIPE_DW4_LAST("w0", "acc2")                                                                        \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_COPY("w1", "acc2") QPIPE_DW4_LAST("w0", "acc3") \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_COPY("w2", "acc2") QPIPE_DW4_LAST("w1", "acc3")            \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_LAST("w2", "acc3")
#define QPIPE_DW4_ROW_S2                                                                              \
  QPIPE_DW4_WEIGHT("w0") QPIPE_DW4_INPUT QPIPE_DW4_LAST("w0", "acc0")                                 \
  QPIPE_DW4_STEP QPIPE_DW4_WEIGHT("w1") QPIPE_DW4_INPUT QPIPE_DW4_LAST("w1", "acc0")                  \
  QPIPE_DW4_STEP QPIPE_DW4_WEIGHT("w2") QPIPE_DW4_INPUT QPIPE_DW4_COPY("w2", "acc0") QPIPE_DW4_LAST("w0", "acc1") \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_LAST("w1", "acc1")                                         \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_COPY("w2", "acc1") QPIPE_DW4_LAST("w0", "acc2")            \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_LAST("w1", "acc2")                                         \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_COPY("w2", "acc2") QPIPE_DW4_LAST("w0", "acc3")            \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_LAST("w1", "acc3")                                         \
  QPIPE_DW4_STEP QPIPE_DW4_INPUT QPIPE_DW4_LAST("w2", "acc3")
// From a row's last input to the next row's first (stride S); the weight pointer so that the
// index finds the next row's weights.
#define QPIPE_DW4_NEXT_ROW(S)                                                                         \
  ".rept %c[index_step_" S "] / 255\n\tadds %[j], #255\n\t.endr\n\t"                                   \
  "adds %[j], #%c[index_step_" S "] %% 255\n\t"                                                          \
  ".rept %c[weight_step] / 255\n\tsubs %[wp], #255\n\t.endr\n\t"                                       \
  "subs %[wp], #%c[weight_step] %% 255\n\t"
// A channel's accumulators at its bias, the index at the window's first input.
#define QPIPE_DW4_START                                                                               \
  "mov %[t], %[record]\n\t"                                                                           \
  "ldr %[t], [%[t], #0]\n\t"                                                                          \
  "mov %[acc0], %[t]\n\t"                                                                             \
  "mov %[acc1], %[t]\n\t"                                                                             \
  "mov %[acc2], %[t]\n\t"                                                                             \
  "mov %[acc3], %[t]\n\t"                                                                             \
  "movs %[j], #0\n\t"
// Output N from ACC: the channel's low and high halves in w0 and w1, its offset in w2, the shift in
// wp, the output pointer in j (moved C on after outputs 0 to 2). Above the span: label 2N.
#define QPIPE_DW4_REQUANTIZE(ACC, N, MOVE)                                                            \
  "mov %[x], %[" ACC "]\n\t"                                                                          \
  "mov %[t], %[x]\n\t"                                                                                \
  "muls %[t], %[w0]\n\t"                                                                              \
  "asrs %[t], %[t], %[piece_bits]\n\t"                                                                \
  "muls %[x], %[w1]\n\t"                                                                              \
  "adds %[x], %[t]\n\t"                                                                               \
  "adds %[x], %[w2]\n\t"                                                                              \
  "asrs %[x], %[wp]\n\t" QPIPE_FOLDED_RANGE(IMMEDIATE, "x", "t", N) "strb %[x], [%[j], #0]\n\t" MOVE
#define QPIPE_DW4_ABOVE(N) QPIPE_FOLDED_ABOVE(IMMEDIATE, "x", "t", N)

// out[p C + c] for the windows at x + p S C, p = 0 .. 3, every channel c: the records q, the
// weights w ([ky][kx][c]), the shift (WordImmediates::handed_word). One routine for both strides
// (their window rows apart, the rest shared): the channel loop comes back to the stride's rows
// through an address kept on the stack, 2 cycles a channel more than a branch.
// Registers: the three weights of a row, the input, a temporary, the index and the weight and
// input pointers are the eight low ones; the accumulators, the channel record and the end are
// high registers; the output's distance from the input, the shift, the weights' distance from the
// input and the loop's address are on the stack (16 bytes, below the routine's own frame).
// GCC hands inline assembly over in divided syntax; the block switches to unified and back.
template <std::size_t C, std::size_t RowStride, WordImmediates I>
[[gnu::noinline]] inline void depthwise_four_pixels_m0(const BiasedChannel* q, const std::int8_t* w, const std::int8_t* x,
                                                       std::int8_t* out, std::uint32_t shift, std::uint32_t stride) {
  static_assert(depthwise_four_pixels_m0_serves<3, 1, C, RowStride> && I.known && sizeof(BiasedChannel) == 12);
  // From a row's last input (3 S + 2) to the next row's first; stride 2 is not taken where the
  // image is too narrow for it.
  constexpr std::size_t index_step_1 = RowStride - 5 * C;
  constexpr std::size_t index_step_2 = RowStride >= 8 * C ? RowStride - 8 * C : 0;
  constexpr std::size_t weight_step = RowStride - 3 * C;
  register const std::int8_t* const end asm("lr") = x + C;
  register std::int32_t acc0 asm("r8"), acc1 asm("r9"), acc2 asm("r10"), acc3 asm("r11");
  register const BiasedChannel* record asm("r12");
  // In: the stack words, the first record and the stride, in registers the routine then reuses.
  std::uint32_t w0 = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(out) - reinterpret_cast<std::uintptr_t>(x));
  std::uint32_t w1 = shift;
  std::uint32_t w2 = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(w) - reinterpret_cast<std::uintptr_t>(x));
  std::uint32_t j = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(q));
  std::uint32_t t = stride;
  std::int32_t v;
  asm volatile(".syntax unified\n\t" /* volatile: its stores are its purpose */
      "sub sp, #16\n\t"
      "str %[w0], [sp, #0]\n\t"
      "str %[w1], [sp, #4]\n\t"
      "str %[w2], [sp, #8]\n\t"
      "mov %[record], %[j]\n\t"
      "adr %[x], 1f\n\t"
      "cmp %[t], #1\n\t"
      "beq 7f\n\t"
      "adr %[x], 5f\n"
      "7:\n\t"
      "str %[x], [sp, #12]\n\t"
      "mov pc, %[x]\n\t"
      ".balign 4\n"
      "5:\n\t" QPIPE_DW4_START
      "8:\n\t" QPIPE_DW4_ROW_S2 QPIPE_DW4_NEXT_ROW("2")
      "ldr %[t], =%c[rows_end]\n\t"
      "cmp %[j], %[t]\n\t"
      "bne 8b\n\t"
      "b 6f\n\t"
      ".balign 4\n"
      "1:\n\t" QPIPE_DW4_START QPIPE_DW4_ROW_S1 QPIPE_DW4_NEXT_ROW("1") QPIPE_DW4_ROW_S1 QPIPE_DW4_NEXT_ROW("1")
      QPIPE_DW4_ROW_S1
      "6:\n\t"
      "mov %[j], %[record]\n\t"
      "ldrh %[w0], [%[j], #4]\n\t"
      "ldrh %[w1], [%[j], #6]\n\t"
      "ldr %[w2], [%[j], #8]\n\t"
      "adds %[j], #12\n\t"
      "mov %[record], %[j]\n\t"
      "ldr %[wp], [sp, #4]\n\t"
      "ldr %[j], [sp, #0]\n\t"
      "adds %[j], %[xp]\n\t"
      QPIPE_DW4_REQUANTIZE("acc0", "0", QPIPE_DW4_STEP)
      QPIPE_DW4_REQUANTIZE("acc1", "1", QPIPE_DW4_STEP)
      QPIPE_DW4_REQUANTIZE("acc2", "2", QPIPE_DW4_STEP)
      QPIPE_DW4_REQUANTIZE("acc3", "3", "")
      "adds %[xp], #1\n\t"
      "ldr %[wp], [sp, #8]\n\t"
      "adds %[wp], %[xp]\n\t"
      "cmp %[xp], %[end]\n\t"
      "beq 4f\n\t"
      "ldr %[x], [sp, #12]\n\t"
      "mov pc, %[x]\n"
      QPIPE_DW4_ABOVE("0") QPIPE_DW4_ABOVE("1") QPIPE_DW4_ABOVE("2") QPIPE_DW4_ABOVE("3")
      ".ltorg\n"  /* rows_end, after the branch back */
      "4:\n\t"
      "add sp, #16\n\t"
      : [xp] "+l"(x), [wp] "+l"(w), [w0] "+l"(w0), [w1] "+l"(w1), [w2] "+l"(w2), [j] "+l"(j), [t] "+l"(t),
        [x] "=&l"(v), [acc0] "=&h"(acc0), [acc1] "=&h"(acc1), [acc2] "=&h"(acc2), [acc3] "=&h"(acc3),
        [record] "=&h"(record)
      : [end] "h"(end), [c] "n"(C), [index_step_1] "n"(index_step_1), [index_step_2] "n"(index_step_2),
        [weight_step] "n"(weight_step), [rows_end] "n"(3 * RowStride), [piece_bits] "I"(I.piece_bits),
        [span] "I"(I.span), [qmin_byte] "I"(I.qmin_byte)
      : "cc", "memory");
}
#undef QPIPE_DW4_ABOVE
#undef QPIPE_DW4_REQUANTIZE
#undef QPIPE_DW4_START
#undef QPIPE_DW4_NEXT_ROW
#undef QPIPE_DW4_ROW_S2
#undef QPIPE_DW4_ROW_S1
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
