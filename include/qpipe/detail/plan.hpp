// Type-level planning of a Pipe: which layers fold into which, how branches (a Residual's, or the
// two sides of an Add, Mul or Concat) flatten into one list of runtime steps reading earlier
// buffers, the shape of every buffer, and which parameter block belongs to which step.
//
// Cost: the declaration becomes one flat list of tokens (a layer, a fork, the switch to a fork's
// second branch, the merge that ends it) by pack expansions; folding, wiring and parameter slots are then values
// computed over arrays; each buffer's shape is one instantiation that reads two earlier ones. No
// step of it recurses over the network or builds lists of growing length, so compile time and
// memory grow linearly with the number of layers (perf/compile_depth.py measures it).
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

#include "qpipe/detail/type_list.hpp"
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

// The input itself, as a branch of a merge: Add<Identity, Pipe<...>> adds a branch's result to its
// input (what Residual<Pipe<...>> does). It runs nothing.
struct Identity {
  static constexpr std::string_view kind = "Identity";
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

template <class At, std::size_t I> struct deeper;
template <std::size_t... Is, std::size_t I>
struct deeper<layer_at<Is...>, I> {
  using type = layer_at<Is..., I>;
};

// A layer that runs a branch on its input and adds the result to it (Residual<Pipe<...>>).
template <class L>
concept BranchLayer = Layer<L> && requires {
  typename L::branch;
  typename L::add_layer;
};

// A layer that runs two branches on its input and merges their results (Add, Mul, Concat): each
// branch a layer, a Pipe, or Identity (the input itself); merge_layer is the two-input step.
template <class L>
concept MergeLayer = Layer<L> && requires {
  typename L::first_branch;
  typename L::second_branch;
  typename L::merge_layer;
};

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
  template <ShapeType In, class P, std::size_t N>
  static constexpr void reference(const P& p, double (&values)[N], FloatSlots at) {
    L::template reference<In, P, Clamps...>(p, values, at);
  }
  // Two-input steps (a merge): In the first input's shape, Other the second's.
  template <ShapeType In, ShapeType Other, class P>
  static consteval auto quantize_merge(Grid in, Grid other, const P& p) {
    return L::template quantize<In, Other, P, Clamps...>(in, other, p);
  }
  template <ShapeType In, ShapeType Other, class P, std::size_t N>
  static constexpr void reference_merge(const P& p, double (&values)[N], FloatSlots at) {
    L::template reference<In, Other, P, Clamps...>(p, values, at);
  }
};

// The tokens of a flattened declaration. A layer; a fork (two branches start from the buffer
// before it); the switch from the first branch to the second (which starts from that buffer
// again); the merge that ends the fork (its step runs the merge layer, reading the ends of both
// branches, and clamps after it fold into it). A Residual is a fork whose first branch is empty.
enum class TokenRole { layer, clamp, fork, branch_switch, merge };

template <class At, class L>
struct LayerToken {
  using position = At;
  using layer = L;
  static constexpr TokenRole role = L::is_clamp ? TokenRole::clamp : TokenRole::layer;
  static constexpr bool absorbs_clamp = L::absorbs_clamp;
};
template <class At, class L, TokenRole Role>
struct ForkToken {  // a fork or the switch to its second branch
  using position = At;
  using layer = L;
  static constexpr TokenRole role = Role;
  static constexpr bool absorbs_clamp = false;
};
template <class At, class L, class MergeStep>
struct MergeToken {
  using position = At;
  using layer = MergeStep;
  static constexpr TokenRole role = TokenRole::merge;
  static constexpr bool absorbs_clamp = L::absorbs_clamp;
};

