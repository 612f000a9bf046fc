// Pipe<Layers...>: a network as a type. make_spec<Net, InputShape>(input grid, parameter blocks...)
// binds float parameters to it; compile(spec) has the compiler turn them into an integer Model.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/hana/at.hpp>
#include <boost/hana/tuple.hpp>

#include "qpipe/backends/select.hpp"
#include "qpipe/detail/arena.hpp"
#include "qpipe/detail/read_front.hpp"
#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/weights.hpp"
#include "qpipe/shape.hpp"

namespace qpipe {

namespace detail {

// The step whose parameter block is block number Slot (from 0), or the step count if none is.
template <class Structure, std::size_t Slot, std::size_t... K>
constexpr std::size_t step_of_block(std::index_sequence<K...>) {
  constexpr bool has_params[] = {Structure::template step<K>::layer::has_params..., false};
  for (std::size_t k = 0; k < sizeof...(K); ++k)
    if (has_params[k] && Structure::param_slot[k] == Slot) return k;
  return sizeof...(K);
}

// Reported when the number of parameter blocks is wrong: one block per layer with parameters
// (QDense, QConv2D, ..., one per Residual for its add, one per Add or Mul), in the order the steps
// run; the message names the layer whose block is the first one missing.
// The first block given whose type is not the one its layer takes, for layers with one block type
// (a merge's, QMean's, the tables'): where a missing or extra block shifts the others. Past the
// end if none is.
template <class Structure, class... Params, std::size_t... I>
constexpr std::size_t first_block_of_another_type(std::index_sequence<I...>) {
  constexpr bool differs[] = {[] {
                                if constexpr (I >= Structure::param_count) {
                                  return false;
                                } else {
                                  using layer = typename Structure::template step<step_of_block<Structure, I>(
                                      std::make_index_sequence<Structure::step_count>{})>::layer;
                                  if constexpr (requires { typename layer::block_type; }) {
                                    return !std::is_same_v<typename layer::block_type, Params>;
                                  } else {
                                    return false;
                                  }
                                }
                              }()...,
                              false};
  for (std::size_t i = 0; i < sizeof...(I); ++i)
    if (differs[i]) return i;
  return sizeof...(I);
}

template <class Net, class... Params>
constexpr bool parameter_block_count_matches() {
  using S = structure<Net>;
  constexpr std::size_t Given = sizeof...(Params);
  constexpr std::size_t expected = S::param_count;
  if constexpr (expected == Given) {
    return true;
  } else {
    constexpr Sentence message = [] {
      Sentence s{};
      s << "the Pipe takes " << expected << " parameter blocks (one per layer with parameters, in Pipe order; a "
        << "merge's after its branches'), " << Given << " given";
      constexpr std::size_t wrong = first_block_of_another_type<S, Params...>(std::index_sequence_for<Params...>{});
      if constexpr (wrong < sizeof...(Params) && wrong < expected) {
        constexpr std::size_t k = step_of_block<S, wrong>(std::make_index_sequence<S::step_count>{});
        using taker = typename S::template step<k>;
        s << ": block " << wrong + 1 << " is a ";
        append_type(s, type_name<type_at<wrong, type_list<Params...>>>()) << ", where ";
        describe<typename taker::position, typename taker::layer>(s) << " takes a ";
        append_type(s, type_name<typename taker::layer::block_type>());
      } else if constexpr (Given < expected) {
        constexpr std::size_t k = step_of_block<S, Given>(std::make_index_sequence<S::step_count>{});
        using missing = typename S::template step<k>;
        s << ": block " << Given + 1 << " of " << expected << " is missing, the one of ";
        describe<typename missing::position, typename missing::layer>(s);
      } else {
        s << ": the last " << Given - expected << " are too many";
      }
      return s;
    }();
    return report<message>();
  }
}

// What make_spec() gives for a declaration it reported an error about: compile, a call, calibrate and
// the other functions of a spec take it quietly, so that the user reads one error. In and Out the
// shapes as far as they are known.
template <ShapeType In, ShapeType Out>
struct Refused {
  using input_shape = In;
  using output_shape = Out;
  Grid input{};
};
template <ShapeType In, ShapeType Out>
struct RefusedModel {
  using input_shape = In;
  using output_shape = Out;
  static constexpr std::size_t stage_count = 0, macs = 0, parameter_bytes = 0, arena_bytes = 0, peak_live_bytes = 0,
                               peak_live_apart_bytes = 0, unplanned_arena_bytes = 0;
  template <class... Arguments>
  constexpr std::array<std::int8_t, Out::size> operator()(const Arguments&...) const {
    return {};
  }
};
template <class T> inline constexpr bool is_refused = false;
template <ShapeType In, ShapeType Out> inline constexpr bool is_refused<Refused<In, Out>> = true;
template <class T> inline constexpr bool is_refused_model = false;
template <ShapeType In, ShapeType Out> inline constexpr bool is_refused_model<RefusedModel<In, Out>> = true;

// What each step of a Pipe reads: {source, other}; other == none for one-input steps. The view
// steps (QReshape, QFlatten) run nothing: their buffer is the one they read.
template <class Structure>
struct Wiring {
  static constexpr std::size_t none = no_buffer;
  static constexpr auto reads = Structure::reads;
  static constexpr auto views = Structure::views;
};

// A kernel that can take some of its constants as a template argument (apply<I>), where the
// network is one (qpipe::run): immediates() gives them, `known` saying whether it has any. The
// Cortex-M0 kernels take their layer word's fields so (backends/m0/requantizer.hpp).
template <class K>
concept TakesImmediates = requires(const K& k, const std::int8_t* in, std::int8_t* out) {
  typename K::immediates_type;
  { k.immediates() } -> std::same_as<typename K::immediates_type>;
  { k.immediates().known } -> std::convertible_to<bool>;
  k.template apply<typename K::immediates_type{}>(in, out);
};

// A kernel that can run on an input buffer it may overwrite, given input_capacity bytes of it
// (apply_expanding<I>: the M0's WindowLaneKernel expands its input into lane pairs in place).
template <class K>
concept ExpandsInput =
    TakesImmediates<K> && K::expands_input && requires(const K& k, std::int8_t* in, std::int8_t* out) {
      { K::input_capacity } -> std::convertible_to<std::size_t>;
      k.template apply_expanding<typename K::immediates_type{}>(in, out);
    };
template <class K>
inline constexpr std::size_t input_capacity_of = 0;
template <ExpandsInput K>
inline constexpr std::size_t input_capacity_of<K> = K::input_capacity;

template <class M>
alignas(4) inline std::int8_t static_arena[M::arena_bytes > 0 ? M::arena_bytes : 1];

}  // namespace detail

// A Pipe bound to an input shape, an input grid and its float parameters. Holds doubles: it lives
// only in constant expressions and host code, never in the target binary.
template <class Net, ShapeType In, class... Params>
struct Spec {
  using pipe = Net;
  using input_shape = In;
  using plan = detail::plan<Net, In, Params...>;
  using output_shape = typename plan::output_shape;

