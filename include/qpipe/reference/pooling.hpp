// The reference pools: TFLite's MAX_POOL_2D and AVERAGE_POOL_2D (integer sum, divided with ties
// away from zero), a folded activation as the final clamp. (Also what the Cortex-M0 runs.)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/ops/pooling.hpp"

namespace qpipe::reference_ops {

// Calls reduce(output_index, tap) for every output value of a window that lies inside the image,
// tap(ky, kx) reading that value's window: the pools differ only in the reduction.
template <ops::Window G, class Reduce>
constexpr void each_window(const std::int8_t* in, Reduce reduce) {
  using geometry = ops::WindowGeometry<G>;
  for (std::size_t y = 0; y < G.out_height; ++y)
    for (std::size_t x = 0; x < G.out_width; ++x)
      for (std::size_t c = 0; c < G.channels; ++c)
        reduce((y * G.out_width + x) * G.channels + c, [&](std::size_t ky, std::size_t kx) {
          return in[geometry::at(y * G.stride_height + ky, x * G.stride_width + kx, c)];
        });
}

// Calls reduce(output_index, taps) with the window's cells inside the image (SAME padding),
// taps(f) calling f(value) for each of them and returning their count.
template <ops::Window G, class Reduce>
constexpr void each_padded_window(const std::int8_t* in, Reduce reduce) {
  using geometry = ops::WindowGeometry<G>;
  for (std::size_t y = 0; y < G.out_height; ++y)
    for (std::size_t x = 0; x < G.out_width; ++x)
      for (std::size_t c = 0; c < G.channels; ++c)
        reduce((y * G.out_width + x) * G.channels + c, [&](auto f) {
          std::int32_t count = 0;
          for (std::size_t ky = 0; ky < G.kernel_height; ++ky) {
            const std::size_t row = y * G.stride_height + ky;  // in the padded image
            if (row < G.pad_top || row - G.pad_top >= G.height) continue;
            for (std::size_t kx = 0; kx < G.kernel_width; ++kx) {
              const std::size_t column = x * G.stride_width + kx;
              if (column < G.pad_left || column - G.pad_left >= G.width) continue;
              f(std::int32_t{in[geometry::at(row - G.pad_top, column - G.pad_left, c)]});
              ++count;
            }
          }
          return count;
        });
}

// The window pools below run the output rows in order (each_window, each_padded_window), and
// output row y reads input rows from y * stride - pad_top on: the arena planner relies on it to
// put the output over the input's front. (The global pool reads every pixel for every channel: no
// promise.)
template <ops::Window G>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::MaxPool<G>*) {
  return {detail::window_rows(G.out_height, G.out_width * G.channels, G.height, G.width * G.channels, G.stride_height,
                              G.pad_top)};
}
template <ops::Window G>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::AveragePool<G>*) {
  return {detail::window_rows(G.out_height, G.out_width * G.channels, G.height, G.width * G.channels, G.stride_height,
                              G.pad_top)};
}

template <ops::Window G>
constexpr void run(const ops::MaxPool<G>& op, const std::int8_t* in, std::int8_t* out) {
  if constexpr (G.inside()) {
    each_window<G>(in, [&](std::size_t o, auto tap) {
      std::int32_t best = op.clamp.qmin;  // the clamp's floor is below or at every candidate that counts
      for (std::size_t ky = 0; ky < G.kernel_height; ++ky)
        for (std::size_t kx = 0; kx < G.kernel_width; ++kx) {
          const std::int32_t v = tap(ky, kx);
          best = v > best ? v : best;
        }
      out[o] = static_cast<std::int8_t>(best < op.clamp.qmax ? best : op.clamp.qmax);
    });
  } else {
    each_padded_window<G>(in, [&](std::size_t o, auto taps) {
      std::int32_t best = op.clamp.qmin;
      taps([&](std::int32_t v) { best = v > best ? v : best; });
      out[o] = static_cast<std::int8_t>(best < op.clamp.qmax ? best : op.clamp.qmax);
    });
  }
}

template <ops::Window G>
constexpr void run(const ops::AveragePool<G>& op, const std::int8_t* in, std::int8_t* out) {
  if constexpr (G.inside()) {
    each_window<G>(in, [&](std::size_t o, auto tap) {
      std::int32_t sum = 0;
      // A window row unrolled, the rows not: a network averages once, often over a window of
      // hundreds of values (a global pool), where unrolling it whole costs flash for few cycles.
#pragma GCC unroll 1
      for (std::size_t ky = 0; ky < G.kernel_height; ++ky)
#pragma GCC unroll 8
        for (std::size_t kx = 0; kx < G.kernel_width; ++kx) sum += tap(ky, kx);
      constexpr MeanDivisor divide = mean_divisor(static_cast<std::int32_t>(G.kernel_height * G.kernel_width));
      out[o] = op.clamp.code(divide(sum));
    });
  } else {
    each_padded_window<G>(in, [&](std::size_t o, auto taps) {
      std::int32_t sum = 0;
      const std::int32_t count = taps([&](std::int32_t v) { sum += v; });
      out[o] = op.clamp.code(rounding_divide(sum, count));  // TFLite divides by the cells inside the image
    });
  }
}

template <std::size_t Pixels, std::size_t C>
constexpr void run(const ops::GlobalAveragePool<Pixels, C>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t c = 0; c < C; ++c) {
    std::int32_t sum = 0;
    // Not unrolled: the layer is a few hundred cycles of a whole network, its code is flash.
#pragma GCC unroll 1
    for (std::size_t p = 0; p < Pixels; ++p) sum += in[p * C + c];
    constexpr MeanDivisor divide = mean_divisor(static_cast<std::int32_t>(Pixels));
    out[c] = op.clamp.code(divide(sum));
  }
}

}  // namespace qpipe::reference_ops
