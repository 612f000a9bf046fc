// Residual<Pipe<...>>: the add against the naive TFLite ADD, and whole residual networks against
// the same layers composed by hand from naive references (skip kept, branch run, added). The add
// kernel alone on all 65,536 operand pairs, fitted and not: tests/qpipe/numerics/fitted_add_test.cpp.
#include <doctest/doctest.h>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

TEST_CASE("a residual of an identity-like branch is TFLite ADD of the input and the branch") {
  // Branch: a max pool with window 1 (the input itself on the same grid); the add's grid differs.
  using Net = Pipe<Residual<Pipe<QMaxPool2D<1, 1>>>>;
  constexpr Grid in_grid{0.05, 10};
  constexpr ResidualParams add{{0.07, -20}};
  static constexpr auto s = make_spec<Net, Shape<4, 4, 3>>(in_grid, add);
  using models = BothBackends<s>;
  Saturation sat;
  for (const auto& x : input_batch<48>(101)) {
    std::vector<std::int8_t> v(x.begin(), x.end());
    const auto e = naive::add(v, to_naive(in_grid), v, to_naive(in_grid), naive::QGrid{0.07, -20}, -128, 127);
    const auto got = models::run(x);
    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(int(got[i]) == int(e[i]));
    sat.count(got);
  }
  CHECK(sat.low > 0);
  CHECK(sat.high > 0);
}

TEST_CASE("ResNet-style basic block: pad, conv, ReLU, pad, conv, add the skip, ReLU") {
  using Block = Pipe<QPad2D<1>, QConv2DPerChannel<3>, QRelu, QPad2D<1>, QConv2DPerChannel<3>>;
  using Net = Pipe<QConv2DPerChannel<1>, QRelu, Residual<Block>, QRelu>;
  using In = Shape<6, 6, 3>;
  constexpr Grid in_grid{0.02, -5};
  constexpr Grid g0 = saturating_output_grid(0.02 / 3, 3, -128);
  static constexpr auto stem = random_conv<1, 3, 8>(111, g0, true);
  constexpr Grid g1 = saturating_output_grid(g0.scale / 2, 72, -128);
  static constexpr auto c1 = random_conv<3, 8, 8>(112, g1, true);
  constexpr Grid g2 = saturating_output_grid(g1.scale / 2, 72, 3);
  static constexpr auto c2 = random_conv<3, 8, 8>(113, g2, true);
  constexpr Grid gsum{g0.scale * 1.5, -60};
  static constexpr auto s = make_spec<Net, In>(in_grid, stem, c1, c2, ResidualParams{gsum});
  using models = BothBackends<s>;
  using M = std::remove_const_t<decltype(models::m0)>;
  static_assert(M::stage_count == 6);  // stem, pad, conv, pad, conv, add (the ReLUs are folded)
  static_assert(M::reads[5][0] == 1 && M::reads[5][1] == 5);  // the add reads the stem's output and the branch's

  for (const auto& x : input_batch<In::size>(114)) {
    const auto ng = [](Grid g) { return to_naive(g); };
    const naive::Tensor a = naive::conv2d(to_tensor<In>(x), ng(in_grid), to_naive(stem), true, 1, ng(g0), -128, 127);
    const naive::Tensor b = naive::conv2d(naive::pad(a, 1, 1, 1, 1, g0.zero_point), ng(g0), to_naive(c1), true, 1,
                                          ng(g1), g1.zero_point, 127);
    const naive::Tensor c =
        naive::conv2d(naive::pad(b, 1, 1, 1, 1, g1.zero_point), ng(g1), to_naive(c2), true, 1, ng(g2), -128, 127);
    const auto e = naive::add(a.v, ng(g0), c.v, ng(g2), ng(gsum), gsum.zero_point, 127);
    const auto got = models::run(x);
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      REQUIRE(int(got[i]) == int(e[i]));
    }
  }
}

TEST_CASE("the add's operand rescale equals TFLite's MultiplyByQuantizedMultiplier for every int8 input") {
  // Grid pairs with scale ratios from 1/64 to 1 and all kinds of zero points.
  struct Case {
    OperandRescale rescale;
    QuantizedMultiplier tflite;
  };
  static constexpr auto cases = []() consteval {
    std::array<Case, 48> c{};
    for (std::size_t n = 0; n < c.size(); ++n) {
      const double scale = 0.001 * (1 + static_cast<double>(n * 37 % 61));
      const double other = 0.001 * (1 + static_cast<double>(n * 53 % 67));
      const double twice_max = 2 * (scale > other ? scale : other);
      const std::int32_t zp = static_cast<std::int32_t>(n * 71 % 256) - 128;
      c[n] = {operand_rescale(zp, scale, twice_max), quantize_multiplier(scale / twice_max)};
    }
    return c;
  }();
  int wrong = 0;
  for (const Case& c : cases) {
    for (int x = -128; x <= 127; ++x) {
      const std::int32_t tflite =
          multiply_by_quantized_multiplier((x + c.rescale.offset) * (1 << 20), c.tflite.multiplier, c.tflite.shift);
      wrong += c.rescale(static_cast<std::int8_t>(x)) != tflite;
    }
  }
  CHECK(wrong == 0);
}
