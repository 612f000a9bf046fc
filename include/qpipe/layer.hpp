// What every layer of the vocabulary provides, so that Pipe can check a declaration once, at the
// point where the user writes it.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "qpipe/detail/diagnostic.hpp"
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

// "layer 3 (QConv2DPerChannel<3>)": where a layer sits (its index from 0 in the Pipe; a dot goes
// one level into a branch: 4.1 is the second layer of the branch of the Residual at 4, 2.0.1 the
// second layer of the first branch of the Add at 2) and what it is (its type, or its kind when
// the type is long, as a merge's with its branches).
template <class At> struct position_of;
template <std::size_t... Is>
struct position_of<layer_at<Is...>> {
  static constexpr void write(Sentence& s) {
    std::size_t n = 0;
    ((s << (n++ == 0 ? "" : ".") << Is), ...);
  }
};
template <class At, class L>
constexpr Sentence& describe(Sentence& s) {
  s << "layer ";
  position_of<At>::write(s);
  Sentence name{};
  append_type(name, type_name<L>());
  s << " (";
  // A merge's two-input step is a detail type; its kind names the merge ("Residual (add)").
  if (name.size() <= 72 && std::string_view{L::kind}.find(" (") == std::string_view::npos) {
    s << std::string_view{name.text, name.size()};
  } else {
    s << L::kind;
  }
  return s << ")";
}

// Reported when a parameter block's type is not the one its layer needs: the position, the block
// the layer expects here (its sizes from the input that reaches it) and the one given.
template <class At, class L, class Expected, class Given>
constexpr bool parameter_block_matches() {
  if constexpr (std::is_same_v<Expected, Given>) {
    return true;
  } else {
    constexpr Sentence message = [] {
      Sentence s{};
      describe<At, L>(s) << ": ";
      // The usual mistakes first, in the words of the layer.
      if constexpr (requires { Expected::input_channels + Given::input_channels; }) {
        if (Expected::input_channels != Given::input_channels)
          s << "the input has " << Expected::input_channels << " channels, its parameter block "
            << Given::input_channels << "; ";
      } else if constexpr (requires { Expected::inputs + Given::inputs; }) {
        if (Expected::inputs != Given::inputs)
          s << "the input has " << Expected::inputs << " values, its parameter block takes " << Given::inputs << "; ";
      } else if constexpr (requires { Expected::channels + Given::channels; }) {
        if (Expected::channels != Given::channels)
          s << "the input has " << Expected::channels << " channels, its parameter block " << Given::channels << "; ";
      }
      if constexpr (requires { Expected::kernel_height + Given::kernel_height; }) {
        if (Expected::kernel_height != Given::kernel_height || Expected::kernel_width != Given::kernel_width)
          s << "its kernel is " << Expected::kernel_height << " x " << Expected::kernel_width
            << ", its parameter block's " << Given::kernel_height << " x " << Given::kernel_width << "; ";
      }
      s << "the block must be a ";
      append_type(s, type_name<Expected>()) << ", the one given is a ";
      append_type(s, type_name<Given>());
      return s;
    }();
    return report<message>();
  }
}

template <ClampLayer... Clamps>
constexpr double apply_clamps(double x) {
  ((x = Clamps::reference(x)), ...);
  return x;
}
}  // namespace detail

}  // namespace qpipe
