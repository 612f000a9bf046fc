// The add's linear form (fitted_add.hpp) against the naive TFLite ADD (tests/reference) on all
// 65,536 pairs of int8 operands, for grids that fit and for grids that keep TFLite's arithmetic.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "qpipe/layers/layer_cases.hpp"

using namespace qpipe;
using namespace layer_cases;

namespace {

struct AddCase {
  Grid skip, branch, out;
  bool relu;  // a ReLU after the add: the clamp starts at the output's zero point
};

// The M0's add kernel (backends/m0/add.hpp), which takes the fitted form where one exists.
template <AddCase C>
constexpr auto add_kernel() {
  constexpr ResidualParams p{C.out};
  if constexpr (C.relu) {
    return m0::lower(
        detail::ResidualAdd::quantize<Shape<65536>, Shape<65536>, ResidualParams, QRelu>(C.skip, C.branch, p).op);
  } else {
    return m0::lower(detail::ResidualAdd::quantize<Shape<65536>, Shape<65536>, ResidualParams>(C.skip, C.branch, p).op);
  }
}

// Every (a, b) pair through the kernel, against naive::add; returns the count that differ.
template <AddCase C>
int wrong_pairs() {
  static constexpr auto k = add_kernel<C>();
  std::vector<std::int8_t> a(65536), b(65536), out(65536);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<std::int8_t>(static_cast<int>(i & 255) - 128);
    b[i] = static_cast<std::int8_t>(static_cast<int>(i >> 8) - 128);
  }
  k(a.data(), b.data(), out.data());
  const auto e =
      naive::add(a, to_naive(C.skip), b, to_naive(C.branch), to_naive(C.out), C.relu ? C.out.zero_point : -128, 127);
  int wrong = 0;
  for (std::size_t i = 0; i < out.size(); ++i) wrong += out[i] != e[i];
  return wrong;
}

template <AddCase C>
constexpr bool fitted = add_kernel<C>().fitted;

// Sums of two blocks' outputs as a ResNet or MobileNet has them: the sum's grid coarser than
// either operand's, the skip coarser or finer than the branch, zero points anywhere.
constexpr AddCase skip_coarser{{0.041, -128}, {0.013, 7}, {0.055, -20}, false};
constexpr AddCase branch_coarser{{0.009, 31}, {0.027, -90}, {0.033, 4}, true};
constexpr AddCase same_operand_grids{{0.02, -3}, {0.02, -3}, {0.035, 0}, false};
constexpr AddCase relu_sum{{0.017, -128}, {0.023, -128}, {0.031, -128}, true};
constexpr AddCase wide_sum{{0.05, 12}, {0.004, -77}, {0.11, 60}, false};
// One whose scales both checks reject (the fit then keeps TFLite's arithmetic), and one whose output
// is as fine as its operands, whose proof would walk 65,536 plateaus (the fit does not try).
constexpr AddCase rejected{{0.031, -7}, {0.012, 45}, {0.04, 3}, false};
constexpr AddCase fine_output{{0.02, 0}, {0.02, 0}, {0.02, 0}, false};

}  // namespace

TEST_CASE("the fitted add equals TFLite ADD on every pair of int8 operands") {
  static_assert(fitted<skip_coarser> && fitted<branch_coarser> && fitted<same_operand_grids> && fitted<relu_sum> &&
                fitted<wide_sum>);
  CHECK(wrong_pairs<skip_coarser>() == 0);
  CHECK(wrong_pairs<branch_coarser>() == 0);
  CHECK(wrong_pairs<same_operand_grids>() == 0);
  CHECK(wrong_pairs<relu_sum>() == 0);
  CHECK(wrong_pairs<wide_sum>() == 0);
}

TEST_CASE("an add without a linear form keeps TFLite's arithmetic, exactly") {
  static_assert(!fitted<rejected> && !fitted<fine_output>);
  CHECK(wrong_pairs<rejected>() == 0);
  CHECK(wrong_pairs<fine_output>() == 0);
}

TEST_CASE("the form's numbers for one grid triple, by hand") {
  // skip_coarser: the skip has the larger scale, so its rescale is exactly (a + 128) 2^19; the
  // form's scales are the two operands' real slopes in codes of the sum (0.041 / 0.055 and 0.013 /
  // 0.055) times 2^shift, to within the few units the search may move them.
  static constexpr auto k = add_kernel<skip_coarser>();
  const FittedAdd& f = k.arithmetic.linear.form;
  const double unit = double(std::int64_t{1} << f.shift);
  CHECK(f.shift >= 20);
  CHECK(f.skip_scale == doctest::Approx(0.041 / 0.055 * unit).epsilon(1e-5));
  CHECK(f.branch_scale == doctest::Approx(0.013 / 0.055 * unit).epsilon(1e-5));
  // Zero operands (a = -128, b = 7) give the output's zero point.
  CHECK(int(k.arithmetic.linear(-128, 7)) == -20);
}

// The finest shift whose form stays inside int32 with two codes' margin, by hand: 2^shift
// (per_sum hi + 2) <= 2^31 - 1. Sums within +-1000 at 1/256 a code: 5.9 codes, any shift up to 24;
// +-10^6 at one code a unit: 2^shift <= 2147, so 11; +-2^24 at one a unit: 2^shift <= 127, below 8.
static_assert(detail::finest_add_shift(1.0 / 256, {-1000, 1000}) == 24);
static_assert(detail::finest_add_shift(1.0, {-1000000, 1000000}) == 11);
static_assert(detail::finest_add_shift(1.0, {-1000000, 2000000}) == 10);
static_assert(detail::finest_add_shift(1.0, {-(1 << 24), 1 << 24}) == 0);
