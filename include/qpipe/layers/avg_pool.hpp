// QAvgPool2D<K, S>: the mean of each K x K window, stride S, TFLite AVERAGE_POOL_2D (VALID): an
// integer sum divided by K*K with ties away from zero, on the input's grid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/pooling.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/fixed_point.hpp"

namespace qpipe {

namespace detail {

template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S>
struct AvgPoolKernel : PoolGeometry<H, W, C, K, S> {
  using geometry = PoolGeometry<H, W, C, K, S>;
  ClampRange clamp;

  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    geometry::each_window(in, [&](std::size_t o, auto tap) {
      std::int32_t sum = 0;
      for (std::size_t ky = 0; ky < K; ++ky)
        for (std::size_t kx = 0; kx < K; ++kx) sum += tap(ky, kx);
      std::int32_t mean = rounding_divide(sum, static_cast<std::int32_t>(K * K));
      mean = mean < clamp.qmin ? clamp.qmin : (mean > clamp.qmax ? clamp.qmax : mean);
      out[o] = static_cast<std::int8_t>(mean);
    });
  }
};

}  // namespace detail

template <std::size_t K, std::size_t S = K>
  requires(K > 0 && S > 0)
struct QAvgPool2D : detail::PoolingLayer<K, S> {
  static constexpr std::string_view kind = "QAvgPool2D";

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P&) {
    using kernel = detail::AvgPoolKernel<detail::height<In>, detail::width<In>, detail::channels<In>, K, S>;
    return Quantized<kernel>{{{}, detail::clamp_of<Clamps...>(in)}, in};
  }

  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    using G = detail::PoolGeometry<detail::height<In>, detail::width<In>, detail::channels<In>, K, S>;
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
