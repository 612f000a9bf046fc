// QDense<Units>: a fully connected layer, TFLite FULLY_CONNECTED semantics. The input is read
// flat whatever its shape; weights are symmetric int8 with one scale for the whole tensor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "qpipe/layer.hpp"
#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/tflite_float.hpp"
#include "qpipe/numerics/weights.hpp"
#include "qpipe/ops/fully_connected.hpp"

namespace qpipe {

// Float parameters of a dense layer with Inputs inputs and Units outputs. Weights are laid out
// [unit][input], as TFLite and torch.nn.Linear store them. With int8 weights, weight_scale must
// be given; with float weights it may be (0: max |w| / 127).
template <std::size_t Inputs, std::size_t Units, WeightElement Weight = double>
struct DenseParams {
  static constexpr std::size_t inputs = Inputs;
  static constexpr std::size_t units = Units;
  using weight_type = Weight;
  Weight weights[Units][Inputs];
  double bias[Units];
  Grid output;  // the grid of this layer's output (before any folded activation)
  double weight_scale = 0;
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

template <class P> inline constexpr bool is_dense_params = false;
template <std::size_t I, std::size_t U, class W> inline constexpr bool is_dense_params<DenseParams<I, U, W>> = true;

// What QDense and QDensePerChannel share: a layer with parameters that reads its input flat,
// writes Units values and takes a following clamp into its requantization.
template <std::size_t Units>
struct FullyConnectedLayer {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;

  template <ShapeType In> static constexpr bool accepts = true;  // read flat
  template <ShapeType In, class P> using output_shape = Shape<Units>;
};

}  // namespace detail

template <std::size_t Units>
  requires(Units > 0)
struct QDense : detail::FullyConnectedLayer<Units> {
  static constexpr std::string_view kind = "QDense";
  static constexpr WeightGranularity weight_granularity = WeightGranularity::per_tensor;

  // The block must be a DenseParams for In::size inputs and Units outputs (either weight type).
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    if constexpr (detail::is_dense_params<P> && std::is_same_v<typename P::weight_type, std::int8_t>) {
      return detail::parameter_block_matches<At, QDense, DenseParams<In::size, Units, std::int8_t>, P>();
    } else {
      return detail::parameter_block_matches<At, QDense, DenseParams<In::size, Units>, P>();
    }
  }

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P& p) {
    constexpr std::size_t inputs = In::size;
    const Grid out = checked(p.output);
    detail::WeightStats<1> stats{};
    for (const auto& row : p.weights) {
      for (auto w : row) stats.add(0, w);
    }
    const double given[1] = {p.weight_scale};
    const double weight_scale = weight_scales<typename P::weight_type>(stats, given, WeightGranularity::per_tensor)[0];
    const double accumulator_scale = in.scale * weight_scale;

    constexpr bool two_sided = sizeof...(Clamps) == 0;  // no activation: the output may go below its zero point
    ops::FullyConnected<inputs, Units, two_sided> op{};
    op.input_zero_point = in.zero_point;
    for (std::size_t u = 0; u < Units; ++u) {
      ChannelWeightSums sums{};
      for (std::size_t i = 0; i < inputs; ++i) {
        const std::int8_t w = quantize_weight(p.weights[u][i], weight_scale);
        op.weights[u * inputs + i] = w;
        sums.add(w);
      }
      op.bias[u] = quantize_bias(p.bias[u], accumulator_scale);
      const AccumulatorRange r =
          accumulator_range(folded_bias(op.bias[u], in.zero_point, sums), sums.sum, sums.absolute_sum);
      op.range[0] = u == 0 ? r : op.range[0].spanning(r);
    }
    // TFLite's per-tensor FULLY_CONNECTED multiplies input and weight scale in float (tflite_float.hpp).
    const double product_scale = tflite_float::fully_connected_product_scale(in.scale, weight_scale);
    op.requantization = requantization_for(std::array<double, 1>{product_scale}, out, detail::clamp_of<Clamps...>(out));
    return Quantized<decltype(op)>{op, out};
  }

  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P& p, double (&v)[N], FloatSlots at) {
    double w[Units][In::size]{};
    for (std::size_t u = 0; u < Units; ++u)
      for (std::size_t i = 0; i < In::size; ++i) w[u][i] = real_weight(p.weights[u][i], p.weight_scale);
    for (std::size_t u = 0; u < Units; ++u) {
      double acc = p.bias[u];
      for (std::size_t i = 0; i < In::size; ++i) acc += w[u][i] * v[at.in + i];
      v[at.out + u] = detail::apply_clamps<Clamps...>(acc);
    }
  }
};

}  // namespace qpipe
