// The reference elementwise ops: a clamp pass, a table lookup, softmax (TFLite's fixed point,
// numerics/softmax.hpp). (Also what the Cortex-M0 runs.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/lut.hpp"
#include "qpipe/numerics/softmax.hpp"
#include "qpipe/ops/elementwise.hpp"

namespace qpipe::reference_ops {

template <std::size_t Size>
constexpr void run(const ops::Clamp<Size>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t i = 0; i < Size; ++i) {
    const std::int32_t q = in[i];
    out[i] = static_cast<std::int8_t>(q < op.range.qmin ? op.range.qmin : (q > op.range.qmax ? op.range.qmax : q));
  }
}

template <std::size_t Size>
constexpr void run(const ops::Lookup<Size>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t i = 0; i < Size; ++i) out[i] = op.table[lut_index(in[i])];
}

template <std::size_t Rows, std::size_t Depth>
constexpr void run(const ops::Softmax<Rows, Depth>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t r = 0; r < Rows; ++r) softmax_row(in + r * Depth, out + r * Depth, Depth, op.constants);
}

}  // namespace qpipe::reference_ops
