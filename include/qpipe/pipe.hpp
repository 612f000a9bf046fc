// Pipe<Layers...>: a network as a type. spec<Net, InputShape>(input grid, parameter blocks...)
// binds float parameters to it; quantize(spec) has the compiler turn them into an integer Model.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/hana/at.hpp>
#include <boost/hana/tuple.hpp>

#include "qpipe/detail/plan.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/shape.hpp"

namespace qpipe {

template <Layer... Layers>
  requires(sizeof...(Layers) > 0)
struct Pipe {
  static constexpr std::size_t layer_count = sizeof...(Layers);
};

namespace detail {

// slot[k] = number of parameter blocks used by steps before k; slot[S] = all blocks.
template <class Steps, class Shapes>
constexpr auto parameter_slots() {
  return []<std::size_t... K>(std::index_sequence<K...>) {
    std::array<std::size_t, Steps::size + 1> slot{};
    std::size_t next = 0;
    ((slot[K] = next, next += at_t<K, Steps>::template has_params<at_t<K, Shapes>> ? 1 : 0), ...);
    slot[Steps::size] = next;
    return slot;
  }(std::make_index_sequence<Steps::size>{});
}

template <Layer... Layers, ShapeType In>
struct plan<Pipe<Layers...>, In> {
  using steps = to_type_list<decltype(fuse_steps<Layers...>())>;
  static constexpr std::size_t step_count = steps::size;
  using shapes = typename step_shapes<In, steps>::type;  // step_count + 1 entries
  template <std::size_t K> using step = at_t<K, steps>;
  template <std::size_t K> using shape = at_t<K, shapes>;
  using output_shape = shape<step_count>;

  template <std::size_t K>
  static constexpr bool has_params = step<K>::template has_params<shape<K>>;
  template <std::size_t K>
  using params = typename step<K>::template params<shape<K>>;

  // The kernel type step K quantizes into (an unevaluated call: nothing is computed here).
  template <std::size_t K>
  using kernel = decltype(step<K>::template quantize<shape<K>>(std::declval<Grid>(), std::declval<const params<K>&>()).kernel);

  // Position of step K's block among the user's parameter blocks, and how many blocks there are.
  static constexpr auto param_slot = parameter_slots<steps, shapes>();
  static constexpr std::size_t param_count = param_slot.back();
};

// Reported when the number of parameter blocks is wrong: one block per layer that has
// parameters (QDense, ...), in the order of the Pipe.
template <std::size_t Expected, std::size_t Given>
constexpr bool parameter_block_count_matches() {
  static_assert(Expected == Given,
                "qpipe::spec: wrong number of parameter blocks (Expected vs Given above): give one "
                "per layer with parameters, in Pipe order");
  return Expected == Given;
}

// Reported when a parameter block does not fit its layer; the instantiation line names the layer's
// index in the Pipe, its kind, the block it expects (with the sizes) and the one it was given.
template <std::size_t LayerIndex, class L, class Expected, class Given>
constexpr bool parameter_block_matches() {
  static_assert(std::is_same_v<Expected, Given>,
                "qpipe::spec: a parameter block does not fit its layer (see LayerIndex, L, Expected "
                "and Given in the instantiation above)");
  return std::is_same_v<Expected, Given>;
}

// Every Model of the same type shares one arena: models are run one at a time.
template <class M>
alignas(4) inline std::int8_t static_arena[M::arena_bytes > 0 ? M::arena_bytes : 1];

}  // namespace detail

// A Pipe bound to an input shape, an input grid and its float parameters. Holds doubles: it lives
// only in constant expressions and host code, never in the target binary.
template <class Net, ShapeType In, class... Params>
struct Spec {
  using pipe = Net;
  using input_shape = In;
  using plan = detail::plan<Net, In>;
  using output_shape = typename plan::output_shape;

  Grid input;
  std::tuple<Params...> params;

  template <std::size_t K>
  constexpr const auto& params_of_step() const {
    if constexpr (plan::template has_params<K>) {
      return std::get<plan::param_slot[K]>(params);
    } else {
      return no_params;
    }
  }
  static constexpr NoParams no_params{};
};

template <class Net, ShapeType In, class... Params>
consteval auto spec(Grid input, const Params&... params) {
  using plan = detail::plan<Net, In>;
  static_assert(detail::parameter_block_count_matches<plan::param_count, sizeof...(Params)>());
  if constexpr (plan::param_count == sizeof...(Params)) {
    using given = std::tuple<Params...>;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (([&] {
         if constexpr (plan::template has_params<K>) {
           using S = typename plan::template step<K>;
           static_assert(detail::parameter_block_matches<
                         S::layer_index, typename S::layer, typename plan::template params<K>,
                         std::tuple_element_t<plan::param_slot[K], given>>());
         }
       }()),
       ...);
    }(std::make_index_sequence<plan::step_count>{});
  }
  return Spec<Net, In, Params...>{checked(input), {params...}};
}

// The integer network: one kernel per step, all constants computed by the compiler, and an arena
// whose size is the exact peak of the intermediate buffers.
template <ShapeType In, ShapeType Out, class... Kernels>
struct Model {
  using input_shape = In;
  using output_shape = Out;
  static constexpr std::size_t stage_count = sizeof...(Kernels);

