// QSoftmax against the naive TFLite reference (its own fixed point, written separately), over
// every input grid scale from 1/256 to 1 and random rows; plus the fixed output grid and rows
// with hand-known answers; QSoftmaxBeta at several betas, input scales from 2^-26 to 10^6.
#include <doctest/doctest.h>

#include <cmath>

#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

template <std::size_t Rows, std::size_t Depth, int ScaleNumerator, int ScaleDenominator>
void check_softmax(std::uint32_t seed) {
  constexpr Grid in_grid{double(ScaleNumerator) / ScaleDenominator, 3};
  using In = std::conditional_t<Rows == 1, Shape<Depth>, Shape<1, Rows, Depth>>;
  static constexpr auto model = compile(make_spec<Pipe<QSoftmax>, In>(in_grid));
  static_assert(output_grid(make_spec<Pipe<QSoftmax>, In>(in_grid)) == Grid{1.0 / 256, -128});
  int worst_vs_float = 0;
  for (const auto& x : input_batch<In::size>(seed, 20)) {
    const auto got = model(x);
    for (std::size_t r = 0; r < Rows; ++r) {
      std::vector<std::int8_t> row(x.begin() + r * Depth, x.begin() + (r + 1) * Depth);
      const auto e = naive::softmax(row, to_naive(in_grid));
      double sum = 0, largest = -1e9;
      for (auto q : row) largest = std::max(largest, in_grid.scale * (q - 3));
      for (auto q : row) sum += std::exp(in_grid.scale * (q - 3) - largest);
      for (std::size_t i = 0; i < Depth; ++i) {
        REQUIRE(int(got[r * Depth + i]) == int(e[i]));
        const double p = std::exp(in_grid.scale * (row[i] - 3) - largest) / sum;
        const int float_code = int(std::min(127.0, std::round(p * 256) - 128));
        worst_vs_float = std::max(worst_vs_float, std::abs(float_code - int(got[r * Depth + i])));
      }
    }
  }
  CHECK(worst_vs_float <= 1);
}

}  // namespace

TEST_CASE("QSoftmax equals the naive TFLite reference") {
  check_softmax<1, 10, 1, 256>(121);
  check_softmax<1, 4, 1, 16>(122);
  check_softmax<3, 7, 1, 10>(123);
  check_softmax<2, 33, 1, 1>(124);
  check_softmax<1, 100, 3, 40>(125);
}

TEST_CASE("QSoftmax on rows with known answers") {
  static constexpr auto model = compile(make_spec<Pipe<QSoftmax>, Shape<4>>(Grid{0.1, 0}));
  // Four equal logits: 1/4 each, code 64 - 128 = -64.
  CHECK(model(std::array<std::int8_t, 4>{5, 5, 5, 5}) == std::array<std::int8_t, 4>{-64, -64, -64, -64});
  // One logit 12.7 above the others: p ~ 1 - 3e-6, saturates at 127; the others round to -128.
  CHECK(model(std::array<std::int8_t, 4>{127, 0, 0, 0}) == std::array<std::int8_t, 4>{127, -128, -128, -128});
  // The fixed point runs in a constant expression too.
  static_assert(model(std::array<std::int8_t, 4>{5, 5, 5, 5})[0] == -64);
}

