// The reference pools: TFLite's MAX_POOL_2D and AVERAGE_POOL_2D (integer sum, divided with ties
// away from zero), a folded activation as the final clamp. (Also what the Cortex-M0 runs.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/ops/pooling.hpp"

namespace qpipe::reference_ops {

// Calls reduce(output_index, tap) for every output value, tap(ky, kx) reading that value's
// window: the pools differ only in the reduction.
template <class Geometry, class Reduce>
constexpr void each_window(const std::int8_t* in, Reduce reduce) {
  for (std::size_t y = 0; y < Geometry::out_height; ++y)
    for (std::size_t x = 0; x < Geometry::out_width; ++x)
      for (std::size_t c = 0; c < Geometry::channels; ++c)
        reduce((y * Geometry::out_width + x) * Geometry::channels + c,
               [&](std::size_t ky, std::size_t kx) { return in[Geometry::at(y * Geometry::stride + ky, x * Geometry::stride + kx, c)]; });
}

template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
constexpr void run(const ops::MaxPool<H, W, C, K, S>& op, const std::int8_t* in, std::int8_t* out) {
  each_window<ops::PoolGeometry<H, W, C, K, S>>(in, [&](std::size_t o, auto tap) {
    std::int32_t best = op.clamp.qmin;  // the clamp's floor is below or at every candidate that counts
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx) {
        const std::int32_t v = tap(ky, kx);
        best = v > best ? v : best;
      }
    out[o] = static_cast<std::int8_t>(best < op.clamp.qmax ? best : op.clamp.qmax);
  });
}

template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
constexpr void run(const ops::AveragePool<H, W, C, K, S>& op, const std::int8_t* in, std::int8_t* out) {
  each_window<ops::PoolGeometry<H, W, C, K, S>>(in, [&](std::size_t o, auto tap) {
    std::int32_t sum = 0;
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx) sum += tap(ky, kx);
    std::int32_t mean = rounding_divide(sum, static_cast<std::int32_t>(K * K));
    mean = mean < op.clamp.qmin ? op.clamp.qmin : (mean > op.clamp.qmax ? op.clamp.qmax : mean);
    out[o] = static_cast<std::int8_t>(mean);
  });
}

template <std::size_t Pixels, std::size_t C>
constexpr void run(const ops::GlobalAveragePool<Pixels, C>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t c = 0; c < C; ++c) {
    std::int32_t sum = 0;
    // Not unrolled: the layer is a few hundred cycles of a whole network, its code is flash.
#pragma GCC unroll 1
    for (std::size_t p = 0; p < Pixels; ++p) sum += in[p * C + c];
    std::int32_t mean = rounding_divide(sum, static_cast<std::int32_t>(Pixels));
    mean = mean < op.clamp.qmin ? op.clamp.qmin : (mean > op.clamp.qmax ? op.clamp.qmax : mean);
    out[c] = static_cast<std::int8_t>(mean);
  }
}

}  // namespace qpipe::reference_ops
