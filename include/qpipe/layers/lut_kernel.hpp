// The kernel shared by table-driven activations: one load per element.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/detail/elementwise.hpp"
#include "qpipe/numerics/lut.hpp"

namespace qpipe::detail {

template <std::size_t Size>
struct LutKernel : ElementwiseKernel<Size, 256> {
  Lut table;

  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const {
    for (std::size_t i = 0; i < Size; ++i) out[i] = table[lut_index(in[i])];
  }
};

}  // namespace qpipe::detail
