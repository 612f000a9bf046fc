// The Cortex-M0 backend with byte weights (qpipe::m0::ByteWeightsBackend: backends/m0/byte_pairs.hpp,
// the pair kernels' weights kept as bytes and expanded on the stack a group of channels at a time)
// against the reference backend's bytes: each network is quantized for both backends
// (ByteWeightsBackend: its assembly on the target, its C++ paths on the host; reference_ops::Backend:
// TFLite's loop nests) and both run on the same inputs (all -128, all 127, then random), the byte
// network through qpipe::run (the folded form's fields as immediates) and through the kernel's own
// call operator. Besides, for each case whose fast kernel (qpipe::m0::Backend) stores lane pairs,
// the words expand_weight_pairs makes of the byte kernel's bytes are compared with the fast
// kernel's stored words, all of them (the groups' expansions cover every word once).
// The cases: 1 x 1 at 16 to 512 inputs (one group; four and five equal groups; groups of two pairs
// with a last one of one pair; one pair a group), stride 2; 3 x 3 at 16, 32 and 64 input channels,
// strides 1 and 2, SAME and VALID; 10 x 4 at stride 2 (the keyword-spotting stem), 5 x 3 with a
// stride per axis, 3 x 3 over 3 channels (odd columns); each requantization form (the folded
// halves with one offset and with two, the halves unfolded, three pieces with one and two
// offsets, TFLite's multipliers); a window too large for the kernel (the row loops, bytes) and a
// few-channel stem (the lane kernel's in the fast backend). static_asserts hold each case on its kernel
// and grouping. Prints every output byte and the number of mismatches; the host build prints the
// same bytes (tests/meson.build compares them). Exit status 0 only if no byte differs.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "qpipe.hpp"
#include "qpipe/backends/m0/backend.hpp"
#include "qpipe/reference/backend.hpp"
#include "on_target_check.hpp"
#include "window_pair_cases.hpp"

