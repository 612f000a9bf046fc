// The merges of two branches run on one input (Add, Mul, Concat; detail/merge.hpp) against the
// naive references composed by hand: each branch run on its own, then the naive TFLite ADD, MUL or
// channel concatenation. Both backends; the wiring as the plan lays it out.
#include <doctest/doctest.h>

#include <vector>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

template <class Range>
void require_equal(const Range& got, const std::vector<std::int8_t>& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    REQUIRE(int(got[i]) == int(expected[i]));
  }
}

const naive::Window same3{3, 3, 1, 1, 1, 1, true};
const naive::Window same3_stride2{3, 3, 2, 2, 1, 1, true};

}  // namespace

TEST_CASE("Add of two branches: ResNet-8's downsampling block (conv-conv beside a 1x1 stride-2 shortcut)") {
  using Main = Pipe<QConv2DPerChannel<3, 2, same>, QRelu, QConv2DPerChannel<3, same>>;
  using Shortcut = QConv2DPerChannel<1, 2>;
  using Net = Pipe<Add<Main, Shortcut>, QRelu>;
  using In = Shape<8, 8, 4>;
  constexpr Grid in_grid{0.03, -7};
  constexpr Grid g1 = saturating_output_grid(0.03 / 3, 36, -128);
  constexpr Grid g2 = saturating_output_grid(g1.scale / 2, 72, 5);
  constexpr Grid g3 = saturating_output_grid(0.03 / 3, 4, -9);
  static constexpr auto c1 = random_conv<3, 4, 8>(501, g1, true);
  static constexpr auto c2 = random_conv<3, 8, 8>(502, g2, true);
  static constexpr auto c3 = random_conv<1, 4, 8>(503, g3, true);
  constexpr Grid sum{g2.scale * 0.6, -40};
  static constexpr auto s = make_spec<Net, In>(in_grid, c1, c2, c3, AddParams{sum});
  using models = BothBackends<s>;
  using M = std::remove_const_t<decltype(models::m0)>;
  // conv, conv (the ReLU folded), the shortcut from the input, the add reading both ends.
  static_assert(M::stage_count == 4);
  static_assert(M::reads[0][0] == 0 && M::reads[1][0] == 1 && M::reads[2][0] == 0);
  static_assert(M::reads[3][0] == 2 && M::reads[3][1] == 3);
  static_assert(std::is_same_v<typename M::output_shape, Shape<4, 4, 8>>);
  const auto ng = [](Grid g) { return to_naive(g); };
  Saturation sat;
  for (const auto& x : input_batch<In::size>(504)) {
    const naive::Tensor t = to_tensor<In>(x);
    const naive::Tensor a =
        naive::conv2d(t, ng(in_grid), to_naive(c1), true, same3_stride2, ng(g1), g1.zero_point, 127);
    const naive::Tensor b = naive::conv2d(a, ng(g1), to_naive(c2), true, same3, ng(g2), -128, 127);
    const naive::Tensor c = naive::conv2d(t, ng(in_grid), to_naive(c3), true, 2, ng(g3), -128, 127);
    const auto got = models::run(x);
    require_equal(got, naive::add(b.v, ng(g2), c.v, ng(g3), ng(sum), sum.zero_point, 127));
    sat.count(got, sum.zero_point);
  }
  CHECK(sat.low > 0);
  CHECK(sat.high > 0);
}

TEST_CASE("Add<Identity, B> is Residual<B> byte for byte") {
  using Branch = Pipe<QConv2DPerChannel<3, same>, QRelu, QConv2DPerChannel<1>>;
  using In = Shape<5, 6, 4>;
  constexpr Grid in_grid{0.04, 3};
  static constexpr auto c1 = random_conv<3, 4, 4>(511, saturating_output_grid(0.04 / 3, 36, -128), true);
  static constexpr auto c2 = random_conv<1, 4, 4>(512, saturating_output_grid(0.01, 4, 0), true);
  constexpr Grid sum{0.06, -10};
  static constexpr auto as_add = make_spec<Pipe<Add<Identity, Branch>>, In>(in_grid, c1, c2, AddParams{sum});
  static constexpr auto as_residual = make_spec<Pipe<Residual<Branch>>, In>(in_grid, c1, c2, ResidualParams{sum});
  using add_models = BothBackends<as_add>;
  using residual_models = BothBackends<as_residual>;
  static_assert(std::remove_const_t<decltype(add_models::m0)>::reads ==
                std::remove_const_t<decltype(residual_models::m0)>::reads);
  for (const auto& x : input_batch<In::size>(513)) CHECK(add_models::run(x) == residual_models::run(x));
}

