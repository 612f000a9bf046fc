// An affine int8 quantization grid: real = scale * (q - zero_point).
#pragma once

#include <cstdint>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/numerics/constexpr_math.hpp"

namespace qpipe {

inline constexpr std::int32_t int8_min = -128;
inline constexpr std::int32_t int8_max = 127;

struct Grid {
  double scale;
  std::int32_t zero_point;
  friend constexpr bool operator==(const Grid&, const Grid&) = default;
};

// The fixed output grids TFLite prescribes for its int8 sigmoid and tanh.
inline constexpr Grid sigmoid_output_grid{1.0 / 256.0, -128};
inline constexpr Grid tanh_output_grid{1.0 / 128.0, 0};

consteval Grid checked(Grid g) {
  if (!(g.scale > 0) || !math::is_finite(g.scale)) compile_error::grid_scale_must_be_positive_and_finite(g.scale);
  if (g.zero_point < int8_min || g.zero_point > int8_max)
    compile_error::grid_zero_point_must_be_in_int8_range(g.zero_point);
  return g;
}

// Nearest grid point of a real value, saturated to int8.
constexpr std::int8_t quantize(double real, Grid g) {
  const double q = math::round_half_away(real / g.scale) + g.zero_point;
  if (!(q >= int8_min)) return static_cast<std::int8_t>(int8_min);
  if (q > int8_max) return static_cast<std::int8_t>(int8_max);
  return static_cast<std::int8_t>(q);
}

// The int8 range an output may take after the activations folded into its requantizer.
struct ClampRange {
  std::int32_t qmin = int8_min;
  std::int32_t qmax = int8_max;
  constexpr ClampRange intersect(ClampRange other) const {
    return {qmin > other.qmin ? qmin : other.qmin, qmax < other.qmax ? qmax : other.qmax};
  }
  // v clamped to the range, as its int8 code: what a layer that computes its output value directly
  // (a pool's mean, a clamp) stores.
  constexpr std::int8_t code(std::int32_t v) const {
    return static_cast<std::int8_t>(v < qmin ? qmin : (v > qmax ? qmax : v));
  }
};

constexpr double dequantize(std::int32_t q, Grid g) { return g.scale * (q - g.zero_point); }

}  // namespace qpipe
