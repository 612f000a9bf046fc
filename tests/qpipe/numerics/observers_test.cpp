// The observers against hand-computed percentiles and against a naive entropy calibration written
// here from the TensorRT description (explicit P and Q arrays per threshold, <cmath> logs), not
// from the prefix-sum form qpipe uses.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "qpipe/numerics/observers.hpp"
#include "reference/random_params.hpp"

using qpipe::Observer;

namespace {

// 4000 values: a Laplace-like bulk (|x| mostly below 1) and 12 outliers up to 40; signed or not.
template <std::size_t N = 4000>
constexpr std::array<double, N> heavy_tailed(bool signed_values) {
  std::array<double, N> v{};
  qpipe_test::Lcg rng{7};
  for (std::size_t i = 0; i < N; ++i) {
    const double u = rng.uniform(0.0, 1.0);
    double x = -0.3 * qpipe::math::log(1.0 - u);  // exponential, mean 0.3 (inverse CDF)
    if (signed_values && rng.uniform(0.0, 1.0) < 0.5) x = -x;
    v[i] = x;
  }
  for (std::size_t i = 0; i < 12; ++i)
    v[i * 300] = (signed_values && i % 2 ? -1.0 : 1.0) * (10.0 + 2.5 * static_cast<double>(i));
  return v;
}

template <std::size_t N>
consteval qpipe::ObservedRange observe_array(Observer o, const std::array<double, N>& a) {
  return qpipe::observe(o, std::vector<double>(a.begin(), a.end()));
}

// Naive entropy calibration: the KL divergence for every threshold edge in [levels, bins].
struct NaiveKl {
  std::vector<double> hist;
  double width = 0;
  std::size_t levels = 128;