// The tokens of one Pipe level, nested Pipes spliced in (their layers positioned one level
// deeper), so Pipe<A, Pipe<B, C>> runs as A, B, C. A Residual becomes fork, switch, branch, merge
// (the branch at the Residual's level, as a nested Pipe); an Add, Mul or Concat fork, first
// branch, switch, second branch, merge, the branches positioned at indices 0 and 1 below it.
template <class Prefix, class Seq, class... Layers> struct level_tokens;
template <class At, class L> struct layer_tokens {
  using type = type_list<LayerToken<At, L>>;
};
template <class At, class... Inner> struct layer_tokens<At, Pipe<Inner...>> {
  using type = typename level_tokens<At, std::index_sequence_for<Inner...>, Inner...>::type;
};
template <class At> struct layer_tokens<At, Identity> {
  using type = type_list<>;
};
template <class At, BranchLayer L> struct layer_tokens<At, L> {
  using branch = typename layer_tokens<At, typename L::branch>::type;
  using type = join<type_list<ForkToken<At, L, TokenRole::fork>, ForkToken<At, L, TokenRole::branch_switch>>, branch,
                    type_list<MergeToken<At, L, typename L::add_layer>>>;
};
template <class At, MergeLayer L> struct layer_tokens<At, L> {
  using first = typename layer_tokens<typename deeper<At, 0>::type, typename L::first_branch>::type;
  using second = typename layer_tokens<typename deeper<At, 1>::type, typename L::second_branch>::type;
  using type =
      join<type_list<ForkToken<At, L, TokenRole::fork>>, first, type_list<ForkToken<At, L, TokenRole::branch_switch>>,
           second, type_list<MergeToken<At, L, typename L::merge_layer>>>;
};
template <class Prefix, std::size_t... I, class... Layers>
struct level_tokens<Prefix, std::index_sequence<I...>, Layers...> {
  using type = join<typename layer_tokens<typename deeper<Prefix, I>::type, Layers>::type...>;
};

inline constexpr std::size_t no_buffer = std::numeric_limits<std::size_t>::max();

// The runtime steps of a token list as values. Walking the tokens left to right: a clamp right
// after a step whose layer absorbs clamps (or after a clamp folded into one) joins that step;
// every other layer starts a step of its own. A clamp at the start of a branch stays on its own:
// folding it upstream would clamp the other branch too. Buffer 0 is the network input; step k
// writes buffer k + 1, so the last step writes the network output. A merge reads the last buffer
// of its first branch and that of its second (an empty branch's last buffer: the fork's input).
template <std::size_t Tokens>
struct StepTable {
  std::size_t count = 0;
  std::array<std::size_t, Tokens> token{};   // the token of step k's layer (or add)
  std::array<std::size_t, Tokens> clamps{};  // how many clamp tokens after it fold into it
  std::array<std::size_t, Tokens> source{};  // the buffer step k reads
  std::array<std::size_t, Tokens> other{};   // its second input, no_buffer for one-input steps
};

template <std::size_t Tokens>
consteval StepTable<Tokens> step_table(const std::array<TokenRole, Tokens>& role,
                                       const std::array<bool, Tokens>& absorbs) {
  StepTable<Tokens> t{};
  // A stack of the open forks: the buffer each started from, and where its first branch ended.
  std::array<std::size_t, Tokens + 1> fork_input{}, first_end{};
  std::size_t open = 0, current = 0;
  bool absorbing = false;  // the token before can take a clamp
  for (std::size_t i = 0; i < Tokens; ++i) {
    if (role[i] == TokenRole::fork) {
      fork_input[open++] = current;
      absorbing = false;
      continue;
    }
    if (role[i] == TokenRole::branch_switch) {
      first_end[open - 1] = current;
      current = fork_input[open - 1];
      absorbing = false;
      continue;
    }
    if (role[i] == TokenRole::clamp && absorbing) {
      ++t.clamps[t.count - 1];
      continue;
    }
    const std::size_t k = t.count++;
    t.token[k] = i;
    t.source[k] = role[i] == TokenRole::merge ? first_end[--open] : current;
    t.other[k] = role[i] == TokenRole::merge ? current : no_buffer;
    current = k + 1;
    absorbing = absorbs[i];
  }
  return t;
}

// A runtime step with the buffers it reads.
template <class S, std::size_t Source, std::size_t Other = no_buffer>
struct Node {
  using step = S;
  static constexpr std::size_t source = Source;
  static constexpr std::size_t other = Other;  // the second input of a two-input step
  static constexpr std::size_t arity = Other == no_buffer ? 1 : 2;
};

template <class Tokens, std::size_t Token, class ClampSeq> struct make_step;
template <class Tokens, std::size_t Token, std::size_t... C>
struct make_step<Tokens, Token, std::index_sequence<C...>> {
  using head = type_at<Token, Tokens>;
  using type = Step<typename head::position, typename head::layer, typename type_at<Token + 1 + C, Tokens>::layer...>;
};

// A layer whose output is its input's bytes under another shape (QReshape, QFlatten).
template <class L>
concept ViewLayer = Layer<L> && requires { requires L::is_view; };

