// SAME padding, rectangular kernels and per-axis strides on the M0's own convolution and
// depthwise kernels (a row band around the kernel of one output row, backends/m0/row_band.hpp):
// each case is a one-layer network whose outputs at run time must equal the reference loop
// nest's, which the compiler computes (the reference backend in a constant expression). On the M0
// the run time is the assembly; on the host the same program runs the host's default backend (the
// reference) and the M0's kernels on their C++ paths, and tests/meson.build compares the two
// programs' prints byte for byte. The cases: odd and even
// image sizes, strides 1 and 2 and one per axis, the keyword-spotting stem (10 x 4, stride 2,
// SAME), depthwise 3 x 3 SAME and VALID at strides 1 and 2 (the pixel pairs and the row-pixel
// loops: rows of one pass of three to six and of passes and a rest; 8 to 256 channels), with a
// folded ReLU (one-sided) and without (two-sided).
#include <array>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "qpipe.hpp"

#include "../reference/random_params.hpp"

namespace {

using namespace qpipe;

template <class Block>
constexpr Block filled(std::uint32_t seed, Grid out) {
  Block b{};
  qpipe_test::Lcg d{seed};  // parameters in [-1, 1)
  auto fill = [&](auto& self, auto& x) -> void {
    if constexpr (std::is_array_v<std::remove_reference_t<decltype(x)>>) {
      for (auto& e : x) self(self, e);
    } else {
      x = d.uniform(-1.0, 1.0);
    }
  };
  fill(fill, b.weights);
  for (auto& v : b.bias) v = 0.2 * d.uniform(-1.0, 1.0);
  b.output = out;
  return b;
}

template <std::size_t N>
constexpr std::array<std::int8_t, N> input_at(std::uint32_t seed) {
  std::array<std::int8_t, N> x{};
  std::uint32_t s = seed;
  for (auto& v : x) {
    s = s * 1103515245u + 12345u;
    v = static_cast<std::int8_t>(static_cast<int>((s >> 16) & 255u) - 128);
  }
  return x;
}

// A case: the network for the default backend (the M0's kernels on the target) and for the
// reference backend, the compiler's reference outputs for one input, the run-time outputs compared
// and printed (a sum of the codes weighted by position, and the first eight).
template <const auto& Spec>
struct Case {
  static constexpr auto network = compile<Spec>();
  static constexpr auto reference = compile<Spec, reference_ops::Backend>();
  static constexpr auto m0_network = compile<Spec, m0::Backend>();  // on the host: the kernels' C++ paths
  using M = std::remove_const_t<decltype(network)>;
  static constexpr auto input = input_at<M::input_shape::size>(7u * M::output_shape::size + M::input_shape::size);
  static constexpr auto expected = reference(input);

  static int run_and_print(const char* name) {
    static std::array<std::int8_t, M::output_shape::size> got{};
    static std::array<std::int8_t, M::output_shape::size> got_m0{};
    qpipe::run<network>(input, got);
    qpipe::run<m0_network>(input, got_m0);
    int wrong = 0;
    long weighted = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      wrong += got[i] != expected[i] || got_m0[i] != expected[i];
      weighted += static_cast<long>(i % 251 + 1) * got[i];
    }
    std::printf("%-36s %5zu outputs, sum %9ld:", name, got.size(), weighted);
    for (std::size_t i = 0; i < 8; ++i) std::printf(" %4d", int{got[i]});
    std::printf("%s\n", wrong == 0 ? "" : "  DIFFERS from the reference");
    return wrong;
  }
};

// The keyword-spotting stem: 49 x 10 MFCCs, 10 x 4, stride 2, SAME (4 rows of padding above, 5
// below, 1 column on each side), ReLU folded.
constexpr auto stem_spec = make_spec<Pipe<QConv2DPerChannel<kernel(10, 4), stride(2), same>, QRelu>, Shape<49, 10, 1>>(
    Grid{0.05, -20}, filled<Conv2DParams<kernel(10, 4), 1, 16>>(1, {0.04, -128}));
// 3 x 3 SAME at stride 1 on an odd image, two-sided; at stride 2 on an even one (padding only
// after), ReLU folded.
constexpr auto odd_same_spec = make_spec<Pipe<QConv2DPerChannel<3, same>>, Shape<7, 5, 8>>(
    Grid{0.04, 9}, filled<Conv2DParams<3, 8, 8>>(2, {0.08, 5}));
