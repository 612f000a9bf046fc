// QMean (TFLite MEAN over height and width) against the naive reference's TFLite Micro forms, on
// both backends: a requantizing case per shape family (float32 and other scales, a folded ReLU,
// the folded shift at its bounds), the one-grid truncating form, and the float reference within
// one output step.
#include <doctest/doctest.h>

#include <cmath>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

template <class Net, class In, Grid G, Grid Out>
void check_mean(std::uint32_t seed, int qmin = -128) {
  static constexpr auto s = make_spec<Net, In>(G, MeanParams{Out});
  using models = BothBackends<s>;
  for (const auto& x : input_batch<In::size>(seed)) {
    const std::vector<std::int8_t> e = naive::mean(to_tensor<In>(x), to_naive(G), to_naive(Out), qmin);
    const auto got = models::run(x);
    REQUIRE(got.size() == e.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      REQUIRE(int(got[i]) == int(e[i]));
    }
  }
}

}  // namespace

TEST_CASE("QMean requantizes the sum as TFLite Micro's QuantizedMeanOrSum") {
  // Keras' GlobalAveragePooling2D ends of MobileNet-like and ResNet-like networks.
  check_mean<Pipe<QMean>, Shape<5, 5, 64>, Grid{0.0235294122248888, -128}, Grid{0.0117647061124444, -128}>(401);
  check_mean<Pipe<QMean>, Shape<8, 8, 16>, Grid{0.05, -3}, Grid{0.03, 10}>(402);
  // Pixel counts that are not powers of two, a grid finer than the input's, odd zero points.
  check_mean<Pipe<QMean>, Shape<3, 7, 5>, Grid{0.1, 17}, Grid{0.01, -9}>(403);
  check_mean<Pipe<QMean>, Shape<1, 1, 9>, Grid{0.1, 0}, Grid{0.2, 1}>(404);
  // A coarse output (multiplier shift -9): the 31 + shift bound does not bite; a huge count does
  // not overflow the fold (49 * 10 pixels, the DS-CNN input plane).
  check_mean<Pipe<QMean>, Shape<49, 10, 2>, Grid{0.001, 5}, Grid{0.5, 0}>(405);
  // A folded ReLU: nothing below the output zero point.
  check_mean<Pipe<QMean, QRelu>, Shape<4, 4, 8>, Grid{0.1, 20}, Grid{0.02, -30}>(406, -30);
  static constexpr auto folded = make_spec<Pipe<QMean, QRelu>, Shape<4, 4, 8>>(Grid{0.1, 20}, MeanParams{{0.02, -30}});
  static_assert(std::remove_const_t<decltype(BothBackends<folded>::m0)>::stage_count == 1);
}

TEST_CASE("QMean on one grid divides the code sum, truncating, as TFLite Micro's reference Mean") {
  check_mean<Pipe<QMean>, Shape<5, 5, 8>, Grid{0.0235294122248888, -128}, Grid{0.0235294122248888, -128}>(411);
  check_mean<Pipe<QMean>, Shape<3, 2, 6>, Grid{0.1, 7}, Grid{0.1, 7}>(412);
  // Hand-computed: [1 2; 3 5] on one grid is 11 / 4 -> 2, where AVERAGE_POOL_2D gives 3 and the
  // requantizing form (another zero point) 11 / 4 + 1 rounded.
  static constexpr auto same = make_spec<Pipe<QMean>, Shape<2, 2, 1>>(Grid{0.5, 0}, MeanParams{{0.5, 0}});
  CHECK(BothBackends<same>::run(std::array<std::int8_t, 4>{1, 2, 3, 5})[0] == 2);
  CHECK(BothBackends<same>::run(std::array<std::int8_t, 4>{-1, -2, -3, -5})[0] == -2);
  static constexpr auto other = make_spec<Pipe<QMean>, Shape<2, 2, 1>>(Grid{0.5, 0}, MeanParams{{0.25, 3}});
  CHECK(BothBackends<other>::run(std::array<std::int8_t, 4>{1, 2, 3, 5})[0] == 9);
  CHECK(BothBackends<other>::run(std::array<std::int8_t, 4>{-1, -2, -3, -5})[0] == -2);
}

TEST_CASE("QMean's output shape and the float reference") {
  static constexpr auto shaped = make_spec<Pipe<QMean>, Shape<5, 5, 64>>(Grid{0.1, 0}, MeanParams{{0.1, 0}});
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(shaped)>::output_shape, Shape<64>>);
  // The float reference is the real mean: each code's step from it stays within one.
  constexpr Grid in{0.05, -3}, out{0.03, 10};
  static constexpr auto s = make_spec<Pipe<QMean>, Shape<8, 8, 16>>(in, MeanParams{out});
  for (const auto& x : input_batch<8 * 8 * 16>(421)) {
    const auto got = BothBackends<s>::run(x);
    for (std::size_t c = 0; c < 16; ++c) {
      double sum = 0;
      for (std::size_t p = 0; p < 64; ++p) sum += dequantize(x[p * 16 + c], in);
      const double ideal = std::clamp(sum / 64 / out.scale + out.zero_point, -128.0, 127.0);
      CHECK(std::fabs(got[c] - ideal) <= 1.0);
    }
  }
}
