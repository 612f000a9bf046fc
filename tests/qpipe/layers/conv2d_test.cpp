// QConv2D, QConv2DPerChannel and QPointwiseConv2D(PerChannel) against the test suite's naive
// TFLite reference (tests/reference/naive_layers.hpp): same float parameters, quantized by the
// compiler on one side and by the reference on the other, outputs compared code for code.
#include <doctest/doctest.h>

#include <string>
#include <type_traits>

#include "both_backends.hpp"
#include "layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

template <class Layer, std::size_t Pad, bool Relu>
struct pipe_for;
template <class Layer> struct pipe_for<Layer, 0, false> {
  using type = Pipe<Layer>;
};
template <class Layer> struct pipe_for<Layer, 0, true> {
  using type = Pipe<Layer, QRelu>;
};
template <class Layer, std::size_t Pad> struct pipe_for<Layer, Pad, false> {
  using type = Pipe<QPad2D<Pad>, Layer>;
};
template <class Layer, std::size_t Pad> struct pipe_for<Layer, Pad, true> {
  using type = Pipe<QPad2D<Pad>, Layer, QRelu>;
};

// One convolution case: an H x W x InC input padded by Pad, a K x K kernel with stride S to OutC
// channels, per-tensor or per-channel, optionally followed by a folded ReLU.
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t OutC, std::size_t K, std::size_t S,
          std::size_t Pad, bool PerChannel, bool Relu, std::uint32_t Seed, int InZp, int OutZp>
Saturation check_conv(bool each_case_saturates = true) {
  using Layer = std::conditional_t<PerChannel, QConv2DPerChannel<K, S>, QConv2D<K, S>>;
  using Net = typename pipe_for<Layer, Pad, Relu>::type;
  using In = Shape<H, W, InC>;
  constexpr Grid in_grid{0.02, InZp};
  // Per-channel cases shrink most channels' weights (so that their scales differ): a finer output
  // grid keeps them saturating too.
  constexpr Grid out_grid = saturating_output_grid(in_grid.scale / (PerChannel ? 3 : 1), K * K * InC, OutZp);
  static constexpr auto params = random_conv<K, InC, OutC>(Seed, out_grid, PerChannel);
  static constexpr auto s = make_spec<Net, In>(in_grid, params);
  using models = BothBackends<s>;

  const auto cw = to_naive(params);
  const int qmin = Relu ? std::max(-128, OutZp) : -128;
  Saturation sat;
  for (const auto& x : input_batch<In::size>(Seed)) {
    naive::Tensor t = to_tensor<In>(x);
    if (Pad > 0) t = naive::pad(t, Pad, Pad, Pad, Pad, InZp);
    const naive::Tensor expected =
        naive::conv2d(t, to_naive(in_grid), cw, PerChannel, S, to_naive(out_grid), qmin, 127);
    const auto got = models::run(x);
    REQUIRE(got.size() == expected.v.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      REQUIRE(int(got[i]) == int(expected.v[i]));
    }
    sat.count(got, qmin);
  }
  MESSAGE("conv " << H << "x" << W << "x" << InC << " pad " << Pad << " K " << K << " S " << S << " -> " << OutC
                  << std::string(PerChannel ? " per-channel" : " per-tensor") << std::string(Relu ? " +relu" : "")
                  << ": saturated low " << sat.low << ", high " << sat.high);
  if (each_case_saturates) {
    CHECK(sat.low > 0);
    CHECK(sat.high > 0);
  }
  return sat;
}

// Tiny random images may have too few outputs to saturate: saturation is required of the set.
template <std::uint32_t Seed, bool PerChannel>
void check_random_conv(Saturation& total) {
  constexpr ConvGeometry g = random_geometry(Seed);
  const Saturation s =
      check_conv<g.h, g.w, g.in_c, g.out_c, g.k, g.stride, g.pad, PerChannel, (Seed % 2 == 0), Seed, g.in_zp, g.out_zp>(
          false);
  total.low += s.low;
  total.high += s.high;
}

// One case of a convolution written with window options (rectangular kernels and strides,
// dilation, SAME padding): the layer as a user writes it, and the naive window that says the same
// thing in TFLite's terms. The options give the output shape; the naive reference computes it on
// its own and the two must agree.
template <class Layer, class In, std::size_t OutC, auto Kernel, naive::Window Win, bool PerChannel, std::uint32_t Seed,
          int InZp, int OutZp>
