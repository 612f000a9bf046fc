// The reference add: TFLite's arithmetic (numerics/add.hpp) element by element.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/ops/add.hpp"

namespace qpipe::reference_ops {

template <std::size_t Size>
constexpr void run(const ops::Add<Size>& op, const std::int8_t* a, const std::int8_t* b, std::int8_t* out) {
  for (std::size_t i = 0; i < Size; ++i) out[i] = op.arithmetic(a[i], b[i]);
}

}  // namespace qpipe::reference_ops
