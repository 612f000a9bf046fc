// QConv2D<K, S> and QConv2DPerChannel<K, S>: a K x K convolution with stride S, TFLite CONV_2D
// semantics, VALID (put a QPad2D in front for padding). The two differ only in the weight scale:
// one for the whole tensor, or one per output channel. Output channels come from the block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/convolution.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/weights.hpp"

namespace qpipe {

// Float parameters of a K x K convolution from InC to OutC channels. Weights are laid out
// [out][ky][kx][in] (TFLite's OHWI; from torch's OIHW, permute(0, 2, 3, 1)). weight_scale: one per
// output channel, all equal for QConv2D; leave zero to derive (max |w| / 127), required for int8.
template <std::size_t K, std::size_t InC, std::size_t OutC, WeightElement Weight = double>
struct Conv2DParams {
  static constexpr std::size_t kernel_size = K;
  static constexpr std::size_t input_channels = InC;
  static constexpr std::size_t output_channels = OutC;
  using weight_type = Weight;
  Weight weights[OutC][K][K][InC];
  double bias[OutC];
  Grid output;  // the grid of this layer's output (before any folded activation)
  double weight_scale[OutC]{};
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

// The block a K x K layer expects for InC input channels, keeping the output channels and weight
// type of the block given (so that the diagnostic shows only what is wrong).
template <std::size_t K, std::size_t InC, class P> struct expected_conv2d_block {
  using type = Conv2DParams<K, InC, 1>;
};
template <std::size_t K, std::size_t InC, std::size_t K2, std::size_t I, std::size_t O>
struct expected_conv2d_block<K, InC, Conv2DParams<K2, I, O>> {
  using type = Conv2DParams<K, InC, O>;
};
template <std::size_t K, std::size_t InC, std::size_t K2, std::size_t I, std::size_t O>
struct expected_conv2d_block<K, InC, Conv2DParams<K2, I, O, std::int8_t>> {
  using type = Conv2DParams<K, InC, O, std::int8_t>;
};

template <class Self, std::size_t K, std::size_t S, WeightGranularity Granularity>
struct Conv2DLayer : ConvolutionLayer<Self, K, S, Granularity> {
  template <std::size_t InC, class P>
  using block = typename expected_conv2d_block<K, InC, P>::type;
  template <class P>
  static constexpr auto weight(const P& p, std::size_t o, std::size_t ky, std::size_t kx, std::size_t i) {
    return p.weights[o][ky][kx][i];
  }
};

}  // namespace detail

template <std::size_t K, std::size_t S = 1>
  requires(K > 0 && S > 0)
struct QConv2D : detail::Conv2DLayer<QConv2D<K, S>, K, S, WeightGranularity::per_tensor> {
  static constexpr std::string_view kind = "QConv2D";
};

template <std::size_t K, std::size_t S = 1>
  requires(K > 0 && S > 0)
struct QConv2DPerChannel : detail::Conv2DLayer<QConv2DPerChannel<K, S>, K, S, WeightGranularity::per_channel> {
  static constexpr std::string_view kind = "QConv2DPerChannel";
};

}  // namespace qpipe
