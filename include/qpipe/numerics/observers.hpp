// Observers: how the compiler turns the values a buffer took over the calibration samples into
// the real range its int8 grid must cover. All consteval; the grid itself (zero point nudged so
// that real 0 is exact) is min_max_grid in calibrate.hpp.
//   min_max()              [smallest, largest] value seen.
//   percentile(lo, hi)     the lo-th and hi-th percentiles (linear interpolation between ranks,
//                          numpy's default), for heavy tails a few samples would otherwise stretch.
//   kl_divergence(bins)    TensorRT's entropy calibration: a histogram of |x| with `bins` bins, and
//                          the clipping threshold whose int8 rendering of the clipped distribution
//                          is closest to it in KL divergence.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "qpipe/detail/compile_error.hpp"
#include "qpipe/numerics/constexpr_math.hpp"

namespace qpipe {

struct Range {
  double lo = 0;
  double hi = 0;
};

struct Observer {
  enum class Method { min_max, percentile, kl_divergence };
  Method method = Method::min_max;
  double lower_percent = 0;    // percentile only
  double upper_percent = 100;  // percentile only
  std::size_t bins = 2048;     // kl_divergence only
};

consteval Observer min_max() { return {}; }

consteval Observer percentile(double lower_percent, double upper_percent) {
  if (!(lower_percent >= 0 && lower_percent < upper_percent && upper_percent <= 100)) {
    compile_error::percentile_observer_needs_0_le_lower_lt_upper_le_100();
  }
  return {Observer::Method::percentile, lower_percent, upper_percent, 0};
}

// 2048 bins as TensorRT; fewer make calibration cheaper for the compiler.
consteval Observer kl_divergence(std::size_t bins = 2048) {
  if (bins < 512) compile_error::kl_divergence_observer_needs_at_least_512_bins();
  return {Observer::Method::kl_divergence, 0, 100, bins};
}

// What an observer chose for one buffer: the range it saw, the range the grid covers, and (KL) the
// clipping threshold on |x|.
struct ObservedRange {
  Range seen;
  Range chosen;
  double threshold = 0;
};

namespace detail {

consteval Range min_max_of(const std::vector<double>& values) {
  Range r{values.empty() ? 0.0 : values[0], values.empty() ? 0.0 : values[0]};
  for (double v : values) {
    if (v < r.lo) r.lo = v;
    if (v > r.hi) r.hi = v;
  }
  return r;
}

// The order statistics a percentile needs among n values: ranks below and below + 1 of the
// sorted values (or the largest alone, where below is the last rank).
struct PercentileRank {
  std::size_t below;
  double fraction;
};
constexpr PercentileRank percentile_rank(std::size_t n, double p) {
  const double rank = p / 100.0 * static_cast<double>(n - 1);
  const auto below = static_cast<std::size_t>(math::floor(rank));
  return {below, rank - static_cast<double>(below)};
}

// The p-th percentile of n sorted values, value(i) giving the i-th: rank p / 100 * (n - 1),
// interpolated between its neighbours.
template <class Value>
constexpr double percentile_of(std::size_t n, double p, Value value) {
  const auto [below, t] = percentile_rank(n, p);
  if (below + 1 >= n) return value(n - 1);
  return value(below) + t * (value(below + 1) - value(below));
}
consteval double percentile_of_sorted(const std::vector<double>& sorted, double p) {
  return percentile_of(sorted.size(), p, [&](std::size_t i) { return sorted[i]; });
}

// KL divergence between the reference distribution P (the histogram's first `edge` bins, the
// counts beyond folded into the last of them) and its rendering Q on `levels` int8 levels (the
// same bins without the outliers, merged `edge / levels` at a time, the last level taking the
// remainder, each level's mass spread evenly over the bins where P is non-zero). With the
// prefix sums below each candidate costs one logarithm per level:
//   KL(p || q) = (sum_j P_j ln P_j - sum_levels P_l ln(Q_l / nonzero_l)) / N + ln(sum Q / N)
// where P_l, Q_l are a level's masses in P and Q and N = sum P, the number of values.
// Infinite when some level holds P mass but no Q mass (outliers only).
struct Histogram {
  std::vector<double> count;   // per bin
  std::vector<double> mass;    // prefix: mass[j] = count[0] + ... + count[j - 1]
  std::vector<double> nonzero; // prefix: bins with a non-zero count among the first j
  std::vector<double> plogp;   // prefix: sum of count ln count over the first j bins
  std::vector<double> ln;      // ln k for every whole count k up to the number of values (ln 0 unused)

  consteval explicit Histogram(std::vector<double> c) : count(static_cast<std::vector<double>&&>(c)) {
    mass.assign(count.size() + 1, 0.0);
    nonzero.assign(count.size() + 1, 0.0);
    plogp.assign(count.size() + 1, 0.0);
    for (std::size_t j = 0; j < count.size(); ++j) {
      mass[j + 1] = mass[j] + count[j];
      nonzero[j + 1] = nonzero[j] + (count[j] > 0 ? 1.0 : 0.0);
    }
    // Counts, masses and bin numbers are whole numbers no larger than this: one table of
    // logarithms instead of one logarithm per level per candidate (the sweep's whole cost).
    const auto largest =
        static_cast<std::size_t>(mass.back()) > count.size() ? static_cast<std::size_t>(mass.back()) : count.size();
    ln.assign(largest + 1, 0.0);
    for (std::size_t k = 1; k <= largest; ++k) ln[k] = math::log(static_cast<double>(k));
    for (std::size_t j = 0; j < count.size(); ++j) plogp[j + 1] = plogp[j] + count[j] * log_of(count[j]);
  }

