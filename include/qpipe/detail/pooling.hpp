// What the pooling layers share: no parameters, the output stays on the input's grid, and a ReLU
// or ReLU6 after them folds into their final clamp (TFLite's fused activation on pool ops).
#pragma once

#include <cstddef>

#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"

namespace qpipe::detail {

// Op: the portable op (ops::MaxPool, ops::AveragePool), whose only constant is the clamp.
template <std::size_t K, std::size_t S, template <std::size_t, std::size_t, std::size_t, std::size_t, std::size_t> class Op>
struct PoolingLayer {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = false;
  template <ShapeType In> static constexpr bool accepts = window_fits<In, K>;
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }
  template <ShapeType In, class P> using output_shape = window_output_shape<In, K, S>;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P&) {
    using op = Op<height<In>, width<In>, channels<In>, K, S>;
    return Quantized<op>{{{}, clamp_of<Clamps...>(in)}, in};
  }
};

}  // namespace qpipe::detail
