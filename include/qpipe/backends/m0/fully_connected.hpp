// The Cortex-M0's fully connected layers with one weight scale, and their dispatcher. Most take the
// word kernel (DenseWordKernel): the weights stay one byte each, four to a word, and an assembly
// loop turns each word into two lane pairs (dot.hpp's lane_mac: two MACs per multiply) with a
// mask and an add, for two units a pass; layers of few units take the 1 x 1 pair kernel on one
// pixel (DensePairKernel: weights stored as lane pairs); the dense layers neither takes (small
// ones, odd unit or input counts) keep the byte loops of DenseKernel.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/pointwise_pairs.hpp"
#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/ops/fully_connected.hpp"

namespace qpipe::m0 {

// The M0's fully connected layer (ops::FullyConnected): the op's weights and folded biases, one
// requantizer for the tensor fitted to the union of the units' accumulator ranges.
template <std::size_t Inputs, std::size_t Units, bool TwoSided = false>
struct DenseKernel : ops::FullyConnectedGeometry<Inputs, Units> {
  std::array<std::int8_t, Inputs * Units> weights;
  std::array<std::int32_t, Units> bias;  // with the input zero-point term folded in
  ChannelRequantizer<1, TwoSided> requantizer;

  // Beyond 16 weights neither loop is unrolled: unrolled, GCC turns every constant weight into
  // shifts and adds (800 bytes of code for ResNet's 8 x 4 head), and a dense head is a few hundred
  // cycles of a network whose code is flash. Up to 16 (XOR's layers) the unrolled code is smaller
  // than the loops, and twice as fast.
  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    if constexpr (Inputs * Units <= 16) {
      for (std::size_t u = 0; u < Units; ++u) out[u] = requantizer(bias[u] + dot<Inputs>(&weights[u * Inputs], in), 0);
    } else {
#pragma GCC unroll 1
      for (std::size_t u = 0; u < Units; ++u) {
        std::int32_t acc = bias[u];
        const std::int8_t* w = &weights[u * Inputs];
#pragma GCC unroll 1
        for (std::size_t i = 0; i < Inputs; ++i) acc += std::int32_t{w[i]} * std::int32_t{in[i]};
        out[u] = requantizer(acc, 0);
      }
    }
  }
};

// The word kernel's reach: inputs in groups of four (a word of weights), units in twos, and at
// least 512 MACs: below, its routine and packing cost more code than their cycles are worth
// (MobileNetV2's 16 x 4 head saved 256 cycles, and its network's code grew by 656 bytes).
template <std::size_t Inputs, std::size_t Units>
inline constexpr bool dense_weight_words = Inputs % 4 == 0 && Units % 2 == 0 && Inputs * Units >= 512;

// The inputs the word kernel packs at a time: two bytes of stack an input (512 bytes), beside an
// accumulator per unit where the layer has more inputs than that.
inline constexpr std::size_t dense_word_chunk = 256;

#if defined(__ARM_ARCH_6M__)
// One group of four inputs for units A and B: their packed pairs (X0, X2) and (X1, X3) from the
// packed inputs (the pointer in a high register, through the odd temporary), then for each unit its
// word of weights v = w + 128: (v & 0x00ff00ff) - 0x00800080 is lane_input(w0, w2) and the same of
// v >> 8 is lane_input(w1, w3) (the lanes' borrows are the lanes' signs), each times its input
// pair with MULS, ASRS #16, ADCS (lane_mac). 5 + 2 x 13 = 31 cycles for 8 MACs.
// clang-format off
#define QPIPE_DENSE_UNIT(ACC)          \
  "ldm %[w]!, {%[v]}\n\t"              \
  "lsrs %[odd], %[v], #8\n\t"          \
  "ands %[v], %[mask]\n\t"             \
  "add %[v], %[bias]\n\t"              \
  "muls %[v], %[even_x]\n\t"           \
  "asrs %[v], %[v], #16\n\t"           \
  "adcs %[" ACC "], %[v]\n\t"          \
  "ands %[odd], %[mask]\n\t"           \
  "add %[odd], %[bias]\n\t"            \
  "muls %[odd], %[odd_x]\n\t"          \
  "asrs %[odd], %[odd], #16\n\t"       \
  "adcs %[" ACC "], %[odd]\n\t"
#define QPIPE_DENSE_GROUP                   \
  "mov %[odd], %[xp]\n\t"                  \
  "ldm %[odd]!, {%[even_x], %[odd_x]}\n\t" \
  "mov %[xp], %[odd]\n\t" QPIPE_DENSE_UNIT("acc0") QPIPE_DENSE_UNIT("acc1")
