// Add<First, Second>: TFLite ADD of two branches run on the same input. Each branch is a layer, a
// Pipe, or Identity (the input itself), so ResNet-8's downsampling block is
//   Add<Pipe<QConv2DPerChannel<3, 2, same>, QRelu, QConv2DPerChannel<3, same>>, QConv2DPerChannel<1, 2>>
// Both operands are rescaled onto a common grid with 20 bits of headroom, summed and requantized
// onto the add's own output grid; a ReLU after the Add folds into its clamp. Parameter blocks: the
// first branch's, the second branch's, then one AddParams. (Residual<B> is Add<Identity, B> with
// its own block name.)
#pragma once

#include <cstddef>
#include <string_view>

#include "qpipe/detail/merge.hpp"
#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"

namespace qpipe {

struct AddParams {
  Grid output;          // the grid of the sum (before any folded activation)
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

// The two-input step of an Add.
struct AddMerge {
  using block_type = AddParams;
  static constexpr std::string_view kind = "Add (merge)";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;

  template <class At, ShapeType First, ShapeType Second>
  static constexpr bool check_shapes() {
    return branches_end_in_one_shape<At, AddMerge, First, Second>();
  }
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    return parameter_block_matches<At, AddMerge, AddParams, P>();
  }
  template <ShapeType First, ShapeType Second, class P> using merged_shape = First;

  template <ShapeType First, ShapeType Second, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid a, Grid b, const P& p) {
    return quantize_add<First::size, Clamps...>(a, b, p.output);
  }
  template <ShapeType First, ShapeType Second, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    merge_elementwise<First::size, Clamps...>(v, at, [](double x, double y) { return x + y; });
  }
};

}  // namespace detail

template <Layer First, Layer Second>
struct Add {
  static constexpr std::string_view kind = "Add";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;  // into the merge
  static constexpr bool has_params = false;    // the branches' layers and the merge have them
  using first_branch = First;
  using second_branch = Second;
  using merge_layer = detail::AddMerge;
};

}  // namespace qpipe
