// The check loop of the on-target tests that hold a network on an M0 backend against the same
// network on the reference backend (window_pairs_on_target.cpp, pointwise_dense_on_target.cpp,
// byte_weights_on_target.cpp), and the seeded parameter blocks they run. Each spec is quantized
// for both (qpipe::m0::Backend by default, or ByteWeightsBackend: its assembly on the target, its
// C++ paths on the host; reference_ops::Backend: TFLite's loop nests), both run on seeded inputs,
// the M0 backend's bytes are printed (the host build prints the same: tests/meson.build compares
// them) and the bytes that differ from the reference's are counted.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <type_traits>

#include "qpipe.hpp"
#include "qpipe/backends/m0/backend.hpp"
#include "qpipe/reference/backend.hpp"

namespace on_target {

// The tests' generator (their parameters and inputs): 24 bits of a linear congruential step.
constexpr std::uint32_t next_random(std::uint32_t& s) {
  s = s * 1664525u + 1013904223u;
  return s >> 8;
}

// A convolution's parameter block (Conv2DParams, PointwiseConv2DParams) from a seed: int8 weights
// (never -128), a per-channel weight scale of scale (1 + (o mod 5) / 4), biases of about a
// quarter of the accumulator's spread.
template <class Params>
constexpr Params seeded_parameters(std::uint32_t seed, double scale, qpipe::Grid output) {
  Params p{};
  std::uint32_t s = seed;
  auto fill = [&](auto& self, auto& x) -> void {
    if constexpr (std::is_array_v<std::remove_reference_t<decltype(x)>>) {
      for (auto& e : x) self(self, e);
    } else {
      x = static_cast<std::int8_t>(static_cast<int>(next_random(s) % 255) - 127);
    }
  };
  fill(fill, p.weights);
  for (std::size_t o = 0; o < std::size(p.bias); ++o) {
    p.weight_scale[o] = scale * (1 + static_cast<double>(o % 5) / 4);
    p.bias[o] = (static_cast<double>(next_random(s) % 2001) - 1000) / 1000 * output.scale * 32;
  }
  p.output = output;
  return p;
}
// The same with every odd channel's weight scale times `factor`: real multipliers that far apart
// (2^3 for 1/8, as in the keyword-spotting network) leave no final shift common to all channels (numerics/fitted_requantization.hpp:
// at the shift the largest one allows, the smallest one's scale is too coarse for its steps), so
// the fit gives each channel its own.
template <class Params>
constexpr Params spread_scales(Params p, double factor) {
  for (std::size_t o = 1; o < std::size(p.weight_scale); o += 2) p.weight_scale[o] *= factor;
  return p;
}
template <auto Kernel, std::size_t InC, std::size_t OutC>
constexpr auto conv(std::uint32_t seed, double scale, qpipe::Grid output) {
  return seeded_parameters<qpipe::Conv2DParams<Kernel, InC, OutC, std::int8_t>>(seed, scale, output);
}

template <const auto& Spec, class Backend = qpipe::m0::Backend>
constexpr auto on_m0 = qpipe::compile<Spec, Backend>();
template <const auto& Spec>
constexpr auto on_reference = qpipe::compile<Spec, qpipe::reference_ops::Backend>();

// No second run of the M0 network.
struct NoExtraRun {};

// Runs both networks on `rounds` inputs (the first all -128, the second all 127, then random from
// seed), prints "name:" and the M0 backend's bytes on one line, and returns the number of bytes
// that differ from the reference's. extra, when given, is a second way to run the M0 network,
// called as extra(input, output) with the arrays' data (a kernel's own call operator): its bytes
// are counted against the reference's too, not printed.
// Backend: which of the M0 backends (qpipe::m0::Backend, qpipe::m0::ByteWeightsBackend).
template <const auto& Spec, class Extra = NoExtraRun, class Backend = qpipe::m0::Backend>
int check_against_reference(const char* name, int rounds, std::uint32_t& seed, Extra extra = {}) {
  constexpr bool has_extra = !std::is_same_v<Extra, NoExtraRun>;
  using S = std::remove_cvref_t<decltype(Spec)>;
  static std::array<std::int8_t, S::input_shape::size> input;
  static std::array<std::int8_t, S::plan::output_shape::size> got, want;
  static std::array<std::int8_t, has_extra ? S::plan::output_shape::size : 0> by_extra;  // none without it: RAM
  int bad = 0;
  std::printf("%s:", name);
  for (int r = 0; r < rounds; ++r) {
    for (auto& v : input) v = r == 0 ? -128 : r == 1 ? 127 : static_cast<std::int8_t>(next_random(seed));
    qpipe::run<on_m0<Spec, Backend>>(input, got);
    if constexpr (has_extra) extra(input.data(), by_extra.data());
    qpipe::run<on_reference<Spec>>(input, want);
    for (std::size_t i = 0; i < got.size(); ++i) {
      bad += got[i] != want[i];
      if constexpr (has_extra) bad += by_extra[i] != want[i];
      std::printf(" %d", int{got[i]});
    }
  }
  std::printf("\n");
  return bad;
}

}  // namespace on_target
