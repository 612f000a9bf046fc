// QDense against a dense layer written here from the TFLite spec: quantization of weights, biases
// and the output multiplier with <cmath>, the forward pass with plain loops and the 128-bit
// reference requantization. Several shapes, non-zero zero points, saturation at both ends.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "qpipe/backends/m0/backend.hpp"
#include "qpipe/layers/dense.hpp"
#include "qpipe/layers/relu.hpp"
#include "qpipe/reference/backend.hpp"
#include "reference/random_params.hpp"
#include "reference/requantize_reference.hpp"

namespace {

template <std::size_t In, std::size_t Units>
constexpr qpipe::DenseParams<In, Units> random_dense(std::uint32_t seed, qpipe::Grid out) {
  qpipe_test::Lcg rng{seed};
  qpipe::DenseParams<In, Units> p{};
  for (auto& row : p.weights)
    for (auto& w : row) w = rng.uniform(-1.0, 1.0);
  for (auto& b : p.bias) b = rng.uniform(-0.5, 0.5);
  p.output = out;
  return p;
}

struct Expected {
  std::vector<int> weights;
  std::vector<long long> bias;
  int multiplier, shift;
};

// TFLite's recipe, computed at run time.
template <std::size_t In, std::size_t Units>
Expected expected_constants(const qpipe::DenseParams<In, Units>& p, qpipe::Grid in) {
  double largest = 0;
  for (auto& row : p.weights)
    for (double w : row) largest = std::max(largest, std::fabs(w));
  const double ws = largest / 127.0;
  Expected e{};
  for (auto& row : p.weights)
    for (double w : row) e.weights.push_back(static_cast<int>(std::clamp(std::round(w / ws), -127.0, 127.0)));
  for (double b : p.bias) e.bias.push_back(std::llround(b / (in.scale * ws)));
  int exponent = 0;
  // GetQuantizedConvolutionMultipler: the scales' product in float, the division in double.
  const double q = std::frexp(
      static_cast<double>(static_cast<float>(in.scale) * static_cast<float>(ws)) / p.output.scale, &exponent);
  long long fixed = std::llround(q * 2147483648.0);
  if (fixed == (1LL << 31)) fixed /= 2, ++exponent;
  e.multiplier = static_cast<int>(fixed);
  e.shift = exponent;
  return e;
}

// The op under test, quantized by the compiler from the same parameters, and the kernels both
// backends lower it into.
template <std::size_t In, std::size_t Units, std::uint32_t Seed, qpipe::Grid InGrid, qpipe::Grid OutGrid,
          class... Clamps>
inline constexpr auto compiled_op =
    qpipe::QDense<Units>::template quantize<qpipe::Shape<In>, qpipe::DenseParams<In, Units>, Clamps...>(
        InGrid, random_dense<In, Units>(Seed, OutGrid))
        .op;
template <std::size_t In, std::size_t Units, std::uint32_t Seed, qpipe::Grid InGrid, qpipe::Grid OutGrid,
          class... Clamps>
inline constexpr auto m0_kernel = qpipe::m0::Backend::lower(compiled_op<In, Units, Seed, InGrid, OutGrid, Clamps...>);
template <std::size_t In, std::size_t Units, std::uint32_t Seed, qpipe::Grid InGrid, qpipe::Grid OutGrid,
          class... Clamps>
inline constexpr auto reference_kernel =
    qpipe::reference_ops::Backend::lower(compiled_op<In, Units, Seed, InGrid, OutGrid, Clamps...>);

template <std::size_t In, std::size_t Units, std::uint32_t Seed, qpipe::Grid InGrid, qpipe::Grid OutGrid,
          class... Clamps>
void check_dense() {
  const auto p = random_dense<In, Units>(Seed, OutGrid);
  const Expected e = expected_constants(p, InGrid);
  const auto& op = compiled_op<In, Units, Seed, InGrid, OutGrid, Clamps...>;
  const auto& m0 = m0_kernel<In, Units, Seed, InGrid, OutGrid, Clamps...>;
  const auto& reference = reference_kernel<In, Units, Seed, InGrid, OutGrid, Clamps...>;
  CAPTURE(In);
  CAPTURE(Units);
  for (std::size_t i = 0; i < In * Units; ++i) REQUIRE(op.weights[i] == e.weights[i]);
  // The op stores TFLite's bias and the input zero point; the M0's kernel the bias minus
  // input_zero_point * sum(w): the zero-point term, folded.
  CHECK(op.input_zero_point == InGrid.zero_point);
  for (std::size_t u = 0; u < Units; ++u) {
    long long weight_sum = 0;
    for (std::size_t i = 0; i < In; ++i) weight_sum += e.weights[u * In + i];
    REQUIRE(op.bias[u] == e.bias[u]);
    REQUIRE(m0.bias[u] == e.bias[u] - InGrid.zero_point * weight_sum);
  }
  CHECK(op.requantization.multiplier[0].multiplier == e.multiplier);
  // The byte loops keep the op's weights as they are; the word kernel four to a word, biased.
  if constexpr (requires { m0.weights; }) {
    CHECK(m0.weights == op.weights);
  } else {
    for (std::size_t u = 0; u < Units; ++u)
      for (std::size_t i = 0; i < In; ++i) REQUIRE(m0.weight(u, i) == op.weights[u * In + i]);
  }
  // The M0's requantizer is fitted to the accumulators (fitted_requantization.hpp): checked below
  // against TFLite's arithmetic with the multiplier and shift derived here, as is the reference.
  CHECK(m0.requantizer.form.pieces != 0);
  const int qmin = sizeof...(Clamps) ? std::max(-128, OutGrid.zero_point) : -128;

  std::mt19937 rng(Seed);
  std::uniform_int_distribution<int> code(-128, 127);
  int saturated_low = 0, saturated_high = 0;
  for (int trial = 0; trial < 500; ++trial) {
    std::int8_t x[In], y[Units], z[Units];
    for (auto& v : x) v = static_cast<std::int8_t>(trial == 0 ? -128 : trial == 1 ? 127 : code(rng));
    m0(x, y);
    reference(x, z);
    for (std::size_t u = 0; u < Units; ++u) {
      long long acc = e.bias[u];
      for (std::size_t i = 0; i < In; ++i) acc += e.weights[u * In + i] * (x[i] - InGrid.zero_point);
      const int want = qpipe_test::exact_requantize(static_cast<std::int32_t>(acc), e.multiplier, e.shift,
                                                    OutGrid.zero_point, qmin, 127);
      CHECK(int{y[u]} == want);
      CHECK(int{z[u]} == want);
      saturated_low += want == -128;
      saturated_high += want == 127;
    }
  }
  MESSAGE("dense " << In << "->" << Units << ": " << saturated_low << " outputs at -128, " << saturated_high
                   << " at 127");
}

}  // namespace

