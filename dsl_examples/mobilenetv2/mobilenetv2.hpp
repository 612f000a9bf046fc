// A MobileNetV2-shaped pipeline, int8, as a type (the seed's mobilenetv2_pipeline_int8 example):
// NHWC 16x16x4 in, a stride-2 stem, two inverted-residual blocks (the first with its skip), global
// average pooling and a 16 -> 4 classifier. Weights are deterministic sinusoids; every activation
// grid is calibrated by the compiler (MinMax) over 8 synthetic images; the 4 test images differ.
#pragma once

#include <array>
#include <cstdint>

#include <qpipe.hpp>

#include "../common/synthetic.hpp"

namespace mobilenetv2 {

using namespace qpipe;

// Inverted residual: expand 8 -> 32 (1x1), ReLU, depthwise 3x3, ReLU, project 32 -> C (1x1, linear).
template <std::size_t Stride>
using InvertedResidual =
    Pipe<QPointwiseConv2DPerChannel, QRelu, QPad2D<1>, QDepthwiseConv2D<3, Stride>, QRelu, QPointwiseConv2DPerChannel>;

using Net = Pipe<QPad2D<1>, QConv2DPerChannel<3, 2>, QRelu,  // stem: 16x16x4 -> 8x8x8
                 Residual<InvertedResidual<1>>,              // block 1: 8x8x8, with the skip
                 InvertedResidual<2>,                        // block 2: 8x8x8 -> 4x4x16, no skip
                 QGlobalAvgPool2D, QDense<4>>;               // 16 -> 4 logits
using Input = Shape<16, 16, 4>;

inline constexpr auto stem = [] {
  Conv2DParams<3, 4, 8> p{};
  std::size_t k = 0;
  for (auto& o : p.weights)
    for (auto& y : o)
      for (auto& x : y)
        for (auto& w : x) w = examples::sinusoid_weight(k++, 0.613, 0.2, 3 * 3 * 4);
  for (std::size_t o = 0; o < 8; ++o) p.bias[o] = 0.05 * examples::sin(1.3 * double(o));
  return p;
}();

template <std::size_t InC, std::size_t OutC>
constexpr PointwiseConv2DParams<InC, OutC> sinusoid_pointwise(double frequency, double phase) {
  PointwiseConv2DParams<InC, OutC> p{};
  for (std::size_t o = 0; o < OutC; ++o) {
    for (std::size_t i = 0; i < InC; ++i)
      p.weights[o][i] = examples::sinusoid_weight(o * InC + i, frequency, phase, InC);
    p.bias[o] = 0.05 * examples::sin(0.7 * double(o) + phase);
  }
  return p;
}

template <std::size_t C>
constexpr DepthwiseConv2DParams<3, C> sinusoid_depthwise(double frequency, double phase) {
  DepthwiseConv2DParams<3, C> p{};
  std::size_t k = 0;
  for (auto& y : p.weights)
    for (auto& x : y)
      for (auto& w : x) w = examples::sinusoid_weight(k++, frequency, phase, 9);
  for (std::size_t c = 0; c < C; ++c) p.bias[c] = 0.05 * examples::sin(0.9 * double(c) + phase);
  return p;
}

inline constexpr auto expand1 = sinusoid_pointwise<8, 32>(0.771, 0.4);
inline constexpr auto depthwise1 = sinusoid_depthwise<32>(1.237, 1.1);
inline constexpr auto project1 = sinusoid_pointwise<32, 8>(0.389, 2.3);
inline constexpr auto expand2 = sinusoid_pointwise<8, 32>(0.911, 0.8);
inline constexpr auto depthwise2 = sinusoid_depthwise<32>(0.677, 0.3);
inline constexpr auto project2 = sinusoid_pointwise<32, 16>(0.533, 1.7);
inline constexpr auto classifier = [] {
  DenseParams<16, 4> p{};
  for (std::size_t u = 0; u < 4; ++u) {
    // Pooled features are small (about +-0.06): larger weights and small biases, so that the logits
    // follow the image rather than the biases.
    for (std::size_t i = 0; i < 16; ++i) p.weights[u][i] = 4 * examples::sinusoid_weight(u * 16 + i, 1.031, 0.5, 16);
    p.bias[u] = 0.01 * examples::sin(2.0 * double(u));
  }
  return p;
}();

inline constexpr std::size_t calibration_count = 8;
inline constexpr std::size_t test_count = 4;

inline constexpr auto calibration_images = examples::wave_images<Input, calibration_count>(0);
inline constexpr auto test_images = examples::wave_images<Input, test_count>(100);

inline constexpr auto spec =
    calibrate(qpipe::make_spec<Net, Input>(Grid{1, 0}, stem, expand1, depthwise1, project1, ResidualParams{{1, 0}},
                                           expand2, depthwise2, project2, classifier),
              calibration_images);
inline constexpr auto network = compile(spec);
using Model = std::remove_const_t<decltype(network)>;
// The model a Cortex-M0 build runs (the default there; on the host, the reference loop nests run):
// its arena is the one printed, the same line on both builds. (Its window kernel takes its input
// buffer in place, with room for the expanded words.)
using M0Model = std::remove_const_t<decltype(qpipe::compile<qpipe::m0::Backend>(spec))>;

// The test images on the input grid (quantized by the compiler: no float on the target).
inline constexpr auto test_inputs = examples::quantized(test_images, spec.input);

void forward(const std::int8_t* image, std::int8_t* logits);

}  // namespace mobilenetv2
