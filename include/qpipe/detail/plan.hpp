// Type-level planning of a Pipe: which layers fold into which, how residual branches flatten into
// one list of runtime steps reading earlier buffers, the shape of every buffer, and which
// parameter block belongs to which step.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <string_view>
#include <tuple>
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

namespace qpipe {

template <Layer... Layers>
  requires(sizeof...(Layers) > 0)
struct Pipe {
  static constexpr std::size_t layer_count = sizeof...(Layers);
  // A Pipe may appear as a layer of another Pipe: its layers are spliced in where it stands.
  static constexpr std::string_view kind = "Pipe";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = false;
  static constexpr bool has_params = false;
};

namespace detail {
template <class T> inline constexpr bool is_pipe = false;
template <class... Layers> inline constexpr bool is_pipe<Pipe<Layers...>> = true;
}  // namespace detail

template <class T>
concept PipeType = detail::is_pipe<T>;

}  // namespace qpipe

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

template <class A, class B> struct concat;
template <class... As, class... Bs>
struct concat<type_list<As...>, type_list<Bs...>> {
  using type = type_list<As..., Bs...>;
};
template <class List, class T>
using append_t = typename concat<List, type_list<T>>::type;

template <class At, std::size_t I> struct deeper;
template <std::size_t... Is, std::size_t I>
struct deeper<layer_at<Is...>, I> {
  using type = layer_at<Is..., I>;
};

// A layer that runs a branch on its input and adds the result to it (Residual<Pipe<...>>).
template <class L>
concept BranchLayer = Layer<L> && requires { typename L::branch; };

// One runtime pass: the layer at position At of the user's declaration, plus the clamp layers
// (ReLU, ReLU6) that follow it and fold into its requantizer.
template <class At, Layer L, ClampLayer... Clamps>
struct Step {
  using position = At;
  using layer = L;

  template <ShapeType In, class P>
  static consteval auto quantize(Grid in, const P& p) {
    return L::template quantize<In, P, Clamps...>(in, p);
  }
  template <ShapeType In, class P>
  static consteval auto quantize(Grid in, Grid other, const P& p) {  // two-input steps
    return L::template quantize<In, P, Clamps...>(in, other, p);
  }
  template <ShapeType In, class P>
  static constexpr void reference(const P& p, const double* in, double* out) {
    L::template reference<In, P, Clamps...>(p, in, out);
  }
  template <ShapeType In, class P>
  static constexpr void reference(const P& p, const double* in, const double* other, double* out) {
    L::template reference<In, P, Clamps...>(p, in, other, out);
  }
};

template <class S, class Clamp> struct with_clamp;
template <class At, class L, class... Cs, class Clamp>
struct with_clamp<Step<At, L, Cs...>, Clamp> {
  using type = Step<At, L, Cs..., Clamp>;
};

template <class At, class L>
struct positioned_layer {
  using position = At;
  using layer = L;
};

// The layers of one Pipe level with their positions; a nested Pipe is spliced in (its layers
// positioned one level deeper), so Pipe<A, Pipe<B, C>> runs as A, B, C.
template <class Prefix, class Seq, class... Layers> struct positioned_layers;
template <class Prefix, std::size_t... I, class... Layers>
struct positioned_layers<Prefix, std::index_sequence<I...>, Layers...> {
  template <class At, class L> struct one {
    using type = type_list<positioned_layer<At, L>>;
  };
  template <class At, class... Inner> struct one<At, Pipe<Inner...>> {
    using type = typename positioned_layers<At, std::index_sequence_for<Inner...>, Inner...>::type;
  };
  template <class... Lists> struct join {
    using type = type_list<>;
  };
  template <class First, class... Rest> struct join<First, Rest...> {
    using type = typename concat<First, typename join<Rest...>::type>::type;
  };
  using type = typename join<typename one<typename deeper<Prefix, I>::type, Layers>::type...>::type;
};

// Walk one Pipe level left to right: a clamp layer right after a layer that absorbs clamps
// becomes part of that layer's step; every other layer starts a step of its own. A clamp at the
// start of a residual branch stays on its own: folding it upstream would clamp the skip too.
template <class... Positioned>
constexpr auto fuse_steps(type_list<Positioned...>) {
  return hana::fold_left(
      hana::make_tuple(hana::type_c<Positioned>...), hana::tuple_t<>, [](auto steps, auto item) {
        using Item = typename decltype(item)::type;
        using L = typename Item::layer;
        if constexpr (L::is_clamp && decltype(hana::length(steps))::value > 0) {
          using Last = typename decltype(+hana::back(steps))::type;
          if constexpr (Last::layer::absorbs_clamp) {
            return hana::append(hana::drop_back(steps), hana::type_c<typename with_clamp<Last, L>::type>);
          } else {
            return hana::append(steps, hana::type_c<Step<typename Item::position, L>>);
          }
        } else {
          return hana::append(steps, hana::type_c<Step<typename Item::position, L>>);
        }
      });
}

