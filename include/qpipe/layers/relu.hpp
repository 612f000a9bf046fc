// QRelu and QRelu6: clamps that keep the grid. After a layer with a requantizer they fold into its
// clamp and cost nothing at run time; elsewhere they run as a clamp pass.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/detail/elementwise.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/ops/elementwise.hpp"

namespace qpipe {

namespace detail {

// Shared by every clamp layer that runs as a pass of its own.
template <class Self>
struct StandaloneClamp : ElementwiseLayer {
  static constexpr bool is_clamp = true;

  template <ShapeType In, class P>
  static consteval auto quantize(Grid in, const P&) {
    return Quantized<ops::Clamp<In::size>>{{{}, Self::clamp_on(in)}, in};
  }
  template <ShapeType In, class P, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    for (std::size_t i = 0; i < In::size; ++i) v[at.out + i] = Self::reference(v[at.in + i]);
  }
};

}  // namespace detail

struct QRelu : detail::StandaloneClamp<QRelu> {
  static constexpr std::string_view kind = "QRelu";
  // TFLite: the lower bound is the code of real 0, i.e. the zero point.
  static constexpr ClampRange clamp_on(Grid g) { return {std::max(int8_min, g.zero_point), int8_max}; }
  static constexpr double reference(double x) { return x > 0 ? x : 0; }
  using detail::StandaloneClamp<QRelu>::reference;
};

struct QRelu6 : detail::StandaloneClamp<QRelu6> {
  static constexpr std::string_view kind = "QRelu6";
  static constexpr ClampRange clamp_on(Grid g) {
    return {std::max(int8_min, g.zero_point), std::min<std::int32_t>(int8_max, qpipe::quantize(6.0, g))};
  }
  static constexpr double reference(double x) { return x < 0 ? 0 : (x > 6 ? 6 : x); }
  using detail::StandaloneClamp<QRelu6>::reference;
};

}  // namespace qpipe
