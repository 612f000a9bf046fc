// The importer's exemplar, done by the compiler: a deterministic 3-8-4-2 MLP (ReLU, ReLU, softmax)
// with float weights, calibrated over 64 synthetic samples with a different observer per tensor
// (input and first hidden layer MinMax, second hidden layer Percentile(0.05, 99.95), logits KL
// divergence), after cross-layer equalization of both hidden layers. Nothing is generated on the
// host: every range, grid, int8 weight and requantizer below is computed by the compiler.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <qpipe.hpp>

#include "../common/synthetic.hpp"

namespace import_demo {

using Net =
    qpipe::Pipe<qpipe::QDense<8>, qpipe::QRelu, qpipe::QDense<4>, qpipe::QRelu, qpipe::QDense<2>, qpipe::QSoftmax>;
using Input = qpipe::Shape<3>;

// Stand-ins for trained weights: sinusoids scaled by 1/sqrt(fan in). Hidden unit 5 is made 16x
// louder in fc1 and 16x quieter where fc2 reads it. The float function is the same (ReLU is
// positively homogeneous), but a per-tensor int8 scale for fc1 is now set by that one unit and
// the other seven lose four bits: the imbalance cross-layer equalization removes.
inline constexpr double loud = 16.0;
inline constexpr std::size_t loud_unit = 5;

inline constexpr auto fc1 = [] {
  qpipe::DenseParams<3, 8> p{};
  for (std::size_t u = 0; u < 8; ++u) {
    for (std::size_t i = 0; i < 3; ++i) p.weights[u][i] = examples::sinusoid_weight(u * 3 + i, 1.7, 0.4, 3);
    p.bias[u] = 0.2 * examples::sin(0.9 * double(u) + 0.5);
  }
  for (auto& w : p.weights[loud_unit]) w *= loud;
  p.bias[loud_unit] *= loud;
  return p;
}();

inline constexpr auto fc2 = [] {
  qpipe::DenseParams<8, 4> p{};
  for (std::size_t u = 0; u < 4; ++u) {
    for (std::size_t i = 0; i < 8; ++i) p.weights[u][i] = examples::sinusoid_weight(u * 8 + i, 2.3, 1.1, 8);
    p.bias[u] = 0.1 * examples::sin(1.3 * double(u));
    p.weights[u][loud_unit] /= loud;
  }
  return p;
}();

inline constexpr auto fc3 = [] {
  qpipe::DenseParams<4, 2> p{};
  for (std::size_t u = 0; u < 2; ++u) {
    for (std::size_t i = 0; i < 4; ++i) p.weights[u][i] = examples::sinusoid_weight(u * 4 + i, 0.8, 2.0, 4);
    p.bias[u] = u == 0 ? 0.15 : -0.15;
  }
  return p;
}();

// Inputs: three smooth functions of the sample index in [-1, 1], the kind of features a sensor
// front end produces. Samples 0..63 calibrate; 64..79 are the held-out test set.
constexpr std::array<double, 3> sample(std::size_t n) {
  const double t = double(n);
  return {examples::sin(0.61 * t), examples::sin(0.37 * t + 1.0),
          0.8 * examples::sin(0.23 * t + 2.0) * examples::sin(0.11 * t)};
}
template <std::size_t Count>
constexpr std::array<std::array<double, 3>, Count> samples(std::size_t first) {
  std::array<std::array<double, 3>, Count> s{};
  for (std::size_t n = 0; n < Count; ++n) s[n] = sample(first + n);
  return s;
}
inline constexpr auto calibration_set = samples<64>(0);
inline constexpr auto test_set = samples<16>(64);

// Cross-layer equalization of fc1 -> fc2 and of fc2 -> fc3 (both through ReLU).
inline constexpr auto equalized_12 = qpipe::equalize(fc1, fc2);
inline constexpr auto equalized_23 = qpipe::equalize(equalized_12.second, fc3);
inline constexpr auto fc1_eq = equalized_12.first;
inline constexpr auto fc2_eq = [] {
  auto p = equalized_23.first;
  p.observer = qpipe::percentile(0.05, 99.95);
  return p;
}();
inline constexpr auto fc3_eq = [] {
  auto p = equalized_23.second;
  p.observer = qpipe::kl_divergence();
  return p;
}();

inline constexpr qpipe::Grid placeholder{1.0, 0};  // calibrate() replaces every grid
inline constexpr auto original = qpipe::make_spec<Net, Input>(placeholder, fc1, fc2, fc3);
inline constexpr auto equalized = qpipe::make_spec<Net, Input>(placeholder, fc1_eq, fc2_eq, fc3_eq);

inline constexpr auto report = qpipe::calibration_report(equalized, calibration_set, qpipe::min_max());
inline constexpr auto spec = qpipe::calibrate(equalized, calibration_set, qpipe::min_max());
inline constexpr auto network = qpipe::compile(spec);

// For comparison: the same network calibrated with MinMax everywhere, with and without
// equalization.
inline constexpr auto fc2_min_max = [] {
  auto p = fc2_eq;
  p.observer = qpipe::min_max();
  return p;
}();
inline constexpr auto fc3_min_max = [] {
  auto p = fc3_eq;
  p.observer = qpipe::min_max();
  return p;
}();
inline constexpr auto spec_min_max =
    qpipe::calibrate(qpipe::make_spec<Net, Input>(placeholder, fc1_eq, fc2_min_max, fc3_min_max), calibration_set);
inline constexpr auto spec_unequalized = qpipe::calibrate(original, calibration_set);
inline constexpr auto network_min_max = qpipe::compile(spec_min_max);
inline constexpr auto network_unequalized = qpipe::compile(spec_unequalized);

template <class Spec>
constexpr auto quantized_test_set(const Spec& s) {
  std::array<std::array<std::int8_t, 3>, test_set.size()> q{};
  for (std::size_t n = 0; n < test_set.size(); ++n)
    for (std::size_t i = 0; i < 3; ++i) q[n][i] = qpipe::quantize(test_set[n][i], s.input);
  return q;
}

}  // namespace import_demo
