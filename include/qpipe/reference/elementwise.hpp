// The reference elementwise ops: a clamp pass, a table lookup, softmax (TFLite's fixed point,
// numerics/softmax.hpp). (Also what the Cortex-M0 runs.)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/numerics/lut.hpp"
#include "qpipe/numerics/softmax.hpp"
#include "qpipe/ops/elementwise.hpp"

namespace qpipe::reference_ops {

// Each loop below reads element i before it writes element i and reads no earlier element after
// it (softmax: a row's last pass, after the passes over that row), so the arena planner may put
// the output exactly over the input.
template <std::size_t Size>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::Clamp<Size>*) {
  return {detail::unit_by_unit(Size, 1, 1)};
}
template <std::size_t Size>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::Lookup<Size>*) {
  return {detail::unit_by_unit(Size, 1, 1)};
}
template <std::size_t Rows, std::size_t Depth>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::Softmax<Rows, Depth>*) {
  return {detail::unit_by_unit(Rows * Depth, 1, 1)};
}

template <std::size_t Size>
constexpr void run(const ops::Clamp<Size>& op, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t i = 0; i < Size; ++i) out[i] = op.range.code(in[i]);
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
