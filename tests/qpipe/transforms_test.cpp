// fold_batch_norm and equalize: hand-computed values, and the float function of a Pipe unchanged
// (to rounding) by either transform.
#include <doctest/doctest.h>

#include <cmath>

#include "qpipe/layers/layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

// w = 2, b = 1; BN gamma 3, beta 0.5, mean 1, variance 3, epsilon 1: s = 3 / sqrt(4) = 1.5,
// so w' = 3 and b' = 1.5 * (1 - 1) + 0.5 = 0.5.
constexpr DenseParams<1, 1> one{.weights = {{2}}, .bias = {1}, .output = {0.1, 0}};
constexpr auto folded_one = fold_batch_norm(one, BatchNorm<1>{{3}, {0.5}, {1}, {3}, 1.0});
static_assert(folded_one.weights[0][0] == 3 && folded_one.bias[0] == 0.5);

// Equalizing w1 = 4 (first layer's only output) with w2 = 1 (second layer's only input):
// s = sqrt(4 / 1) = 2, so both become 2 and the first bias halves.
constexpr DenseParams<1, 1> first{.weights = {{4}}, .bias = {2}, .output = {0.1, 0}};
constexpr DenseParams<1, 1> second{.weights = {{1}}, .bias = {0}, .output = {0.1, 0}};
constexpr auto equalized = equalize(first, second);
static_assert(equalized.first.weights[0][0] == 2 && equalized.first.bias[0] == 1 &&
              equalized.second.weights[0][0] == 2);

constexpr std::array<double, 6 * 6 * 3> input = [] {
  std::array<double, 6 * 6 * 3> x{};
  qpipe_test::Lcg rng{77};
  for (auto& v : x) v = rng.uniform(-1, 1);
  return x;
}();

}  // namespace

TEST_CASE("conv + batch norm equals the folded conv in float") {
  constexpr auto conv = random_conv<3, 3, 5>(71, Grid{0.1, 0}, true);
  constexpr BatchNorm<5> bn{{1.5, 0.5, 2.0, 0.8, 1.1},
                            {0.1, -0.2, 0.3, 0.0, 0.05},
                            {0.2, -0.1, 0.0, 0.4, -0.3},
                            {0.9, 1.7, 0.3, 2.2, 0.6},
                            1e-5};
  constexpr auto folded = fold_batch_norm(conv, bn);
  const auto plain = reference(make_spec<Pipe<QConv2D<3>>, Shape<6, 6, 3>>(Grid{0.01, 0}, conv), input);
  const auto fused = reference(make_spec<Pipe<QConv2D<3>>, Shape<6, 6, 3>>(Grid{0.01, 0}, folded), input);
  double worst = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const std::size_t o = i % 5;
    const double expected = bn.gamma[o] * (plain[i] - bn.mean[o]) / std::sqrt(bn.variance[o] + bn.epsilon) + bn.beta[o];
    worst = std::max(worst, std::fabs(fused[i] - expected));
  }
  MESSAGE("conv + BN vs folded conv: max difference " << worst);
  CHECK(worst < 1e-12);
}

TEST_CASE("equalization keeps the float function and evens the ranges") {
  using Net = Pipe<QConv2D<3>, QRelu, QPointwiseConv2D>;
  constexpr auto conv = random_conv<3, 3, 6>(81, Grid{0.1, 0}, true);  // per-channel ranges differ by up to 5x
  constexpr auto pointwise = random_pointwise<6, 4>(82, Grid{0.1, 0}, 0);
  constexpr auto pair = equalize(conv, pointwise);
  const auto before = reference(make_spec<Net, Shape<6, 6, 3>>(Grid{0.01, 0}, conv, pointwise), input);
  const auto after = reference(make_spec<Net, Shape<6, 6, 3>>(Grid{0.01, 0}, pair.first, pair.second), input);
  double drift = 0;
  for (std::size_t i = 0; i < before.size(); ++i) drift = std::max(drift, std::fabs(after[i] - before[i]));
  MESSAGE("equalization drift of the float outputs: " << drift);
  CHECK(drift < 1e-12);
  for (std::size_t c = 0; c < 6; ++c) {
    double r1 = 0, r2 = 0;
    for (auto& row : pair.first.weights[c])
      for (auto& col : row)
        for (double w : col) r1 = std::max(r1, std::fabs(w));
    for (auto& out : pair.second.weights) r2 = std::max(r2, std::fabs(out[c]));
    CHECK(r1 == doctest::Approx(r2).epsilon(1e-12));
  }
}

TEST_CASE("equalization shrinks the int8 error of a per-tensor conv with uneven channels") {
  using Net = Pipe<QConv2D<3>, QRelu, QPointwiseConv2D>;
  constexpr auto conv = random_conv<3, 3, 6>(81, Grid{1, 0}, true);  // channel ranges 1, 1/2, ... 1/5
  constexpr auto pointwise = random_pointwise<6, 4>(82, Grid{1, 0}, 0);
  constexpr auto pair = equalize(conv, pointwise);
  constexpr auto samples = [] {
    std::array<std::array<double, 6 * 6 * 3>, 4> s{};
    qpipe_test::Lcg rng{83};
    for (auto& x : s)
      for (auto& v : x) v = rng.uniform(-1, 1);
    return s;
  }();
  static constexpr auto plain = calibrate(make_spec<Net, Shape<6, 6, 3>>(Grid{1, 0}, conv, pointwise), samples);
  static constexpr auto equal = calibrate(make_spec<Net, Shape<6, 6, 3>>(Grid{1, 0}, pair.first, pair.second), samples);
  static constexpr auto plain_model = compile(plain);
  static constexpr auto equal_model = compile(equal);
  auto worst = [&](const auto& s, const auto& model, Grid out) {
    double w = 0;
    for (const auto& x : samples) {
      std::array<std::int8_t, 6 * 6 * 3> q{};
      for (std::size_t i = 0; i < q.size(); ++i) q[i] = qpipe::quantize(x[i], s.input);
      const auto got = model(q);
      const auto want = reference(s, x);
      for (std::size_t i = 0; i < got.size(); ++i) w = std::max(w, std::fabs(dequantize(got[i], out) - want[i]));
    }
    return w;
  };
  const double before = worst(plain, plain_model, output_grid(plain));
  const double after = worst(equal, equal_model, output_grid(equal));
  MESSAGE("per-tensor int8 vs float, max |error|: " << before << " without equalization, " << after << " with");
  CHECK(after < before);
}
