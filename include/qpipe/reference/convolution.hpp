// The reference convolution: one plain loop nest, TFLite's arithmetic. Runs on the host, in
// constant expressions, and wherever no backend has a kernel of its own.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/ops/convolution.hpp"

namespace qpipe::reference_ops {

template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC, std::size_t Channels,
          bool TwoSided>
constexpr void run(const ops::Convolution<H, W, InC, K, S, OutC, Channels, TwoSided>& op, const std::int8_t* in, std::int8_t* out) {
  using Op = ops::Convolution<H, W, InC, K, S, OutC, Channels, TwoSided>;
  for (std::size_t y = 0; y < Op::out_height; ++y) {
    for (std::size_t x = 0; x < Op::out_width; ++x) {
      for (std::size_t o = 0; o < OutC; ++o) {
        std::int32_t acc = op.bias[o];  // the input zero point's term is in the bias
        for (std::size_t ky = 0; ky < K; ++ky) {
          for (std::size_t kx = 0; kx < K; ++kx) {
            for (std::size_t i = 0; i < InC; ++i) {
              const std::int32_t input = in[((y * S + ky) * W + (x * S + kx)) * InC + i];
              const std::int32_t weight = op.weights[((o * K + ky) * K + kx) * InC + i];
              acc += input * weight;
            }
          }
        }
        out[(y * Op::out_width + x) * OutC + o] = op.requantization(acc, o);
      }
    }
  }
}

}  // namespace qpipe::reference_ops