  // Bytes of each activation buffer: [0] the input, [k + 1] the output of stage k.
  static constexpr std::array<std::size_t, stage_count + 1> buffer_bytes{In::size, Kernels::output_size...};
  static constexpr std::array<std::size_t, stage_count> stage_macs{Kernels::macs...};
  static constexpr std::size_t macs = (std::size_t{0} + ... + Kernels::macs);
  static constexpr std::size_t parameter_bytes = (std::size_t{0} + ... + Kernels::parameter_bytes);

  // The caller owns the input and the output; the intermediate buffers 1..S-1 live in the arena.
  // In a chain, stage k reads buffer k and writes buffer k + 1 and nothing else is live, so
  // placing odd buffers at the start and even ones at the end makes the arena the exact peak.
  static constexpr std::size_t arena_bytes = [] {
    std::size_t peak = 0;
    for (std::size_t k = 0; k < stage_count; ++k) {
      const std::size_t in = k > 0 ? buffer_bytes[k] : 0;
      const std::size_t out = k + 1 < stage_count ? buffer_bytes[k + 1] : 0;
      peak = in + out > peak ? in + out : peak;
    }
    return peak;
  }();
  // What one buffer per tensor would cost: the figure the arena plan is measured against.
  static constexpr std::size_t unplanned_arena_bytes = [] {
    std::size_t sum = 0;
    for (std::size_t k = 1; k < stage_count; ++k) sum += buffer_bytes[k];
    return sum;
  }();
  static constexpr std::size_t buffer_offset(std::size_t k) {
    return k % 2 == 1 ? 0 : arena_bytes - buffer_bytes[k];
  }

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

 private:
  template <std::size_t K>
  constexpr void run_stage(const std::int8_t* input, std::int8_t* output, std::int8_t* arena) const {
    const std::int8_t* src = K == 0 ? input : arena + buffer_offset(K);
    std::int8_t* dst = K + 1 == stage_count ? output : arena + buffer_offset(K + 1);
    boost::hana::at_c<K>(kernels)(src, dst);
  }
};

namespace detail {

// Quantize step K from the grid of its input, and record the grid of its output.
template <class Plan, std::size_t K, class SpecType>
consteval auto quantize_step(const SpecType& s, std::array<Grid, Plan::step_count + 1>& grids) {
  using S = typename Plan::template step<K>;
  auto q = S::template quantize<typename Plan::template shape<K>>(grids[K], s.template params_of_step<K>());
  grids[K + 1] = q.output;
  return q.kernel;
}

template <class Plan, class SpecType, std::size_t... K>
consteval auto quantize_steps(const SpecType& s, std::index_sequence<K...>) {
  std::array<Grid, Plan::step_count + 1> grids{};
  grids[0] = s.input;
  using model_type = Model<typename SpecType::input_shape, typename Plan::output_shape,
                           typename Plan::template kernel<K>...>;
  // The comma fold runs left to right, so grid K is ready before step K needs it. (Assignment
  // rather than a braced list of calls: GCC 12 rejects consteval calls in that pack expansion.)
  model_type model{};
  ((boost::hana::at_c<K>(model.kernels) = quantize_step<Plan, K>(s, grids)), ...);
  return std::pair{model, grids};
}

// Every step in order, each output grid threaded into the next step. Returns the model and the
// grid of every buffer (grids are doubles: they stay in the compiler).
template <class Net, ShapeType In, class... Params>
consteval auto quantize_with_grids(const Spec<Net, In, Params...>& s) {
  using plan = detail::plan<Net, In>;
  return quantize_steps<plan>(s, std::make_index_sequence<plan::step_count>{});
}

}  // namespace detail

template <class Net, ShapeType In, class... Params>
consteval auto quantize(const Spec<Net, In, Params...>& s) {
  return detail::quantize_with_grids(s).first;
}

// The grid of the network's output (and of every intermediate buffer), for dequantizing on the host.
template <class Net, ShapeType In, class... Params>
consteval auto grids(const Spec<Net, In, Params...>& s) {
  return detail::quantize_with_grids(s).second;
}

template <class Net, ShapeType In, class... Params>
consteval Grid output_grid(const Spec<Net, In, Params...>& s) {
  return grids(s).back();
}

// The float reference: the same Pipe and parameters evaluated in double, no quantization at all.
template <class Net, ShapeType In, class... Params>
constexpr auto reference(const Spec<Net, In, Params...>& s, const std::array<double, In::size>& input) {
  using plan = detail::plan<Net, In>;
  using Out = typename plan::output_shape;
  constexpr std::size_t widest = []<std::size_t... K>(std::index_sequence<K...>) {
    std::size_t w = 0;
    ((w = plan::template shape<K>::size > w ? plan::template shape<K>::size : w), ...);
    return w;
  }(std::make_index_sequence<plan::step_count + 1>{});
  std::array<double, widest> a{}, b{};
  for (std::size_t i = 0; i < In::size; ++i) a[i] = input[i];
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((plan::template step<K>::template reference<typename plan::template shape<K>>(
          s.template params_of_step<K>(), a.data(), b.data()),
      std::swap(a, b)),
     ...);
  }(std::make_index_sequence<plan::step_count>{});
  std::array<double, Out::size> out{};
  for (std::size_t i = 0; i < Out::size; ++i) out[i] = a[i];
  return out;
}

}  // namespace qpipe