  NaiveKl(const std::vector<double>& values, std::size_t bins) : hist(bins, 0.0) {
    double largest = 0, lo = values[0], hi = values[0];
    for (double v : values) {
      largest = std::max(largest, std::abs(v));
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    width = largest / static_cast<double>(bins);
    for (double v : values) hist[std::min(bins - 1, static_cast<std::size_t>(std::abs(v) / width))] += 1;
    levels = (lo >= 0 || hi <= 0) ? 256 : 128;
  }

  double kl(std::size_t edge) const {
    std::vector<double> p(hist.begin(), hist.begin() + static_cast<std::ptrdiff_t>(edge));
    for (std::size_t j = edge; j < hist.size(); ++j) p[edge - 1] += hist[j];
    std::vector<double> q(edge, 0.0);
    const std::size_t width_in_bins = edge / levels;
    for (std::size_t l = 0; l < levels; ++l) {
      const std::size_t begin = l * width_in_bins, end = l + 1 == levels ? edge : begin + width_in_bins;
      double mass = 0, nonzero = 0;
      for (std::size_t j = begin; j < end; ++j) {
        mass += hist[j];  // without the outliers
        if (p[j] > 0) nonzero += 1;
      }
      for (std::size_t j = begin; j < end; ++j) q[j] = p[j] > 0 ? mass / nonzero : 0.0;
    }
    double sp = 0, sq = 0;
    for (std::size_t j = 0; j < edge; ++j) sp += p[j], sq += q[j];
    double d = 0;
    for (std::size_t j = 0; j < edge; ++j) {
      if (p[j] == 0) continue;
      if (q[j] == 0) return std::numeric_limits<double>::infinity();
      d += p[j] / sp * std::log((p[j] / sp) / (q[j] / sq));
    }
    return d;
  }
};

}  // namespace

TEST_CASE("min_max and percentile against hand-computed values") {
  // 0, 1, ..., 100 in a scrambled order: the p-th percentile is p.
  constexpr auto hundred = [] {
    std::array<double, 101> v{};
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>((i * 37) % 101);
    return v;
  }();
  constexpr auto mm = observe_array(qpipe::min_max(), hundred);
  static_assert(mm.chosen.lo == 0 && mm.chosen.hi == 100);
  constexpr auto p = observe_array(qpipe::percentile(5, 95), hundred);
  static_assert(p.chosen.lo == 5 && p.chosen.hi == 95 && p.seen.hi == 100);
  // Between ranks: {0, 10}: the 25th percentile is 2.5, the 75th 7.5; 0.05 / 99.95 of 0..100.
  constexpr auto two = observe_array(qpipe::percentile(25, 75), std::array<double, 2>{10, 0});
  static_assert(two.chosen.lo == 2.5 && two.chosen.hi == 7.5);
  constexpr auto tails = observe_array(qpipe::percentile(0.05, 99.95), hundred);
  CHECK(tails.chosen.lo == doctest::Approx(0.05).epsilon(1e-12));
  CHECK(tails.chosen.hi == doctest::Approx(99.95).epsilon(1e-12));
}

TEST_CASE("kl_divergence: the chosen threshold minimises a naive KL, and clips the outliers") {
  constexpr auto unsigned_values = heavy_tailed(false);
  constexpr auto signed_values = heavy_tailed(true);
  constexpr auto u = observe_array(qpipe::kl_divergence(), unsigned_values);
  constexpr auto s = observe_array(qpipe::kl_divergence(), signed_values);
  constexpr auto coarse = observe_array(qpipe::kl_divergence(512), signed_values);

  struct Case {
    const char* name;
    std::vector<double> values;
    std::size_t bins;
    qpipe::ObservedRange got;
  };
  const Case cases[] = {
      {"one-signed, 2048 bins", {unsigned_values.begin(), unsigned_values.end()}, 2048, u},
      {"signed, 2048 bins", {signed_values.begin(), signed_values.end()}, 2048, s},
      {"signed, 512 bins", {signed_values.begin(), signed_values.end()}, 512, coarse},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const NaiveKl naive(c.values, c.bins);
    double best = std::numeric_limits<double>::infinity();
    std::size_t best_edge = 0;
    for (std::size_t edge = naive.levels; edge <= c.bins; ++edge) {
      const double d = naive.kl(edge);
      if (d < best) best = d, best_edge = edge;
    }
    const auto got_edge = static_cast<std::size_t>(std::lround(c.got.threshold / naive.width));
    MESSAGE(std::string(c.name) << ": threshold " << c.got.threshold << " (edge " << got_edge << "), naive edge "
                                << best_edge << ", max |x| " << naive.width * static_cast<double>(c.bins));
    CHECK(c.got.threshold == doctest::Approx(static_cast<double>(got_edge) * naive.width).epsilon(1e-12));
    // The same minimum (ties between edges may resolve differently in the last bits).
    CHECK(naive.kl(got_edge) <= best + 1e-12);
    // Most of the 12 outliers (10 .. 37.5) are clipped; the bulk (exponential, mean 0.3) is kept.
    CHECK(c.got.threshold < 20.0);
    CHECK(c.got.threshold > 1.0);
    CHECK(c.got.chosen.hi == doctest::Approx(c.got.threshold));
    CHECK(std::max(-c.got.seen.lo, c.got.seen.hi) == 37.5);
  }
  CHECK(u.chosen.lo == u.seen.lo);  // one-signed: only the top is clipped
  CHECK(s.chosen.lo == -s.threshold);
}

TEST_CASE("kl_divergence: the prefix-sum divergence equals the naive one at every tenth threshold") {
  constexpr auto values = heavy_tailed(true);
  constexpr std::size_t bins = 2048;
  constexpr auto edges = [] {
    std::array<std::size_t, 193> e{};
    for (std::size_t i = 0; i < e.size(); ++i) e[i] = 128 + 10 * i;
    return e;
  }();
  constexpr auto divergences = [&]() consteval {
    std::array<double, edges.size()> d{};
    double largest = 0;
    for (double v : values) largest = qpipe::math::abs(v) > largest ? qpipe::math::abs(v) : largest;
    std::vector<double> count(bins, 0.0);
    for (double v : values) {
      const auto b = static_cast<std::size_t>(qpipe::math::abs(v) / (largest / bins));
      count[b < bins ? b : bins - 1] += 1;
    }
    const qpipe::detail::Histogram h{count};
    for (std::size_t i = 0; i < edges.size(); ++i) d[i] = h.kl_divergence(edges[i], 128);
    return d;
  }();
  const NaiveKl naive({values.begin(), values.end()}, bins);
  double worst = 0;
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const double want = naive.kl(edges[i]);
    if (std::isinf(want)) {
      CHECK(std::isinf(divergences[i]));
      continue;
    }
    worst = std::max(worst, std::abs(divergences[i] - want));
  }
  MESSAGE("largest |prefix-sum KL - naive KL| " << worst);
  CHECK(worst < 1e-12);
}
