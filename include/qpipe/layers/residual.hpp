// Residual<Pipe<...>>: a skip connection. The branch runs on the residual's input and its result
// is added back to that input with TFLite ADD int8 semantics (both operands rescaled onto a
// common grid with 20 bits of headroom, summed, requantized onto the add's own output grid). A
// ReLU after the Residual folds into the add's clamp. Parameter blocks: the branch's, in order,
// then one ResidualParams for the add.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/add.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/ops/add.hpp"

namespace qpipe {

struct ResidualParams {
  Grid output;  // the grid of the sum (before any folded activation)
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

// The add at the end of a Residual: reads the residual's input (the skip) and the branch's result.
struct ResidualAdd {
  static constexpr std::string_view kind = "Residual (add)";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;

  template <ShapeType In> static constexpr bool accepts = true;
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    return parameter_block_matches<At, ResidualAdd, ResidualParams, P>();
  }
  template <ShapeType In, class P> using output_shape = In;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid skip, Grid branch, const P& p) {
    const Grid out = checked(p.output);
    const double twice_max = 2 * (skip.scale > branch.scale ? skip.scale : branch.scale);
    ops::Add<In::size> op{};
    op.arithmetic.rescale_a = operand_rescale(skip.zero_point, skip.scale, twice_max);
    op.arithmetic.rescale_b = operand_rescale(branch.zero_point, branch.scale, twice_max);
    // The sum's scale is twice_max / 2^20 (exact in double, as the division below).
    op.arithmetic.requantizer = requantizer_for(twice_max / (1 << add_left_shift), out, clamp_of<Clamps...>(out));
    return Quantized<decltype(op)>{op, out};
  }

  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {  // at.in the skip, at.other the branch
    for (std::size_t i = 0; i < In::size; ++i) v[at.out + i] = apply_clamps<Clamps...>(v[at.in + i] + v[at.other + i]);
  }
};

}  // namespace detail

template <PipeType Branch>
struct Residual {
  static constexpr std::string_view kind = "Residual";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;  // into the add
  static constexpr bool has_params = false;    // the branch's layers and the add have them
  using branch = Branch;
  using add_layer = detail::ResidualAdd;
};

}  // namespace qpipe
