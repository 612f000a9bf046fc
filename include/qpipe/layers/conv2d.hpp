// QConv2D<Options...> and QConv2DPerChannel<Options...>: TFLite CONV_2D. The options name the
// window (qpipe/options.hpp): QConv2D<3, 2> is a 3 x 3 kernel with stride 2, VALID;
// QConv2DPerChannel<kernel(10, 4), stride(2), same> a 10 x 4 kernel, stride 2, SAME padding
// computed in the layer. The two differ only in the weight scale: one for the whole tensor, or
// one per output channel. Output channels come from the block.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "qpipe/detail/convolution.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/weights.hpp"
#include "qpipe/options.hpp"

namespace qpipe {

namespace detail {
// A block's kernel: an integer K (K x K) or kernel(h, w).
template <auto Kernel>
concept BlockKernel = (std::integral<decltype(Kernel)> && !std::same_as<decltype(Kernel), bool> && (Kernel > 0)) ||
                      std::same_as<std::remove_cvref_t<decltype(Kernel)>, Kernel2D>;  // a class-type argument is const
template <auto Kernel>
consteval Kernel2D kernel_dims() {
  if constexpr (std::same_as<std::remove_cvref_t<decltype(Kernel)>, Kernel2D>) {
    return Kernel;
  } else {
    return {static_cast<std::size_t>(Kernel), static_cast<std::size_t>(Kernel)};
  }
}
}  // namespace detail

// Float parameters of a convolution from InC to OutC channels; Kernel is an integer K (K x K) or
// kernel(h, w). Weights are laid out [out][ky][kx][in] (TFLite's OHWI; from torch's OIHW,
// permute(0, 2, 3, 1)). weight_scale: one per output channel, all equal for QConv2D; leave zero to
// derive (max |w| / 127), required for int8.
template <auto Kernel, std::size_t InC, std::size_t OutC, WeightElement Weight = double>
  requires detail::BlockKernel<Kernel>
struct Conv2DParams {
  static constexpr std::size_t kernel_height = detail::kernel_dims<Kernel>().height;
  static constexpr std::size_t kernel_width = detail::kernel_dims<Kernel>().width;
  static constexpr std::size_t input_channels = InC;
  static constexpr std::size_t output_channels = OutC;
  using weight_type = Weight;
  Weight weights[OutC][kernel_height][kernel_width][InC];
  double bias[OutC];
  Grid output;  // the grid of this layer's output (before any folded activation)
  double weight_scale[OutC]{};
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

// The kernel a block for window options O is written with: the block's own spelling where it has
// the right size (an integer K or kernel(K, K) for a square kernel), else kernel(h, w) (so that the
// diagnostic shows only what is wrong).
template <WindowOptions O, auto GivenKernel>
consteval auto expected_kernel() {
  if constexpr (kernel_dims<GivenKernel>() == O.kernel) {
    return GivenKernel;
  } else if constexpr (O.kernel.height == O.kernel.width &&
                       !std::same_as<std::remove_cvref_t<decltype(GivenKernel)>, Kernel2D>) {
    return static_cast<decltype(GivenKernel)>(O.kernel.height);
  } else {
    return O.kernel;
  }
}

// The block a layer with options O expects for InC input channels, keeping the output channels and
// weight type of the block given.
template <WindowOptions O, std::size_t InC, class P> struct expected_conv2d_block {
  using type = Conv2DParams<O.kernel, InC, 1>;
};
template <WindowOptions O, std::size_t InC, auto K, std::size_t I, std::size_t Out, class W>
struct expected_conv2d_block<O, InC, Conv2DParams<K, I, Out, W>> {
  using type = Conv2DParams<expected_kernel<O, K>(), InC, Out, W>;
};

template <class Self, WindowOptions O, WeightGranularity Granularity>
struct Conv2DLayer : ConvolutionLayer<Self, O, Granularity> {
  template <std::size_t InC, class P>
  using block = typename expected_conv2d_block<O, InC, P>::type;
  template <class P>
  static constexpr auto weight(const P& p, std::size_t o, std::size_t ky, std::size_t kx, std::size_t i) {
    return p.weights[o][ky][kx][i];
  }
};

}  // namespace detail

template <auto... Options>
struct QConv2D : detail::Conv2DLayer<QConv2D<Options...>, detail::window_options<false, Options...>(),
                                     WeightGranularity::per_tensor> {
  static constexpr std::string_view kind = "QConv2D";
};

template <auto... Options>
struct QConv2DPerChannel
    : detail::Conv2DLayer<QConv2DPerChannel<Options...>, detail::window_options<false, Options...>(),
                          WeightGranularity::per_channel> {
  static constexpr std::string_view kind = "QConv2DPerChannel";
};

}  // namespace qpipe
