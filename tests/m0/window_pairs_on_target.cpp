// The Cortex-M0's K x K pair kernel (backends/m0/window_pairs.hpp: a window's columns packed as lane
// pairs, the 1 x 1 pair kernel's channel loop over them) on the geometries and requantization forms
// it takes, against the reference backend's bytes: each network is quantized twice, for the M0
// backend (qpipe::m0::Backend: its assembly on the target, its C++ paths on the host) and for the
// reference backend (reference_ops::Backend: TFLite's loop nests), and both run on the same inputs
// (all -128, all 127, then random). The M0 network runs twice, through qpipe::run (the fields of
// the folded form as immediates) and through the kernel's own call operator (the fields read from
// the layer's word). The cases: 3 x 3 at 16, 32 and 64 input channels, strides 1 and 2, SAME and
// VALID; each requantization form the compiler fits (the folded halves with one offset and with
// an offset per sign, the halves unfolded, three pieces with one offset and with two, each at two
// piece widths b that one copy of the channel loop runs, TFLite's multipliers); an output row in
// chunks of three pixels; a window larger than the band (one pixel a chunk); the stems' odd
// columns (3 x 3 over 3 channels, 10 x 4 at stride 2 over one); 6 channels (pieces packed in C++)
// with a stride per axis; the loop over chunks shared by the layers (12 and 10 channels, a
// window's tail, a shorter last chunk). static_asserts hold each case on its kernel, form and
// chunking. Prints every output byte and the number of mismatches (on_target_check.hpp); the host
// build prints the same bytes (tests/meson.build compares them). Exit status 0 only if no byte
// differs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "on_target_check.hpp"
#include "window_pair_cases.hpp"

namespace {

using namespace qpipe;
using on_target::next_random;
using on_target::on_m0;

using on_target::conv;

using namespace window_pair_cases;  // the cases the byte-weight test runs too

// 64 -> 16, VALID: three pieces as in pieces32 and plain32 (one offset and two), with another b,
// so that the channel loop's one copy a record type (b read from the layer's word) runs two b.
constexpr auto pieces64 = make_spec<Valid, Shape<5, 5, 64>>(input_grid, conv<3, 64, 16>(12, 0.002, Grid{1.5, -128}));
constexpr auto plain64 = make_spec<ValidPlain, Shape<5, 5, 64>>(input_grid, conv<3, 64, 16>(12, 0.002, Grid{1.5, 0}));

// The keyword-spotting stem: 10 x 4, stride 2, SAME, one channel, ReLU.
constexpr auto kws_stem = make_spec<Pipe<QConv2DPerChannel<kernel(10, 4), stride(2), same>, QRelu>, Shape<13, 10, 1>>(
    input_grid, conv<kernel(10, 4), 1, 16>(9, 0.01, Grid{0.2, -128}));

template <const auto& Spec>
constexpr const auto& first_kernel = boost::hana::at_c<0>(on_m0<Spec>.kernels);
template <const auto& Spec>
using kernel_of = std::remove_cvref_t<decltype(first_kernel<Spec>)>;
template <class Kernel>
inline constexpr bool is_pair_kernel = false;
template <ops::Window G, std::size_t OutC, bool TwoSided>
inline constexpr bool is_pair_kernel<m0::WindowPairKernel<G, OutC, TwoSided>> = true;
template <const auto& Spec>
constexpr bool runs_pairs = is_pair_kernel<kernel_of<Spec>>;

static_assert(runs_pairs<folded16> && first_kernel<folded16>.folded && !first_kernel<folded16>.form.negative_offsets);
static_assert(runs_pairs<own_shifts8> && first_kernel<own_shifts8>.folded && first_kernel<own_shifts8>.form.halves &&
              first_kernel<own_shifts8>.form.shift == FittedForm::per_channel_shift);
static_assert(runs_pairs<two_offsets16> && first_kernel<two_offsets16>.folded &&
              first_kernel<two_offsets16>.form.negative_offsets);
static_assert(runs_pairs<unfolded16> && !first_kernel<unfolded16>.folded && first_kernel<unfolded16>.form.pieces == 2);
// Three pieces: folded for the channel loop, which runs them with the span and qmin as immediates,
// b and the shift read from the layer's word.
static_assert(runs_pairs<pieces32> && !first_kernel<pieces32>.folded && first_kernel<pieces32>.form.pieces == 3 &&
              first_kernel<pieces32>.folded_three_pieces);
static_assert(runs_pairs<plain32> && first_kernel<plain32>.form.pieces == 3 &&
              first_kernel<plain32>.form.negative_offsets && first_kernel<plain32>.folded_three_pieces);
static_assert(runs_pairs<pieces64> && first_kernel<pieces64>.folded_three_pieces &&
              !first_kernel<pieces64>.form.negative_offsets &&
              (first_kernel<pieces64>.word & 0xffu) != (first_kernel<pieces32>.word & 0xffu));
static_assert(runs_pairs<plain64> && first_kernel<plain64>.folded_three_pieces &&
              first_kernel<plain64>.form.negative_offsets &&
              (first_kernel<plain64>.word & 0xffu) != (first_kernel<plain32>.word & 0xffu));
static_assert(runs_pairs<saturating32> && first_kernel<saturating32>.form.pieces == 0);
static_assert(runs_pairs<chunked64> && kernel_of<chunked64>::layout::chunk_pixels == 3 &&
              kernel_of<chunked64>::layout::chunks == 4);
static_assert(runs_pairs<wide256> && kernel_of<wide256>::layout::chunk_pixels == 1 &&
              4 * kernel_of<wide256>::layout::window_words == 4608);
static_assert(runs_pairs<stem3> && kernel_of<stem3>::layout::column_words == 5 &&
              kernel_of<stem3>::layout::tail_words == 1);
static_assert(runs_pairs<kws_stem> && kernel_of<kws_stem>::layout::column_words == 5 &&
              kernel_of<kws_stem>::layout::unroll == 4);
static_assert(runs_pairs<rect6> && kernel_of<rect6>::layout::column_words == 15);

// The shared chunk loop (m0::window_pairs_chunks_m0) on what the cases above leave out: pieces
// packed two pairs a step (12 channels) and in C++ (10 channels), a window's zero-weight tail, and
// a last chunk shorter than the others.
constexpr auto tail12 = make_spec<Same, Shape<3, 29, 12>>(input_grid, conv<3, 12, 8>(12, 0.004, Grid{0.3, -128}));
constexpr auto tail10 = make_spec<ValidPlain, Shape<4, 39, 10>>(input_grid, conv<3, 10, 8>(13, 0.004, Grid{0.2, 3}));
template <const auto& Spec>
constexpr bool runs_shared_chunks =
    runs_pairs<Spec> && kernel_of<Spec>::columns::shared && kernel_of<Spec>::layout::tail_words > 0 &&
    kernel_of<Spec>::layout::chunks == 2 && kernel_of<Spec>::out_width % kernel_of<Spec>::layout::chunk_pixels != 0;
static_assert(runs_shared_chunks<tail12> && kernel_of<tail12>::columns::pack_step == 2 && first_kernel<tail12>.folded);
static_assert(runs_shared_chunks<tail10> && kernel_of<tail10>::columns::pack_step == 0 && first_kernel<tail10>.folded);

// The network through qpipe::run (the folded form's fields as immediates) and through the kernel's
// own call operator (the fields read from the layer's word), both against the reference.
template <const auto& Spec>
int check(const char* name, int rounds, std::uint32_t& seed) {
  return on_target::check_against_reference<Spec>(
      name, rounds, seed, [](const std::int8_t* in, std::int8_t* out) { first_kernel<Spec>(in, out); });
}

}  // namespace

