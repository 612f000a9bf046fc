// What elementwise layers and kernels share: any shape in, the same shape out, no parameters
// block, no multiply-accumulates.
#pragma once

#include <cstddef>

#include "qpipe/layer.hpp"
#include "qpipe/shape.hpp"

namespace qpipe::detail {

struct ElementwiseLayer {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = false;
  template <ShapeType In> static constexpr bool accepts = true;
  template <ShapeType In> using output_shape = In;
  template <ShapeType In> using params = NoParams;
};

template <std::size_t Size, std::size_t ParameterBytes>
struct ElementwiseKernel {
  static constexpr std::size_t input_size = Size;
  static constexpr std::size_t output_size = Size;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = ParameterBytes;
};

}  // namespace qpipe::detail
