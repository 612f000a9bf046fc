// QReshape and QFlatten (TFLite RESHAPE / SQUEEZE): the codes under a new shape with no copy. The
// steps after a view read its input's bytes, so a network with views computes what the same
// network computes without them (where the shapes allow it), the views hold no arena bytes, and a
// view that ends the network copies into the caller's output.
#include <doctest/doctest.h>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

constexpr Grid in_grid{0.1, -5};
constexpr auto conv = random_conv<1, 2, 4>(501, Grid{0.05, 3}, false);
constexpr auto dense = random_dense<8, 3>(502, Grid{0.2, -1});

// A 1x1 convolution to 2 x 4 x 4, a max pool, then a dense layer, which reads its input flat.
constexpr auto plain =
    make_spec<Pipe<QConv2DPerChannel<1>, QMaxPool2D<2>, QDense<3>>, Shape<2, 4, 2>>(in_grid, conv, dense);
constexpr auto flattened =
    make_spec<Pipe<QConv2DPerChannel<1>, QMaxPool2D<2>, QFlatten, QDense<3>>, Shape<2, 4, 2>>(in_grid, conv, dense);
constexpr auto twice =
    make_spec<Pipe<QConv2DPerChannel<1>, QMaxPool2D<2>, QFlatten, QReshape<Shape<2, 4>>, QFlatten, QDense<3>>,
              Shape<2, 4, 2>>(in_grid, conv, dense);
// Views first and last: the dense layer reads the caller's input; the last copies.
constexpr auto edges = make_spec<Pipe<QFlatten, QDense<3>, QReshape<Shape<1, 1, 3>>>, Shape<1, 2, 4>>(in_grid, dense);
constexpr auto dense_only = make_spec<Pipe<QDense<3>>, Shape<8>>(in_grid, dense);

}  // namespace

TEST_CASE("A view changes no code: with and without QFlatten / QReshape the outputs are equal") {
  for (const auto& x : input_batch<16>(511)) {
    const auto expected = BothBackends<plain>::run(x);
    CHECK(BothBackends<flattened>::run(x) == expected);
    CHECK(BothBackends<twice>::run(x) == expected);
  }
  for (const auto& x : input_batch<8>(512)) {
    const auto e = BothBackends<dense_only>::run(x);
    const auto got = BothBackends<edges>::run(x);
    CHECK(std::equal(got.begin(), got.end(), e.begin(), e.end()));
  }
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(edges)>::output_shape, Shape<1, 1, 3>>);
}

TEST_CASE("A reshape that changes the geometry: the pool sees the new shape") {
  // 2 x 4 x 2 read as 4 x 2 x 2: the 2 x 2 pool takes other cells than on the original shape.
  static constexpr auto s = make_spec<Pipe<QReshape<Shape<4, 2, 2>>, QMaxPool2D<2>>, Shape<2, 4, 2>>(in_grid);
  for (const auto& x : input_batch<16>(521)) {
    naive::Tensor t{4, 2, 2, std::vector<std::int8_t>(x.begin(), x.end())};
    const naive::Tensor e = naive::max_pool(t, 2, 2);
    const auto got = BothBackends<s>::run(x);
    REQUIRE(std::vector<std::int8_t>(got.begin(), got.end()) == e.v);
  }
}

TEST_CASE("Views hold no bytes: the arena is the one without them, each view reads where it lies") {
  using with = std::remove_const_t<decltype(BothBackends<twice>::m0)>;
  using without = std::remove_const_t<decltype(BothBackends<plain>::m0)>;
  static_assert(with::stage_count == 6 && without::stage_count == 3);
  static_assert(with::arena_bytes == without::arena_bytes);
  static_assert(with::views[2] && with::views[3] && with::views[4] && !with::views[5]);
  static_assert(with::buffer_bytes[3] == 0 && with::buffer_bytes[4] == 0 && with::buffer_bytes[5] == 0);
  // The dense step reads the pool's output (buffer 2), through the three views.
  static_assert(with::reads[5][0] == 2);
  using ends = std::remove_const_t<decltype(BothBackends<edges>::m0)>;
  static_assert(ends::views[0] && !ends::views[2] && ends::reads[1][0] == 0);
}