  Grid input;
  // The blocks in Pipe order (boost::hana::at_c<i>(spec.params)). A Hana tuple, flat: a
  // std::tuple nests one level per block, and GCC's -Wsequence-point (in -Wall) then takes
  // minutes over a network of a few hundred blocks.
  boost::hana::tuple<Params...> params;

  template <std::size_t K>
  constexpr const auto& params_of_step() const {
    if constexpr (plan::template step<K>::layer::has_params) {
      return boost::hana::at_c<plan::param_slot[K]>(params);
    } else {
      return no_params;
    }
  }
  static constexpr NoParams no_params{};
};

template <class Net, ShapeType In, class... Params>
consteval auto make_spec(Grid input, const Params&... params) {
  if constexpr (!detail::parameter_block_count_matches<Net, Params...>()) {
    return detail::Refused<In, Shape<1>>{};  // after the error above: nothing more to report
  } else {
    // The plan's walk checks every shape and block, in order, and stops at the first mistake.
    using plan = detail::plan<Net, In, Params...>;
    if constexpr (!plan::ok) {
      return detail::Refused<In, typename plan::output_shape>{};
    } else {
      return Spec<Net, In, Params...>{checked(input), boost::hana::tuple<Params...>{params...}};
    }
  }
}

// The integer network: one kernel per step, all constants computed by the compiler, and an arena
// planned by the compiler from the buffers' lifetimes.
template <ShapeType In, ShapeType Out, class Wiring, class... Kernels>
struct Model {
  using input_shape = In;
  using output_shape = Out;
  static constexpr std::size_t stage_count = sizeof...(Kernels);

  // What each stage reads: {buffer, second buffer or `none`}.
  static constexpr auto reads = Wiring::reads;
  static constexpr std::size_t none = Wiring::none;
  // The stages that run nothing (views: their output is their input's bytes, where they lie).
  static constexpr auto views = Wiring::views;
  // The stages that run on their input in place (detail::ExpandsInput): a one-input stage whose
  // buffer is an intermediate one (not the caller's input) that no other stage reads.
  static constexpr std::array<bool, stage_count> expands = [] {
    constexpr std::array<std::size_t, stage_count> capacity{detail::input_capacity_of<Kernels>...};
    std::array<bool, stage_count> e{};
    for (std::size_t k = 0; k < stage_count; ++k) {
      const std::size_t b = reads[k][0];
      if (capacity[k] == 0 || b == 0 || reads[k][1] != none) continue;
      std::size_t readers = 0;
      for (const auto& r : reads) readers += (r[0] == b) + (r[1] == b);
      e[k] = readers == 1;
    }
    return e;
  }();
  // Bytes of each activation buffer: [0] the input, [k + 1] the output of stage k, or the room
  // its reader asks for if that reader expands it.
  static constexpr std::array<std::size_t, stage_count + 1> buffer_bytes = [] {
    std::array<std::size_t, stage_count + 1> bytes{In::size, Kernels::output_size...};
    constexpr std::array<std::size_t, stage_count> capacity{detail::input_capacity_of<Kernels>...};
    for (std::size_t k = 0; k < stage_count; ++k) {
      if (expands[k] && capacity[k] > bytes[reads[k][0]]) bytes[reads[k][0]] = capacity[k];
      if (views[k]) bytes[k + 1] = 0;
    }
    return bytes;
  }();
  static constexpr std::array<std::size_t, stage_count> stage_macs{Kernels::macs...};
  static constexpr std::size_t macs = (std::size_t{0} + ... + Kernels::macs);
  static constexpr std::size_t parameter_bytes = (std::size_t{0} + ... + Kernels::parameter_bytes);

