// Calibration on the host (python/qpipe_tools/calibration.py, through qpipe_torch --calibrate host) and by
// the compiler (--calibrate compiler: CalibrationPasses over the same samples) must give the same
// grid for every buffer, bit for bit, and so the same int8 network: make_identity.py exports each
// model both ways.
//
// The grids are compared by the compiler (static_assert on qpipe::grids(spec), every buffer's
// scale and zero point with ==), and so is what led to them: for every buffer, calibrated or
// not, the range of values it took over the samples, the range its observer chose and the KL
// threshold, between the compiler's report (calibration.report()) and the host's
// (identity_*_report.hpp, exact doubles). A one-ulp difference anywhere in the float reference
// shows in the extremes of some buffer long before it changes a grid. Define
// QPIPE_IDENTITY_AT_RUN_TIME to make both comparisons at run time instead and print each
// difference. At run time the program also prints every grid, and runs both int8 networks on the
// check inputs (quantized on the input grid) and requires identical outputs. Exit status 0 only
// if everything is identical.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "identity_a_compiler.hpp"
#include "identity_a_host.hpp"
#include "identity_a_report.hpp"
#include "identity_b_compiler.hpp"
#include "identity_b_host.hpp"
#include "identity_b_report.hpp"
#include "identity_c_compiler.hpp"
#include "identity_c_host.hpp"
#include "identity_c_report.hpp"

