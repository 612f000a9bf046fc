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

// The refusal of -Os (target.hpp), for both backends: one message, where a network is lowered.
template <class Op>
consteval void refuse_size_optimized() {
  static_assert(!(size_optimized && sizeof(Op) > 0),
                "qpipe: the Cortex-M0 kernels need the translation unit that quantizes and runs the network compiled "
                "with -O2 or -O3, not -Os: on Thumb-1, -Os takes r8-r11 from GCC's register allocator and the kernels' "
                "assembly loops use them (target.hpp). The rest of the program may use -Os.");
}

// The default: the fastest kernels, whose pair kernels store each weight as a 16-bit lane (twice
// TFLite's bytes of flash).
struct Backend {
  template <class Op>
  static consteval auto lower(const Op& op) {
    refuse_size_optimized<Op>();
    return m0::lower(op);
  }
};

// The same kernels with every convolution's weights kept as bytes in flash (about TFLite's
// parameter bytes): the pair kernels expand a group of channels' weights on the stack at run time
// (byte_pairs.hpp). Identical outputs; costs cycles (the expansion and the inputs packed once per
// group), up to 2 KiB more stack, and RAM where a layer's output lay over its input
// (docs/cortex_m0.md, "Byte weights"). Selected by compile<spec, qpipe::m0::ByteWeightsBackend>().
struct ByteWeightsBackend {
  template <class Op>
  static consteval auto lower(const Op& op) {
    refuse_size_optimized<Op>();
    if constexpr (requires { m0::lower_byte_weights(op); }) {
      return m0::lower_byte_weights(op);
    } else {
      return m0::lower(op);
    }
  }
};

}  // namespace qpipe::m0
