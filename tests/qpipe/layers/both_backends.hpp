// A spec quantized for both backends: the reference loop nests and the Cortex-M0's kernels (on the
// host their C++ paths, the arithmetic of the assembly). run() gives the outputs, once the two
// have agreed code for code; the layer tests then hold them against the naive reference.
#pragma once

#include <doctest/doctest.h>

#include <qpipe.hpp>

namespace layer_cases {

template <const auto& Spec>
struct BothBackends {
  static constexpr auto reference = qpipe::compile<Spec, qpipe::reference_ops::Backend>();
  static constexpr auto m0 = qpipe::compile<Spec, qpipe::m0::Backend>();

  template <class Input>
  static auto run(const Input& x) {
    const auto r = reference(x);
    const auto m = m0(x);
    REQUIRE(r == m);
    return r;
  }
};

}  // namespace layer_cases
