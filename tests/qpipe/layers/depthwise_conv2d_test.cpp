// QDepthwiseConv2D against the naive TFLite reference: per-channel scales, strides 1 and 2,
// kernels 1, 3 and 7, padding, non-zero zero points, saturation at both ends.
#include <doctest/doctest.h>

#include <string>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

template <std::size_t H, std::size_t W, std::size_t C, std::size_t K, std::size_t S, std::size_t Pad, bool Relu6,
          std::uint32_t Seed, int InZp, int OutZp>
bool check_depthwise(bool each_case_saturates = true) {
  using Net = std::conditional_t<Relu6, Pipe<QPad2D<Pad>, QDepthwiseConv2D<K, S>, QRelu6>,
                                 Pipe<QPad2D<Pad>, QDepthwiseConv2D<K, S>>>;
  using In = Shape<H, W, C>;
  constexpr Grid in_grid{0.03, InZp};
  constexpr Grid out_grid = saturating_output_grid(in_grid.scale / 3, K * K, OutZp);
  static constexpr auto params = random_depthwise<K, C>(Seed, out_grid);
  static constexpr auto s = make_spec<Net, In>(in_grid, params);
  using models = BothBackends<s>;

  const auto cw = to_naive(params);
  // ReLU6 folds into the clamp: [zero point, code of 6.0].
  const int qmin = Relu6 ? std::max(-128, OutZp) : -128;
  const int qmax = Relu6 ? std::min(127, int(std::lround(6.0 / out_grid.scale)) + OutZp) : 127;
  Saturation sat;
  for (const auto& x : input_batch<In::size>(Seed)) {
    const naive::Tensor t = naive::pad(to_tensor<In>(x), Pad, Pad, Pad, Pad, InZp);
    const naive::Tensor expected = naive::depthwise_conv2d(t, to_naive(in_grid), cw, S, to_naive(out_grid), qmin, qmax);
    const auto got = models::run(x);
    REQUIRE(got.size() == expected.v.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      REQUIRE(int(got[i]) == int(expected.v[i]));
    }
    sat.count(got, qmin);
  }
  MESSAGE("depthwise " << H << "x" << W << "x" << C << " pad " << Pad << " K " << K << " S " << S
                       << std::string(Relu6 ? " +relu6" : "") << ": saturated low " << sat.low << ", high "
                       << sat.high);
  if (each_case_saturates) {
    CHECK(sat.low > 0);
    if (!Relu6) CHECK(sat.high > 0);
  }
  // Whether the requantizer runs in the folded halves form (what the M0's assembly loop needs).
  return boost::hana::at_c<1>(models::m0.kernels).folded;
}

// A depthwise layer written with window options and a depth multiplier, against the naive
// reference's window of the same meaning.
template <class Layer, class In, auto Kernel, std::size_t M, naive::Window Win, std::uint32_t Seed, int InZp, int OutZp>
void check_window_depthwise() {
  constexpr Grid in_grid{0.03, InZp};
  constexpr Grid out_grid = saturating_output_grid(in_grid.scale / 3, std::size_t(Win.kh) * std::size_t(Win.kw), OutZp);
  static constexpr auto params = random_depthwise<Kernel, In::dims[2], M>(Seed, out_grid);
  static constexpr auto s = make_spec<Pipe<Layer>, In>(in_grid, params);
  using models = BothBackends<s>;
  using Out = typename std::remove_const_t<decltype(s)>::output_shape;
  static_assert(Out::dims[2] == In::dims[2] * M);
  const auto cw = to_naive(params);
  Saturation sat;
  for (const auto& x : input_batch<In::size>(Seed)) {
    const naive::Tensor expected =
        naive::depthwise_conv2d(to_tensor<In>(x), to_naive(in_grid), cw, Win, to_naive(out_grid), -128, 127);
    REQUIRE(Out::dims[0] == std::size_t(expected.h));
    REQUIRE(Out::dims[1] == std::size_t(expected.w));
    const auto got = models::run(x);
    REQUIRE(got.size() == expected.v.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      REQUIRE(int(got[i]) == int(expected.v[i]));
    }
    sat.count(got);
  }
  CHECK(sat.low > 0);
  CHECK(sat.high > 0);
}

}  // namespace

// (Tiny random images may be too small to saturate; the fixed cases below require it.)
TEST_CASE("QDepthwiseConv2D on random geometries drawn by the compiler") {
  constexpr ConvGeometry a = random_geometry(2001), b = random_geometry(2002), c = random_geometry(2003),
                         d = random_geometry(2004), e = random_geometry(2005), f = random_geometry(2006);
  check_depthwise<a.h, a.w, a.in_c, a.k, a.stride, a.pad, false, 2001, a.in_zp, a.out_zp>(false);
  check_depthwise<b.h, b.w, b.in_c, b.k, b.stride, b.pad, false, 2002, b.in_zp, b.out_zp>(false);
  check_depthwise<c.h, c.w, c.in_c, c.k, c.stride, c.pad, true, 2003, c.in_zp, c.out_zp>(false);
  check_depthwise<d.h, d.w, d.in_c, d.k, d.stride, d.pad, false, 2004, d.in_zp, d.out_zp>(false);
  check_depthwise<e.h, e.w, e.in_c, e.k, e.stride, e.pad, true, 2005, e.in_zp, e.out_zp>(false);
  check_depthwise<f.h, f.w, f.in_c, f.k, f.stride, f.pad, false, 2006, f.in_zp, f.out_zp>(false);
}

TEST_CASE("QDepthwiseConv2D equals the naive reference") {
  check_depthwise<6, 6, 4, 3, 1, 1, false, 51, 0, 0>();
  check_depthwise<9, 7, 5, 3, 2, 1, false, 52, -17, 30>();
  check_depthwise<8, 8, 3, 7, 1, 3, false, 53, 90, -90>();
  check_depthwise<5, 6, 6, 1, 2, 0, false, 54, -128, 5>();
  // MobileNetV2's block-2 geometry; its fit folds the clamp into the offsets, so the outputs above
  // come from folded_halves_code.
  CHECK(check_depthwise<8, 8, 32, 3, 2, 1, true, 55, -100, -128>());
}

TEST_CASE("QDepthwiseConv2D with window options and depth multipliers equals the naive reference") {
  // DS-CNN's depthwise layers: 3 x 3, SAME, on 25 x 5.
  check_window_depthwise<QDepthwiseConv2D<3, same>, Shape<25, 5, 8>, 3, 1, naive::Window{3, 3, 1, 1, 1, 1, true}, 401,
                         -6, 2>();
  // MobileNetV1's downsampling depthwise: 3 x 3, stride 2, SAME on an even input.
  check_window_depthwise<QDepthwiseConv2D<3, 2, same>, Shape<10, 10, 4>, 3, 1, naive::Window{3, 3, 2, 2, 1, 1, true},
                         402, 50, -50>();
  // Depth multipliers, VALID and SAME, with a rectangular kernel, stride and dilation.
  check_window_depthwise<QDepthwiseConv2D<3, multiplier(2)>, Shape<6, 5, 3>, 3, 2, naive::Window{3, 3}, 403, 0, 0>();
  check_window_depthwise<QDepthwiseConv2D<kernel(3, 1), stride(1, 2), dilation(2), same, multiplier(3)>, Shape<7, 8, 2>,
                         kernel(3, 1), 3, naive::Window{3, 1, 1, 2, 2, 2, true}, 404, -128, 100>();
  check_window_depthwise<QDepthwiseConv2D<1, multiplier(4)>, Shape<3, 3, 1>, 1, 4, naive::Window{1, 1}, 405, 7, -7>();
}
