// 1 x 1 convolutions with many inputs (MobileNet's project layers): four output channels per pass
// over a pixel's inputs, the four weights of an input in one word. On the Cortex-M0 the whole
// channel loop of a pixel is one assembly loop: per input one LDRSB of the input, one LDM of the
// weight word (which also steps the pointer), the four weights sign-extended out of it by shifts
// and four MULS/ADD: 19 cycles per 4 MACs with six low registers, where the four-pointer row loop
// needs all eight and GCC's requantization around it spilled; then the four requantizations in
// the folded halves form, with the second offset of a layer without a folded ReLU chosen without
// a branch. The weights take the same bytes as TFLite's, reordered.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/detail/folded_code_m0.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/numerics/requantizer.hpp"

namespace qpipe::detail {

// One output channel: the bias (the input zero-point term folded in), the requantization and the
// offset for acc < 0 (the same as the other one where the layer has no negative offsets).
struct QuadChannel {
  std::int32_t bias;
  RequantizationChannel requantization;
  std::int32_t negative_offset;
};

// The kernel's reach: per-channel scales, more inputs than the lane kernel takes, output channels
// in fours, and the input count a multiple of four below 256 (the loop takes four inputs a branch;
// the index is an immediate).
template <std::size_t K, std::size_t InC, std::size_t Channels, std::size_t OutC>
inline constexpr bool quad_packed_weights = K == 1 && InC > 8 && InC % 4 == 0 && InC < 256 && OutC % 4 == 0 && Channels == OutC;

// The folded form with the offset for the accumulator's sign: what the assembly loop computes.
constexpr std::int8_t folded_two_sided_code(std::int32_t acc, const QuadChannel& c, std::uint32_t word) {
  FittedChannel f = c.requantization.fitted;
  if (acc < 0) f.offset = c.negative_offset;
  return folded_halves_code(acc, f, word);
}

#if defined(__ARM_ARCH_6M__)
// One pixel's output channels [q, end) in fours: x the pixel's inputs, w the weight words (input
// InC - 1 first: the index counts down while LDM walks up), out its outputs. Low registers: the
// index, the input, the weight word, a temporary, the input and weight pointers, the channel
// records, the output; high: the four accumulators, the word, the end. Per four outputs: 8 (biases)
// + 19 per input + 3 per four inputs + 4 x 31 (requantization, store; 25 with the word's fields
// as immediates) + 7.
#define QPIPE_QUAD_STEP                 \
  "ldrsb %[a], [%[x], %[k]]\n\t"        \
  "ldm %[w]!, {%[v]}\n\t"               \
  "sxtb %[t], %[v]\n\t"                 \
  "muls %[t], %[a]\n\t"                 \
  "add %[acc0], %[t]\n\t"               \
  "lsls %[t], %[v], #16\n\t"            \
  "asrs %[t], %[t], #24\n\t"            \
  "muls %[t], %[a]\n\t"                 \
  "add %[acc1], %[t]\n\t"               \
  "lsls %[t], %[v], #8\n\t"             \
  "asrs %[t], %[t], #24\n\t"            \
  "muls %[t], %[a]\n\t"                 \
  "add %[acc2], %[t]\n\t"               \
  "asrs %[t], %[v], #24\n\t"            \
  "muls %[t], %[a]\n\t"                 \
  "add %[acc3], %[t]\n\t"               \
  "subs %[k], #1\n\t"
// Output N of the four: the record at 16 N, its offset at OFFSET or, for acc < 0, the word after.
// MODE: how the layer word's fields are read (folded_code_m0.hpp).
#define QPIPE_QUAD_REQUANTIZE(MODE, ACC, N, LOW, HIGH, OFFSET)                                \
  "mov %[a], %[" ACC "]\n\t"                                                                   \
  QPIPE_FOLDED_SCALED(MODE, "t", "v", "a", "[%[q], #" LOW "]", "[%[q], #" HIGH "]")            \
  "lsrs %[v], %[a], #31\n\t"                                                                   \
  "lsls %[v], %[v], #2\n\t"                                                                    \
  "adds %[v], %[q]\n\t"                                                                        \
  "ldr %[v], [%[v], #" OFFSET "]\n\t"                                                          \
  "adds %[t], %[v]\n\t" QPIPE_FOLDED_CLAMP(MODE, "t", "v", N)                                  \
  "strb %[t], [%[out], #" N "]\n\t"
#define QPIPE_QUAD_ABOVE(MODE, N) QPIPE_FOLDED_ABOVE(MODE, "t", "v", N)

template <std::size_t InC, WordImmediates I>
[[gnu::always_inline]] inline void pointwise_quad_pixel_m0(const QuadChannel* q, const QuadChannel* end_in,
                                                           const std::int32_t* w, const std::int8_t* x, std::int8_t* out,
                                                           std::uint32_t word_in) {
  static_assert(sizeof(QuadChannel) == 16 && InC % 4 == 0 && InC < 256);
  // Six high registers: GCC's allocator hands out five of them itself, so they are named.
  register const QuadChannel* const end asm("lr") = end_in;
  register std::uint32_t word asm("r12") = word_in;
  register std::int32_t acc0 asm("r8"), acc1 asm("r9"), acc2 asm("r10"), acc3 asm("r11");
  std::uint32_t k;
  std::int32_t a, v, t;
  x -= 1;  // the index runs InC..1
#define QPIPE_QUAD_PIXEL(MODE)                                                                                     \
  asm volatile(".syntax unified\n" /* volatile: its stores are its purpose */                                    \
      "1:\n\t"                                                                                                   \
      "ldr %[a], [%[q], #0]\n\t"                                                                                 \
      "mov %[acc0], %[a]\n\t"                                                                                    \
      "ldr %[a], [%[q], #16]\n\t"                                                                                \
      "mov %[acc1], %[a]\n\t"                                                                                    \
      "ldr %[a], [%[q], #32]\n\t"                                                                                \
      "mov %[acc2], %[a]\n\t"                                                                                    \
      "ldr %[a], [%[q], #48]\n\t"                                                                                \
      "mov %[acc3], %[a]\n\t"                                                                                    \
      "movs %[k], %[inputs]\n"                                                                                    \
      "5:\n\t" QPIPE_QUAD_STEP QPIPE_QUAD_STEP QPIPE_QUAD_STEP QPIPE_QUAD_STEP                                    \
      "bne 5b\n\t"                                                                                               \
      QPIPE_QUAD_REQUANTIZE(MODE, "acc0", "0", "4", "6", "8")                                                     \
      QPIPE_QUAD_REQUANTIZE(MODE, "acc1", "1", "20", "22", "24")                                                  \
      QPIPE_QUAD_REQUANTIZE(MODE, "acc2", "2", "36", "38", "40")                                                  \
      QPIPE_QUAD_REQUANTIZE(MODE, "acc3", "3", "52", "54", "56")                                                  \
      "adds %[out], #4\n\t"                                                                                      \
      "adds %[q], #64\n\t"                                                                                       \
      "cmp %[q], %[end]\n\t"                                                                                     \
      "beq 4f\n\t"                                                                                               \
      "b 1b\n"                                                                                                    \
      QPIPE_QUAD_ABOVE(MODE, "0") QPIPE_QUAD_ABOVE(MODE, "1") QPIPE_QUAD_ABOVE(MODE, "2") QPIPE_QUAD_ABOVE(MODE, "3") \
      "4:\n\t"                                                                                                   \
      ".syntax divided"                                                                                           \
      : [q] "+l"(q), [w] "+l"(w), [out] "+l"(out), [k] "=&l"(k), [a] "=&l"(a), [v] "=&l"(v), [t] "=&l"(t),       \
        [acc0] "=&h"(acc0), [acc1] "=&h"(acc1), [acc2] "=&h"(acc2), [acc3] "=&h"(acc3)                           \
      : [x] "l"(x), [word] "h"(word), [end] "h"(end), [inputs] "I"(InC), [piece_bits] "I"(I.piece_bits),          \
        [span] "I"(I.span), [qmin_byte] "I"(I.qmin_byte)                                                          \
      : "cc", "memory")
  if constexpr (I.known) {
    QPIPE_QUAD_PIXEL(IMMEDIATE);
  } else {
    QPIPE_QUAD_PIXEL(WORD);
  }
#undef QPIPE_QUAD_PIXEL
}
#undef QPIPE_QUAD_ABOVE
#undef QPIPE_QUAD_REQUANTIZE
#undef QPIPE_QUAD_STEP

// The layer on the M0: one out-of-line copy for every layer with the same input count (the pixel
// count, the input stride and the channel count are values; I as in pointwise_quad_pixel_m0).
template <std::size_t InC, WordImmediates I>
[[gnu::noinline, gnu::noclone]] inline void pointwise_quad_pixels_m0(const QuadChannel* channel, const QuadChannel* end, const std::int32_t* w,
                                                       const std::int8_t* in, std::size_t rows, std::size_t columns,
                                                       std::size_t column_step, std::size_t row_step, std::int8_t* out,
                                                       std::uint32_t word) {
  const std::size_t outputs = static_cast<std::size_t>(end - channel);
  for (std::size_t y = 0; y < rows; ++y, in += row_step) {
    const std::int8_t* x = in;
    for (std::size_t c = 0; c < columns; ++c, x += column_step, out += outputs) pointwise_quad_pixel_m0<InC, I>(channel, end, w, x, out, word);
  }
}
#endif

// What the four-channel kernels (this one and the K x K lane kernel, window_lanes.hpp) keep per
// channel and per layer, and their requantization of one output: the folded form where the
// compiler folded the fit (what this kernel's assembly loop runs), else the general one. Record:
// QuadChannel, or BiasedChannel (no second offset: 4 bytes a channel fewer) for a kernel whose
// requantization is C++ and whose layer has a folded activation.
template <std::size_t OutC, bool TwoSided, class Record = QuadChannel>
struct QuadRecords {
  static constexpr bool two_offsets = std::is_same_v<Record, QuadChannel>;
  static_assert(two_offsets || !TwoSided);
  std::array<Record, OutC> channel;
  OutputClamp clamp;
  FittedForm form;
  bool folded;         // the offsets hold the clamp's low end (fold_clamp_into_offsets)
  std::uint32_t word;  // then: folded_halves_word