// The runtime steps of a Pipe, before any shape is known, and where each step's parameter block
// sits among the blocks the user passes (one per step whose layer has parameters, in order).
template <class Net>
struct structure {
  using tokens = typename layer_tokens<layer_at<>, Net>::type;
  template <class... T>
  static consteval auto table_of(type_list<T...>) {
    return step_table<sizeof...(T)>({T::role...}, {T::absorbs_clamp...});
  }
  static constexpr auto table = table_of(tokens{});
  static constexpr std::size_t step_count = table.count;

  template <std::size_t K>
  using step = typename make_step<tokens, table.token[K], std::make_index_sequence<table.clamps[K]>>::type;
  template <std::size_t K>
  using node = Node<step<K>, table.source[K], table.other[K]>;

  // The view steps: they run nothing and their buffer is the one they read (the last step, which
  // writes the caller's output, copies instead).
  template <std::size_t... K>
  static constexpr std::array<bool, step_count> view_steps(std::index_sequence<K...>) {
    std::array<bool, step_count> v{ViewLayer<typename step<K>::layer>...};
    v[step_count - 1] = false;
    return v;
  }
  static constexpr auto views = view_steps(std::make_index_sequence<step_count>{});

  // What each step reads: {source, other}; other == no_buffer for one-input steps. A buffer a view
  // step writes is read where its bytes lie: in the buffer the view read.
  static constexpr auto reads = [] {
    std::array<std::array<std::size_t, 2>, step_count> r{};
    auto lies_in = [&](std::size_t b) { return b != 0 && b != no_buffer && views[b - 1] ? r[b - 1][0] : b; };
    for (std::size_t k = 0; k < step_count; ++k) r[k] = {lies_in(table.source[k]), lies_in(table.other[k])};
    return r;
  }();

  // slot[k] = blocks used by steps before k; slot[step_count] = all blocks.
  template <std::size_t... K>
  static constexpr std::array<std::size_t, step_count + 1> slots(std::index_sequence<K...>) {
    constexpr bool has_params[] = {step<K>::layer::has_params..., false};
    std::array<std::size_t, step_count + 1> slot{};
    for (std::size_t k = 0; k < step_count; ++k) slot[k + 1] = slot[k] + (has_params[k] ? 1 : 0);
    return slot;
  }
  static constexpr auto param_slot = slots(std::make_index_sequence<step_count>{});
  static constexpr std::size_t param_count = param_slot.back();
};

// Reported when a layer's options are malformed, or when it cannot take the shape that reaches
// it: the position, the rule, and the shape (a layer may say why: L::explain_refusal<InShape>).
template <class L>
constexpr bool options_well_formed() {
  if constexpr (requires { L::options_ok; }) {
    return L::options_ok;
  } else {
    return true;
  }
}
template <class At, class L, class InShape>
constexpr bool layer_accepts_shape() {
  if constexpr (!options_well_formed<L>()) {
    constexpr Sentence message = [] {
      Sentence s{};
      describe<At, L>(s) << ": " << L::options_rule;
      return s;
    }();
    return report<message>();
  } else if constexpr (!L::template accepts<InShape>) {
    constexpr Sentence message = [] {
      Sentence s{};
      describe<At, L>(s) << ": cannot take its input, shape " << InShape{};
      if constexpr (requires(Sentence& t) { L::template explain_refusal<InShape>(t); }) {
        s << "; ";
        L::template explain_refusal<InShape>(s);
      }
      return s;
    }();
    return report<message>();
  } else {
    return true;
  }
}

template <class S, class In, class Other, class P, bool Ok, std::size_t Arity> struct checked_output_shape {
  using type = typename S::layer::template output_shape<In, P>;
};
template <class S, class In, class Other, class P>
struct checked_output_shape<S, In, Other, P, true, 2> {
  using type = typename S::layer::template merged_shape<In, Other, P>;
};
template <class S, class In, class Other, class P, std::size_t Arity> struct checked_output_shape<S, In, Other, P,
                                                                                                  false, Arity> {
  using type = In;  // after an error: keep going quietly rather than pile up follow-on errors
};

// The parameter block type of each step (NoParams for steps without parameters).
template <class Structure, class Given, std::size_t K>
struct step_params {
  using type = NoParams;
};
template <class Structure, class Given, std::size_t K>
  requires(Structure::template step<K>::layer::has_params)
struct step_params<Structure, Given, K> {
  using type = type_at<Structure::param_slot[K], Given>;
};

