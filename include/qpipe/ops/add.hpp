// The portable elementwise add of two int8 tensors (TFLite ADD: a Residual's add), target-neutral.
#pragma once

#include <cstddef>

#include "qpipe/numerics/add.hpp"

namespace qpipe::ops {

template <std::size_t Size>
struct Add {
  static constexpr std::size_t size = Size;
  static constexpr std::size_t input_size = Size;
  static constexpr std::size_t output_size = Size;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 44;  // two offsets, two multipliers, the requantizer

  TfliteAdd arithmetic;  // the two operands' rescales and the sum's requantizer (with the clamp)
};

}  // namespace qpipe::ops
