// Mul<First, Second>: TFLite MUL of two branches run on the same input (a gate, as in
// squeeze-and-excitation or GLU blocks, when both end in the same shape). out = clamp(zp_out +
// requantize((a - zp_a) (b - zp_b))), the multiplier scale_a * scale_b / scale_out in double as
// TFLite computes it. A ReLU after the Mul folds into its clamp. Parameter blocks: the first
// branch's, the second branch's, then one MulParams.
#pragma once

#include <cstddef>
#include <string_view>

#include "qpipe/detail/merge.hpp"
#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/ops/mul.hpp"

namespace qpipe {

struct MulParams {
  Grid output;          // the grid of the product (before any folded activation)
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

// The two-input step of a Mul.
struct MulMerge {
  using block_type = MulParams;
  static constexpr std::string_view kind = "Mul (merge)";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;

  template <class At, ShapeType First, ShapeType Second>
  static constexpr bool check_shapes() {
    return branches_end_in_one_shape<At, MulMerge, First, Second>();
  }
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    return parameter_block_matches<At, MulMerge, MulParams, P>();
  }
  template <ShapeType First, ShapeType Second, class P> using merged_shape = First;

  template <ShapeType First, ShapeType Second, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid a, Grid b, const P& p) {
    const Grid out = checked(p.output);
    ops::Multiply<First::size> op{};
    op.offset_a = -a.zero_point;
    op.offset_b = -b.zero_point;
    op.requantizer = requantizer_for(a.scale * b.scale, out, clamp_of<Clamps...>(out));
    return Quantized<ops::Multiply<First::size>>{op, out};
  }
  template <ShapeType First, ShapeType Second, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    merge_elementwise<First::size, Clamps...>(v, at, [](double x, double y) { return x * y; });
  }
};

}  // namespace detail

template <Layer First, Layer Second>
struct Mul {
  static constexpr std::string_view kind = "Mul";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;  // into the merge
  static constexpr bool has_params = false;    // the branches' layers and the merge have them
  using first_branch = First;
  using second_branch = Second;
  using merge_layer = detail::MulMerge;
};

}  // namespace qpipe
