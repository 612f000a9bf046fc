// The int8 maps TFLite computes with one requantization per element, as 256-entry tables built by
// the compiler (entry q + 128 the output for input code q): QUANTIZE from int8 to int8, and
// LEAKY_RELU's two slopes. The tables hold exactly the codes TFLite's loops compute; what TFLite
// would do at run time (offset, MultiplyByQuantizedMultiplier, zero point, clamp) happens here once
// per input code.
#pragma once

#include <cstdint>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/lut.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"
#include "qpipe/numerics/tflite_float.hpp"

namespace qpipe {

// A requantizer for a real multiplier onto grid out, clamped to [qmin, qmax].
consteval Requantizer requantizer_of(double real_multiplier, Grid out, ClampRange clamp) {
  const QuantizedMultiplier m = quantize_multiplier(real_multiplier);
  return {m.multiplier, m.shift, out.zero_point, clamp.qmin, clamp.qmax};
}

// TFLite QUANTIZE, int8 to int8 (quantize_common.cc): multiplier input_scale / output_scale in
// double; out = clamp(zp_out + MultiplyByQuantizedMultiplier(q - zp_in)).
consteval Lut requantize_table(Grid in, Grid out, ClampRange clamp) {
  in = checked(in);
  out = checked(out);
  const Requantizer r = requantizer_of(in.scale / out.scale, out, clamp);
  Lut table{};
  for (int q = int8_min; q <= int8_max; ++q) table[lut_index(static_cast<std::int8_t>(q))] = r(q - in.zero_point);
  return table;
}

// TFLite LEAKY_RELU int8 (leaky_relu_common.cc): two multipliers computed in float from the
// float32 scales and alpha, input_scale / output_scale (identity) and input_scale * alpha /
// output_scale; a code at or above the input zero point takes the first, one below takes the
// second. alpha must be positive (qpipe's requantizers take positive multipliers; alpha = 0 is a
// ReLU).
consteval Lut leaky_relu_table(Grid in, Grid out, double alpha, ClampRange clamp) {
  using tflite_float::f32;
  in = checked(in);
  out = checked(out);
  if (!(alpha > 0) || math::is_nan(alpha) || alpha == math::infinity)
    compile_error::leaky_relu_alpha_must_be_positive_and_finite(alpha);
  const Requantizer identity = requantizer_of(static_cast<double>(f32(in.scale) / f32(out.scale)), out, clamp);
  const Requantizer slope =
      requantizer_of(static_cast<double>(f32(in.scale) * f32(alpha) / f32(out.scale)), out, clamp);
  Lut table{};
  for (int q = int8_min; q <= int8_max; ++q) {
    const std::int32_t v = q - in.zero_point;
    table[lut_index(static_cast<std::int8_t>(q))] = v >= 0 ? identity(v) : slope(v);
  }
  return table;
}

}  // namespace qpipe
