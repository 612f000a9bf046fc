// QDensePerChannel<Units>: a fully connected layer with one weight scale per output unit (TFLite
// FULLY_CONNECTED with per-channel weights, what onnxruntime writes for a per-channel MatMul or
// Gemm). It is the 1 x 1 convolution of a 1 x 1 image whose channels are the flat input, so it
// takes that layer's block and kernel: weights [unit][input] in a
// DensePerChannelParams<Inputs, Units> (a PointwiseConv2DParams), weight_scale per unit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "qpipe/detail/convolution.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/layers/dense.hpp"
#include "qpipe/layers/pointwise_conv2d.hpp"
#include "qpipe/numerics/weights.hpp"

namespace qpipe {

template <std::size_t Inputs, std::size_t Units, WeightElement Weight = double>
using DensePerChannelParams = PointwiseConv2DParams<Inputs, Units, Weight>;

namespace detail {

// The block QDensePerChannel<Units> expects for Inputs inputs, keeping the weight type given.
template <std::size_t Inputs, std::size_t Units, class P> struct expected_dense_per_channel_block {
  using type = DensePerChannelParams<Inputs, Units>;
};
template <std::size_t Inputs, std::size_t Units, std::size_t I, std::size_t O>
struct expected_dense_per_channel_block<Inputs, Units, PointwiseConv2DParams<I, O, std::int8_t>> {
  using type = DensePerChannelParams<Inputs, Units, std::int8_t>;
};

struct DenseWeights {  // the [unit][input] weights seen as a 1 x 1 kernel
  template <class P>
  static constexpr auto weight(const P& p, std::size_t o, std::size_t, std::size_t, std::size_t i) {
    return p.weights[o][i];
  }
};

}  // namespace detail

template <std::size_t Units>
  requires(Units > 0)
struct QDensePerChannel : detail::FullyConnectedLayer<Units> {
  static constexpr std::string_view kind = "QDensePerChannel";
  static constexpr WeightGranularity weight_granularity = WeightGranularity::per_channel;
  // The input read flat: a 1 x 1 image whose channels are the values.
  template <ShapeType In> static constexpr ops::Window flat_window = ops::valid_window(1, 1, In::size, 1, 1, 1, 1);

  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    using expected = typename detail::expected_dense_per_channel_block<In::size, Units, P>::type;
    return detail::parameter_block_matches<At, QDensePerChannel, expected, P>();
  }

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P& p) {
    return detail::quantize_convolution<flat_window<In>, Units, WeightGranularity::per_channel, detail::DenseWeights, P,
                                        Clamps...>(in, p);
  }
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P& p, double (&values)[N], FloatSlots at) {
    detail::convolution_reference<flat_window<In>, Units, detail::DenseWeights, P, Clamps...>(p, values, at);
  }
};

}  // namespace qpipe
