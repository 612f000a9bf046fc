// The portable concatenation of two int8 images along channels (TFLite CONCATENATION, axis -1):
// every pixel's ChannelsA codes of the first, then ChannelsB of the second. For int8 TFLite
// requires both inputs and the output on one grid, so the codes are copied as they are.
#pragma once

#include <cstddef>

namespace qpipe::ops {

template <std::size_t Pixels, std::size_t ChannelsA, std::size_t ChannelsB>
struct Concatenation {
  static constexpr std::size_t pixels = Pixels, channels_a = ChannelsA, channels_b = ChannelsB;
  static constexpr std::size_t input_size = Pixels * ChannelsA;  // the first input; the second has Pixels * ChannelsB
  static constexpr std::size_t output_size = Pixels * (ChannelsA + ChannelsB);
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 0;
};

}  // namespace qpipe::ops
