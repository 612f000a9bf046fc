// The arena planner: for several pipelines (chains, a residual, nested residuals, MobileNet-like
// blocks) the planned arena equals a brute-force liveness peak computed here from the model's
// wiring alone; no two buffers live at the same step share a byte; and running on the shared
// arena (pre-filled with garbage) gives the same outputs as running every step into a buffer of
// its own.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
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

template <class M>
void check_placement() {
  CHECK(M::arena_bytes == brute_force_peak<M>());
  CHECK(M::peak_live_bytes == brute_force_peak<M>());
  auto read_at_or_after = [](std::size_t b, std::size_t k) {
    for (std::size_t j = k; j < M::stage_count; ++j)
      if (M::reads[j][0] == b || M::reads[j][1] == b) return true;
    return false;
  };
  for (std::size_t a = 1; a < M::stage_count; ++a) {
    CHECK(M::buffer_offset(a) + M::buffer_bytes[a] <= M::arena_bytes);
    for (std::size_t b = a + 1; b < M::stage_count; ++b) {
      // b is written at step b - 1; a is live then if it is still read at or after that step.
      if (!read_at_or_after(a, b - 1)) continue;
      const bool disjoint = M::buffer_offset(a) + M::buffer_bytes[a] <= M::buffer_offset(b) ||
                            M::buffer_offset(b) + M::buffer_bytes[b] <= M::buffer_offset(a);
      CAPTURE(a);
      CAPTURE(b);
      CHECK(disjoint);
    }
  }
  MESSAGE(M::stage_count << " steps: arena " << M::arena_bytes << " B, one buffer per tensor " << M::unplanned_arena_bytes << " B");
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
          boost::hana::at_c<K>(model.kernels)(buffers[M::reads[K][0]].data(), buffers[M::reads[K][1]].data(), buffers[K + 1].data());
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
using ChainNet = Pipe<QPointwiseConv2D, QPointwiseConv2D, QRelu, QPointwiseConv2D, QPointwiseConv2D, QGlobalAvgPool2D, QDense<2>>;
constexpr auto chain = quantize(spec<ChainNet, Shape<4, 4, 2>>(g, random_pointwise<2, 10>(1, g, 0.1), random_pointwise<10, 20>(2, g, 0.1),
                                                               random_pointwise<20, 30>(3, g, 0.1), random_pointwise<30, 5>(4, g, 0.1), random_dense<5, 2>(5, g)));

// One residual: the skip (buffer 1) stays live across the branch.
using ResidualNet = Pipe<QPointwiseConv2D, Residual<Pipe<QPad2D<1>, QDepthwiseConv2D<3>, QRelu, QPointwiseConv2D>>, QGlobalAvgPool2D, QDense<3>>;
constexpr auto residual = quantize(spec<ResidualNet, Shape<5, 5, 3>>(g, random_pointwise<3, 8>(11, g, 0.1), random_depthwise<3, 8>(12, g),
                                                                     random_pointwise<8, 8>(13, g, 0.1), ResidualParams{g}, random_dense<8, 3>(14, g)));

// Nested residuals: an outer skip around an inner one, each live until its own add.
using NestedNet = Pipe<QPointwiseConv2D,
                       Residual<Pipe<QPointwiseConv2D, QRelu, Residual<Pipe<QPad2D<1>, QDepthwiseConv2D<3>>>, QPointwiseConv2D>>,
                       QRelu, QGlobalAvgPool2D, QDense<3>>;
constexpr auto nested = quantize(spec<NestedNet, Shape<4, 4, 3>>(g, random_pointwise<3, 4>(21, g, 0.1), random_pointwise<4, 16>(22, g, 0.1), random_depthwise<3, 16>(23, g),
                                                                 ResidualParams{g}, random_pointwise<16, 4>(24, g, 0.1), ResidualParams{g}, random_dense<4, 3>(25, g)));

// Two residuals in a row, the second with a residual as its whole branch.
using TwinNet = Pipe<QPointwiseConv2D, Residual<Pipe<QPointwiseConv2D, QRelu, QPointwiseConv2D>>,
                     Residual<Pipe<Residual<Pipe<QPad2D<1>, QDepthwiseConv2D<3>>>>>, QGlobalAvgPool2D, QDense<2>>;
constexpr auto twin = quantize(spec<TwinNet, Shape<3, 3, 2>>(g, random_pointwise<2, 6>(31, g, 0.1), random_pointwise<6, 24>(32, g, 0.1), random_pointwise<24, 6>(33, g, 0.1),
                                                             ResidualParams{g}, random_depthwise<3, 6>(34, g), ResidualParams{g},
                                                             ResidualParams{g}, random_dense<6, 2>(35, g)));

// A DAG: ResNet-8's downsampling block (two branches with layers on both sides of the add), then
// a concatenation of three branches, one of them the input itself.
using DagNet = Pipe<QPointwiseConv2D, Add<Pipe<QConv2DPerChannel<3, 2, same>, QRelu, QConv2DPerChannel<3, same>>, QConv2DPerChannel<1, 2>>,
                    QRelu, Concat<Identity, QMaxPool2D<3, 1, same>, QAvgPool2D<3, 1, same>>, QGlobalAvgPool2D, QDense<2>>;
constexpr auto dag = quantize(spec<DagNet, Shape<8, 8, 2>>(g, random_pointwise<2, 4>(41, g, 0.1), random_conv<3, 4, 4>(42, g, true),
                                                           random_conv<3, 4, 4>(43, g, true), random_conv<1, 4, 4>(44, g, true), AddParams{g},
                                                           random_dense<12, 2>(45, g)));

}  // namespace

TEST_CASE("chain: arena = brute-force peak, placement disjoint, same outputs as unshared buffers") {
  using M = std::remove_const_t<decltype(chain)>;
  // Intermediates 160, 320, 480, 80, 5 bytes: the peak is 320 + 480 during the third step.
  static_assert(M::arena_bytes == 800);
  check_placement<M>();
  check_runs_like_unshared<chain>(1);
}

TEST_CASE("one residual") {
  using M = std::remove_const_t<decltype(residual)>;
  // Buffers: 1 = 5x5x8 skip (200), 2 = padded 7x7x8 (392), 3 = depthwise 200, 4 = pointwise 200,
  // 5 = sum 200, 6 = pooled 8. Step 2 (depthwise) holds 1, 2 and 3: 792 bytes.
  static_assert(M::arena_bytes == 792);
  check_placement<M>();
  check_runs_like_unshared<residual>(2);
}

TEST_CASE("nested residuals") {
  using M = std::remove_const_t<decltype(nested)>;
  // 1 = 4x4x4 outer skip (64), 2 = expand 4x4x16 inner skip (256), 3 = padded 6x6x16 (576),
  // 4 = depthwise (256), 5 = inner sum (256), 6 = project (64), 7 = outer sum (64), 8 = pooled (4).
  // Peak at the depthwise step: 64 + 256 + 576 + 256 = 1152.
  static_assert(M::arena_bytes == 1152);
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
  static_assert(M::reads[6][0] == 5 && M::reads[6][1] == 6 && M::reads[7][0] == 5 && M::reads[8][0] == 7 && M::reads[8][1] == 8);
  static_assert(M::arena_bytes == 384);
  check_placement<M>();
  check_runs_like_unshared<dag>(6);
}

TEST_CASE("the calibrated test CNN (inverted residual, pools, softmax)") {
  using M = std::remove_const_t<decltype(cnn_test::network)>;
  check_placement<M>();
  check_runs_like_unshared<cnn_test::network>(5);
}
