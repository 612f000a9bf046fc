// 256-entry int8 lookup tables for elementwise nonlinearities, built by the compiler for a given
// input grid. Entry i is the output for the input code q = i - 128.
#pragma once

#include <array>
#include <cstdint>

#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/grid.hpp"

namespace qpipe {

using Lut = std::array<std::int8_t, 256>;

constexpr std::size_t lut_index(std::int8_t q) { return static_cast<std::size_t>(q + 128); }

// out[q] = quantize(f(dequantize(q, in)), out): the float function evaluated in double at every
// input code, rounded half away from zero onto the output grid and saturated, as TFLite's
// lookup-table kernels do (they evaluate in float; double makes the table independent of that).
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

consteval Lut sigmoid_lut(Grid in) {
  return lut_for(in, sigmoid_output_grid, [](double x) { return math::sigmoid(x); });
}

consteval Lut tanh_lut(Grid in) {
  return lut_for(in, tanh_output_grid, [](double x) { return math::tanh(x); });
}

}  // namespace qpipe