namespace {

// QSoftmaxBeta<beta> (or QSoftmax) on an input grid against the naive reference given TFLite's
// constants for that beta (float32, as the schema stores it) and scale, on random rows and on rows
// with repeated maxima; both backends.
template <class Layer, std::size_t Depth, Grid InGrid>
void check_softmax_beta(double beta, std::uint32_t seed) {
  static constexpr auto s = make_spec<Pipe<Layer>, Shape<Depth>>(InGrid);
  static constexpr auto reference = compile<reference_ops::Backend>(s);
  static constexpr auto m0 = compile<m0::Backend>(s);
  const auto p = naive::softmax_params(InGrid.scale, static_cast<double>(static_cast<float>(beta)));
  auto batch = input_batch<Depth>(seed, 30);
  std::array<std::int8_t, Depth> ties{};
  for (std::size_t i = 0; i < Depth; ++i) ties[i] = static_cast<std::int8_t>(i % 3 == 0 ? 100 : 99 - int(i));
  batch.push_back(ties);
  for (const auto& x : batch) {
    const auto got = reference(x);
    REQUIRE(got == m0(x));
    const auto e = naive::softmax_with_params(std::vector<std::int8_t>(x.begin(), x.end()), p);
    for (std::size_t i = 0; i < Depth; ++i) REQUIRE(int(got[i]) == int(e[i]));
  }
}

}  // namespace

TEST_CASE("QSoftmaxBeta at several betas equals the naive reference with TFLite's constants") {
  check_softmax_beta<QSoftmaxBeta<0.5>, 10, Grid{0.1, 3}>(0.5, 201);
  check_softmax_beta<QSoftmaxBeta<2.0>, 10, Grid{0.1, 3}>(2.0, 202);
  check_softmax_beta<QSoftmaxBeta<0.1>, 16, Grid{0.05, -7}>(0.1, 203);   // 0.1 is taken as 0.1f
  check_softmax_beta<QSoftmaxBeta<3.7>, 7, Grid{1.0 / 64, 0}>(3.7, 204);
  check_softmax_beta<QSoftmaxBeta<1.0>, 12, Grid{0.1, 3}>(1.0, 205);
  // QSoftmaxBeta<1.0> is QSoftmax's arithmetic.
  static constexpr auto a = compile(make_spec<Pipe<QSoftmax>, Shape<5>>(Grid{0.3, 1}));
  static constexpr auto b = compile(make_spec<Pipe<QSoftmaxBeta<1.0>>, Shape<5>>(Grid{0.3, 1}));
  CHECK(a(std::array<std::int8_t, 5>{1, 2, 3, 4, 5}) == b(std::array<std::int8_t, 5>{1, 2, 3, 4, 5}));
}

TEST_CASE("QSoftmax takes every input scale TFLite takes: large and small") {
  // beta * scale * 2^26 at or above 2^30 (scale >= 16): left shift 31, diff_min 0, only maxima count.
  check_softmax_beta<QSoftmax, 8, Grid{16.0, 0}>(1.0, 211);
  check_softmax_beta<QSoftmax, 8, Grid{100.0, -5}>(1.0, 212);
  check_softmax_beta<QSoftmax, 8, Grid{1e6, 0}>(1.0, 213);
  check_softmax_beta<QSoftmaxBeta<0.25>, 8, Grid{64.0, 0}>(0.25, 214);   // 16 again through beta
  check_softmax_beta<QSoftmaxBeta<4.0>, 8, Grid{4.0, 0}>(4.0, 215);
  // Between 8 and 16: shift 30, diff_min -1.
  check_softmax_beta<QSoftmax, 8, Grid{10.0, 0}>(1.0, 216);
  // Small: just above 2^-26 (the smallest TFLite accepts) and 2^-20.
  check_softmax_beta<QSoftmax, 8, Grid{0x1.0000000000001p-26, 0}>(1.0, 217);
  check_softmax_beta<QSoftmax, 8, Grid{0x1p-20, 0}>(1.0, 218);
  check_softmax_beta<QSoftmaxBeta<1e-3>, 8, Grid{0.05, 0}>(1e-3, 219);
  // Hand-known: at scale 100 two equal maxima share the output, the rest is -128.
  static constexpr auto big = compile(make_spec<Pipe<QSoftmax>, Shape<4>>(Grid{100.0, 0}));
  CHECK(big(std::array<std::int8_t, 4>{3, 7, 7, 6}) == std::array<std::int8_t, 4>{-128, 0, 0, -128});
}
