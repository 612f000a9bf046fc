// What every layer of the vocabulary provides, so that Pipe can check a declaration once, at the
// point where the user writes it.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "qpipe/numerics/grid.hpp"
#include "qpipe/shape.hpp"

namespace qpipe {

// The parameter block of a layer that has none (activations, pooling, padding).
struct NoParams {
  friend constexpr bool operator==(const NoParams&, const NoParams&) = default;
};

// The integer result of quantizing one layer: its portable op (ops/) and the grid its output lies
// on. A backend then lowers the op into the kernel it runs.
template <class Op>
struct Quantized {
  Op op;
  Grid output;
};

// Where a layer sits in the user's declaration: its index in the Pipe, then (inside a
// Residual) its index in the branch, and so on. Diagnostics print it.
template <std::size_t... Indices>
struct layer_at {};

// A layer of the vocabulary. Besides these members a layer provides, for an input shape In and
// its parameter block P (NoParams when has_params is false):
//   accepts<In>                      can it take that shape at all
//   check_params<At, In, P>()       static_asserts naming the mismatch between P and the layer
//   output_shape<In, P>
//   quantize<In, P, Clamps...>(Grid, const P&) -> Quantized<Op>       (consteval; Op from ops/)
//   reference<In, P, Clamps...>(const P&, double (&values)[N], FloatSlots at)
//                                    the float function: reads values[at.in ...] (and, for a
//                                    two-input step, values[at.other ...]), writes values[at.out ...]
template <class L>
concept Layer = requires {
  { L::kind } -> std::convertible_to<std::string_view>;
  { L::is_clamp } -> std::convertible_to<bool>;
  { L::absorbs_clamp } -> std::convertible_to<bool>;
  { L::has_params } -> std::convertible_to<bool>;
};

// A layer whose only effect on the grid is to clamp it (ReLU, ReLU6).
template <class L>
concept ClampLayer = Layer<L> && L::is_clamp && requires(Grid g) {
  { L::clamp_on(g) } -> std::same_as<ClampRange>;
  { L::reference(0.0) } -> std::same_as<double>;
};

// Where a step's float buffers sit in the flat array of doubles its reference reads and writes:
// the input, the second input of a two-input step, the output. The references index that one
// built-in array rather than walk pointers: in GCC's constant evaluator, where calibration runs
// them, a pointer access costs about 2.5 times the memory and 3 times the time of an index.
struct FloatSlots {
  std::size_t in = 0, other = 0, out = 0;
};

namespace detail {
// The clamp range of a chain of folded activations on an output grid.
template <ClampLayer... Clamps>
constexpr ClampRange clamp_of([[maybe_unused]] Grid out) {
  ClampRange clamp{};
  ((clamp = clamp.intersect(Clamps::clamp_on(out))), ...);
  return clamp;
}

// Reported when a parameter block's type is not the one its layer needs; the instantiation line
// names the layer's position, its kind, the block it expects (with the sizes) and the one given.
template <class At, class L, class Expected, class Given>
constexpr bool parameter_block_matches() {
  static_assert(std::is_same_v<Expected, Given>,
                "qpipe::spec: a parameter block does not fit its layer (see At, L, Expected and "
                "Given in the instantiation above)");
  return std::is_same_v<Expected, Given>;
}

template <ClampLayer... Clamps>
constexpr double apply_clamps(double x) {
  ((x = Clamps::reference(x)), ...);
  return x;
}
}  // namespace detail

}  // namespace qpipe