  // How each stage's output may lie over each input it reads (the lead of its kernel's promise,
  // detail/read_front.hpp, and its side), or not at all (detail::no_lead): kernels that promise
  // nothing, views (they write nothing) and kernels that expand their input (they write into it).
  static constexpr std::array<std::array<detail::Overlap, 2>, stage_count> input_overlaps = [] {
    constexpr std::array<std::array<detail::ReadFront, 2>, stage_count> fronts{detail::read_fronts_of<Kernels>()...};
    std::array<std::array<detail::Overlap, 2>, stage_count> overlaps{};
    for (std::size_t k = 0; k < stage_count; ++k)
      for (std::size_t s = 0; s < 2; ++s)
        overlaps[k][s] = views[k] || expands[k] ? detail::Overlap{} : detail::overlap_of(fronts[k][s]);
    return overlaps;
  }();

  // The caller owns the input and the output; the intermediate buffers 1..S-1 live in the arena.
  static constexpr auto arena_plan = detail::plan_arena<stage_count>(buffer_bytes, reads, none, input_overlaps);
  static constexpr std::size_t arena_bytes = arena_plan.bytes;
  // The most intermediate bytes live during any one stage, less what an output may share with an
  // input it overlaps: no placement can use less.
  static constexpr std::size_t peak_live_bytes = arena_plan.peak_live;
  // The same with no output over its input: the bound, and the arena, before in-place layers.
  static constexpr std::size_t peak_live_apart_bytes = arena_plan.peak_live_apart;
  // For each buffer, how far before it its last reader's output may start, overlapping it, or
  // after its start where overlap_after(b) (detail::no_lead: no overlap).
  static constexpr std::size_t overlap_lead(std::size_t b) { return arena_plan.lead[b]; }
  static constexpr bool overlap_after(std::size_t b) { return arena_plan.after[b]; }
  // What one buffer per tensor would cost: the figure the plan is measured against.
  static constexpr std::size_t unplanned_arena_bytes = [] {
    std::size_t sum = 0;
    for (std::size_t k = 1; k < stage_count; ++k) sum += buffer_bytes[k];
    return sum;
  }();
  static constexpr std::size_t buffer_offset(std::size_t b) { return arena_plan.offset[b]; }

  boost::hana::tuple<Kernels...> kernels;

  constexpr void operator()(std::span<const std::int8_t, In::size> input, std::span<std::int8_t, Out::size> output,
                            std::span<std::int8_t, arena_bytes> arena) const {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (run_stage<K>(input.data(), output.data(), arena.data()), ...);
    }(std::make_index_sequence<stage_count>{});
  }

  // Runs on the static arena (or, in a constant expression, on a local one).
  constexpr void operator()(std::span<const std::int8_t, In::size> input,
                            std::span<std::int8_t, Out::size> output) const {
    if (std::is_constant_evaluated()) {
      std::array<std::int8_t, arena_bytes> local{};
      (*this)(input, output, std::span<std::int8_t, arena_bytes>{local});
    } else {
      (*this)(input, output, std::span<std::int8_t, arena_bytes>{detail::static_arena<Model>, arena_bytes});
    }
  }

  constexpr std::array<std::int8_t, Out::size> operator()(const std::array<std::int8_t, In::size>& input) const {
    std::array<std::int8_t, Out::size> output{};
    (*this)(std::span<const std::int8_t, In::size>{input}, std::span<std::int8_t, Out::size>{output});
    return output;
  }

  // A call whose buffers do not have the network's sizes: one error that says so.
  template <class Input>
    requires(!std::is_convertible_v<const Input&, const std::array<std::int8_t, In::size>&>)
  constexpr std::array<std::int8_t, Out::size> operator()(const Input&) const {
    [[maybe_unused]] constexpr bool reported = wrong_buffers<Input>();
    return {};
  }
  template <class Input, class Output>
    requires(!(std::is_convertible_v<const Input&, std::span<const std::int8_t, In::size>> &&
               std::is_convertible_v<Output&, std::span<std::int8_t, Out::size>>))
  constexpr void operator()(const Input&, Output&) const {
    [[maybe_unused]] constexpr bool reported = wrong_buffers<Input, Output>();
  }

