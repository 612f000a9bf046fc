// The ResNet-18 stem and one basic block, int8, as a type (the seed's
// resnet18_stem_block_int8 example): NHWC 16x16x3 in, 4 int8 logits out. Weights are
// deterministic sinusoids; every activation grid is calibrated by the compiler (MinMax) over 8
// synthetic images; the 4 test images are different ones.
#pragma once

#include <array>
#include <cstdint>

#include <qpipe.hpp>

#include "../common/synthetic.hpp"

namespace resnet18_block {

using namespace qpipe;

using BasicBlock = Pipe<QPad2D<1>, QConv2DPerChannel<3>, QRelu, QPad2D<1>, QConv2DPerChannel<3>>;
using Net = Pipe<QPad2D<3>, QConv2DPerChannel<7, 2>, QRelu, QMaxPool2D<2, 2>,  // stem: 16x16x3 -> 4x4x8
                 Residual<BasicBlock>, QRelu,                                   // basic block, 4x4x8
                 QGlobalAvgPool2D, QDense<4>>;                                  // 8 -> 4 logits
using Input = Shape<16, 16, 3>;

template <std::size_t K, std::size_t InC, std::size_t OutC>
constexpr Conv2DParams<K, InC, OutC> sinusoid_conv(double frequency, double phase) {
  Conv2DParams<K, InC, OutC> p{};
  std::size_t k = 0;
  for (auto& o : p.weights)
    for (auto& y : o)
      for (auto& x : y)
        for (auto& w : x) w = examples::sinusoid_weight(k++, frequency, phase, K * K * InC);
  for (std::size_t o = 0; o < OutC; ++o) p.bias[o] = 0.05 * examples::sin(1.7 * double(o) + phase);
  return p;
}

inline constexpr auto stem = sinusoid_conv<7, 3, 8>(0.731, 0.1);
inline constexpr auto block_conv1 = sinusoid_conv<3, 8, 8>(1.113, 0.6);
inline constexpr auto block_conv2 = sinusoid_conv<3, 8, 8>(0.529, 1.9);
inline constexpr auto classifier = [] {
  DenseParams<8, 4> p{};
  for (std::size_t u = 0; u < 4; ++u) {
    for (std::size_t i = 0; i < 8; ++i) p.weights[u][i] = examples::sinusoid_weight(u * 8 + i, 0.917, 0.3, 8);
    p.bias[u] = 0.1 * examples::sin(double(u));
  }
  return p;
}();

inline constexpr std::size_t calibration_count = 8;
inline constexpr std::size_t test_count = 4;

inline constexpr auto calibration_images = examples::wave_images<Input, calibration_count>(0);
inline constexpr auto test_images = examples::wave_images<Input, test_count>(100);

// Grids left at their defaults are set by calibrate(); the add's block has only a grid.
inline constexpr auto spec = calibrate(
    qpipe::make_spec<Net, Input>(Grid{1, 0}, stem, block_conv1, block_conv2, ResidualParams{{1, 0}}, classifier),
    calibration_images);
inline constexpr auto network = compile(spec);
using Model = std::remove_const_t<decltype(network)>;
// The model a Cortex-M0 build runs (the default there; on the host, the reference loop nests run):
// its arena is the one printed, the same line on both builds. (Its window kernel takes its input
// buffer in place, with room for the expanded words.)
using M0Model = std::remove_const_t<decltype(qpipe::compile<qpipe::m0::Backend>(spec))>;

// The test images on the input grid (quantized by the compiler: no float on the target).
inline constexpr auto test_inputs = examples::quantized(test_images, spec.input);

// One forward pass on the static arena; its own object file (checked for float and heap).
void forward(const std::int8_t* image, std::int8_t* logits);

}  // namespace resnet18_block
