// Host program: prints the float drift that equalization causes, the range each observer chose
// per tensor, and the int8-vs-float parity on the 16 held-out samples; exit status 1 above the
// bound. The same comparison for MinMax-only calibration and for the unequalized network shows
// what the observers and the equalization each bring.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "import_demo.hpp"

namespace {

// The bound is close to what is measured (0.0034 at the time of writing); the seed's importer
// reports about 0.004 against a tolerance of 0.08.
constexpr double tolerance = 0.004;

template <const auto& Spec, const auto& Network>
double max_error() {
  static constexpr auto inputs = import_demo::quantized_test_set(Spec);
  constexpr qpipe::Grid out = qpipe::output_grid(Spec);
  double worst = 0;
  for (std::size_t n = 0; n < import_demo::test_set.size(); ++n) {
    const auto q = Network(inputs[n]);
    const auto f = qpipe::reference(Spec, import_demo::test_set[n]);
    for (std::size_t i = 0; i < q.size(); ++i) worst = std::max(worst, std::fabs(qpipe::dequantize(q[i], out) - f[i]));
  }
  return worst;
}

const char* observer_name(const qpipe::Observer& o) {
  switch (o.method) {
    case qpipe::Observer::Method::min_max:
      return "MinMax";
    case qpipe::Observer::Method::percentile:
      return "Percentile";
    case qpipe::Observer::Method::kl_divergence:
      return "KL";
  }
  return "?";
}

}  // namespace

int main() {
  using namespace import_demo;
  double drift = 0;
  for (const auto& x : test_set) {
    const auto a = qpipe::reference(original, x);
    const auto b = qpipe::reference(equalized, x);
    for (std::size_t i = 0; i < a.size(); ++i) drift = std::max(drift, std::fabs(a[i] - b[i]));
  }
  std::printf("CLE float drift (ReLU model): %.3g\n", drift);

  const char* names[] = {"input", "h1", "h2", "logit", "softmax"};
  static constexpr auto all_grids = qpipe::grids(spec);
  std::printf("ranges:\n");
  for (std::size_t b = 0; b < report.size(); ++b) {
    const auto& r = report[b];
    if (!r.calibrated) {
      const qpipe::Grid g = all_grids[b];
      std::printf("  %-7s scale=%.6f zp=%4d (fixed by the layer)\n", names[b], g.scale, int(g.zero_point));
      continue;
    }
    std::printf("  %-7s scale=%.6f zp=%4d  %-10s seen [%.4f, %.4f] chosen [%.4f, %.4f]", names[b], r.grid.scale,
                int(r.grid.zero_point), observer_name(r.observer), r.range.seen.lo, r.range.seen.hi, r.range.chosen.lo,
                r.range.chosen.hi);
    if (r.observer.method == qpipe::Observer::Method::percentile)
      std::printf(" (percentile [%.2f, %.2f])", r.observer.lower_percent, r.observer.upper_percent);
    if (r.observer.method == qpipe::Observer::Method::kl_divergence)
      std::printf(" (kl threshold=%.4f)", r.range.threshold);
    std::printf("\n");
  }

  const double err = max_error<spec, network>();
  const double err_min_max = max_error<spec_min_max, network_min_max>();
  const double err_unequalized = max_error<spec_unequalized, network_unequalized>();
  std::printf("import_demo parity test (%zu samples)\n", test_set.size());
  std::printf("  max |y_int8 - y_float| = %.4f   (MinMax everywhere: %.4f; MinMax without equalization: %.4f)\n", err,
              err_min_max, err_unequalized);
  const bool pass = err <= tolerance;
  std::printf("  tolerance %.4f : %s\n", tolerance, pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