int main() {
  std::uint32_t seed = 7;
  int bad = 0;
  bad += check<folded16>("3x3 SAME 8x8x16 -> 16 relu, folded", 3, seed);
  bad += check<own_shifts8>("3x3 SAME 6x6x8 -> 16 relu, a shift per channel, folded", 3, seed);
  bad += check<two_offsets16>("3x3 s2 SAME 9x9x16 -> 32, folded, two offsets", 3, seed);
  bad += check<unfolded16>("3x3 s2 SAME 9x9x16 -> 32, halves unfolded", 3, seed);
  bad += check<pieces32>("3x3 VALID 6x6x32 -> 32 relu, three pieces", 3, seed);
  bad += check<plain32>("3x3 VALID 6x6x32 -> 32, three pieces and two offsets", 3, seed);
  bad += check<pieces64>("3x3 VALID 5x5x64 -> 16 relu, three pieces, another b", 3, seed);
  bad += check<plain64>("3x3 VALID 5x5x64 -> 16, three pieces and two offsets, another b", 3, seed);
  bad += check<saturating32>("3x3 s2 SAME 8x8x32 -> 16, TFLite's multipliers", 3, seed);
  bad += check<chunked64>("3x3 SAME 4x12x64 -> 64 relu, chunks of 3", 3, seed);
  bad += check<wide256>("3x3 SAME 3x3x256 -> 8 relu, a pixel a chunk", 3, seed);
  bad += check<stem3>("3x3 SAME 10x10x3 -> 16 relu", 3, seed);
  bad += check<kws_stem>("10x4 s2 SAME 13x10x1 -> 16 relu", 3, seed);
  bad += check<rect6>("5x3 s(2,1) SAME 9x7x6 -> 8", 3, seed);
  bad += check<tail12>("3x3 SAME 3x29x12 -> 8 relu, chunks of 15 and 14", 3, seed);
  bad += check<tail10>("3x3 VALID 4x39x10 -> 8, chunks of 19 and 18", 3, seed);
  std::printf("%d mismatches\n", bad);
  return bad == 0 ? 0 : 1;
}
