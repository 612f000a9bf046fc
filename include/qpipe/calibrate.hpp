// Calibration by the compiler: run the float reference over constexpr sample inputs, observe the
// range of every buffer, and set each parameter block's output grid (and the input grid) from it.
// MinMax observer: the grid spans [min(lo, 0), max(hi, 0)] with the zero point nudged onto an
// integer so that real 0 is exactly representable (TFLite's asymmetric int8 activations).
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/pipe.hpp"

namespace qpipe {

struct Range {
  double lo = 0;
  double hi = 0;
};

// The int8 grid of a real range: 256 codes over [lo, hi] widened to include 0.
consteval Grid min_max_grid(Range r) {
  const double lo = r.lo < 0 ? r.lo : 0.0;
  double hi = r.hi > 0 ? r.hi : 0.0;
  if (hi - lo == 0) hi = lo + 1.0;  // a buffer that is always 0: any positive scale represents it
  const double scale = (hi - lo) / 255.0;
  const double zero_point = math::round_half_away(int8_min - lo / scale);
  return {scale, static_cast<std::int32_t>(zero_point < int8_min ? int8_min : (zero_point > int8_max ? int8_max : zero_point))};
}

namespace detail {

template <std::size_t Buffers>
struct Ranges {
  std::array<Range, Buffers> of{};
  std::array<bool, Buffers> seen{};
  constexpr void observe(std::size_t b, const double* values, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!seen[b] || values[i] < of[b].lo) of[b].lo = values[i];
      if (!seen[b] || values[i] > of[b].hi) of[b].hi = values[i];
      seen[b] = true;
    }
  }
};

template <class Plan, std::size_t K, class SpecType, class RangeArray>
consteval void set_output_grid(SpecType& s, const RangeArray& ranges) {
  if constexpr (Plan::template step<K>::layer::has_params) {
    std::get<Plan::param_slot[K]>(s.params).output = min_max_grid(ranges[K + 1]);
  }
}

// (A function template rather than a lambda: GCC 12 rejects lambdas that capture locals of a
// consteval function in this position.)
template <class Plan, class SpecType, class RangeArray, std::size_t... K>
consteval void set_output_grids(SpecType& s, const RangeArray& ranges, std::index_sequence<K...>) {
  (set_output_grid<Plan, K>(s, ranges), ...);
}

}  // namespace detail

// The observed range of every buffer ([0] the input, [k + 1] the output of step k).
template <class Net, ShapeType In, class... Params, std::size_t N>
consteval auto observe_ranges(const Spec<Net, In, Params...>& s, const std::array<std::array<double, In::size>, N>& samples) {
  using plan = typename Spec<Net, In, Params...>::plan;
  using trace_type = FloatTrace<Net, In, Params...>;
  detail::Ranges<plan::step_count + 1> r{};
  for (const auto& x : samples) {
    const trace_type t = reference_trace(s, x);
    for (std::size_t b = 0; b <= plan::step_count; ++b) {
      r.observe(b, t.buffer(b), trace_type::offset[b + 1] - trace_type::offset[b]);
    }
  }
  return r.of;
}

// The same spec with the input grid and every block's output grid set from the samples' ranges.
template <class Net, ShapeType In, class... Params, std::size_t N>
consteval auto calibrate(const Spec<Net, In, Params...>& s, const std::array<std::array<double, In::size>, N>& samples) {
  using plan = typename Spec<Net, In, Params...>::plan;
  const auto ranges = observe_ranges(s, samples);
  Spec<Net, In, Params...> out = s;
  out.input = min_max_grid(ranges[0]);
  detail::set_output_grids<plan>(out, ranges, std::make_index_sequence<plan::step_count>{});
  return out;
}

}  // namespace qpipe
