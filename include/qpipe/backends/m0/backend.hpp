// The Cortex-M0 backend: lower(op) builds the kernel the M0 runs for a portable op, one dispatcher
// per op kind (convolution.hpp, depthwise.hpp, fully_connected.hpp, pad.hpp, add.hpp). An op it has
// no kernel of its own for (pools, tables, softmax, a clamp pass, and any op added later) runs its
// reference loop nest. Every kernel computes the op's bytes; the host tests run them against the
// reference backend, and the on-target tests run the assembly under qemu.
#pragma once

#include "qpipe/backends/m0/add.hpp"
#include "qpipe/backends/m0/convolution.hpp"
#include "qpipe/backends/m0/depthwise.hpp"
#include "qpipe/backends/m0/fully_connected.hpp"
#include "qpipe/backends/m0/pad.hpp"
#include "qpipe/backends/m0/target.hpp"
#include "qpipe/reference/backend.hpp"

namespace qpipe::m0 {

template <class Op>
consteval reference_ops::Kernel<Op> lower(const Op& op) {
  return {op};
}

struct Backend {
  template <class Op>
  static consteval auto lower(const Op& op) {
    static_assert(
        !(size_optimized && sizeof(Op) > 0),
        "qpipe: the Cortex-M0 kernels need the translation unit that quantizes and runs the network compiled "
        "with -O2 or -O3, not -Os: on Thumb-1, -Os takes r8-r11 from GCC's register allocator and the kernels' "
        "assembly loops use them (target.hpp). The rest of the program may use -Os.");
    return m0::lower(op);
  }
};

}  // namespace qpipe::m0
