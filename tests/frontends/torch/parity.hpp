// The parity check shared by the exported conv nets: the int8 network against torch's float64
// outputs (the check inputs the exporter wrote, not in the calibration batch), and qpipe's own
// float reference of the same declaration against torch (which checks the export's layout: a
// transposed weight or a permuted input would show up far above rounding).
//
// usage: PROGRAM BOUND   fails if max |int8 - torch| > BOUND or |reference - torch| > 1e-9
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include <qpipe.hpp>

namespace torch_frontend_test {

template <const auto& Spec, const auto& Network, const auto& Inputs, const auto& TorchOutputs>
int parity_main(const char* name, int argc, char** argv) {
  using Model = std::remove_cvref_t<decltype(Network)>;
  constexpr std::size_t in_size = Model::input_shape::size;
  constexpr std::size_t out_size = Model::output_shape::size;
  constexpr std::size_t count = Inputs.size();
  static_assert(TorchOutputs.size() == count && TorchOutputs[0].size() == out_size);

  // Computed by the compiler: the inputs on the input grid, the float reference, the output grid.
  constexpr auto quantized = [] {
    std::array<std::array<std::int8_t, in_size>, count> q{};
    for (std::size_t n = 0; n < count; ++n)
      for (std::size_t i = 0; i < in_size; ++i) q[n][i] = qpipe::quantize(Inputs[n][i], Spec.input);
    return q;
  }();
  constexpr auto references = [] {
    std::array<std::array<double, out_size>, count> r{};
    for (std::size_t n = 0; n < count; ++n) r[n] = qpipe::reference(Spec, Inputs[n]);
    return r;
  }();
  constexpr qpipe::Grid out_grid = qpipe::output_grid(Spec);

  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BOUND\n", argv[0]);
    return 2;
  }
  const double bound = std::atof(argv[1]);

  double lo = TorchOutputs[0][0], hi = lo, max_error = 0, max_reference_error = 0;
  for (std::size_t n = 0; n < count; ++n) {
    const auto q = Network(quantized[n]);  // at run time, on the static arena
    std::printf("%s input %zu:", name, n);
    for (std::size_t o = 0; o < out_size; ++o) {
      const double torch_value = TorchOutputs[n][o];
      const double int8_value = qpipe::dequantize(q[o], out_grid);
      lo = std::fmin(lo, torch_value);
      hi = std::fmax(hi, torch_value);
      max_error = std::fmax(max_error, std::fabs(int8_value - torch_value));
      max_reference_error = std::fmax(max_reference_error, std::fabs(references[n][o] - torch_value));
      std::printf("  %4d (%+.4f vs torch %+.4f)", q[o], int8_value, torch_value);
    }
    std::printf("\n");
  }
  const double range = hi - lo;
  std::printf("%s: output grid scale %.6g zero point %d\n", name, out_grid.scale, int(out_grid.zero_point));
  std::printf("%s: max |int8 - torch| = %.6f (%.2f output steps), %.2f %% of the output range %.4f; bound %.6f\n", name,
              max_error, max_error / out_grid.scale, 100 * max_error / range, range, bound);
  std::printf("%s: max |qpipe float reference - torch| = %.3g (bound 1e-9)\n", name, max_reference_error);
  const bool ok = max_error <= bound && max_reference_error <= 1e-9;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace torch_frontend_test
