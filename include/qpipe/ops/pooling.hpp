// The portable pools (TFLite MAX_POOL_2D and AVERAGE_POOL_2D, VALID, and an average over the whole
// image), on the input's grid, a folded activation as their clamp.
#pragma once

#include <cstddef>

#include "qpipe/numerics/grid.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe::ops {

// K x K windows moved by S over an H x W x C image.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct PoolGeometry : WindowGeometry<H, W, C, K, S> {
  static constexpr std::size_t output_size = WindowGeometry<H, W, C, K, S>::out_height * WindowGeometry<H, W, C, K, S>::out_width * C;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 8;
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
