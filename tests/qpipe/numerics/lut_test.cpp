// Every entry of the compile-time sigmoid and tanh tables equals the table computed here at run
// time with <cmath> as TFLite builds it (float: x = scale * (q - zp), 1 / (1 + expf(-x)) or
// tanhf(x), roundf), for several input grids; tflite_exactness_test.cpp has grids where that
// differs from the double computation.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>

#include "qpipe/numerics/lut.hpp"

namespace {

constexpr std::array<qpipe::Grid, 6> grids{{
    {0.1, 0},
    {1.0 / 16.0, -128},
    {0.05, 20},
    {8.0 / 255.0, 0},
    {0.5, -50},
    {1e-3, 127},
}};

template <std::size_t... I>
constexpr auto sigmoid_tables(std::index_sequence<I...>) {
  return std::array<qpipe::Lut, sizeof...(I)>{qpipe::sigmoid_lut(grids[I])...};
}
template <std::size_t... I>
constexpr auto tanh_tables(std::index_sequence<I...>) {
  return std::array<qpipe::Lut, sizeof...(I)>{qpipe::tanh_lut(grids[I])...};
}
constexpr auto compiled_sigmoid = sigmoid_tables(std::make_index_sequence<grids.size()>{});
constexpr auto compiled_tanh = tanh_tables(std::make_index_sequence<grids.size()>{});

// Written apart from the library: out = clamp(round(f(x) / out_scale) + out_zero_point).
std::int8_t runtime_entry(double y, double out_scale, int out_zero_point) {
  double q = std::round(y / out_scale) + out_zero_point;
  return static_cast<std::int8_t>(std::fmin(127.0, std::fmax(-128.0, q)));
}

}  // namespace

// sigmoid(0) = 0.5 sits at code 0 on the 1/256, -128 grid; tanh(0) = 0 at code 0.
static_assert(compiled_sigmoid[0][128] == 0);
static_assert(compiled_tanh[0][128] == 0);

TEST_CASE("sigmoid and tanh tables match <cmath> entry by entry") {
  for (std::size_t g = 0; g < grids.size(); ++g) {
    for (int q = -128; q <= 127; ++q) {
      volatile float scale = static_cast<float>(grids[g].scale);
      const float x = scale * static_cast<float>(q - grids[g].zero_point);
      CAPTURE(g);
      CAPTURE(q);
      CHECK(compiled_sigmoid[g][q + 128] == runtime_entry(1.0f / (1.0f + std::exp(-x)), 1.0 / 256.0, -128));
      CHECK(compiled_tanh[g][q + 128] == runtime_entry(std::tanh(x), 1.0 / 128.0, 0));
    }
  }
}

TEST_CASE("tables are monotone and reach the ends of the output range on a wide grid") {
  const auto& s = compiled_sigmoid[4];  // scale 0.5: inputs from -39 to +88.5
  const auto& t = compiled_tanh[4];
  for (int i = 1; i < 256; ++i) {
    CHECK(s[i] >= s[i - 1]);
    CHECK(t[i] >= t[i - 1]);
  }
  CHECK(s[0] == -128);
  CHECK(s[255] == 127);  // 1.0 would be code 128: saturated
  CHECK(t[0] == -128);
  CHECK(t[255] == 127);
}
