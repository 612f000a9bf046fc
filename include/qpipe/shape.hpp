// Tensor shapes as types, so that shapes flow through a pipeline at compile time.
// Activations are NHWC without the batch dimension: Shape<H, W, C> for images, Shape<N> for vectors.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>

namespace qpipe {

template <std::size_t... Dims>
  requires(sizeof...(Dims) > 0 && ((Dims > 0) && ...))
struct Shape {
  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr std::size_t size = (Dims * ...);
  static constexpr std::array<std::size_t, rank> dims{Dims...};
};

namespace detail {
template <class T> struct is_shape : std::false_type {};
template <std::size_t... Dims> struct is_shape<Shape<Dims...>> : std::true_type {};
}  // namespace detail

template <class T>
concept ShapeType = detail::is_shape<T>::value;

}  // namespace qpipe
