// How the Cortex-M0 kernels requantize: the fitted form (numerics/fitted_requantization.hpp)
// where the compiler found one, else TFLite's multipliers through the shared assembly routine
// (requantize_split.hpp); and the encodings of the fitted form that the assembly loops read (the
// clamp folded into the offsets, the layer's word of shared fields, its fields as immediates).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "qpipe/backends/m0/requantize_split.hpp"
#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/fitted_requantization.hpp"
#include "qpipe/numerics/requantizer.hpp"

namespace qpipe::m0 {

// The common form: two pieces as halves, one final shift of at least 1, one offset (or, where the
// loop has room for it, an offset for each sign of the accumulator). What the assembly channel
// loops run, folded (below), with the piece width b and the shift as values: one routine serves
// several layers.
constexpr bool is_halves_form(FittedForm form, bool with_negative_offsets = false) {
  return form.pieces == 2 && form.halves && (with_negative_offsets || !form.negative_offsets) &&
         form.shift != FittedForm::per_channel_shift && form.shift >= 1;
}
// The pair kernels' channel loop (pointwise_pairs.hpp) runs three pieces too, where the network is
// a template argument: the channel's m loaded as one word and cut into its b-bit pieces by a mask
// and shifts made from b, which the loop reads from the layer's word, the rest as for the halves.
// b at most 15: the bound of the shifts of immediates that cut the pieces before (2 b and 32 - 2 b
// inside a shift's range), kept so that the same layers fold.
// Layers over wide accumulator ranges (ResNet-8's 3 x 3 layers, MobileNetV1's 128 -> 128 ones)
// need the third piece: with two, b-bit pieces cannot hold the 20-odd bits of m their steps ask for.
constexpr bool is_three_pieces_form(FittedForm form, bool with_negative_offsets = false) {
  return form.pieces == 3 && (with_negative_offsets || !form.negative_offsets) && form.piece_bits <= 15;
}

// The halves form with the clamp's lower end folded into each channel's offset, for assembly loops
// that have no register to spare for it: C - lowest 2^shift in place of C gives ((scaled + C) >>
// shift) - lowest exactly (the term is a multiple of 2^shift), so the clamp is to [0, span] and
// the code is the clamped value + qmin. What the layer's channels share is one word, b | shift << 8
// | (qmin mod 256) << 16 | span << 24, whose bytes the loop takes by shifts: a shift by register
// reads its low byte, and adding word >> 16 (qmin's byte, then the span) gives the code as its low
// byte.
constexpr std::uint32_t folded_halves_word(unsigned b, unsigned shift, std::int32_t qmin, std::int32_t qmax) {
  return b | shift << 8 | (static_cast<std::uint32_t>(qmin) & 0xffu) << 16 |
         static_cast<std::uint32_t>(qmax - qmin) << 24;
}
// The layer word of a kernel with channel records whether or not its offsets were folded: where
// they were not, the clamp's bytes (qmin's and the span, as folded_halves_word places them) and
// the output's zero point in the low byte. Its clamp is then clamp_of_word: no bytes beside the
// word, where OutputClamp's three words took 12 of the layer's constants.
constexpr OutputClamp clamp_of_word(std::uint32_t word) {
  const std::int32_t qmin = static_cast<std::int8_t>(static_cast<std::uint8_t>(word >> 16));
  return {static_cast<std::int8_t>(static_cast<std::uint8_t>(word)), qmin,
          qmin + static_cast<std::int32_t>(word >> 24)};
}
// Declared, never defined: reaching it ends the constant evaluation (detail/compile_error.hpp's
// way), where a clamp's ends or zero point were not int8 codes (a grid's zero point and
// ClampRange's ends are).
void clamp_of_word_needs_int8_codes();
consteval std::uint32_t layer_word(bool folded, std::uint32_t folded_word, const OutputClamp& clamp) {
  if (folded) return folded_word;
  const std::uint32_t word =
      (static_cast<std::uint32_t>(clamp.zero_point) & 0xffu) | folded_halves_word(0, 0, clamp.qmin, clamp.qmax);
  if (clamp_of_word(word) != clamp) clamp_of_word_needs_int8_codes();
  return word;
}
// The scaled accumulator of a folded layer: two pieces as the channel's halves (is_halves_form),
// or three b-bit pieces of m = low + high 2^16 (is_three_pieces_form: scaled_accumulator). Int:
// std::int32_t where the kernels run it (the fit keeps every partial sum inside), std::int64_t
// for the compile-time checks of that.
template <class Int>
constexpr Int folded_scaled(Int acc, const FittedChannel& c, unsigned b, unsigned pieces) {
  if (pieces == 3) return scaled_accumulator(acc, c.low | std::uint32_t{c.high} << 16, b, 3);
  return acc * Int{c.high} + ((acc * Int{c.low}) >> b);
}
// The code from the folded offset and the shift, whichever of the two encodings below held them.
constexpr std::int8_t folded_code(std::int32_t acc, const FittedChannel& c, std::int32_t offset, unsigned shift,
                                  std::uint32_t word, unsigned pieces = 2) {
  const unsigned b = word & 0xffu, span = word >> 24;
  const std::int32_t scaled = folded_scaled(acc, c, b, pieces);
  const std::int32_t above = (scaled + offset) >> shift;
  std::uint32_t u = above < 0 ? 0u : static_cast<std::uint32_t>(above);
  if (u > span) u = span;
  return static_cast<std::int8_t>(static_cast<std::uint8_t>(u + (word >> 16)));
}
constexpr std::int8_t folded_halves_code(std::int32_t acc, const FittedChannel& c, std::uint32_t word,
                                         unsigned pieces = 2) {
  return folded_code(acc, c, c.offset, (word >> 8) & 0xffu, word, pieces);
}
// The same with each channel's shift in its offset's low byte, (C - lowest 2^shift) * 256 + shift
// (fold_clamp_and_shift_into_offsets): the layer's common shift or, where the fit found none
// (FittedForm::per_channel_shift), the channel's own. The loops that read it take the shift from
// the offset word they load anyway (a shift by register reads its low byte) and the offset as
// that word >> 8, where the common shift alone cost them a read of the layer's word: one routine
// for both kinds of layers. The word's shift byte is then 0 and unused.
constexpr std::int8_t folded_shifted_code(std::int32_t acc, const FittedChannel& c, std::uint32_t word,
                                          unsigned pieces = 2) {
  return folded_code(acc, c, c.offset >> 8, static_cast<std::uint8_t>(c.offset), word, pieces);
}
// What of a layer's word an M0 routine takes as immediates (asrs #b, cmp #span, adds #qmin)
// when the network is a template argument (qpipe::run), so that the kernel's members are constant
// expressions. The shift stays a value: layers of different shifts then still share one routine,
// handed the shift alone (handed_word). known == false: the routine reads every field from the word.
struct WordImmediates {
  bool known = false;
  unsigned piece_bits = 0;  // unsigned, not uint8_t: GCC passes a byte's 128..255 to an "I" asm operand as negative
  unsigned qmin_byte = 0;
  unsigned span = 0;
  unsigned shift = 0;  // for a routine that takes it as an immediate too (one copy per shift)
  // The layer's m in three pieces (is_three_pieces_form), which only the pair kernels' channel loop
  // cuts apart, with b read from the word (without_piece_bits) and the span and qmin as immediates:
  // such a layer is folded for the routines that take immediates alone.
  bool three_pieces = false;

