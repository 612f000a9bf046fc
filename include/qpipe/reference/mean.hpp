// The reference MEAN: one sum per channel, then TFLite Micro's integer form (ops/mean.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/grid.hpp"
#include "qpipe/ops/mean.hpp"

namespace qpipe::reference_ops {

template <std::size_t Pixels, std::size_t C>
constexpr void run(const ops::Mean<Pixels, C>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t c = 0; c < C; ++c) {
    std::int32_t sum = 0;
    for (std::size_t p = 0; p < Pixels; ++p) sum += in[p * C + c];
    if (op.same_grid) {
      const Requantizer& r = op.requantizer;
      out[c] = ClampRange{r.qmin, r.qmax}.code(sum / static_cast<std::int32_t>(Pixels));
    } else {
      out[c] = op.requantizer(sum + op.sum_offset);
    }
  }
}

}  // namespace qpipe::reference_ops