  // The run of qpipe::run<network>: Self is this model as a template argument, so that each
  // kernel's constants are constant expressions and its routine takes what it can of them as
  // immediates (detail::TakesImmediates).
  // Where no kernel knows any (none takes them, or none was folded) it is the plain run: the same
  // work, and GCC then allocates the registers of the whole inlined pass as it did (ResNet-18
  // block by the other route: 32 to 56 B more code, 1.3k to 1.7k more cycles, for nothing).
  template <const Model& Self>
  static void run_constant(std::span<const std::int8_t, In::size> input, std::span<std::int8_t, Out::size> output) {
    if constexpr (!knows_immediates<Self>()) {
      Self(input, output);
    } else {
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        (run_stage_constant<K, Self>(input.data(), output.data(), detail::static_arena<Model>), ...);
      }(std::make_index_sequence<stage_count>{});
    }
  }

 private:
  template <class... Buffers>
  static constexpr bool wrong_buffers() {
    constexpr Sentence message = [] {
      Sentence s{};
      s << "the network reads " << In::size << " int8 codes (shape " << In{} << ") and writes " << Out::size
        << " (shape " << Out{} << "); call it with std::array<std::int8_t, " << In::size
        << "> or spans of exactly those sizes, not ";
      std::size_t n = 0;
      ((s << (n++ == 0 ? "" : " and ") << detail::type_name<Buffers>()), ...);
      return s;
    }();
    return detail::report<message>();
  }
  template <const Model& Self>
  static consteval bool knows_immediates() {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return (known_immediates(boost::hana::at_c<K>(Self.kernels)) || ...);
    }(std::make_index_sequence<stage_count>{});
  }
  template <class Kernel>
  static consteval bool known_immediates(const Kernel& kernel) {
    if constexpr (detail::TakesImmediates<Kernel>) return kernel.immediates().known;
    return false;
  }
  static constexpr const std::int8_t* read_pointer(std::size_t b, const std::int8_t* input, std::int8_t* arena) {
    return b == 0 ? input : arena + buffer_offset(b);
  }
  template <std::size_t K>
  static constexpr std::int8_t* write_pointer(std::int8_t* output, std::int8_t* arena) {
    return K + 1 == stage_count ? output : arena + buffer_offset(K + 1);
  }
  template <std::size_t K>
  constexpr void run_stage(const std::int8_t* input, std::int8_t* output, std::int8_t* arena) const {
    const std::int8_t* src = read_pointer(reads[K][0], input, arena);
    std::int8_t* dst = write_pointer<K>(output, arena);
    if constexpr (views[K]) {
      // Nothing to do: the stages after it read its input's bytes.
    } else if constexpr (expands[K]) {
      using kernel_type = std::remove_cvref_t<decltype(boost::hana::at_c<K>(kernels))>;
      boost::hana::at_c<K>(kernels).template apply_expanding<typename kernel_type::immediates_type{}>(
          arena + buffer_offset(reads[K][0]), dst);
    } else if constexpr (reads[K][1] == none) {
      boost::hana::at_c<K>(kernels)(src, dst);
    } else {
      boost::hana::at_c<K>(kernels)(src, read_pointer(reads[K][1], input, arena), dst);
    }
  }
  // Self: this model as a template argument, so that a kernel's immediates() is a constant.
  template <std::size_t K, const Model& Self>
  static void run_stage_constant(const std::int8_t* input, std::int8_t* output, std::int8_t* arena) {
    using kernel_type = std::remove_cvref_t<decltype(boost::hana::at_c<K>(Self.kernels))>;
    if constexpr (expands[K] && detail::TakesImmediates<kernel_type>) {
      constexpr const kernel_type& kernel = boost::hana::at_c<K>(Self.kernels);
      kernel.template apply_expanding<kernel.immediates()>(arena + buffer_offset(reads[K][0]),
                                                           write_pointer<K>(output, arena));
    } else if constexpr (detail::TakesImmediates<kernel_type> && reads[K][1] == none) {
      constexpr const kernel_type& kernel = boost::hana::at_c<K>(Self.kernels);
      kernel.template apply<kernel.immediates()>(read_pointer(reads[K][0], input, arena),
                                                 write_pointer<K>(output, arena));
    } else {
      Self.template run_stage<K>(input, output, arena);
    }
  }
};