// clang-format on

// to[2 p] and to[2 p + 1] = from[2 p] and from[2 p + 1] + the sums of unit pair p over the packed
// inputs [x, x_end), for `pairs` unit pairs (from: the biases, then the sums of the chunks before), the weight words from w on (pair by pair, group by group, the two units' words
// side by side). Step: groups a loop step (1, 2 or 4). Registers: the eight low ones hold the weight
// pointer, the two accumulators, the mask, a word, its odd lanes and the two input pairs (fixed:
// LDM fills registers in their numbers' order); the input pointer, its end and the lanes' bias are
// high ones. Per unit pair: 31 cycles a group, 5 a step (the loop test), about 20 (its
// accumulators in and out).
template <std::size_t Step>
[[gnu::noinline]] inline void dense_word_sums_m0(const std::uint32_t* w_in, const std::int32_t* x,
                                                 const std::int32_t* x_end, const std::int32_t* from, std::int32_t* to,
                                                 std::size_t pairs) {
  static_assert(Step == 1 || Step == 2 || Step == 4);
  register const std::uint32_t* w asm("r0") = w_in;
  register std::int32_t acc0 asm("r1");
  register std::int32_t acc1 asm("r2");
  register std::uint32_t mask asm("r3") = 0x00ff00ffu;
  register std::uint32_t v asm("r4");
  register std::uint32_t odd asm("r5");
  register std::int32_t even_x asm("r6");
  register std::int32_t odd_x asm("r7");
  register const std::int32_t* xp asm("r8");
  register const std::int32_t* const xend asm("r9") = x_end;
  register const std::uint32_t bias asm("r10") = 0u - 0x00800080u;
  for (std::int32_t* const end = to + 2 * pairs; to != end; to += 2, from += 2) {
    acc0 = from[0];
    acc1 = from[1];
    xp = x;
    // clang-format off
#define QPIPE_DENSE_LOOP(GROUPS)                                                                                   \
  asm(".syntax unified\n"                                                                                         \
      "1:\n\t" GROUPS                                                                                             \
      "mov %[odd], %[xp]\n\t"                                                                                     \
      "cmp %[odd], %[xend]\n\t"                                                                                   \
      "bne 1b\n\t"                                                                                                \
      : [w] "+l"(w), [acc0] "+l"(acc0), [acc1] "+l"(acc1), [v] "=&l"(v), [odd] "=&l"(odd), [even_x] "=&l"(even_x), \
        [odd_x] "=&l"(odd_x), [xp] "+h"(xp)                                                                        \
      : [mask] "l"(mask), [xend] "h"(xend), [bias] "h"(bias)                                                       \
      : "cc", "memory")
    // clang-format on
    if constexpr (Step == 4) {
      QPIPE_DENSE_LOOP(QPIPE_DENSE_GROUP QPIPE_DENSE_GROUP QPIPE_DENSE_GROUP QPIPE_DENSE_GROUP);
    } else if constexpr (Step == 2) {
      QPIPE_DENSE_LOOP(QPIPE_DENSE_GROUP QPIPE_DENSE_GROUP);
    } else {
      QPIPE_DENSE_LOOP(QPIPE_DENSE_GROUP);
    }
#undef QPIPE_DENSE_LOOP
    to[0] = acc0;
    to[1] = acc1;
  }
}
#undef QPIPE_DENSE_GROUP
#undef QPIPE_DENSE_UNIT
#endif

// The word kernel: the op's weights as words of four biased bytes (v = w + 128, in [1, 255]: the
// weights are symmetric), laid out chunk by chunk of dense_word_chunk inputs, in each unit pair by
// unit pair, group of four inputs by group, the two units' words side by side; the folded biases;
// the requantizer fitted to the union of the units' ranges, run in C++ (a few cycles next to an
// output's Inputs MACs).
template <std::size_t Inputs, std::size_t Units, bool TwoSided = false>
struct DenseWordKernel : ops::FullyConnectedGeometry<Inputs, Units> {
  static constexpr std::size_t chunk = Inputs < dense_word_chunk ? Inputs : dense_word_chunk;
  static constexpr std::size_t chunks = (Inputs + chunk - 1) / chunk;
  static_assert(Inputs % 4 == 0 && chunk % 4 == 0 && Units % 2 == 0);
  // Groups of four inputs a loop step: what divides the group counts of a whole chunk and of the
  // last one (one routine a layer, and most layers share the step of four).
  static constexpr std::size_t last_groups = (Inputs - (chunks - 1) * chunk) / 4;
  static constexpr std::size_t step = chunk / 4 % 4 == 0 && last_groups % 4 == 0   ? 4
                                      : chunk / 4 % 2 == 0 && last_groups % 2 == 0 ? 2
                                                                                   : 1;
  // Groups a loop step of the inputs' packing (run_m0): `step` for a chunk of up to 16 groups,
  // else one.
  static constexpr std::size_t pack_step = chunk / 4 <= 16 ? step : 1;