namespace {

template <const auto& HostSpec, const auto& CompilerSpec>
inline constexpr bool same_grids = qpipe::grids(HostSpec) == qpipe::grids(CompilerSpec);

// The compiler's report as rows like the host's: {seen lo, seen hi, chosen lo, chosen hi,
// threshold, calibrated}.
template <const auto& Calibration>
inline constexpr auto compiler_report = [] {
  constexpr auto report = Calibration.report();
  std::array<std::array<double, 6>, report.size()> rows{};
  for (std::size_t b = 0; b < report.size(); ++b) {
    const auto& r = report[b].range;
    rows[b] = {r.seen.lo, r.seen.hi, r.chosen.lo, r.chosen.hi, r.threshold, report[b].calibrated ? 1.0 : 0.0};
  }
  return rows;
}();

// Every header names its input and output grids for code_of / value_of: the host header's input
// grid is the number Python calibrated, the compiler header's is read from its spec.
static_assert(identity_a_host::input_grid == identity_a_compiler::input_grid &&
                  identity_a_host::output_grid == identity_a_compiler::output_grid,
              "model a: the headers' input_grid / output_grid differ");
static_assert(identity_b_host::input_grid == identity_b_compiler::input_grid &&
                  identity_b_host::output_grid == identity_b_compiler::output_grid,
              "model b: the headers' input_grid / output_grid differ");
static_assert(identity_c_host::input_grid == identity_c_compiler::input_grid &&
                  identity_c_host::output_grid == identity_c_compiler::output_grid,
              "model c: the headers' input_grid / output_grid differ");

#ifndef QPIPE_IDENTITY_AT_RUN_TIME
static_assert(same_grids<identity_a_host::spec, identity_a_compiler::spec>,
              "model a: the host calibration's grids differ from the compiler's");
static_assert(compiler_report<identity_a_compiler::calibration> == identity_a_report::rows,
              "model a: the host calibration saw or chose a range the compiler's did not");
static_assert(same_grids<identity_b_host::spec, identity_b_compiler::spec>,
              "model b: the host calibration's grids differ from the compiler's");
static_assert(compiler_report<identity_b_compiler::calibration> == identity_b_report::rows,
              "model b: the host calibration saw or chose a range the compiler's did not");
static_assert(same_grids<identity_c_host::spec, identity_c_compiler::spec>,
              "model c: the host calibration's grids differ from the compiler's");
static_assert(compiler_report<identity_c_compiler::calibration> == identity_c_report::rows,
              "model c: the host calibration saw or chose a range the compiler's did not");
#endif

template <const auto& HostSpec, const auto& CompilerSpec, const auto& HostNetwork, const auto& CompilerNetwork,
          const auto& Inputs, const auto& HostReport, const auto& CompilerCalibration>
int check(const char* name) {
  constexpr auto host = qpipe::grids(HostSpec);
  constexpr auto compiler = qpipe::grids(CompilerSpec);
  int problems = 0;
  std::printf("model %s: %zu buffers\n", name, host.size());
  for (std::size_t b = 0; b < host.size(); ++b) {
    const bool same = host[b] == compiler[b] &&
                      std::bit_cast<std::uint64_t>(host[b].scale) == std::bit_cast<std::uint64_t>(compiler[b].scale);
    problems += same ? 0 : 1;
    std::printf("  buffer %2zu: host %.17g %4d  compiler %.17g %4d  %s\n", b, host[b].scale, int(host[b].zero_point),
                compiler[b].scale, int(compiler[b].zero_point), same ? "same" : "DIFFERENT");
  }
  constexpr auto& report = compiler_report<CompilerCalibration>;
  static_assert(report.size() == HostReport.size());
  const char* fields[] = {"seen lo", "seen hi", "chosen lo", "chosen hi", "threshold", "calibrated"};
  std::size_t same_fields = 0;
  for (std::size_t b = 0; b < report.size(); ++b) {
    for (std::size_t f = 0; f < 6; ++f) {
      if (report[b][f] == HostReport[b][f]) {
        ++same_fields;
        continue;
      }
      ++problems;
      std::printf("  buffer %2zu %s: host %.17g compiler %.17g  DIFFERENT\n", b, fields[f], HostReport[b][f],
                  report[b][f]);
    }
  }
  std::printf("  calibration reports: %zu of %zu values the same\n", same_fields, 6 * report.size());

  using HostModel = std::remove_cvref_t<decltype(HostNetwork)>;
  using CompilerModel = std::remove_cvref_t<decltype(CompilerNetwork)>;
  static_assert(std::is_same_v<typename HostModel::output_shape, typename CompilerModel::output_shape>);
  static_assert(HostModel::arena_bytes == CompilerModel::arena_bytes);
  constexpr std::size_t in_size = HostModel::input_shape::size;
  // The inputs on each network's own input grid (the same grid if the check above passes).
  constexpr auto quantized = [](qpipe::Grid g) {
    std::array<std::array<std::int8_t, in_size>, Inputs.size()> q{};
    for (std::size_t n = 0; n < Inputs.size(); ++n)
      for (std::size_t i = 0; i < in_size; ++i) q[n][i] = qpipe::quantize(Inputs[n][i], g);
    return q;
  };
  constexpr auto host_inputs = quantized(HostSpec.input);
  constexpr auto compiler_inputs = quantized(CompilerSpec.input);
  for (std::size_t n = 0; n < Inputs.size(); ++n) {
    const auto a = HostNetwork(host_inputs[n]);
    const auto b = CompilerNetwork(compiler_inputs[n]);
    const bool same = host_inputs[n] == compiler_inputs[n] && a == b;
    problems += same ? 0 : 1;
    std::printf("  input %zu:", n);
    for (std::size_t o = 0; o < a.size(); ++o) std::printf(" %4d/%4d", int(a[o]), int(b[o]));
    std::printf("  %s\n", same ? "same" : "DIFFERENT");
  }
  std::printf("model %s: %s\n", name, problems == 0 ? "identical" : "DIFFERENT");
  return problems;
}

}  // namespace

int main() {
  int problems = 0;
  problems +=
      check<identity_a_host::spec, identity_a_compiler::spec, identity_a_host::network, identity_a_compiler::network,
            identity_a_host::check_inputs, identity_a_report::rows, identity_a_compiler::calibration>("a");
  problems +=
      check<identity_b_host::spec, identity_b_compiler::spec, identity_b_host::network, identity_b_compiler::network,
            identity_b_host::check_inputs, identity_b_report::rows, identity_b_compiler::calibration>("b");
  problems +=
      check<identity_c_host::spec, identity_c_compiler::spec, identity_c_host::network, identity_c_compiler::network,
            identity_c_host::check_inputs, identity_c_report::rows, identity_c_compiler::calibration>("c");
  std::printf("%s\n", problems == 0 ? "PASS" : "FAIL");
  return problems == 0 ? 0 : 1;
}
