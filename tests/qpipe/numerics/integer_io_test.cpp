// code_of / value_of (numerics/integer_io.hpp): real values in and out of a network in integer
// arithmetic. Hand values as static_asserts; then random values on several grids and units against
// the exact rational result: every answer is an integer nearest to it, where "nearest" allows the
// multiplier's 2^-31 relative rounding at a tie.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include <qpipe/numerics/integer_io.hpp>

using namespace qpipe;

// 1.234 on scale 0.05, zero point -3: 24.68 -> 25, + -3 = 22. Back: (22 + 3) * 0.05 = 1.25.
static_assert(code_of<Grid{0.05, -3}, 1000>(1234) == 22);
static_assert(value_of<Grid{0.05, -3}, 1000>(22) == 1250);
// Ties away from zero: 0.025 / 0.05 = 0.5 -> 1; -0.025 -> -1. Saturation at both ends.
static_assert(code_of<Grid{0.05, 0}, 1000>(25) == 1 && code_of<Grid{0.05, 0}, 1000>(-25) == -1);
static_assert(code_of<Grid{0.05, 0}, 1000>(1000000) == 127 && code_of<Grid{0.05, 0}, 1000>(-1000000) == -128);
// A coarse grid and unit 1 (whole units): scale 4, code 10 -> 40; -128 on zero point 127 -> -1020.
static_assert(value_of<Grid{4.0, 0}, 1>(10) == 40 && value_of<Grid{4.0, 127}, 1>(-128) == -1020);

namespace {

template <Grid G, std::int32_t Unit>
void check_against_exact(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> value(-300000, 300000);
  const long double unit_scale = static_cast<long double>(Unit) * G.scale;
  for (int i = 0; i < 20000; ++i) {
    const int x = value(rng);
    const long double exact = x / unit_scale + G.zero_point;
    const long double clamped = exact < -128 ? -128 : (exact > 127 ? 127 : exact);
    const int got = code_of<G, Unit>(x);
    CAPTURE(x);
    CHECK(std::fabs(got - clamped) <= 0.5L + std::fabs(exact) * 0x1p-30L);
  }
  for (int q = -128; q <= 127; ++q) {
    const long double exact = (q - G.zero_point) * unit_scale;
    CAPTURE(q);
    CHECK(std::fabs(value_of<G, Unit>(static_cast<std::int8_t>(q)) - exact) <= 0.5L + std::fabs(exact) * 0x1p-30L);
  }
}

}  // namespace

TEST_CASE("code_of and value_of are the nearest integers, within the multiplier's precision") {
  check_against_exact<Grid{0.05, -3}, 1000>(1);
  check_against_exact<Grid{0.0235294122248888, -128}, 1000>(2);  // a float32 scale, as a .tflite holds
  check_against_exact<Grid{3.7, 10}, 1>(3);                       // multipliers above 1 and below 1
  check_against_exact<Grid{1e-4, 0}, 1000000>(4);
  check_against_exact<Grid{0.5, 127}, 10>(5);
}
