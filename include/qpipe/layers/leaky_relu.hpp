// QLeakyRelu: TFLite LEAKY_RELU, x for x >= 0 and alpha x below, onto an output grid of its own.
// The compiler builds the 256 codes TFLite's kernel computes (numerics/requantize_tables.hpp);
// at run time one table load per element. alpha is taken as the float32 a TFLite model stores.
#pragma once

#include <string_view>

#include "qpipe/detail/lut_activation.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantize_tables.hpp"

namespace qpipe {

struct LeakyReluParams {
  double alpha;         // the slope below zero, > 0
  Grid output;          // the grid of the result (before any folded activation)
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

struct QLeakyRelu : detail::TableLayer<QLeakyRelu, LeakyReluParams> {
  static constexpr std::string_view kind = "QLeakyRelu";
  static constexpr double function(double x, const LeakyReluParams& p) { return x >= 0 ? x : p.alpha * x; }
  static consteval Lut table(Grid in, const LeakyReluParams& p, ClampRange clamp) {
    return leaky_relu_table(in, p.output, p.alpha, clamp);
  }
};

}  // namespace qpipe
