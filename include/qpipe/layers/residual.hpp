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
#include <type_traits>

#include "qpipe/detail/merge.hpp"
#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"

namespace qpipe {

struct ResidualParams {
  Grid output;  // the grid of the sum (before any folded activation)
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

// Reported when a residual branch returns a different shape than it was given.
template <class At, class L, class SkipShape, class BranchShape>
constexpr bool branch_keeps_shape() {
  if constexpr (std::is_same_v<SkipShape, BranchShape>) {
    return true;
  } else {
    constexpr Sentence message = [] {
      Sentence s{};
      describe<At, L>(s) << ": its branch takes " << SkipShape{} << " and returns " << BranchShape{}
                         << "; a Residual adds the branch's result to its input, so the branch must keep the shape";
      return s;
    }();
    return report<message>();
  }
}

// The add at the end of a Residual: reads the residual's input (the skip) and the branch's result.
struct ResidualAdd {
  using block_type = ResidualParams;
  static constexpr std::string_view kind = "Residual (add)";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;

  template <class At, ShapeType Skip, ShapeType Branch>
  static constexpr bool check_shapes() {
    return branch_keeps_shape<At, ResidualAdd, Skip, Branch>();
  }
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    return parameter_block_matches<At, ResidualAdd, ResidualParams, P>();
  }
  template <ShapeType Skip, ShapeType Branch, class P> using merged_shape = Skip;

  template <ShapeType Skip, ShapeType Branch, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid skip, Grid branch, const P& p) {
    return quantize_add<Skip::size, Clamps...>(skip, branch, p.output);
  }

  template <ShapeType Skip, ShapeType Branch, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {  // at.in the skip, at.other the branch
    merge_elementwise<Skip::size, Clamps...>(v, at, [](double a, double b) { return a + b; });
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
