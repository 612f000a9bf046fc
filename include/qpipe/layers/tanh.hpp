// QTanh: TFLite TANH. Output grid fixed at scale 1/128, zero point 0; a 256-entry table built by
// the compiler for the input grid.
#pragma once

#include <string_view>

#include "qpipe/detail/lut_activation.hpp"
#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/grid.hpp"

namespace qpipe {

struct QTanh : detail::LutActivation<QTanh> {
  static constexpr std::string_view kind = "QTanh";
  static constexpr Grid output_grid = tanh_output_grid;
  static constexpr double function(double x) { return math::tanh(x); }
  static consteval Lut table(Grid in) { return tanh_lut(in); }
};

}  // namespace qpipe
