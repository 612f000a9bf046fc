// 1 x 1 convolutions with many inputs (MobileNet's project layers): two output channels per pass
// over a pixel's inputs as lane pairs (lane_input, lane_weight: dot.hpp), two MACs per 32-bit
// multiply. The pixel's inputs are packed once into pairs on the stack, for all its channels; a
// channel's weights are stored as the pairs, twice TFLite's bytes. On the Cortex-M0 the whole
// channel loop of a pixel is one assembly loop: per two input pairs one LDM of the two packed
// inputs, per pair one LDM of the two channels' weight pairs and for each channel MULS, ASRS #16,
// ADCS (the carry is the low lane's sign: lane_mac): 21 cycles per 8 MACs, where four weights of
// one input in a word took 19 per 4 (its sign extensions and products by one input at a time); then
// the two requantizations in the folded halves form, the offset chosen by the accumulator's sign
// (or, a one-sided layer's, one offset with the channel's shift beside it: its fit's common shift
// or the channel's own), or, with the word's span and qmin as immediates, in three pieces (m cut
// apart by a mask and shifts made from b, which the loop reads from the word:
// QPIPE_PAIRS_THREE_PIECES_REGISTER). A layer whose requantization took another form (a shift per
// channel in a two-sided layer, TFLite's multipliers; three pieces without the immediates) runs
// the same MAC loop in assembly and its codes in C++: a few more cycles an output, where the C++
// MACs cost three times the assembly's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/convolution.hpp"

#include "qpipe/backends/m0/asm/folded_code_begin.hpp"  // QPIPE_FOLDED_*, taken away at the end

