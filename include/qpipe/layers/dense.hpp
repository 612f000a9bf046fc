// QDense<Units>: a fully connected layer, TFLite FULLY_CONNECTED semantics. The input is read
// flat whatever its shape; weights are symmetric int8 with one scale for the whole tensor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"

namespace qpipe {

// Float parameters of a dense layer with Inputs inputs and Units outputs. Weights are laid out
// [unit][input], as TFLite and torch.nn.Linear store them.
template <std::size_t Inputs, std::size_t Units>
struct DenseParams {
  double weights[Units][Inputs];
  double bias[Units];
  Grid output;  // the grid of this layer's output (before any folded activation)
};

namespace detail {

// out[u] = requantize(bias[u] + sum_i w[u][i] * (in[i] - input_zero_point))
template <std::size_t Inputs, std::size_t Units>
struct DenseKernel {
  static constexpr std::size_t input_size = Inputs;
  static constexpr std::size_t output_size = Units;
  static constexpr std::size_t macs = Inputs * Units;
  static constexpr std::size_t parameter_bytes = Inputs * Units + 4 * Units;

  std::int32_t input_offset;  // minus the input zero point
  std::array<std::int8_t, Inputs * Units> weights;
  std::array<std::int32_t, Units> bias;
  Requantizer requantizer;

  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    for (std::size_t u = 0; u < Units; ++u) {
      std::int32_t acc = bias[u];
      const std::int8_t* w = &weights[u * Inputs];
      for (std::size_t i = 0; i < Inputs; ++i) {
        acc += std::int32_t{w[i]} * (std::int32_t{in[i]} + input_offset);
      }
      out[u] = requantizer(acc);
    }
  }
};

// Symmetric per-tensor weight scale: the largest magnitude maps to 127.
template <std::size_t Inputs, std::size_t Units>
consteval double symmetric_weight_scale(const double (&weights)[Units][Inputs]) {
  double largest = 0;
  for (const auto& row : weights) {
    for (double w : row) {
      if (!math::is_finite(w)) compile_error::weight_is_not_finite();
      largest = std::max(largest, math::abs(w));
    }
  }
  if (largest == 0) compile_error::weights_are_all_zero_so_their_scale_would_be_zero();
  return largest / 127.0;
}

consteval std::int8_t quantize_weight(double w, double scale) {
  const double q = math::round_half_away(w / scale);
  return static_cast<std::int8_t>(std::clamp(q, -127.0, 127.0));
}

// Biases live on the accumulator's grid, scale input_scale * weight_scale, zero point 0.
consteval std::int32_t quantize_bias(double b, double scale) {
  if (!math::is_finite(b)) compile_error::bias_is_not_finite();
  const double q = math::round_half_away(b / scale);
  if (q < -2147483648.0 || q > 2147483647.0) {
    compile_error::bias_does_not_fit_int32_at_input_scale_times_weight_scale(b);
  }
  return static_cast<std::int32_t>(q);
}

}  // namespace detail

template <std::size_t Units>
  requires(Units > 0)
struct QDense {
  static constexpr std::string_view kind = "QDense";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;

  template <ShapeType In> static constexpr bool accepts = true;  // read flat
  template <ShapeType In> using output_shape = Shape<Units>;
  template <ShapeType In> using params = DenseParams<In::size, Units>;

  template <ShapeType In, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const params<In>& p) {
    constexpr std::size_t inputs = In::size;
    const Grid out = checked(p.output);
    const double weight_scale = detail::symmetric_weight_scale(p.weights);
    const double accumulator_scale = in.scale * weight_scale;

    detail::DenseKernel<inputs, Units> k{};
    k.input_offset = -in.zero_point;
    for (std::size_t u = 0; u < Units; ++u) {
      for (std::size_t i = 0; i < inputs; ++i) {
        k.weights[u * inputs + i] = detail::quantize_weight(p.weights[u][i], weight_scale);
      }
      k.bias[u] = detail::quantize_bias(p.bias[u], accumulator_scale);
    }
    const QuantizedMultiplier m = quantize_multiplier(accumulator_scale / out.scale);
    ClampRange clamp{};
    ((clamp = clamp.intersect(Clamps::clamp_on(out))), ...);
    k.requantizer = {m.multiplier, m.shift, out.zero_point, clamp.qmin, clamp.qmax};
    return Quantized<decltype(k)>{k, out};
  }

  template <ShapeType In, ClampLayer... Clamps>
  static constexpr void reference(const params<In>& p, const double* in, double* out) {
    for (std::size_t u = 0; u < Units; ++u) {
      double acc = p.bias[u];
      for (std::size_t i = 0; i < In::size; ++i) acc += p.weights[u][i] * in[i];
      ((acc = Clamps::reference(acc)), ...);
      out[u] = acc;
    }
  }
};

}  // namespace qpipe