  consteval double log_of(double whole) const { return whole > 0 ? ln[static_cast<std::size_t>(whole)] : 0.0; }

  // (Raw pointers and no helper calls in this loop: GCC memoizes every constexpr call by its
  // arguments, and a call per bin per candidate costs seconds and hundreds of MiB.)
  consteval double kl_divergence(std::size_t edge, std::size_t levels) const {
    const double* m = mass.data();
    const double* nz = nonzero.data();
    const double* lg = ln.data();
    const double total = m[count.size()];
    const double outliers = total - m[edge];
    const double last = count[edge - 1] + outliers;  // outliers folded into the last bin
    const double sum_plogp = plogp[edge - 1] + (last > 0 ? last * lg[static_cast<std::size_t>(last)] : 0.0);
    double sum_plogq = 0;
    const std::size_t width = edge / levels;
    for (std::size_t l = 0; l < levels; ++l) {
      const std::size_t begin = l * width;
      const std::size_t end = l + 1 == levels ? edge : begin + width;
      const double q_mass = m[end] - m[begin];
      double p_mass = q_mass;
      double nonzero_bins = nz[end] - nz[begin];
      if (end == edge) {  // the last bin carries the outliers in P
        p_mass += outliers;
        if (count[edge - 1] == 0 && last > 0) nonzero_bins += 1;
      }
      if (p_mass == 0) continue;
      if (q_mass == 0) return math::infinity;
      sum_plogq += p_mass * (lg[static_cast<std::size_t>(q_mass)] - lg[static_cast<std::size_t>(nonzero_bins)]);
    }
    return (sum_plogp - sum_plogq) / total +
           (lg[static_cast<std::size_t>(m[edge])] - lg[static_cast<std::size_t>(total)]);
  }
};

// The histogram of |x| over [0, largest] in `bins` equal bins (the last one closed) that the KL
// observer sweeps; calibration builds it one sample at a time with add_to_histogram.
consteval double histogram_bin_width(const Range& seen, std::size_t bins) {
  const double largest = math::abs(seen.lo) > math::abs(seen.hi) ? math::abs(seen.lo) : math::abs(seen.hi);
  return largest / static_cast<double>(bins);
}
constexpr void add_to_histogram(double* count, std::size_t bins, double width, double v) {
  const auto b = static_cast<std::size_t>(math::abs(v) / width);
  count[b < bins ? b : bins - 1] += 1;
}

// Values of one sign get the whole int8 grid on [0, T] (256 levels); values of both signs are
// clipped symmetrically to [-T, T], 128 levels a side as in TensorRT. `count` is the histogram of
// the values seen.
consteval ObservedRange kl_divergence_choice(const Range& seen, std::vector<double> count) {
  const std::size_t bins = count.size();
  const double width = histogram_bin_width(seen, bins);
  if (width == 0) return {seen, seen, 0};
  const Histogram h{static_cast<std::vector<double>&&>(count)};
  const std::size_t levels = (seen.lo >= 0 || seen.hi <= 0) ? 256 : 128;
  std::size_t best_edge = bins;
  double best = math::infinity;
  for (std::size_t edge = levels; edge <= bins; ++edge) {
    const double kl = h.kl_divergence(edge, levels);
    if (kl < best) {
      best = kl;
      best_edge = edge;
    }
  }
  const double threshold = static_cast<double>(best_edge) * width;
  const Range chosen{seen.lo < -threshold ? -threshold : seen.lo, seen.hi > threshold ? threshold : seen.hi};
  return {seen, chosen, threshold};
}

consteval ObservedRange kl_divergence_range(const std::vector<double>& values, std::size_t bins) {
  const Range seen = min_max_of(values);
  const double width = histogram_bin_width(seen, bins);
  if (width == 0) return {seen, seen, 0};
  std::vector<double> count(bins, 0.0);
  for (double v : values) add_to_histogram(count.data(), bins, width, v);
  return kl_divergence_choice(seen, static_cast<std::vector<double>&&>(count));
}

}  // namespace detail

// The range an observer chooses for these values (all the values one buffer took).
consteval ObservedRange observe(const Observer& o, std::vector<double> values) {
  if (values.empty()) return {};
  const Range seen = detail::min_max_of(values);
  switch (o.method) {
    case Observer::Method::min_max:
      return {seen, seen, 0};
    case Observer::Method::percentile: {
      std::sort(values.begin(), values.end());
      return {seen,
              {detail::percentile_of_sorted(values, o.lower_percent),
               detail::percentile_of_sorted(values, o.upper_percent)},
              0};
    }
    case Observer::Method::kl_divergence:
      return detail::kl_divergence_range(values, o.bins);
  }
  return {seen, seen, 0};
}

}  // namespace qpipe