constexpr auto even_stride2_spec = make_spec<Pipe<QConv2DPerChannel<3, 2, same>, QRelu>, Shape<8, 8, 4>>(
    Grid{0.03, -3}, filled<Conv2DParams<3, 4, 12>>(3, {0.05, -128}));
// A rectangular kernel with a stride per axis, VALID; a tall one with SAME; a per-tensor scale.
constexpr auto rectangular_spec = make_spec<Pipe<QConv2DPerChannel<kernel(3, 5), stride(1, 2)>>, Shape<6, 11, 2>>(
    Grid{0.05, 0}, filled<Conv2DParams<kernel(3, 5), 2, 4>>(4, {0.1, -7}));
constexpr auto tall_same_spec = make_spec<Pipe<QConv2D<kernel(5, 3), same>, QRelu>, Shape<9, 7, 3>>(
    Grid{0.02, 30}, filled<Conv2DParams<kernel(5, 3), 3, 5>>(5, {0.06, -128}));
// 1 x 1 with a stride per axis (no padding: the rows read where they lie).
constexpr auto pointwise_strided_spec = make_spec<Pipe<QConv2DPerChannel<1, stride(2, 1)>, QRelu>, Shape<5, 4, 6>>(
    Grid{0.05, 2}, filled<Conv2DParams<1, 6, 8>>(6, {0.04, -128}));
// Depthwise 3 x 3 SAME: the keyword-spotting layer (25 x 5 x 64, stride 1, ReLU), stride 2 on an
// odd image, two-sided; rows of eight outputs at strides 1 and 2 (two passes of four of the
// row-pixel loop); a stride per axis.
constexpr auto ds_depthwise_spec = make_spec<Pipe<QDepthwiseConv2D<3, same>, QRelu>, Shape<25, 5, 64>>(
    Grid{0.05, -128}, filled<DepthwiseConv2DParams<3, 64>>(7, {0.04, -128}));
constexpr auto depthwise_odd_stride2_spec = make_spec<Pipe<QDepthwiseConv2D<3, 2, same>>, Shape<9, 9, 16>>(
    Grid{0.04, 11}, filled<DepthwiseConv2DParams<3, 16>>(8, {0.07, -2}));
constexpr auto depthwise_fours_spec = make_spec<Pipe<QDepthwiseConv2D<3, same>, QRelu>, Shape<6, 8, 8>>(
    Grid{0.05, -40}, filled<DepthwiseConv2DParams<3, 8>>(9, {0.05, -128}));
constexpr auto depthwise_fours_stride2_spec = make_spec<Pipe<QDepthwiseConv2D<3, 2, same>, QRelu>, Shape<8, 16, 8>>(
    Grid{0.05, 7}, filled<DepthwiseConv2DParams<3, 8>>(10, {0.05, -128}));
// Many channels on small images (MobileNetV1's deep layers): rows of six outputs (one pass of the
// row-pixel loop), with image rows longer than one immediate step (128 channels), at strides 1
// and 2; 256 channels (the loop's channel step in two additions).
constexpr auto depthwise_wide_spec = make_spec<Pipe<QDepthwiseConv2D<3, same>, QRelu>, Shape<3, 6, 128>>(
    Grid{0.05, -100}, filled<DepthwiseConv2DParams<3, 128>>(12, {0.05, -128}));
constexpr auto depthwise_wide_stride2_spec = make_spec<Pipe<QDepthwiseConv2D<3, 2, same>, QRelu>, Shape<6, 12, 128>>(
    Grid{0.05, 20}, filled<DepthwiseConv2DParams<3, 128>>(13, {0.05, -128}));
constexpr auto depthwise_256_spec = make_spec<Pipe<QDepthwiseConv2D<3, same>, QRelu>, Shape<2, 6, 256>>(
    Grid{0.05, -128}, filled<DepthwiseConv2DParams<3, 256>>(14, {0.05, -128}));
// Rows of six with few channels, an odd count, at stride 2: the six-pixel routine's steps from
// input to input, row to row and channel to channel are values (depthwise_row_six_m0).
constexpr auto depthwise_six_odd_stride2_spec = make_spec<Pipe<QDepthwiseConv2D<3, 2, same>, QRelu>, Shape<4, 12, 3>>(
    Grid{0.05, 9}, filled<DepthwiseConv2DParams<3, 3>>(20, {0.05, -128}));
