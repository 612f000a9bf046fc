// libFuzzer target: qpipe's requantization against the test suite's exact 128-bit reference, for
// any accumulator, any valid multiplier and shift, any zero point and clamp range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "qpipe/numerics/fixed_point.hpp"
#include "reference/requantize_reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 12) return 0;
  std::int32_t acc, raw_multiplier;
  std::memcpy(&acc, data, 4);
  std::memcpy(&raw_multiplier, data + 4, 4);
  // A Q31 multiplier is in [2^30, 2^31); shifts in [-31, 30] (what quantize_multiplier yields).
  const std::int32_t multiplier =
      static_cast<std::int32_t>((static_cast<std::uint32_t>(raw_multiplier) & 0x3fffffffu) | 0x40000000u);
  const int shift = static_cast<int>(data[8] % 62) - 31;
  const std::int32_t zero_point = static_cast<std::int8_t>(data[9]);
  std::int32_t lo = static_cast<std::int8_t>(data[10]), hi = static_cast<std::int8_t>(data[11]);
  if (lo > hi) std::swap(lo, hi);
  const std::int8_t got = qpipe::requantize(acc, multiplier, shift, zero_point, lo, hi);
  const std::int8_t want = qpipe_test::exact_requantize(acc, multiplier, shift, zero_point, lo, hi);
  if (got != want) std::abort();
  // The kernels' form: the shift split, the high multiply for non-negative multipliers.
  if (qpipe::requantize_split(acc, multiplier, shift > 0 ? shift : 0, shift > 0 ? 0 : -shift, zero_point, lo, hi) !=
      want) {
    std::abort();
  }
  // The high multiply alone, for any two int32 (including the saturating corner).
  std::int32_t b;
  std::memcpy(&b, data + 4, 4);
  if (qpipe::saturating_rounding_doubling_high_mul(acc, b) != qpipe_test::exact_doubling_high_mul(acc, b)) std::abort();
  const std::int32_t positive = b < 0 ? -(b + 1) : b;
  if (qpipe::rounding_doubling_high_mul_by_positive(acc, positive) !=
      qpipe_test::exact_doubling_high_mul(acc, positive)) {
    std::abort();
  }
  return 0;
}
