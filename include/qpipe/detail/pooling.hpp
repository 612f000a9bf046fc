// What the pooling layers share: no parameters, the output stays on the input's grid, and a ReLU
// or ReLU6 after them folds into their final clamp (TFLite's fused activation on pool ops).
#pragma once

#include <cstddef>

#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"

namespace qpipe::detail {

template <std::size_t K, std::size_t S>
struct PoolingLayer {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = false;
  template <ShapeType In> static constexpr bool accepts = window_fits<In, K>;
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }
  template <ShapeType In, class P> using output_shape = window_output_shape<In, K, S>;
};

// Window geometry of a VALID K x K pool with stride S over an H x W x C image.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct PoolGeometry {
  static constexpr std::size_t out_height = valid_output(H, K, S);
  static constexpr std::size_t out_width = valid_output(W, K, S);
  static constexpr std::size_t input_size = H * W * C;
  static constexpr std::size_t output_size = out_height * out_width * C;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 8;
  static constexpr std::size_t at(std::size_t y, std::size_t x, std::size_t c) { return (y * W + x) * C + c; }

  // Calls reduce(output_index, tap) for every output value, tap(ky, kx) reading that value's
  // window; the integer kernels and the float references differ only in the reduction.
  template <class T, class Reduce>
  static constexpr void each_window(const T* in, Reduce reduce) {
    for (std::size_t y = 0; y < out_height; ++y)
      for (std::size_t x = 0; x < out_width; ++x)
        for (std::size_t c = 0; c < C; ++c)
          reduce((y * out_width + x) * C + c, [&](std::size_t ky, std::size_t kx) { return in[at(y * S + ky, x * S + kx, c)]; });
  }
};

}  // namespace qpipe::detail