namespace detail {
template <class T>
inline constexpr bool is_spec = false;
template <class Net, ShapeType In, class... Params>
inline constexpr bool is_spec<Spec<Net, In, Params...>> = true;
// What make_spec<Net, Shape>(...) returns.
template <class T>
concept SpecType = is_spec<T>;

template <class T>
inline constexpr bool is_model = false;
template <ShapeType In, ShapeType Out, class Wiring, class... Kernels>
inline constexpr bool is_model<Model<In, Out, Wiring, Kernels...>> = true;
// What compile(spec) returns.
template <class T>
concept ModelType = is_model<T>;
}  // namespace detail

// Runs `network` (a Model with static storage: compile's result as an inline constexpr variable)
// on its static arena, like network(input, output), with the network as a template argument: its
// constants are then constant expressions, and the M0 routines take the layer constants they
// share (the clamp, the piece bits of the fitted requantization) as immediates. The same outputs,
// bit for bit; on the M0 fewer cycles.
// A refused declaration's model runs nothing (its error was reported where it was declared).
template <const auto& network, class... Arguments>
  requires detail::is_refused_model<std::remove_cvref_t<decltype(network)>>
void run(const Arguments&...) {}

template <const auto& network>
  requires detail::ModelType<std::remove_cvref_t<decltype(network)>>
void run(std::span<const std::int8_t, std::remove_cvref_t<decltype(network)>::input_shape::size> input,
         std::span<std::int8_t, std::remove_cvref_t<decltype(network)>::output_shape::size> output) {
  std::remove_cvref_t<decltype(network)>::template run_constant<network>(input, output);
}

