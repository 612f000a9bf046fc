// A small CNN using every image layer of the vocabulary: padded stride-2 conv, an inverted
// residual (expand, depthwise, project, add the skip), max, average and global average pooling,
// a dense head and softmax. Weights are pseudo-random (constexpr generator); every activation
// grid comes from the compiler's MinMax calibration over 8 constexpr samples. Shared by the M0
// run (tests/m0/cnn_on_target.cpp) and the host parity test.
#pragma once

#include <array>
#include <cstdint>

#include <qpipe.hpp>

#include "../reference/random_params.hpp"

namespace cnn_test {

using namespace qpipe;

using Net =
    Pipe<QPad2D<1>, QConv2DPerChannel<3, 2>, QRelu,
         Residual<Pipe<QPointwiseConv2DPerChannel, QRelu6, QPad2D<1>, QDepthwiseConv2D<3>, QRelu6, QPointwiseConv2D>>,
         QMaxPool2D<2>, QAvgPool2D<1>, QGlobalAvgPool2D, QDense<4>, QSoftmax>;
using Input = Shape<8, 8, 3>;

inline constexpr auto stem = [] {
  qpipe_test::Lcg rng{1};
  Conv2DParams<3, 3, 8> p{};
  for (auto& o : p.weights)
    for (auto& y : o)
      for (auto& x : y)
        for (auto& w : x) w = rng.uniform(-0.5, 0.5);
  for (auto& b : p.bias) b = rng.uniform(-0.1, 0.1);
  return p;
}();
inline constexpr auto expand = [] {
  qpipe_test::Lcg rng{2};
  PointwiseConv2DParams<8, 16> p{};
  for (auto& o : p.weights)
    for (auto& w : o) w = rng.uniform(-0.4, 0.4);
  for (auto& b : p.bias) b = rng.uniform(0, 0.2);
  return p;
}();
inline constexpr auto depthwise = [] {
  qpipe_test::Lcg rng{3};
  DepthwiseConv2DParams<3, 16> p{};
  for (auto& y : p.weights)
    for (auto& x : y)
      for (auto& w : x) w = rng.uniform(-0.5, 0.5);
  for (auto& b : p.bias) b = rng.uniform(-0.1, 0.1);
  return p;
}();
inline constexpr auto project = [] {
  qpipe_test::Lcg rng{4};
  PointwiseConv2DParams<16, 8> p{};
  for (auto& o : p.weights)
    for (auto& w : o) w = rng.uniform(-0.3, 0.3);
  for (auto& b : p.bias) b = rng.uniform(-0.1, 0.1);
  return p;
}();
inline constexpr auto head = [] {
  qpipe_test::Lcg rng{5};
  DenseParams<8, 4> p{};
  for (auto& o : p.weights)
    for (auto& w : o) w = rng.uniform(-1.5, 1.5);
  for (auto& b : p.bias) b = rng.uniform(-0.2, 0.2);
  return p;
}();

// Calibration samples in [0, 1]: smooth patterns plus noise, different per channel.
inline constexpr auto samples = [] {
  std::array<std::array<double, Input::size>, 8> s{};
  qpipe_test::Lcg rng{99};
  for (std::size_t n = 0; n < s.size(); ++n)
    for (std::size_t i = 0; i < Input::size; ++i) {
      const double pattern = double((i / 3 + n * 5) % 11) / 10.0;
      s[n][i] = 0.7 * pattern + 0.3 * rng.uniform(0, 1);
    }
  return s;
}();

// The grids below are placeholders: calibrate() replaces every one from the samples.
inline constexpr Grid placeholder{1.0, 0};
inline constexpr auto spec = calibrate(
    qpipe::make_spec<Net, Input>(placeholder, stem, expand, depthwise, project, ResidualParams{placeholder}, head),
    samples);
inline constexpr auto network = compile(spec);

// The samples on the input grid: what the target is fed (computed by the compiler: no float on the M0).
inline constexpr auto inputs = [] {
  std::array<std::array<std::int8_t, Input::size>, samples.size()> q{};
  for (std::size_t n = 0; n < samples.size(); ++n)
    for (std::size_t i = 0; i < Input::size; ++i) q[n][i] = qpipe::quantize(samples[n][i], spec.input);
  return q;
}();

// The network's outputs for those inputs, evaluated by the compiler: the target checks its own
// run against them.
inline constexpr auto expected_outputs = [] {
  std::array<std::array<std::int8_t, 4>, samples.size()> out{};
  for (std::size_t n = 0; n < samples.size(); ++n) out[n] = network(inputs[n]);
  return out;
}();

// One forward pass, compiled in its own translation unit (the object checked for float and heap):
// network(...), whose M0 routines read the layer words' fields at run time, and qpipe::run<network>,
// whose routines take them as immediates.
void forward(const std::int8_t* input, std::int8_t* output);
void forward_constant(const std::int8_t* input, std::int8_t* output);

}  // namespace cnn_test