  constexpr std::uint32_t handed_word(std::uint32_t word) const { return known ? (word >> 8) & 0xffu : word; }
  // For a routine that reads the shift from handed_word: one copy serves layers whose shifts differ.
  constexpr WordImmediates without_shift() const { return {known, piece_bits, qmin_byte, span, 0, three_pieces}; }
  // For a routine that reads b and the shift from the layer's whole word (piece_bits 0, no
  // layer's b, says so): one copy serves layers whose b or shift differ.
  constexpr WordImmediates without_piece_bits() const { return {known, 0, qmin_byte, span, 0, three_pieces}; }
};
constexpr WordImmediates immediates_of(bool folded, std::uint32_t word, bool three_pieces = false) {
  if (!folded) return {};
  return {true, word & 0xffu, (word >> 16) & 0xffu, word >> 24, (word >> 8) & 0xffu, three_pieces};
}
// The interface of a kernel whose layer word's fields its apply<I> may take as immediates
// (pipe.hpp's TakesImmediates), for Derived with members folded and word and a member template
// apply<WordImmediates>: qpipe::run hands apply immediates() (the fields where the layer was
// folded, constants there); the call operator, the run without them, reads every field from the
// word.
template <class Derived>
struct WordImmediateKernel {
  using immediates_type = WordImmediates;
  constexpr WordImmediates immediates() const {
    const Derived& kernel = static_cast<const Derived&>(*this);
    if constexpr (requires { kernel.folded_three_pieces; }) {
      if (kernel.folded_three_pieces) return immediates_of(true, kernel.word, true);
    }
    return immediates_of(kernel.folded, kernel.word);
  }
  [[gnu::always_inline]] constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    static_cast<const Derived&>(*this).template apply<WordImmediates{}>(in, out);
  }
};
// c with lowest = qmin - zero_point folded into its offset, if the sums the channel can form over
// its accumulator range stay inside int32 (scaled is non-decreasing in acc: the ends suffice);
// false leaves c as it was.
consteval bool fold_clamp_into_offset(FittedChannel& c, AccumulatorRange range, unsigned b, unsigned shift,
                                      std::int32_t lowest, unsigned pieces = 2) {
  const std::int64_t offset = std::int64_t{c.offset} - std::int64_t{lowest} * (std::int64_t{1} << shift);
  constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
  if (offset < lo || offset > hi) return false;
  for (const std::int32_t acc : {range.lo, range.hi}) {
    const std::int64_t scaled = folded_scaled(std::int64_t{acc}, c, b, pieces);
    if (scaled + offset < lo || scaled + offset > hi) return false;
  }
  c.offset = static_cast<std::int32_t>(offset);
  return true;
}

