// Requantization cases worked out by hand from the TFLite/gemmlowp rounding rules, shared by the
// host test and the on-target (M0) test. Each comment is the arithmetic that gives `expected`.
#pragma once

#include <array>
#include <cstdint>

namespace qpipe_test {

struct RequantizeCase {
  std::int32_t acc, multiplier, shift, zero_point, qmin, qmax, expected;
};

inline constexpr std::int32_t half = 1 << 30;  // Q31 0.5
inline constexpr std::int32_t three_quarters = 1610612736;  // Q31 0.75

inline constexpr std::array<RequantizeCase, 16> requantize_cases{{
    {100, half, 0, 0, -128, 127, 50},          // 100 * 0.5
    {100, half, 1, 0, -128, 127, 100},         // (100 << 1) * 0.5
    {1000, half, -3, -10, -128, 127, 53},      // 1000 * 0.5 = 500; 500 / 8 = 62.5 -> 63 (away from 0); 63 - 10
    {-1000, half, -3, -10, -128, 127, -73},    // -500 / 8 = -62.5 -> -63; -63 - 10
    {3, half, 0, 0, -128, 127, 2},             // 1.5 -> 2 in the high multiply (ties up)
    {-3, half, 0, 0, -128, 127, -1},           // -1.5 -> -1 in the high multiply (ties towards +inf)
    {-1, half, 0, 0, -128, 127, 0},            // -0.5 -> 0
    {5, half, -1, 0, -128, 127, 2},            // 2.5 -> 3, then 3 / 2 = 1.5 -> 2: double rounding (exact 1.25)
    {3, half, -1, 0, -128, 127, 1},            // 1.5 -> 2, then 2 / 2 = 1 (exact 0.75)
    {-5, half, -1, 0, -128, 127, -1},          // -2.5 -> -2, then -2 / 2 = -1 (exact -1.25)
    {7, three_quarters, -2, 0, -128, 127, 1},  // 5.25 -> 5, then 5 / 4 = 1.25 -> 1
    {1 << 20, half, 0, 5, -128, 127, 127},     // 2^19 + 5 saturates at qmax
    {-(1 << 20), half, 0, 5, -128, 127, -128}, // saturates at qmin
    {-40, half, 0, -7, -7, 127, -7},           // -20 - 7 = -27, clamped by a folded ReLU at the zero point
    {2147483647, 2147483647, 30, 0, -128, 127, 127},  // left shift saturates, product saturates
    {-2147483647 - 1, half, -31, 0, -128, 127, -1},   // -2^31 * 0.5 = -2^30; / 2^31 = -0.5 -> -1 (away from 0)
}};

}  // namespace qpipe_test
