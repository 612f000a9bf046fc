// QTanh: TFLite TANH. Output grid fixed at scale 1/128, zero point 0; a 256-entry table built by
// the compiler for the input grid.
#pragma once

#include <cstddef>

#include "qpipe/detail/elementwise.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/layers/lut_kernel.hpp"
#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/lut.hpp"

namespace qpipe {

struct QTanh : detail::ElementwiseLayer {
  static constexpr std::string_view kind = "QTanh";

  template <ShapeType In>
  static consteval auto quantize(Grid in, const NoParams&) {
    return Quantized<detail::LutKernel<In::size>>{{{}, tanh_lut(in)}, tanh_output_grid};
  }
  template <ShapeType In>
  static constexpr void reference(const NoParams&, const double* in, double* out) {
    for (std::size_t i = 0; i < In::size; ++i) out[i] = math::tanh(in[i]);
  }
};

}  // namespace qpipe