  constexpr void set_bias(std::size_t o, std::int32_t bias) { channel[o].bias = bias; }
  consteval void set_requantizer(const ChannelRequantizer<OutC, TwoSided>& r, const std::array<AccumulatorRange, OutC>& range) {
    clamp = r.clamp;
    form = r.form;
    for (std::size_t o = 0; o < OutC; ++o) {
      channel[o].requantization = r.channel[o];
      if constexpr (two_offsets) {
        // The offset for acc < 0: the layer's second one, or the first where it has none (read
        // only of a fitted layer: TFLite's form has neither).
        channel[o].negative_offset = form.pieces != 0 ? r.channel[o].fitted.offset : 0;
        if constexpr (TwoSided) {
          if (form.negative_offsets) channel[o].negative_offset = r.negative_offset[o];
        }
      }
    }
    folded = fold_clamp_into_offsets(channel, range, form, clamp, word);
  }

  constexpr std::int8_t code(std::int32_t acc, std::size_t o) const {
    if constexpr (two_offsets) {
      if (folded) return folded_two_sided_code(acc, channel[o], word);
      const std::int32_t negative = channel[o].negative_offset;
      return requantize_channel(acc, channel[o].requantization, &negative, clamp, form);
    } else {
      if (folded) return folded_halves_code(acc, channel[o].requantization.fitted, word);
      return requantize_channel(acc, channel[o].requantization, nullptr, clamp, form);
    }
  }
};

template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, bool TwoSided>
struct PointwiseQuadKernel : QuadRecords<OutC, TwoSided> {
  using QuadRecords<OutC, TwoSided>::channel;
  using QuadRecords<OutC, TwoSided>::folded;
  using QuadRecords<OutC, TwoSided>::word;
  static constexpr std::size_t out_height = valid_output(H, 1, S);
  static constexpr std::size_t out_width = valid_output(W, 1, S);
  static constexpr std::size_t input_size = H * W * InC;
  static constexpr std::size_t output_size = out_height * out_width * OutC;
  static constexpr std::size_t macs = out_height * out_width * OutC * InC;
  static constexpr std::size_t parameter_bytes = OutC * InC + 4 * OutC + 8 * OutC + 12;

