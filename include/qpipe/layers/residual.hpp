// Residual<Pipe<...>>: a skip connection. The branch runs on the residual's input and its result
// is added back to that input with TFLite ADD int8 semantics (both operands rescaled onto a
// common grid with 20 bits of headroom, summed, requantized onto the add's own output grid). A
// ReLU after the Residual folds into the add's clamp. Parameter blocks: the branch's, in order,
// then one ResidualParams for the add.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"

namespace qpipe {

struct ResidualParams {
  Grid output;  // the grid of the sum (before any folded activation)
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

// TFLite's headroom: operands are shifted left by 20 bits before rescaling, so rounding them onto
// the common grid loses nothing that matters for an int8 result.
inline constexpr int add_left_shift = 20;

// out = requantize_out(rescale_a((a - zp_a) << 20) + rescale_b((b - zp_b) << 20))
template <std::size_t Size>
struct AddKernel {
  static constexpr std::size_t input_size = Size;
  static constexpr std::size_t output_size = Size;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 44;  // two offsets, two multipliers, the requantizer

  std::int32_t offset_a, offset_b;  // minus the operands' zero points
  QuantizedMultiplier scale_a, scale_b;
  Requantizer requantizer;

  constexpr void operator()(const std::int8_t* a, const std::int8_t* b, std::int8_t* out) const {
    for (std::size_t i = 0; i < Size; ++i) {
      const std::int32_t shifted_a = (std::int32_t{a[i]} + offset_a) * (std::int32_t{1} << add_left_shift);
      const std::int32_t shifted_b = (std::int32_t{b[i]} + offset_b) * (std::int32_t{1} << add_left_shift);
      const std::int32_t sum = multiply_by_quantized_multiplier(shifted_a, scale_a.multiplier, scale_a.shift) +
                               multiply_by_quantized_multiplier(shifted_b, scale_b.multiplier, scale_b.shift);
      out[i] = requantizer(sum);
    }
  }
};

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
    AddKernel<In::size> k{};
    k.offset_a = -skip.zero_point;
    k.offset_b = -branch.zero_point;
    k.scale_a = quantize_multiplier(skip.scale / twice_max);
    k.scale_b = quantize_multiplier(branch.scale / twice_max);
    const QuantizedMultiplier m = quantize_multiplier(twice_max / ((1 << add_left_shift) * out.scale));
    const ClampRange clamp = clamp_of<Clamps...>(out);
    k.requantizer = {m.multiplier, m.shift, out.zero_point, clamp.qmin, clamp.qmax};
    return Quantized<decltype(k)>{k, out};
  }

  template <ShapeType In, class P, ClampLayer... Clamps>
  static constexpr void reference(const P&, const double* skip, const double* branch, double* out) {
    for (std::size_t i = 0; i < In::size; ++i) out[i] = apply_clamps<Clamps...>(skip[i] + branch[i]);
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
