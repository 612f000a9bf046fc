// The reference concatenation along channels: pixel by pixel, the first input's channels then the
// second's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/concatenation.hpp"

namespace qpipe::reference_ops {

// Pixel by pixel: once output pixel p has a byte written, only pixels p and later of either input
// are read; the arena planner relies on it to put the output over the front of either input.
template <std::size_t Pixels, std::size_t A, std::size_t B>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::Concatenation<Pixels, A, B>*) {
  return {detail::ReadFront{Pixels, A + B, Pixels, A, 1, 0}, detail::ReadFront{Pixels, A + B, Pixels, B, 1, 0}};
}

template <std::size_t Pixels, std::size_t A, std::size_t B>
constexpr void run(const ops::Concatenation<Pixels, A, B>&, const std::int8_t* a, const std::int8_t* b,
                   std::int8_t* out) {
  for (std::size_t p = 0; p < Pixels; ++p) {
    for (std::size_t c = 0; c < A; ++c) out[p * (A + B) + c] = a[p * A + c];
    for (std::size_t c = 0; c < B; ++c) out[p * (A + B) + A + c] = b[p * B + c];
  }
}

}  // namespace qpipe::reference_ops
