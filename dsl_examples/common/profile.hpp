// The program perf/m0_profile.py traces on the M0: prints each step's kind and MACs, then runs
// one inference between two marker calls, and reports how much stack that inference used
// (measured: all free RAM below SP is painted with a pattern first, and the deepest overwritten
// byte is found afterwards; painting only the reserved stack would cap the figure at its size when
// an inference overruns it). Cortex-M0 only (reads SP).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "example.hpp"

extern "C" std::uint8_t __heap_start[];   // the end of .bss: free RAM from here to SP (picolibc's linker script)

namespace examples {

// The profiler counts instructions between the calls to these two (by symbol).
[[gnu::noinline]] inline void profile_begin() { asm volatile(""); }
[[gnu::noinline]] inline void profile_end() { asm volatile(""); }

inline std::uintptr_t stack_pointer() {
  std::uintptr_t sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

inline int profile_run(const ExampleInfo& e) {
  for (std::size_t k = 0; k < e.steps; ++k)
    std::printf("stage %u %s %u\n", unsigned(k), e.stage_kinds[k], unsigned(e.stage_macs[k]));
  std::int8_t logits[16];
  if (e.logits > sizeof logits) return 2;
  // Paint from the end of .bss (the unused heap, then the reserved stack) to a little below SP.
  const std::uintptr_t bottom = reinterpret_cast<std::uintptr_t>(__heap_start);
  const std::uintptr_t sp = stack_pointer();
  volatile std::uint8_t* p = reinterpret_cast<volatile std::uint8_t*>(bottom);
  for (std::uintptr_t a = bottom; a + 8 < sp; ++a) *p++ = 0xa5;
  const std::int8_t* input = e.test_input(0);
  profile_begin();
  e.forward(input, logits);
  profile_end();
  std::uintptr_t deepest = sp;
  for (std::uintptr_t a = bottom; a + 8 < sp; ++a) {
    if (*reinterpret_cast<volatile std::uint8_t*>(a) != 0xa5) {
      deepest = a;
      break;
    }
  }
  std::printf("stack used by the inference: %u bytes\n", unsigned(sp - deepest));
  std::printf("logits:");
  for (std::size_t i = 0; i < e.logits; ++i) std::printf(" %d", logits[i]);
  std::printf("\n");
  return 0;
}

}  // namespace examples