// hana::tuple_t<Ts...> to type_list<Ts...>. (A plain specialization: GCC 12 loses track of
// a lambda inside decltype in an alias template used from a class template.)
template <class HanaTypes> struct to_type_list_impl;
template <class... Ts>
struct to_type_list_impl<hana::tuple<Ts...>> {
  using type = type_list<typename Ts::type...>;
};

template <class Prefix, class Pipe> struct fused_level;
template <class Prefix, class... Layers>
struct fused_level<Prefix, Pipe<Layers...>> {
  using positioned = typename positioned_layers<Prefix, std::index_sequence_for<Layers...>, Layers...>::type;
  using type = typename to_type_list_impl<decltype(fuse_steps(positioned{}))>::type;
};

inline constexpr std::size_t no_buffer = std::numeric_limits<std::size_t>::max();

// A runtime step with the buffers it reads. Buffer 0 is the network input; step k writes buffer
// k + 1, so the last step writes the network output.
template <class S, std::size_t Source, std::size_t Other = no_buffer>
struct Node {
  using step = S;
  static constexpr std::size_t source = Source;
  static constexpr std::size_t other = Other;  // the second input of a two-input step
  static constexpr std::size_t arity = Other == no_buffer ? 1 : 2;
};

// Flatten fused steps into nodes. Current: the buffer the next step reads; Count: nodes so far.
template <std::size_t Current, std::size_t Count, class Steps> struct flatten;

template <std::size_t Current, std::size_t Count, class S, bool Branching = BranchLayer<typename S::layer>>
struct expand {  // an ordinary step: one node
  using nodes = type_list<Node<S, Current>>;
  static constexpr std::size_t count = Count + 1;
};

// A residual step: its branch's nodes, then a two-input add of the residual's input and the
// branch's result. The clamps folded into the residual belong to the add.

template <std::size_t Current, std::size_t Count, class At, class L, class... Clamps>
struct expand<Current, Count, Step<At, L, Clamps...>, true> {
  using branch = flatten<Current, Count, typename fused_level<At, typename L::branch>::type>;
  using add = Step<At, typename L::add_layer, Clamps...>;
  using nodes = append_t<typename branch::nodes, Node<add, Current, branch::count>>;
  static constexpr std::size_t count = branch::count + 1;
};

template <std::size_t Current, std::size_t Count>
struct flatten<Current, Count, type_list<>> {
  using nodes = type_list<>;
  static constexpr std::size_t count = Count;
};
template <std::size_t Current, std::size_t Count, class S, class... Rest>
struct flatten<Current, Count, type_list<S, Rest...>> {
  using head = expand<Current, Count, S>;
  using tail = flatten<head::count, head::count, type_list<Rest...>>;
  using nodes = typename concat<typename head::nodes, typename tail::nodes>::type;
  static constexpr std::size_t count = tail::count;
};

// The runtime steps of a Pipe, before any shape is known, and where each step's parameter block
// sits among the blocks the user passes (one per step whose layer has parameters, in order).
template <class Net>
struct structure {
  using nodes = typename flatten<0, 0, typename fused_level<layer_at<>, Net>::type>::nodes;
  static constexpr std::size_t step_count = nodes::size;
  template <std::size_t K> using node = at_t<K, nodes>;
  template <std::size_t K> using step = typename node<K>::step;

  // slot[k] = blocks used by steps before k; slot[step_count] = all blocks.
  static constexpr auto param_slot = []<std::size_t... K>(std::index_sequence<K...>) {
    std::array<std::size_t, step_count + 1> slot{};
    std::size_t next = 0;
    ((slot[K] = next, next += step<K>::layer::has_params ? 1 : 0), ...);
    slot[step_count] = next;
    return slot;
  }(std::make_index_sequence<step_count>{});
  static constexpr std::size_t param_count = param_slot.back();
};

// Reported when a layer cannot take the shape that reaches it; the instantiation line names the
// layer's position in the Pipe, its kind and the shape.
template <class At, class L, class InShape>
constexpr bool layer_accepts_shape() {
  static_assert(L::template accepts<InShape>,
                "qpipe: this layer cannot take the shape that reaches it (see At, L and InShape in "
                "the instantiation above)");
  return L::template accepts<InShape>;
}

