// What table-driven layers share: a 256-entry table built by the compiler for the input grid, one
// load per element at run time. LutActivation: a fixed output grid (sigmoid, tanh). TableLayer: an
// output grid of the layer's own, in its parameter block, and any folded clamp in the table
// (QLeakyRelu, QHardSwish, QQuantize).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/detail/elementwise.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/lut.hpp"
#include "qpipe/ops/elementwise.hpp"

namespace qpipe::detail {

// Self provides `output_grid`, `static constexpr double function(double)` (the float reference) and
// `static consteval Lut table(Grid in)` (TFLite's table for an input grid, numerics/lut.hpp).
template <class Self>
struct LutActivation : ElementwiseLayer {
  template <ShapeType In, class P>
  static consteval auto quantize(Grid in, const P&) {
    return Quantized<ops::Lookup<In::size>>{{{}, Self::table(in)}, Self::output_grid};
  }
  template <ShapeType In, class P, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    for (std::size_t i = 0; i < In::size; ++i) v[at.out + i] = Self::function(v[at.in + i]);
  }
};

// Self provides `static constexpr double function(double, const Block&)` (the float reference) and
// `static consteval Lut table(Grid in, const Block&, ClampRange)` (TFLite's codes for the input
// grid and the block's output grid, clamped).
template <class Self, class Block>
struct TableLayer {
  using block_type = Block;
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;  // into the table
  static constexpr bool has_params = true;
  template <ShapeType In> static constexpr bool accepts = true;
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    return parameter_block_matches<At, Self, Block, P>();
  }
  template <ShapeType In, class P> using output_shape = In;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P& p) {
    const Grid out = checked(p.output);
    return Quantized<ops::Lookup<In::size>>{{{}, Self::table(in, p, clamp_of<Clamps...>(out))}, out};
  }
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P& p, double (&v)[N], FloatSlots at) {
    for (std::size_t i = 0; i < In::size; ++i) v[at.out + i] = apply_clamps<Clamps...>(Self::function(v[at.in + i], p));
  }
};

}  // namespace qpipe::detail