// One channel's requantization constants: its fitted constants (the layer's form.pieces != 0: the
// whole layer was fitted by the compiler, fitted_requantization.hpp) or TFLite's multiplier and
// shifts. 8 bytes either way.
union RequantizationChannel {
  SplitMultiplier tflite;
  FittedChannel fitted;
};

// One output channel as the channel loops read it (depthwise, the K x K lane kernel): the bias
// (the input zero-point term folded in), then its requantization constants. 12 bytes.
struct BiasedChannel {
  std::int32_t bias;
  RequantizationChannel requantization;
};

// The byte offsets the assembly loops read the records at ("[%[q], #4]" and so on).
static_assert(offsetof(FittedChannel, low) == 0 && offsetof(FittedChannel, high) == 2 &&
              offsetof(FittedChannel, offset) == 4 && sizeof(FittedChannel) == 8);
static_assert(sizeof(RequantizationChannel) == 8);
static_assert(offsetof(BiasedChannel, bias) == 0 && offsetof(BiasedChannel, requantization) == 4 &&
              sizeof(BiasedChannel) == 12);

// A channel's code for accumulator acc, given what its layer shares (the clamp and the fitted
// form). negative_offset: the channel's second offset in a layer that has them (form.
// negative_offsets), otherwise unused.
constexpr std::int8_t requantize_channel(std::int32_t acc, const RequantizationChannel& channel,
                                         const std::int32_t* negative_offset, const OutputClamp& clamp,
                                         FittedForm form) {
  if (form.pieces != 0) {
    return clamped_code(fitted_requantize(acc, channel.fitted, negative_offset, form), clamp.zero_point, clamp.qmin,
                        clamp.qmax);
  }
  const SplitMultiplier& m = channel.tflite;
#if defined(__ARM_ARCH_6M__)
  if (!std::is_constant_evaluated()) return requantize_split_m0(acc, m, clamp);
#endif
  return requantize_split(acc, m.multiplier, m.left_shift, m.right_shift, clamp.zero_point, clamp.qmin, clamp.qmax);
}

