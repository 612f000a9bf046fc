// The portable MEAN over height and width (TFLite MEAN on a 1 x H x W x C tensor, axes 1 and 2):
// one int32 sum per channel, then TFLite Micro's integer reference (reduce_common.cc,
// EvalIntegerMean). Two forms, chosen by the compiler from the grids as TFLite chooses at run time:
// - input and output on one grid: the sum of the codes divided by the pixel count in C++ integer
//   division (truncated towards zero), no requantization;
// - otherwise QuantizedMeanOrSum: the sum of offset codes times the multiplier input_scale /
//   output_scale folded with 1 / pixels, (multiplier << s) / pixels with s = min(floor(log2
//   pixels), 32, 31 + shift), and the shift lowered by s.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/fixed_point.hpp"

namespace qpipe::ops {

template <std::size_t Pixels, std::size_t C>
struct Mean {
  static constexpr std::size_t pixels = Pixels, channels = C;
  static constexpr std::size_t input_size = Pixels * C;
  static constexpr std::size_t output_size = C;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 28;  // offset, requantizer, form

  std::int32_t sum_offset;  // minus the input zero point times Pixels
  Requantizer requantizer;  // the folded multiplier, output zero point and clamp
  bool same_grid;           // the truncating form (only the requantizer's clamp is used)
};

}  // namespace qpipe::ops
