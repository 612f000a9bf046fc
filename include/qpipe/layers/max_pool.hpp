// QMaxPool2D<K, S>: the largest value of each K x K window, stride S, TFLite MAX_POOL_2D (VALID).
// Max commutes with the monotonic dequantization, so the output keeps the input's grid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/pooling.hpp"
#include "qpipe/layer.hpp"

namespace qpipe {

namespace detail {

template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct MaxPoolKernel : PoolGeometry<H, W, C, K, S> {
  using geometry = PoolGeometry<H, W, C, K, S>;
  ClampRange clamp;

  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    geometry::each_window(in, [&](std::size_t o, auto tap) {
      std::int32_t best = clamp.qmin;  // the clamp's floor is below or at every candidate that counts
      for (std::size_t ky = 0; ky < K; ++ky)
        for (std::size_t kx = 0; kx < K; ++kx) {
          const std::int32_t v = tap(ky, kx);
          best = v > best ? v : best;
        }
      out[o] = static_cast<std::int8_t>(best < clamp.qmax ? best : clamp.qmax);
    });
  }
};

}  // namespace detail

template <std::size_t K, std::size_t S = K>
  requires(K > 0 && S > 0)
struct QMaxPool2D : detail::PoolingLayer<K, S> {
  static constexpr std::string_view kind = "QMaxPool2D";

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P&) {
    using kernel = detail::MaxPoolKernel<detail::height<In>, detail::width<In>, detail::channels<In>, K, S>;
    return Quantized<kernel>{{{}, detail::clamp_of<Clamps...>(in)}, in};
  }

  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    using G = detail::PoolGeometry<detail::height<In>, detail::width<In>, detail::channels<In>, K, S>;
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
