// calibrate(): MinMax grids from the float reference's ranges, and the calibrated CNN of
// tests/m0/cnn_network.hpp against its own float reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../m0/cnn_network.hpp"

using namespace qpipe;

// Hand-computed MinMax grids: [0, 2.55] -> scale 0.01, zero point -128; [-1, 3] -> 4/255, real 0
// at -128 + 63.75 -> -64 (nudged); an all-negative range still includes 0 at the top code.
static_assert(math::abs(min_max_grid({0.0, 2.55}).scale - 0.01) < 1e-15 &&
              min_max_grid({0.0, 2.55}).zero_point == -128);
static_assert(min_max_grid({-1.0, 3.0}).zero_point == -64);
static_assert(math::abs(min_max_grid({-2.55, -1.0}).scale - 0.01) < 1e-15 &&
              min_max_grid({-2.55, -1.0}).zero_point == 127);

TEST_CASE("calibration sets the input grid and every block's grid from the observed ranges") {
  constexpr auto ranges = observe_ranges(cnn_test::spec, cnn_test::samples);
  CHECK(cnn_test::spec.input == min_max_grid(ranges[0]));
  double lo = 1, hi = 0;
  for (const auto& s : cnn_test::samples)
    for (double v : s) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(ranges[0].lo == lo);
  CHECK(ranges[0].hi == hi);
  // The stem's grid (its step writes buffer 2: after the pad) comes from the post-ReLU range.
  CHECK(boost::hana::at_c<0>(cnn_test::spec.params).output == min_max_grid(ranges[2]));
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

// Per-layer observers: a 3-6-6-2 MLP whose blocks name MinMax, Percentile and KL; each grid must
// be the MinMax grid of the range computed here, by sorting (percentile) or from the report's KL
// threshold (checked in observers_test against a naive sweep), over the float reference's values.
namespace observed {
using Net = Pipe<QDense<6>, QRelu, QDense<6>, QDense<2>>;
inline constexpr auto block = [](std::uint32_t seed, auto p) {
  qpipe_test::Lcg rng{seed};
  for (auto& u : p.weights)
    for (auto& w : u) w = rng.uniform(-1, 1);
  for (auto& b : p.bias) b = rng.uniform(-0.2, 0.2);
  return p;
};
inline constexpr auto first = block(11, DenseParams<3, 6>{});
inline constexpr auto second = [] {
  auto p = block(12, DenseParams<6, 6>{});
  p.observer = percentile(2, 97);
  return p;
}();
inline constexpr auto third = [] {
  auto p = block(13, DenseParams<6, 2>{});
  p.observer = kl_divergence(512);
  return p;
}();
inline constexpr auto samples = [] {
  std::array<std::array<double, 3>, 40> s{};
  qpipe_test::Lcg rng{14};
  for (auto& x : s)
    for (auto& v : x) v = rng.uniform(-1, 1);
  return s;
}();
inline constexpr auto unset = make_spec<Net, Shape<3>>(Grid{1, 0}, first, second, third);
inline constexpr auto report = calibration_report(unset, samples, percentile(0, 90));
inline constexpr auto calibrated = calibrate(unset, samples, percentile(0, 90));
}  // namespace observed

TEST_CASE("each block's observer chooses its own grid") {
  using namespace observed;
  // Every value of buffers 0 (input), 2 (second dense) and 3 (third dense) over the samples.
  std::vector<double> in, mid, last;
  for (const auto& x : samples) {
    const auto t = reference_trace(unset, x);
    in.insert(in.end(), t.buffer(0), t.buffer(0) + 3);
    mid.insert(mid.end(), t.buffer(2), t.buffer(2) + 6);
    last.insert(last.end(), t.buffer(3), t.buffer(3) + 2);
  }
  auto percentile_of = [](std::vector<double> v, double p) {  // numpy's linear interpolation
    std::sort(v.begin(), v.end());
    const double rank = p / 100 * double(v.size() - 1);
    const auto i = std::size_t(rank);
    return i + 1 < v.size() ? v[i] + (rank - double(i)) * (v[i + 1] - v[i]) : v.back();
  };
  // Exact: the streaming observer keeps only the order statistics it reads, the same ones.
  CHECK(report[0].range.chosen.lo == percentile_of(in, 0));
  CHECK(report[0].range.chosen.hi == percentile_of(in, 90));
  CHECK(calibrated.input == report[0].grid);
  CHECK(report[0].grid.scale == doctest::Approx((percentile_of(in, 90) - percentile_of(in, 0)) / 255));

  // The first block (MinMax, ReLU folded): [0, max].
  CHECK(report[1].range.chosen.lo == 0.0);
  CHECK(boost::hana::at_c<0>(calibrated.params).output == report[1].grid);

  CHECK(report[2].range.chosen.lo == percentile_of(mid, 2));
  CHECK(report[2].range.chosen.hi == percentile_of(mid, 97));
  CHECK(report[2].range.seen.hi == *std::max_element(mid.begin(), mid.end()));
  const Grid g = boost::hana::at_c<1>(calibrated.params).output;
  const double span = std::max(percentile_of(mid, 97), 0.0) - std::min(percentile_of(mid, 2), 0.0);
  CHECK(g.scale == doctest::Approx(span / 255));
  CHECK(g.zero_point == int(std::lround(-128 - std::min(percentile_of(mid, 2), 0.0) / g.scale)));

  // KL (signed values): clipped symmetrically at the threshold, within what was seen.
  const double t = report[3].range.threshold;
  const double lo = *std::min_element(last.begin(), last.end()), hi = *std::max_element(last.begin(), last.end());
  CHECK(t > 0);
  CHECK(t <= std::max(-lo, hi) + 1e-12);
  CHECK(report[3].range.chosen.lo == std::max(lo, -t));
  CHECK(report[3].range.chosen.hi == std::min(hi, t));
  CHECK(boost::hana::at_c<2>(calibrated.params).output == report[3].grid);
  CHECK(report[3].observer.method == Observer::Method::kl_divergence);
  CHECK(report[1].observer.method == Observer::Method::min_max);
}

TEST_CASE("the first sample's extremes count (regression: only its last value did)") {
  // The input's extremes are the first two values of the first sample; every later value is
  // inside [-0.5, 0.5].
  static constexpr std::array<std::array<double, 3>, 3> samples{{{-3.0, 2.0, 0.1}, {0.5, -0.5, 0.2}, {0.3, 0.4, -0.2}}};
  constexpr auto ranges = observe_ranges(observed::unset, samples);
  CHECK(ranges[0].lo == -3.0);
  CHECK(ranges[0].hi == 2.0);
  constexpr auto calibrated = calibrate(observed::unset, samples);
  CHECK(calibrated.input.scale == doctest::Approx(5.0 / 255));
}

// The same calibration one pass per step (what an exporter writes as one declaration per pass):
// 40 samples, twice over because the third block's KL observer needs its histogram pass.
namespace observed {
using Passes = CalibrationPasses<unset, samples, percentile(0, 90)>;
static_assert(Passes::passes == 80);
inline constexpr auto all_passes = []() consteval {
  Passes c{};
  for (std::size_t i = 0; i < Passes::passes; ++i) c = c.next();
  return c;
}();
inline constexpr auto stepwise_report = all_passes.report();
inline constexpr auto stepwise = all_passes.make_spec();
}  // namespace observed

TEST_CASE("calibration one pass at a time gives calibrate()'s grids") {
  using namespace observed;
  for (std::size_t b = 0; b < report.size(); ++b) {
    CAPTURE(b);
    CHECK(stepwise_report[b].grid == report[b].grid);
    CHECK(stepwise_report[b].range.chosen.lo == report[b].range.chosen.lo);
    CHECK(stepwise_report[b].range.chosen.hi == report[b].range.chosen.hi);
    CHECK(stepwise_report[b].range.threshold == report[b].range.threshold);
  }
  CHECK(stepwise.input == calibrated.input);
  CHECK(boost::hana::at_c<2>(stepwise.params).output == boost::hana::at_c<2>(calibrated.params).output);
}

// Percentiles in the middle keep large tails, and a ReLU output repeats 0 many times: the kept
// order statistics must still be the sorted values' (a reference that sorts everything here).
namespace middle {
using Net = Pipe<QDense<6>, QRelu>;
inline constexpr auto block = [] {
  auto p = observed::block(21, DenseParams<3, 6>{});
  p.observer = percentile(35, 60);
  return p;
}();
inline constexpr auto unset = make_spec<Net, Shape<3>>(Grid{1, 0}, block);
inline constexpr auto report = calibration_report(unset, observed::samples, percentile(45, 55));
}  // namespace middle

TEST_CASE("percentiles in the middle of the values, with repeated values") {
  std::vector<double> in, out;
  for (const auto& x : observed::samples) {
    const auto t = reference_trace(middle::unset, x);
    in.insert(in.end(), t.buffer(0), t.buffer(0) + 3);
    out.insert(out.end(), t.buffer(1), t.buffer(1) + 6);
  }
  auto percentile_of = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const double rank = p / 100 * double(v.size() - 1);
    const auto i = std::size_t(rank);
    return i + 1 < v.size() ? v[i] + (rank - double(i)) * (v[i + 1] - v[i]) : v.back();
  };
  CHECK(std::count(out.begin(), out.end(), 0.0) > 40);
  CHECK(middle::report[0].range.chosen.lo == percentile_of(in, 45));
  CHECK(middle::report[0].range.chosen.hi == percentile_of(in, 55));
  CHECK(middle::report[1].range.chosen.lo == percentile_of(out, 35));
  CHECK(middle::report[1].range.chosen.hi == percentile_of(out, 60));
}