TEST_CASE("QDense matches the spec-derived reference") {
  check_dense<1, 1, 1, qpipe::Grid{0.02, 3}, qpipe::Grid{0.01, -5}>();
  check_dense<3, 5, 2, qpipe::Grid{1.0 / 255, -128}, qpipe::Grid{0.02, 10}>();
  check_dense<17, 9, 3, qpipe::Grid{0.05, 17}, qpipe::Grid{0.03, -20}>();
  check_dense<64, 10, 4, qpipe::Grid{0.1, -3}, qpipe::Grid{0.05, 0}>();    // wide: saturates both ends
  check_dense<64, 10, 5, qpipe::Grid{0.1, -3}, qpipe::Grid{3.0, 0}>();     // coarse output grid
  check_dense<8, 8, 6, qpipe::Grid{0.07, 40}, qpipe::Grid{0.05, -60}, qpipe::QRelu>();  // folded ReLU
}

TEST_CASE("a folded ReLU6 clamps at the codes of 0 and 6") {
  constexpr qpipe::Grid out{0.05, -100};  // 6.0 is code -100 + 120 = 20
  constexpr auto op = compiled_op<4, 3, 9, qpipe::Grid{0.1, 0}, out, qpipe::QRelu6>;
  static_assert(op.requantization.clamp.qmin == -100 && op.requantization.clamp.qmax == 20);
  CHECK(m0_kernel<4, 3, 9, qpipe::Grid{0.1, 0}, out, qpipe::QRelu6>.requantizer.clamp.qmax == 20);
}
