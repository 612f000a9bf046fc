// Where TFLite computes a quantization constant in float rather than double, qpipe computes it the
// same way: the operands rounded to float32 (what a TFLite model stores for every scale and for
// SOFTMAX's beta), then float arithmetic in TFLite's order. Double steps stay double and take qpipe's
// values as given, so for scales that are float32 values (every model a front end reads) both give
// TFLite's constants bit for bit. docs/tflite_exactness.md lists every constant and its precision.
//
// All of it runs in the compiler (GCC rounds float arithmetic in constant expressions exactly as
// IEEE-754 binary32 does); no float code reaches a target.
#pragma once

#include <cstdint>

#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/grid.hpp"

namespace qpipe::tflite_float {

// The float32 nearest a double (ties to even): the value a TFLite model would hold.
constexpr float f32(double x) { return static_cast<float>(x); }

// TfLiteRound / std::round / roundf on a float: to nearest, ties away from zero (exact: a float
// widens to double without loss). Saturated to +-2^40 so that infinities and huge quotients (a
// scale so small that the real value is beyond every int32 code) stay ordered.
constexpr std::int64_t round_float(float x) {
  const double r = math::round_half_away(static_cast<double>(x));
  if (math::is_nan(r)) return 0;
  if (r > 1099511627776.0) return std::int64_t{1} << 40;
  if (r < -1099511627776.0) return -(std::int64_t{1} << 40);
  return static_cast<std::int64_t>(r);
}

// The code TFLite gives a real activation bound on an output grid (kernel_util.cc,
// CalculateActivationRangeQuantizedImpl's `quantize`): zero_point + TfLiteRound(f / scale) with f
// and scale floats and the division in float. Saturated to int8 (the caller clamps to int8 anyway;
// TFLite's newer versions refuse a model whose quotient leaves int32, older ones overflow).
constexpr std::int32_t activation_code(float real, Grid g) {
  const float quotient = real / f32(g.scale);
  const std::int64_t q = g.zero_point + round_float(quotient);
  return static_cast<std::int32_t>(q < int8_min ? int8_min : (q > int8_max ? int8_max : q));
}

// FULLY_CONNECTED with one weight scale (GetQuantizedConvolutionMultipler, the per-tensor path of
// TFLite's and TFLite Micro's fully connected kernels): input_scale * filter_scale is a float
// product, widened to double; the division by the output scale is then done in double.
constexpr double fully_connected_product_scale(double input_scale, double weight_scale) {
  return static_cast<double>(f32(input_scale) * f32(weight_scale));
}

}  // namespace qpipe::tflite_float
