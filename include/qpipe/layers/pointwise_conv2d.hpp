// QPointwiseConv2D and QPointwiseConv2DPerChannel: 1 x 1 convolutions (MobileNet's expand and
// project), a per-pixel dense layer over the channels. Same op as QConv2D<1>; the block drops the
// two unit kernel dimensions.
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

// Weights [out][in]; weight_scale as for Conv2DParams.
template <std::size_t InC, std::size_t OutC, WeightElement Weight = double>
struct PointwiseConv2DParams {
  static constexpr std::size_t input_channels = InC;
  static constexpr std::size_t output_channels = OutC;
  using weight_type = Weight;
  Weight weights[OutC][InC];
  double bias[OutC];
  Grid output;
  double weight_scale[OutC]{};
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

template <std::size_t InC, class P> struct expected_pointwise_block {
  using type = PointwiseConv2DParams<InC, 1>;
};
template <std::size_t InC, std::size_t I, std::size_t O>
struct expected_pointwise_block<InC, PointwiseConv2DParams<I, O>> {
  using type = PointwiseConv2DParams<InC, O>;
};
template <std::size_t InC, std::size_t I, std::size_t O>
struct expected_pointwise_block<InC, PointwiseConv2DParams<I, O, std::int8_t>> {
  using type = PointwiseConv2DParams<InC, O, std::int8_t>;
};

template <class Self, WeightGranularity Granularity>
struct PointwiseConv2DLayer : ConvolutionLayer<Self, window_options<false, 1>(), Granularity> {
  template <std::size_t InC, class P>
  using block = typename expected_pointwise_block<InC, P>::type;
  template <class P>
  static constexpr auto weight(const P& p, std::size_t o, std::size_t, std::size_t, std::size_t i) {
    return p.weights[o][i];
  }
};

}  // namespace detail

struct QPointwiseConv2D : detail::PointwiseConv2DLayer<QPointwiseConv2D, WeightGranularity::per_tensor> {
  static constexpr std::string_view kind = "QPointwiseConv2D";
};

struct QPointwiseConv2DPerChannel
    : detail::PointwiseConv2DLayer<QPointwiseConv2DPerChannel, WeightGranularity::per_channel> {
  static constexpr std::string_view kind = "QPointwiseConv2DPerChannel";
};

}  // namespace qpipe