  std::array<std::uint32_t, Inputs / 4 * Units> word;
  std::array<std::int32_t, Units> bias;  // with the input zero-point term folded in
  ChannelRequantizer<1, TwoSided> requantizer;

  // The word holding unit u's weight of input i (lower() writes them in this order), and the weight.
  static constexpr std::size_t word_index(std::size_t u, std::size_t i) {
    const std::size_t first = i / chunk * chunk, length = Inputs - first < chunk ? Inputs - first : chunk;
    return first * Units / 4 + (u / 2 * (length / 4) + (i - first) / 4) * 2 + u % 2;
  }
  constexpr std::int32_t weight(std::size_t u, std::size_t i) const {
    return static_cast<std::int32_t>((word[word_index(u, i)] >> 8 * (i % 4)) & 0xffu) - 128;
  }

  // Inline: where the network is a constant, so is the requantizer's form, and the compiler keeps
  // only its path (out of line, each code cost some 50 cycles of tests of the form).
  [[gnu::always_inline]] constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
#if defined(__ARM_ARCH_6M__)
    if (!std::is_constant_evaluated()) {
      run_m0(in, out);
      return;
    }
#endif
    for (std::size_t u = 0; u < Units; ++u) {
      std::int32_t acc = bias[u];
      for (std::size_t i = 0; i < Inputs; ++i) acc += weight(u, i) * std::int32_t{in[i]};
      out[u] = requantizer(acc, 0);
    }
  }

#if defined(__ARM_ARCH_6M__)
  // Chunk by chunk: its inputs packed (lane_weight(x0, x2), lane_weight(x1, x3) for each group of
  // four), then every unit pair's sums over them (the accumulators wait on the stack between
  // chunks); then the codes.
  [[gnu::always_inline]] void run_m0(const std::int8_t* in, std::int8_t* out) const {
    std::int32_t packed[chunk / 2];
    std::int32_t acc[Units];
    const std::int32_t* from = bias.data();
    const std::uint32_t* w = word.data();
    for (std::size_t first = 0; first < Inputs; first += chunk) {
      const std::size_t length = Inputs - first < chunk ? Inputs - first : chunk;
      const std::size_t groups = length / 4;
      // pack_step groups a loop step: GCC unrolled the keyword-spotting replica's chunk of 16
      // groups whole (448 bytes of code) and kept the autoencoder's of 32 a loop of one group.
#pragma GCC unroll 1
      for (std::size_t g = 0; g < groups; g += pack_step) {
        for (std::size_t k = g; k < g + pack_step; ++k) {
          const std::int8_t* x = in + first + 4 * k;
          packed[2 * k] = lane_weight(x[0], x[2]);
          packed[2 * k + 1] = lane_weight(x[1], x[3]);
        }
      }
      dense_word_sums_m0<step>(w, packed, packed + 2 * groups, from, acc, Units / 2);
      w += length / 4 * Units;
      from = acc;
    }
    // Not unrolled: a few cycles an output next to its Inputs MACs, where unrolled the codes of
    // ResNet-8's ten units took 500 bytes.
#pragma GCC unroll 1
    for (std::size_t u = 0; u < Units; ++u) out[u] = requantizer(acc[u], 0);
  }
#endif
};

// Layers of at most dense_pair_max_units units whose inputs the 1 x 1 pair kernel takes: a layer
// is one pixel of a 1 x 1 convolution of Inputs channels to Units, its weights stored as lane pairs
// (twice TFLite's bytes: at most 8 Inputs more, 4 KiB at the kernel's 512 inputs), its one scale
// repeated in each unit's record. There the word kernel's work per layer and per unit -- the
// inputs' packing in C++ (16 cycles every four inputs), the codes in C++ -- weighs most: 128 -> 8
// took 5.85 cycles a MAC, its inner loop 3.88; the pair kernel's loop takes 2.63 and its codes run
// in its assembly loop (the word kernel keeps the many-unit layers, where doubled weights would
// cost their flash: 640 -> 128, 80 KiB more).
inline constexpr std::size_t dense_pair_max_units = 8;
template <std::size_t Inputs, std::size_t Units>
inline constexpr bool dense_weight_pairs =
    Units <= dense_pair_max_units && Inputs * Units >= 512 && pair_packed_weights<1, Inputs, Units, Units>;

