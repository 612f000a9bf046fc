// The profile program for any network (perf/m0_profile.py --header): what the network's
// translation unit gives the program (Network), the template that fills it in from a quantized
// network and its spec, and the program's body. Cortex-M0 only.
//
// m0_profile.py writes the network's translation unit:
//
//   #include "net.hpp"  // a namespace ns with spec and network, as the exporters write it
//   #include "perf/profile_network.hpp"
//   const qpipe_profile::Network qpipe_profile::profiled = qpipe_profile::describe<ns::network, ns::spec>();
//
// and links it with perf/profile_main.cpp (or, with --inline, writes one translation unit whose
// main runs qpipe::run<ns::network> itself, so that GCC may inline the whole inference into main).
// The program follows the protocol of dsl_examples/common/profile.hpp (the examples' profile
// programs): one `stage K KIND MACS` line per step, one inference between
// examples::profile_begin() and examples::profile_end(), the stack that inference used; and
// also `kernel K TYPE` (the kernel the backend chose for step K), `arena N` (the planned arena) and
// `arena bounds LIVE APART UNPLANNED`: what the arena is measured against, the planner's lower
// bound (the most bytes live during one step, less what an output may share with its input), the
// same with no output over its input (the largest live set of buffers apart), and one buffer per
// tensor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/hana/at.hpp>

#include "../dsl_examples/common/profile.hpp"
#include "../dsl_examples/common/stages.hpp"
#include "qpipe/pipe.hpp"

namespace qpipe_profile {

struct Network {
  std::size_t input_size;
  std::size_t output_size;
  std::size_t steps;
  std::size_t arena_bytes;
  std::size_t peak_live_bytes;        // Model::peak_live_bytes: no placement can use less
  std::size_t peak_live_apart_bytes;  // Model::peak_live_apart_bytes
  std::size_t unplanned_arena_bytes;  // Model::unplanned_arena_bytes: one buffer per tensor
  const char* const* kinds;    // the layer kind of each step (after folding)
  const std::size_t* macs;     // the MACs of each step
  const char* const* kernels;  // the kernel type the backend chose for each step
  std::int8_t* input;          // input_size bytes
  std::int8_t* output;         // output_size bytes
  void (*forward)();           // one inference from input to output, out of line
};

// Defined by the network's translation unit (one network per program).
extern const Network profiled;

// T's name as the compiler spells it, terminated (a copy of the part of __PRETTY_FUNCTION__ that
// names it).
template <class T>
consteval auto type_name_array() {
  constexpr std::string_view whole = __PRETTY_FUNCTION__;
  constexpr std::size_t from = whole.find("T = ") + 4;
  constexpr std::size_t to = whole.find_first_of(";]", from);
  std::array<char, to - from + 1> name{};
  for (std::size_t i = 0; i < to - from; ++i) name[i] = whole[from + i];
  return name;
}
template <class T>
inline constexpr auto type_name = type_name_array<T>();

template <const auto& network, std::size_t... K>
constexpr std::array<const char*, sizeof...(K)> kernel_names(std::index_sequence<K...>) {
  return {type_name<std::remove_cvref_t<decltype(boost::hana::at_c<K>(network.kernels))>>.data()...};
}

template <const auto& network>
struct Buffers {
  using Model = std::remove_cvref_t<decltype(network)>;
  alignas(4) static inline std::int8_t input[Model::input_shape::size];
  alignas(4) static inline std::int8_t output[Model::output_shape::size];
  static constexpr auto kernels = kernel_names<network>(std::make_index_sequence<Model::stage_count>{});

  // The inference: the network as a template argument (qpipe::run), as the examples run it.
  [[gnu::always_inline]] static void run() {
    qpipe::run<network>(std::span<const std::int8_t, Model::input_shape::size>{input},
                        std::span<std::int8_t, Model::output_shape::size>{output});
  }
  [[gnu::noinline]] static void forward() { run(); }
};

template <const auto& network, const auto& spec>
consteval Network describe() {
  using B = Buffers<network>;
  using Model = typename B::Model;
  return {Model::input_shape::size,
          Model::output_shape::size,
          Model::stage_count,
          Model::arena_bytes,
          Model::peak_live_bytes,
          Model::peak_live_apart_bytes,
          Model::unplanned_arena_bytes,
          examples::stage_kind_table<std::remove_cvref_t<decltype(spec)>>.data(),
          Model::stage_macs.data(),
          B::kernels.data(),
          B::input,
          B::output,
          &B::forward};
}

// The program: prints the steps and the kernels, fills the input with xorshift32 codes (the same
// on every run; the cycles of the requantization's clamps depend a little on the data), runs
// inference() once between the markers with the free stack painted, and prints the stack it used
// and a checksum of the output.
template <class Inference>
int profile_program(const Network& n, Inference&& inference) {
  for (std::size_t k = 0; k < n.steps; ++k) {
    std::printf("stage %u %s %u\n", unsigned(k), n.kinds[k], unsigned(n.macs[k]));
    std::printf("kernel %u %s\n", unsigned(k), n.kernels[k]);
  }
  std::printf("arena %u\n", unsigned(n.arena_bytes));
  std::printf("arena bounds %u %u %u\n", unsigned(n.peak_live_bytes), unsigned(n.peak_live_apart_bytes),
              unsigned(n.unplanned_arena_bytes));
  std::uint32_t s = 2463534242u;
  for (std::size_t i = 0; i < n.input_size; ++i) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    n.input[i] = static_cast<std::int8_t>(s >> 24);
  }
  // Paint all free RAM below SP (from the end of .bss, through the unused heap and the reserved
  // stack), run, find the deepest change: an inference that overruns the reserved stack is
  // measured, not capped at the reservation.
  const std::uintptr_t bottom = reinterpret_cast<std::uintptr_t>(__heap_start);
  const std::uintptr_t sp = examples::stack_pointer();
  for (std::uintptr_t a = bottom; a + 8 < sp; ++a) *reinterpret_cast<volatile std::uint8_t*>(a) = 0xa5;
  examples::profile_begin();
  inference();
  examples::profile_end();
  std::uintptr_t deepest = sp;
  for (std::uintptr_t a = bottom; a + 8 < sp && deepest == sp; ++a)
    if (*reinterpret_cast<volatile std::uint8_t*>(a) != 0xa5) deepest = a;
  std::printf("stack used by the inference: %u bytes\n", unsigned(sp - deepest));
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < n.output_size; ++i) sum = sum * 31u + static_cast<std::uint8_t>(n.output[i]);
  std::printf("output checksum %08x (%u bytes)\n", unsigned(sum), unsigned(n.output_size));
  return 0;
}

}  // namespace qpipe_profile
