// The depthwise layer's per-channel constants as one record per channel, and on the Cortex-M0 the
// assembly channel loop that serves two output pixels at a time: with 9 MACs per output, the
// requantization and the bookkeeping around it cost as much as the MACs, and GCC's version of that
// loop kept the clamp constants and the pointers on the stack.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/detail/folded_code_m0.hpp"
#include "qpipe/numerics/requantizer.hpp"

namespace qpipe::detail {

// The assembly loop's reach: an even channel count (channel pairs), the kernel sizes whose tap
// sequence it spells out, and the immediates it adds: C - 1 between taps, RowStride - K C from one
// kernel row to the next (the taps' index runs through the weights, the input pointers take the
// difference), C + 1 for the second pixel's store, and the pointers' way back after the last row
// in two subtractions.
template <std::size_t K, std::size_t C, std::size_t RowStride>
inline constexpr bool depthwise_channels_m0_serves =
    C % 2 == 0 && C + 1 <= 255 && (K == 2 || K == 3 || K == 5) && RowStride >= K * C + 1 && RowStride - K * C <= 255 &&
    (K - 1) * (RowStride - K * C) >= 2 && (K - 1) * (RowStride - K * C) - 2 <= 2 * 255;

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
#define QPIPE_DW_ROW QPIPE_DW_NEXT "adds %[x], %[row]\n\t" "adds %[x1], %[row]\n\t"
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
  constexpr std::size_t back = (K - 1) * (RowStride - K * C) - 2;  // after the last row, less the next pair's 2
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
      ".syntax divided"                                                                                      \
      : [q] "+l"(q), [w] "+l"(w), [x] "+l"(x), [x1] "+l"(x1), [out] "+l"(out), [j] "=&l"(j), [a] "=&l"(a),   \
        [b] "=&l"(b), [acc0] "=&h"(acc0), [acc1] "=&h"(acc1), [acc2] "=&h"(acc2), [acc3] "=&h"(acc3)          \
      : [word] "h"(word_hi), [end] "h"(end), [next] "I"(C - 1), [row] "I"(RowStride - K * C),                    \
        [back1] "I"(back < 255 ? back : 255), [back2] "I"(back < 255 ? 0 : back - 255), [second] "I"(C),      \
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
#undef QPIPE_DW_ABOVE
#undef QPIPE_DW_REQUANTIZE
#undef QPIPE_DW_ROW
#undef QPIPE_DW_NEXT
#undef QPIPE_DW_TAP
#undef QPIPE_DW_CHANNEL
#endif

}  // namespace qpipe::detail