// Folds the clamp's low end into the offsets of a layer's channel records (each has a
// RequantizationChannel `requantization`, and where the record has room for it a
// `negative_offset`, the offset for acc < 0, folded too) where the fit took the halves form: all of
// them, or none when one channel's sums would leave int32 (fold_clamp_into_offset). True if
// folded; the records then requantize with folded_halves_code, with `word` (folded_halves_word;
// 0 when not folded). three_pieces: the same for a fit of three pieces with one shift
// (is_three_pieces_form) instead, for the pair kernels' loop; the halves are then not folded.
template <class Record, std::size_t Channels>
consteval bool fold_clamp_into_offsets(std::array<Record, Channels>& records,
                                       const std::array<AccumulatorRange, Channels>& range, FittedForm form,
                                       const OutputClamp& clamp, std::uint32_t& word, bool three_pieces = false) {
  constexpr bool two_offsets = requires(Record r) { r.negative_offset; };
  word = 0;
  if (three_pieces
          ? !is_three_pieces_form(form, two_offsets) || form.shift == FittedForm::per_channel_shift || form.shift < 1
          : !is_halves_form(form, two_offsets))
    return false;
  const unsigned pieces = form.pieces;
  const std::int32_t lowest = clamp.qmin - clamp.zero_point;
  std::array<Record, Channels> folded = records;
  for (std::size_t c = 0; c < Channels; ++c) {
    FittedChannel& f = folded[c].requantization.fitted;
    if constexpr (two_offsets) {
      FittedChannel negative = f;
      negative.offset = folded[c].negative_offset;
      if (!fold_clamp_into_offset(negative, range[c], form.piece_bits, form.shift, lowest, pieces)) return false;
      folded[c].negative_offset = negative.offset;
    }
    if (!fold_clamp_into_offset(f, range[c], form.piece_bits, form.shift, lowest, pieces)) return false;
  }
  records = folded;
  word = folded_halves_word(form.piece_bits, form.shift, clamp.qmin, clamp.qmax);
  return true;
}

// Whether c's folded offset fits 24 bits (signed), or can be made to: a channel whose code is the
// same over its whole range (its outputs all at one end of the clamp) may take a fit's offset far
// from any other (the fit bounds it on one side only); another offset in 24 bits that gives the
// same code at both ends of the range gives it everywhere (the code does not decrease with acc).
consteval bool offset_in_24_bits(FittedChannel& c, AccumulatorRange range, unsigned b, unsigned shift,
                                 std::uint32_t span, unsigned pieces = 2) {
  constexpr std::int64_t limit = std::int64_t{1} << 23;
  if (c.offset >= -limit && c.offset < limit) return true;
  const auto scaled = [&](std::int64_t acc) { return folded_scaled(acc, c, b, pieces); };
  const auto code = [&](std::int64_t offset, std::int64_t acc) {
    const std::int64_t above = (scaled(acc) + offset) >> shift;
    return above < 0 ? 0 : (above > span ? std::int64_t{span} : above);
  };
  const std::int64_t at_lo = code(c.offset, range.lo);
  if (code(c.offset, range.hi) != at_lo || (at_lo != 0 && at_lo != span)) return false;
  // The offset nearest zero that keeps the code below 1 at hi (at_lo 0) or at the span at lo.
  std::int64_t offset = at_lo == 0 ? (std::int64_t{1} << shift) - 1 - scaled(range.hi)
                                   : std::int64_t{span} * (std::int64_t{1} << shift) - scaled(range.lo);
  if (at_lo == 0 ? offset > 0 : offset < 0) offset = 0;
  constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
  if (offset < -limit || offset >= limit || scaled(range.lo) + offset < lo || scaled(range.hi) + offset > hi ||
      code(offset, range.lo) != at_lo || code(offset, range.hi) != at_lo)
    return false;
  c.offset = static_cast<std::int32_t>(offset);
  return true;
}

// The encoding of folded_shifted_code for a one-sided layer's records (the offset of each channel
// alone, no second one for acc < 0: no sign to choose it by) where the fit took two pieces as
// halves, with one shift or a shift per channel: every channel's offset with the clamp folded in
// (fold_clamp_into_offset) and then times 256 + its shift, if that folded offset fits 24 bits
// (signed) for all of them (offset_in_24_bits); else none changes. True if folded; `word` then folded_halves_word
// with the shift byte 0 (0 when not folded). three_pieces: the same for a fit of three pieces
// (is_three_pieces_form) instead.
template <class Record, std::size_t Channels>
consteval bool fold_clamp_and_shift_into_offsets(std::array<Record, Channels>& records,
                                                 const std::array<AccumulatorRange, Channels>& range, FittedForm form,
                                                 const OutputClamp& clamp, std::uint32_t& word,
                                                 bool three_pieces = false) {
  static_assert(!requires(Record r) { r.negative_offset; }, "one offset a channel");
  word = 0;
  if (three_pieces ? !is_three_pieces_form(form) : form.pieces != 2 || !form.halves || form.negative_offsets)
    return false;
  const unsigned pieces = form.pieces;
  const std::int32_t lowest = clamp.qmin - clamp.zero_point;
  std::array<Record, Channels> folded = records;
  for (std::size_t c = 0; c < Channels; ++c) {
    FittedChannel& f = folded[c].requantization.fitted;
    unsigned shift = form.shift;
    if (form.shift == FittedForm::per_channel_shift) {
      shift = static_cast<std::uint8_t>(f.offset);
      f.offset >>= 8;
    }
    if (!fold_clamp_into_offset(f, range[c], form.piece_bits, shift, lowest, pieces)) return false;
    if (!offset_in_24_bits(f, range[c], form.piece_bits, shift, static_cast<std::uint32_t>(clamp.qmax - clamp.qmin),
                           pieces))
      return false;
    f.offset = f.offset * 256 + static_cast<std::int32_t>(shift);
  }
  records = folded;
  word = folded_halves_word(form.piece_bits, 0, clamp.qmin, clamp.qmax);
  return true;
}

