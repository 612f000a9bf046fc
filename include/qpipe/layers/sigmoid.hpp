// QSigmoid: TFLite LOGISTIC. Output grid fixed at scale 1/256, zero point -128; a 256-entry
// table built by the compiler for the input grid.
#pragma once

#include <cstddef>

#include "qpipe/detail/elementwise.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/layers/lut_kernel.hpp"
#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/lut.hpp"

namespace qpipe {

struct QSigmoid : detail::ElementwiseLayer {
  static constexpr std::string_view kind = "QSigmoid";

  template <ShapeType In>
  static consteval auto quantize(Grid in, const NoParams&) {
    return Quantized<detail::LutKernel<In::size>>{{{}, sigmoid_lut(in)}, sigmoid_output_grid};
  }
  template <ShapeType In>
  static constexpr void reference(const NoParams&, const double* in, double* out) {
    for (std::size_t i = 0; i < In::size; ++i) out[i] = math::sigmoid(in[i]);
  }
};

}  // namespace qpipe