namespace detail {

// Step K quantized into its portable op from the grids of the buffers it reads (Quantized: the op
// and the grid of its output).
template <class Plan, std::size_t K, class SpecType, std::size_t Buffers>
consteval auto quantize_step(const SpecType& s, const std::array<Grid, Buffers>& grids) {
  using N = typename Plan::template node<K>;
  using In = typename Plan::template input_shape<K>;
  if constexpr (N::arity == 2) {
    return N::step::template quantize_merge<In, typename Plan::template other_shape<K>>(
        grids[N::source], grids[N::other], s.template params_of_step<K>());
  } else {
    return N::step::template quantize<In>(grids[N::source], s.template params_of_step<K>());
  }
}

// The grid of every buffer: [0] the input, [k + 1] the output of step k. The comma fold runs left
// to right, so every grid a step reads is ready before it runs.
template <class Plan, class SpecType, std::size_t... K>
consteval auto grids_of(const SpecType& s, std::index_sequence<K...>) {
  std::array<Grid, Plan::step_count + 1> grids{};
  grids[0] = s.input;
  ((grids[K + 1] = quantize_step<Plan, K>(s, grids).output), ...);
  return grids;
}

template <class Backend, class SpecType, class Seq> struct model_of;
template <class Backend, class SpecType, std::size_t... K>
struct model_of<Backend, SpecType, std::index_sequence<K...>> {
  using plan = typename SpecType::plan;
  using type =
      Model<typename SpecType::input_shape, typename plan::output_shape, Wiring<structure<typename SpecType::pipe>>,
            decltype(Backend::lower(std::declval<const typename plan::template op<K>&>()))...>;
};
// The Model a spec compiles into for a backend.
template <class Backend, class SpecType>
using model_type = typename model_of<Backend, SpecType, std::make_index_sequence<SpecType::plan::step_count>>::type;

// Step K lowered by the backend, its output grid recorded for the steps that read it.
template <class Backend, class Plan, std::size_t K, class SpecType, std::size_t Buffers>
consteval auto lower_threaded(const SpecType& s, std::array<Grid, Buffers>& grids) {
  const auto q = quantize_step<Plan, K>(s, grids);
  grids[K + 1] = q.output;
  return Backend::lower(q.op);
}

// Every step in order, each output grid threaded into the steps that read it, each op lowered by
// the backend: one constant evaluation for the whole network. (Assignment rather than a braced
// list of calls, and function templates rather than lambdas: GCC 12 rejects consteval calls in
// those positions.)
template <class Backend, class SpecType, std::size_t... K>
consteval auto compile_steps(const SpecType& s, std::index_sequence<K...>) {
  using plan = typename SpecType::plan;
  std::array<Grid, plan::step_count + 1> grids{};
  grids[0] = s.input;
  model_type<Backend, SpecType> model{};
  ((boost::hana::at_c<K>(model.kernels) = lower_threaded<Backend, plan, K>(s, grids)), ...);
  return model;
}

// compile<spec>(): every step a constant evaluation of its own, so that the compiler's limit on
// the operations of one evaluation (-fconstexpr-ops-limit) applies to each step, never to the whole
// network. grids_through<Spec, B> holds the grids of buffers 0..B: B's is the output grid of step
// B - 1, computed from the grids before it in an evaluation of its own. Each is instantiated after
// the one before it (step_compiles and compile_each_step name them in order), so the
// instantiation depth stays constant however deep the network.
template <const auto& Spec, std::size_t B>
inline constexpr auto grids_through = []() consteval {
  using plan = typename std::remove_cvref_t<decltype(Spec)>::plan;
  if constexpr (B == 0) {
    std::array<Grid, plan::step_count + 1> grids{};
    grids[0] = Spec.input;
    return grids;
  } else {
    auto grids = grids_through<Spec, B - 1>;
    grids[B] = quantize_step<plan, B - 1>(Spec, grids).output;
    return grids;
  }
}();
template <const auto& Spec, class Backend, std::size_t K>
consteval auto lower_step() {
  return Backend::lower(
      quantize_step<typename std::remove_cvref_t<decltype(Spec)>::plan, K>(Spec, grids_through<Spec, K>).op);
}
template <const auto& Spec, class Backend, std::size_t K>
inline constexpr auto step_kernel = lower_step<Spec, Backend, K>();

// ---- Diagnosing a spec that does not compile (compile<spec>()) -----------------------------------
// A step whose constants cannot be computed stops its constant evaluation at a compile_error
// function. compile<spec>() first asks, step by step in order, whether the step's evaluation and
// its lowering would succeed (a failed constant expression inside a requires-expression is just
// false, and GCC caches the successful evaluations for the real run); if one would not and its
// mistake is one of the usual ones, it reports a sentence naming the layer and the value, and
// refuses the model: no second error. Otherwise it compiles as usual: a probe may fail where the
// step's own evaluation does not (the ops limit), and a real failure then stops at its
// compile_error function, which names the rule.
template <int> struct constant_probe {};
template <const auto& Spec, class Backend, std::size_t K>
consteval int quantizes_and_lowers() {
  (void)lower_step<Spec, Backend, K>();  // quantizes step K on the grids before it, then lowers it
  return 0;
}
// Whether steps 0..K all compile; a step is only tried when those before it passed, so the grids
// it reads exist.
template <const auto& Spec, class Backend, std::size_t K>
struct step_compiles {
  static constexpr bool value = [] {
    if constexpr (!step_compiles<Spec, Backend, K - 1>::value) {
      return false;
    } else {
      return requires { typename constant_probe<quantizes_and_lowers<Spec, Backend, K>()>; };
    }
  }();
};
template <const auto& Spec, class Backend>
struct step_compiles<Spec, Backend, 0> {
  static constexpr bool value = requires { typename constant_probe<quantizes_and_lowers<Spec, Backend, 0>()>; };
};

// The first step whose quantization fails (the step count if none does).
template <const auto& Spec, class Backend, std::size_t... K>
consteval std::size_t first_failing_step(std::index_sequence<K...>) {
  constexpr bool ok[] = {step_compiles<Spec, Backend, K>::value..., true};
  for (std::size_t k = 0; k < sizeof...(K); ++k)
    if (!ok[k]) return k;
  return sizeof...(K);
}

constexpr bool grid_ok(Grid g) {
  return g.scale > 0 && math::is_finite(g.scale) && g.zero_point >= int8_min && g.zero_point <= int8_max;
}
constexpr void explain_grid(Sentence& s, std::string_view which, Grid g) {
  s << which << " has scale " << g.scale << " and zero point " << g.zero_point << "; ";
  if (!(g.scale > 0) || !math::is_finite(g.scale)) {
    s << "a scale must be positive and finite";
  } else {
    s << "a zero point must lie in [-128, 127]";
  }
}
// Every weight, however nested the arrays.
template <class F, class T>
constexpr void each_weight(const T& x, F&& f) {
  if constexpr (std::is_array_v<T>) {
    for (const auto& e : x) each_weight(e, f);
  } else {
    f(x);
  }
}

// The usual mistakes of step K's parameters, as a sentence (empty when none applies).
template <class Plan, const auto& Spec, std::size_t K>
consteval Sentence parameter_mistake() {
  using N = typename Plan::template node<K>;
  using S = typename N::step;
  Sentence s{};
  if (N::source == 0 && !grid_ok(Spec.input)) {
    explain_grid(s, "the input grid", Spec.input);
    return s;
  }
  const auto& p = Spec.template params_of_step<K>();
  using P = std::remove_cvref_t<decltype(p)>;
  if constexpr (requires { p.output.scale; }) {
    if (!grid_ok(p.output)) {
      describe<typename S::position, typename S::layer>(s) << ": ";
      explain_grid(s, "its output grid", p.output);
      return s;
    }
  }
  if constexpr (requires {
                  p.weights;
                  typename P::weight_type;
                }) {
    bool finite = true, any = false;
    each_weight(p.weights, [&](auto w) {
      finite = finite && math::is_finite(static_cast<double>(w));
      any = any || w != 0;
    });
    bool scales_given = false, scales_valid = true, scales_equal = true;
    double first_scale = 0;
    double other_scale = 0;
    std::size_t count = 0, bad = 0, differing = 0;
    each_weight(p.weight_scale, [&](double w) {
      if (count == 0) first_scale = w;
      scales_given = scales_given || w != 0;
      if (scales_valid && (!(w > 0) || !math::is_finite(w))) {
        scales_valid = false;
        bad = count;
      }
      if (scales_equal && w != first_scale) {
        scales_equal = false;
        differing = count;
        other_scale = w;
      }
      ++count;
    });
    if (scales_given && !scales_valid) {
      describe<typename S::position, typename S::layer>(s)
          << ": weight_scale[" << bad
          << "] is not positive and finite; weight scales must all be given, positive and finite, or all left 0";
      return s;
    }
    if constexpr (requires { S::layer::weight_granularity; }) {
      if (scales_given && !scales_equal && S::layer::weight_granularity == qpipe::WeightGranularity::per_tensor) {
        describe<typename S::position, typename S::layer>(s)
            << ": weight_scale[0] is " << first_scale << " and weight_scale[" << differing << "] " << other_scale
            << "; a per-tensor layer needs one weight scale for every channel (or use its PerChannel form)";
        return s;
      }
    }
    if (!finite || (!any && !scales_given) || (std::is_same_v<typename P::weight_type, std::int8_t> && !scales_given)) {
      describe<typename S::position, typename S::layer>(s) << ": ";
      if (!finite) {
        s << "a weight is not finite";
      } else if (!any) {
        s << "its weights are all zero, so the scale max |w| / 127 would be 0; give weight_scale, or real weights";
      } else {
        s << "its weights are int8, so their scales must be given (weight_scale)";
      }
      return s;
    }
  }
  if constexpr (requires { p.bias; }) {
    bool finite = true;
    each_weight(p.bias, [&](double b) { finite = finite && math::is_finite(b); });
    if (!finite) {
      describe<typename S::position, typename S::layer>(s) << ": a bias is not finite";
      return s;
    }
  }
  return s;
}

// The sentence for the first failing step's mistake, empty when no step fails or the mistake is
// not one parameter_mistake knows.
template <class Plan, const auto& Spec, std::size_t Failing>
consteval Sentence failing_step_mistake() {
  if constexpr (Failing < Plan::step_count) {
    return parameter_mistake<Plan, Spec, Failing>();
  } else {
    return {};
  }
}

template <const auto& Spec, class Backend, std::size_t... K>
consteval auto compile_each_step(std::index_sequence<K...>) {
  model_type<Backend, std::remove_cvref_t<decltype(Spec)>> model{};
  ((boost::hana::at_c<K>(model.kernels) = step_kernel<Spec, Backend, K>), ...);
  return model;
}

template <class Plan, std::size_t... B>
constexpr auto float_buffer_offsets(std::index_sequence<B...>) {
  constexpr std::size_t size[] = {Plan::template buffer_shape<B>::size...};
  std::array<std::size_t, sizeof...(B) + 1> offset{};
  for (std::size_t b = 0; b < sizeof...(B); ++b) offset[b + 1] = offset[b] + size[b];
  return offset;
}

}  // namespace detail

