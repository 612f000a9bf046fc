// The portable pools (TFLite MAX_POOL_2D and AVERAGE_POOL_2D, VALID, and an average over the whole
// image), on the input's grid, a folded activation as their clamp.
#pragma once

#include <cstddef>

#include "qpipe/detail/image.hpp"
#include "qpipe/numerics/grid.hpp"

namespace qpipe::ops {

// K x K windows moved by S over an H x W x C image.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct PoolGeometry {
  static constexpr std::size_t height = H, width = W, channels = C, kernel_size = K, stride = S;
  static constexpr std::size_t out_height = detail::valid_output(H, K, S);
  static constexpr std::size_t out_width = detail::valid_output(W, K, S);
  static constexpr std::size_t input_size = H * W * C;
  static constexpr std::size_t output_size = out_height * out_width * C;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 8;
  static constexpr std::size_t at(std::size_t y, std::size_t x, std::size_t c) { return (y * W + x) * C + c; }
};

// The largest value of each window.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct MaxPool : PoolGeometry<H, W, C, K, S> {
  ClampRange clamp;
};

// The mean of each window: the integer sum divided by K * K, ties away from zero.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct AveragePool : PoolGeometry<H, W, C, K, S> {
  ClampRange clamp;
};

// The mean of each channel over all Pixels pixels, as AveragePool with a window the image's size.
template <std::size_t Pixels, std::size_t C>
struct GlobalAveragePool {
  static constexpr std::size_t pixels = Pixels, channels = C;
  static constexpr std::size_t input_size = Pixels * C;
  static constexpr std::size_t output_size = C;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 8;
  ClampRange clamp;
};

}  // namespace qpipe::ops
