// QQuantize: TFLite QUANTIZE from int8 to int8, the same values moved onto another grid (what a
// converter inserts where two tensors must share a grid, e.g. before a Concat). The compiler builds
// the 256 requantized codes (numerics/requantize_tables.hpp); at run time one table load per
// element.
#pragma once

#include <string_view>

#include "qpipe/detail/lut_activation.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantize_tables.hpp"

namespace qpipe {

struct QuantizeParams {
  Grid output;          // the new grid
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

struct QQuantize : detail::TableLayer<QQuantize, QuantizeParams> {
  static constexpr std::string_view kind = "QQuantize";
  static constexpr double function(double x, const QuantizeParams&) { return x; }
  static consteval Lut table(Grid in, const QuantizeParams& p, ClampRange clamp) {
    return requantize_table(in, p.output, clamp);
  }
};

}  // namespace qpipe
