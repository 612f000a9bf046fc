// A 300-layer Pipe: 50 units of QDense, QRelu and a Residual of QDense, QRelu6, QDense (200
// runtime steps, 200 parameter blocks), calibrated and quantized by the compiler and checked
// against the naive TFLite layers composed here unit by unit: the planning, wiring, parameter
// slots and arena of a network of deployed size. The reference backend runs it: the kernels of
// the M0 backend are the layer tests' business, and its compile-time fits (about half a second
// an add) would make this test a minute long. (Compile time and memory of deep pipes are measured,
// not asserted: perf/compile_scale.py.)
#include <doctest/doctest.h>

#include <array>
#include <utility>
#include <vector>

#include "qpipe/layers/layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

constexpr std::size_t units = 50;
constexpr std::size_t width = 8;

template <std::size_t U>
using Unit = Pipe<QDense<width>, QRelu, Residual<Pipe<QDense<width>, QRelu6, QDense<width>>>>;
template <class Seq> struct deep;
template <std::size_t... U> struct deep<std::index_sequence<U...>> {
  using type = Pipe<Unit<U>...>;
};
using Net = typename deep<std::make_index_sequence<units>>::type;
using In = Shape<width>;

// Block I: unit I / 4, its three dense layers and then its add. The grids are calibration's.
template <std::size_t I>
consteval auto block() {
  if constexpr (I % 4 == 3) {
    return ResidualParams{{1, 0}};
  } else {
    qpipe_test::Lcg rng{static_cast<std::uint32_t>(1000 + I)};
    DenseParams<width, width> p{};
    for (auto& row : p.weights)
      for (auto& w : row) w = rng.uniform(-1, 1);
    for (auto& b : p.bias) b = rng.uniform(-0.3, 0.3);
    p.output = {1, 0};
    return p;
  }
}
template <std::size_t... I>
consteval auto unset_spec(std::index_sequence<I...>) {
  return make_spec<Net, In>(Grid{1, 0}, block<I>()...);
}

inline constexpr auto samples = [] {
  std::array<std::array<double, width>, 6> s{};
  qpipe_test::Lcg rng{7};
  for (auto& x : s)
    for (auto& v : x) v = rng.uniform(-1, 1);
  return s;
}();
inline constexpr auto calibrated = calibrate(unset_spec(std::make_index_sequence<4 * units>{}), samples);
inline constexpr auto network = compile<calibrated, reference_ops::Backend>();
using M = std::remove_const_t<decltype(network)>;

// What the naive layers need of each unit: its three dense blocks and its add's grid (the float
// blocks with calibration's grids).
struct UnitBlocks {
  DenseParams<width, width> first, second, third;
  Grid add;
};
template <std::size_t... U>
consteval std::array<UnitBlocks, units> unit_blocks(std::index_sequence<U...>) {
  return {UnitBlocks{boost::hana::at_c<4 * U>(calibrated.params), boost::hana::at_c<4 * U + 1>(calibrated.params),
                     boost::hana::at_c<4 * U + 2>(calibrated.params),
                     boost::hana::at_c<4 * U + 3>(calibrated.params).output}...};
}
inline constexpr auto blocks = unit_blocks(std::make_index_sequence<units>{});

std::vector<double> weights_of(const DenseParams<width, width>& p) {
  std::vector<double> w;
  for (const auto& row : p.weights) w.insert(w.end(), std::begin(row), std::end(row));
  return w;
}
std::vector<double> bias_of(const DenseParams<width, width>& p) {
  return std::vector<double>(std::begin(p.bias), std::end(p.bias));
}

// The naive layers over the same blocks, one unit at a time.
std::vector<std::int8_t> naive_units(std::vector<std::int8_t> x) {
  Grid g = calibrated.input;
  for (const UnitBlocks& u : blocks) {
    const Grid g1 = u.first.output, g2 = u.second.output, g3 = u.third.output;
    const auto a = naive::dense(x, to_naive(g), weights_of(u.first), bias_of(u.first), width, to_naive(g1),
                                std::max(-128, g1.zero_point), 127);
    const int six = std::min(127, int(std::lround(6.0 / g2.scale)) + g2.zero_point);
    const auto b = naive::dense(a, to_naive(g1), weights_of(u.second), bias_of(u.second), width, to_naive(g2),
                                std::max(-128, g2.zero_point), six);
    const auto c = naive::dense(b, to_naive(g2), weights_of(u.third), bias_of(u.third), width, to_naive(g3), -128, 127);
    x = naive::add(a, to_naive(g1), c, to_naive(g3), to_naive(u.add), -128, 127);
    g = u.add;
  }
  return x;
}

}  // namespace

static_assert(M::stage_count == 4 * units);
static_assert(std::remove_const_t<decltype(calibrated)>::plan::param_count == 4 * units);
// Each unit's add reads its first dense layer's output (the skip) and its last one's.
static_assert(M::reads[3][0] == 1 && M::reads[3][1] == 3 && M::reads[4 * units - 1][0] == 4 * units - 3);
// At most three 8-byte buffers live at once (the skip, the branch's input and output).
static_assert(M::arena_bytes == 3 * width && M::peak_live_bytes == 3 * width);

TEST_CASE("a 300-layer pipe equals its layers composed by hand") {
  int checked = 0;
  for (const auto& x : input_batch<width>(5, 20)) {
    const auto got = network(x);
    const auto want = naive_units(std::vector<std::int8_t>(x.begin(), x.end()));
    for (std::size_t i = 0; i < width; ++i) {
      CAPTURE(i);
      REQUIRE(int(got[i]) == int(want[i]));
    }
    ++checked;
  }
  CHECK(checked == 23);
}
