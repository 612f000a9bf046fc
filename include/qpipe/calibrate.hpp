// Calibration by the compiler: run the float reference over constexpr sample inputs, let an
// observer choose the range of every buffer whose grid is free (the input and each parameter
// block's `output`), and set those grids. Each block names its observer in its `observer` field
// (default min_max()); the input's is an argument. The grid of a range spans [min(lo, 0),
// max(hi, 0)] with the zero point nudged onto an integer so that real 0 is exactly representable
// (TFLite's asymmetric int8 activations). Buffers whose grid follows from their layer (pooling,
// padding, sigmoid, tanh, softmax, a clamp pass) are observed but not set.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/pipe.hpp"

namespace qpipe {

// The int8 grid of a real range: 256 codes over [lo, hi] widened to include 0.
consteval Grid min_max_grid(Range r) {
  const double lo = r.lo < 0 ? r.lo : 0.0;
  double hi = r.hi > 0 ? r.hi : 0.0;
  if (hi - lo == 0) hi = lo + 1.0;  // a buffer that is always 0: any positive scale represents it
  const double scale = (hi - lo) / 255.0;
  const double zero_point = math::round_half_away(int8_min - lo / scale);
  return {scale, static_cast<std::int32_t>(zero_point < int8_min ? int8_min : (zero_point > int8_max ? int8_max : zero_point))};
}

// What calibration decided for one buffer: whether its grid is set by calibration (`calibrated`),
// the observer used, the range it saw and chose, and the resulting grid (calibrated buffers only).
struct BufferCalibration {
  bool calibrated = false;
  Observer observer{};
  ObservedRange range{};
  Grid grid{1.0, 0};
};

namespace detail {

template <class Plan, std::size_t K, class SpecType, std::size_t Buffers>
consteval void take_step_observer(const SpecType& s, std::array<BufferCalibration, Buffers>& report) {
  if constexpr (Plan::template step<K>::layer::has_params) {
    report[K + 1].calibrated = true;
    report[K + 1].observer = std::get<Plan::param_slot[K]>(s.params).observer;
  }
}

// (Function templates rather than lambdas: GCC 12 rejects lambdas that capture locals of a
// consteval function in these positions.)
template <class Plan, class SpecType, std::size_t Buffers, std::size_t... K>
consteval void take_step_observers(const SpecType& s, std::array<BufferCalibration, Buffers>& report, std::index_sequence<K...>) {
  (take_step_observer<Plan, K>(s, report), ...);
}

template <class Plan, std::size_t K, class SpecType, std::size_t Buffers>
consteval void set_output_grid(SpecType& s, const std::array<BufferCalibration, Buffers>& report) {
  if constexpr (Plan::template step<K>::layer::has_params) {
    std::get<Plan::param_slot[K]>(s.params).output = report[K + 1].grid;
  }
}

template <class Plan, class SpecType, std::size_t Buffers, std::size_t... K>
consteval void set_output_grids(SpecType& s, const std::array<BufferCalibration, Buffers>& report, std::index_sequence<K...>) {
  (set_output_grid<Plan, K>(s, report), ...);
}

}  // namespace detail

// Per buffer ([0] the input, [k + 1] the output of step k): the observer, the ranges and the grid
// that calibrate() would set. MinMax buffers are tracked as they stream past; the others keep
// every value they took (percentiles sort them, KL builds its histogram from them).
template <class Net, ShapeType In, class... Params, std::size_t N>
consteval auto calibration_report(const Spec<Net, In, Params...>& s, const std::array<std::array<double, In::size>, N>& samples,
                                  Observer input_observer = {}) {
  using plan = typename Spec<Net, In, Params...>::plan;
  using trace_type = FloatTrace<Net, In, Params...>;
  constexpr std::size_t buffers = plan::step_count + 1;
  std::array<BufferCalibration, buffers> report{};
  report[0].calibrated = true;
  report[0].observer = input_observer;
  detail::take_step_observers<plan>(s, report, std::make_index_sequence<plan::step_count>{});

  std::array<Range, buffers> seen{};
  std::vector<std::vector<double>> kept(buffers);
  for (std::size_t sample = 0; sample < N; ++sample) {
    const trace_type t = reference_trace(s, samples[sample]);
    for (std::size_t b = 0; b < buffers; ++b) {
      const double* v = t.buffer(b);
      const std::size_t n = trace_type::offset[b + 1] - trace_type::offset[b];
      if (sample == 0) seen[b] = {v[0], v[0]};
      for (std::size_t i = 0; i < n; ++i) {
        if (v[i] < seen[b].lo) seen[b].lo = v[i];
        if (v[i] > seen[b].hi) seen[b].hi = v[i];
      }
      if (report[b].calibrated && report[b].observer.method != Observer::Method::min_max) kept[b].insert(kept[b].end(), v, v + n);
    }
  }
  for (std::size_t b = 0; b < buffers; ++b) {
    const bool streamed = !report[b].calibrated || report[b].observer.method == Observer::Method::min_max;
    report[b].range = streamed ? ObservedRange{seen[b], seen[b], 0} : observe(report[b].observer, static_cast<std::vector<double>&&>(kept[b]));
    if (report[b].calibrated) report[b].grid = min_max_grid(report[b].range.chosen);
  }
  return report;
}

// The observed min/max of every buffer ([0] the input, [k + 1] the output of step k).
template <class Net, ShapeType In, class... Params, std::size_t N>
consteval auto observe_ranges(const Spec<Net, In, Params...>& s, const std::array<std::array<double, In::size>, N>& samples) {
  const auto report = calibration_report(s, samples);
  std::array<Range, report.size()> seen{};
  for (std::size_t b = 0; b < report.size(); ++b) seen[b] = report[b].range.seen;
  return seen;
}

// The same spec with the input grid and every block's output grid chosen by its observer.
template <class Net, ShapeType In, class... Params, std::size_t N>
consteval auto calibrate(const Spec<Net, In, Params...>& s, const std::array<std::array<double, In::size>, N>& samples,
                         Observer input_observer = {}) {
  using plan = typename Spec<Net, In, Params...>::plan;
  const auto report = calibration_report(s, samples, input_observer);
  Spec<Net, In, Params...> out = s;
  out.input = report[0].grid;
  detail::set_output_grids<plan>(out, report, std::make_index_sequence<plan::step_count>{});
  return out;
}

}  // namespace qpipe