namespace qpipe::m0 {

// One output channel: the bias (the input zero-point term folded in), the requantization and the
// offset for acc < 0 (the same as the other one where the layer has no negative offsets).
struct QuadChannel {
  std::int32_t bias;
  RequantizationChannel requantization;
  std::int32_t negative_offset;
};
// The byte offsets the assembly loop reads a record at (bias 0, halves 4 and 6, offsets 8 and 12).
static_assert(offsetof(QuadChannel, bias) == 0 && offsetof(QuadChannel, requantization) == 4 &&
              offsetof(QuadChannel, negative_offset) == 12 && sizeof(QuadChannel) == 16);

// A pair kernel's record: a one-sided layer's outputs never go below the zero point, its one
// offset serves both signs, so it keeps BiasedChannel (requantizer.hpp: the same first 12 bytes,
// 4 bytes a channel fewer); a two-sided one the offset for acc < 0 too.
template <bool TwoSided>
using PairRecord = std::conditional_t<TwoSided, QuadChannel, BiasedChannel>;

// The most inputs the kernel takes: a pixel's packed inputs are InC / 2 words of stack (1 KiB).
inline constexpr std::size_t pair_packed_max_inputs = 512;

// A 1 x 1 pair layer's geometry, which its out-of-line loop (pointwise_pairs_pixels_m0 below) reads
// at run time, one in flash per layer: output rows and columns, the input bytes from pixel to pixel
// and from row to row, the input pairs (InC / 2) and the output channels.
struct PointwisePairShape {
  std::uint32_t rows, columns, column_step, row_step, pairs, outputs;
};

// The kernel's reach: per-channel scales, more inputs than the lane kernel takes (it keeps the
// packed inputs in registers), the input count a multiple of four (the loops take two pairs a
// step) up to pair_packed_max_inputs, the output channels in twos.
template <std::size_t K, std::size_t InC, std::size_t Channels, std::size_t OutC>
inline constexpr bool pair_packed_weights =
    K == 1 && InC > 8 && InC % 4 == 0 && InC <= pair_packed_max_inputs&& OutC % 2 == 0 && Channels == OutC;

// The folded form with the offset for the accumulator's sign: what the assembly loop computes.
constexpr std::int8_t folded_two_sided_code(std::int32_t acc, const QuadChannel& c, std::uint32_t word,
                                            unsigned pieces = 2) {
  FittedChannel f = c.requantization.fitted;
  if (acc < 0) f.offset = c.negative_offset;
  return folded_halves_code(acc, f, word, pieces);
}

// The input pairs a step of the pack loop (pack_lane_pairs_m0: 2 or 4) and of the MAC loops (2, 4
// or 8: each step ends in a compare and a taken branch, 4 cycles, a quarter of a cycle a MAC at 4).
template <std::size_t InC>
inline constexpr std::size_t pair_pack_step = InC / 2 % 4 == 0 ? 4 : 2;
template <std::size_t InC>
inline constexpr std::size_t pair_mac_step = InC / 2 % 8 == 0 ? 8 : pair_pack_step<InC>;

#if defined(__ARM_ARCH_6M__)
// Two input pairs (X, T) for the two channels: weight pairs from w, two words a pair.
// clang-format off
#define QPIPE_PAIRS_STEP                \
  "ldm %[xp]!, {%[x], %[t]}\n\t"        \
  "ldm %[w]!, {%[wa], %[wb]}\n\t"       \
  "muls %[wa], %[x]\n\t"               \
  "asrs %[wa], %[wa], #16\n\t"          \
  "adcs %[acc0], %[wa]\n\t"             \
  "muls %[wb], %[x]\n\t"               \
  "asrs %[wb], %[wb], #16\n\t"          \
  "adcs %[acc1], %[wb]\n\t"             \
  "ldm %[w]!, {%[wa], %[wb]}\n\t"       \
  "muls %[wa], %[t]\n\t"               \
  "asrs %[wa], %[wa], #16\n\t"          \
  "adcs %[acc0], %[wa]\n\t"             \
  "muls %[wb], %[t]\n\t"               \
  "asrs %[wb], %[wb], #16\n\t"          \
  "adcs %[acc1], %[wb]\n\t"
// The offset and the shift of the record at t into X (WA a temporary): a two-sided layer's
// (QuadChannel) offset at OFFSET, the one for acc < 0 four bytes further, chosen by the sign of ACC
// (5 cycles), and the layer's common shift; a one-sided layer's (BiasedChannel) single word at
// OFFSET, which holds its shift too (folded_shifted_code; ACC, dead by then, a temporary).
#define QPIPE_PAIRS_OFFSET_BY_SIGN(MODE, X, ACC, OFFSET) \
  "lsrs %[wa], %[" ACC "], #31\n\t"                     \
  "lsls %[wa], %[wa], #2\n\t"                           \
  "adds %[wa], %[t]\n\t"                                \
  "ldr %[wa], [%[wa], #" OFFSET "]\n\t"                 \
  "adds %[" X "], %[wa]\n\t" QPIPE_FOLDED_SHIFT_##MODE(X, "wa")
#define QPIPE_PAIRS_OFFSET_ONE(MODE, X, ACC, OFFSET) QPIPE_FOLDED_SHIFTED_OFFSET(X, "wa", ACC, "[%[t], #" OFFSET "]")
// The scaled accumulator of the channel whose m is at [t, LOW] (its halves at LOW and HIGH) from ACC
// into X (WA and T2 temporaries): two pieces as halves, or three (MODE REGISTER alone: b in xp).
#define QPIPE_PAIRS_SCALED_HALVES(MODE, X, T2, ACC, LOW, HIGH) \
  QPIPE_FOLDED_SCALED(MODE, X, "wa", ACC, "[%[t], #" LOW "]", "[%[t], #" HIGH "]")
#define QPIPE_PAIRS_SCALED_THREE(MODE, X, T2, ACC, LOW, HIGH) \
  QPIPE_PAIRS_THREE_PIECES_##MODE(X, "wa", T2, ACC, "[%[t], #" LOW "]")
// The code of the channel at [t, BASE] from ACC into X (WA and T2 temporaries), scaled by SCALED, its
// offset and shift by SELECT; above the span: label 2N.
#define QPIPE_PAIRS_REQUANTIZE(MODE, SCALED, SELECT, X, T2, ACC, N, LOW, HIGH, OFFSET) \
  SCALED(MODE, X, T2, ACC, LOW, HIGH)                                                  \
  SELECT(MODE, X, ACC, OFFSET) QPIPE_FOLDED_RANGE(MODE, X, "wa", N)
// A third spelling of the folded code's steps, _REGISTER, for the channel loop alone: the word's
// span and qmin immediates as in _IMMEDIATE, b and the shift read from the layer's word (b its low
// byte, the shift byte 1), which the loop copies into xp after the MAC steps (free until the next
// pass) once per channel pair: a shift by register reads the register's low byte, so the piece
// shift costs what the immediate's did, the common shift what the word's high register's did, one
// cycle a pass more, and layers whose b differ share a copy of the loop. Three pieces have this
// spelling alone (QPIPE_PAIRS_THREE_PIECES_REGISTER).
#define QPIPE_FOLDED_PIECE_SHIFT_REGISTER(X, T) "asrs %[" X "], %[xp]\n\t"
#define QPIPE_FOLDED_SHIFT_REGISTER(X, T) "lsrs %[" T "], %[xp], #8\n\t" "asrs %[" X "], %[" T "]\n\t"
#define QPIPE_FOLDED_SPAN_COMPARE_REGISTER QPIPE_FOLDED_SPAN_COMPARE_IMMEDIATE
#define QPIPE_FOLDED_TO_SPAN_REGISTER QPIPE_FOLDED_TO_SPAN_IMMEDIATE
#define QPIPE_FOLDED_ADD_QMIN_REGISTER QPIPE_FOLDED_ADD_QMIN_IMMEDIATE
// X = the scaled accumulator of three b-bit pieces of m (scaled_accumulator), m the word at M, b
// read from xp; T and T2 temporaries, A only read. A shift by register reads b where the cuts of
// a shift left and one right would need 32 - b and 32 - 2 b, which xp cannot hold beside it: the
// two low pieces are m and m >> b masked to their low b bits (the mask 2^b - 1 made from b, three
// cycles a channel: no register keeps it over the pass), the top one m >> 2 b, each step as
// scaled_accumulator's. 17 cycles, 9 more than the halves' two loads, and one copy of the loop
// serves layers whose b differ.
#define QPIPE_PAIRS_THREE_PIECES_REGISTER(X, T, T2, A, M)                        \
  "ldr %[" T "], " M "\n\t"                                                     \
  "movs %[" T2 "], #1\n\t"                                                      \
  "lsls %[" T2 "], %[xp]\n\t"                                                   \
  "subs %[" T2 "], #1\n\t"                                                      \
  "movs %[" X "], %[" T "]\n\t"                                                 \
  "ands %[" X "], %[" T2 "]\n\t"                                                \
  "muls %[" X "], %[" A "]\n\t"                                                 \
  "asrs %[" X "], %[xp]\n\t"                                                    \
  "lsrs %[" T "], %[xp]\n\t"                                                    \
  "ands %[" T2 "], %[" T "]\n\t"                                                \
  "muls %[" T2 "], %[" A "]\n\t"                                                \
  "adds %[" X "], %[" T2 "]\n\t"                                                \
  "asrs %[" X "], %[xp]\n\t"                                                    \
  "lsrs %[" T "], %[xp]\n\t"                                                    \
  "muls %[" T "], %[" A "]\n\t"                                                 \
  "adds %[" X "], %[" T "]\n\t"
// What a pass does after its MAC steps, before the requantizations: _REGISTER's copy of the word.
#define QPIPE_PAIRS_AFTER_MACS_WORD ""
#define QPIPE_PAIRS_AFTER_MACS_IMMEDIATE ""
#define QPIPE_PAIRS_AFTER_MACS_REGISTER "mov %[xp], %[word]\n\t"
// clang-format on

// Output channels [q, end) in twos of one pixel whose inputs are packed as lane pairs in [xbegin,
// xend) (a multiple of Unroll words, 2, 4 or 8): w the weight pairs (channel pair by channel pair,
// input pair by input pair, the two channels' words side by side), out the outputs. Low
// registers: the two accumulators, the packed inputs' pointer and two of them, the weight pointer
// and the two weight words (r2 to r5 fixed: LDM fills registers in their numbers' order); high:
// the channel record, the output, the end, the packed inputs' ends, the word. Per two outputs 6 +
// 10.5 per input pair + 4 per Unroll pairs + 2 x 21 (requantization) + 14 (stores, loop). The 1 x
// 1 kernel's pixels (below) and the K x K pair kernel's windows (window_pairs.hpp) run it.
// Record: PairRecord's, 16 bytes with the offset by sign, or a one-sided layer's 12 with its one
// offset and its shift in one word (3 cycles an output fewer; 4 where the word's fields are not
// immediates); the loop steps 2 records a pass.
template <std::size_t Unroll, WordImmediates I, class Record>
[[gnu::always_inline]] inline void pair_channels_m0(const Record* q, const Record* end_in, const std::int32_t*& w,
                                                    const std::int32_t* xbegin_in, const std::int32_t* xend_in,
                                                    std::int8_t*& out, std::uint32_t word_in) {
  static_assert(std::is_same_v<Record, QuadChannel> || std::is_same_v<Record, BiasedChannel>);
  static_assert(Unroll == 2 || Unroll == 4 || Unroll == 8);
  constexpr std::size_t unroll = Unroll;  // input pairs a step of the loop
  // High registers: GCC's allocator hands out five of them itself, so they are named.
  register const Record* const end asm("lr") = end_in;
  register std::uint32_t word asm("r12") = word_in;
  register const std::int32_t* const xbegin asm("r8") = xbegin_in;
  register const std::int32_t* const xend asm("r9") = xend_in;
  register const Record* record asm("r10") = q;
  register std::int8_t* o asm("r11") = out;
  register std::int32_t xv asm("r2");
  register std::int32_t t asm("r3");
  register std::int32_t wa asm("r4");
  register std::int32_t wb asm("r5");
  std::int32_t acc0, acc1;
  const std::int32_t* xp;
#define QPIPE_PAIRS_MAC_STEP_2 QPIPE_PAIRS_STEP
#define QPIPE_PAIRS_MAC_STEP_4 QPIPE_PAIRS_STEP QPIPE_PAIRS_STEP
#define QPIPE_PAIRS_MAC_STEP_8 QPIPE_PAIRS_STEP QPIPE_PAIRS_STEP QPIPE_PAIRS_STEP QPIPE_PAIRS_STEP
// clang-format off
// The second record of a pass at SECOND (its halves at LOW and HIGH, its offset at OFFSET), the
// pass two records long (PASS). The first channel's second temporary is the second one's result
// register (written after), the second channel's the first one's accumulator (read before).
#define QPIPE_PAIRS_PIXEL(MODE, SCALED, U, SELECT, SECOND, LOW, HIGH, OFFSET, PASS)                                        \
  asm volatile(".syntax unified\n\t" /* volatile: its stores are its purpose */                                  \
      "1:\n\t"                                                                                                    \
      "mov %[t], %[record]\n\t"                                                                                   \
      "ldr %[acc0], [%[t], #0]\n\t"                                                                               \
      "ldr %[acc1], [%[t], #" SECOND "]\n\t"                                                                          \
      "mov %[xp], %[xbegin]\n"                                                                                     \
      "5:\n\t" QPIPE_PAIRS_MAC_STEP_##U                                                                            \
      "cmp %[xp], %[xend]\n\t"                                                                                    \
      "bne 5b\n\t" QPIPE_PAIRS_AFTER_MACS_##MODE                                                                   \
      "mov %[t], %[record]\n\t"                                                                                   \
      QPIPE_PAIRS_REQUANTIZE(MODE, SCALED, SELECT, "x", "wb", "acc0", "0", "4", "6", "8")                          \
      QPIPE_PAIRS_REQUANTIZE(MODE, SCALED, SELECT, "wb", "acc0", "acc1", "1", LOW, HIGH, OFFSET)                   \
      "mov %[wa], %[o]\n\t"                                                                                       \
      "strb %[x], [%[wa], #0]\n\t"                                                                                \
      "strb %[wb], [%[wa], #1]\n\t"                                                                               \
      "adds %[wa], #2\n\t"                                                                                        \
      "mov %[o], %[wa]\n\t"                                                                                       \
      "adds %[t], #" PASS "\n\t"                                                                                    \
      "mov %[record], %[t]\n\t"                                                                                   \
      "cmp %[t], %[end]\n\t"                                                                                      \
      "beq 4f\n\t"                                                                                                \
      "b 1b\n"                                                                                                     \
      QPIPE_FOLDED_ABOVE(MODE, "x", "wa", "0") QPIPE_FOLDED_ABOVE(MODE, "wb", "wa", "1")                            \
      "4:\n\t"                                                                                                    \
      : [acc0] "=&l"(acc0), [acc1] "=&l"(acc1), [xp] "=&l"(xp), [w] "+l"(w), [x] "=&l"(xv), [t] "=&l"(t),           \
        [wa] "=&l"(wa), [wb] "=&l"(wb), [record] "+h"(record), [o] "+h"(o)                                         \
      : [xbegin] "h"(xbegin), [xend] "h"(xend), [word] "h"(word), [end] "h"(end),                                 \
        [piece_bits] "I"(I.piece_bits), [span] "I"(I.span), [qmin_byte] "I"(I.qmin_byte)                          \
      : "cc", "memory")
// clang-format on
#define QPIPE_PAIRS_UNROLL(MODE, SCALED, ...)        \
  if constexpr (unroll == 8) {                       \
    QPIPE_PAIRS_PIXEL(MODE, SCALED, 8, __VA_ARGS__); \
  } else if constexpr (unroll == 4) {                \
    QPIPE_PAIRS_PIXEL(MODE, SCALED, 4, __VA_ARGS__); \
  } else {                                           \
    QPIPE_PAIRS_PIXEL(MODE, SCALED, 2, __VA_ARGS__); \
  }
  // The second record's fields: sizeof(Record) on (requantizer.hpp's and QuadChannel's asserts).
#define QPIPE_PAIRS_MODE(MODE, SCALED)                                                         \
  if constexpr (std::is_same_v<Record, BiasedChannel>) {                                       \
    QPIPE_PAIRS_UNROLL(MODE, SCALED, QPIPE_PAIRS_OFFSET_ONE, "12", "16", "18", "20", "24")     \
  } else {                                                                                     \
    QPIPE_PAIRS_UNROLL(MODE, SCALED, QPIPE_PAIRS_OFFSET_BY_SIGN, "16", "20", "22", "24", "32") \
  }
  if constexpr (I.three_pieces) {
    static_assert(I.known && I.piece_bits == 0, "three pieces only with b from the word (without_piece_bits)");
    QPIPE_PAIRS_MODE(REGISTER, QPIPE_PAIRS_SCALED_THREE)
  } else if constexpr (I.known && I.piece_bits == 0) {
    QPIPE_PAIRS_MODE(REGISTER, QPIPE_PAIRS_SCALED_HALVES)
  } else if constexpr (I.known) {
    QPIPE_PAIRS_MODE(IMMEDIATE, QPIPE_PAIRS_SCALED_HALVES)
  } else {
    QPIPE_PAIRS_MODE(WORD, QPIPE_PAIRS_SCALED_HALVES)
  }
  out = o;
#undef QPIPE_PAIRS_MODE
#undef QPIPE_PAIRS_UNROLL
#undef QPIPE_PAIRS_PIXEL
#undef QPIPE_PAIRS_MAC_STEP_8
#undef QPIPE_PAIRS_MAC_STEP_4
#undef QPIPE_PAIRS_MAC_STEP_2
}

// One pixel of a 1 x 1 layer: its inputs x packed into `pairs` stack words `packed` (about 10
// cycles an input pair: pack_lane_pairs_m0, PackStep pairs a step), then its channels
// (pair_channels_m0, MacStep pairs a step): pair_pack_step and pair_mac_step of the input count.
template <std::size_t PackStep, std::size_t MacStep, WordImmediates I, class Record>
[[gnu::always_inline]] inline void pointwise_pairs_pixel_m0(const Record* q, const Record* end, const std::int32_t*& w,
                                                            const std::int8_t* x, std::int32_t* packed,
                                                            std::size_t pairs, std::int8_t*& out, std::uint32_t word) {
  pack_lane_pairs_m0<PackStep>(x, packed, pairs);
  pair_channels_m0<MacStep, I>(q, end, w, packed, packed + pairs, out, word);
}

// The MAC loop alone, for the layers whose requantization the assembly loop above does not run
// (a shift per channel in a two-sided layer, TFLite's multipliers, three pieces without the word's
// fields as immediates or in a kernel that keeps them unfolded): acc0 and acc1 += one channel
// pair's sums over the packed inputs [xbegin, xend), w left on the next pair's weights. The same steps as the pixel loop's, 10.5 cycles an input pair
// for both channels; the caller requantizes the two sums in C++ (requantize_channel).
template <std::size_t Unroll>
[[gnu::always_inline]] inline void pair_sums_m0(const std::int32_t*& w, const std::int32_t* xbegin,
                                                const std::int32_t* xend_in, std::int32_t& acc0, std::int32_t& acc1) {
  constexpr std::size_t unroll = Unroll;  // input pairs a step, as in the channel loop
  register const std::int32_t* const xend asm("r8") = xend_in;
  register std::int32_t xv asm("r2");
  register std::int32_t t asm("r3");
  register std::int32_t wa asm("r4");
  register std::int32_t wb asm("r5");
  const std::int32_t* xp = xbegin;
  const std::int32_t* wp = w;
  std::int32_t a0 = acc0, a1 = acc1;
  // clang-format off
#define QPIPE_PAIRS_SUMS(STEPS)                                                                              \
  asm(".syntax unified\n"                                                                                   \
      "5:\n\t" STEPS                                                                                        \
      "cmp %[xp], %[xend]\n\t"                                                                              \
      "bne 5b\n\t"                                                                                          \
      : [acc0] "+l"(a0), [acc1] "+l"(a1), [xp] "+l"(xp), [w] "+l"(wp), [x] "=&l"(xv), [t] "=&l"(t), [wa] "=&l"(wa), \
        [wb] "=&l"(wb)                                                                                       \
      : [xend] "h"(xend)                                                                                    \
      : "cc", "memory")
  // clang-format on
  if constexpr (unroll == 8) {
    QPIPE_PAIRS_SUMS(QPIPE_PAIRS_STEP QPIPE_PAIRS_STEP QPIPE_PAIRS_STEP QPIPE_PAIRS_STEP);
  } else if constexpr (unroll == 4) {
    QPIPE_PAIRS_SUMS(QPIPE_PAIRS_STEP QPIPE_PAIRS_STEP);
  } else {
    QPIPE_PAIRS_SUMS(QPIPE_PAIRS_STEP);
  }
#undef QPIPE_PAIRS_SUMS
  w = wp;
  acc0 = a0;
  acc1 = a1;
}
#undef QPIPE_PAIRS_REQUANTIZE
#undef QPIPE_PAIRS_AFTER_MACS_WORD
#undef QPIPE_PAIRS_AFTER_MACS_IMMEDIATE
#undef QPIPE_PAIRS_AFTER_MACS_REGISTER
#undef QPIPE_FOLDED_PIECE_SHIFT_REGISTER
#undef QPIPE_FOLDED_SHIFT_REGISTER
#undef QPIPE_FOLDED_SPAN_COMPARE_REGISTER
#undef QPIPE_FOLDED_TO_SPAN_REGISTER
#undef QPIPE_FOLDED_ADD_QMIN_REGISTER
#undef QPIPE_PAIRS_SCALED_HALVES
#undef QPIPE_PAIRS_SCALED_THREE
#undef QPIPE_PAIRS_THREE_PIECES_REGISTER
#undef QPIPE_PAIRS_OFFSET_ONE
#undef QPIPE_PAIRS_OFFSET_BY_SIGN
#undef QPIPE_PAIRS_STEP

// The stack words of a pixel's packed inputs in the routine below: InC / 2 rounded up to 32, 128 or
// 256, so that layers of different input counts share its frame (a 24- or 36-byte routine a size
// and layer kind; the rows' loop, about 520 bytes, is one for every size) for at most 384 bytes
// more stack than their own count (none at 64 or 256 inputs).
template <std::size_t InC>
inline constexpr std::size_t pair_packed_words = InC / 2 <= 32    ? 32
                                                 : InC / 2 <= 128 ? 128
                                                                  : pair_packed_max_inputs / 2;

// The layer on the M0: one out-of-line copy for every layer with the same pack and MAC steps and
// immediates (the geometry a value, PointwisePairShape), where a copy per input count took
// MobileNetV1 six (16 to 256 inputs, all pack step 4 and MAC step 8). A layer in the halves form
// hands the loop b and its shift in its word (without_piece_bits: one cycle a channel pair more),
// so that layers whose b differ share the copy too, and the packed inputs lie in the frame of a
// routine of their own per size (pointwise_pairs_pixels_m0), so that one copy serves every packed
// size (MobileNetV1's 32 and 128 words). A layer in three pieces hands the loop its b the same
// way: its pieces are cut by a mask made from b (3 cycles an output more than the shifts of
// immediates that cut them before), so that its layers whose b differ share a copy too. The
// pixels from the last to the first (read_fronts below); each one's inputs packed
// (pack_lane_pairs_m0, about 10 cycles an input pair), then its channels (pair_channels_m0).
// noclone keeps GCC from making a constant-propagated copy per call site; clang has no such
// attribute and warns about it, in the group both compilers call -Wattributes.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
template <std::size_t PackStep, std::size_t MacStep, WordImmediates I, class Record>
[[gnu::noinline, gnu::noclone]] inline void pointwise_pairs_rows_m0(const PointwisePairShape& s, const Record* channel,
                                                                    const std::int32_t* w, const std::int8_t* in,
                                                                    std::int8_t* out, std::uint32_t word,
                                                                    std::int32_t* packed) {
  const std::size_t outputs = s.outputs, pairs = s.pairs, columns = s.columns, column_step = s.column_step;
  // The count, not the records' end: end - channel would divide by 12 at every call.
  const Record* const end = channel + outputs;  // a record per output channel
  std::int8_t* pixel_out = out + s.rows * columns * outputs;
  for (std::size_t y = s.rows; y-- > 0;) {
    const std::int8_t* x = in + y * s.row_step + columns * column_step;
    for (std::size_t c = columns; c-- > 0;) {
      x -= column_step;
      pixel_out -= outputs;
      std::int8_t* o = pixel_out;
      const std::int32_t* weights = w;
      pointwise_pairs_pixel_m0<PackStep, MacStep, I>(channel, end, weights, x, packed, pairs, o, word);
    }
  }
}
// The packed inputs' PackedWords stack words (pair_packed_words) in a frame of their own, so that
// the loop above serves every size: 14 to 16 bytes of code a layer kind more where a network has
// one size, about 500 fewer for each further size; the three replicas' stack (measured and
// -fstack-usage's bound) the same.
template <std::size_t PackedWords, std::size_t PackStep, std::size_t MacStep, WordImmediates I, class Record>
[[gnu::noinline, gnu::noclone]] inline void pointwise_pairs_pixels_m0(const PointwisePairShape& s,
                                                                      const Record* channel, const std::int32_t* w,
                                                                      const std::int8_t* in, std::int8_t* out,
                                                                      std::uint32_t word) {
  std::int32_t packed[PackedWords];  // s.pairs of them
  pointwise_pairs_rows_m0<PackStep, MacStep, I>(s, channel, w, in, out, word, packed);
}
#pragma GCC diagnostic pop
#endif

// What the kernels with channel records (the pair kernels, their byte-weight forms and the K x K
// lane kernel, window_lanes.hpp) keep per channel and per layer, and their requantization of one
// output: the folded form where the compiler folded the fit (what the assembly loops run), else
// the general one. The records: PairRecord's, 16 bytes for a two-sided layer (folded with one
// shift, folded_two_sided_code), 12 for a one-sided one (no second offset; folded with one shift
// or a shift per channel, each in its channel's offset word: folded_shifted_code).
// ThreePieces: whether the kernel runs a fit of three pieces in the channel loop (the default
// kernels' pair loop); the others (the window-lane kernel, the byte-weight pair kernels) keep such
// a layer unfolded, whose general C++ codes were the faster there: the folded ones read the shift
// from each channel's word (ResNet-18 block's stem: 10 cycles an output more), and the byte-weight
// K x K kernel's groups of one channel pair gave ResNet-8's steps 6, 9 and 10 up to 3 % more
// cycles in the loop than in C++.
template <std::size_t OutC, bool TwoSided, bool ThreePieces = false>
struct QuadRecords {
  using Record = PairRecord<TwoSided>;
  std::array<Record, OutC> channel;
  // Where folded (either way): folded_halves_word (one-sided: its shift byte 0); else the clamp's
  // bytes and the output zero point (layer_word). With the form, the flags and the input zero
  // point 12 bytes a layer.
  std::uint32_t word;
  FittedForm form;
  // The offsets hold the clamp's low end: fold_clamp_into_offsets (two-sided), or
  // fold_clamp_and_shift_into_offsets (one-sided: each offset word holds its channel's shift too).
  bool folded;
  // The same for a fit of three pieces (is_three_pieces_form), which the channel loop runs only
  // with the word's span and qmin as immediates (WordImmediates::three_pieces), b and the shift
  // read from the word; folded is then false.
  bool folded_three_pieces;
  // The input's: the code the K x K kernels' bands hold past the image (padding), in the byte the
  // fields above leave, where a word of the kernels' own held it as pairs. 1 x 1 kernels leave it 0.
  std::int8_t input_zero_point;

