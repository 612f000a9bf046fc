// The Cortex-M0's 1 x 1 and dense kernels on the paths their requantization forms and sizes choose,
// against the reference backend's bytes: each network is quantized twice, for the M0 backend
// (qpipe::m0::Backend: its assembly loops on the target, their C++ paths on the host) and for the
// reference backend (reference_ops::Backend: TFLite's loop nests), and both run on the same
// random inputs, the extremes among them. The cases are chosen by what the compiler fitted, and
// static_asserts hold them there: 1 x 1 layers of 256 inputs whose requantization took three
// pieces (the MAC loop in assembly, the codes in C++), with a ReLU and without (the second offset
// for acc < 0), one whose multipliers fit no form (TFLite's, through the shared requantize_split
// routine), one of 128 inputs that folds (the whole channel loop in assembly); dense layers on the
// word kernel (weights as biased bytes, lane pairs made in assembly) with one and several chunks
// of inputs, loop steps of one and four groups, and TFLite's multipliers; dense layers of few units
// on the pair kernel (one pixel of the 1 x 1 pair kernel), folded and with TFLite's multipliers.
// Prints every output byte and the number of mismatches (on_target_check.hpp); the host build
// prints the same bytes (tests/meson.build compares them). Exit status 0 only if no byte differs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "on_target_check.hpp"

namespace {

using namespace qpipe;
using on_target::next_random;
using on_target::on_m0;

template <std::size_t InC, std::size_t OutC>
constexpr auto pointwise(std::uint32_t seed, double scale, Grid output) {
  return on_target::seeded_parameters<PointwiseConv2DParams<InC, OutC, std::int8_t>>(seed, scale, output);
}

constexpr Grid input_grid{0.02, -3};

// 256 -> 32 with a ReLU: the fit takes three pieces.
using Relu = Pipe<QPointwiseConv2DPerChannel, QRelu>;
using Plain = Pipe<QPointwiseConv2DPerChannel>;
constexpr auto pieces256_params = pointwise<256, 32>(14, 0.004, Grid{1.5, -128});
constexpr auto pieces256 = make_spec<Relu, Shape<2, 2, 256>>(input_grid, pieces256_params);
// 256 -> 64 without a ReLU: outputs on both sides of the zero point, three pieces and a second
// offset for acc < 0.
constexpr auto plain256_params = pointwise<256, 64>(12, 0.004, Grid{0.2, 3});
constexpr auto plain256 = make_spec<Plain, Shape<2, 2, 256>>(input_grid, plain256_params);
// 32 -> 16 with an output scale far below the product of the input's and the weights': multipliers
// of about 2^13, a left shift that saturates, no fitted form (most codes are the clamp's ends).
constexpr auto saturating_params = pointwise<32, 16>(13, 0.004, Grid{1e-8, 0});
constexpr auto saturating = make_spec<Plain, Shape<3, 3, 32>>(input_grid, saturating_params);
// 128 -> 128 with a ReLU: the folded halves form, the whole channel loop in assembly.
constexpr auto folded128_params = pointwise<128, 128>(11, 0.004, Grid{0.12, -128});
constexpr auto folded128 = make_spec<Relu, Shape<2, 3, 128>>(input_grid, folded128_params);
// 64 -> 64 with a ReLU, every other channel's weight scale 1/8 of its neighbour's: a shift per
// channel in the halves form (the keyword-spotting network's pointwise stages 6 and 8), folded
// with each channel's shift in its offset word, the whole channel loop in assembly.
constexpr auto own_shifts64_params = on_target::spread_scales(pointwise<64, 64>(21, 0.004, Grid{0.12, -128}), 1.0 / 8);
constexpr auto own_shifts64 = make_spec<Relu, Shape<3, 3, 64>>(input_grid, own_shifts64_params);

// Seeded int8 weights (never -128) with one weight scale.
template <std::size_t Inputs, std::size_t Units>
constexpr DenseParams<Inputs, Units, std::int8_t> dense(std::uint32_t seed, double scale, Grid output) {
  DenseParams<Inputs, Units, std::int8_t> p{};
  std::uint32_t s = seed;
  for (auto& u : p.weights)
    for (auto& w : u) w = static_cast<std::int8_t>(static_cast<int>(next_random(s) % 255) - 127);
  for (auto& b : p.bias) b = (static_cast<double>(next_random(s) % 2001) - 1000) / 1000 * output.scale * 32;
  p.weight_scale = scale;
  p.output = output;
  return p;
}

// 640 -> 16 with a ReLU: three chunks of inputs (256, 256, 128), the accumulators on the stack
// between them.
using DenseRelu = Pipe<QDense<16>, QRelu>;
constexpr auto dense640_params = dense<640, 16>(15, 0.003, Grid{0.4, -128});
constexpr auto dense640 = make_spec<DenseRelu, Shape<640>>(input_grid, dense640_params);
// 36 -> 16 without a ReLU: one chunk, nine groups of four inputs (loop steps of one group).
using DensePlain = Pipe<QDense<16>>;
constexpr auto dense36_params = dense<36, 16>(16, 0.006, Grid{0.05, -5});
constexpr auto dense36 = make_spec<DensePlain, Shape<36>>(input_grid, dense36_params);
// 128 -> 10, an output scale that fits no form (TFLite's multipliers), steps of four groups.
constexpr auto dense128_params = dense<128, 10>(17, 0.003, Grid{1e-8, 0});
constexpr auto dense128 = make_spec<Pipe<QDense<10>>, Shape<128>>(input_grid, dense128_params);
// 128 -> 8 without a ReLU (the sweep's small dense layer): the pair kernel, its codes folded into
// its assembly loop, two offsets.
constexpr auto pairs128_params = dense<128, 8>(18, 0.006, Grid{0.05, -5});
constexpr auto pairs128 = make_spec<Pipe<QDense<8>>, Shape<128>>(input_grid, pairs128_params);
// 64 -> 8 with a ReLU: the pair kernel, folded, one offset.
constexpr auto pairs64_params = dense<64, 8>(19, 0.003, Grid{0.4, -128});
constexpr auto pairs64 = make_spec<Pipe<QDense<8>, QRelu>, Shape<64>>(input_grid, pairs64_params);
// 256 -> 2 with TFLite's multipliers: the pair kernel's MAC loop, its codes in C++.
constexpr auto pairs256_params = dense<256, 2>(20, 0.003, Grid{1e-8, 0});
constexpr auto pairs256 = make_spec<Pipe<QDense<2>>, Shape<256>>(input_grid, pairs256_params);

template <const auto& Spec>
constexpr const auto& first_kernel = boost::hana::at_c<0>(on_m0<Spec>.kernels);

template <const auto& Spec, class Kernel>
constexpr bool runs_on = std::is_same_v<std::remove_cvref_t<decltype(first_kernel<Spec>)>, Kernel>;
static_assert(runs_on<pieces256, m0::PointwisePairKernel<2, 2, 256, 1, 32, false>>);
static_assert(!first_kernel<pieces256>.folded && first_kernel<pieces256>.form.pieces == 3 &&
              first_kernel<pieces256>.folded_three_pieces);
static_assert(runs_on<plain256, m0::PointwisePairKernel<2, 2, 256, 1, 64, true>>);
static_assert(!first_kernel<plain256>.folded && first_kernel<plain256>.form.pieces == 3 &&
              first_kernel<plain256>.form.negative_offsets && first_kernel<plain256>.folded_three_pieces);
static_assert(runs_on<saturating, m0::PointwisePairKernel<3, 3, 32, 1, 16, true>>);
static_assert(!first_kernel<saturating>.folded && first_kernel<saturating>.form.pieces == 0);
static_assert(runs_on<folded128, m0::PointwisePairKernel<2, 3, 128, 1, 128, false>>);
static_assert(first_kernel<folded128>.folded);
static_assert(runs_on<own_shifts64, m0::PointwisePairKernel<3, 3, 64, 1, 64, false>>);
static_assert(first_kernel<own_shifts64>.folded && first_kernel<own_shifts64>.form.halves &&
              first_kernel<own_shifts64>.form.shift == FittedForm::per_channel_shift);
static_assert(runs_on<dense640, m0::DenseWordKernel<640, 16, false>> && first_kernel<dense640>.chunks == 3);
static_assert(runs_on<dense36, m0::DenseWordKernel<36, 16, true>> && first_kernel<dense36>.step == 1);
static_assert(runs_on<dense128, m0::DenseWordKernel<128, 10, true>> &&
              first_kernel<dense128>.requantizer.form.pieces == 0);
static_assert(runs_on<pairs128, m0::DensePairKernel<128, 8, true>> && first_kernel<pairs128>.pixel.folded &&
              first_kernel<pairs128>.pixel.form.negative_offsets);
static_assert(runs_on<pairs64, m0::DensePairKernel<64, 8, false>> && first_kernel<pairs64>.pixel.folded);
static_assert(runs_on<pairs256, m0::DensePairKernel<256, 2, true>> && !first_kernel<pairs256>.pixel.folded &&
              first_kernel<pairs256>.pixel.form.pieces == 0);

}  // namespace