// The integer network for a backend: the default one of the target (backends/select.hpp), or one
// named, e.g. compile<qpipe::m0::Backend>(spec) to run the Cortex-M0's kernels on the host. One
// constant evaluation: GCC's limit on its operations (-fconstexpr-ops-limit, 2^25 by default)
// applies to the whole network.
template <class Backend = DefaultBackend, class Net, ShapeType In, class... Params>
consteval auto compile(const Spec<Net, In, Params...>& s) {
  using plan = typename Spec<Net, In, Params...>::plan;
  return detail::compile_steps<Backend>(s, std::make_index_sequence<plan::step_count>{});
}

template <class Backend = DefaultBackend, ShapeType In, ShapeType Out>
consteval auto compile(const detail::Refused<In, Out>&) {
  return detail::RefusedModel<In, Out>{};
}

// The same network for a spec with static storage (an inline constexpr variable), each step's
// kernel computed as a constant of its own: a deep network needs no raised limit.
//   inline constexpr auto network = qpipe::compile<spec>();
template <const auto& Spec, class Backend = DefaultBackend>
  requires detail::SpecType<std::remove_cvref_t<decltype(Spec)>>
consteval auto compile() {
  using spec_type = std::remove_cvref_t<decltype(Spec)>;
  using plan = typename spec_type::plan;
  constexpr std::size_t failing =
      detail::first_failing_step<Spec, Backend>(std::make_index_sequence<plan::step_count>{});
  constexpr Sentence mistake = detail::failing_step_mistake<plan, Spec, failing>();
  // Refused only after a sentence was reported. A probe can fail where the step's own evaluation
  // does not (GCC counted the MobileNetV1 replica's step 22 past the ops limit in the probe only):
  // then the network is compiled as usual, so that it is either built or fails loudly, never
  // silently empty.
  if constexpr (mistake.size() > 0) {
    [[maybe_unused]] constexpr bool reported = detail::report<mistake>();
    return detail::RefusedModel<typename spec_type::input_shape, typename plan::output_shape>{};
  } else if constexpr (failing < plan::step_count) {
    // A failure without a sentence: the failing step's kernel alone, evaluated once more here (what
    // compile_each_step would do). Where it really fails, that is the one error, naming the rule
    // (its compile_error function, or GCC's operation limit), and the model is refused; where only
    // the probe failed, the step is a constant and the network is compiled as usual.
    if constexpr (requires {
                    typename detail::constant_probe<(void(detail::step_kernel<Spec, Backend, failing>), 0)>;
                  }) {
      return detail::compile_each_step<Spec, Backend>(std::make_index_sequence<plan::step_count>{});
    } else {
      return detail::RefusedModel<typename spec_type::input_shape, typename plan::output_shape>{};
    }
  } else {
    return detail::compile_each_step<Spec, Backend>(std::make_index_sequence<plan::step_count>{});
  }
}
template <const auto& Spec, class Backend = DefaultBackend>
  requires detail::is_refused<std::remove_cvref_t<decltype(Spec)>>
