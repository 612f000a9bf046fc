// QSigmoid and QTanh as layers of a Pipe: every one of the 256 input codes goes through the
// network and comes out as the value computed here with <cmath> (TFLite's output grids).
// QRelu and QRelu6 as passes of their own (not folded) clamp at the codes of 0 and 6.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>

#include "qpipe.hpp"

using namespace qpipe;

namespace {

constexpr Grid in_grid{0.04, 9};

std::array<std::int8_t, 256> every_code() {
  std::array<std::int8_t, 256> x{};
  for (int i = 0; i < 256; ++i) x[i] = static_cast<std::int8_t>(i - 128);
  return x;
}

int on_grid(double y, double scale, int zero_point) {
  return static_cast<int>(std::fmin(127, std::fmax(-128, std::round(y / scale) + zero_point)));
}

}  // namespace

TEST_CASE("QSigmoid over every input code") {
  constexpr auto net = compile(make_spec<Pipe<QSigmoid>, Shape<256>>(in_grid));
  const auto y = net(every_code());
  for (int i = 0; i < 256; ++i) {
    const double x = in_grid.scale * (i - 128 - in_grid.zero_point);
    CHECK(int{y[i]} == on_grid(1 / (1 + std::exp(-x)), 1.0 / 256, -128));
  }
}

TEST_CASE("QTanh over every input code, on a 2-D shape") {
  constexpr auto s = make_spec<Pipe<QTanh>, Shape<16, 16>>(in_grid);
  constexpr auto net = compile(s);
  static_assert(output_grid(s) == tanh_output_grid);
  const auto y = net(every_code());
  for (int i = 0; i < 256; ++i) {
    const double x = in_grid.scale * (i - 128 - in_grid.zero_point);
    CHECK(int{y[i]} == on_grid(std::tanh(x), 1.0 / 128, 0));
  }
}

TEST_CASE("standalone QRelu and QRelu6 keep the grid and clamp at the codes of 0 and 6") {
  // Alone in a Pipe, no requantizer precedes them to fold into: they run as clamp passes.
  constexpr Grid g{0.1, -30};  // real 0 is code -30, real 6 is code 30
  constexpr auto relu = compile(make_spec<Pipe<QRelu>, Shape<256>>(g));
  constexpr auto relu6 = compile(make_spec<Pipe<QRelu6>, Shape<256>>(g));
  const auto a = relu(every_code());
  const auto b = relu6(every_code());
  for (int i = 0; i < 256; ++i) {
    const int q = i - 128;
    CHECK(int{a[i]} == (q < -30 ? -30 : q));
    CHECK(int{b[i]} == (q < -30 ? -30 : q > 30 ? 30 : q));
  }
}
