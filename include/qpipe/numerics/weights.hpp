// Weight and bias quantization, TFLite int8 spec: weights symmetric (zero point 0) in [-127, 127],
// one scale per tensor or per output channel; biases int32 on the accumulator's grid
// (input scale * weight scale, zero point 0). All consteval: run by the compiler only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/numerics/constexpr_math.hpp"

namespace qpipe {

// The element types a parameter block may hold its weights in: float values that the compiler
// quantizes, or int8 values already quantized (with their scales given in the block).
template <class W>
concept WeightElement = std::is_same_v<W, double> || std::is_same_v<W, std::int8_t>;

enum class WeightGranularity { per_tensor, per_channel };

namespace detail {

// Collects, per output channel, what the scale choice needs: the largest |w| and whether every
// weight was finite and in range.
template <std::size_t Channels>
struct WeightStats {
  std::array<double, Channels> largest{};

  template <WeightElement W>
  consteval void add(std::size_t channel, W w) {
    if constexpr (std::is_same_v<W, double>) {
      if (!math::is_finite(w)) compile_error::weight_is_not_finite();
      if (math::abs(w) > largest[channel]) largest[channel] = math::abs(w);
    } else {
      if (w == -128) compile_error::int8_weight_minus_128_is_outside_the_symmetric_range_minus_127_to_127();
    }
  }
};

}  // namespace detail

// One scale per output channel (all equal for per-tensor layers). `given` all zero means "derive":
// the largest magnitude maps to 127 (over the whole tensor, or over each channel; a channel of
// zeros borrows the largest channel scale, its outputs are then the bias alone). Given scales
// must all be positive, and equal for a per-tensor layer. int8 weights need given scales.
template <WeightElement W, std::size_t Channels>
consteval std::array<double, Channels> weight_scales(const detail::WeightStats<Channels>& stats,
                                                     const double (&given)[Channels], WeightGranularity granularity) {
  bool any_given = false, all_given = true;
  for (double s : given) {
    if (s != 0) any_given = true;
    if (!(s > 0) || !math::is_finite(s)) all_given = false;
  }
  std::array<double, Channels> scale{};
  if (any_given) {
    if (!all_given) compile_error::weight_scales_must_all_be_given_positive_and_finite_or_all_left_zero();
    for (std::size_t c = 0; c < Channels; ++c) {
      if (granularity == WeightGranularity::per_tensor && given[c] != given[0]) {
        compile_error::a_per_tensor_layer_needs_one_weight_scale_for_every_channel_use_the_PerChannel_layer();
      }
      scale[c] = given[c];
    }
    return scale;
  }
  if constexpr (std::is_same_v<W, std::int8_t>) {
    compile_error::int8_weights_need_their_scales_given();
  }
  double overall = 0;
  for (double m : stats.largest) overall = m > overall ? m : overall;
  if (overall == 0) compile_error::weights_are_all_zero_so_their_scale_would_be_zero();
  for (std::size_t c = 0; c < Channels; ++c) {
    const double m = granularity == WeightGranularity::per_tensor || stats.largest[c] == 0 ? overall : stats.largest[c];
    scale[c] = m / 127.0;
  }
  return scale;
}

// round(w / scale) with ties away from zero, saturated to [-127, 127]; int8 weights pass through.
template <WeightElement W>
consteval std::int8_t quantize_weight(W w, double scale) {
  if constexpr (std::is_same_v<W, std::int8_t>) {
    return w;
  } else {
    const double q = math::round_half_away(w / scale);
    return static_cast<std::int8_t>(q < -127.0 ? -127.0 : (q > 127.0 ? 127.0 : q));
  }
}

// The real value a weight stands for in the float reference.
template <WeightElement W>
constexpr double real_weight(W w, double scale) {
  if constexpr (std::is_same_v<W, std::int8_t>) {
    return w * scale;
  } else {
    return w;
  }
}

// Biases live on the accumulator's grid: scale input_scale * weight_scale, zero point 0.
consteval std::int32_t quantize_bias(double b, double scale) {
  if (!math::is_finite(b)) compile_error::bias_is_not_finite();
  const double q = math::round_half_away(b / scale);
  if (q < -2147483648.0 || q > 2147483647.0) {
    compile_error::bias_does_not_fit_int32_at_input_scale_times_weight_scale(b);
  }
  return static_cast<std::int32_t>(q);
}

// The sums over one output channel's quantized weights that the bias folding and the overflow
// bound need.
struct ChannelWeightSums {
  std::int32_t sum = 0;
  std::int32_t absolute_sum = 0;
  constexpr void add(std::int8_t w) {
    sum += w;
    absolute_sum += w < 0 ? -w : w;
  }
};

// bias - zero_point * sum(w): the input zero point's share of every accumulator, moved into the
// bias so that the kernels multiply raw input codes. A sum that leaves int32 is a compile error.
// The accumulator of one output is then that folded bias plus at most sum |w| * 128 (int8 inputs
// lie in [-128, 127]), and so is every partial sum on the way: the compiler proves it fits int32,
// so no input can overflow a kernel.
consteval std::int32_t folded_bias(std::int32_t bias, std::int32_t input_zero_point, ChannelWeightSums w) {
  const std::int64_t folded = std::int64_t{bias} - std::int64_t{input_zero_point} * w.sum;
  if (folded < -2147483648LL || folded > 2147483647LL)
    compile_error::bias_with_the_input_zero_point_folded_in_does_not_fit_int32();
  const std::int64_t bound = (folded < 0 ? -folded : folded) + 128 * std::int64_t{w.absolute_sum};
  if (bound > 2147483647LL) {
    // TFLite would run such a layer and let the int32 sum wrap (undefined behaviour in C++); qpipe
    // refuses it. The diagnostic reads the bound |folded bias| + 128 * sum |w| as an array
    // subscript, so that GCC prints its value; the trace above it names the layer.
    return static_cast<std::int32_t>(
        compile_error::
            this_layer_is_refused_because_its_accumulator_bound_abs_bias_plus_128_times_sum_abs_weights_exceeds_int32_max_the_subscript_is_that_bound
                [bound]);
  }
  return static_cast<std::int32_t>(folded);
}

}  // namespace qpipe