consteval auto compile() {
  using refused = std::remove_cvref_t<decltype(Spec)>;
  return detail::RefusedModel<typename refused::input_shape, typename refused::output_shape>{};
}

// The grid of every buffer ([0] the input, [k + 1] the output of step k), for dequantizing on the host.
template <class Net, ShapeType In, class... Params>
consteval auto grids(const Spec<Net, In, Params...>& s) {
  using plan = typename Spec<Net, In, Params...>::plan;
  return detail::grids_of<plan>(s, std::make_index_sequence<plan::step_count>{});
}

template <class Net, ShapeType In, class... Params>
consteval Grid output_grid(const Spec<Net, In, Params...>& s) {
  return grids(s).back();
}
// A refused declaration's grids and float reference: quiet placeholders (see detail::Refused).
template <ShapeType In, ShapeType Out>
consteval Grid output_grid(const detail::Refused<In, Out>&) {
  return {1.0, 0};
}
template <ShapeType In, ShapeType Out>
constexpr std::array<double, Out::size> reference(const detail::Refused<In, Out>&,
                                                  const std::array<double, In::size>&) {
  return {};
}

// The float reference: the same Pipe and parameters evaluated in double, no quantization at all.
// Every buffer of one input is kept, one after the other in `values` (a residual's input is read
// again at its add; observers read them all).
template <class Net, ShapeType In, class... Params>
struct FloatTrace {
  using plan = typename Spec<Net, In, Params...>::plan;
  static constexpr auto offset = detail::float_buffer_offsets<plan>(std::make_index_sequence<plan::step_count + 1>{});
  double values[offset.back()]{};
  constexpr const double* buffer(std::size_t b) const { return values + offset[b]; }
};

namespace detail {
// Step K of the float reference over a trace whose earlier buffers are filled in.
template <std::size_t K, class Trace, class SpecType>
constexpr void reference_step(const SpecType& s, Trace& t) {
  using plan = typename Trace::plan;
  using N = typename plan::template node<K>;
  const FloatSlots at{Trace::offset[N::source], N::arity == 2 ? Trace::offset[N::other] : 0, Trace::offset[K + 1]};
  if constexpr (N::arity == 2) {
    N::step::template reference_merge<typename plan::template input_shape<K>, typename plan::template other_shape<K>>(
        s.template params_of_step<K>(), t.values, at);
  } else {
    N::step::template reference<typename plan::template input_shape<K>>(s.template params_of_step<K>(), t.values, at);
  }
}
// Every step in order. (Calls of a function template, not lambdas: GCC's -Wsequence-point, in
// -Wall, takes time quadratic in the steps over a fold of lambda calls.)
template <class Trace, class SpecType, std::size_t... K>
constexpr void run_reference(const SpecType& s, Trace& t, std::index_sequence<K...>) {
  (reference_step<K>(s, t), ...);
}
}  // namespace detail

template <class Net, ShapeType In, class... Params>
constexpr auto reference_trace(const Spec<Net, In, Params...>& s, const std::array<double, In::size>& input) {
  using trace_type = FloatTrace<Net, In, Params...>;
  trace_type t{};
  for (std::size_t i = 0; i < In::size; ++i) t.values[i] = input[i];
  detail::run_reference(s, t, std::make_index_sequence<trace_type::plan::step_count>{});
  return t;
}

template <class Net, ShapeType In, class... Params>
constexpr auto reference(const Spec<Net, In, Params...>& s, const std::array<double, In::size>& input) {
  using Out = typename Spec<Net, In, Params...>::output_shape;
  const auto t = reference_trace(s, input);
  const double* last = t.buffer(Spec<Net, In, Params...>::plan::step_count);
  std::array<double, Out::size> out{};
  for (std::size_t i = 0; i < Out::size; ++i) out[i] = last[i];
  return out;
}

}  // namespace qpipe
