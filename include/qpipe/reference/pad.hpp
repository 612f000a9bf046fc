// The reference zero padding.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"
#include "qpipe/ops/pad.hpp"

namespace qpipe::reference_ops {

// The loop below runs the output rows in order, and output row y reads input row y - Top only:
// the arena planner relies on it to put the output over the input's front.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t Top, std::size_t Bottom, std::size_t Left,
          std::size_t Right>
constexpr std::array<detail::ReadFront, 2> read_fronts(const ops::Pad<H, W, C, Top, Bottom, Left, Right>*) {
  using Op = ops::Pad<H, W, C, Top, Bottom, Left, Right>;
  return {detail::window_rows(Op::out_height, Op::out_width * C, H, W * C, 1, Top)};
}

template <std::size_t H, std::size_t W, std::size_t C, std::size_t Top, std::size_t Bottom, std::size_t Left,
          std::size_t Right>
constexpr void run(const ops::Pad<H, W, C, Top, Bottom, Left, Right>& op, const std::int8_t* in, std::int8_t* out) {
  using Op = ops::Pad<H, W, C, Top, Bottom, Left, Right>;
  for (std::size_t y = 0; y < Op::out_height; ++y) {
    for (std::size_t x = 0; x < Op::out_width; ++x) {
      const bool inside = y >= Top && y < Top + H && x >= Left && x < Left + W;
      for (std::size_t c = 0; c < C; ++c) {
        out[(y * Op::out_width + x) * C + c] = inside ? in[((y - Top) * W + (x - Left)) * C + c] : op.fill;
      }
    }
  }
}

}  // namespace qpipe::reference_ops
