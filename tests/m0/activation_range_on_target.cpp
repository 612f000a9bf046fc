// The two ReLU6 cases of docs/tflite_exactness.md on the target: a standalone RELU6 on a grid where
// 6.0f / scale is exactly 28.5 in float, and a 1 x 1 convolution with a folded RELU6 whose output
// grid puts 6.0f / scale at 6.5 in float. The top clamp is TFLite's (zero point + roundf of the
// float quotient), static_asserted here; the program prints every output code, and the host's run
// of the same source must print the same bytes (tests/meson.build compares them). Exit 0 when each
// code is the expected one.
#include <array>
#include <cstdint>
#include <cstdio>

#include "qpipe.hpp"

namespace {

using namespace qpipe;

constexpr Grid relu6_grid{0x1.af286cp-3, -123};
static_assert(QRelu6::clamp_on(relu6_grid).qmin == -123 && QRelu6::clamp_on(relu6_grid).qmax == -94);
constexpr auto relu6_spec = make_spec<Pipe<QRelu6>, Shape<256>>(relu6_grid);
constexpr auto relu6 = compile<relu6_spec>();

constexpr Grid conv_out{0x1.d89d8ap-1, -128};
static_assert(QRelu6::clamp_on(conv_out).qmax == -121);
constexpr PointwiseConv2DParams<1, 1, std::int8_t> conv{
    .weights = {{127}}, .bias = {0.0}, .output = conv_out, .weight_scale = {1.0 / 127}};
constexpr auto conv_spec = make_spec<Pipe<QPointwiseConv2D, QRelu6>, Shape<1, 1, 1>>(Grid{0.1, 0}, conv);
constexpr auto conv_relu6 = compile<conv_spec>();

}  // namespace

int main() {
  int wrong = 0;
  std::array<std::int8_t, 256> x{};
  for (int i = 0; i < 256; ++i) x[i] = static_cast<std::int8_t>(i - 128);
  const auto y = relu6(x);
  std::printf("relu6 on grid 0x1.af286cp-3, -123 (act_max -94):\n");
  for (int i = 0; i < 256; ++i) {
    const int q = i - 128, want = q < -123 ? -123 : (q > -94 ? -94 : q);
    wrong += y[i] != want;
    std::printf("%4d%s", int{y[i]}, i % 16 == 15 ? "\n" : "");
  }
  std::printf("conv + relu6, output grid 0x1.d89d8ap-1, -128 (act_max -121):\n");
  constexpr std::array<int, 8> inputs{-128, -1, 0, 20, 40, 60, 100, 127};
  // 60 is real 6: the accumulator 7620 high-multiplies to 6656 and 6656 / 2^10 = 6.5 rounds away to 7.
  constexpr std::array<int, 8> expected{-128, -128, -128, -126, -124, -121, -121, -121};
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const auto out = conv_relu6(std::array<std::int8_t, 1>{static_cast<std::int8_t>(inputs[k])});
    wrong += out[0] != expected[k];
    std::printf("in %4d -> %4d\n", inputs[k], int{out[0]});
  }
  std::printf("%d wrong\n", wrong);
  return wrong == 0 ? 0 : 1;
}