  // What the layer clamps to: read only where it was folded neither way (the general requantization).
  constexpr OutputClamp clamp() const { return clamp_of_word(word); }
  // The band's words past the image: the input zero point twice (lane_input).
  constexpr std::int32_t padding() const { return lane_input(input_zero_point, input_zero_point); }

  constexpr void set_bias(std::size_t o, std::int32_t bias) { channel[o].bias = bias; }
  consteval void set_requantizer(const ChannelRequantizer<OutC, TwoSided>& r,
                                 const std::array<AccumulatorRange, OutC>& range) {
    form = r.form;
    for (std::size_t o = 0; o < OutC; ++o) {
      channel[o].requantization = r.channel[o];
      if constexpr (TwoSided) {
        // The offset for acc < 0: the layer's second one, or the first where it has none (read
        // only of a fitted layer: TFLite's form has neither).
        channel[o].negative_offset = form.pieces != 0 ? r.channel[o].fitted.offset : 0;
        if (form.negative_offsets) channel[o].negative_offset = r.negative_offset[o];
      }
    }
    // A one-sided layer's offsets hold the shift too, with one or a shift per channel.
    folded_three_pieces = false;
    if constexpr (TwoSided) {
      folded = fold_clamp_into_offsets(channel, range, form, r.clamp, word);
      if (ThreePieces && !folded)
        folded_three_pieces = fold_clamp_into_offsets(channel, range, form, r.clamp, word, true);
    } else {
      folded = fold_clamp_and_shift_into_offsets(channel, range, form, r.clamp, word);
      if (ThreePieces && !folded)
        folded_three_pieces = fold_clamp_and_shift_into_offsets(channel, range, form, r.clamp, word, true);
    }
    word = layer_word(folded || folded_three_pieces, word, r.clamp);
  }

