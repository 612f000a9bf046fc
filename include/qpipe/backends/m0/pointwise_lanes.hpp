// 1 x 1 convolutions with 2 to 8 input channels (MobileNet's expand layers): each output is one
// 32-bit multiply per two inputs (lane pairs, lane_mac: dot.hpp), 2.25 cycles per MAC on the
// Cortex-M0 where the byte loops take 5.5. A channel's weights are kept as bytes (TFLite's
// bytes) and its lane pairs, at most four, are built once into registers; on the M0 the layer runs
// channel by channel over a block of pixels whose inputs were packed once into lane pairs on the
// stack, so the channel's bias and requantization constants stay in registers too and an output
// costs its MACs, 14 cycles of requantization and 9 of store and loop (lane_block_m0).
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

template <std::size_t K, std::size_t InC, std::size_t Channels, std::size_t OutC>
inline constexpr bool lane_packed_inputs = K == 1 && InC >= 2 && InC <= 8 && Channels == OutC;

// One output channel's constants, in the order the channel loop reads them: the bias (the input
// zero-point term folded in), the requantization constants, the weights (padded to a word).
template <std::size_t InC>
struct LaneChannel {
  std::int32_t bias;
  RequantizationChannel requantization;
  std::array<std::int8_t, (InC + 3) / 4 * 4> weights;
};
// The byte offsets the assembly loop reads a record at (bias 0, halves 4 and 6, offset 8, weights 12).
static_assert(offsetof(LaneChannel<8>, bias) == 0 && offsetof(LaneChannel<8>, requantization) == 4 &&
              offsetof(LaneChannel<8>, weights) == 12);

// The pixels the M0 loop packs at a time: 16 bytes of stack a pixel at most.
inline constexpr std::size_t lane_block_pixels = 32;

#if defined(__ARM_ARCH_6M__)
// Channel J's lane pair of weights from the bytes at 12 + 2 J of the record in %[xp]: the even
// input's weight in the high lane, the odd one's (none past the inputs) in the low.
// clang-format off
#define QPIPE_LANE_WEIGHT(J, HIGH_AT, LOW_AT, WITH_LOW)        \
  "ldrb %[w" J "], [%[xp], #" HIGH_AT "]\n\t"                   \
  "lsls %[w" J "], %[w" J "], #24\n\t"                         \
  "asrs %[w" J "], %[w" J "], #8\n\t" WITH_LOW(J, LOW_AT)
#define QPIPE_LANE_LOW(J, LOW_AT)                              \
  "ldrb %[acc], [%[xp], #" LOW_AT "]\n\t"                       \
  "sxtb %[acc], %[acc]\n\t"                                    \
  "adds %[w" J "], %[acc]\n\t"
#define QPIPE_LANE_NO_LOW(J, LOW_AT)
// acc += the pair in A times weight pair J (the carry: the low lane's sign, lane_mac).
#define QPIPE_LANE_MAC(A, J)          \
  "muls %[" A "], %[w" J "]\n\t"     \
  "asrs %[" A "], %[" A "], #16\n\t"  \
  "adcs %[acc], %[" A "]\n\t"
#define QPIPE_LANE_MACS_1 "ldm %[xp]!, {%[a]}\n\t" QPIPE_LANE_MAC("a", "0")
#define QPIPE_LANE_MACS_2 "ldm %[xp]!, {%[a], %[b]}\n\t" QPIPE_LANE_MAC("a", "0") QPIPE_LANE_MAC("b", "1")
#define QPIPE_LANE_MACS_3 QPIPE_LANE_MACS_2 "ldm %[xp]!, {%[a]}\n\t" QPIPE_LANE_MAC("a", "2")
#define QPIPE_LANE_MACS_4 QPIPE_LANE_MACS_2 "ldm %[xp]!, {%[a], %[b]}\n\t" QPIPE_LANE_MAC("a", "2") QPIPE_LANE_MAC("b", "3")
// clang-format on
#define QPIPE_LANE_WEIGHTS_1(LAST) QPIPE_LANE_WEIGHT("0", "12", "13", LAST)
#define QPIPE_LANE_WEIGHTS_2(LAST) \
  QPIPE_LANE_WEIGHT("0", "12", "13", QPIPE_LANE_LOW) QPIPE_LANE_WEIGHT("1", "14", "15", LAST)
#define QPIPE_LANE_WEIGHTS_3(LAST) QPIPE_LANE_WEIGHTS_2(QPIPE_LANE_LOW) QPIPE_LANE_WEIGHT("2", "16", "17", LAST)
#define QPIPE_LANE_WEIGHTS_4(LAST) QPIPE_LANE_WEIGHTS_3(QPIPE_LANE_LOW) QPIPE_LANE_WEIGHT("3", "18", "19", LAST)