// Checks step N against the shape it reads (for a merge, the shapes of both inputs: the merge
// layer's check_shapes names the rule) and gives its output shape. After a first error the checks
// of later steps are skipped (Ok == false): one mistake, one diagnostic.
template <class N, class Input, class Other, class P, bool Ok>
struct node_output_shape {
  using S = typename N::step;
  using L = typename S::layer;
  static constexpr bool shape_ok = [] {
    if constexpr (N::arity == 2) {
      return L::template check_shapes<typename S::position, Input, Other>();
    } else {
      return layer_accepts_shape<typename S::position, L, Input>();
    }
  }();
  static constexpr bool params_ok = [] {
    if constexpr (shape_ok) {
      return L::template check_params<typename S::position, Input, P>();
    } else {
      return false;  // reported above: one mistake, one diagnostic
    }
  }();
  static constexpr bool ok = shape_ok && params_ok;
  using type = typename checked_output_shape<S, Input, Other, P, ok, N::arity>::type;
};
template <class N, class Input, class Other, class P>
struct node_output_shape<N, Input, Other, P, false> {
  static constexpr bool ok = false;
  using type = Input;
};

// The shape of buffer B (0: the input, B: the output of step B - 1). Instantiated in buffer order
// (see shape_walk), so each reads complete earlier buffers and the instantiation depth stays
// constant however long the network.
template <class Structure, class In, class ParamTypes, std::size_t B>
struct buffer_state {
  using N = typename Structure::template node<B - 1>;
  using previous = buffer_state<Structure, In, ParamTypes, B - 1>;
  using input = typename buffer_state<Structure, In, ParamTypes, N::source>::shape;
  using other = typename buffer_state<Structure, In, ParamTypes, N::arity == 2 ? N::other : 0>::shape;
  using checked = node_output_shape<N, input, other, type_at<B - 1, ParamTypes>, previous::ok>;
  static constexpr bool ok = checked::ok;
  using shape = typename checked::type;
};
template <class Structure, class In, class ParamTypes>
struct buffer_state<Structure, In, ParamTypes, 0> {
  static constexpr bool ok = true;
  using shape = In;
};

template <class Structure, class In, class ParamTypes, class Seq> struct shape_walk;
template <class Structure, class In, class ParamTypes, std::size_t... B>
struct shape_walk<Structure, In, ParamTypes, std::index_sequence<B...>> {
  // The pack expansion instantiates the buffers in order.
  using shapes = type_list<typename buffer_state<Structure, In, ParamTypes, B>::shape...>;
};

template <class Structure, class Given, class Seq> struct all_step_params;
template <class Structure, class Given, std::size_t... K>
struct all_step_params<Structure, Given, std::index_sequence<K...>> {
  using type = type_list<typename step_params<Structure, Given, K>::type...>;
};

template <class N, class In, class Other, class P, std::size_t Arity = N::arity>
struct op_of {
  using type = decltype(N::step::template quantize<In>(std::declval<Grid>(), std::declval<const P&>()).op);
};
template <class N, class In, class Other, class P>
struct op_of<N, In, Other, P, 2> {
  using type = decltype(N::step::template quantize_merge<In, Other>(std::declval<Grid>(), std::declval<Grid>(),
                                                                    std::declval<const P&>())
                            .op);
};

// The whole plan of a Pipe for an input shape and the types of the parameter blocks given.
template <class Net, ShapeType In, class... Params>
struct plan : structure<Net> {
  using base = structure<Net>;
  using base::step_count;
  using param_types = typename all_step_params<base, type_list<Params...>, std::make_index_sequence<step_count>>::type;
  using shapes = typename shape_walk<base, In, param_types, std::make_index_sequence<step_count + 1>>::shapes;
  template <std::size_t K> using node = typename base::template node<K>;
  template <std::size_t K> using step = typename node<K>::step;
  template <std::size_t K> using params = type_at<K, param_types>;
  template <std::size_t B> using buffer_shape = type_at<B, shapes>;
  template <std::size_t K> using input_shape = buffer_shape<node<K>::source>;  // what step K reads
  // A merge's second input (for one-input steps: the network input, unused).
  template <std::size_t K> using other_shape = buffer_shape<node<K>::arity == 2 ? node<K>::other : 0>;
  using output_shape = buffer_shape<step_count>;
  // Every shape and block passed its checks (otherwise one was reported).
  static constexpr bool ok = buffer_state<base, In, param_types, step_count>::ok;

  // The portable op step K quantizes into (an unevaluated call: nothing is computed here).
  template <std::size_t K>
  using op = typename op_of<node<K>, input_shape<K>, other_shape<K>, params<K>>::type;
};

}  // namespace qpipe::detail
