// The portable elementwise product of two int8 tensors (TFLite MUL), target-neutral: the product
// of the two offset codes, requantized by real multiplier scale_a * scale_b / scale_out.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/fixed_point.hpp"

namespace qpipe::ops {

template <std::size_t Size>
struct Multiply {
  static constexpr std::size_t size = Size;
  static constexpr std::size_t input_size = Size;
  static constexpr std::size_t output_size = Size;
  static constexpr std::size_t macs = Size;
  static constexpr std::size_t parameter_bytes = 28;  // two offsets and the requantizer

  std::int32_t offset_a, offset_b;  // minus each operand's zero point
  Requantizer requantizer;          // with the output zero point and the clamp
};

}  // namespace qpipe::ops
