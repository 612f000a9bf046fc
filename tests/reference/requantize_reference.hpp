// The test suite's own requantization, written from the rounding rules' definitions in 128-bit
// integers: no code shared with qpipe. Used as the independent expectation by several tests.
#pragma once

#include <cstdint>
#include <limits>

namespace qpipe_test {

using i128 = __int128;
constexpr std::int32_t int32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t int32_min = std::numeric_limits<std::int32_t>::min();

inline i128 floor_div(i128 n, i128 d) {  // d > 0
  i128 q = n / d;
  if (n % d != 0 && n < 0) --q;
  return q;
}

// 2ab / 2^32 rounded to nearest with ties towards +infinity; the single overflowing product saturates.
inline std::int32_t exact_doubling_high_mul(std::int32_t a, std::int32_t b) {
  if (a == int32_min && b == int32_min) return int32_max;
  return static_cast<std::int32_t>(floor_div(i128{a} * b + (i128{1} << 30), i128{1} << 31));
}

// x / 2^e rounded to nearest with ties away from zero.
inline std::int32_t exact_divide_by_pot(std::int32_t x, int e) {
  if (e == 0) return x;
  const i128 half = i128{1} << (e - 1);
  const i128 magnitude = floor_div((x < 0 ? -i128{x} : i128{x}) + half, i128{1} << e);
  return static_cast<std::int32_t>(x < 0 ? -magnitude : magnitude);
}

inline std::int32_t exact_multiply(std::int32_t x, std::int32_t m, int shift) {
  i128 shifted = i128{x} << (shift > 0 ? shift : 0);
  if (shifted > int32_max) shifted = int32_max;
  if (shifted < int32_min) shifted = int32_min;
  return exact_divide_by_pot(exact_doubling_high_mul(static_cast<std::int32_t>(shifted), m), shift > 0 ? 0 : -shift);
}

inline std::int8_t exact_requantize(std::int32_t acc, std::int32_t m, int shift, std::int32_t zp, std::int32_t lo,
                                    std::int32_t hi) {
  i128 v = i128{exact_multiply(acc, m, shift)} + zp;
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return static_cast<std::int8_t>(v);
}

}  // namespace qpipe_test
