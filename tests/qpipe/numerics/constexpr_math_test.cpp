// The constexpr exp/sigmoid/tanh against <cmath> in double: relative error at most 1e-12.
#include <doctest/doctest.h>

#include <cmath>

#include "qpipe/numerics/constexpr_math.hpp"

namespace math = qpipe::math;

static_assert(math::exp(0.0) == 1.0);
static_assert(math::sigmoid(0.0) == 0.5);
static_assert(math::tanh(0.0) == 0.0);
static_assert(math::round_half_away(2.5) == 3.0 && math::round_half_away(-2.5) == -3.0);
static_assert(math::round_half_away(0.49999999999999994) == 0.0);
static_assert(math::sqrt(16.0) == 4.0);

namespace {
double relative_error(double got, double want) {
  if (want == 0) return std::abs(got);
  return std::abs(got - want) / std::abs(want);
}
}  // namespace

TEST_CASE("exp over its whole finite range") {
  double worst = 0;
  for (double x = -708.0; x <= 709.0; x += 0.0137) worst = std::max(worst, relative_error(math::exp(x), std::exp(x)));
  for (double x = -1e-3; x <= 1e-3; x += 1.7e-6) worst = std::max(worst, relative_error(math::exp(x), std::exp(x)));
  MESSAGE("exp worst relative error " << worst);
  CHECK(worst <= 1e-12);
  CHECK(math::exp(710.0) == INFINITY);
  CHECK(math::exp(-746.0) == 0.0);
}

TEST_CASE("sigmoid and tanh") {
  double worst_sigmoid = 0, worst_tanh = 0;
  for (double x = -40.0; x <= 40.0; x += 0.00113) {
    worst_sigmoid = std::max(worst_sigmoid, relative_error(math::sigmoid(x), 1.0 / (1.0 + std::exp(-x))));
    worst_tanh = std::max(worst_tanh, relative_error(math::tanh(x), std::tanh(x)));
  }
  for (double x = -1e-4; x <= 1e-4; x += 3.1e-7)
    worst_tanh = std::max(worst_tanh, relative_error(math::tanh(x), std::tanh(x)));
  MESSAGE("sigmoid worst " << worst_sigmoid << ", tanh worst " << worst_tanh);
  CHECK(worst_sigmoid <= 1e-12);
  CHECK(worst_tanh <= 1e-12);
}

TEST_CASE("sqrt and round") {
  for (double x = 1e-6; x < 1e6; x *= 1.37) CHECK(relative_error(math::sqrt(x), std::sqrt(x)) <= 1e-15);
  for (double x = -1000.25; x < 1000; x += 0.25) CHECK(math::round_half_away(x) == std::round(x));
}

static_assert(math::log(1.0) == 0.0);
static_assert(math::log(0.0) == -math::infinity);

TEST_CASE("log against <cmath>, absolute error near 1 and relative elsewhere") {
  double worst = 0;
  for (double x = 1e-300; x < 1e300; x *= 1.0173) worst = std::max(worst, relative_error(math::log(x), std::log(x)));
  for (double x = 0.5; x < 2.0; x += 1.3e-4) worst = std::max(worst, std::abs(math::log(x) - std::log(x)));
  CHECK(std::abs(math::log(4.9e-324) - std::log(4.9e-324)) <= 1e-12);  // smallest subnormal
  MESSAGE("log worst error " << worst);
  CHECK(worst <= 1e-15);
  CHECK(std::isnan(math::log(-1.0)));
}
