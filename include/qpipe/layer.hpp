// What every layer of the vocabulary provides, so that Pipe can check a declaration once, at the
// point where the user writes it.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <string_view>

#include "qpipe/numerics/grid.hpp"
#include "qpipe/shape.hpp"

namespace qpipe {

// The parameter block of a layer that has none (activations, pooling, ...).
struct NoParams {
  friend constexpr bool operator==(const NoParams&, const NoParams&) = default;
};

// The int8 range an output may take after the activations folded into its requantizer.
struct ClampRange {
  std::int32_t qmin = int8_min;
  std::int32_t qmax = int8_max;
  constexpr ClampRange intersect(ClampRange other) const {
    return {std::max(qmin, other.qmin), std::min(qmax, other.qmax)};
  }
};

// The integer result of quantizing one layer: its kernel and the grid its output lies on.
template <class Kernel>
struct Quantized {
  Kernel kernel;
  Grid output;
};

// A layer of the vocabulary: a name for diagnostics, shape inference, and either a kernel of its
// own or a clamp that folds into the requantizer before it.
template <class L>
concept Layer = requires {
  { L::kind } -> std::convertible_to<std::string_view>;
  { L::is_clamp } -> std::convertible_to<bool>;
  { L::absorbs_clamp } -> std::convertible_to<bool>;
};

// A layer whose only effect on the grid is to clamp it (ReLU, ReLU6).
template <class L>
concept ClampLayer = Layer<L> && L::is_clamp && requires(Grid g) {
  { L::clamp_on(g) } -> std::same_as<ClampRange>;
  { L::reference(0.0) } -> std::same_as<double>;
};

}  // namespace qpipe
