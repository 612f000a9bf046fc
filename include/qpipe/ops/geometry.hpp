// The geometry the window ops share: a K x K window moved by S over an H x W x C image, VALID.
#pragma once

#include <cstddef>

#include "qpipe/detail/image.hpp"

namespace qpipe::ops {

template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct WindowGeometry {
  static constexpr std::size_t height = H, width = W, channels = C, kernel_size = K, stride = S;
  static constexpr std::size_t out_height = detail::valid_output(H, K, S);
  static constexpr std::size_t out_width = detail::valid_output(W, K, S);
  static constexpr std::size_t input_size = H * W * C;
  static constexpr std::size_t at(std::size_t y, std::size_t x, std::size_t c) { return (y * W + x) * C + c; }
};

}  // namespace qpipe::ops
