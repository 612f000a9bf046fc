// A graph in the new vocabulary on the target: a rectangular SAME stem with per-axis strides, an
// Add of a depthwise-separable branch and a 1x1 shortcut, LEAKY_RELU, a Concat of a SAME average
// pool and a SAME max pool, a Mul of the tensor and its HARD_SWISH, a dilated depthwise with depth
// multiplier 2, MEAN, views and a softmax. Most of these run the reference loop nests on the M0
// (no dispatcher takes their windows), the rest its own kernels.
//
// The same declaration runs three ways, which must agree byte for byte: in a constant expression
// (the outputs below are computed by the compiler), at run time on the host, and at run time on the
// Cortex-M0 (tests/meson.build compares the two programs' prints). Exit 0 when the run-time outputs
// equal the compiler's. The layers' arithmetic against TFLite's is checked by the layer tests.
#include <array>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "qpipe.hpp"

#include "../reference/random_params.hpp"

namespace {

using namespace qpipe;

using Net = Pipe<QConv2DPerChannel<kernel(3, 2), stride(2, 1), same>, QRelu,
                 Add<Pipe<QDepthwiseConv2D<3, same>, QRelu6, QPointwiseConv2DPerChannel>, QConv2DPerChannel<1>>,
                 QLeakyRelu, Concat<QAvgPool2D<kernel(2, 3), stride(1), same>, QMaxPool2D<3, 1, same>>,
                 Mul<Identity, QHardSwish>, QDepthwiseConv2D<3, dilation(2), multiplier(2), same>, QMean,
                 QReshape<Shape<1, 1, 32>>, QPointwiseConv2D, QFlatten, QSoftmax>;

template <class Block>
constexpr Block filled(std::uint32_t seed, Grid out, double range = 1.0) {
  Block b{};
  qpipe_test::Lcg w{seed};  // parameters in [-1, 1) (times range)
  auto fill = [&](auto& self, auto& x) -> void {
    if constexpr (std::is_array_v<std::remove_reference_t<decltype(x)>>) {
      for (auto& e : x) self(self, e);
    } else {
      x = range * w.uniform(-1.0, 1.0);
    }
  };
  fill(fill, b.weights);
  for (auto& v : b.bias) v = 0.05 * w.uniform(-1.0, 1.0);
  b.output = out;
  return b;
}

constexpr Grid input_grid{0.05, -10};
constexpr auto stem = filled<Conv2DParams<kernel(3, 2), 2, 8>>(1, {0.06, -128});
constexpr auto depthwise = filled<DepthwiseConv2DParams<3, 8>>(2, {0.05, -128});
constexpr auto project = filled<PointwiseConv2DParams<8, 8>>(3, {0.08, 3});
constexpr auto shortcut = filled<Conv2DParams<1, 8, 8>>(4, {0.07, -5});
constexpr auto dilated = filled<DepthwiseConv2DParams<3, 16, double, 2>>(5, {0.1, 0});
constexpr auto classifier = filled<PointwiseConv2DParams<32, 5>>(6, {0.02, 0}, 0.05);

constexpr auto graph_spec = make_spec<Net, Shape<8, 8, 2>>(
    input_grid, stem, depthwise, project, shortcut, AddParams{{0.1, -20}}, LeakyReluParams{0.2, {0.08, -30}},
    HardSwishParams{{0.05, -90}}, MulParams{{0.15, -100}}, dilated, MeanParams{{0.04, 0}}, classifier);
constexpr auto graph = compile<graph_spec>();

constexpr std::array<std::int8_t, 128> input_at(int k) {
  std::array<std::int8_t, 128> x{};
  std::uint32_t s = 77u + static_cast<std::uint32_t>(k);
  for (auto& v : x) {
    s = s * 1103515245u + 12345u;
    v = static_cast<std::int8_t>(static_cast<int>((s >> 16) & 255u) - 128);
  }
  return x;
}

// The compiler's outputs for three inputs.
constexpr std::array<std::array<std::int8_t, 5>, 3> in_the_compiler{graph(input_at(0)), graph(input_at(1)),
                                                                    graph(input_at(2))};

}  // namespace

int main() {
  using M = std::remove_const_t<decltype(graph)>;
  std::printf("graph: %zu steps, %zu MACs, arena %zu bytes (one buffer per tensor: %zu)\n", M::stage_count, M::macs,
              M::arena_bytes, M::unplanned_arena_bytes);
  int wrong = 0;
  for (int k = 0; k < 3; ++k) {
    std::array<std::int8_t, 5> y{};
    run<graph>(input_at(k), y);
    std::printf("input %d:", k);
    for (std::size_t i = 0; i < y.size(); ++i) {
      std::printf(" %4d", int{y[i]});
      wrong += y[i] != in_the_compiler[k][i];
    }
    std::printf("\n");
  }
  std::printf("%d differ from the compiler's outputs\n", wrong);
  return wrong == 0 ? 0 : 1;
}