void check_window_conv() {
  using Net = Pipe<Layer>;
  constexpr Grid in_grid{0.02, InZp};
  constexpr std::size_t taps = std::size_t(Win.kh) * std::size_t(Win.kw) * In::dims[2];
  constexpr Grid out_grid = saturating_output_grid(in_grid.scale / (PerChannel ? 3 : 1), taps, OutZp);
  static constexpr auto params = random_conv<Kernel, In::dims[2], OutC>(Seed, out_grid, PerChannel);
  static constexpr auto s = make_spec<Net, In>(in_grid, params);
  using models = BothBackends<s>;
  const auto cw = to_naive(params);
  Saturation sat;
  for (const auto& x : input_batch<In::size>(Seed)) {
    const naive::Tensor expected =
        naive::conv2d(to_tensor<In>(x), to_naive(in_grid), cw, PerChannel, Win, to_naive(out_grid), -128, 127);
    using Out = typename std::remove_const_t<decltype(s)>::output_shape;
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

TEST_CASE("random geometries drawn by the compiler, both flavours") {
  Saturation total;
  check_random_conv<1001, false>(total);
  check_random_conv<1002, true>(total);
  check_random_conv<1003, false>(total);
  check_random_conv<1004, true>(total);
  check_random_conv<1005, false>(total);
  check_random_conv<1006, true>(total);
  check_random_conv<1007, true>(total);
  check_random_conv<1008, false>(total);
  CHECK(total.low > 0);
  CHECK(total.high > 0);
}

TEST_CASE("QConv2D (per tensor) equals the naive reference") {
  check_conv<5, 5, 1, 2, 3, 1, 0, false, false, 11, 0, 0>();
  check_conv<7, 6, 3, 4, 3, 2, 1, false, false, 12, -7, 5>();
  check_conv<9, 9, 2, 3, 7, 1, 3, false, true, 13, 100, -20>();
  check_conv<8, 5, 4, 5, 1, 2, 0, false, false, 14, -128, 127>();
}

TEST_CASE("QConv2DPerChannel equals the naive reference") {
  check_conv<6, 6, 3, 4, 3, 1, 1, true, true, 21, 3, -128>();
  check_conv<16, 16, 3, 8, 7, 2, 3, true, true, 22, -5, -40>();  // the ResNet stem's geometry
  check_conv<5, 8, 6, 5, 3, 2, 0, true, false, 23, 127, 0>();
  check_conv<4, 4, 7, 6, 1, 1, 0, true, false, 24, -60, 17>();
  check_conv<10, 7, 2, 9, 5, 2, 2, true, false, 25, 40, -1>();
}

TEST_CASE("1x1 per-channel convolutions with 2 to 8 inputs take the lane-packed kernel and equal the naive reference") {
  // The kernel the compiler picks: lane pairs for 2 to 8 inputs per channel, the byte loops
  // otherwise (one input, nine, or a per-tensor scale).
  using m0::ConvKernel;
  using m0::PointwiseLaneKernel;
  static_assert(
      std::is_same_v<decltype(m0::lower(detail::quantize_convolution<
                                            ops::valid_window(2, 2, 8, 1, 1, 1, 1), 32, WeightGranularity::per_channel,
                                            QConv2DPerChannel<1>, Conv2DParams<1, 8, 32>, QRelu>(
                                            Grid{0.1, 0}, Conv2DParams<1, 8, 32>{.output = {0.1, 0}})
                                            .op)),
                     PointwiseLaneKernel<2, 2, 8, 1, 32, false>>);
  static_assert(m0::lane_packed_inputs<1, 2, 5, 5> && m0::lane_packed_inputs<1, 7, 3, 3>);
  static_assert(!m0::lane_packed_inputs<1, 1, 4, 4> && !m0::lane_packed_inputs<1, 9, 4, 4> &&
                !m0::lane_packed_inputs<3, 4, 4, 4> && !m0::lane_packed_inputs<1, 8, 1, 32>);
  check_conv<5, 4, 2, 9, 1, 1, 0, true, true, 51, -3, -100>();
  check_conv<3, 3, 3, 16, 1, 1, 0, true, false, 52, 20, 5>();
  check_conv<4, 6, 5, 7, 1, 2, 0, true, true, 56, -128, -60>();  // stride 2
  check_conv<2, 2, 8, 32, 1, 1, 0, true, true, 54, 7, -128>();   // MobileNetV2's expand shape
  check_conv<3, 2, 8, 4, 1, 1, 1, true, false, 55, 0, 0>();      // padded: the border pixels are the zero point
}

TEST_CASE(
    "1x1 per-channel convolutions with more inputs take the two-channel pair kernel and equal the naive reference") {
  // More than 8 inputs, a multiple of four below 256, and output channels in twos: the inputs
  // packed in pairs on the stack, two channels' weight pairs side by side. Otherwise the row loops
  // (a per-tensor scale, 10 inputs, 5 outputs).
  using m0::PointwisePairKernel;
  static_assert(
      std::is_same_v<decltype(m0::lower(detail::quantize_convolution<ops::valid_window(2, 2, 32, 1, 1, 1, 1), 16,
                                                                     WeightGranularity::per_channel,
                                                                     QConv2DPerChannel<1>, Conv2DParams<1, 32, 16>>(
                                            Grid{0.1, 0}, Conv2DParams<1, 32, 16>{.output = {0.1, 0}})
                                            .op)),
                     PointwisePairKernel<2, 2, 32, 1, 16, true>>);
  static_assert(m0::pair_packed_weights<1, 12, 4, 4> && m0::pair_packed_weights<1, 252, 8, 8> &&
                m0::pair_packed_weights<1, 512, 2, 2> && m0::pair_packed_weights<1, 16, 6, 6>);
  static_assert(!m0::pair_packed_weights<1, 8, 4, 4> && !m0::pair_packed_weights<1, 10, 4, 4> &&
                !m0::pair_packed_weights<1, 16, 5, 5> && !m0::pair_packed_weights<1, 16, 1, 4> &&
                !m0::pair_packed_weights<3, 16, 4, 4> && !m0::pair_packed_weights<1, 516, 4, 4>);
  check_conv<4, 4, 32, 8, 1, 1, 0, true, false, 61, 5, -10>();    // MobileNetV2's first project shape
  check_conv<3, 3, 12, 4, 1, 1, 0, true, true, 62, -20, -128>();  // with a folded ReLU
  check_conv<5, 5, 16, 16, 1, 2, 0, true, false, 63, 100, 30>();  // stride 2
  check_conv<2, 3, 32, 16, 1, 1, 1, true, false, 64, 0, 0>();     // padded: the border pixels are the zero point
  check_conv<4, 4, 32, 16, 1, 1, 0, true, false, 65, -3, 7>();    // the second project shape
  check_conv<3, 2, 20, 6, 1, 1, 0, true, true, 66, 9, -50>();      // six channels, ten input pairs (no step of four)
  // That last case's fit folds (both offsets: no ReLU), so its outputs above came from
  // folded_two_sided_code, which the M0's assembly loop computes.
  constexpr Grid out_grid = saturating_output_grid(0.02 / 3, 32, 7);
  static constexpr auto model = compile<m0::Backend>(make_spec<Pipe<QConv2DPerChannel<1>>, Shape<4, 4, 32>>(
      Grid{0.02, -3}, random_conv<1, 32, 16>(65, out_grid, true)));
  constexpr auto& kernel = boost::hana::at_c<0>(model.kernels);
  static_assert(kernel.folded && kernel.form.negative_offsets);
}

TEST_CASE(
    "K x K per-channel convolutions with many output pixels take the lane-pair window kernel and equal the naive reference") {
  // Output channels in fours, a kernel row of at most 31 inputs, at least 64 output pixels (the
  // stems): input pairs along the kernel rows times lane weights. Otherwise the row loops.
  using m0::WindowLaneKernel;
  static_assert(
      std::is_same_v<decltype(m0::lower(detail::quantize_convolution<
                                            ops::valid_window(22, 22, 3, 7, 7, 2, 2), 8, WeightGranularity::per_channel,
                                            QConv2DPerChannel<7, 2>, Conv2DParams<7, 3, 8>, QRelu>(
                                            Grid{0.1, 0}, Conv2DParams<7, 3, 8>{.output = {0.1, 0}})
                                            .op)),
                     WindowLaneKernel<22, 22, 3, 7, 2, 8, false>>);
  static_assert(m0::window_lane_weights<3, 4, 18, 8, 8, 64> && m0::window_lane_weights<5, 6, 12, 4, 4, 64> &&
                m0::window_lane_weights<2, 1, 9, 4, 4, 100>);
  static_assert(!m0::window_lane_weights<3, 8, 6, 8, 8, 16> &&   // the ResNet block's convolutions: 16 pixels
                !m0::window_lane_weights<3, 4, 18, 1, 8, 64> &&  // a per-tensor scale
                !m0::window_lane_weights<3, 4, 18, 6, 6, 64> &&  // six channels
                !m0::window_lane_weights<4, 8, 18, 8, 8, 64> &&  // a row of 32 inputs
                !m0::window_lane_weights<1, 8, 18, 8, 8, 64> &&  // 1 x 1
                !m0::window_lane_weights<3, 4, 68, 8, 8, 64>);   // a row step of 260 bytes
  check_conv<16, 16, 4, 8, 3, 2, 1, true, true, 71, -4, -128>();   // MobileNetV2's stem: pairs, no last input alone
  check_conv<10, 10, 3, 4, 3, 1, 0, true, false, 72, 30, 12>();    // rows of 9: a last input alone; no ReLU
  check_conv<10, 10, 2, 8, 3, 1, 0, true, false, 73, -100, -3>();  // rows of 6: an odd pair count
  check_conv<8, 8, 1, 4, 2, 1, 1, true, true, 74, 0, 20>();       // rows of 2: one pair, no loop
  check_conv<10, 10, 1, 4, 7, 1, 3, true, false, 75, 8, 0>();     // rows of 7: odd pairs and a last input
  // Fewer output pixels (the ResNet block's convolutions: 16) take the K x K pair kernel
  // (window_pairs.hpp), as every per-channel window with output channels in twos does but for the
  // stems above.
  static_assert(
      std::is_same_v<decltype(m0::lower(detail::quantize_convolution<
                                            ops::valid_window(6, 6, 8, 3, 3, 1, 1), 8, WeightGranularity::per_channel,
                                            QConv2DPerChannel<3>, Conv2DParams<3, 8, 8>, QRelu>(
                                            Grid{0.1, 0}, Conv2DParams<3, 8, 8>{.output = {0.1, 0}})
                                            .op)),
                     m0::WindowPairKernel<ops::valid_window(6, 6, 8, 3, 3, 1, 1), 8, false>>);
  // ReLU folded in: its records leave out the offset for acc < 0 (12 bytes a channel, not 16).
  static_assert(std::is_same_v<m0::WindowPairKernel<ops::valid_window(6, 6, 8, 3, 3, 1, 1), 8, false>::Record,
                               m0::BiasedChannel> &&
                sizeof(m0::WindowPairKernel<ops::valid_window(6, 6, 8, 3, 3, 1, 1), 8, false>::channel) == 8 * 12);
  check_conv<4, 4, 8, 8, 3, 1, 1, true, true, 76, -20, -128>();  // the ResNet block's convolutions, ReLU folded
  check_conv<4, 4, 8, 8, 3, 1, 1, true, false, 77, 3, -7>();     // and without: two-sided records
  check_conv<7, 7, 3, 12, 3, 1, 0, true, true, 78, 11, 5>();     // rows of 9: a last input alone; three groups
  check_conv<9, 9, 2, 4, 3, 2, 1, true, false, 79, -50, 40>();   // stride 2, rows of 6: an odd pair count
  // The ResNet stem's case above takes this kernel too (16 x 16 x 3 padded by 3, 7 x 7, stride 2).
  // That no-ReLU case keeps the second offset in its records, and its fit folds: its outputs above
  // came from folded_two_sided_code after the lane arithmetic.
  constexpr Grid out_grid = saturating_output_grid(0.02 / 3, 27, 12);
  static constexpr auto model = compile<m0::Backend>(make_spec<Pipe<QConv2DPerChannel<3>>, Shape<10, 10, 3>>(
      Grid{0.02, 30}, random_conv<3, 3, 4>(72, out_grid, true)));
  constexpr auto& kernel = boost::hana::at_c<0>(model.kernels);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(kernel.channel[0])>, m0::QuadChannel>);
  static_assert(kernel.folded && kernel.form.negative_offsets);
}

TEST_CASE("a stored-pair window layer that alone reads an arena buffer runs on it in place, given the room") {
  // The M0 expands such an input into lane pairs where it lies (WindowLaneKernel::apply_expanding);
  // the model must hand it a buffer nobody else reads and size that buffer for the words.
  constexpr Grid in_grid{0.02, 3};
  static constexpr auto params = random_conv<3, 4, 8>(80, saturating_output_grid(0.02 / 3, 36, -128), true);
  static constexpr auto padded = compile<m0::Backend>(
      make_spec<Pipe<QPad2D<1>, QConv2DPerChannel<3, 2>, QRelu>, Shape<16, 16, 4>>(in_grid, params));
  using Padded = std::remove_const_t<decltype(padded)>;
  using Kernel = std::remove_cvref_t<decltype(boost::hana::at_c<1>(padded.kernels))>;
  static_assert(Kernel::expands_input && Padded::expands[1] && !Padded::expands[0]);
  // 18 x 18 x 4 bytes are 648 pairs: 648 words and 3 bytes to reach a word boundary.
  static_assert(Kernel::input_capacity == 4 * 648 + 3 && Padded::buffer_bytes[1] == 4 * 648 + 3);
  // Reading the caller's input (no pad in front): the input is const, so no expansion.
  static constexpr auto bare =
      compile<m0::Backend>(make_spec<Pipe<QConv2DPerChannel<3, 2>, QRelu>, Shape<18, 18, 4>>(in_grid, params));
  static_assert(!std::remove_const_t<decltype(bare)>::expands[0]);
  // A buffer that the residual's add reads too stays as it is.
  static constexpr auto same = random_conv<3, 4, 4>(81, saturating_output_grid(0.02 / 3, 36, 0), true);
  static constexpr auto skip =
      compile<m0::Backend>(make_spec<Pipe<QPad2D<1>, Residual<Pipe<QConv2DPerChannel<3>, QPad2D<1>>>>, Shape<8, 8, 4>>(
          in_grid, same, ResidualParams{{0.05, 0}}));
  using Skip = std::remove_const_t<decltype(skip)>;
  static_assert(std::remove_cvref_t<decltype(boost::hana::at_c<1>(skip.kernels))>::expands_input && !Skip::expands[1]);
  static_assert(Skip::buffer_bytes[1] == 10 * 10 * 4);
  // Each runs as the naive layers do (the expansion is the M0's; on the host the same kernel runs
  // its C++ path).
  for (const auto& x : input_batch<16 * 16 * 4>(80)) {
    naive::Tensor t = naive::pad(to_tensor<Shape<16, 16, 4>>(x), 1, 1, 1, 1, in_grid.zero_point);
    const naive::Tensor want =
        naive::conv2d(t, to_naive(in_grid), to_naive(params), true, 2, to_naive(params.output), -128, 127);
    const auto got = padded(x);
    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(int(got[i]) == int(want.v[i]));
  }
}

TEST_CASE("QPointwiseConv2D and QPointwiseConv2DPerChannel equal the naive 1x1 reference") {
  constexpr Grid in_grid{0.05, -9};
  constexpr Grid out_grid = saturating_output_grid(0.05, 8, 12);
  static constexpr auto full = random_conv<1, 8, 6>(31, out_grid, true);
  static constexpr PointwiseConv2DParams<8, 6> params = [] {
    PointwiseConv2DParams<8, 6> p{};
    for (std::size_t o = 0; o < 6; ++o) {
      for (std::size_t i = 0; i < 8; ++i) p.weights[o][i] = full.weights[o][0][0][i];
      p.bias[o] = full.bias[o];
    }
    p.output = full.output;
    return p;
  }();
  static constexpr auto per_tensor_spec = make_spec<Pipe<QPointwiseConv2D>, Shape<3, 5, 8>>(in_grid, params);
  static constexpr auto per_channel_spec = make_spec<Pipe<QPointwiseConv2DPerChannel>, Shape<3, 5, 8>>(in_grid, params);
  using per_tensor = BothBackends<per_tensor_spec>;
  using per_channel = BothBackends<per_channel_spec>;
  const auto cw = to_naive(params);
  for (const auto& x : input_batch<3 * 5 * 8>(31)) {
    const auto t = to_tensor<Shape<3, 5, 8>>(x);
    const auto e_tensor = naive::conv2d(t, to_naive(in_grid), cw, false, 1, to_naive(out_grid), -128, 127);
    const auto e_channel = naive::conv2d(t, to_naive(in_grid), cw, true, 1, to_naive(out_grid), -128, 127);
    const auto g_tensor = per_tensor::run(x);
    const auto g_channel = per_channel::run(x);
    for (std::size_t i = 0; i < g_tensor.size(); ++i) {
      REQUIRE(int(g_tensor[i]) == int(e_tensor.v[i]));
      REQUIRE(int(g_channel[i]) == int(e_channel.v[i]));
    }
  }
}

TEST_CASE("int8 weights given with their scales are used as they are") {
  static constexpr Conv2DParams<3, 2, 3, std::int8_t> params{
      .weights = {{{{127, -127}, {5, 0}, {-3, 9}}, {{1, 2}, {3, 4}, {5, 6}}, {{-7, -8}, {-9, -10}, {100, -100}}},
                  {{{-1, 1}, {2, -2}, {3, -3}}, {{4, -4}, {5, -5}, {6, -6}}, {{7, -7}, {8, -8}, {9, -9}}},
                  {{{0, 0}, {0, 0}, {0, 0}}, {{0, 50}, {0, 0}, {0, 0}}, {{0, 0}, {0, 0}, {-50, 0}}}},
      .bias = {0.5, -0.25, 0.01},
      .output = {0.08, -3},
      .weight_scale = {0.01, 0.02, 0.004},
  };
  constexpr Grid in_grid{0.03, 7};
  static constexpr auto s = make_spec<Pipe<QConv2DPerChannel<3>>, Shape<4, 5, 2>>(in_grid, params);
  using model = BothBackends<s>;
  // The op holds exactly the given codes, and so does the M0's kernel.
  static_assert(boost::hana::at_c<0>(model::reference.kernels).op.weights[0] == 127);
  static_assert(boost::hana::at_c<0>(model::reference.kernels).op.weights[1] == -127);
  static_assert(boost::hana::at_c<0>(model::m0.kernels).weights[0] == 127);
  const auto cw = to_naive(params);
  for (const auto& x : input_batch<4 * 5 * 2>(41)) {
    const auto e =
        naive::conv2d(to_tensor<Shape<4, 5, 2>>(x), to_naive(in_grid), cw, true, 1, naive::QGrid{0.08, -3}, -128, 127);
    const auto g = model::run(x);
    for (std::size_t i = 0; i < g.size(); ++i) REQUIRE(int(g[i]) == int(e.v[i]));
  }
}

TEST_CASE("window options: rectangular kernels and strides, dilation and SAME padding equal the naive reference") {
  // DS-CNN's first layer (MLPerf Tiny keyword spotting): 49 x 10 MFCCs, 10 x 4 kernel, stride 2, SAME.
  check_window_conv<QConv2DPerChannel<kernel(10, 4), stride(2), same>, Shape<49, 10, 1>, 16, kernel(10, 4),
                    naive::Window{10, 4, 2, 2, 1, 1, true}, true, 301, -5, 3>();
  // ResNet-8's downsampling: 3 x 3, stride 2, SAME on an even input (no padding before, one after).
  check_window_conv<QConv2DPerChannel<3, 2, same>, Shape<8, 8, 4>, 6, 3, naive::Window{3, 3, 2, 2, 1, 1, true}, true,
                    302, 17, -9>();
  // SAME on odd inputs pads one cell before and one after.
  check_window_conv<QConv2D<3, same>, Shape<5, 7, 3>, 4, 3, naive::Window{3, 3, 1, 1, 1, 1, true}, false, 303, -100,
                    0>();
  // A rectangular kernel with a rectangular stride, VALID; the integer stride spelling of the height.
  check_window_conv<QConv2D<kernel(3, 5), stride(1, 2)>, Shape<6, 11, 2>, 3, kernel(3, 5),
                    naive::Window{3, 5, 1, 2, 1, 1, false}, false, 304, 40, -40>();
  // Dilation, VALID and SAME, square and not.
  check_window_conv<QConv2DPerChannel<3, dilation(2)>, Shape<9, 8, 3>, 5, 3, naive::Window{3, 3, 1, 1, 2, 2, false},
                    true, 305, 0, 12>();
  check_window_conv<QConv2DPerChannel<3, stride(2), dilation(2, 1), same>, Shape<9, 6, 2>, 4, 3,
                    naive::Window{3, 3, 2, 2, 2, 1, true}, true, 306, -128, 127>();
  // 1 x 1 with stride 2 and SAME (no padding at all), and a 1 x 3 row kernel.
  check_window_conv<QConv2DPerChannel<1, 2, same>, Shape<7, 7, 5>, 4, 1, naive::Window{1, 1, 2, 2, 1, 1, true}, true,
                    307, 9, -70>();
  check_window_conv<QConv2DPerChannel<kernel(1, 3), same>, Shape<4, 6, 4>, 8, kernel(1, 3),
                    naive::Window{1, 3, 1, 1, 1, 1, true}, true, 308, -30, 50>();
}

TEST_CASE("window options give the output shapes TFLite gives") {
  constexpr Conv2DParams<3, 1, 1> three{};
  constexpr Conv2DParams<kernel(10, 4), 1, 1> ds{};
  using qpipe::valid;
  // SAME: ceil(input / stride); VALID: (input - dilated kernel) / stride + 1.
  static_assert(std::is_same_v<std::remove_const_t<decltype(make_spec<Pipe<QConv2D<3, 2, same>>, Shape<32, 31, 1>>(
                                   Grid{}, three))>::output_shape,
                               Shape<16, 16, 1>>);
  static_assert(std::is_same_v<std::remove_const_t<decltype(make_spec<Pipe<QConv2D<3, 2, valid>>, Shape<32, 31, 1>>(
                                   Grid{}, three))>::output_shape,
                               Shape<15, 15, 1>>);
  static_assert(std::is_same_v<std::remove_const_t<decltype(make_spec<Pipe<QConv2D<3, dilation(3)>>, Shape<9, 12, 1>>(
                                   Grid{}, three))>::output_shape,
                               Shape<3, 6, 1>>);
  static_assert(std::is_same_v<std::remove_const_t<decltype(make_spec<Pipe<QConv2D<kernel(10, 4), stride(2), same>>,
                                                                      Shape<49, 10, 1>>(Grid{}, ds))>::output_shape,
                               Shape<25, 5, 1>>);
  // The M0 runs windows inside the image with one stride on its own kernels, SAME padding and
  // per-axis strides on them too (the K x K pair kernel packs the padding itself; the others run
  // through a row band), and dilated windows on the reference loops (all computing the same
  // codes, as the cases above check).
  static constexpr auto same_spec = make_spec<Pipe<QConv2DPerChannel<3, same>>, Shape<6, 6, 8>>(
      Grid{0.1, 0}, Conv2DParams<3, 8, 8>{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}});
  static constexpr auto same_m0 = compile<same_spec, m0::Backend>();
  using SameKernel = std::remove_cvref_t<decltype(boost::hana::at_c<0>(same_m0.kernels))>;
  static_assert(std::is_same_v<SameKernel, m0::WindowPairKernel<ops::same_window(6, 6, 8, 3, 3, 1, 1), 8, true>>);
  static constexpr auto same_tensor_spec = make_spec<Pipe<QConv2D<3, same>>, Shape<6, 6, 8>>(
      Grid{0.1, 0}, Conv2DParams<3, 8, 8>{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}});
  static constexpr auto same_tensor_m0 = compile<same_tensor_spec, m0::Backend>();
  using SameTensorKernel = std::remove_cvref_t<decltype(boost::hana::at_c<0>(same_tensor_m0.kernels))>;
  static_assert(std::is_same_v<SameTensorKernel,
                               m0::RowBandKernel<ops::same_window(6, 6, 8, 3, 3, 1, 1),
                                                 ops::ConvolutionGeometry<ops::same_window(6, 6, 8, 3, 3, 1, 1), 8, 1>,
                                                 m0::ConvKernel<3, 8, 8, 3, 1, 8, 1, true>>>);
  static constexpr auto dilated_spec = make_spec<Pipe<QConv2DPerChannel<3, dilation(2)>>, Shape<6, 6, 8>>(
      Grid{0.1, 0}, Conv2DParams<3, 8, 8>{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}});
  static constexpr auto dilated_m0 = compile<dilated_spec, m0::Backend>();
  static_assert(std::is_same_v<
                std::remove_cvref_t<decltype(boost::hana::at_c<0>(dilated_m0.kernels))>,
                reference_ops::Kernel<std::remove_cvref_t<decltype(boost::hana::at_c<0>(dilated_m0.kernels).op)>>>);
}