int main() {
  std::uint32_t seed = 7;
  int bad = 0;
  // Three pieces: in assembly through qpipe::run, and through the kernel's own call operator (the
  // word's fields not immediates: the MAC loop in assembly, the folded codes in C++).
  bad += on_target::check_against_reference<pieces256>(
      "1x1 256->32 relu, three pieces", 4, seed,
      [](const std::int8_t* in, std::int8_t* out) { first_kernel<pieces256>(in, out); });
  bad += on_target::check_against_reference<plain256>(
      "1x1 256->64, three pieces and two offsets", 4, seed,
      [](const std::int8_t* in, std::int8_t* out) { first_kernel<plain256>(in, out); });
  bad += on_target::check_against_reference<saturating>("1x1 32->16, TFLite's multipliers", 4, seed);
  bad += on_target::check_against_reference<folded128>("1x1 128->128 relu, folded", 4, seed);
  // Through qpipe::run (the word's fields as immediates) and the kernel's own call operator (read
  // from the word).
  bad += on_target::check_against_reference<own_shifts64>(
      "1x1 64->64 relu, a shift per channel, folded", 4, seed,
      [](const std::int8_t* in, std::int8_t* out) { first_kernel<own_shifts64>(in, out); });
  bad += on_target::check_against_reference<dense640>("dense 640->16 relu, three chunks", 4, seed);
  bad += on_target::check_against_reference<dense36>("dense 36->16", 8, seed);
  bad += on_target::check_against_reference<dense128>("dense 128->10, TFLite's multipliers", 4, seed);
  bad += on_target::check_against_reference<pairs128>("dense 128->8 on pairs, folded, two offsets", 8, seed);
  bad += on_target::check_against_reference<pairs64>("dense 64->8 relu on pairs, folded", 8, seed);
  bad += on_target::check_against_reference<pairs256>("dense 256->2 on pairs, TFLite's multipliers", 8, seed);
  std::printf("%d mismatches\n", bad);
  return bad == 0 ? 0 : 1;
}
