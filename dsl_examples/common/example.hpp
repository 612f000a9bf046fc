// What the CNN examples share: the light interface their main program sees (so that only one
// translation unit per build has the compiler calibrate and quantize the network), the program
// that prints int8 logits (host and M0, integer formatting only), and the host's parity report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace examples {

// Filled in by the example's forward.cpp, from the network's compile-time facts.
struct ExampleInfo {
  const char* name;
  std::size_t input_size;
  std::size_t logits;
  std::size_t test_count;
  std::size_t steps;
  std::size_t arena_bytes;
  std::size_t unplanned_arena_bytes;
  std::size_t macs;
  std::size_t parameter_bytes;
  const std::int8_t* (*test_input)(std::size_t n);  // quantized by the compiler
  void (*forward)(const std::int8_t* input, std::int8_t* logits);
  const char* const* stage_kinds;  // the layer kind of each runtime step (after folding)
  const std::size_t* stage_macs;
};

inline std::uint32_t xorshift(std::uint32_t& s) {
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return s;
}

// Prints the network's figures and the int8 logits of every test input, then of adversarial
// inputs (all -128, all 127, alternating extremes, two pseudo-random ones). The output is the
// example's golden file; host and M0 must print exactly the same bytes.
// The network's compile-time figures: the first line of print_logits, and a line of the profile
// programs' output that perf/profile_all.py reads.
inline void print_facts(const ExampleInfo& e) {
  std::printf("%s: %u steps, %u MACs, %u parameter bytes, arena %u bytes (one buffer per tensor: %u)\n", e.name,
              unsigned(e.steps), unsigned(e.macs), unsigned(e.parameter_bytes), unsigned(e.arena_bytes),
              unsigned(e.unplanned_arena_bytes));
}

inline int print_logits(const ExampleInfo& e) {
  print_facts(e);
  std::int8_t logits[16];
  if (e.logits > sizeof logits) return 2;
  for (std::size_t n = 0; n < e.test_count; ++n) {
    e.forward(e.test_input(n), logits);
    std::size_t best = 0;
    std::printf("sample %u: int8 logits", unsigned(n));
    for (std::size_t i = 0; i < e.logits; ++i) {
      std::printf(" %4d", logits[i]);
      if (logits[i] > logits[best]) best = i;
    }
    std::printf("  -> class %u\n", unsigned(best));
  }
  static std::int8_t input[1024];
  if (e.input_size > sizeof input) return 2;
  const char* names[] = {"all -128", "all 127", "alternating", "random 1", "random 2"};
  std::uint32_t seed = 12345;
  for (int kind = 0; kind < 5; ++kind) {
    for (std::size_t i = 0; i < e.input_size; ++i) {
      const int v = kind == 0   ? -128
                    : kind == 1 ? 127
                    : kind == 2 ? (i % 2 ? 127 : -128)
                                : int(xorshift(seed) % 256) - 128;
      input[i] = static_cast<std::int8_t>(v);
    }
    e.forward(input, logits);
    std::printf("%-11s: int8 logits", names[kind]);
    for (std::size_t i = 0; i < e.logits; ++i) std::printf(" %4d", logits[i]);
    std::printf("\n");
  }
  return 0;
}

}  // namespace examples
