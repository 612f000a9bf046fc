// The arena planner: for several pipelines (chains, a residual, nested residuals, MobileNet-like
// blocks, a DS-CNN-like chain, merges and tables) on both backends: the bound with buffers apart
// equals a brute-force liveness peak computed here from the model's wiring alone; two buffers live
// at the same step share a byte only where a step's output lies over an input no later step
// reads, and a byte-level simulation of that step's promised order (detail/read_front.hpp) finds
// no input byte written before its last read; and running on the shared arena (pre-filled with
// garbage) gives the same outputs as running every step into a buffer of its own.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "m0/cnn_network.hpp"
#include "qpipe/layers/layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

// Brute force, from the wiring only: at step k a buffer b (1 <= b < S) is live if it was written
// at or before k (by step b - 1) and some step j >= k still reads it.
template <class M>
std::size_t brute_force_peak() {
  std::size_t peak = 0;
  for (std::size_t k = 0; k < M::stage_count; ++k) {
    std::size_t live = 0;
    for (std::size_t b = 1; b < M::stage_count; ++b) {
      bool read_later = false;
      for (std::size_t j = k; j < M::stage_count; ++j) read_later |= M::reads[j][0] == b || M::reads[j][1] == b;
      if (b - 1 <= k && read_later) live += M::buffer_bytes[b];
    }
    peak = std::max(peak, live);
  }
  return peak;
}

// Each step's kernel's promise for each input, as the kernel type states it.
template <class M, std::size_t... K>
constexpr auto promises(std::index_sequence<K...>) {
  return std::array<std::array<detail::ReadFront, 2>, M::stage_count>{detail::read_fronts_of<
      std::remove_cvref_t<decltype(boost::hana::at_c<K>(std::declval<const M&>().kernels))>>()...};
}

// A step writes its output at out_at over its input at in_at, keeping the promise f in its worst
// order: the output units in the promised direction, every byte of a unit written at once, then
// every input unit the promise still allows read. Byte by byte over the arena: true if no input
// byte is read after a write to it.
bool promise_keeps_input(const detail::ReadFront& f, std::size_t in_at, std::size_t out_at, std::size_t arena) {
  std::vector<bool> written(arena, false);
  for (std::size_t n = 0; n < f.out_units; ++n) {
    const std::size_t u = f.descending ? f.out_units - 1 - n : n;
    for (std::size_t i = 0; i < f.out_unit_bytes; ++i) written[out_at + u * f.out_unit_bytes + i] = true;
    // The input units still read, by the promise's own words: from u * stride + skew on
    // (ascending), up to it (descending).
    const long long bound = static_cast<long long>(u * f.stride) + f.skew;
    for (std::size_t unit = 0; unit < f.in_units; ++unit) {
      const bool still_read =
          f.descending ? static_cast<long long>(unit) <= bound : static_cast<long long>(unit) >= bound;
      for (std::size_t i = 0; still_read && i < f.in_unit_bytes; ++i)
        if (written[in_at + unit * f.in_unit_bytes + i]) return false;
    }
  }
  return true;
}

