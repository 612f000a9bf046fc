// The inner loops of the multiply-accumulate kernels: dot products of int8 vectors whose length
// (and stride) the compiler knows, so that it can unroll them. The input zero point is not
// subtracted here: the compiler folds -input_zero_point * sum(w) into each bias.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qpipe::detail {

// sum_i w[i] * x[i * Stride]
template <std::size_t N, std::size_t Stride = 1>
constexpr std::int32_t dot(const std::int8_t* w, const std::int8_t* x) {
  std::int32_t acc = 0;
#pragma GCC unroll 8
  for (std::size_t i = 0; i < N; ++i) acc += std::int32_t{w[i * Stride]} * std::int32_t{x[i * Stride]};
  return acc;
}

}  // namespace qpipe::detail