// Reported when a residual branch returns a different shape than it was given.
template <class At, class SkipShape, class BranchShape>
constexpr bool branch_keeps_shape() {
  static_assert(std::is_same_v<SkipShape, BranchShape>,
                "qpipe: a Residual branch must return the shape it was given (see At, SkipShape "
                "and BranchShape in the instantiation above)");
  return std::is_same_v<SkipShape, BranchShape>;
}

template <class S, class In, class P, bool Ok> struct checked_output_shape {
  using type = typename S::layer::template output_shape<In, P>;
};
template <class S, class In, class P> struct checked_output_shape<S, In, P, false> {
  using type = In;  // after an error: keep going quietly rather than pile up follow-on errors
};

// Checks node N against the shapes so far and gives its output shape. After a first error the
// checks of later nodes are skipped (Ok == false): one mistake, one diagnostic.
template <class N, class Shapes, class P, bool Ok>
struct node_output_shape {
  using S = typename N::step;
  using L = typename S::layer;
  using In = at_t<N::source, Shapes>;
  static constexpr bool shape_ok = layer_accepts_shape<typename S::position, L, In>();
  static constexpr bool params_ok = shape_ok && L::template check_params<typename S::position, In, P>();
  static constexpr bool other_ok = [] {
    if constexpr (N::arity == 2) {
      return branch_keeps_shape<typename S::position, In, at_t<N::other, Shapes>>();
    } else {
      return true;
    }
  }();
  static constexpr bool ok = shape_ok && params_ok && other_ok;
  using type = typename checked_output_shape<S, In, P, ok>::type;
};
template <class N, class Shapes, class P>
struct node_output_shape<N, Shapes, P, false> {
  static constexpr bool ok = false;
  using type = at_t<N::source, Shapes>;
};

// Shapes of every buffer, node by node: buffer 0 is In, buffer k + 1 is node k's output.
template <class Shapes, class Nodes, class ParamTypes, bool Ok = true> struct buffer_shapes;
template <class Shapes, class ParamTypes, bool Ok>
struct buffer_shapes<Shapes, type_list<>, ParamTypes, Ok> {
  using type = Shapes;
};
template <class Shapes, class N, class... Rest, class P, class... Ps, bool Ok>
struct buffer_shapes<Shapes, type_list<N, Rest...>, type_list<P, Ps...>, Ok> {
  using node = node_output_shape<N, Shapes, P, Ok>;
  using type = typename buffer_shapes<append_t<Shapes, typename node::type>, type_list<Rest...>, type_list<Ps...>,
                                      node::ok>::type;
};

// The parameter block type of each step (NoParams for steps without parameters).
template <class Structure, class Given, std::size_t K>
struct step_params {
  using type = NoParams;
};
template <class Structure, class Given, std::size_t K>
  requires(Structure::template step<K>::layer::has_params)
struct step_params<Structure, Given, K> {
  using type = std::tuple_element_t<Structure::param_slot[K], Given>;
};

template <class Structure, class Given, class Seq> struct all_step_params;
template <class Structure, class Given, std::size_t... K>
struct all_step_params<Structure, Given, std::index_sequence<K...>> {
  using type = type_list<typename step_params<Structure, Given, K>::type...>;
};

template <class N, class In, class P, std::size_t Arity = N::arity>
struct kernel_of {
  using type = decltype(N::step::template quantize<In>(std::declval<Grid>(), std::declval<const P&>()).kernel);
};
template <class N, class In, class P>
struct kernel_of<N, In, P, 2> {
  using type = decltype(N::step::template quantize<In>(std::declval<Grid>(), std::declval<Grid>(),
                                                      std::declval<const P&>()).kernel);
};

// The whole plan of a Pipe for an input shape and the types of the parameter blocks given.
template <class Net, ShapeType In, class... Params>
struct plan : structure<Net> {
  using base = structure<Net>;
  using base::step_count;
  using param_types = typename all_step_params<base, std::tuple<Params...>, std::make_index_sequence<step_count>>::type;
  using shapes = typename buffer_shapes<type_list<In>, typename base::nodes, param_types>::type;
  template <std::size_t K> using node = typename base::template node<K>;
  template <std::size_t K> using step = typename node<K>::step;
  template <std::size_t K> using params = at_t<K, param_types>;
  template <std::size_t B> using buffer_shape = at_t<B, shapes>;
  template <std::size_t K> using input_shape = buffer_shape<node<K>::source>;  // what step K reads
  using output_shape = buffer_shape<step_count>;

  // The kernel type step K quantizes into (an unevaluated call: nothing is computed here).
  template <std::size_t K>
  using kernel = typename kernel_of<node<K>, input_shape<K>, params<K>>::type;
};

}  // namespace qpipe::detail
