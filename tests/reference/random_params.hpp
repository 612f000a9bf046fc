// Deterministic pseudo-random float parameters usable in constant expressions (a 32-bit LCG), so
// tests can quantize many layer shapes at compile time without typing numbers in.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qpipe_test {

struct Lcg {
  std::uint32_t state;
  constexpr double uniform(double lo, double hi) {  // in [lo, hi)
    state = state * 1664525u + 1013904223u;
    return lo + (hi - lo) * (static_cast<double>(state >> 8) / 16777216.0);
  }
};

}  // namespace qpipe_test