// Returns how many outputs lie over an input.
template <class M>
std::size_t check_placement() {
  CHECK(M::peak_live_apart_bytes == brute_force_peak<M>());
  CHECK(M::peak_live_bytes <= M::peak_live_apart_bytes);
  CHECK(M::peak_live_bytes <= M::arena_bytes);
  CHECK(M::arena_bytes <= M::peak_live_apart_bytes);  // never worse than the buffers apart
  constexpr auto promised = promises<M>(std::make_index_sequence<M::stage_count>{});
  auto read_at_or_after = [](std::size_t b, std::size_t k) {
    for (std::size_t j = k; j < M::stage_count; ++j)
      if (M::reads[j][0] == b || M::reads[j][1] == b) return true;
    return false;
  };
  std::size_t overlaps = 0;
  for (std::size_t a = 1; a < M::stage_count; ++a) {
    CHECK(M::buffer_offset(a) + M::buffer_bytes[a] <= M::arena_bytes);
    for (std::size_t b = a + 1; b < M::stage_count; ++b) {
      // b is written at step b - 1; a is live then if it is still read at or after that step.
      if (!read_at_or_after(a, b - 1)) continue;
      const bool disjoint = M::buffer_offset(a) + M::buffer_bytes[a] <= M::buffer_offset(b) ||
                            M::buffer_offset(b) + M::buffer_bytes[b] <= M::buffer_offset(a);
      if (disjoint) continue;
      CAPTURE(a);
      CAPTURE(b);
      // Only b's writer may overlap a: a step that reads a and that no later step follows in reading it.
      const std::size_t k = b - 1;
      REQUIRE(!read_at_or_after(a, b));
      REQUIRE((M::reads[k][0] == a || M::reads[k][1] == a));
      CHECK(!M::views[k]);
      CHECK(!M::expands[k]);
      for (std::size_t s = 0; s < 2; ++s) {
        if (M::reads[k][s] != a) continue;
        const detail::ReadFront& f = promised[k][s];
        REQUIRE(f.out_units > 0);  // a kernel that promised nothing never overlaps
        CHECK(f.out_units * f.out_unit_bytes == M::buffer_bytes[b]);
        CHECK(f.in_units * f.in_unit_bytes <= M::buffer_bytes[a]);
        CHECK(promise_keeps_input(f, M::buffer_offset(a), M::buffer_offset(b), M::arena_bytes + M::buffer_bytes[a]));
      }
      ++overlaps;
    }
  }
  MESSAGE(M::stage_count << " steps: arena " << M::arena_bytes << " B (lower bound " << M::peak_live_bytes
                         << " B), buffers apart " << M::peak_live_apart_bytes << " B, one buffer per tensor "
                         << M::unplanned_arena_bytes << " B, " << overlaps << " outputs over their input");
  return overlaps;
}

// Every step into its own buffer: what the arena must be indistinguishable from.
template <class M, std::size_t... K>
std::vector<std::int8_t> run_unshared(const M& model, const std::array<std::int8_t, M::input_shape::size>& x,
                                      std::index_sequence<K...>) {
  std::vector<std::vector<std::int8_t>> buffers(M::stage_count + 1);
  buffers[0].assign(x.begin(), x.end());
  for (std::size_t b = 1; b <= M::stage_count; ++b) buffers[b].assign(M::buffer_bytes[b], 0);
  (
      [&] {
        if constexpr (M::reads[K][1] == M::none) {
          boost::hana::at_c<K>(model.kernels)(buffers[M::reads[K][0]].data(), buffers[K + 1].data());
        } else {
          boost::hana::at_c<K>(model.kernels)(buffers[M::reads[K][0]].data(), buffers[M::reads[K][1]].data(),
                                              buffers[K + 1].data());
        }
      }(),
      ...);
  return buffers[M::stage_count];
}

template <auto& Model>
void check_runs_like_unshared(std::uint32_t seed) {
  using M = std::remove_cvref_t<decltype(Model)>;
  std::array<std::int8_t, M::arena_bytes> arena{};
  for (const auto& x : input_batch<M::input_shape::size>(seed)) {
    std::fill(arena.begin(), arena.end(), std::int8_t{0x5a});  // garbage a correct plan never reads
    std::array<std::int8_t, M::output_shape::size> out{};
    Model(std::span<const std::int8_t, M::input_shape::size>{x}, std::span<std::int8_t, M::output_shape::size>{out},
          std::span<std::int8_t, M::arena_bytes>{arena});
    const auto expected = run_unshared(Model, x, std::make_index_sequence<M::stage_count>{});
    REQUIRE(std::equal(out.begin(), out.end(), expected.begin()));
  }
}

constexpr Grid g{0.05, -3};

// A chain whose middle buffers grow then shrink: the planner must reach the pairwise peak.
using ChainNet =
    Pipe<QPointwiseConv2D, QPointwiseConv2D, QRelu, QPointwiseConv2D, QPointwiseConv2D, QGlobalAvgPool2D, QDense<2>>;
constexpr auto chain = compile(make_spec<ChainNet, Shape<4, 4, 2>>(
    g, random_pointwise<2, 10>(1, g, 0.1), random_pointwise<10, 20>(2, g, 0.1), random_pointwise<20, 30>(3, g, 0.1),
    random_pointwise<30, 5>(4, g, 0.1), random_dense<5, 2>(5, g)));

// One residual: the skip (buffer 1) stays live across the branch.
using ResidualNet = Pipe<QPointwiseConv2D, Residual<Pipe<QPad2D<1>, QDepthwiseConv2D<3>, QRelu, QPointwiseConv2D>>,
                         QGlobalAvgPool2D, QDense<3>>;
