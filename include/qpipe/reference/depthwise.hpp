// The reference depthwise convolution: one plain loop nest, TFLite's arithmetic.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/depthwise.hpp"

namespace qpipe::reference_ops {

// The loop nest below runs the output rows in order, and output row y reads input rows from
// y * stride - pad_top on: the arena planner relies on it to put the output over the input's front.
template <ops::Window G, std::size_t M, bool TwoSided>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::DepthwiseConvolution<G, M, TwoSided>*) {
  return {detail::window_rows(G.out_height, G.out_width * G.channels * M, G.height, G.width * G.channels,
                              G.stride_height, G.pad_top)};
}

template <ops::Window G, std::size_t M, bool TwoSided>
constexpr void run(const ops::DepthwiseConvolution<G, M, TwoSided>& op, const std::int8_t* in, std::int8_t* out) {
  constexpr std::size_t out_channels = G.channels * M;
  for (std::size_t y = 0; y < G.out_height; ++y) {
    for (std::size_t x = 0; x < G.out_width; ++x) {
      for (std::size_t c = 0; c < G.channels; ++c) {
        for (std::size_t j = 0; j < M; ++j) {
          const std::size_t oc = c * M + j;
          std::int32_t acc = op.bias[oc];
          for (std::size_t ky = 0; ky < G.kernel_height; ++ky) {
            const std::size_t row = y * G.stride_height + ky * G.dilation_height;  // in the padded image
            if (row < G.pad_top || row - G.pad_top >= G.height) continue;  // padding: real 0, adds nothing
            for (std::size_t kx = 0; kx < G.kernel_width; ++kx) {
              const std::size_t column = x * G.stride_width + kx * G.dilation_width;
              if (column < G.pad_left || column - G.pad_left >= G.width) continue;
              const std::int32_t input = in[((row - G.pad_top) * G.width + (column - G.pad_left)) * G.channels + c];
              const std::int32_t weight = op.weights[(ky * G.kernel_width + kx) * out_channels + oc];
              acc += (input - op.input_zero_point) * weight;
            }
          }
          out[(y * G.out_width + x) * out_channels + oc] = op.requantization(acc, oc);
        }
      }
    }
  }
}

}  // namespace qpipe::reference_ops
