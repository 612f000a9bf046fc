// QMaxPool2D<Options...>: the largest value of each window, TFLite MAX_POOL_2D. The options name
// the window (qpipe/options.hpp): QMaxPool2D<2> is 2 x 2 with stride 2 (a pool's stride defaults
// to its window); QMaxPool2D<kernel(3, 2), stride(1), same> pads as TFLite's SAME, the maximum
// taken over the cells inside the image. Max commutes with the monotonic dequantization, so the
// output keeps the input's grid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/pooling.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/ops/pooling.hpp"
#include "qpipe/options.hpp"

namespace qpipe {

template <auto... Options>
struct QMaxPool2D
    : detail::PoolingLayer<QMaxPool2D<Options...>, detail::window_options<true, Options...>(), ops::MaxPool> {
  static constexpr std::string_view kind = "QMaxPool2D";

  struct Largest {
    static constexpr double first(double tap) { return tap; }
    static constexpr double next(double best, double tap) { return tap > best ? tap : best; }
    static constexpr double last(double best, std::size_t) { return best; }
  };
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    QMaxPool2D::template reference_of<In, Clamps...>(v, at, Largest{});
  }
};

}  // namespace qpipe
