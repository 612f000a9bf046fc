// Calibration by the compiler: run the float reference over constexpr sample inputs, let an
// observer choose the range of every buffer whose grid is free (the input and each parameter
// block's `output`), and set those grids. Each block names its observer in its `observer` field
// (default min_max()); the input's is an argument. The grid of a range spans [min(lo, 0),
// max(hi, 0)] with the zero point nudged onto an integer so that real 0 is exactly representable
// (TFLite's asymmetric int8 activations). Buffers whose grid follows from their layer (pooling,
// padding, sigmoid, tanh, softmax, a clamp pass) are observed but not set.
//
// The observers stream: each sample runs through the reference and leaves behind only what its
// observers keep (per buffer: MinMax its range; a percentile the order statistics it will read,
// the lower and upper tails of the values; KL a histogram of |x|, in a second pass over the
// samples once the range is known). Nothing else of a sample outlives it.
//
// Two ways to run it:
//   calibrate(spec, samples)                 one expression, for hand-written declarations. GCC
//                                            frees the memory of a constant evaluation only after
//                                            it, so the compiler's memory grows with the samples.
//   CalibrationPasses<spec, samples>         one declaration per pass over a sample (next()), as
//                                            the exporters write it: with a function definition
//                                            between two passes GCC frees the earlier one's
//                                            memory, so a calibration costs the memory of one
//                                            sample however many there are.
// Both give the same grids (and the same grids as the exporters' host calibration: docs/).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/hana/at.hpp>
#include <boost/hana/tuple.hpp>

#include "qpipe/detail/compile_error.hpp"
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
  return {scale, static_cast<std::int32_t>(zero_point < int8_min ? int8_min
                                                                 : (zero_point > int8_max ? int8_max : zero_point))};
}

// What calibration decided for one buffer: whether its grid is set by calibration (`calibrated`),
// the observer used, the range it saw and chose, and the resulting grid (calibrated buffers only).
struct BufferCalibration {
  bool calibrated = false;
  Observer observer{};
  ObservedRange range{};
  Grid grid{1.0, 0};
};

namespace compile_error {
void calibration_passes_make_spec_needs_every_pass_run_call_next_passes_times();
void calibration_passes_next_called_after_the_last_pass();
}  // namespace compile_error