constexpr auto residual = compile(make_spec<ResidualNet, Shape<5, 5, 3>>(
    g, random_pointwise<3, 8>(11, g, 0.1), random_depthwise<3, 8>(12, g), random_pointwise<8, 8>(13, g, 0.1),
    ResidualParams{g}, random_dense<8, 3>(14, g)));

// Nested residuals: an outer skip around an inner one, each live until its own add.
using NestedNet =
    Pipe<QPointwiseConv2D,
         Residual<Pipe<QPointwiseConv2D, QRelu, Residual<Pipe<QPad2D<1>, QDepthwiseConv2D<3>>>, QPointwiseConv2D>>,
         QRelu, QGlobalAvgPool2D, QDense<3>>;
constexpr auto nested = compile(make_spec<NestedNet, Shape<4, 4, 3>>(
    g, random_pointwise<3, 4>(21, g, 0.1), random_pointwise<4, 16>(22, g, 0.1), random_depthwise<3, 16>(23, g),
    ResidualParams{g}, random_pointwise<16, 4>(24, g, 0.1), ResidualParams{g}, random_dense<4, 3>(25, g)));

// Two residuals in a row, the second with a residual as its whole branch.
using TwinNet = Pipe<QPointwiseConv2D, Residual<Pipe<QPointwiseConv2D, QRelu, QPointwiseConv2D>>,
                     Residual<Pipe<Residual<Pipe<QPad2D<1>, QDepthwiseConv2D<3>>>>>, QGlobalAvgPool2D, QDense<2>>;
constexpr auto twin = compile(make_spec<TwinNet, Shape<3, 3, 2>>(
    g, random_pointwise<2, 6>(31, g, 0.1), random_pointwise<6, 24>(32, g, 0.1), random_pointwise<24, 6>(33, g, 0.1),
    ResidualParams{g}, random_depthwise<3, 6>(34, g), ResidualParams{g}, ResidualParams{g}, random_dense<6, 2>(35, g)));

// A DAG: ResNet-8's downsampling block (two branches with layers on both sides of the add), then
// a concatenation of three branches, one of them the input itself.
using DagNet =
    Pipe<QPointwiseConv2D,
         Add<Pipe<QConv2DPerChannel<3, 2, same>, QRelu, QConv2DPerChannel<3, same>>, QConv2DPerChannel<1, 2>>, QRelu,
         Concat<Identity, QMaxPool2D<3, 1, same>, QAvgPool2D<3, 1, same>>, QGlobalAvgPool2D, QDense<2>>;
constexpr auto dag = compile(make_spec<DagNet, Shape<8, 8, 2>>(
    g, random_pointwise<2, 4>(41, g, 0.1), random_conv<3, 4, 4>(42, g, true), random_conv<3, 4, 4>(43, g, true),
    random_conv<1, 4, 4>(44, g, true), AddParams{g}, random_dense<12, 2>(45, g)));

// A DS-CNN-like chain: 1 x 1 layers between 3 x 3 depthwise ones, SAME (the reference loop nest on
// both backends) and VALID after a pad (the M0's depthwise kernel), a stride-2 1 x 1 layer, a
// VALID 3 x 3 convolution; per-channel 1 x 1 layers take the M0's lane kernel (4 inputs) and its
// pair kernel (16 inputs).
using DsNet = Pipe<QConv2DPerChannel<1>, QRelu, QDepthwiseConv2D<3, same>, QRelu, QConv2DPerChannel<1>, QRelu,
                   QPad2D<1>, QDepthwiseConv2D<3>, QRelu, QConv2DPerChannel<1>, QConv2DPerChannel<1, 2>, QConv2D<3>,
                   QRelu, QGlobalAvgPool2D, QDense<3>>;
constexpr auto ds_spec = make_spec<DsNet, Shape<7, 5, 4>>(
    g, random_conv<1, 4, 16>(51, g, true), random_depthwise<3, 16>(52, g), random_conv<1, 16, 16>(53, g, true),
    random_depthwise<3, 16>(54, g), random_conv<1, 16, 16>(55, g, true), random_conv<1, 16, 8>(56, g, true),
    random_conv<3, 8, 8>(57, g, false), random_dense<8, 3>(58, g));
constexpr auto ds = compile<reference_ops::Backend>(ds_spec);
constexpr auto ds_m0 = compile<m0::Backend>(ds_spec);

