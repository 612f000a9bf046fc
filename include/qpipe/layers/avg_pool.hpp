// QAvgPool2D<K, S>: the mean of each K x K window, stride S, TFLite AVERAGE_POOL_2D (VALID): an
// integer sum divided by K*K with ties away from zero, on the input's grid.
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
struct QAvgPool2D : detail::PoolingLayer<K, S, ops::AveragePool> {
  static constexpr std::string_view kind = "QAvgPool2D";

  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    using G = ops::PoolGeometry<detail::height<In>, detail::width<In>, detail::channels<In>, K, S>;
    for (std::size_t y = 0, o = 0; y < G::out_height; ++y)
      for (std::size_t x = 0; x < G::out_width; ++x)
        for (std::size_t c = 0; c < detail::channels<In>; ++c, ++o) {
          double sum = 0;
          for (std::size_t ky = 0; ky < K; ++ky)
            for (std::size_t kx = 0; kx < K; ++kx) sum += v[at.in + G::at(y * S + ky, x * S + kx, c)];
          v[at.out + o] = detail::apply_clamps<Clamps...>(sum / (K * K));
        }
  }
};

}  // namespace qpipe