// The pair kernel's dense layer: the pointwise kernel of a 1 x 1 image (its immediates and apply
// passed through, so that its requantization's fields are immediates where the network is a
// constant).
template <std::size_t Inputs, std::size_t Units, bool TwoSided = false>
struct DensePairKernel : ops::FullyConnectedGeometry<Inputs, Units> {
  using Pixel = PointwisePairKernel<1, 1, Inputs, 1, Units, TwoSided>;
  Pixel pixel;

  using immediates_type = WordImmediates;
  constexpr WordImmediates immediates() const { return pixel.immediates(); }
  template <WordImmediates I>
  [[gnu::always_inline]] constexpr void apply(const std::int8_t* in, std::int8_t* out) const {
    pixel.template apply<I>(in, out);
  }
  [[gnu::always_inline]] constexpr void operator()(const std::int8_t* in, std::int8_t* out) const { pixel(in, out); }
};

// The op's biases with the input zero point's term folded in (every output reads all inputs).
template <std::size_t Inputs, std::size_t Units, bool TwoSided>
consteval std::array<std::int32_t, Units> folded_dense_biases(const ops::FullyConnected<Inputs, Units, TwoSided>& op) {
  std::array<std::int32_t, Units> folded{};
  for (std::size_t u = 0; u < Units; ++u) {
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < Inputs; ++i) sum += op.weights[u * Inputs + i];
    folded[u] = static_cast<std::int32_t>(op.bias[u] - std::int64_t{op.input_zero_point} * sum);
  }
  return folded;
}

// The kernels with the weights as bytes in flash (ByteWeightsBackend takes these for every dense
// layer): the word kernel where the layer's shape fits it, else the byte loops.
template <std::size_t Inputs, std::size_t Units, bool TwoSided>
consteval auto lower_byte_weights(const ops::FullyConnected<Inputs, Units, TwoSided>& op) {
  if constexpr (dense_weight_words<Inputs, Units>) {
    using Kernel = DenseWordKernel<Inputs, Units, TwoSided>;
    Kernel k{};
    // Word by word in the kernel's order (set_weight byte by byte costs GCC's evaluation several
    // times the operations: the autoencoder's 640 x 128 layers would pass its limit).
    std::size_t n = 0;
    for (std::size_t first = 0; first < Inputs; first += Kernel::chunk) {
      const std::size_t length = Inputs - first < Kernel::chunk ? Inputs - first : Kernel::chunk;
      for (std::size_t u = 0; u < Units; u += 2)
        for (std::size_t i = first; i < first + length; i += 4)
          for (std::size_t j = 0; j < 2; ++j) {
            const std::int8_t* w = &op.weights[(u + j) * Inputs + i];
            k.word[n++] = static_cast<std::uint32_t>(w[0] + 128) | static_cast<std::uint32_t>(w[1] + 128) << 8 |
                          static_cast<std::uint32_t>(w[2] + 128) << 16 | static_cast<std::uint32_t>(w[3] + 128) << 24;
          }
    }
    k.bias = folded_dense_biases(op);
    k.requantizer = fitted_requantizer<TwoSided>(op.requantization, op.range);
    return k;
  } else {
    return DenseKernel<Inputs, Units, TwoSided>{
        {}, op.weights, folded_dense_biases(op), fitted_requantizer<TwoSided>(op.requantization, op.range)};
  }
}

// The pair kernel for few units, else lower_byte_weights's kernel.
template <std::size_t Inputs, std::size_t Units, bool TwoSided>
consteval auto lower(const ops::FullyConnected<Inputs, Units, TwoSided>& op) {
  if constexpr (dense_weight_pairs<Inputs, Units>) {
    DensePairKernel<Inputs, Units, TwoSided> k{};
    const auto bias = folded_dense_biases(op);
    for (std::size_t u = 0; u < Units; ++u) {
      for (std::size_t i = 0; i < Inputs; ++i) k.pixel.set_weight(u, i, op.weights[u * Inputs + i]);
      k.pixel.set_bias(u, bias[u]);
    }
    // The tensor's requantization and accumulator range, unit by unit.
    Requantization<Units> requantization{{}, op.requantization.clamp};
    std::array<AccumulatorRange, Units> range{};
    for (std::size_t u = 0; u < Units; ++u) {
      requantization.multiplier[u] = op.requantization.multiplier[0];
      range[u] = op.range[0];
    }
    k.pixel.set_requantizer(fitted_requantizer<TwoSided>(requantization, range), range);
    return k;
  } else {
    return lower_byte_weights(op);
  }
}

}  // namespace qpipe::m0
