// QDensePerChannel against the naive reference's per-channel 1 x 1 convolution of a 1 x 1 image
// (tests/reference/naive_layers.hpp, written from the TFLite spec): a dense layer with one weight
// scale per unit is exactly that. Units with weights of very different sizes, an image input read
// flat, a folded ReLU, saturation at both ends; and per channel must beat per tensor there.
#include <doctest/doctest.h>

#include <array>
#include <cmath>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

// Unit u's weights scaled by 1 / (1 + 2u): one per-tensor scale would waste bits on the small ones.
inline constexpr auto uneven = [] {
  auto p = random_pointwise<12, 5>(41, saturating_output_grid(0.05, 12, 6), 0.3);
  p.output.scale /= 4;  // the units are smaller than the grid helper assumes: still saturate both ends
  for (std::size_t u = 0; u < 5; ++u)
    for (auto& w : p.weights[u]) w /= double(1 + 2 * u);
  return p;
}();

}  // namespace

TEST_CASE("QDensePerChannel equals the naive per-channel 1x1 convolution, flat input, with and without ReLU") {
  constexpr Grid in_grid{0.05, -9};
  static constexpr DensePerChannelParams<12, 5> params = uneven;
  static constexpr auto plain_spec = make_spec<Pipe<QDensePerChannel<5>>, Shape<2, 2, 3>>(in_grid, params);
  static constexpr auto relu_spec = make_spec<Pipe<QDensePerChannel<5>, QRelu>, Shape<12>>(in_grid, params);
  using plain = BothBackends<plain_spec>;
  using relu = BothBackends<relu_spec>;
  static_assert(decltype(relu::m0)::stage_count == 1, "the ReLU folds into the layer's clamp");
  const auto cw = to_naive(params);
  Saturation saturation;
  for (const auto& x : input_batch<12>(41, 20)) {
    const naive::Tensor t{1, 1, 12, std::vector<std::int8_t>(x.begin(), x.end())};
    const auto want = naive::conv2d(t, to_naive(in_grid), cw, true, 1, to_naive(params.output), -128, 127);
    const auto want_relu = naive::conv2d(t, to_naive(in_grid), cw, true, 1, to_naive(params.output),
                                         std::max(-128, params.output.zero_point), 127);
    const auto got = plain::run(x);
    const auto got_relu = relu::run(x);
    saturation.count(got);
    for (std::size_t u = 0; u < 5; ++u) {
      REQUIRE(int(got[u]) == int(want.v[u]));
      REQUIRE(int(got_relu[u]) == int(want_relu.v[u]));
    }
  }
  MESSAGE("saturated outputs: " << saturation.low << " at -128, " << saturation.high << " at 127");
  CHECK(saturation.low > 0);
  CHECK(saturation.high > 0);
}

TEST_CASE("per-unit scales keep the small units' precision that one scale loses") {
  constexpr Grid in_grid{0.02, 0};
  // An output grid fitted to the smallest unit (the others may saturate; only it is compared),
  // fine enough that weight rounding, not the output step, dominates its error.
  static constexpr auto params = [] {
    auto p = uneven;
    p.output = Grid{0.006, 0};
    return p;
  }();
  static constexpr auto per_channel = compile(make_spec<Pipe<QDensePerChannel<5>>, Shape<12>>(in_grid, params));
  static constexpr DenseParams<12, 5> as_dense = [] {
    DenseParams<12, 5> d{};
    for (std::size_t u = 0; u < 5; ++u) {
      for (std::size_t i = 0; i < 12; ++i) d.weights[u][i] = params.weights[u][i];
      d.bias[u] = params.bias[u];
    }
    d.output = params.output;
    return d;
  }();
  static constexpr auto per_tensor = compile(make_spec<Pipe<QDense<5>>, Shape<12>>(in_grid, as_dense));
  double worst_channel = 0, worst_tensor = 0;
  for (const auto& x : input_batch<12>(42, 20)) {
    std::array<double, 12> real{};
    for (std::size_t i = 0; i < 12; ++i) real[i] = dequantize(x[i], in_grid);
    const auto f = reference(make_spec<Pipe<QDense<5>>, Shape<12>>(in_grid, as_dense), real);
    const auto a = per_channel(x);
    const auto b = per_tensor(x);
    for (std::size_t u = 4; u < 5; ++u) {  // the smallest unit, where its value is inside the grid
      if (std::fabs(f[u]) > 0.7) continue;
      worst_channel = std::max(worst_channel, std::fabs(dequantize(a[u], params.output) - f[u]));
      worst_tensor = std::max(worst_tensor, std::fabs(dequantize(b[u], params.output) - f[u]));
    }
  }
  MESSAGE("smallest unit, max |int8 - float|: per channel " << worst_channel << ", per tensor " << worst_tensor);
  CHECK(worst_channel < worst_tensor);
}
