// The reference product: TFLite MUL's arithmetic element by element.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/ops/mul.hpp"

namespace qpipe::reference_ops {

template <std::size_t Size>
constexpr void run(const ops::Multiply<Size>& op, const std::int8_t* a, const std::int8_t* b, std::int8_t* out) {
  for (std::size_t i = 0; i < Size; ++i) out[i] = op.requantizer((a[i] + op.offset_a) * (b[i] + op.offset_b));
}

}  // namespace qpipe::reference_ops