// The row-pixel loops' passes of other sizes (depthwise_row_passes): MobileNetV1's last rows of
// three (256 channels at stride 1, 256 at stride 2 from a 6 x 6 image, 24 channels), VALID rows
// of nine (five and four) at stride 1 and of seven (four and three) at stride 2.
constexpr auto depthwise_three_spec = make_spec<Pipe<QDepthwiseConv2D<3, same>, QRelu>, Shape<3, 3, 256>>(
    Grid{0.05, -128}, filled<DepthwiseConv2DParams<3, 256>>(15, {0.05, -128}));
constexpr auto depthwise_three_stride2_spec = make_spec<Pipe<QDepthwiseConv2D<3, 2, same>, QRelu>, Shape<6, 6, 256>>(
    Grid{0.05, 3}, filled<DepthwiseConv2DParams<3, 256>>(16, {0.05, -128}));
constexpr auto depthwise_three_24_spec = make_spec<Pipe<QDepthwiseConv2D<3, 2, same>, QRelu>, Shape<5, 6, 24>>(
    Grid{0.05, -60}, filled<DepthwiseConv2DParams<3, 24>>(17, {0.05, -128}));
constexpr auto depthwise_valid_nine_spec = make_spec<Pipe<QDepthwiseConv2D<3>, QRelu>, Shape<5, 11, 24>>(
    Grid{0.05, 12}, filled<DepthwiseConv2DParams<3, 24>>(18, {0.05, -128}));
constexpr auto depthwise_valid_seven_stride2_spec = make_spec<Pipe<QDepthwiseConv2D<3, 2>, QRelu>, Shape<7, 15, 8>>(
    Grid{0.05, -5}, filled<DepthwiseConv2DParams<3, 8>>(19, {0.05, -128}));
constexpr auto depthwise_per_axis_spec =
    make_spec<Pipe<QDepthwiseConv2D<3, stride(2, 1), same>, QRelu>, Shape<7, 6, 10>>(
        Grid{0.05, 0}, filled<DepthwiseConv2DParams<3, 10>>(11, {0.05, -128}));

}  // namespace

int main() {
  int wrong = 0;
  wrong += Case<stem_spec>::run_and_print("stem 10x4 s2 SAME 49x10x1 -> 16");
  wrong += Case<odd_same_spec>::run_and_print("3x3 SAME 7x5x8 -> 8, two-sided");
  wrong += Case<even_stride2_spec>::run_and_print("3x3 s2 SAME 8x8x4 -> 12");
  wrong += Case<rectangular_spec>::run_and_print("3x5 s(1,2) VALID 6x11x2 -> 4");
  wrong += Case<tall_same_spec>::run_and_print("5x3 SAME 9x7x3 -> 5, per tensor");
  wrong += Case<pointwise_strided_spec>::run_and_print("1x1 s(2,1) 5x4x6 -> 8");
  wrong += Case<ds_depthwise_spec>::run_and_print("dw 3x3 SAME 25x5x64");
  wrong += Case<depthwise_odd_stride2_spec>::run_and_print("dw 3x3 s2 SAME 9x9x16, two-sided");
  wrong += Case<depthwise_fours_spec>::run_and_print("dw 3x3 SAME 6x8x8");
  wrong += Case<depthwise_fours_stride2_spec>::run_and_print("dw 3x3 s2 SAME 8x16x8");
  wrong += Case<depthwise_wide_spec>::run_and_print("dw 3x3 SAME 3x6x128");
  wrong += Case<depthwise_wide_stride2_spec>::run_and_print("dw 3x3 s2 SAME 6x12x128");
  wrong += Case<depthwise_256_spec>::run_and_print("dw 3x3 SAME 2x6x256");
  wrong += Case<depthwise_six_odd_stride2_spec>::run_and_print("dw 3x3 s2 SAME 4x12x3");
  wrong += Case<depthwise_per_axis_spec>::run_and_print("dw 3x3 s(2,1) SAME 7x6x10");
  wrong += Case<depthwise_three_spec>::run_and_print("dw 3x3 SAME 3x3x256");
  wrong += Case<depthwise_three_stride2_spec>::run_and_print("dw 3x3 s2 SAME 6x6x256");
  wrong += Case<depthwise_three_24_spec>::run_and_print("dw 3x3 s2 SAME 5x6x24");
  wrong += Case<depthwise_valid_nine_spec>::run_and_print("dw 3x3 VALID 5x11x24");
  wrong += Case<depthwise_valid_seven_stride2_spec>::run_and_print("dw 3x3 s2 VALID 7x15x8");
  std::printf("%d outputs differ from the reference\n", wrong);
  return wrong == 0 ? 0 : 1;
}
