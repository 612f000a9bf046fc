// What the merge layers share (Residual's add; Add, Mul and Concat of two branches): the
// diagnostics for branches whose shapes do not combine, TFLite's ADD quantized for two grids, and
// the float reference of an elementwise merge.
#pragma once

#include <cstddef>
#include <type_traits>

#include "qpipe/layer.hpp"
#include "qpipe/numerics/add.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/ops/add.hpp"
#include "qpipe/shape.hpp"

namespace qpipe::detail {

// Reported when the two branches of an elementwise merge end in different shapes: the merge's
// position and both shapes.
template <class At, class L, class First, class Second>
constexpr bool branches_end_in_one_shape() {
  if constexpr (std::is_same_v<First, Second>) {
    return true;
  } else {
    constexpr Sentence message = [] {
      Sentence s{};
      describe<At, L>(s) << ": its branches end in " << First{} << " and " << Second{}
                         << "; an elementwise merge takes two tensors of one shape";
      return s;
    }();
    return report<message>();
  }
}

// TFLite ADD of a tensor on grid a and one on grid b onto grid out: both rescaled onto a common
// grid (twice the larger scale, over 2^20) and summed, the sum requantized.
template <std::size_t Size, ClampLayer... Clamps>
consteval Quantized<ops::Add<Size>> quantize_add(Grid a, Grid b, Grid given_out) {
  const Grid out = checked(given_out);
  const double twice_max = 2 * (a.scale > b.scale ? a.scale : b.scale);
  ops::Add<Size> op{};
  op.arithmetic.rescale_a = operand_rescale(a.zero_point, a.scale, twice_max);
  op.arithmetic.rescale_b = operand_rescale(b.zero_point, b.scale, twice_max);
  // The sum's scale is twice_max / 2^20 (exact in double, as the division below).
  op.arithmetic.requantizer = requantizer_for(twice_max / (1 << add_left_shift), out, clamp_of<Clamps...>(out));
  return {op, out};
}

// The float function of an elementwise merge: v[out + i] = clamps(f(v[in + i], v[other + i])).
template <std::size_t Size, ClampLayer... Clamps, std::size_t N, class F>
constexpr void merge_elementwise(double (&v)[N], FloatSlots at, F f) {
  for (std::size_t i = 0; i < Size; ++i) v[at.out + i] = apply_clamps<Clamps...>(f(v[at.in + i], v[at.other + i]));
}

}  // namespace qpipe::detail
