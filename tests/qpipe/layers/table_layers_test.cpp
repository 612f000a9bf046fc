// QLeakyRelu, QHardSwish and QQuantize (detail/lut_activation.hpp's TableLayer): every one of the
// 256 input codes against the naive TFLite kernels (tests/reference/naive_layers.hpp), on grids
// whose scales are and are not float32 values, with a folded ReLU; and against the float
// function within one output step.
#include <doctest/doctest.h>

#include <cmath>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

using AllCodes = Shape<256>;

std::array<std::int8_t, 256> all_codes() {
  std::array<std::int8_t, 256> x{};
  for (int i = 0; i < 256; ++i) x[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i - 128);
  return x;
}

// Runs Net on all codes; expected(q) gives the naive code; the float function must agree within
// one output step (plus the output's saturation).
template <const auto& Spec, class Expected, class Float>
void check_all_codes(Grid in, Grid out, Expected expected, Float f) {
  using models = BothBackends<Spec>;
  const auto got = models::run(all_codes());
  int off_by_one = 0;
  for (int q = -128; q <= 127; ++q) {
    CAPTURE(q);
    const int code = got[static_cast<std::size_t>(q + 128)];
    REQUIRE(code == int(expected(q)));
    const double ideal = f(dequantize(q, in)) / out.scale + out.zero_point;
    const double clamped = ideal < -128 ? -128 : (ideal > 127 ? 127 : ideal);
    CHECK(std::fabs(code - clamped) <= 1.0);
    off_by_one += std::fabs(code - std::round(clamped)) >= 1.0;
  }
  MESSAGE("codes one step from the float function's nearest: " << off_by_one);
}

}  // namespace

TEST_CASE("QLeakyRelu equals TFLite's LEAKY_RELU on every code") {
  constexpr Grid in{0.05, -12}, out{0.03, -40};
  static constexpr auto s = make_spec<Pipe<QLeakyRelu>, AllCodes>(in, LeakyReluParams{0.1, out});
  check_all_codes<s>(
      in, out, [&](int q) { return naive::leaky_relu_code(q, to_naive(in), to_naive(out), 0.1); },
      [](double x) { return x >= 0 ? x : 0.1 * x; });
  // Float32 scales and alpha (as a .tflite holds them), the output coarser than the input.
  constexpr Grid in2{0.0234375, 7}, out2{0.0625, 90};
  static constexpr auto s2 = make_spec<Pipe<QLeakyRelu>, AllCodes>(in2, LeakyReluParams{0.3, out2});
  check_all_codes<s2>(
      in2, out2, [&](int q) { return naive::leaky_relu_code(q, to_naive(in2), to_naive(out2), 0.3); },
      [](double x) { return x >= 0 ? x : 0.3 * x; });
  // A ReLU after it folds into the table: nothing below the output zero point.
  static constexpr auto s3 = make_spec<Pipe<QLeakyRelu, QRelu>, AllCodes>(in, LeakyReluParams{0.1, out});
  check_all_codes<s3>(
      in, out,
      [&](int q) { return std::max<int>(out.zero_point, naive::leaky_relu_code(q, to_naive(in), to_naive(out), 0.1)); },
      [](double x) { return x >= 0 ? x : 0.0; });
  static_assert(std::remove_const_t<decltype(BothBackends<s3>::m0)>::stage_count == 1);
}

TEST_CASE("QHardSwish equals TFLite's 16-bit fixed-point HARD_SWISH on every code") {
  const auto hard_swish = [](double x) { return x * std::min(6.0, std::max(0.0, x + 3)) / 6; };
  constexpr Grid in{0.046875, 0}, out{0.046875, 0};
  static constexpr auto s = make_spec<Pipe<QHardSwish>, AllCodes>(in, HardSwishParams{out});
  check_all_codes<s>(
      in, out, [&](int q) { return naive::hard_swish_code(q, to_naive(in), to_naive(out)); }, hard_swish);
  // MobileNetV3-like grids: a wide input, the output from about -0.4 upwards; scales not float32.
  constexpr Grid in2{0.1, -20}, out2{0.05, -120};
  static constexpr auto s2 = make_spec<Pipe<QHardSwish>, AllCodes>(in2, HardSwishParams{out2});
  check_all_codes<s2>(
      in2, out2, [&](int q) { return naive::hard_swish_code(q, to_naive(in2), to_naive(out2)); }, hard_swish);
  // A narrow input (the relu-ish multiplier shifts right) and a coarse output.
  constexpr Grid in3{0.01, 30}, out3{0.2, 5};
  static constexpr auto s3 = make_spec<Pipe<QHardSwish>, AllCodes>(in3, HardSwishParams{out3});
  check_all_codes<s3>(
      in3, out3, [&](int q) { return naive::hard_swish_code(q, to_naive(in3), to_naive(out3)); }, hard_swish);
}

TEST_CASE("QQuantize equals TFLite's int8 QUANTIZE on every code") {
  constexpr Grid in{0.05, -12}, out{0.07, 30};
  static constexpr auto s = make_spec<Pipe<QQuantize>, AllCodes>(in, QuantizeParams{out});
  check_all_codes<s>(
      in, out, [&](int q) { return naive::requantize_code(q, to_naive(in), to_naive(out)); },
      [](double x) { return x; });
  // Onto a finer grid: the ends saturate.
  constexpr Grid in2{0.1, 0}, out2{0.03, -5};
  static constexpr auto s2 = make_spec<Pipe<QQuantize>, AllCodes>(in2, QuantizeParams{out2});
  check_all_codes<s2>(
      in2, out2, [&](int q) { return naive::requantize_code(q, to_naive(in2), to_naive(out2)); },
      [](double x) { return x; });
  // The same grid: every code unchanged.
  static constexpr auto s3 = make_spec<Pipe<QQuantize>, AllCodes>(in, QuantizeParams{in});
  CHECK(BothBackends<s3>::run(all_codes()) == all_codes());
}
