// QSoftmax against the naive TFLite reference (its own fixed point, written separately), over
// every input grid scale from 1/256 to 1 and random rows; plus the fixed output grid and rows
// with hand-known answers.
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
  static constexpr auto model = quantize(spec<Pipe<QSoftmax>, In>(in_grid));
  static_assert(output_grid(spec<Pipe<QSoftmax>, In>(in_grid)) == Grid{1.0 / 256, -128});
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
  static constexpr auto model = quantize(spec<Pipe<QSoftmax>, Shape<4>>(Grid{0.1, 0}));
  // Four equal logits: 1/4 each, code 64 - 128 = -64.
  CHECK(model(std::array<std::int8_t, 4>{5, 5, 5, 5}) == std::array<std::int8_t, 4>{-64, -64, -64, -64});
  // One logit 12.7 above the others: p ~ 1 - 3e-6, saturates at 127; the others round to -128.
  CHECK(model(std::array<std::int8_t, 4>{127, 0, 0, 0}) == std::array<std::int8_t, 4>{127, -128, -128, -128});
  // The fixed point runs in a constant expression too.
  static_assert(model(std::array<std::int8_t, 4>{5, 5, 5, 5})[0] == -64);
}
