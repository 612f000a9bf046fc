// Concat<A, B, ...>: TFLite CONCATENATION along channels of branches run on the same input, e.g.
// an Inception-style block Concat<QConv2DPerChannel<1>, Pipe<QConv2DPerChannel<3, same>, QRelu>>.
// Each branch is a layer, a Pipe or Identity. The branches must end in images (or vectors) of the
// same size but for the channels, on one grid: TFLite's int8 kernel copies codes and refuses
// inputs whose scale or zero point differ from the output's, so a branch that ends elsewhere needs
// a QQuantize onto the others' grid. No parameter block of its own; no fused activation (TFLite
// has none for int8), so a ReLU after it runs as a step of its own. More than two branches
// concatenate left to right: Concat<A, B, C> is Concat<Concat<A, B>, C>.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/detail/merge.hpp"
#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/ops/concatenation.hpp"

namespace qpipe {

namespace detail {

template <ShapeType First, ShapeType Second>
consteval bool concatenable() {
  if constexpr (First::rank != Second::rank) {
    return false;
  } else {
    for (std::size_t d = 0; d + 1 < First::rank; ++d)
      if (First::dims[d] != Second::dims[d]) return false;
    return true;
  }
}

// Reported when the branches of a Concat end in shapes that differ in more than their channels.
template <class At, class L, class First, class Second>
constexpr bool branches_differ_only_in_channels() {
  if constexpr (concatenable<First, Second>()) {
    return true;
  } else {
    constexpr Sentence message = [] {
      Sentence s{};
      describe<At, L>(s) << ": its branches end in " << First{} << " and " << Second{}
                         << "; a Concat joins shapes that differ only in their last dimension, the channels";
      return s;
    }();
    return report<message>();
  }
}

template <ShapeType First, ShapeType Second, class Seq> struct concatenated;
template <ShapeType First, ShapeType Second, std::size_t... D>
struct concatenated<First, Second, std::index_sequence<D...>> {
  using type = Shape<First::dims[D]..., First::dims[First::rank - 1] + Second::dims[Second::rank - 1]>;
};

// The two-input step of a Concat.
struct ConcatMerge {
  static constexpr std::string_view kind = "Concat (merge)";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = false;
  static constexpr bool has_params = false;

  template <class At, ShapeType First, ShapeType Second>
  static constexpr bool check_shapes() {
    return branches_differ_only_in_channels<At, ConcatMerge, First, Second>();
  }
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }
  template <ShapeType First, ShapeType Second, class P>
  using merged_shape = typename concatenated<First, Second, std::make_index_sequence<First::rank - 1>>::type;

  template <ShapeType First, ShapeType Second, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid a, Grid b, const P&) {
    if (!(a == b))
      compile_error::concatenated_branches_must_end_on_one_grid_as_tflite_int8_requires_add_a_QQuantize(
          a.scale, a.zero_point, b.scale, b.zero_point);
    constexpr std::size_t channels_a = First::dims[First::rank - 1], channels_b = Second::dims[Second::rank - 1];
    return Quantized<ops::Concatenation<First::size / channels_a, channels_a, channels_b>>{{}, a};
  }
  template <ShapeType First, ShapeType Second, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    constexpr std::size_t A = First::dims[First::rank - 1], B = Second::dims[Second::rank - 1];
    for (std::size_t p = 0; p < First::size / A; ++p) {
      for (std::size_t c = 0; c < A; ++c) v[at.out + p * (A + B) + c] = v[at.in + p * A + c];
      for (std::size_t c = 0; c < B; ++c) v[at.out + p * (A + B) + A + c] = v[at.other + p * B + c];
    }
  }
};

}  // namespace detail

template <Layer First, Layer Second, Layer... More>
struct Concat : Concat<Concat<First, Second>, More...> {};

template <Layer First, Layer Second>
struct Concat<First, Second> {
  static constexpr std::string_view kind = "Concat";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = false;
  static constexpr bool has_params = false;
  using first_branch = First;
  using second_branch = Second;
  using merge_layer = detail::ConcatMerge;
};

}  // namespace qpipe
