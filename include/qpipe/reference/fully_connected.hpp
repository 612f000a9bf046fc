// The reference fully connected layer: one plain loop nest, TFLite's arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/ops/fully_connected.hpp"

namespace qpipe::reference_ops {

template <std::size_t Inputs, std::size_t Units, bool TwoSided>
constexpr void run(const ops::FullyConnected<Inputs, Units, TwoSided>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t u = 0; u < Units; ++u) {
    std::int32_t acc = op.bias[u];
    for (std::size_t i = 0; i < Inputs; ++i)
      acc += (std::int32_t{in[i]} - op.input_zero_point) * std::int32_t{op.weights[u * Inputs + i]};
    out[u] = op.requantization(acc, 0);
  }
}

}  // namespace qpipe::reference_ops
