// QSigmoid: TFLite LOGISTIC. Output grid fixed at scale 1/256, zero point -128; a 256-entry table
// built by the compiler for the input grid.
#pragma once

#include <string_view>

#include "qpipe/detail/lut_activation.hpp"
#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/grid.hpp"

namespace qpipe {

struct QSigmoid : detail::LutActivation<QSigmoid> {
  static constexpr std::string_view kind = "QSigmoid";
  static constexpr Grid output_grid = sigmoid_output_grid;
  static constexpr double function(double x) { return math::sigmoid(x); }
  static consteval Lut table(Grid in) { return sigmoid_lut(in); }
};

}  // namespace qpipe
