// The accumulators an output channel can produce: what requantization must be exact on, and what
// decides whether an int32 accumulator can overflow at all.
#pragma once

#include <cstdint>

namespace qpipe {

// The accumulator values one output channel can produce: its bias (with the input zero-point term
// folded in) plus any int8 inputs against its weights.
struct AccumulatorRange {
  std::int32_t lo = 0;
  std::int32_t hi = 0;

  // The range of a tensor-wide requantizer: the union over its channels.
  constexpr AccumulatorRange spanning(AccumulatorRange other) const {
    return {lo < other.lo ? lo : other.lo, hi > other.hi ? hi : other.hi};
  }
  friend constexpr bool operator==(const AccumulatorRange&, const AccumulatorRange&) = default;
};

// From the folded bias and the sums of the channel's positive and negative weights: the smallest
// accumulator takes -128 on every positive weight and 127 on every negative one.
consteval AccumulatorRange accumulator_range(std::int32_t folded_bias, std::int32_t weight_sum,
                                             std::int32_t absolute_weight_sum) {
  const std::int64_t positive = (std::int64_t{absolute_weight_sum} + weight_sum) / 2;
  const std::int64_t negative = (std::int64_t{absolute_weight_sum} - weight_sum) / 2;  // sum of |w| over w < 0
  return {static_cast<std::int32_t>(folded_bias - 128 * positive - 127 * negative),
          static_cast<std::int32_t>(folded_bias + 127 * positive + 128 * negative)};
}

}  // namespace qpipe
