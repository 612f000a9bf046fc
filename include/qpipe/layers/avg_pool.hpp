// QAvgPool2D<Options...>: the mean of each window, TFLite AVERAGE_POOL_2D: an integer sum divided
// by the number of cells with ties away from zero, on the input's grid. The options name the
// window (qpipe/options.hpp): QAvgPool2D<2> is 2 x 2 with stride 2; QAvgPool2D<kernel(25, 5),
// stride(1), same> pads as TFLite's SAME and divides by the cells inside the image, as TFLite
// does (a QPad2D in front would count the padding).
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
struct QAvgPool2D
    : detail::PoolingLayer<QAvgPool2D<Options...>, detail::window_options<true, Options...>(), ops::AveragePool> {
  static constexpr std::string_view kind = "QAvgPool2D";

  struct Mean {
    static constexpr double first(double tap) { return 0.0 + tap; }
    static constexpr double next(double sum, double tap) { return sum + tap; }
    static constexpr double last(double sum, std::size_t count) { return sum / count; }
  };
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    QAvgPool2D::template reference_of<In, Clamps...>(v, at, Mean{});
  }
};

}  // namespace qpipe
