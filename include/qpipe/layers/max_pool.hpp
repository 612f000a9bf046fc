// QMaxPool2D<K, S>: the largest value of each K x K window, stride S, TFLite MAX_POOL_2D (VALID).
// Max commutes with the monotonic dequantization, so the output keeps the input's grid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/pooling.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/ops/pooling.hpp"

namespace qpipe {

template <std::size_t K, std::size_t S = K>
  requires(K > 0 && S > 0)
struct QMaxPool2D : detail::PoolingLayer<K, S, ops::MaxPool> {
  static constexpr std::string_view kind = "QMaxPool2D";

  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    using G = ops::PoolGeometry<detail::height<In>, detail::width<In>, detail::channels<In>, K, S>;
    for (std::size_t y = 0, o = 0; y < G::out_height; ++y)
      for (std::size_t x = 0; x < G::out_width; ++x)
        for (std::size_t c = 0; c < detail::channels<In>; ++c, ++o) {
          double best = v[at.in + G::at(y * S, x * S, c)];
          for (std::size_t ky = 0; ky < K; ++ky)
            for (std::size_t kx = 0; kx < K; ++kx) {
              const double tap = v[at.in + G::at(y * S + ky, x * S + kx, c)];
              best = tap > best ? tap : best;
            }
          v[at.out + o] = detail::apply_clamps<Clamps...>(best);
        }
  }
};

}  // namespace qpipe
