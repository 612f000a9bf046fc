// The portable zero padding (TFLite PAD): the padded cells hold the input's zero point.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qpipe::ops {

template <std::size_t H, std::size_t W, std::size_t C, std::size_t Top, std::size_t Bottom, std::size_t Left,
          std::size_t Right>
struct Pad {
  static constexpr std::size_t height = H, width = W, channels = C;
  static constexpr std::size_t top = Top, bottom = Bottom, left = Left, right = Right;
  static constexpr std::size_t out_height = H + Top + Bottom;
  static constexpr std::size_t out_width = W + Left + Right;
  static constexpr std::size_t input_size = H * W * C;
  static constexpr std::size_t output_size = out_height * out_width * C;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 1;

  std::int8_t fill;  // the input zero point
};

}  // namespace qpipe::ops