// out[p OutC + c] for the block's pixels p (their input pairs packed in [x, x_end), Pairs a pixel)
// and the channels c of the records [c, end), in the folded halves form with every field of the
// word an immediate (I, its shift too). Registers: the channel's weight pairs, the accumulator,
// two packed inputs (r4, r5 fixed: LDM fills registers in their numbers' order) and the input
// pointer are the eight low ones; the bias, the halves, the offset, the output and the inputs'
// end are high registers; the record, the records' end, the block's inputs and the channel's
// first output are on the stack (16 bytes, below the routine's own frame). Per output: 1 + 9 per
// two pairs + 14 (requantization) + 5 (store) + 4 (loop); per channel about 45 more.
template <std::size_t InC, std::size_t OutC, WordImmediates I>
[[gnu::noinline]] inline void lane_block_m0(const LaneChannel<InC>* c, const LaneChannel<InC>* end,
                                            const std::int32_t* x, const std::int32_t* x_end, std::int8_t* out) {
  constexpr std::size_t pairs = (InC + 1) / 2;
  static_assert(I.known && sizeof(LaneChannel<InC>) == 12 + (InC + 3) / 4 * 4 && pairs >= 1 && pairs <= 4 &&
                OutC < 256);
  register const std::int32_t* const xend asm("lr") = x_end;
  register std::int32_t bias asm("r8"), low asm("r9"), high asm("r10"), offset asm("r11");
  register std::int8_t* o asm("r12");
  register std::int32_t a asm("r4") = static_cast<std::int32_t>(reinterpret_cast<std::uintptr_t>(out));
  register std::int32_t b asm("r5");
  // In: the stack words, in registers the routine then reuses.
  std::int32_t w0 = static_cast<std::int32_t>(reinterpret_cast<std::uintptr_t>(c));
  std::int32_t w1 = static_cast<std::int32_t>(reinterpret_cast<std::uintptr_t>(end));
  std::int32_t w2 = static_cast<std::int32_t>(reinterpret_cast<std::uintptr_t>(x));
  std::int32_t w3, acc;
  const std::int32_t* xp;
// clang-format off
#define QPIPE_LANE_BLOCK(MACS, WEIGHTS)                                                                            \
  asm volatile(".syntax unified\n\t" /* volatile: its stores are its purpose */                                  \
      "sub sp, #16\n\t"                                                                                           \
      "str %[w0], [sp, #0]\n\t"                                                                                   \
      "str %[w1], [sp, #4]\n\t"                                                                                   \
      "str %[w2], [sp, #8]\n\t"                                                                                   \
      "str %[a], [sp, #12]\n\t"                                                                                   \
      "mov %[o], %[a]\n"                                                                                           \
      "1:\n\t"                                                                                                    \
      "ldr %[xp], [sp, #0]\n\t"                                                                                   \
      "ldr %[acc], [%[xp], #0]\n\t"                                                                                \
      "mov %[bias], %[acc]\n\t"                                                                                   \
      "ldrh %[acc], [%[xp], #4]\n\t"                                                                               \
      "mov %[low], %[acc]\n\t"                                                                                    \
      "ldrh %[acc], [%[xp], #6]\n\t"                                                                               \
      "mov %[high], %[acc]\n\t"                                                                                   \
      "ldr %[acc], [%[xp], #8]\n\t"                                                                                \
      "mov %[offset], %[acc]\n\t" WEIGHTS                                                                         \
      "ldr %[xp], [sp, #8]\n"                                                                                      \
      "5:\n\t"                                                                                                    \
      "mov %[acc], %[bias]\n\t" MACS                                                                              \
      "mov %[a], %[low]\n\t"                                                                                      \
      "muls %[a], %[acc]\n\t"                                                                                     \
      "asrs %[a], %[a], %[piece_bits]\n\t"                                                                        \
      "mov %[b], %[high]\n\t"                                                                                     \
      "muls %[b], %[acc]\n\t"                                                                                     \
      "adds %[a], %[b]\n\t"                                                                                       \
      "mov %[b], %[offset]\n\t"                                                                                   \
      "adds %[a], %[b]\n\t"                                                                                       \
      "asrs %[a], %[a], %[shift]\n\t" QPIPE_FOLDED_RANGE(IMMEDIATE, "a", "b", "0")                                \
      "mov %[b], %[o]\n\t"                                                                                        \
      "strb %[a], [%[b], #0]\n\t"                                                                                 \
      "adds %[b], %[outputs]\n\t"                                                                                 \
      "mov %[o], %[b]\n\t"                                                                                        \
      "cmp %[xp], %[xend]\n\t"                                                                                    \
      "bne 5b\n\t"                                                                                                \
      "ldr %[a], [sp, #12]\n\t"                                                                                   \
      "adds %[a], #1\n\t"                                                                                         \
      "str %[a], [sp, #12]\n\t"                                                                                   \
      "mov %[o], %[a]\n\t"                                                                                        \
      "ldr %[a], [sp, #0]\n\t"                                                                                    \
      "adds %[a], %[record]\n\t"                                                                                  \
      "str %[a], [sp, #0]\n\t"                                                                                    \
      "ldr %[b], [sp, #4]\n\t"                                                                                    \
      "cmp %[a], %[b]\n\t"                                                                                        \
      "bne 1b\n\t"                                                                                                \
      "b 4f\n" QPIPE_FOLDED_ABOVE(IMMEDIATE, "a", "b", "0")                                                        \
      "4:\n\t"                                                                                                    \
      "add sp, #16\n\t"                                                                                           \
      : [w0] "+l"(w0), [w1] "+l"(w1), [w2] "+l"(w2), [w3] "=&l"(w3), [acc] "=&l"(acc),                             \
        [xp] "=&l"(xp), [a] "+l"(a), [b] "=&l"(b), [bias] "=&h"(bias), [low] "=&h"(low), [high] "=&h"(high),        \
        [offset] "=&h"(offset), [o] "=&h"(o)                                                                      \
      : [xend] "h"(xend), [outputs] "I"(OutC), [record] "I"(sizeof(LaneChannel<InC>)), [piece_bits] "I"(I.piece_bits), \
        [shift] "I"(I.shift), [span] "I"(I.span), [qmin_byte] "I"(I.qmin_byte)                                    \
      : "cc", "memory")
// clang-format on
  // N pairs a pixel; the last pair's low lane empty where InC is odd.
#define QPIPE_LANE_PAIRS(N)                                                           \
  if constexpr (InC % 2 == 0) {                                                       \
    QPIPE_LANE_BLOCK(QPIPE_LANE_MACS_##N, QPIPE_LANE_WEIGHTS_##N(QPIPE_LANE_LOW));    \
  } else {                                                                            \
    QPIPE_LANE_BLOCK(QPIPE_LANE_MACS_##N, QPIPE_LANE_WEIGHTS_##N(QPIPE_LANE_NO_LOW)); \
  }
  if constexpr (pairs == 1) {
    QPIPE_LANE_PAIRS(1)
  } else if constexpr (pairs == 2) {
    QPIPE_LANE_PAIRS(2)
  } else if constexpr (pairs == 3) {
    QPIPE_LANE_PAIRS(3)
  } else {
    QPIPE_LANE_PAIRS(4)
  }
#undef QPIPE_LANE_PAIRS
#undef QPIPE_LANE_BLOCK
}
#undef QPIPE_LANE_WEIGHTS_4
#undef QPIPE_LANE_WEIGHTS_3
#undef QPIPE_LANE_WEIGHTS_2
#undef QPIPE_LANE_WEIGHTS_1
#undef QPIPE_LANE_MACS_4
#undef QPIPE_LANE_MACS_3
#undef QPIPE_LANE_MACS_2
#undef QPIPE_LANE_MACS_1
#undef QPIPE_LANE_MAC
#undef QPIPE_LANE_NO_LOW
#undef QPIPE_LANE_LOW
#undef QPIPE_LANE_WEIGHT

// The layer on the M0: blocks of lane_block_pixels pixels, each packed once (two pairs a step
// where the block's inputs are one run of bytes, else pixel by pixel) and then run channel by
// channel; one out-of-line copy for all layers of the same shape and word.
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, WordImmediates I>
[[gnu::noinline]] inline void lane_pixels_m0(const LaneChannel<InC>* channel, const std::int8_t* in, std::int8_t* out) {
  constexpr std::size_t pairs = (InC + 1) / 2, out_width = detail::valid_output(W, 1, S),
                        pixels = detail::valid_output(H, 1, S) * out_width;
  constexpr std::size_t block = pixels < lane_block_pixels ? pixels : lane_block_pixels;
  std::int32_t packed[block * pairs];
  // The blocks from the last to the first (read_fronts below).
  for (std::size_t first = (pixels - 1) / block * block;; first -= block) {
    const std::size_t count = pixels - first < block ? pixels - first : block;
    if (S == 1 && InC % 2 == 0 && count * pairs % 4 == 0) {
      pack_lane_pairs_shared_m0<4>(in + first * InC, packed, count * pairs);
    } else if (S == 1 && InC % 2 == 0 && count * pairs % 2 == 0) {
      pack_lane_pairs_shared_m0<2>(in + first * InC, packed, count * pairs);
    } else {
      for (std::size_t p = 0; p < count; ++p) {
        const std::size_t y = (first + p) / out_width, x = (first + p) % out_width;
        const std::int8_t* pixel = in + (y * S * W + x * S) * InC;
        for (std::size_t j = 0; j < pairs; ++j)
          packed[p * pairs + j] = lane_input(pixel[2 * j], 2 * j + 1 < InC ? pixel[2 * j + 1] : 0);
      }
    }
    lane_block_m0<InC, OutC, I>(channel, channel + OutC, packed, packed + count * pairs, out + first * OutC);
    if (first == 0) break;
  }
}
#endif

template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, bool TwoSided>
struct PointwiseLaneKernel : ops::ConvolutionGeometry<ops::valid_window(H, W, InC, 1, 1, S, S), OutC, OutC>,
                             WordImmediateKernel<PointwiseLaneKernel<H, W, InC, S, OutC, TwoSided>> {
  using geometry = ops::ConvolutionGeometry<ops::valid_window(H, W, InC, 1, 1, S, S), OutC, OutC>;
  using geometry::out_height;
  using geometry::out_width;
  static constexpr std::size_t pairs = (InC + 1) / 2;
  // Both paths read a pixel's inputs (the M0's: a block's) before writing its outputs, from the
  // last pixel (block) to the first: at stride 1, once output pixel p has a byte written only
  // earlier pixels are read; at stride S, once output row y has one, input rows up to y * S
  // (detail/read_front.hpp). The output may then lie over the input or after its start.
  static constexpr std::array<detail::ReadFront, 2> read_fronts{
      S == 1 ? detail::unit_by_unit_descending(H * W, OutC, InC)
             : detail::ReadFront{out_height, out_width* OutC, H, W* InC, S, 0, true}};

  std::array<LaneChannel<InC>, OutC> channel;
  std::array<std::int32_t, TwoSided ? OutC : 0> negative_offset;
  std::uint32_t word;  // folded_halves_word where folded, else the clamp's bytes and zero point (layer_word)
  FittedForm form;
  bool folded;             // the offsets hold the clamp's low end (fold_clamp_into_offsets)

  // What the layer clamps to: read only where it was not folded (the general requantization).
  constexpr OutputClamp clamp() const { return clamp_of_word(word); }

  // What quantize_convolution fills in.
  constexpr void set_weight(std::size_t o, std::size_t i, std::int8_t w) { channel[o].weights[i] = w; }
  constexpr void set_bias(std::size_t o, std::int32_t bias) { channel[o].bias = bias; }
  consteval void set_requantizer(const ChannelRequantizer<OutC, TwoSided>& r,
                                 const std::array<AccumulatorRange, OutC>& range) {
    for (std::size_t o = 0; o < OutC; ++o) channel[o].requantization = r.channel[o];
    form = r.form;
    negative_offset = r.negative_offset;
    folded = fold_clamp_into_offsets(channel, range, form, r.clamp, word);
    word = layer_word(folded, word, r.clamp);
  }

  // On the M0, the assembly layer loop when the compiler folded the form it implements and I
  // knows the word's fields (what qpipe::run hands it); otherwise the portable loop.
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if constexpr (I.known) {
      if (!std::is_constant_evaluated() && folded) {
        lane_pixels_m0<H, W, InC, S, OutC, I>(channel.data(), in, out);
        return;
      }
    }
#endif
    portable(in, out);
  }

  // Pixel by pixel, the inputs packed once for all channels (lane_mac: the same sums as the M0's).
  constexpr void portable(const std::int8_t* in, std::int8_t* out) const {
    for (std::size_t y = out_height; y-- > 0;) {
      for (std::size_t x = out_width; x-- > 0;) {
        std::int32_t packed[pairs];
        pack_pixel<InC>(in + (y * S * W + x * S) * InC, packed);
        std::int8_t* pixel_out = out + (y * out_width + x) * OutC;
        for (std::size_t o = 0; o < OutC; ++o) {
          const LaneChannel<InC>& c = channel[o];
          std::int32_t acc = c.bias;
          for (std::size_t j = 0; j < pairs; ++j)
            acc = lane_mac(acc, packed[j], lane_weight(c.weights[2 * j], 2 * j + 1 < InC ? c.weights[2 * j + 1] : 0));
          if (folded) {
            *pixel_out++ = folded_halves_code(acc, c.requantization.fitted, word);
            continue;
          }
          const std::int32_t* negative = nullptr;
          if constexpr (TwoSided) negative = &negative_offset[o];
          *pixel_out++ = requantize_channel(acc, c.requantization, negative, clamp(), form);
        }
      }
    }
  }
};

}  // namespace qpipe::m0

#include "qpipe/backends/m0/asm/folded_code_end.hpp"
