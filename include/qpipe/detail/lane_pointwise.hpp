// 1 x 1 convolutions with 2 to 8 input channels (MobileNet's expand layers): a pixel's inputs fit
// four registers as lane pairs (lane_dot, dot.hpp), so they are packed once for all the pixel's
// output channels, and each output is one 32-bit multiply per two inputs: 2.5 cycles per MAC on
// the Cortex-M0 where the byte loops take 5.5. The weights are stored as the lane pairs, 4 bytes
// per two, twice TFLite's bytes; with 8 inputs and a few MACs per output, the per-output work
// (requantization, store) is as large as the MACs, so on the M0 the whole channel loop of a pixel
// is one assembly loop (lane_channels_m0) for the fitted form the compiler finds for such layers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/detail/dot.hpp"
#include "qpipe/detail/folded_code_m0.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/numerics/requantizer.hpp"

namespace qpipe::detail {

template <std::size_t K, std::size_t InC, std::size_t Channels, std::size_t OutC>
inline constexpr bool lane_packed_inputs = K == 1 && InC >= 2 && InC <= 8 && Channels == OutC;

// One output channel's constants, in the order the channel loop reads them: Pairs weight pairs,
// the bias (the input zero-point term folded in), the requantization constants.
template <std::size_t Pairs>
struct LaneChannel {
  std::array<std::int32_t, Pairs> weights;  // lane_weight(w[2j], w[2j + 1]), 0 past the inputs
  std::int32_t bias;
  RequantizationChannel requantization;
};

#if defined(__ARM_ARCH_6M__)
// The channel loop of one pixel: for each of the channels [c, end), acc = bias + lane_dot, the
// fitted requantization in the folded halves form (folded_halves_code: the clamp's low end is in
// the offsets), the clamp to [0, span], + qmin, and the store. The shift amounts are values (one
// routine serves several layers), so they are shifts by register reading the low byte of the
// layer's word (b | shift << 8 | qmin << 16 | span << 24); the four packed inputs, the channel
// pointer and three temporaries take the eight low registers; the output pointer, the end, the
// word and qmin are high registers. Per output: 2 + 5 per pair + 16 (requantization) + 3 (clamp)
// + 9 (store, loop); with the word's fields as immediates (WordImmediates) 4 fewer, and qmin's
// register unused; with an even channel count, two channels a pass, 3.5 fewer again.
// GCC hands inline assembly over in divided syntax; the block switches to unified and back.
// BASE: the channel record's offset from %[c], "0" or "%c[record]" (the second of a pair; the
// assembler adds the offsets).
#define QPIPE_LANE_MAC(BASE, J, OFFSET)             \
  "ldr %[t], [%[c], #" BASE "+" OFFSET "]\n\t"      \
  "muls %[t], %[x" J "]\n\t"                        \
  "asrs %[t], %[t], #16\n\t"                        \
  "adcs %[acc], %[t]\n\t"
// The requantization of the channel at BASE, its code in t, and the value above the range (label
// 2N, back at 3N), per MODE: _WORD keeps the word's shifts readable by register (%[word]) and qmin
// in a high register, where the other routines read it from the word (no low register to spare
// for it); _IMMEDIATE is the shared sequence (folded_code_m0.hpp).
#define QPIPE_LANE_REQUANTIZE_WORD(BASE, N)                                                                 \
  "ldrh %[t], [%[c], #" BASE "+%c[low_at]]\n\t"                                                             \
  "muls %[t], %[acc]\n\t"                                                                                   \
  "mov %[u], %[word]\n\t"                                                                                   \
  "asrs %[t], %[u]\n\t"                                                                                     \
  "ldrh %[u], [%[c], #" BASE "+%c[high_at]]\n\t"                                                            \
  "muls %[u], %[acc]\n\t"                                                                                   \
  "adds %[t], %[u]\n\t"                                                                                     \
  "ldr %[u], [%[c], #" BASE "+%c[offset_at]]\n\t"                                                           \
  "adds %[t], %[u]\n\t"                                                                                     \
  "mov %[u], %[word]\n\t"                                                                                   \
  "lsrs %[u], %[u], #8\n\t"                                                                                 \
  "asrs %[t], %[u]\n\t"                                                                                     \
  "lsrs %[acc], %[u], #16\n\t"                                                                              \
  "asrs %[u], %[t], #31\n\t"                                                                                \
  "bics %[t], %[u]\n\t"                                                                                     \
  "cmp %[t], %[acc]\n\t"                                                                                    \
  "bhi 2" N "f\n"                                                                                           \
  "3" N ":\n\t"                                                                                             \
  "mov %[acc], %[qmin]\n\t"                                                                                 \
  "adds %[t], %[acc]\n\t"
#define QPIPE_LANE_ABOVE_WORD(N) "2" N ":\n\t" "movs %[t], %[acc]\n\t" "b 3" N "b\n"
#define QPIPE_LANE_REQUANTIZE_IMMEDIATE(BASE, N)                                                            \
  QPIPE_FOLDED_SCALED(IMMEDIATE, "t", "u", "acc", "[%[c], #" BASE "+%c[low_at]]", "[%[c], #" BASE "+%c[high_at]]") \
  "ldr %[u], [%[c], #" BASE "+%c[offset_at]]\n\t"                                                           \
  "adds %[t], %[u]\n\t" QPIPE_FOLDED_CLAMP(IMMEDIATE, "t", "u", N)
#define QPIPE_LANE_ABOVE_IMMEDIATE(N) QPIPE_FOLDED_ABOVE(IMMEDIATE, "t", "u", N)
// One channel's code in t, its record at BASE: MACS(BASE), the requantization; N names its labels.
#define QPIPE_LANE_CHANNEL(MODE, MACS, BASE, N) \
  "ldr %[acc], [%[c], #" BASE "+%c[bias_at]]\n\t" MACS(BASE) QPIPE_LANE_REQUANTIZE_##MODE(BASE, N)
#define QPIPE_LANE_ABOVE(MODE, N) QPIPE_LANE_ABOVE_##MODE(N)
// The channels one at a time, or (an even count) two a pass: the loop's step, compare and branch
// and the output pointer's trip through a low register once for both.
#define QPIPE_LANE_ONE(MODE, MACS)                                                                          \
  "1:\n\t" QPIPE_LANE_CHANNEL(MODE, MACS, "0", "0")                                                         \
  "mov %[acc], %[out]\n\t"                                                                                  \
  "strb %[t], [%[acc]]\n\t"                                                                                 \
  "adds %[acc], #1\n\t"                                                                                     \
  "mov %[out], %[acc]\n\t"                                                                                  \
  "adds %[c], %[record]\n\t"                                                                                \
  "cmp %[c], %[end]\n\t"                                                                                    \
  "bne 1b\n\t"                                                                                              \
  "b 4f\n" QPIPE_LANE_ABOVE(MODE, "0")
#define QPIPE_LANE_TWO(MODE, MACS)                                                                          \
  "1:\n\t" QPIPE_LANE_CHANNEL(MODE, MACS, "0", "0")                                                         \
  "mov %[acc], %[out]\n\t"                                                                                  \
  "strb %[t], [%[acc]]\n\t" QPIPE_LANE_CHANNEL(MODE, MACS, "%c[record]", "1")                              \
  "mov %[acc], %[out]\n\t"                                                                                  \
  "strb %[t], [%[acc], #1]\n\t"                                                                             \
  "adds %[acc], #2\n\t"                                                                                     \
  "mov %[out], %[acc]\n\t"                                                                                  \
  "adds %[c], %[records]\n\t"                                                                               \
  "cmp %[c], %[end]\n\t"                                                                                    \
  "bne 1b\n\t"                                                                                              \
  "b 4f\n" QPIPE_LANE_ABOVE(MODE, "0") QPIPE_LANE_ABOVE(MODE, "1")
#define QPIPE_LANE_CHANNELS(LOOP, MODE, MACS, ...)                                                          \
  asm volatile(".syntax unified\n"  /* volatile: its stores are its purpose */                              \
      QPIPE_LANE_##LOOP(MODE, MACS)                                                                         \
      "4:\n\t"                                                                                              \
      ".syntax divided"                                                                                     \
      : [c] "+l"(c), [out] "+h"(out), [acc] "=&l"(acc), [t] "=&l"(t), [u] "=&l"(u)                          \
      : __VA_ARGS__, [end] "h"(end), [word] "h"(word), [bias_at] "I"(4 * Pairs), [low_at] "I"(4 * Pairs + 4),  \
        [high_at] "I"(4 * Pairs + 6), [offset_at] "I"(4 * Pairs + 8), [record] "I"(sizeof(LaneChannel<Pairs>)), \
        [records] "I"(2 * sizeof(LaneChannel<Pairs>)), [piece_bits] "I"(I.piece_bits), [span] "I"(I.span),    \
        [qmin_byte] "I"(I.qmin_byte)                                                                        \
      : "cc", "memory")

// I: the word's fields as immediates where the network is a template argument; `word` is then
// the shift alone (WordImmediates::handed_word).
template <std::size_t Pairs, WordImmediates I, bool Twos>
[[gnu::always_inline]] inline std::int8_t* lane_channels_m0(const LaneChannel<Pairs>* c, const LaneChannel<Pairs>* end,
                                                            const std::int32_t (&x)[Pairs], std::int8_t* out,
                                                            std::uint32_t word) {
  static_assert(sizeof(LaneChannel<Pairs>) == 4 * Pairs + 12 && Pairs >= 1 && Pairs <= 4);
  std::int32_t acc, t, u;
#define QPIPE_LANE_MACS_1(BASE) QPIPE_LANE_MAC(BASE, "0", "0")
#define QPIPE_LANE_MACS_2(BASE) QPIPE_LANE_MACS_1(BASE) QPIPE_LANE_MAC(BASE, "1", "4")
#define QPIPE_LANE_MACS_3(BASE) QPIPE_LANE_MACS_2(BASE) QPIPE_LANE_MAC(BASE, "2", "8")
#define QPIPE_LANE_MACS_4(BASE) QPIPE_LANE_MACS_3(BASE) QPIPE_LANE_MAC(BASE, "3", "12")
#define QPIPE_LANE_INPUTS_1 [x0] "l"(x[0])
#define QPIPE_LANE_INPUTS_2 QPIPE_LANE_INPUTS_1, [x1] "l"(x[1])
#define QPIPE_LANE_INPUTS_3 QPIPE_LANE_INPUTS_2, [x2] "l"(x[2])
#define QPIPE_LANE_INPUTS_4 QPIPE_LANE_INPUTS_3, [x3] "l"(x[3])
#define QPIPE_LANE_LOOP(LOOP, N)                                                                 \
  if constexpr (I.known) {                                                                       \
    QPIPE_LANE_CHANNELS(LOOP, IMMEDIATE, QPIPE_LANE_MACS_##N, QPIPE_LANE_INPUTS_##N);            \
  } else {                                                                                       \
    const std::int32_t qmin = static_cast<std::int8_t>(word >> 16);                             \
    QPIPE_LANE_CHANNELS(LOOP, WORD, QPIPE_LANE_MACS_##N, QPIPE_LANE_INPUTS_##N, [qmin] "h"(qmin)); \
  }
#define QPIPE_LANE_PAIRS(N)   \
  if constexpr (Twos) {       \
    QPIPE_LANE_LOOP(TWO, N)   \
  } else {                    \
    QPIPE_LANE_LOOP(ONE, N)   \
  }
  if constexpr (Pairs == 1) {
    QPIPE_LANE_PAIRS(1)
  } else if constexpr (Pairs == 2) {
    QPIPE_LANE_PAIRS(2)
  } else if constexpr (Pairs == 3) {
    QPIPE_LANE_PAIRS(3)
  } else {
    QPIPE_LANE_PAIRS(4)
  }
  return out;
}
#undef QPIPE_LANE_PAIRS
#undef QPIPE_LANE_LOOP
#undef QPIPE_LANE_INPUTS_4
#undef QPIPE_LANE_INPUTS_3
#undef QPIPE_LANE_INPUTS_2
#undef QPIPE_LANE_INPUTS_1
#undef QPIPE_LANE_MACS_4
#undef QPIPE_LANE_MACS_3
#undef QPIPE_LANE_MACS_2
#undef QPIPE_LANE_MACS_1
#undef QPIPE_LANE_TWO
#undef QPIPE_LANE_ONE
#undef QPIPE_LANE_ABOVE
#undef QPIPE_LANE_CHANNEL
#undef QPIPE_LANE_ABOVE_IMMEDIATE
#undef QPIPE_LANE_REQUANTIZE_IMMEDIATE
#undef QPIPE_LANE_ABOVE_WORD
#undef QPIPE_LANE_REQUANTIZE_WORD
#undef QPIPE_LANE_CHANNELS
#undef QPIPE_LANE_MAC

// The layer on the M0: one out-of-line copy for all layers of the same shape.
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, WordImmediates I>
[[gnu::noinline]] inline void lane_pixels_m0(const LaneChannel<(InC + 1) / 2>* channel, const std::int8_t* in, std::int8_t* out,
                                             std::uint32_t word) {
  for (std::size_t y = 0; y < valid_output(H, 1, S); ++y) {
    for (std::size_t x = 0; x < valid_output(W, 1, S); ++x) {
      std::int32_t packed[(InC + 1) / 2];
      pack_pixel<InC>(in + (y * S * W + x * S) * InC, packed);
      out = lane_channels_m0<(InC + 1) / 2, I, OutC % 2 == 0>(channel, channel + OutC, packed, out, word);
    }
  }
}
#endif

template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, bool TwoSided>
struct PointwiseLaneKernel {
  static constexpr std::size_t pairs = (InC + 1) / 2;
  static constexpr std::size_t out_height = valid_output(H, 1, S);
  static constexpr std::size_t out_width = valid_output(W, 1, S);
  static constexpr std::size_t input_size = H * W * InC;
  static constexpr std::size_t output_size = out_height * out_width * OutC;
  static constexpr std::size_t macs = out_height * out_width * OutC * InC;
  static constexpr std::size_t parameter_bytes = OutC * InC + 4 * OutC + 8 * OutC + 12;

  std::array<LaneChannel<pairs>, OutC> channel;
  OutputClamp clamp;
  FittedForm form;
  std::array<std::int32_t, TwoSided ? OutC : 0> negative_offset;
  bool folded;         // the offsets hold the clamp's low end (fold_clamp_into_offsets)
  std::uint32_t word;  // then: folded_halves_word

  // What quantize_convolution fills in.
  constexpr void set_weight(std::size_t o, std::size_t i, std::int8_t w) {  // the high lane holds the even input's weight
    std::int32_t& pair = channel[o].weights[i / 2];
    pair = i % 2 == 0 ? lane_weight(w, 0) : lane_weight(pair >> 16, w);
  }
  constexpr void set_bias(std::size_t o, std::int32_t bias) { channel[o].bias = bias; }
  consteval void set_requantizer(const ChannelRequantizer<OutC, TwoSided>& r, const std::array<AccumulatorRange, OutC>& range) {
    for (std::size_t o = 0; o < OutC; ++o) channel[o].requantization = r.channel[o];
    clamp = r.clamp;
    form = r.form;
    negative_offset = r.negative_offset;
    folded = fold_clamp_into_offsets(channel, range, form, clamp, word);
  }

  [[gnu::always_inline]] constexpr void operator()(const std::int8_t* in, std::int8_t* out) const { apply<WordImmediates{}>(in, out); }
  // What qpipe::run hands apply: the word's fields, constants there.
  constexpr WordImmediates immediates() const { return immediates_of(folded, word); }

  // On the M0, the assembly channel loop when the compiler folded the form it implements (a
  // constant there, so only one of the two calls remains), with the word's fields as immediates
  // where I knows them.
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated() && folded) {
      lane_pixels_m0<H, W, InC, S, OutC, I>(channel.data(), in, out, I.handed_word(word));
      return;
    }
#endif
    portable(in, out);
  }

  constexpr void portable(const std::int8_t* in, std::int8_t* out) const {
    for (std::size_t y = 0; y < out_height; ++y) {
      for (std::size_t x = 0; x < out_width; ++x) {
        std::int32_t packed[pairs];
        pack_pixel<InC>(in + (y * S * W + x * S) * InC, packed);
        for (std::size_t o = 0; o < OutC; ++o) {
          const LaneChannel<pairs>& c = channel[o];
          const std::int32_t acc = lane_dot<pairs>(c.bias, c.weights.data(), packed);
          if (folded) {
            *out++ = folded_halves_code(acc, c.requantization.fitted, word);
            continue;
          }
          const std::int32_t* negative = nullptr;
          if constexpr (TwoSided) negative = &negative_offset[o];
          *out++ = requantize_channel(acc, c.requantization, negative, clamp, form);
        }
      }
    }
  }
};

}  // namespace qpipe::detail