// Requantization with one multiplier per output channel (Channels == 1: one for the tensor); the
// fitted form gives the same codes as TFLite's for every accumulator the layer can produce, in two
// or three multiplies. TwoSided: room for the negative-accumulator offsets of a layer whose output
// may go below its zero point.
template <std::size_t Channels, bool TwoSided = false>
struct ChannelRequantizer {
  using Channel = RequantizationChannel;
  std::array<Channel, Channels> channel;
  OutputClamp clamp;
  FittedForm form;
  std::array<std::int32_t, TwoSided ? Channels : 0> negative_offset;

  constexpr std::int8_t operator()(std::int32_t acc, std::size_t c) const {
    const std::size_t i = Channels == 1 ? 0 : c;
    const std::int32_t* negative = nullptr;
    if constexpr (TwoSided) negative = &negative_offset[i];
    return requantize_channel(acc, channel[i], negative, clamp, form);
  }
};

// TFLite's multipliers and shifts, unfitted (what fitting starts from; tests use it to run the
// TFLite form itself).
template <bool TwoSided = false, std::size_t Channels>
consteval ChannelRequantizer<Channels, TwoSided> tflite_requantizer_for(
    const Requantization<Channels>& requantization) {
  ChannelRequantizer<Channels, TwoSided> r{{}, requantization.clamp, {}, {}};
  for (std::size_t c = 0; c < Channels; ++c) r.channel[c].tflite = requantization.multiplier[c];
  return r;
}

// A requantizer in TFLite's form, fitted to the accumulator range of each channel where a fit
// exists (fitted_requantization.hpp); unchanged otherwise. Same codes either way.
template <std::size_t Channels, bool TwoSided>
consteval ChannelRequantizer<Channels, TwoSided> fitted_to(ChannelRequantizer<Channels, TwoSided> r,
                                                           const std::array<AccumulatorRange, Channels>& range) {
  std::array<std::int32_t, Channels> multiplier{};
  std::array<std::uint8_t, Channels> left{}, right{};
  for (std::size_t c = 0; c < Channels; ++c) {
    multiplier[c] = r.channel[c].tflite.multiplier;
    left[c] = r.channel[c].tflite.left_shift;
    right[c] = r.channel[c].tflite.right_shift;
  }
  const LayerFit<Channels> fit =
      fit_layer(multiplier, left, right, r.clamp.zero_point, r.clamp.qmin, r.clamp.qmax, range, TwoSided);
  if (fit.form.pieces == 0 || (fit.form.negative_offsets && !TwoSided)) return r;
  r.form = fit.form;
  for (std::size_t c = 0; c < Channels; ++c) {
    r.channel[c].fitted = fit.channel[c];
    if constexpr (TwoSided) r.negative_offset[c] = fit.negative_offset[c];
  }
  return r;
}

// The requantizer an M0 kernel runs for an op's TFLite requantization.
template <bool TwoSided = false, std::size_t Channels>
consteval ChannelRequantizer<Channels, TwoSided> fitted_requantizer(
    const Requantization<Channels>& requantization, const std::array<AccumulatorRange, Channels>& range) {
  return fitted_to(tflite_requantizer_for<TwoSided>(requantization), range);
}

}  // namespace qpipe::m0