namespace {

using namespace qpipe;

using on_target::next_random;

using on_target::conv;

using namespace window_pair_cases;  // the K x K cases of window_pairs_on_target.cpp

using Pointwise = Pipe<QConv2DPerChannel<1>, QRelu>;
using PointwisePlain = Pipe<QConv2DPerChannel<1>>;
using PointwiseStride2 = Pipe<QConv2DPerChannel<1, 2>, QRelu>;

// 1 x 1. 16 -> 24, folded: one group of all 12 pairs.
constexpr auto pw16 = make_spec<Pointwise, Shape<6, 6, 16>>(input_grid, conv<1, 16, 24>(11, 0.004, Grid{0.5, -128}));
// 64 -> 64, folded: four groups of 8 pairs (256 bytes a pair).
constexpr auto pw64 = make_spec<Pointwise, Shape<5, 5, 64>>(input_grid, conv<1, 64, 64>(12, 0.002, Grid{0.5, -128}));
// 128 -> 40 at stride 2 (the halves unfolded): five groups of 4 pairs.
constexpr auto pw128 =
    make_spec<PointwiseStride2, Shape<5, 5, 128>>(input_grid, conv<1, 128, 40>(13, 0.002, Grid{0.5, -128}));
// 256 -> 10, no ReLU, a coarse grid (not folded: the sums in assembly, the codes in C++): groups
// of 2, 2 and 1 pairs.
constexpr auto pw256 =
    make_spec<PointwisePlain, Shape<3, 4, 256>>(input_grid, conv<1, 256, 10>(14, 0.001, Grid{1.0, 3}));
// 512 -> 6, three pieces and two offsets: one pair a group (2 KiB).
constexpr auto pw512 =
    make_spec<PointwisePlain, Shape<2, 3, 512>>(input_grid, conv<1, 512, 6>(15, 0.001, Grid{1.5, 0}));
// 32 -> 16, TFLite's multipliers.
constexpr auto pw_saturating =
    make_spec<PointwisePlain, Shape<4, 4, 32>>(input_grid, conv<1, 32, 16>(16, 0.004, Grid{1e-8, 0}));
// 32 -> 32, an offset per sign (unfolded).
constexpr auto pw_two_offsets =
    make_spec<PointwisePlain, Shape<4, 5, 32>>(input_grid, conv<1, 32, 32>(17, 0.004, Grid{0.3, 3}));

// K x K: window_pair_cases.hpp's (folded16 to rect6; chunked64's pair of channels is 2,304 bytes
// of words, one pair a group; wide256 takes the row loops), and these.
// 16 -> 24 at stride 2, SAME (unfolded): four groups of 3 pairs (576 bytes a pair).
constexpr auto groups16 = make_spec<Pipe<QConv2DPerChannel<3, 2, same>, QRelu>, Shape<7, 10, 16>>(
    input_grid, conv<3, 16, 24>(18, 0.003, Grid{0.5, -128}));
// The keyword-spotting stem at 64 channels.
constexpr auto kws_stem = make_spec<Pipe<QConv2DPerChannel<kernel(10, 4), stride(2), same>, QRelu>, Shape<13, 10, 1>>(
    input_grid, conv<kernel(10, 4), 1, 64>(9, 0.01, Grid{0.2, -128}));
// 3 -> 8, 3 x 3 at stride 2 inside an 18 x 18 image (64 pixels): a stem the fast backend runs
// on the lane kernel (stored pairs), this one on the K x K byte pair kernel.
constexpr auto lane_stem = make_spec<Pipe<QConv2DPerChannel<3, 2>, QRelu>, Shape<18, 18, 3>>(
    input_grid, conv<3, 3, 8>(19, 0.01, Grid{0.2, -128}));

template <const auto& Spec>
constexpr const auto& on_bytes = on_target::on_m0<Spec, m0::ByteWeightsBackend>;  // the network the check runs
template <const auto& Spec>
constexpr auto on_fast = compile<Spec, m0::Backend>();

template <const auto& Spec>
constexpr const auto& first_kernel = boost::hana::at_c<0>(on_bytes<Spec>.kernels);
template <const auto& Spec>
using kernel_of = std::remove_cvref_t<decltype(first_kernel<Spec>)>;
template <const auto& Spec>
using fast_kernel_of = std::remove_cvref_t<decltype(boost::hana::at_c<0>(on_fast<Spec>.kernels))>;

template <class Kernel>
inline constexpr int kind = 0;  // 1: the 1 x 1 byte pair kernel, 2: the K x K one, 3-5: fast ones
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, bool TwoSided>
inline constexpr int kind<m0::PointwiseBytePairKernel<H, W, InC, S, OutC, TwoSided>> = 1;
template <ops::Window G, std::size_t OutC, bool TwoSided>
inline constexpr int kind<m0::WindowBytePairKernel<G, OutC, TwoSided>> = 2;
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t S, std::size_t OutC, bool TwoSided>
inline constexpr int kind<m0::PointwisePairKernel<H, W, InC, S, OutC, TwoSided>> = 3;
template <ops::Window G, std::size_t OutC, bool TwoSided>
inline constexpr int kind<m0::WindowPairKernel<G, OutC, TwoSided>> = 4;
template <std::size_t H, std::size_t W, std::size_t InC, std::size_t K, std::size_t S, std::size_t OutC, bool TwoSided,
          std::size_t KW>
inline constexpr int kind<m0::WindowLaneKernel<H, W, InC, K, S, OutC, TwoSided, KW>> = 5;

template <const auto& Spec>
constexpr int byte_kind = kind<kernel_of<Spec>>;
template <const auto& Spec>
constexpr std::size_t groups = kernel_of<Spec>::groups::groups;
template <const auto& Spec>
constexpr std::size_t group_pairs = kernel_of<Spec>::groups::pairs;

static_assert(byte_kind<pw16> == 1 && groups<pw16> == 1 && group_pairs<pw16> == 12 && first_kernel<pw16>.folded);
static_assert(byte_kind<pw64> == 1 && groups<pw64> == 4 && group_pairs<pw64> == 8 && first_kernel<pw64>.folded);
static_assert(byte_kind<pw128> == 1 && groups<pw128> == 5 && group_pairs<pw128> == 4 && !first_kernel<pw128>.folded);
static_assert(byte_kind<pw256> == 1 && groups<pw256> == 3 && group_pairs<pw256> == 2 && !first_kernel<pw256>.folded);
static_assert(byte_kind<pw512> == 1 && groups<pw512> == 3 && group_pairs<pw512> == 1 &&
              first_kernel<pw512>.form.pieces == 3 && first_kernel<pw512>.form.negative_offsets &&
              !first_kernel<pw512>.folded_three_pieces);
static_assert(byte_kind<pw_saturating> == 1 && first_kernel<pw_saturating>.form.pieces == 0);
static_assert(byte_kind<pw_two_offsets> == 1 && !first_kernel<pw_two_offsets>.folded &&
              first_kernel<pw_two_offsets>.form.negative_offsets);
static_assert(byte_kind<folded16> == 2 && groups<folded16> == 3 && first_kernel<folded16>.folded);
static_assert(byte_kind<two_offsets16> == 2 && first_kernel<two_offsets16>.folded &&
              first_kernel<two_offsets16>.form.negative_offsets);
static_assert(byte_kind<unfolded16> == 2 && !first_kernel<unfolded16>.folded);
// Three pieces stay unfolded on byte weights: their C++ codes (QuadRecords<..., false>).
static_assert(byte_kind<pieces32> == 2 && first_kernel<pieces32>.form.pieces == 3 &&
              !first_kernel<pieces32>.folded_three_pieces);
static_assert(byte_kind<plain32> == 2 && first_kernel<plain32>.form.negative_offsets &&
              !first_kernel<plain32>.folded_three_pieces);
static_assert(byte_kind<saturating32> == 2 && first_kernel<saturating32>.form.pieces == 0);
static_assert(byte_kind<chunked64> == 2 && groups<chunked64> == 32 && group_pairs<chunked64> == 1 &&
              kernel_of<chunked64>::layout::chunk_pixels == 3);
static_assert(byte_kind<groups16> == 2 && groups<groups16> == 4 && group_pairs<groups16> == 3 &&
              !first_kernel<groups16>.folded);
static_assert(byte_kind<wide256> == 0 && kind<fast_kernel_of<wide256>> == 4);
static_assert(byte_kind<stem3> == 2 && kernel_of<stem3>::layout::tail_words == 1);
static_assert(byte_kind<kws_stem> == 2 && kernel_of<kws_stem>::layout::column_words == 5);
static_assert(byte_kind<rect6> == 2 && kernel_of<rect6>::layout::column_words == 15);
static_assert(byte_kind<lane_stem> == 2 && kind<fast_kernel_of<lane_stem>> == 5);

std::uint32_t seed = 7;

// The words of the fast kernel's weights that differ from those expand_weight_pairs makes of the
// byte kernel's bytes (at run time: on the M0 its assembly), 256 words a call.
template <const auto& Spec>
int expansion_mismatches() {
  const auto& bytes = first_kernel<Spec>.weight_bytes;
  const auto& words = boost::hana::at_c<0>(on_fast<Spec>.kernels).weight;
  static_assert(2 * sizeof(words) == 4 * sizeof(bytes) && words.size() % 4 == 0);
  static std::array<std::int32_t, 256> expanded;
  int bad = 0;
  for (std::size_t k = 0; k < words.size(); k += expanded.size()) {
    const std::size_t count = words.size() - k < expanded.size() ? words.size() - k : expanded.size();
    m0::expand_weight_pairs(bytes.data() + 2 * k, expanded.data(), count);
    for (std::size_t j = 0; j < count; ++j) bad += expanded[j] != words[k + j];
  }
  return bad;
}

// Runs the networks on `rounds` inputs (the first all -128, the second all 127, then random),
// prints the byte backend's bytes, returns the number of bytes that differ from the reference's
// (through qpipe::run and through the kernel's call operator) plus, where the fast backend runs a
// pair kernel, the words of the expansion that differ from its words.
// The expansion against the fast kernel's words (where both pair kernels exist), then the byte
// backend's network and its first kernel's call operator (the word path) against the reference.
template <const auto& Spec>
int check(const char* name, int rounds) {
  int bad = 0;
  if constexpr ((byte_kind<Spec> == 1 || byte_kind<Spec> == 2) &&
                (kind<fast_kernel_of<Spec>> == 3 || kind<fast_kernel_of<Spec>> == 4)) {
    const int words = expansion_mismatches<Spec>();
    std::printf("%s (expansion): %d words differ\n", name, words);
    bad += words;
  }
  auto by_word = [](const std::int8_t* in, std::int8_t* out) { first_kernel<Spec>(in, out); };
  return bad + on_target::check_against_reference<Spec, decltype(by_word), m0::ByteWeightsBackend>(name, rounds, seed,
                                                                                                   by_word);
}

}  // namespace

