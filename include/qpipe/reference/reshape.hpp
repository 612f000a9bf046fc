// The reference reshape: a copy (run only when the reshape writes the network's output).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/reshape.hpp"

namespace qpipe::reference_ops {

// A copy, element by element in order: the output may lie exactly over the input.
template <std::size_t Size>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::Reshape<Size>*) {
  return {detail::unit_by_unit(Size, 1, 1)};
}

template <std::size_t Size>
constexpr void run(const ops::Reshape<Size>&, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t i = 0; i < Size; ++i) out[i] = in[i];
}

}  // namespace qpipe::reference_ops
