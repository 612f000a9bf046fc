// The portable reshape (TFLite RESHAPE, SQUEEZE, a flatten): the same bytes under another shape.
// A Model runs it only where it must produce the caller's output; elsewhere the steps after it
// read its input where it lies.
#pragma once

#include <cstddef>

namespace qpipe::ops {

template <std::size_t Size>
struct Reshape {
  static constexpr std::size_t input_size = Size;
  static constexpr std::size_t output_size = Size;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 0;
};

}  // namespace qpipe::ops
