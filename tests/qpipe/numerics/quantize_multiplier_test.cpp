// quantize_multiplier: known values at compile time, the range limits, and a round trip of a
// million random multipliers to within 2^-31 relative.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "qpipe/numerics/quantize_multiplier.hpp"

using qpipe::QuantizedMultiplier;
using qpipe::quantize_multiplier;

// Worked out by hand: M = multiplier * 2^(shift - 31).
static_assert(quantize_multiplier(0.5) == QuantizedMultiplier{1 << 30, 0});
static_assert(quantize_multiplier(1.0) == QuantizedMultiplier{1 << 30, 1});
static_assert(quantize_multiplier(0.25) == QuantizedMultiplier{1 << 30, -1});
static_assert(quantize_multiplier(0.75) == QuantizedMultiplier{1610612736, 0});
static_assert(quantize_multiplier(1.0 / 3.0) == QuantizedMultiplier{1431655765, -1});  // 2^31 * 2/3 = 1431655765.33
static_assert(quantize_multiplier(3.0) == QuantizedMultiplier{1610612736, 2});  // multipliers >= 1 shift left
static_assert(quantize_multiplier(0.9999999999) == QuantizedMultiplier{1 << 30, 1});  // rounds up to 1.0: renormalised
static_assert(quantize_multiplier(0x1p-32) == QuantizedMultiplier{1 << 30, -31});  // smallest representable shift
static_assert(quantize_multiplier(0x1p29) == QuantizedMultiplier{1 << 30, 30});  // largest
static_assert(quantize_multiplier(0.0039215686274509803) == QuantizedMultiplier{1077952576, -7});  // 1/255

TEST_CASE("out-of-range multipliers are refused, with the reason") {
  using qpipe::detail::multiplier_status;
  using qpipe::detail::try_quantize_multiplier;
  CHECK(try_quantize_multiplier(0.0).status == multiplier_status::not_positive);
  CHECK(try_quantize_multiplier(-0.5).status == multiplier_status::not_positive);
  CHECK(try_quantize_multiplier(std::nan("")).status == multiplier_status::not_finite);
  CHECK(try_quantize_multiplier(INFINITY).status == multiplier_status::not_finite);
  CHECK(try_quantize_multiplier(0x1p-33).status == multiplier_status::too_small);
  CHECK(try_quantize_multiplier(1e-310).status == multiplier_status::too_small);  // subnormal
  CHECK(try_quantize_multiplier(0x1p30).status == multiplier_status::too_large);
  CHECK(try_quantize_multiplier(0x1p29).status == multiplier_status::ok);
}

TEST_CASE("random multipliers round-trip to within 2^-31 relative, and agree with frexp") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(-31.9, 29.9);
  std::uniform_real_distribution<double> unit(0.5, 1.0);
  int worst_exponent = 0;
  double worst = 0;
  for (int n = 0; n < 1'000'000; ++n) {
    const double real =
        n % 2 ? std::exp2(exponent(rng)) : unit(rng) * std::exp2(std::floor(exponent(rng)) + 1);  // shifts -31..30
    const auto r = qpipe::detail::try_quantize_multiplier(real);
    REQUIRE(r.status == qpipe::detail::multiplier_status::ok);
    const double back = std::ldexp(static_cast<double>(r.value.multiplier), r.value.shift - 31);
    const double relative = std::abs(back - real) / real;
    if (relative > worst) worst = relative, worst_exponent = r.value.shift;
    CHECK(relative <= 0x1p-31);
    CHECK(r.value.multiplier >= (1 << 30));
    // The same (multiplier, shift) as the frexp + round formulation of the TFLite reference.
    int e = 0;
    const double q = std::frexp(real, &e);
    long long fixed = std::llround(q * 0x1p31);
    if (fixed == (1LL << 31)) fixed /= 2, ++e;
    CHECK(r.value == QuantizedMultiplier{static_cast<std::int32_t>(fixed), e});
  }
  MESSAGE("worst relative error " << worst << " (2^-31 = " << 0x1p-31 << ") at shift " << worst_exponent);
}
