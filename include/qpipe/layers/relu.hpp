// QRelu, QRelu6 and QReluN1To1: clamps that keep the grid. After a layer with a requantizer (or a
// pool, or a residual add) they fold into its clamp and cost nothing at run time; elsewhere they run
// as a clamp pass. The bounds are TFLite's fused activation range (kernel_util.cc,
// CalculateActivationRangeQuantized): zero_point + TfLiteRound(bound / scale) computed in float on
// the float32 rounding of the grid's scale (tflite_float.hpp), so that a bound whose quotient lands
// on a float k + 1/2 rounds as TFLite rounds it. TFLite Micro's standalone RELU/RELU6 compute the
// same codes (roundf of a float quotient).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/detail/elementwise.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/tflite_float.hpp"
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
    return {std::max(int8_min, g.zero_point), tflite_float::activation_code(6.0f, g)};
  }
  static constexpr double reference(double x) { return x < 0 ? 0 : (x > 6 ? 6 : x); }
  using detail::StandaloneClamp<QRelu6>::reference;
};

// TFLite's RELU_N1_TO_1 (fused activation kTfLiteActReluN1To1, or the op of that name): [-1, 1].
struct QReluN1To1 : detail::StandaloneClamp<QReluN1To1> {
  static constexpr std::string_view kind = "QReluN1To1";
  static constexpr ClampRange clamp_on(Grid g) {
    return {tflite_float::activation_code(-1.0f, g), tflite_float::activation_code(1.0f, g)};
  }
  static constexpr double reference(double x) { return x < -1 ? -1 : (x > 1 ? 1 : x); }
  using detail::StandaloneClamp<QReluN1To1>::reference;
};

}  // namespace qpipe
