// What elementwise layers share: any shape in, the same shape out, no parameters block.
#pragma once

#include <cstddef>

#include "qpipe/layer.hpp"
#include "qpipe/shape.hpp"

namespace qpipe::detail {

struct ElementwiseLayer {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = false;
  static constexpr bool has_params = false;
  template <ShapeType In> static constexpr bool accepts = true;
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }
  template <ShapeType In, class P> using output_shape = In;
};

}  // namespace qpipe::detail