namespace detail {

template <class Plan, std::size_t K, class SpecType, std::size_t Buffers>
consteval void take_step_observer(const SpecType& s, std::array<BufferCalibration, Buffers>& report) {
  if constexpr (Plan::template step<K>::layer::has_params) {
    report[K + 1].calibrated = true;
    report[K + 1].observer = boost::hana::at_c<Plan::param_slot[K]>(s.params).observer;
  }
}

// (Function templates rather than lambdas: GCC 12 rejects lambdas that capture locals of a
// consteval function in these positions.)
template <class Plan, class SpecType, std::size_t Buffers, std::size_t... K>
consteval void take_step_observers(const SpecType& s, std::array<BufferCalibration, Buffers>& report,
                                   std::index_sequence<K...>) {
  (take_step_observer<Plan, K>(s, report), ...);
}

template <class Plan, std::size_t K, class SpecType, std::size_t Buffers>
consteval void set_output_grid(SpecType& s, const std::array<BufferCalibration, Buffers>& report) {
  if constexpr (Plan::template step<K>::layer::has_params) {
    boost::hana::at_c<Plan::param_slot[K]>(s.params).output = report[K + 1].grid;
  }
}

template <class Plan, class SpecType, std::size_t Buffers, std::size_t... K>
consteval void set_output_grids(SpecType& s, const std::array<BufferCalibration, Buffers>& report,
                                std::index_sequence<K...>) {
  (set_output_grid<Plan, K>(s, report), ...);
}

// What the observers of one calibration keep, laid out from the spec and the number of samples:
// for each buffer the count of values it takes over all samples and, in one flat array of
// doubles, the lowest `low` and highest `high` of them (a percentile's order statistics) or
// `bins` counts (KL's histogram).
template <std::size_t Buffers>
struct ObservationLayout {
  std::array<BufferCalibration, Buffers> report{};  // which buffers are calibrated, by which observer
  std::size_t samples = 0;
  std::array<std::size_t, Buffers> values{};
  std::array<std::size_t, Buffers> low{}, high{}, bins{};
  std::array<std::size_t, Buffers> low_at{}, high_at{}, bins_at{};
  std::size_t doubles = 0;
  bool histogram_pass = false;  // some buffer needs a second pass over the samples
  constexpr std::size_t passes() const { return samples * (histogram_pass ? 2 : 1); }
};

template <class Net, ShapeType In, class... Params>
consteval auto observation_layout(const Spec<Net, In, Params...>& s, std::size_t samples, Observer input_observer) {
  using plan = typename Spec<Net, In, Params...>::plan;
  using trace_type = FloatTrace<Net, In, Params...>;
  constexpr std::size_t buffers = plan::step_count + 1;
  ObservationLayout<buffers> l{};
  l.samples = samples;
  l.report[0].calibrated = true;
  l.report[0].observer = input_observer;
  take_step_observers<plan>(s, l.report, std::make_index_sequence<plan::step_count>{});
  for (std::size_t b = 0; b < buffers; ++b) {
    const std::size_t n = samples * (trace_type::offset[b + 1] - trace_type::offset[b]);
    l.values[b] = n;
    if (!l.report[b].calibrated) continue;
    const Observer& o = l.report[b].observer;
    if (o.method == Observer::Method::percentile) {
      // Ranks 0 .. below + 1 of the lower percentile, and below .. n - 1 of the upper one.
      const std::size_t low = percentile_rank(n, o.lower_percent).below + 2;
      l.low[b] = low < n ? low : n;
      l.high[b] = n - percentile_rank(n, o.upper_percent).below;
    } else if (o.method == Observer::Method::kl_divergence) {
      l.bins[b] = o.bins;
      l.histogram_pass = true;
    }
    l.low_at[b] = l.doubles;
    l.high_at[b] = l.low_at[b] + l.low[b];
    l.bins_at[b] = l.high_at[b] + l.high[b];
    l.doubles = l.bins_at[b] + l.bins[b];
  }
  return l;
}

// The observers' state between samples. Doubles: std::vector in one expression, std::array where
// it must outlive one (CalibrationPasses).
template <std::size_t Buffers, class Doubles>
struct Observations {
  std::array<Range, Buffers> seen{};
  std::array<std::size_t, Buffers> low_count{}, high_count{};
  Doubles kept{};
  std::size_t passes_done = 0;
};

// Keeps the `capacity` values that come first in `before` order among all offered: a heap whose
// top is the one to give up next.
template <class Before>
constexpr void keep_extreme(double* heap, std::size_t& count, std::size_t capacity, double v, Before before) {
  if (count < capacity) {
    heap[count++] = v;
    std::push_heap(heap, heap + count, before);
  } else if (before(v, heap[0])) {
    std::pop_heap(heap, heap + count, before);
    heap[count - 1] = v;
    std::push_heap(heap, heap + count, before);
  }
}

// One sample through the float reference; pass 0 takes ranges and order statistics, pass 1 the
// histograms (their bin width comes from the ranges of pass 0).
template <class Net, ShapeType In, class... Params, std::size_t Buffers, class Doubles>
consteval void observe_sample(const Spec<Net, In, Params...>& s, const ObservationLayout<Buffers>& l,
                              Observations<Buffers, Doubles>& o, const std::array<double, In::size>& sample,
                              std::size_t pass) {
  using trace_type = FloatTrace<Net, In, Params...>;
  // Built here rather than returned by reference_trace(s, sample): GCC keeps the result of every
  // constexpr call with constant arguments, and a sample's whole trace would stay with it.
  trace_type t{};
  for (std::size_t i = 0; i < In::size; ++i) t.values[i] = sample[i];
  run_reference(s, t, std::make_index_sequence<Spec<Net, In, Params...>::plan::step_count>{});
  double* kept = o.kept.data();
  for (std::size_t b = 0; b < Buffers; ++b) {
    const std::size_t begin = trace_type::offset[b], end = trace_type::offset[b + 1];
    if (pass == 0) {
      Range r = o.passes_done == 0 ? Range{t.values[begin], t.values[begin]} : o.seen[b];
      for (std::size_t i = begin; i < end; ++i) {
        const double v = t.values[i];
        r.lo = v < r.lo ? v : r.lo;
        r.hi = v > r.hi ? v : r.hi;
      }
      o.seen[b] = r;
      for (std::size_t i = begin; l.low[b] > 0 && i < end; ++i)
        keep_extreme(kept + l.low_at[b], o.low_count[b], l.low[b], t.values[i], std::less<double>{});
      for (std::size_t i = begin; l.high[b] > 0 && i < end; ++i)
        keep_extreme(kept + l.high_at[b], o.high_count[b], l.high[b], t.values[i], std::greater<double>{});
    } else if (l.bins[b] > 0) {
      const double width = histogram_bin_width(o.seen[b], l.bins[b]);
      for (std::size_t i = begin; width > 0 && i < end; ++i)
        add_to_histogram(kept + l.bins_at[b], l.bins[b], width, t.values[i]);
    }
  }
  ++o.passes_done;
}

// Each buffer's chosen range and grid from what its observer kept.
template <std::size_t Buffers, class Doubles>
consteval std::array<BufferCalibration, Buffers> finish_observations(const ObservationLayout<Buffers>& l,
                                                                     const Observations<Buffers, Doubles>& o) {
  std::array<BufferCalibration, Buffers> report = l.report;
  std::vector<double> kept(o.kept.begin(), o.kept.end());
  for (std::size_t b = 0; b < Buffers; ++b) {
    const Range seen = o.seen[b];
    report[b].range = {seen, seen, 0};
    if (!report[b].calibrated) continue;
    const Observer& obs = report[b].observer;
    if (obs.method == Observer::Method::percentile) {
      double* low = kept.data() + l.low_at[b];
      double* high = kept.data() + l.high_at[b];
      std::sort_heap(low, low + l.low[b], std::less<double>{});       // ascending: rank i at low[i]
      std::sort_heap(high, high + l.high[b], std::greater<double>{});  // descending: rank n - 1 - i at high[i]
      const std::size_t n = l.values[b];
      const double lo = percentile_of(n, obs.lower_percent, [&](std::size_t i) { return low[i]; });
      const double hi = percentile_of(n, obs.upper_percent, [&](std::size_t i) { return high[n - 1 - i]; });
      report[b].range.chosen = {lo, hi};
    } else if (obs.method == Observer::Method::kl_divergence) {
      const double* count = kept.data() + l.bins_at[b];
      report[b].range = kl_divergence_choice(seen, std::vector<double>(count, count + l.bins[b]));
    }
    report[b].grid = min_max_grid(report[b].range.chosen);
  }
  return report;
}

template <class Net, ShapeType In, class... Params, std::size_t Buffers>
consteval auto calibrated_spec(Spec<Net, In, Params...> s, const std::array<BufferCalibration, Buffers>& report) {
  using plan = typename Spec<Net, In, Params...>::plan;
  s.input = report[0].grid;
  set_output_grids<plan>(s, report, std::make_index_sequence<plan::step_count>{});
  return s;
}

}  // namespace detail

