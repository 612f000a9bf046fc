// The reference convolution: one plain loop nest, TFLite's arithmetic. Runs on the host, in
// constant expressions, and wherever no backend has a kernel of its own.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/convolution.hpp"

namespace qpipe::reference_ops {

// The loop nest below runs the output rows in order, and output row y reads input rows from
// y * stride - pad_top on: the arena planner relies on it to put the output over the input's front.
// A 1 x 1 window at stride 1 without padding reads pixel p for output pixel p and no earlier one
// after it: pixels, not rows.
template <ops::Window G, std::size_t OutC, std::size_t Channels, bool TwoSided>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::Convolution<G, OutC, Channels, TwoSided>*) {
  if constexpr (G.kernel_height == 1 && G.kernel_width == 1 && G.stride_height == 1 && G.stride_width == 1 &&
                G.inside()) {
    return {detail::ReadFront{G.height * G.width, OutC, G.height * G.width, G.channels, 1, 0}};
  } else {
    return {detail::window_rows(G.out_height, G.out_width * OutC, G.height, G.width * G.channels, G.stride_height,
                                G.pad_top)};
  }
}

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
              const std::int32_t weight =
                  op.weights[((o * G.kernel_height + ky) * G.kernel_width + kx) * G.channels + i];
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
