// The reference add: TFLite's arithmetic (numerics/add.hpp) element by element.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/add.hpp"

namespace qpipe::reference_ops {

// Element i of both inputs is read before element i is written, and no earlier one after: the
// arena planner may put the output exactly over either input.
template <std::size_t Size>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::Add<Size>*) {
  return {detail::unit_by_unit(Size, 1, 1), detail::unit_by_unit(Size, 1, 1)};
}

template <std::size_t Size>
constexpr void run(const ops::Add<Size>& op, const std::int8_t* a, const std::int8_t* b, std::int8_t* out) {
  for (std::size_t i = 0; i < Size; ++i) out[i] = op.arithmetic(a[i], b[i]);
}

}  // namespace qpipe::reference_ops
