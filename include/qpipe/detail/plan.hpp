// Type-level planning of a Pipe: which layers fold into which, the shape entering each step, and
// which parameter block belongs to which step.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/hana/append.hpp>
#include <boost/hana/back.hpp>
#include <boost/hana/drop_back.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include "qpipe/layer.hpp"
#include "qpipe/shape.hpp"

namespace qpipe::detail {

namespace hana = boost::hana;

template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};

template <std::size_t I, class List> struct at;
template <std::size_t I, class T, class... Ts>
struct at<I, type_list<T, Ts...>> : at<I - 1, type_list<Ts...>> {};
template <class T, class... Ts>
struct at<0, type_list<T, Ts...>> {
  using type = T;
};
template <std::size_t I, class List>
using at_t = typename at<I, List>::type;

// One runtime pass: the layer at LayerIndex of the user's Pipe, plus the clamp layers (ReLU,
// ReLU6) that follow it and fold into its requantizer.
template <std::size_t LayerIndex, Layer L, ClampLayer... Clamps>
struct Step {
  static constexpr std::size_t layer_index = LayerIndex;
  using layer = L;

  template <ShapeType In> using params = typename L::template params<In>;
  template <ShapeType In> using output_shape = typename L::template output_shape<In>;
  template <ShapeType In> static constexpr bool has_params = !std::is_same_v<params<In>, NoParams>;

  template <ShapeType In>
  static consteval auto quantize(Grid in, const params<In>& p) {
    return L::template quantize<In, Clamps...>(in, p);
  }
  template <ShapeType In>
  static constexpr void reference(const params<In>& p, const double* in, double* out) {
    L::template reference<In, Clamps...>(p, in, out);
  }
};

template <class S, class Clamp> struct with_clamp;
template <std::size_t I, class L, class... Cs, class Clamp>
struct with_clamp<Step<I, L, Cs...>, Clamp> {
  using type = Step<I, L, Cs..., Clamp>;
};

template <std::size_t I, class L>
struct indexed_layer {
  static constexpr std::size_t index = I;
  using layer = L;
};

// Walk the layers once, left to right: a clamp layer right after a layer that absorbs clamps
// becomes part of that layer's step; every other layer starts a step of its own.
template <class... Layers>
constexpr auto fuse_steps() {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return hana::fold_left(
        hana::make_tuple(hana::type_c<indexed_layer<I, Layers>>...), hana::tuple_t<>,
        [](auto steps, auto item) {
          using Item = typename decltype(item)::type;
          using L = typename Item::layer;
          if constexpr (L::is_clamp && decltype(hana::length(steps))::value > 0) {
            using Last = typename decltype(+hana::back(steps))::type;
            if constexpr (Last::layer::absorbs_clamp) {
              return hana::append(hana::drop_back(steps), hana::type_c<typename with_clamp<Last, L>::type>);
            } else {
              return hana::append(steps, hana::type_c<Step<Item::index, L>>);
            }
          } else {
            return hana::append(steps, hana::type_c<Step<Item::index, L>>);
          }
        });
  }(std::index_sequence_for<Layers...>{});
}

// hana::tuple_t<Ts...> to type_list<Ts...>. (A plain specialization: GCC 12 loses track of
// a lambda inside decltype in an alias template used from a class template.)
template <class HanaTypes> struct to_type_list_impl;
template <class... Ts>
struct to_type_list_impl<hana::tuple<Ts...>> {
  using type = type_list<typename Ts::type...>;
};
template <class HanaTypes>
using to_type_list = typename to_type_list_impl<HanaTypes>::type;

// Reported when a layer cannot take the shape that reaches it; the instantiation line names the
// layer's index in the Pipe, its kind and the shape.
template <std::size_t LayerIndex, class L, class InShape>
constexpr bool layer_accepts_shape() {
  static_assert(L::template accepts<InShape>,
                "qpipe: this layer cannot take the shape that reaches it (see LayerIndex, L and "
                "InShape in the instantiation above)");
  return L::template accepts<InShape>;
}

template <class T, class List> struct prepend;
template <class T, class... Ts>
struct prepend<T, type_list<Ts...>> {
  using type = type_list<T, Ts...>;
};

// The shapes entering each step, and the shape leaving the last one: S + 1 entries.
template <class In, class Steps> struct step_shapes;
template <class In>
struct step_shapes<In, type_list<>> {
  using type = type_list<In>;
};
template <class In, class S, class... Rest>
struct step_shapes<In, type_list<S, Rest...>> {
  static_assert(layer_accepts_shape<S::layer_index, typename S::layer, In>());
  using type = typename prepend<In, typename step_shapes<typename S::template output_shape<In>,
                                                         type_list<Rest...>>::type>::type;
};

template <class Pipe, ShapeType In>
struct plan;

}  // namespace qpipe::detail
