// QPad2D, QMaxPool2D, QAvgPool2D and QGlobalAvgPool2D against the naive reference, and the grid
// rule: all four keep the input's scale and zero point.
#include <doctest/doctest.h>

#include <algorithm>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

template <class Net, class In, Grid G, class Expected>
void check_against(std::uint32_t seed, Expected expected) {
  static constexpr auto s = make_spec<Net, In>(G);
  using models = BothBackends<s>;
  for (const auto& x : input_batch<In::size>(seed)) {
    const std::vector<std::int8_t> e = expected(to_tensor<In>(x));
    const auto got = models::run(x);
    REQUIRE(got.size() == e.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      REQUIRE(int(got[i]) == int(e[i]));
    }
  }
}

std::vector<std::int8_t> clamped(std::vector<std::int8_t> v, int lo) {
  for (auto& q : v) q = static_cast<std::int8_t>(std::max<int>(q, lo));
  return v;
}

}  // namespace

TEST_CASE("QPad2D fills with the input zero point, symmetric and asymmetric") {
  check_against<Pipe<QPad2D<2>>, Shape<3, 4, 2>, Grid{0.1, -7}>(
      61, [](const naive::Tensor& t) { return naive::pad(t, 2, 2, 2, 2, -7).v; });
  check_against<Pipe<QPad2D<0, 1, 0, 1>>, Shape<5, 5, 3>, Grid{0.1, 33}>(
      62, [](const naive::Tensor& t) { return naive::pad(t, 0, 1, 0, 1, 33).v; });
  check_against<Pipe<QPad2D<1, 2, 3, 0>>, Shape<2, 3, 1>, Grid{0.1, -128}>(
      63, [](const naive::Tensor& t) { return naive::pad(t, 1, 2, 3, 0, -128).v; });
  static_assert(std::is_same_v<std::remove_const_t<decltype(make_spec<Pipe<QPad2D<1, 2, 3, 0>>, Shape<2, 3, 1>>(
                                   Grid{0.1, 0}))>::output_shape,
                               Shape<5, 6, 1>>);
}

TEST_CASE("QMaxPool2D equals the naive reference; a folded ReLU clamps at the zero point") {
  check_against<Pipe<QMaxPool2D<2>>, Shape<8, 8, 3>, Grid{0.1, 0}>(
      71, [](const naive::Tensor& t) { return naive::max_pool(t, 2, 2).v; });
  check_against<Pipe<QMaxPool2D<3, 2>>, Shape<9, 7, 2>, Grid{0.1, 5}>(
      72, [](const naive::Tensor& t) { return naive::max_pool(t, 3, 2).v; });
  check_against<Pipe<QMaxPool2D<3, 1>, QRelu>, Shape<5, 6, 4>, Grid{0.1, 20}>(
      73, [](const naive::Tensor& t) { return clamped(naive::max_pool(t, 3, 1).v, 20); });
}

TEST_CASE("QAvgPool2D equals the naive reference (ties away from zero)") {
  check_against<Pipe<QAvgPool2D<2>>, Shape<6, 6, 3>, Grid{0.1, 0}>(
      81, [](const naive::Tensor& t) { return naive::avg_pool(t, 2, 2).v; });
  check_against<Pipe<QAvgPool2D<3, 1>>, Shape<7, 5, 2>, Grid{0.1, -3}>(
      82, [](const naive::Tensor& t) { return naive::avg_pool(t, 3, 1).v; });
  check_against<Pipe<QAvgPool2D<7, 2>>, Shape<9, 9, 1>, Grid{0.1, 9}>(
      83, [](const naive::Tensor& t) { return naive::avg_pool(t, 7, 2).v; });
  check_against<Pipe<QAvgPool2D<2>, QRelu>, Shape<4, 4, 5>, Grid{0.1, -10}>(
      84, [](const naive::Tensor& t) { return clamped(naive::avg_pool(t, 2, 2).v, -10); });
}

TEST_CASE(
    "pools with window options: rectangular windows and strides, SAME (border windows count their inside cells)") {
  using qpipe::valid;
  // DS-CNN's average pool: the whole 25 x 5 map in one window.
  check_against<Pipe<QAvgPool2D<kernel(25, 5)>>, Shape<25, 5, 6>, Grid{0.1, 4}>(
      85, [](const naive::Tensor& t) { return naive::avg_pool(t, naive::Window{25, 5, 25, 5}).v; });
  check_against<Pipe<QAvgPool2D<3, 2, same>>, Shape<7, 6, 3>, Grid{0.1, -20}>(
      86, [](const naive::Tensor& t) { return naive::avg_pool(t, naive::Window{3, 3, 2, 2, 1, 1, true}).v; });
  check_against<Pipe<QAvgPool2D<kernel(2, 3), stride(1, 2), valid>>, Shape<5, 9, 2>, Grid{0.1, 0}>(
      87, [](const naive::Tensor& t) { return naive::avg_pool(t, naive::Window{2, 3, 1, 2}).v; });
  check_against<Pipe<QAvgPool2D<2, same>>, Shape<5, 5, 2>, Grid{0.1, 0}>(
      88, [](const naive::Tensor& t) { return naive::avg_pool(t, naive::Window{2, 2, 2, 2, 1, 1, true}).v; });
  check_against<Pipe<QMaxPool2D<3, 2, same>>, Shape<8, 8, 3>, Grid{0.1, 5}>(
      74, [](const naive::Tensor& t) { return naive::max_pool(t, naive::Window{3, 3, 2, 2, 1, 1, true}).v; });
  check_against<Pipe<QMaxPool2D<kernel(3, 2), same>, QRelu>, Shape<5, 7, 2>, Grid{0.1, -3}>(
      75,
      [](const naive::Tensor& t) { return clamped(naive::max_pool(t, naive::Window{3, 2, 3, 2, 1, 1, true}).v, -3); });
  // Shapes: a pool's stride defaults to its kernel; SAME gives ceil(input / stride).
  static_assert(
      std::is_same_v<std::remove_const_t<decltype(make_spec<Pipe<QMaxPool2D<kernel(3, 2), same>>, Shape<5, 7, 2>>(
                         Grid{0.1, 0}))>::output_shape,
                     Shape<2, 4, 2>>);
  static_assert(std::is_same_v<std::remove_const_t<decltype(make_spec<Pipe<QAvgPool2D<kernel(25, 5)>>, Shape<25, 5, 6>>(
                                   Grid{0.1, 0}))>::output_shape,
                               Shape<1, 1, 6>>);
}

TEST_CASE("QGlobalAvgPool2D equals the naive reference") {
  check_against<Pipe<QGlobalAvgPool2D>, Shape<4, 4, 16>, Grid{0.1, 0}>(
      91, [](const naive::Tensor& t) { return naive::global_avg_pool(t); });
  check_against<Pipe<QGlobalAvgPool2D>, Shape<3, 5, 7>, Grid{0.1, -50}>(
      92, [](const naive::Tensor& t) { return naive::global_avg_pool(t); });
  check_against<Pipe<QGlobalAvgPool2D>, Shape<2, 2, 1>, Grid{0.1, 0}>(
      93, [](const naive::Tensor& t) { return naive::global_avg_pool(t); });
}

TEST_CASE("pooling and padding keep the input grid") {
  constexpr Grid g{0.037, -11};
  constexpr auto s =
      make_spec<Pipe<QPad2D<1>, QMaxPool2D<2>, QAvgPool2D<2>, QGlobalAvgPool2D, QRelu>, Shape<10, 10, 3>>(g);
  constexpr auto all = grids(s);
  for (const Grid& each : all) CHECK(each == g);
}
