// A real multiplier M > 0 as a Q31 fixed-point multiplier and a power-of-two shift:
// M = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31). Computed by the compiler.
#pragma once

#include <bit>
#include <cstdint>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/numerics/constexpr_math.hpp"

namespace qpipe {

struct QuantizedMultiplier {
  std::int32_t multiplier;
  std::int32_t shift;  // > 0: shift left before the high multiply; < 0: rounding shift right after
  friend constexpr bool operator==(const QuantizedMultiplier&, const QuantizedMultiplier&) = default;
};

// The shifts the kernels accept: a left shift beyond 30 saturates every non-zero accumulator, a
// right shift beyond 31 turns every accumulator into 0 (TFLite clamps to the same range).
inline constexpr int min_multiplier_shift = -31;
inline constexpr int max_multiplier_shift = 30;

namespace detail {

enum class multiplier_status { ok, not_positive, not_finite, too_small, too_large };

struct multiplier_result {
  QuantizedMultiplier value;
  multiplier_status status;
};

// TFLite's QuantizeMultiplier (quantization_util.cc): q = frexp(real, &shift), multiplier =
// TfLiteRound(q * 2^31) in double; a multiplier rounded up to 2^31 becomes 2^30 with shift + 1; a
// shift below -31 flushes the multiplier to 0 (qpipe refuses that instead: every output would be
// the zero point). The mantissa and exponent come straight from the IEEE-754 bits (std::frexp is
// not constexpr); q * 2^31 is exact, so rounding the 53-bit significand to 31 bits with ties away
// from zero is TfLiteRound's result. A subnormal real (frexp's exponent below -1021) is far below
// 2^-31 and takes the too_small branch too. max_shift: the largest left shift the caller's kernel
// takes (30 for requantizers; SOFTMAX's input multiplier may take 31, see softmax.hpp).
constexpr multiplier_result try_quantize_multiplier(double real, int max_shift = max_multiplier_shift) {
  if (math::is_nan(real) || real == math::infinity) return {{0, 0}, multiplier_status::not_finite};
  if (!(real > 0)) return {{0, 0}, multiplier_status::not_positive};
  const auto bits = std::bit_cast<std::uint64_t>(real);
  const int biased_exponent = static_cast<int>(bits >> 52);
  if (biased_exponent == 0) return {{0, 0}, multiplier_status::too_small};  // subnormal
  // real = (2^52 + fraction) / 2^53 * 2^shift with the first factor in [0.5, 1).
  const std::uint64_t significand = (std::uint64_t{1} << 52) | (bits & ((std::uint64_t{1} << 52) - 1));
  int shift = biased_exponent - 1022;
  std::uint64_t q31 = (significand + (std::uint64_t{1} << 21)) >> 22;  // round(significand / 2^22)
  if (q31 == (std::uint64_t{1} << 31)) {  // rounded up to 1.0: renormalise
    q31 >>= 1;
    ++shift;
  }
  if (shift < min_multiplier_shift) return {{0, 0}, multiplier_status::too_small};
  if (shift > max_shift) return {{0, 0}, multiplier_status::too_large};
  return {{static_cast<std::int32_t>(q31), shift}, multiplier_status::ok};
}

}  // namespace detail

consteval QuantizedMultiplier quantize_multiplier(double real_multiplier) {
  const auto r = detail::try_quantize_multiplier(real_multiplier);
  switch (r.status) {
    case detail::multiplier_status::not_positive:
      compile_error::requantizer_multiplier_is_zero_or_negative(real_multiplier);
      break;
    case detail::multiplier_status::not_finite:
      compile_error::requantizer_multiplier_is_not_finite(real_multiplier);
      break;
    case detail::multiplier_status::too_small:
      compile_error::requantizer_multiplier_below_2_pow_minus_32_would_zero_every_output(real_multiplier);
      break;
    case detail::multiplier_status::too_large:
      compile_error::requantizer_multiplier_at_or_above_2_pow_30_saturates_every_output(real_multiplier);
      break;
    case detail::multiplier_status::ok:
      break;
  }
  return r.value;
}

}  // namespace qpipe
