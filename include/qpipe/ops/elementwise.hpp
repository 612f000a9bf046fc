// The portable elementwise ops: a clamp pass (ReLU, ReLU6 where no layer before takes them), a
// 256-entry table (sigmoid, tanh) and softmax over rows of Depth values.
#pragma once

#include <cstddef>

#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/lut.hpp"
#include "qpipe/numerics/softmax.hpp"

namespace qpipe::ops {

template <std::size_t Size, std::size_t ParameterBytes>
struct Elementwise {
  static constexpr std::size_t size = Size;
  static constexpr std::size_t input_size = Size;
  static constexpr std::size_t output_size = Size;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = ParameterBytes;
};

template <std::size_t Size>
struct Clamp : Elementwise<Size, 0> {
  ClampRange range;
};

// out[i] = table[in[i] + 128].
template <std::size_t Size>
struct Lookup : Elementwise<Size, 256> {
  Lut table;
};

// TFLite SOFTMAX (beta 1) over each row of Depth values.
template <std::size_t Rows, std::size_t Depth>
struct Softmax : Elementwise<Rows * Depth, sizeof(SoftmaxConstants)> {
  static constexpr std::size_t rows = Rows, depth = Depth;
  SoftmaxConstants constants;
};

}  // namespace qpipe::ops