int main() {
  int bad = 0;
  bad += check<pw16>("1x1 6x6x16 -> 24 relu, one group", 3);
  bad += check<pw64>("1x1 5x5x64 -> 64 relu, four groups", 3);
  bad += check<pw128>("1x1 s2 5x5x128 -> 40 relu, unfolded, five groups", 3);
  bad += check<pw256>("1x1 3x4x256 -> 10, unfolded, groups 2 2 1", 3);
  bad += check<pw512>("1x1 2x3x512 -> 6, three pieces and two offsets, a pair a group", 3);
  bad += check<pw_saturating>("1x1 4x4x32 -> 16, TFLite's multipliers", 3);
  bad += check<pw_two_offsets>("1x1 4x5x32 -> 32, two offsets", 3);
  bad += check<folded16>("3x3 SAME 8x8x16 -> 16 relu, folded", 3);
  bad += check<two_offsets16>("3x3 s2 SAME 9x9x16 -> 32, folded, two offsets", 3);
  bad += check<unfolded16>("3x3 s2 SAME 9x9x16 -> 32, halves unfolded", 3);
  bad += check<pieces32>("3x3 VALID 6x6x32 -> 32 relu, three pieces", 3);
  bad += check<plain32>("3x3 VALID 6x6x32 -> 32, three pieces and two offsets", 3);
  bad += check<saturating32>("3x3 s2 SAME 8x8x32 -> 16, TFLite's multipliers", 3);
  bad += check<chunked64>("3x3 SAME 4x12x64 -> 64 relu, a pair a group, chunks of 3", 3);
  bad += check<groups16>("3x3 s2 SAME 7x10x16 -> 24 relu, unfolded, groups of 3 pairs", 3);
  bad += check<wide256>("3x3 SAME 3x3x256 -> 8 relu, row loops", 3);
  bad += check<stem3>("3x3 SAME 10x10x3 -> 16 relu", 3);
  bad += check<kws_stem>("10x4 s2 SAME 13x10x1 -> 64 relu", 3);
  bad += check<rect6>("5x3 s(2,1) SAME 9x7x6 -> 8", 3);
  bad += check<lane_stem>("3x3 s2 VALID 18x18x3 -> 8 relu, a lane stem", 3);
  std::printf("%d mismatches\n", bad);
  return bad == 0 ? 0 : 1;
}
