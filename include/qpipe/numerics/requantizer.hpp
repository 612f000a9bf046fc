// Building the requantizers of a layer: the compiler turns each output channel's real multiplier
// (accumulator scale / output scale) into a Q31 multiplier and shift.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/numerics/fitted_requantization.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"
#include "qpipe/numerics/requantize_m0.hpp"

namespace qpipe {

// One channel's multiplier with its shift split as requantize_split takes it (8 bytes).
struct SplitMultiplier {
  std::int32_t multiplier;
  std::uint8_t left_shift;
  std::uint8_t right_shift;
};

consteval SplitMultiplier split(QuantizedMultiplier m) {
  return {m.multiplier, static_cast<std::uint8_t>(m.shift > 0 ? m.shift : 0), static_cast<std::uint8_t>(m.shift > 0 ? 0 : -m.shift)};
}

// The output grid's zero point and the clamp range, in the layout the M0 routine reads.
struct OutputClamp {
  std::int32_t zero_point;
  std::int32_t qmin;
  std::int32_t qmax;
};

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

// A channel's code for accumulator acc, given what its layer shares (the clamp and the fitted
// form). negative_offset: the channel's second offset in a layer that has them (form.
// negative_offsets), otherwise unused.
constexpr std::int8_t requantize_channel(std::int32_t acc, const RequantizationChannel& channel, const std::int32_t* negative_offset,
                                         const OutputClamp& clamp, FittedForm form) {
  if (form.pieces != 0) {
    return clamped_code(fitted_requantize(acc, channel.fitted, negative_offset, form), clamp.zero_point, clamp.qmin, clamp.qmax);
  }
  const SplitMultiplier& m = channel.tflite;
#if defined(__ARM_ARCH_6M__)
  if (!std::is_constant_evaluated()) return detail::requantize_split_m0(acc, m, clamp);
#endif
  return requantize_split(acc, m.multiplier, m.left_shift, m.right_shift, clamp.zero_point, clamp.qmin, clamp.qmax);
}

// Folds the clamp's low end into the offsets of a layer's channel records (each has a
// RequantizationChannel `requantization`, and where the record has room for it a
// `negative_offset`, the offset for acc < 0, folded too) where the fit took the halves form: all of
// them, or none when one channel's sums would leave int32 (fold_clamp_into_offset). True if
// folded; the records then requantize with folded_halves_code, with `word` (folded_halves_word;
// 0 when not folded).
template <class Record, std::size_t Channels>
consteval bool fold_clamp_into_offsets(std::array<Record, Channels>& records, const std::array<AccumulatorRange, Channels>& range,
                                       FittedForm form, const OutputClamp& clamp, std::uint32_t& word) {
  constexpr bool two_offsets = requires(Record r) { r.negative_offset; };
  word = 0;
  if (!is_halves_form(form, two_offsets)) return false;
  const std::int32_t lowest = clamp.qmin - clamp.zero_point;
  std::array<Record, Channels> folded = records;
  for (std::size_t c = 0; c < Channels; ++c) {
    FittedChannel& f = folded[c].requantization.fitted;
    if constexpr (two_offsets) {
      FittedChannel negative = f;
      negative.offset = folded[c].negative_offset;
      if (!fold_clamp_into_offset(negative, range[c], form.piece_bits, form.shift, lowest)) return false;
      folded[c].negative_offset = negative.offset;
    }
    if (!fold_clamp_into_offset(f, range[c], form.piece_bits, form.shift, lowest)) return false;
  }
  records = folded;
  word = folded_halves_word(form.piece_bits, form.shift, clamp.qmin, clamp.qmax);
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

consteval Requantizer requantizer_for(double accumulator_scale, Grid out, ClampRange clamp) {
  const QuantizedMultiplier m = quantize_multiplier(accumulator_scale / out.scale);
  return {m.multiplier, m.shift, out.zero_point, clamp.qmin, clamp.qmax};
}

// TFLite's multipliers and shifts, unfitted (what fitting starts from; tests use it to run the
// TFLite form itself).
template <bool TwoSided = false, std::size_t Channels>
consteval ChannelRequantizer<Channels, TwoSided> tflite_requantizer_for(const std::array<double, Channels>& accumulator_scale,
                                                                        Grid out, ClampRange clamp) {
  ChannelRequantizer<Channels, TwoSided> r{{}, {out.zero_point, clamp.qmin, clamp.qmax}, {}, {}};
  for (std::size_t c = 0; c < Channels; ++c) r.channel[c].tflite = split(quantize_multiplier(accumulator_scale[c] / out.scale));
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

// The requantizer a layer runs.
template <bool TwoSided = false, std::size_t Channels>
consteval ChannelRequantizer<Channels, TwoSided> channel_requantizer_for(const std::array<double, Channels>& accumulator_scale,
                                                                         Grid out, ClampRange clamp,
                                                                         const std::array<AccumulatorRange, Channels>& range) {
  return fitted_to(tflite_requantizer_for<TwoSided>(accumulator_scale, out, clamp), range);
}

}  // namespace qpipe
