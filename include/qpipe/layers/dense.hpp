// QDense<Units>: a fully connected layer, TFLite FULLY_CONNECTED semantics. The input is read
// flat whatever its shape; weights are symmetric int8 with one scale for the whole tensor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "qpipe/detail/dot.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/weights.hpp"

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

// out[u] = requantize(bias[u] + sum_i w[u][i] * (in[i] - input_zero_point)), with the zero-point
// term folded into the bias by the compiler (see ConvKernel). One requantizer for the tensor
// (fitted to the union of the units' accumulator ranges where a fit exists).
template <std::size_t Inputs, std::size_t Units, bool TwoSided = false>
struct DenseKernel {
  static constexpr std::size_t input_size = Inputs;
  static constexpr std::size_t output_size = Units;
  static constexpr std::size_t macs = Inputs * Units;
  static constexpr std::size_t parameter_bytes = Inputs * Units + 4 * Units;

  std::array<std::int8_t, Inputs * Units> weights;
  std::array<std::int32_t, Units> bias;  // with the input zero-point term folded in
  ChannelRequantizer<1, TwoSided> requantizer;

  // Beyond 16 weights neither loop is unrolled: unrolled, GCC turns every constant weight into
  // shifts and adds (800 bytes of code for ResNet's 8 x 4 head), and a dense head is a few hundred
  // cycles of a network whose code is flash. Up to 16 (XOR's layers) the unrolled code is smaller
  // than the loops, and twice as fast.
  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    if constexpr (Inputs * Units <= 16) {
      for (std::size_t u = 0; u < Units; ++u) out[u] = requantizer(bias[u] + dot<Inputs>(&weights[u * Inputs], in), 0);
    } else {
#pragma GCC unroll 1
      for (std::size_t u = 0; u < Units; ++u) {
        std::int32_t acc = bias[u];
        const std::int8_t* w = &weights[u * Inputs];
#pragma GCC unroll 1
        for (std::size_t i = 0; i < Inputs; ++i) acc += std::int32_t{w[i]} * std::int32_t{in[i]};
        out[u] = requantizer(acc, 0);
      }
    }
  }
};

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
    detail::DenseKernel<inputs, Units, two_sided> k{};
    std::array<AccumulatorRange, 1> range{};
    for (std::size_t u = 0; u < Units; ++u) {
      ChannelWeightSums sums{};
      for (std::size_t i = 0; i < inputs; ++i) {
        const std::int8_t w = quantize_weight(p.weights[u][i], weight_scale);
        k.weights[u * inputs + i] = w;
        sums.add(w);
      }
      k.bias[u] = folded_bias(quantize_bias(p.bias[u], accumulator_scale), in.zero_point, sums);
      const AccumulatorRange r = accumulator_range(k.bias[u], sums.sum, sums.absolute_sum);
      range[0] = u == 0 ? r : range[0].spanning(r);
    }
    k.requantizer = channel_requantizer_for<two_sided>(std::array<double, 1>{accumulator_scale}, out,
                                                       detail::clamp_of<Clamps...>(out), range);
    return Quantized<decltype(k)>{k, out};
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