// Per buffer ([0] the input, [k + 1] the output of step k): the observer, the ranges and the grid
// that calibrate() would set.
template <class Net, ShapeType In, class... Params, std::size_t N>
consteval auto calibration_report(const Spec<Net, In, Params...>& s,
                                  const std::array<std::array<double, In::size>, N>& samples,
                                  Observer input_observer = {}) {
  const auto layout = detail::observation_layout(s, N, input_observer);
  constexpr std::size_t buffers = Spec<Net, In, Params...>::plan::step_count + 1;
  detail::Observations<buffers, std::vector<double>> o{};
  o.kept.assign(layout.doubles, 0.0);
  for (std::size_t pass = 0; pass < layout.passes(); ++pass)
    detail::observe_sample(s, layout, o, samples[pass % N], pass / N);
  return detail::finish_observations(layout, o);
}

// The observed min/max of every buffer ([0] the input, [k + 1] the output of step k).
template <class Net, ShapeType In, class... Params, std::size_t N>
consteval auto observe_ranges(const Spec<Net, In, Params...>& s,
                              const std::array<std::array<double, In::size>, N>& samples) {
  const auto report = calibration_report(s, samples);
  std::array<Range, report.size()> seen{};
  for (std::size_t b = 0; b < report.size(); ++b) seen[b] = report[b].range.seen;
  return seen;
}

// The same spec with the input grid and every block's output grid chosen by its observer.
template <class Net, ShapeType In, class... Params, std::size_t N>
consteval auto calibrate(const Spec<Net, In, Params...>& s, const std::array<std::array<double, In::size>, N>& samples,
                         Observer input_observer = {}) {
  return detail::calibrated_spec(s, calibration_report(s, samples, input_observer));
}

// A refused declaration stays refused (its error was reported where it was declared).
template <ShapeType In, ShapeType Out, class Samples>
consteval auto calibrate(const detail::Refused<In, Out>& s, const Samples&, Observer = {}) {
  return s;
}

// Calibration one pass at a time, each pass a declaration of its own:
//
//   inline constexpr qpipe::CalibrationPasses<unset_spec, samples> calibration_0{};
//   inline constexpr auto calibration_1 = calibration_0.next();
//   template <class> void calibration_pass_1_done() {}   // GCC frees what pass 1 used
//   ...                                                    // `passes` of them
//   inline constexpr auto spec = calibration_8.make_spec();
//
// A pass runs one sample through the reference (the samples in order; twice over where a KL
// observer needs its histogram pass). The grids are calibrate()'s.
template <const auto& UnsetSpec, const auto& Samples, Observer InputObserver = Observer{}>
struct CalibrationPasses {
  using spec_type = std::remove_cvref_t<decltype(UnsetSpec)>;
  static constexpr std::size_t buffers = spec_type::plan::step_count + 1;
  static constexpr auto layout = detail::observation_layout(UnsetSpec, Samples.size(), InputObserver);
  static constexpr std::size_t passes = layout.passes();

  std::size_t done = 0;
  detail::Observations<buffers, std::array<double, layout.doubles>> observed{};

  consteval CalibrationPasses next() const {
    if (done >= passes) compile_error::calibration_passes_next_called_after_the_last_pass();
    CalibrationPasses after = *this;
    detail::observe_sample(UnsetSpec, layout, after.observed, Samples[done % Samples.size()], done / Samples.size());
    ++after.done;
    return after;
  }
  consteval auto report() const {
    if (done != passes) compile_error::calibration_passes_make_spec_needs_every_pass_run_call_next_passes_times();
    return detail::finish_observations(layout, observed);
  }
  consteval auto make_spec() const { return detail::calibrated_spec(UnsetSpec, report()); }
};

}  // namespace qpipe
