// What table-driven activations (sigmoid, tanh) share: a 256-entry table built by the compiler for
// the input grid, one load per element at run time, and a fixed output grid.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/detail/elementwise.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/lut.hpp"
#include "qpipe/ops/elementwise.hpp"

namespace qpipe::detail {

// Self provides `output_grid`, `static constexpr double function(double)` (the float reference) and
// `static consteval Lut table(Grid in)` (TFLite's table for an input grid, numerics/lut.hpp).
template <class Self>
struct LutActivation : ElementwiseLayer {
  template <ShapeType In, class P>
  static consteval auto quantize(Grid in, const P&) {
    return Quantized<ops::Lookup<In::size>>{{{}, Self::table(in)}, Self::output_grid};
  }
  template <ShapeType In, class P, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    for (std::size_t i = 0; i < In::size; ++i) v[at.out + i] = Self::function(v[at.in + i]);
  }
};

}  // namespace qpipe::detail
