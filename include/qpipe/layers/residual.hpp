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
#include "qpipe/numerics/fitted_add.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"
#include "qpipe/numerics/requantizer.hpp"

namespace qpipe {

struct ResidualParams {
  Grid output;  // the grid of the sum (before any folded activation)
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

namespace detail {

// TFLite's headroom: operands are shifted left by 20 bits before rescaling, so rounding them onto
// the common grid loses nothing that matters for an int8 result.
inline constexpr int add_left_shift = 20;

// One operand's rescale onto the common grid, TFLite's MultiplyByQuantizedMultiplier((x - zp) <<
// 20, M, -shift), in the form its small domain allows: v = x - zp has at most 9 bits, so with M =
// high 2^11 + low (low < 2^11) the doubling high multiply of v 2^20 by M is exactly
// floor((v M + 2^10) / 2^11) = v high + floor((v low + 2^10) / 2^11), two products inside int32
// instead of a 32 x 32 -> 64 bit one; then the rounding shift by `shift` >= 0 (ties away from
// zero: + 2^(shift-1), and - 1 for a negative value; nothing for shift 0). Equal to TFLite's for
// every int8 x (the residual tests compare all of them).
struct OperandRescale {
  std::int32_t offset;  // -zp
  std::int32_t high, low;
  std::int32_t shift, half;  // half = 2^(shift-1), 0 for shift 0

  constexpr std::int32_t operator()(std::int8_t x) const {
    const std::int32_t v = std::int32_t{x} + offset;
    const std::int32_t y = v * high + ((v * low + (1 << 10)) >> 11);
    return (y + half - (half != 0 && y < 0 ? 1 : 0)) >> shift;
  }
};

// TFLite's rescale constants for an operand of grid scale `scale` onto 2 * max_scale (the ratio is
// at most 1/2, so the multiplier's shift is 0 or below: no left shift).
consteval OperandRescale operand_rescale(std::int32_t zero_point, double scale, double twice_max) {
  const QuantizedMultiplier m = quantize_multiplier(scale / twice_max);
  const std::int32_t shift = -m.shift;
  return {-zero_point, m.multiplier >> 11, m.multiplier & ((1 << 11) - 1), shift, shift > 0 ? std::int32_t{1} << (shift - 1) : 0};
}

// TFLite's arithmetic: out = requantize_out(rescale_a((a - zp_a) << 20) + rescale_b((b - zp_b) << 20)).
struct TfliteAdd {
  OperandRescale rescale_a, rescale_b;
  Requantizer requantizer;

  constexpr std::int8_t operator()(std::int8_t a, std::int8_t b) const { return requantizer(rescale_a(a) + rescale_b(b)); }
};

// The same codes from the compiler's linear form (fitted_add.hpp), then the zero point and clamp.
struct FittedAddCode {
  FittedAdd form;
  OutputClamp clamp;

  constexpr std::int8_t operator()(std::int8_t a, std::int8_t b) const {
    return clamped_code(form(a, b), clamp.zero_point, clamp.qmin, clamp.qmax);
  }
};

template <std::size_t Size>
struct AddKernel {
  static constexpr std::size_t input_size = Size;
  static constexpr std::size_t output_size = Size;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 44;  // two offsets, two multipliers, the requantizer

  // One of the two: the fitted form where the compiler found one, else TFLite's arithmetic.
  bool fitted;
  union Arithmetic {
    TfliteAdd tflite{};
    FittedAddCode linear;
  } arithmetic;

  constexpr void operator()(const std::int8_t* a, const std::int8_t* b, std::int8_t* out) const {
    if (fitted) {
      for (std::size_t i = 0; i < Size; ++i) out[i] = arithmetic.linear(a[i], b[i]);
    } else {
      for (std::size_t i = 0; i < Size; ++i) out[i] = arithmetic.tflite(a[i], b[i]);
    }
  }
};

// The linear form of TFLite's add, if the compiler finds one: every operand code rescaled once.
consteval FittedAdd fitted_add_of(const TfliteAdd& t) {
  std::array<std::int32_t, 256> a{}, b{};
  for (int x = -128; x <= 127; ++x) {
    a[static_cast<std::size_t>(x + 128)] = t.rescale_a(static_cast<std::int8_t>(x));
    b[static_cast<std::size_t>(x + 128)] = t.rescale_b(static_cast<std::int8_t>(x));
  }
  const Requantizer& r = t.requantizer;
  return fit_add(a, b, r.multiplier, r.shift > 0 ? r.shift : 0, r.shift > 0 ? 0 : -r.shift, r.zero_point, r.qmin, r.qmax);
}

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
    TfliteAdd t{};
    t.rescale_a = operand_rescale(skip.zero_point, skip.scale, twice_max);
    t.rescale_b = operand_rescale(branch.zero_point, branch.scale, twice_max);
    // The sum's scale is twice_max / 2^20 (exact in double, as the division below).
    t.requantizer = requantizer_for(twice_max / (1 << add_left_shift), out, clamp_of<Clamps...>(out));
    const FittedAdd form = fitted_add_of(t);
    AddKernel<In::size> k{};
    k.fitted = form.ok;
    if (form.ok) {
      k.arithmetic.linear = {form, {t.requantizer.zero_point, t.requantizer.qmin, t.requantizer.qmax}};
    } else {
      k.arithmetic.tflite = t;
    }
    return Quantized<decltype(k)>{k, out};
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
