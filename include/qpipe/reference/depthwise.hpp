// The reference depthwise convolution: one plain loop nest, TFLite's arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/ops/depthwise.hpp"

namespace qpipe::reference_ops {

template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S, bool TwoSided>
constexpr void run(const ops::DepthwiseConvolution<H, W, C, K, S, TwoSided>& op, const std::int8_t* in, std::int8_t* out) {
  using Op = ops::DepthwiseConvolution<H, W, C, K, S, TwoSided>;
  for (std::size_t y = 0; y < Op::out_height; ++y) {
    for (std::size_t x = 0; x < Op::out_width; ++x) {
      for (std::size_t c = 0; c < C; ++c) {
        std::int32_t acc = op.bias[c];  // the input zero point's term is in the bias
        for (std::size_t ky = 0; ky < K; ++ky) {
          for (std::size_t kx = 0; kx < K; ++kx) {
            const std::int32_t input = in[((y * S + ky) * W + (x * S + kx)) * C + c];
            const std::int32_t weight = op.weights[(ky * K + kx) * C + c];
            acc += input * weight;
          }
        }
        out[(y * Op::out_width + x) * C + c] = op.requantization(acc, c);
      }
    }
  }
}

}  // namespace qpipe::reference_ops
