// Pipe: planning (ReLU folding, shapes, parameter slots), the arena, introspection, and the XOR
// network end to end on the host against its float reference.
#include <doctest/doctest.h>

#include <cmath>
#include <type_traits>

#include "../../dsl_examples/xor/xor_network.hpp"
#include "qpipe.hpp"

using namespace qpipe;

namespace {
using XorPlan = std::remove_const_t<decltype(xor_example::spec)>::plan;
using XorModel = std::remove_const_t<decltype(xor_example::network)>;
}  // namespace

// ReLU after QDense folds into its requantizer: 4 layers, 3 runtime passes.
static_assert(XorPlan::step_count == 3);
static_assert(std::is_same_v<XorPlan::step<0>, detail::Step<layer_at<0>, QDense<4>, QRelu>>);
static_assert(std::is_same_v<XorPlan::step<1>, detail::Step<layer_at<2>, QDense<1>>>);
static_assert(std::is_same_v<XorPlan::shapes, detail::type_list<Shape<2>, Shape<4>, Shape<1>, Shape<1>>>);
static_assert(XorPlan::param_count == 2);
// The folded ReLU is the hidden layer's lower clamp, at the hidden grid's zero point.
static_assert(boost::hana::at_c<0>(xor_example::network.kernels).op.requantization.clamp.qmin == -128);
static_assert(XorModel::macs == 2 * 4 + 4 * 1);
static_assert(XorModel::parameter_bytes == (8 + 16) + (4 + 4) + 256);
// Intermediates: 4 bytes after the hidden layer, 1 after the logit; both live during the second pass.
static_assert(XorModel::arena_bytes == 5);

// A ReLU that follows a non-requantizing layer runs as its own clamp pass.
using SigmoidThenRelu = Pipe<QSigmoid, QRelu>;
static_assert(detail::structure<SigmoidThenRelu>::step_count == 2);

// A longer chain: the arena is the largest pair of neighbouring intermediates, not their sum.
namespace {
using Chain = Pipe<QDense<16>, QRelu, QDense<32>, QRelu6, QDense<8>, QDense<24>, QSigmoid>;
constexpr DenseParams<4, 16> c0 = [] {
  DenseParams<4, 16> p{};
  for (auto& r : p.weights) r[0] = 1;
  p.output = {0.1, 0};
  return p;
}();
constexpr DenseParams<16, 32> c1 = [] {
  DenseParams<16, 32> p{};
  for (auto& r : p.weights) r[1] = -1;
  p.output = {0.1, 0};
  return p;
}();
constexpr DenseParams<32, 8> c2 = [] {
  DenseParams<32, 8> p{};
  for (auto& r : p.weights) r[2] = 1;
  p.output = {0.1, 0};
  return p;
}();
constexpr DenseParams<8, 24> c3 = [] {
  DenseParams<8, 24> p{};
  for (auto& r : p.weights) r[3] = 1;
  p.output = {0.1, 0};
  return p;
}();
constexpr auto chain = compile(make_spec<Chain, Shape<4>>(Grid{0.1, 0}, c0, c1, c2, c3));
using ChainModel = std::remove_const_t<decltype(chain)>;
}  // namespace
static_assert(ChainModel::stage_count == 5);
static_assert(ChainModel::buffer_bytes == std::array<std::size_t, 6>{4, 16, 32, 8, 24, 24});
static_assert(ChainModel::arena_bytes == 48);           // 16 + 32 during stage 1
static_assert(ChainModel::unplanned_arena_bytes == 80);  // 16 + 32 + 8 + 24

TEST_CASE("arena buffers of neighbouring stages never overlap") {
  for (std::size_t k = 0; k < ChainModel::stage_count; ++k) {
    if (k == 0 || k + 1 == ChainModel::stage_count) continue;
    const auto in_begin = ChainModel::buffer_offset(k), in_end = in_begin + ChainModel::buffer_bytes[k];
    const auto out_begin = ChainModel::buffer_offset(k + 1), out_end = out_begin + ChainModel::buffer_bytes[k + 1];
    CHECK((in_end <= out_begin || out_end <= in_begin));
    CHECK(std::max(in_end, out_end) <= ChainModel::arena_bytes);
  }
}

TEST_CASE("XOR: four corners on the host, and int8 against the float reference") {
  constexpr Grid out = output_grid(xor_example::spec);
  static_assert(out == sigmoid_output_grid);
  double worst = 0;
  for (int i = 0; i < 4; ++i) {
    const int a = i >> 1, b = i & 1;
    const auto q = xor_example::network(xor_example::corners[i])[0];
    const double p = dequantize(q, out);
    const double ref = reference(xor_example::spec, {double(a), double(b)})[0];
    worst = std::max(worst, std::fabs(p - ref));
    CHECK((q > 0) == bool(a ^ b));
  }
  MESSAGE("XOR max |int8 - float| = " << worst);
  CHECK(worst <= 2.0 / 256);
}

// XOR's golden logits (dsl_examples/xor/golden.txt), computed inside the compiler.
static_assert(xor_example::network(xor_example::corners[0])[0] == -123 &&
              xor_example::network(xor_example::corners[1])[0] == 123 &&
              xor_example::network(xor_example::corners[2])[0] == 123 &&
              xor_example::network(xor_example::corners[3])[0] == -123);

TEST_CASE("the integer forward pass runs in a constant expression") {
  constexpr auto q = xor_example::network(xor_example::corners[1]);
  static_assert(q[0] > 100);  // (0,1): p ~ 0.98
  CHECK(q[0] == xor_example::network(xor_example::corners[1])[0]);
}