// Tables, pools, a clamp pass at a branch's start, a product, a concatenation and softmax over
// pixels, between 1 x 1 layers.
using TableNet = Pipe<QConv2DPerChannel<1>, QLeakyRelu, QMaxPool2D<3, 1, same>, QAvgPool2D<2, 2>,
                      Mul<Identity, Pipe<QRelu, QConv2DPerChannel<1>>>, Concat<Identity, QConv2DPerChannel<1>>,
                      QSoftmax, QConv2DPerChannel<1>, QGlobalAvgPool2D, QDense<2>>;
constexpr auto table_spec = make_spec<TableNet, Shape<6, 6, 8>>(
    g, random_conv<1, 8, 8>(61, g, true), LeakyReluParams{0.1, g}, random_conv<1, 8, 8>(62, g, true), MulParams{g},
    random_conv<1, 8, 4>(63, g, true), random_conv<1, 12, 8>(64, g, true), random_dense<8, 2>(65, g));
constexpr auto tables = compile<reference_ops::Backend>(table_spec);
constexpr auto tables_m0 = compile<m0::Backend>(table_spec);

}  // namespace

TEST_CASE("chain: arena = brute-force peak, placement disjoint, same outputs as unshared buffers") {
  using M = std::remove_const_t<decltype(chain)>;
  // Intermediates 160, 320, 480, 80, 5 bytes: the peak is 320 + 480 during the third step.
  static_assert(M::peak_live_apart_bytes == 800);
  check_placement<M>();
  check_runs_like_unshared<chain>(1);
}

TEST_CASE("one residual") {
  using M = std::remove_const_t<decltype(residual)>;
  // Buffers: 1 = 5x5x8 skip (200), 2 = padded 7x7x8 (392), 3 = depthwise 200, 4 = pointwise 200,
  // 5 = sum 200, 6 = pooled 8. Step 2 (depthwise) holds 1, 2 and 3: 792 bytes.
  static_assert(M::peak_live_apart_bytes == 792);
  check_placement<M>();
  check_runs_like_unshared<residual>(2);
}

TEST_CASE("nested residuals") {
  using M = std::remove_const_t<decltype(nested)>;
  // 1 = 4x4x4 outer skip (64), 2 = expand 4x4x16 inner skip (256), 3 = padded 6x6x16 (576),
  // 4 = depthwise (256), 5 = inner sum (256), 6 = project (64), 7 = outer sum (64), 8 = pooled (4).
  // Peak at the depthwise step: 64 + 256 + 576 + 256 = 1152.
  static_assert(M::peak_live_apart_bytes == 1152);
  check_placement<M>();
  check_runs_like_unshared<nested>(3);
}

TEST_CASE("residual after residual, one nested as a whole branch") {
  using M = std::remove_const_t<decltype(twin)>;
  check_placement<M>();
  check_runs_like_unshared<twin>(4);
}

TEST_CASE("a DAG: two-sided add, three-way concat") {
  using M = std::remove_const_t<decltype(dag)>;
  // 1 = 8x8x4 (256), 2 = 4x4x4 (64), 3 = 64, 4 = shortcut 64 from buffer 1, 5 = sum 64, 6 = max
  // 64, 7 = concat 128, 8 = average 64, 9 = concat 192, 10 = pooled 12. Buffer 1 lives until the
  // shortcut (step 3), with 2 and 3 beside it at step 2, and 3 and 4 at step 3: 384. The
  // concatenations: 5, 6 and 7 at step 6 (256), 5, 7 and 8 at step 7, 7, 8 and 9 at step 8 (384).
  static_assert(M::reads[3][0] == 1 && M::reads[4][0] == 3 && M::reads[4][1] == 4);
  static_assert(M::reads[6][0] == 5 && M::reads[6][1] == 6 && M::reads[7][0] == 5 && M::reads[8][0] == 7 &&
                M::reads[8][1] == 8);
  static_assert(M::peak_live_apart_bytes == 384);
  check_placement<M>();
  check_runs_like_unshared<dag>(6);
}

TEST_CASE("the calibrated test CNN (inverted residual, pools, softmax)") {
  using M = std::remove_const_t<decltype(cnn_test::network)>;
  check_placement<M>();
  check_runs_like_unshared<cnn_test::network>(5);
}

