// The reference reshape: a copy (run only when the reshape writes the network's output).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/ops/reshape.hpp"

namespace qpipe::reference_ops {

template <std::size_t Size>
constexpr void run(const ops::Reshape<Size>&, const std::int8_t* in, std::int8_t* out) {
  for (std::size_t i = 0; i < Size; ++i) out[i] = in[i];
}

}  // namespace qpipe::reference_ops
