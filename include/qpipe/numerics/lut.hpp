// 256-entry int8 lookup tables for elementwise nonlinearities, built by the compiler for a given
// input grid. Entry i is the output for the input code q = i - 128.
#pragma once

#include <array>
#include <cstdint>

#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/tflite_float.hpp"

namespace qpipe {

using Lut = std::array<std::int8_t, 256>;

constexpr std::size_t lut_index(std::int8_t q) { return static_cast<std::size_t>(q + 128); }

// out[q] = quantize(f(dequantize(q, in)), out): the function evaluated in double at every input
// code, rounded half away from zero onto the output grid and saturated. For a function that TFLite
// has no table of (a table qpipe builds for its own layers); LOGISTIC and TANH use tflite_lut.
template <class Function>
consteval Lut lut_for(Grid in, Grid out, Function f) {
  in = checked(in);
  out = checked(out);
  Lut table{};
  for (int q = int8_min; q <= int8_max; ++q) {
    table[static_cast<std::size_t>(q + 128)] = quantize(f(dequantize(q, in)), out);
  }
  return table;
}

// TFLite's int8 table (activations.cc, PopulateLookupTable / LUTPopulate), in float throughout:
// inverse_scale = 1 / output_scale (a float division); for every code q, x = input_scale * (q -
// zero_point) (a float product), y = transform(x) in float, out = zero_point + roundf(y *
// inverse_scale), clamped to int8. FloatFunction is the transform, float to float.
template <class FloatFunction>
consteval Lut tflite_lut(Grid in, Grid out, FloatFunction transform) {
  using tflite_float::f32;
  in = checked(in);
  out = checked(out);
  const float input_scale = f32(in.scale);
  const float inverse_scale = 1.0f / f32(out.scale);
  Lut table{};
  for (int q = int8_min; q <= int8_max; ++q) {
    const float x = input_scale * static_cast<float>(q - in.zero_point);
    const float y = transform(x);
    const std::int64_t code = out.zero_point + tflite_float::round_float(y * inverse_scale);
    table[static_cast<std::size_t>(q + 128)] =
        static_cast<std::int8_t>(code < int8_min ? int8_min : (code > int8_max ? int8_max : code));
  }
  return table;
}

// std::exp and std::tanh on a float (expf, tanhf), correctly rounded: the double function rounded
// to float. (A libm whose expf or tanhf is off by an ulp at one of the 256 inputs can make
// TFLite's own table differ from this by one code at that entry; glibc's expf is within 0.502 ulp.)
constexpr float exp_float(float x) { return tflite_float::f32(math::exp(static_cast<double>(x))); }
constexpr float tanh_float(float x) { return tflite_float::f32(math::tanh(static_cast<double>(x))); }

// TFLite's transforms: 1.0f / (1.0f + std::exp(-value)) (three float roundings) and std::tanh.
consteval Lut sigmoid_lut(Grid in) {
  return tflite_lut(in, sigmoid_output_grid, [](float x) { return 1.0f / (1.0f + exp_float(-x)); });
}

consteval Lut tanh_lut(Grid in) {
  return tflite_lut(in, tanh_output_grid, [](float x) { return tanh_float(x); });
}

}  // namespace qpipe