  // weight[(g InC + InC - 1 - i)] holds input i's weights of channels 4 g .. 4 g + 3, byte j
  // (little-endian) channel 4 g + j.
  std::array<std::int32_t, OutC / 4 * InC> weight;

  static constexpr std::size_t weight_index(std::size_t o, std::size_t i) { return o / 4 * InC + InC - 1 - i; }
  constexpr std::int8_t weight_of(std::size_t o, std::size_t i) const {
    return static_cast<std::int8_t>(static_cast<std::uint32_t>(weight[weight_index(o, i)]) >> (8 * (o % 4)));
  }

  // What quantize_convolution fills in.
  constexpr void set_weight(std::size_t o, std::size_t i, std::int8_t w) {
    std::uint32_t v = static_cast<std::uint32_t>(weight[weight_index(o, i)]);
    const unsigned at = 8 * (o % 4);
    v = (v & ~(0xffu << at)) | static_cast<std::uint32_t>(static_cast<std::uint8_t>(w)) << at;
    weight[weight_index(o, i)] = static_cast<std::int32_t>(v);
  }

  [[gnu::always_inline]] constexpr void operator()(const std::int8_t* in, std::int8_t* out) const { apply<WordImmediates{}>(in, out); }
  // What qpipe::run hands apply: the word's fields, constants there.
  constexpr WordImmediates immediates() const { return immediates_of(folded, word); }

  // On the M0 the assembly channel loop where the requantizer was folded (a constant there), with
  // the word's fields as immediates where I knows them.
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated() && folded) {
      pointwise_quad_pixels_m0<InC, I>(channel.data(), channel.data() + OutC, weight.data(), in, out_height, out_width,
                                       S * InC, S * W * InC, out, I.handed_word(word));
      return;
    }
#endif
    portable(in, out);
  }

  constexpr void portable(const std::int8_t* in, std::int8_t* out) const {
    for (std::size_t y = 0; y < out_height; ++y) {
      for (std::size_t x = 0; x < out_width; ++x) {
        const std::int8_t* pixel = in + (y * S * W + x * S) * InC;
        for (std::size_t o = 0; o < OutC; ++o) {
          std::int32_t acc = channel[o].bias;
          for (std::size_t i = 0; i < InC; ++i) acc += std::int32_t{weight_of(o, i)} * pixel[i];
          *out++ = this->code(acc, o);
        }
      }
    }
  }
};

}  // namespace qpipe::detail
