// The host's int8-versus-float report for an example: the same declaration run by the integer
// model and by the float reference on the test inputs. Prints per-logit and overall maximum
// absolute error and that error as a fraction of the float logits' range; optionally writes the
// values as CSV for tools/plot_examples.py. Exits non-zero if the error exceeds the bound.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <qpipe.hpp>

#include "csv_option.hpp"

namespace examples {

template <class SpecType, class ModelType, class Images, class Inputs>
int parity_report(const char* name, const SpecType& spec, const ModelType& model, const Images& images,
                  const Inputs& inputs, qpipe::Grid out, double bound, int argc, char** argv) {
  constexpr std::size_t logits = ModelType::output_shape::size;
  const CsvOption option = csv_option(argc, argv, "sample,logit,float,int8,dequantized");
  if (!option.ok) return 2;
  std::FILE* csv = option.file;
  std::vector<double> worst(logits, 0.0);
  double lo = 1e300, hi = -1e300;
  for (std::size_t n = 0; n < images.size(); ++n) {
    const auto q = model(inputs[n]);
    const auto f = qpipe::reference(spec, images[n]);
    for (std::size_t i = 0; i < logits; ++i) {
      const double d = qpipe::dequantize(q[i], out);
      worst[i] = std::max(worst[i], std::fabs(d - f[i]));
      lo = std::min(lo, f[i]);
      hi = std::max(hi, f[i]);
      if (csv) std::fprintf(csv, "%zu,%zu,%.9g,%d,%.9g\n", n, i, f[i], int(q[i]), d);
    }
  }
  if (csv) std::fclose(csv);
  const double overall = *std::max_element(worst.begin(), worst.end());
  std::printf("%s: int8 vs float on %zu test inputs (output grid scale %.6g, zero point %d)\n", name, images.size(),
              out.scale, int(out.zero_point));
  for (std::size_t i = 0; i < logits; ++i) std::printf("  logit %zu: max |int8 - float| = %.6f\n", i, worst[i]);
  std::printf("  overall max %.6f; float logits span %.6f, so %.2f%% of the range (%.2f output steps)\n", overall,
              hi - lo, 100 * overall / (hi - lo), overall / out.scale);
  if (overall > bound) {
    std::printf("FAIL: above the bound %.6f\n", bound);
    return 1;
  }
  std::printf("ok: within the bound %.6f\n", bound);
  return 0;
}

}  // namespace examples
