// The portable pools (TFLite MAX_POOL_2D and AVERAGE_POOL_2D, VALID or SAME, and an average over
// the whole image), on the input's grid, a folded activation as their clamp.
#pragma once

#include <cstddef>

#include "qpipe/numerics/grid.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe::ops {

template <Window G>
struct PoolGeometry : WindowGeometry<G> {
  static constexpr std::size_t output_size = G.out_height * G.out_width * G.channels;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 8;
};

// The largest value of each window (of its cells inside the image, for SAME).
template <Window G>
struct MaxPool : PoolGeometry<G> {
  ClampRange clamp;
};

// The mean of each window: the integer sum divided by the number of cells, ties away from zero
// (for SAME, TFLite counts only the cells inside the image).
template <Window G>
struct AveragePool : PoolGeometry<G> {
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