TEST_CASE("a DS-CNN-like chain, both backends: outputs over their inputs") {
  using R = std::remove_const_t<decltype(ds)>;
  using M0 = std::remove_const_t<decltype(ds_m0)>;
  // 7x5x16 tensors (560 B), the padded 9x7x16 (1,008 B). Buffer b is step b - 1's output. The
  // SAME depthwise (step 1, reading buffer 1) reads rows y - 1 on while it writes row y: its output
  // starts two rows (160 B) before its input. The pad (step 3, reading buffer 3) writes its row
  // y + 1 while it copies input row y: 9 rows of 112 B against 7 of 80, the most at the last row
  // copied, 8 x 112 - 6 x 80 = 416 B. The VALID depthwise after it (buffer 4): one row, 80 B.
  static_assert(R::overlap_lead(1) == 160 && M0::overlap_lead(1) == 160);
  static_assert(R::overlap_lead(3) == 416 && M0::overlap_lead(3) == 416);
  static_assert(R::overlap_lead(4) == 80 && M0::overlap_lead(4) == 80);
  // The 16 -> 16 1 x 1 layer (step 2): the reference loop nest reads a pixel while it writes its
  // 16 bytes (lead: a pixel, before the input); the M0's pair kernel packs each pixel first, from
  // the last to the first (lead 0, the output anywhere from the input's start on).
  static_assert(R::overlap_lead(2) == 16 && !R::overlap_after(2) && M0::overlap_lead(2) == 0 && M0::overlap_after(2));
  static_assert(!M0::overlap_after(1) && !M0::overlap_after(3));
  CHECK(check_placement<R>() >= 5);
  CHECK(check_placement<M0>() >= 5);
  CHECK(M0::arena_bytes < M0::peak_live_apart_bytes);
  check_runs_like_unshared<ds>(7);
  check_runs_like_unshared<ds_m0>(8);
}

TEST_CASE("tables, pools, a product, a concatenation, softmax; both backends") {
  using R = std::remove_const_t<decltype(tables)>;
  using M0 = std::remove_const_t<decltype(tables_m0)>;
  CHECK(check_placement<R>() >= 4);
  CHECK(check_placement<M0>() >= 4);
  check_runs_like_unshared<tables>(9);
  check_runs_like_unshared<tables_m0>(10);
}

TEST_CASE("the test CNN on the M0's kernels (their C++ paths)") {
  static constexpr auto cnn_m0 = compile<m0::Backend>(cnn_test::spec);
  check_placement<std::remove_const_t<decltype(cnn_m0)>>();
  check_runs_like_unshared<cnn_m0>(11);
}

TEST_CASE("detail::lead equals the most over the output units after which input is still read") {
  std::mt19937 random(24);
  for (int n = 0; n < 40000; ++n) {
    detail::ReadFront f{};
    f.out_units = 1 + random() % 12;
    f.out_unit_bytes = 1 + random() % 9;
    f.in_units = 1 + random() % 30;
    f.in_unit_bytes = 1 + random() % 9;
    f.stride = 1 + random() % 4;
    f.skew = static_cast<std::ptrdiff_t>(random() % 15) - 8;
    f.descending = random() % 2 == 1;
    // Ascending: input units from u * stride + skew on are read after unit u is written, and the
    // output's unit u must end at or before the first of them; descending: units up to it, and
    // unit u must start at or after the end of the last of them.
    long long expected = 0;
    for (std::size_t u = 0; u < f.out_units; ++u) {
      const long long bound = static_cast<long long>(u * f.stride) + f.skew, units = static_cast<long long>(f.in_units);
      const long long out_unit = static_cast<long long>(f.out_unit_bytes),
                      in_unit = static_cast<long long>(f.in_unit_bytes);
      const long long u_ = static_cast<long long>(u);
      if (!f.descending && bound < units)
        expected = std::max(expected, (u_ + 1) * out_unit - std::max(bound, 0LL) * in_unit);
      if (f.descending && bound >= 0)
        expected = std::max(expected, (std::min(bound, units - 1) + 1) * in_unit - u_ * out_unit);
    }
    CAPTURE(n);
    REQUIRE(detail::lead(f) == static_cast<std::size_t>(expected));
    // The simulation agrees: at the lead the input is kept, one byte closer it is not (where the
    // lead is above 0).
    const std::size_t d = static_cast<std::size_t>(expected);
    const std::size_t arena = d + f.in_units * f.in_unit_bytes + f.out_units * f.out_unit_bytes;
    const std::size_t in_at = f.descending ? 0 : d, out_at = f.descending ? d : 0;
    CHECK(promise_keeps_input(f, in_at, out_at, arena));
    if (d > 0) CHECK(!promise_keeps_input(f, f.descending ? 0 : d - 1, f.descending ? d - 1 : 0, arena));
  }
  CHECK(detail::lead(detail::ReadFront{}) == detail::no_lead);
}
