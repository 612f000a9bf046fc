// What the image layers (padding, convolutions, pooling) share: an NHWC image shape and the
// output size of a VALID sliding window.
#pragma once

#include <cstddef>

#include "qpipe/layer.hpp"
#include "qpipe/shape.hpp"

namespace qpipe::detail {

template <ShapeType S> inline constexpr bool is_image = S::rank == 3;

template <ShapeType S> inline constexpr std::size_t height = S::dims[0];
template <ShapeType S> inline constexpr std::size_t width = S::dims[S::rank > 1 ? 1 : 0];
template <ShapeType S> inline constexpr std::size_t channels = S::dims[S::rank - 1];

// A window of K x K moved by S fits an image of at least K x K; TFLite VALID output size.
template <ShapeType In, std::size_t K>
inline constexpr bool window_fits = is_image<In> && height<In> >= K && width<In> >= K;
constexpr std::size_t valid_output(std::size_t size, std::size_t k, std::size_t stride) {
  return (size - k) / stride + 1;
}

template <ShapeType In, std::size_t K, std::size_t S, std::size_t OutChannels = channels<In>>
using window_output_shape = Shape<valid_output(height<In>, K, S), valid_output(width<In>, K, S), OutChannels>;

}  // namespace qpipe::detail
