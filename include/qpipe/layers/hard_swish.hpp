// QHardSwish: TFLite HARD_SWISH, x relu6(x + 3) / 6, onto an output grid of its own. The compiler
// runs TFLite's 16-bit fixed-point kernel on each of the 256 input codes (numerics/hard_swish.hpp);
// at run time one table load per element.
#pragma once

#include <string_view>

#include "qpipe/detail/lut_activation.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/hard_swish.hpp"
#include "qpipe/numerics/observers.hpp"

namespace qpipe {

struct HardSwishParams {
  Grid output;          // the grid of the result (before any folded activation)
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

struct QHardSwish : detail::TableLayer<QHardSwish, HardSwishParams> {
  static constexpr std::string_view kind = "QHardSwish";
  static constexpr double function(double x, const HardSwishParams&) {
    const double gate = x + 3 < 0 ? 0 : (x + 3 > 6 ? 6 : x + 3);
    return x * gate / 6;
  }
  static consteval Lut table(Grid in, const HardSwishParams& p, ClampRange clamp) {
    return hard_swish_table(in, p.output, clamp);
  }
};

}  // namespace qpipe
