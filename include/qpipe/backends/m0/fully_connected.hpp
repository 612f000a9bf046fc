// The Cortex-M0's fully connected layer with one weight scale, and its dispatcher.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/ops/fully_connected.hpp"

namespace qpipe::m0 {

// The M0's fully connected layer (ops::FullyConnected): the op's weights and folded biases, one
// requantizer for the tensor fitted to the union of the units' accumulator ranges.
template <std::size_t Inputs, std::size_t Units, bool TwoSided = false>
struct DenseKernel : ops::FullyConnectedGeometry<Inputs, Units> {

  std::array<std::int8_t, Inputs * Units> weights;
  std::array<std::int32_t, Units> bias;  // with the input zero-point term folded in
  ChannelRequantizer<1, TwoSided> requantizer;

  // Beyond 16 weights neither loop is unrolled: unrolled, GCC turns every constant weight into
  // shifts and adds (800 bytes of code for ResNet's 8 x 4 head), and a dense head is a few hundred
  // cycles of a network whose code is flash. Up to 16 (XOR's layers) the unrolled code is smaller
  // than the loops, and twice as fast.
  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    if constexpr (Inputs * Units <= 16) {
      for (std::size_t u = 0; u < Units; ++u) out[u] = requantizer(bias[u] + dot<Inputs>(&weights[u * Inputs], in), 0);
    } else {
#pragma GCC unroll 1
      for (std::size_t u = 0; u < Units; ++u) {
        std::int32_t acc = bias[u];
        const std::int8_t* w = &weights[u * Inputs];
#pragma GCC unroll 1
        for (std::size_t i = 0; i < Inputs; ++i) acc += std::int32_t{w[i]} * std::int32_t{in[i]};
        out[u] = requantizer(acc, 0);
      }
    }
  }
};

// The op's biases with the input zero point's term folded in (every output reads all inputs).
template <std::size_t Inputs, std::size_t Units, bool TwoSided>
consteval DenseKernel<Inputs, Units, TwoSided> lower(const ops::FullyConnected<Inputs, Units, TwoSided>& op) {
  std::array<std::int32_t, Units> folded{};
  for (std::size_t u = 0; u < Units; ++u) {
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < Inputs; ++i) sum += op.weights[u * Inputs + i];
    folded[u] = static_cast<std::int32_t>(op.bias[u] - std::int64_t{op.input_zero_point} * sum);
  }
  return {{}, op.weights, folded, fitted_requantizer<TwoSided>(op.requantization, op.range)};
}

}  // namespace qpipe::m0