TEST_CASE("a clamp at the start of a branch is a step of its own: it does not clamp the other branch") {
  // Pipe<conv, Add<QRelu, conv>>: the ReLU must not fold into the first conv (the second branch
  // reads the unclamped codes).
  using Net = Pipe<QConv2DPerChannel<1>, Add<QRelu, QConv2DPerChannel<1>>>;
  using In = Shape<3, 3, 4>;
  constexpr Grid in_grid{0.05, 0};
  constexpr Grid g0 = saturating_output_grid(0.05 / 3, 4, 10);
  static constexpr auto c0 = random_conv<1, 4, 4>(521, g0, true);
  constexpr Grid g1 = saturating_output_grid(g0.scale / 3, 4, -3);
  static constexpr auto c1 = random_conv<1, 4, 4>(522, g1, true);
  constexpr Grid sum{g0.scale, 0};
  static constexpr auto s = make_spec<Net, In>(in_grid, c0, c1, AddParams{sum});
  using models = BothBackends<s>;
  using M = std::remove_const_t<decltype(models::m0)>;
  static_assert(M::stage_count == 4);  // conv, ReLU, conv, add
  static_assert(M::reads[1][0] == 1 && M::reads[2][0] == 1 && M::reads[3][0] == 2 && M::reads[3][1] == 3);
  const auto ng = [](Grid g) { return to_naive(g); };
  for (const auto& x : input_batch<In::size>(523)) {
    const naive::Tensor a = naive::conv2d(to_tensor<In>(x), ng(in_grid), to_naive(c0), true, 1, ng(g0), -128, 127);
    std::vector<std::int8_t> relu = a.v;
    for (auto& v : relu) v = static_cast<std::int8_t>(std::max<int>(v, g0.zero_point));
    const naive::Tensor b = naive::conv2d(a, ng(g0), to_naive(c1), true, 1, ng(g1), -128, 127);
    require_equal(models::run(x), naive::add(relu, ng(g0), b.v, ng(g1), ng(sum), -128, 127));
  }
}

TEST_CASE("Mul of two branches: TFLite MUL with its own grid, a ReLU folded") {
  using Net = Pipe<Mul<QConv2DPerChannel<1>, Pipe<QConv2DPerChannel<3, same>, QRelu>>, QRelu>;
  using In = Shape<4, 5, 3>;
  constexpr Grid in_grid{0.05, 12};
  constexpr Grid ga = saturating_output_grid(0.05 / 3, 3, -20);
  constexpr Grid gb = saturating_output_grid(0.05 / 3, 27, -128);
  static constexpr auto ca = random_conv<1, 3, 6>(531, ga, true);
  static constexpr auto cb = random_conv<3, 3, 6>(532, gb, true);
  constexpr Grid product{ga.scale * gb.scale * 40, -5};
  static constexpr auto s = make_spec<Net, In>(in_grid, ca, cb, MulParams{product});
  using models = BothBackends<s>;
  const auto ng = [](Grid g) { return to_naive(g); };
  Saturation sat;
  for (const auto& x : input_batch<In::size>(533)) {
    const naive::Tensor t = to_tensor<In>(x);
    const naive::Tensor a = naive::conv2d(t, ng(in_grid), to_naive(ca), true, 1, ng(ga), -128, 127);
    const naive::Tensor b = naive::conv2d(t, ng(in_grid), to_naive(cb), true, same3, ng(gb), gb.zero_point, 127);
    const auto got = models::run(x);
    require_equal(got, naive::mul(a.v, ng(ga), b.v, ng(gb), ng(product), product.zero_point, 127));
    sat.count(got, product.zero_point);
  }
  CHECK(sat.low > 0);
  CHECK(sat.high > 0);
}

TEST_CASE("Concat along channels: two convolutions on one grid, and three branches with Identity") {
  using In = Shape<5, 4, 3>;
  constexpr Grid in_grid{0.05, -30};
  constexpr Grid shared = saturating_output_grid(0.05 / 3, 27, 4);
  static constexpr auto ca = random_conv<1, 3, 2>(541, shared, true);
  static constexpr auto cb = random_conv<3, 3, 5>(542, shared, true);
  static constexpr auto two =
      make_spec<Pipe<Concat<QConv2DPerChannel<1>, QConv2DPerChannel<3, same>>>, In>(in_grid, ca, cb);
  using two_models = BothBackends<two>;
  static_assert(std::is_same_v<std::remove_const_t<decltype(two)>::output_shape, Shape<5, 4, 7>>);
  // The pools keep the input's grid, as Identity does; three branches concatenate left to right.
  static constexpr auto three =
      make_spec<Pipe<Concat<Identity, QMaxPool2D<3, 1, same>, QAvgPool2D<3, 1, same>>>, In>(in_grid);
  using three_models = BothBackends<three>;
  static_assert(std::is_same_v<std::remove_const_t<decltype(three)>::output_shape, Shape<5, 4, 9>>);
  const auto ng = [](Grid g) { return to_naive(g); };
  for (const auto& x : input_batch<In::size>(543)) {
    const naive::Tensor t = to_tensor<In>(x);
    const naive::Tensor a = naive::conv2d(t, ng(in_grid), to_naive(ca), true, 1, ng(shared), -128, 127);
    const naive::Tensor b = naive::conv2d(t, ng(in_grid), to_naive(cb), true, same3, ng(shared), -128, 127);
    require_equal(two_models::run(x), naive::concat_channels(a, b).v);
    const naive::Tensor with_max = naive::concat_channels(t, naive::max_pool(t, same3));
    require_equal(three_models::run(x), naive::concat_channels(with_max, naive::avg_pool(t, same3)).v);
  }
}
