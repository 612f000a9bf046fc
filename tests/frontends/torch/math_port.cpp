// qpipe's constexpr math evaluated by the compiler (constant evaluation, as calibration runs it)
// over the inputs math_port_check.py wrote; prints the bits of every result, which the script
// compares with python/qpipe_tools/calibration.py's port.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

#include <qpipe.hpp>

#include "math_port_inputs.hpp"

namespace {

constexpr std::size_t n = math_inputs.size();
constexpr int ldexp_exponents[] = {-1100, -1074, -60, 0, 7, 1000, 1003};
constexpr std::size_t ldexp_count = 200 < n ? 200 : n;

template <class F>
consteval std::array<double, n> each(F f) {
  std::array<double, n> r{};
  for (std::size_t i = 0; i < n; ++i) r[i] = f(math_inputs[i]);
  return r;
}

constexpr std::array<std::array<double, n>, 8> results{
    each([](double x) { return qpipe::math::round_half_away(x); }),
    each([](double x) { return qpipe::math::floor(x); }),
    each([](double x) { return qpipe::math::exp(x); }),
    each([](double x) { return qpipe::math::expm1(x); }),
    each([](double x) { return qpipe::math::sigmoid(x); }),
    each([](double x) { return qpipe::math::tanh(x); }),
    each([](double x) { return qpipe::math::sqrt(x); }),
    each([](double x) { return qpipe::math::log(x); }),
};
constexpr const char* names[] = {"round_half_away", "floor", "exp", "expm1", "sigmoid", "tanh", "sqrt", "log"};

// (Only values whose results stay finite: an overflow is not a constant expression.)
constexpr bool ldexp_input(std::size_t i) { return qpipe::math::abs(math_inputs[i]) <= 1e5; }
constexpr auto ldexps = [] {
  std::array<std::array<double, ldexp_count>, 7> r{};
  for (std::size_t e = 0; e < 7; ++e)
    for (std::size_t i = 0; i < ldexp_count; ++i)
      if (ldexp_input(i)) r[e][i] = qpipe::math::ldexp(math_inputs[i], ldexp_exponents[e]);
  return r;
}();

// min_max_grid of (values[i], values[i + 1]) sorted, for pairs of moderate finite values.
constexpr bool grid_pair(std::size_t i) {
  const double a = math_inputs[i], b = math_inputs[i + 1];
  return qpipe::math::is_finite(a) && qpipe::math::is_finite(b) && qpipe::math::abs(a) < 1e290 &&
         qpipe::math::abs(b) < 1e290;
}
constexpr auto grids = []() consteval {
  std::array<qpipe::Grid, n> g{};
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    if (!grid_pair(i)) continue;
    const double a = math_inputs[i], b = math_inputs[i + 1];
    g[i] = qpipe::min_max_grid({a < b ? a : b, a < b ? b : a});
  }
  return g;
}();

// The observers on their own: qpipe::observe over each case's values (one constant evaluation
// per case).
template <std::size_t K>
inline constexpr qpipe::ObservedRange observed = []() consteval {
  constexpr ObserverCase c = observer_cases[K];
  const qpipe::Observer o = c.method == 1   ? qpipe::percentile(c.lower, c.upper)
                            : c.method == 2 ? qpipe::kl_divergence(c.bins)
                                            : qpipe::min_max();
  return qpipe::observe(o, std::vector<double>(observer_values.begin() + c.begin, observer_values.begin() + c.end));
}();
template <std::size_t... K>
constexpr auto all_observed(std::index_sequence<K...>) {
  return std::array<qpipe::ObservedRange, sizeof...(K)>{observed<K>...};
}
constexpr auto observations = all_observed(std::make_index_sequence<observer_cases.size()>{});

void print(const char* name, std::size_t i, double v) {
  std::printf("%s %zu %016llx\n", name, i, static_cast<unsigned long long>(std::bit_cast<std::uint64_t>(v)));
}

}  // namespace

int main() {
  for (std::size_t f = 0; f < results.size(); ++f)
    for (std::size_t i = 0; i < n; ++i) print(names[f], i, results[f][i]);
  for (std::size_t e = 0; e < 7; ++e) {
    char name[32];
    std::snprintf(name, sizeof name, "ldexp%d", ldexp_exponents[e]);
    for (std::size_t i = 0; i < ldexp_count; ++i)
      if (ldexp_input(i)) print(name, i, ldexps[e][i]);
  }
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    if (!grid_pair(i)) continue;
    print("grid", i, grids[i].scale);
    print("zero_point", i, static_cast<double>(grids[i].zero_point));
  }
  for (std::size_t k = 0; k < observations.size(); ++k) {
    const qpipe::ObservedRange& r = observations[k];
    print("observer_seen_lo", k, r.seen.lo);
    print("observer_seen_hi", k, r.seen.hi);
    print("observer_chosen_lo", k, r.chosen.lo);
    print("observer_chosen_hi", k, r.chosen.hi);
    print("observer_threshold", k, r.threshold);
  }
  return 0;
}
