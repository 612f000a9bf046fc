// The reference backend: every op runs its plain loop nest (reference/<op>.hpp). The default on
// the host; what runs in constant expressions when a network was lowered for it.
#pragma once

#include <array>
#include <cstdint>

#include "qpipe/detail/read_front.hpp"

#include "qpipe/reference/add.hpp"
#include "qpipe/reference/concatenation.hpp"
#include "qpipe/reference/convolution.hpp"
#include "qpipe/reference/depthwise.hpp"
#include "qpipe/reference/elementwise.hpp"
#include "qpipe/reference/fully_connected.hpp"
#include "qpipe/reference/mean.hpp"
#include "qpipe/reference/mul.hpp"
#include "qpipe/reference/pad.hpp"
#include "qpipe/reference/pooling.hpp"
#include "qpipe/reference/reshape.hpp"

namespace qpipe::reference_ops {

// The loop nests that promise no order of their reads and writes (MEAN, the global average pool
// and the fully connected layer read every input for every output): their outputs never overlap
// an input.
constexpr std::array<detail::ReadFront, 2> read_fronts(const void*) { return {}; }

// An op with its loop nest as the kernel a Model runs (one input, or two: an add).
template <class Op>
struct Kernel {
  static constexpr std::size_t input_size = Op::input_size;
  static constexpr std::size_t output_size = Op::output_size;
  static constexpr std::size_t macs = Op::macs;
  static constexpr std::size_t parameter_bytes = Op::parameter_bytes;
  // The order the loop nest promises for each input (detail/read_front.hpp), stated beside it.
  static constexpr std::array<detail::ReadFront, 2> read_fronts =
      reference_ops::read_fronts(static_cast<const Op*>(nullptr));
  Op op;

  constexpr void operator()(const std::int8_t* in, std::int8_t* out) const { run(op, in, out); }
  constexpr void operator()(const std::int8_t* a, const std::int8_t* b, std::int8_t* out) const { run(op, a, b, out); }
};

struct Backend {
  template <class Op>
  static consteval Kernel<Op> lower(const Op& op) {
    return {op};
  }
};

}  // namespace qpipe::reference_ops
