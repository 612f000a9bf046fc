// The reference convolution: one plain loop nest, TFLite's arithmetic. Runs on the host, in
// constant expressions, and wherever no backend has a kernel of its own.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/ops/convolution.hpp"

namespace qpipe::reference_ops {

template <ops::Window G, std::size_t OutC, std::size_t Channels, bool TwoSided>
constexpr void run(const ops::Convolution<G, OutC, Channels, TwoSided>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t y = 0; y < G.out_height; ++y) {
    for (std::size_t x = 0; x < G.out_width; ++x) {
      for (std::size_t o = 0; o < OutC; ++o) {
        std::int32_t acc = op.bias[o];
        for (std::size_t ky = 0; ky < G.kernel_height; ++ky) {
          const std::size_t row = y * G.stride_height + ky * G.dilation_height;  // in the padded image
          if (row < G.pad_top || row - G.pad_top >= G.height) continue;  // padding: real 0, adds nothing
          for (std::size_t kx = 0; kx < G.kernel_width; ++kx) {
            const std::size_t column = x * G.stride_width + kx * G.dilation_width;
            if (column < G.pad_left || column - G.pad_left >= G.width) continue;
            for (std::size_t i = 0; i < G.channels; ++i) {
              const std::int32_t input = in[((row - G.pad_top) * G.width + (column - G.pad_left)) * G.channels + i];
              const std::int32_t weight = op.weights[((o * G.kernel_height + ky) * G.kernel_width + kx) * G.channels + i];
              acc += (input - op.input_zero_point) * weight;
            }
          }
        }
        out[(y * G.out_width + x) * OutC + o] = op.requantization(acc, o);
      }
    }
  }
}

}  // namespace qpipe::reference_ops
