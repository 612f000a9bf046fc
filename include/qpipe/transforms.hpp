// Float-parameter transforms the compiler applies before quantization (all consteval):
// - fold_batch_norm: a convolution or dense layer followed by batch normalization becomes one
//   layer (per output channel o, scale s = gamma / sqrt(variance + epsilon): w' = s w,
//   b' = s (b - mean) + beta).
// - equalize: cross-layer equalization of two consecutive layers through ReLU (or no activation):
//   output channel c of the first and input channel c of the second are rescaled by
//   s = sqrt(r1 / r2), r1 and r2 their largest |w|, which leaves both ranges at sqrt(r1 r2) and
//   the float function unchanged (ReLU(x / s) = ReLU(x) / s for s > 0).
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/layers/conv2d.hpp"
#include "qpipe/layers/dense.hpp"
#include "qpipe/layers/depthwise_conv2d.hpp"
#include "qpipe/layers/pointwise_conv2d.hpp"
#include "qpipe/numerics/constexpr_math.hpp"

namespace qpipe {

// Batch normalization over C channels, as torch.nn.BatchNorm2d stores it (running statistics).
template <std::size_t C>
struct BatchNorm {
  double gamma[C];
  double beta[C];
  double mean[C];
  double variance[C];
  double epsilon = 1e-5;
};

namespace detail {

// How a float block's weights are reached by output channel and by input channel: visit(p, c, f)
// calls f(weight&) for every weight of output channel c (or of input channel c).
template <class P> struct block_channels;

template <auto K, std::size_t InC, std::size_t OutC>
struct block_channels<Conv2DParams<K, InC, OutC>> {
  static constexpr std::size_t outputs = OutC, inputs = InC;
  template <class F> static constexpr void each_output_weight(Conv2DParams<K, InC, OutC>& p, std::size_t o, F f) {
    for (auto& row : p.weights[o])
      for (auto& col : row)
        for (auto& w : col) f(w);
  }
  template <class F> static constexpr void each_input_weight(Conv2DParams<K, InC, OutC>& p, std::size_t i, F f) {
    for (auto& out : p.weights)
      for (auto& row : out)
        for (auto& col : row) f(col[i]);
  }
};

template <std::size_t InC, std::size_t OutC>
struct block_channels<PointwiseConv2DParams<InC, OutC>> {
  static constexpr std::size_t outputs = OutC, inputs = InC;
  template <class F> static constexpr void each_output_weight(PointwiseConv2DParams<InC, OutC>& p, std::size_t o, F f) {
    for (auto& w : p.weights[o]) f(w);
  }
  template <class F> static constexpr void each_input_weight(PointwiseConv2DParams<InC, OutC>& p, std::size_t i, F f) {
    for (auto& out : p.weights) f(out[i]);
  }
};

template <std::size_t Inputs, std::size_t Units>
struct block_channels<DenseParams<Inputs, Units>> {
  static constexpr std::size_t outputs = Units, inputs = Inputs;
  template <class F> static constexpr void each_output_weight(DenseParams<Inputs, Units>& p, std::size_t o, F f) {
    for (auto& w : p.weights[o]) f(w);
  }
  template <class F> static constexpr void each_input_weight(DenseParams<Inputs, Units>& p, std::size_t i, F f) {
    for (auto& out : p.weights) f(out[i]);
  }
};

// A depthwise channel is both an output and an input channel.
template <auto K, std::size_t C>
struct block_channels<DepthwiseConv2DParams<K, C>> {
  static constexpr std::size_t outputs = C, inputs = C;
  template <class F> static constexpr void each_output_weight(DepthwiseConv2DParams<K, C>& p, std::size_t c, F f) {
    for (auto& row : p.weights)
      for (auto& col : row) f(col[c]);
  }
};

}  // namespace detail

// The block with batch normalization folded in (float weights only: int8 weights are final).
template <class P>
  requires requires { detail::block_channels<P>::outputs; }
consteval P fold_batch_norm(P p, const BatchNorm<detail::block_channels<P>::outputs>& bn) {
  for (std::size_t o = 0; o < detail::block_channels<P>::outputs; ++o) {
    const double v = bn.variance[o] + bn.epsilon;
    if (!(v > 0) || !math::is_finite(v)) compile_error::batch_norm_variance_plus_epsilon_must_be_positive_and_finite();
    const double s = bn.gamma[o] / math::sqrt(v);
    detail::block_channels<P>::each_output_weight(p, o, [&](double& w) { w *= s; });
    p.bias[o] = s * (p.bias[o] - bn.mean[o]) + bn.beta[o];
  }
  return p;
}

// Both blocks rescaled so that each channel between them has equal weight ranges on both sides.
// A channel whose weights are all zero on either side is left alone.
template <class First, class Second>
  requires(detail::block_channels<First>::outputs == detail::block_channels<Second>::inputs)
consteval std::pair<First, Second> equalize(First a, Second b) {
  using A = detail::block_channels<First>;
  using B = detail::block_channels<Second>;
  for (std::size_t c = 0; c < A::outputs; ++c) {
    double r1 = 0, r2 = 0;
    A::each_output_weight(a, c, [&](double& w) { r1 = math::abs(w) > r1 ? math::abs(w) : r1; });
    B::each_input_weight(b, c, [&](double& w) { r2 = math::abs(w) > r2 ? math::abs(w) : r2; });
    if (r1 == 0 || r2 == 0) continue;
    const double s = math::sqrt(r1 / r2);
    A::each_output_weight(a, c, [&](double& w) { w /= s; });
    a.bias[c] /= s;
    B::each_input_weight(b, c, [&](double& w) { w *= s; });
  }
  return {a, b};
}

}  // namespace qpipe
