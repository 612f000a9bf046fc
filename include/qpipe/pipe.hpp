// Pipe<Layers...>: a network as a type. spec<Net, InputShape>(input grid, parameter blocks...)
// binds float parameters to it; quantize(spec) has the compiler turn them into an integer Model.
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
#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/shape.hpp"

namespace qpipe {

namespace detail {

// Reported when the number of parameter blocks is wrong: one block per layer with parameters
// (QDense, QConv2D, ..., and one per Residual for its add), in the order the steps run.
template <std::size_t Expected, std::size_t Given>
constexpr bool parameter_block_count_matches() {
  static_assert(Expected == Given,
                "qpipe::spec: wrong number of parameter blocks (Expected vs Given above): give one "
                "per layer with parameters, in Pipe order, a Residual's add block after its branch's");
  return Expected == Given;
}

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
concept ExpandsInput = TakesImmediates<K> && K::expands_input && requires(const K& k, std::int8_t* in, std::int8_t* out) {
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
consteval auto spec(Grid input, const Params&... params) {
  constexpr std::size_t expected = detail::structure<Net>::param_count;
  static_assert(detail::parameter_block_count_matches<expected, sizeof...(Params)>());
  if constexpr (expected == sizeof...(Params)) {
    // Naming the last buffer's shape walks the whole Pipe: every shape and block is checked here.
    using checked_output = typename detail::plan<Net, In, Params...>::output_shape;
    static_assert(ShapeType<checked_output>);
    return Spec<Net, In, Params...>{checked(input), boost::hana::tuple<Params...>{params...}};
  } else {
    return NoParams{};  // after the error above: nothing more to report
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

  // The caller owns the input and the output; the intermediate buffers 1..S-1 live in the arena.
  static constexpr auto arena_plan = detail::plan_arena<stage_count>(buffer_bytes, reads, none);
  static constexpr std::size_t arena_bytes = arena_plan.bytes;
  // The most intermediate bytes live during any one stage: no placement can use less.
  static constexpr std::size_t peak_live_bytes = arena_plan.peak_live;
  // What one buffer per tensor would cost: the figure the plan is measured against.
  static constexpr std::size_t unplanned_arena_bytes = [] {
    std::size_t sum = 0;
    for (std::size_t k = 1; k < stage_count; ++k) sum += buffer_bytes[k];
    return sum;
  }();
  static constexpr std::size_t buffer_offset(std::size_t b) { return arena_plan.offset[b]; }

  boost::hana::tuple<Kernels...> kernels;

  constexpr void operator()(std::span<const std::int8_t, In::size> input,
                            std::span<std::int8_t, Out::size> output,
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
      boost::hana::at_c<K>(kernels).template apply_expanding<typename kernel_type::immediates_type{}>(arena + buffer_offset(reads[K][0]), dst);
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
      kernel.template apply_expanding<kernel.immediates()>(arena + buffer_offset(reads[K][0]), write_pointer<K>(output, arena));
    } else if constexpr (detail::TakesImmediates<kernel_type> && reads[K][1] == none) {
      constexpr const kernel_type& kernel = boost::hana::at_c<K>(Self.kernels);
      kernel.template apply<kernel.immediates()>(read_pointer(reads[K][0], input, arena), write_pointer<K>(output, arena));
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
// What spec<Net, Shape>(...) returns.
template <class T>
concept SpecType = is_spec<T>;

template <class T>
inline constexpr bool is_model = false;
template <ShapeType In, ShapeType Out, class Wiring, class... Kernels>
inline constexpr bool is_model<Model<In, Out, Wiring, Kernels...>> = true;
// What quantize(spec) returns.
template <class T>
concept ModelType = is_model<T>;
}  // namespace detail

// Runs `network` (a Model with static storage: quantize's result as an inline constexpr variable)
// on its static arena, like network(input, output), with the network as a template argument: its
// constants are then constant expressions, and the M0 routines take the layer constants they
// share (the clamp, the piece bits of the fitted requantization) as immediates. The same outputs,
// bit for bit; on the M0 fewer cycles.
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
    return N::step::template quantize_merge<In, typename Plan::template other_shape<K>>(grids[N::source], grids[N::other],
                                                                                       s.template params_of_step<K>());
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
  using type = Model<typename SpecType::input_shape, typename plan::output_shape, Wiring<structure<typename SpecType::pipe>>,
                     decltype(Backend::lower(std::declval<const typename plan::template op<K>&>()))...>;
};
// The Model a spec quantizes into for a backend.
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
consteval auto quantize_steps(const SpecType& s, std::index_sequence<K...>) {
  using plan = typename SpecType::plan;
  std::array<Grid, plan::step_count + 1> grids{};
  grids[0] = s.input;
  model_type<Backend, SpecType> model{};
  ((boost::hana::at_c<K>(model.kernels) = lower_threaded<Backend, plan, K>(s, grids)), ...);
  return model;
}

// One step's kernel as a constant of its own (quantize<spec>()): the compiler's limit on the
// operations of one constant evaluation then applies to each step, not to the whole network.
template <const auto& Spec>
inline constexpr auto spec_grids =
    grids_of<typename std::remove_cvref_t<decltype(Spec)>::plan>(Spec, std::make_index_sequence<std::remove_cvref_t<decltype(Spec)>::plan::step_count>{});
template <const auto& Spec, class Backend, std::size_t K>
consteval auto lower_step() {
  return Backend::lower(quantize_step<typename std::remove_cvref_t<decltype(Spec)>::plan, K>(Spec, spec_grids<Spec>).op);
}
template <const auto& Spec, class Backend, std::size_t K>
inline constexpr auto step_kernel = lower_step<Spec, Backend, K>();

template <const auto& Spec, class Backend, std::size_t... K>
consteval auto quantize_each_step(std::index_sequence<K...>) {
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
// named, e.g. quantize<qpipe::m0::Backend>(spec) to run the Cortex-M0's kernels on the host. One
// constant evaluation: GCC's limit on its operations (-fconstexpr-ops-limit, 2^25 by default)
// applies to the whole network.
template <class Backend = DefaultBackend, class Net, ShapeType In, class... Params>
consteval auto quantize(const Spec<Net, In, Params...>& s) {
  using plan = typename Spec<Net, In, Params...>::plan;
  return detail::quantize_steps<Backend>(s, std::make_index_sequence<plan::step_count>{});
}

// The same network for a spec with static storage (an inline constexpr variable), each step's
// kernel computed as a constant of its own: a deep network needs no raised limit.
//   inline constexpr auto network = qpipe::quantize<spec>();
template <const auto& Spec, class Backend = DefaultBackend>
  requires detail::SpecType<std::remove_cvref_t<decltype(Spec)>>
consteval auto quantize() {
  using plan = typename std::remove_cvref_t<decltype(Spec)>::plan;
  return detail::quantize_each_step<Spec, Backend>(std::make_index_sequence<plan::step_count>{});
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