  constexpr std::int8_t code(std::int32_t acc, std::size_t o) const {
    const unsigned pieces = folded_three_pieces ? 3 : 2;
    if constexpr (TwoSided) {
      if (folded || folded_three_pieces) return folded_two_sided_code(acc, channel[o], word, pieces);
      const std::int32_t negative = channel[o].negative_offset;
      return requantize_channel(acc, channel[o].requantization, &negative, clamp(), form);
    } else {
      if (folded || folded_three_pieces)
        return folded_shifted_code(acc, channel[o].requantization.fitted, word, pieces);
      return requantize_channel(acc, channel[o].requantization, nullptr, clamp(), form);
    }
  }
};

template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, bool TwoSided>
struct PointwisePairKernel : ops::ConvolutionGeometry<ops::valid_window(H, W, InC, 1, 1, S, S), OutC, OutC>,
                             QuadRecords<OutC, TwoSided, true>,
                             WordImmediateKernel<PointwisePairKernel<H, W, InC, S, OutC, TwoSided>> {
  using geometry = ops::ConvolutionGeometry<ops::valid_window(H, W, InC, 1, 1, S, S), OutC, OutC>;
  using records = QuadRecords<OutC, TwoSided, true>;
  using records::channel;
  using records::folded;
  using records::word;
  using geometry::out_height;
  using geometry::out_width;
  static constexpr std::size_t pairs = InC / 2;
  // Both paths pack a pixel's inputs before writing its outputs, from the last pixel to the first:
  // at stride 1, once output pixel p has a byte written only earlier pixels are read; at stride S,
  // once output row y has one, input rows up to y * S (detail/read_front.hpp). The output may then
  // lie over the input or after its start: where a depthwise layer's output moved down the arena
  // (it walks from the front), this one moves back up.
  static constexpr std::array<detail::ReadFront, 2> read_fronts{
      S == 1 ? detail::unit_by_unit_descending(H * W, OutC, InC)
             : detail::ReadFront{out_height, out_width* OutC, H, W* InC, S, 0, true}};

  // weight[(g pairs + j) 2 + n]: channel 2 g + n's weights of inputs 2 j and 2 j + 1 as a lane
  // pair (lane_weight).
  std::array<std::int32_t, OutC * pairs> weight;

  static constexpr std::size_t weight_index(std::size_t o, std::size_t i) {
    return (o / 2 * pairs + i / 2) * 2 + o % 2;
  }

  // What quantize_convolution fills in, input by input (the even input's weight is the high lane).
  constexpr void set_weight(std::size_t o, std::size_t i, std::int8_t w) {
    std::int32_t& pair = weight[weight_index(o, i)];
    pair = i % 2 == 0 ? lane_weight(w, 0) : lane_weight(pair >> 16, w);
  }

  static constexpr PointwisePairShape shape{out_height, out_width, S* InC, S* W* InC, pairs, OutC};

  // On the M0 the assembly channel loop where the requantizer was folded (a constant there), with
  // the word's fields as immediates where I knows them; any other form takes the same MAC loop in
  // assembly and requantizes its sums in C++ (general_m0).
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated()) {
      if constexpr (I.known) {
        // The halves form or three pieces with b and the shift from the word (the loop's _REGISTER
        // steps): one copy for the layers of a form whose b or shift differ.
        pointwise_pairs_pixels_m0<pair_packed_words<InC>, pair_pack_step<InC>, pair_mac_step<InC>,
                                  I.without_piece_bits()>(shape, channel.data(), weight.data(), in, out, word);
      } else if (folded) {
        pointwise_pairs_pixels_m0<pair_packed_words<InC>, pair_pack_step<InC>, pair_mac_step<InC>, I.without_shift()>(
            shape, channel.data(), weight.data(), in, out, I.handed_word(word));
      } else {
        general_m0(in, out);
      }
      return;
    }
#endif
    portable(in, out);
  }

