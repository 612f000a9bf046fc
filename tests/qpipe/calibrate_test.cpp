// calibrate(): MinMax grids from the float reference's ranges, and the calibrated CNN of
// tests/m0/cnn_network.hpp against its own float reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "../m0/cnn_network.hpp"

using namespace qpipe;

// Hand-computed MinMax grids: [0, 2.55] -> scale 0.01, zero point -128; [-1, 3] -> 4/255, real 0
// at -128 + 63.75 -> -64 (nudged); an all-negative range still includes 0 at the top code.
static_assert(math::abs(min_max_grid({0.0, 2.55}).scale - 0.01) < 1e-15 && min_max_grid({0.0, 2.55}).zero_point == -128);
static_assert(min_max_grid({-1.0, 3.0}).zero_point == -64);
static_assert(math::abs(min_max_grid({-2.55, -1.0}).scale - 0.01) < 1e-15 && min_max_grid({-2.55, -1.0}).zero_point == 127);

TEST_CASE("calibration sets the input grid and every block's grid from the observed ranges") {
  constexpr auto ranges = observe_ranges(cnn_test::spec, cnn_test::samples);
  CHECK(cnn_test::spec.input == min_max_grid(ranges[0]));
  double lo = 1, hi = 0;
  for (const auto& s : cnn_test::samples)
    for (double v : s) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(ranges[0].lo == lo);
  CHECK(ranges[0].hi == hi);
  // The stem's grid (its step writes buffer 2: after the pad) comes from the post-ReLU range.
  CHECK(std::get<0>(cnn_test::spec.params).output == min_max_grid(ranges[2]));
  CHECK(ranges[2].lo == 0.0);
}

TEST_CASE("calibrated CNN: int8 against the float reference of the same declaration") {
  constexpr Grid out = output_grid(cnn_test::spec);
  static_assert(out == softmax_output_grid);
  double worst = 0;
  for (std::size_t n = 0; n < cnn_test::samples.size(); ++n) {
    const auto q = cnn_test::network(cnn_test::inputs[n]);
    const auto p = reference(cnn_test::spec, cnn_test::samples[n]);
    for (std::size_t i = 0; i < 4; ++i) worst = std::max(worst, std::fabs(dequantize(q[i], out) - p[i]));
  }
  MESSAGE("CNN softmax outputs: max |int8 - float| = " << worst << " (output step 1/256 = 0.0039)");
  CHECK(worst < 0.008);  // measured 0.0049: about 1.3 output steps
}