#if defined(__ARM_ARCH_6M__)
  // Pixel by pixel from the last to the first (read_fronts): the inputs packed once on the stack,
  // then each channel pair's sums in assembly (pair_sums_m0) and their codes in C++.
  // Inline, so that the layer's form and clamp are constants where the network is one and the
  // compiler keeps only their path.
  [[gnu::always_inline]] void general_m0(const std::int8_t* in, std::int8_t* out) const {
    std::int32_t packed[pairs];
    for (std::size_t y = out_height; y-- > 0;) {
      for (std::size_t x = out_width; x-- > 0;) {
        pack_lane_pairs_m0<pair_pack_step<InC>>(in + (y * S * W + x * S) * InC, packed, pairs);
        std::int8_t* pixel_out = out + (y * out_width + x) * OutC;
        const std::int32_t* w = weight.data();
#pragma GCC unroll 1
        for (std::size_t o = 0; o < OutC; o += 2) {
          std::int32_t acc0 = channel[o].bias, acc1 = channel[o + 1].bias;
          pair_sums_m0<pair_mac_step<InC>>(w, packed, packed + pairs, acc0, acc1);
          *pixel_out++ = this->code(acc0, o);
          *pixel_out++ = this->code(acc1, o + 1);
        }
      }
    }
  }
#endif

  constexpr void portable(const std::int8_t* in, std::int8_t* out) const {
    for (std::size_t y = out_height; y-- > 0;) {
      for (std::size_t x = out_width; x-- > 0;) {
        std::int32_t packed[pairs];
        pack_pixel<InC>(in + (y * S * W + x * S) * InC, packed);
        std::int8_t* pixel_out = out + (y * out_width + x) * OutC;
        for (std::size_t o = 0; o < OutC; ++o) {
          std::int32_t acc = channel[o].bias;
          for (std::size_t j = 0; j < pairs; ++j) acc = lane_mac(acc, packed[j], weight[weight_index(o, 2 * j)]);
          *pixel_out++ = this->code(acc, o);
        }
      }
    }
  }
};

}  // namespace qpipe::m0

#include "qpipe/backends/m0/asm/folded_code_end.hpp"
