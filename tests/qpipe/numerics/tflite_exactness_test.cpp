// The audit of docs/tflite_exactness.md, one test per row: every quantization constant TFLite
// computes in float or double (or in a particular order) is checked at a rounding boundary, with
// scales chosen (by a search over float32 scales, tests/qpipe/numerics/tflite_boundary_search.cpp)
// so that the float and the double computation give different constants. The expected values are
// computed here at run time, apart from the library, with the arithmetic TFLite's source uses
// (float operands in volatile floats so that nothing is folded in another precision, <cmath>'s
// frexp, round, expf and tanhf), and the test shows which side qpipe takes.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include <qpipe.hpp>

#include "reference/requantize_reference.hpp"

using namespace qpipe;

namespace {

struct Tfl {
  long long multiplier;
  int shift;
};

// TFLite's QuantizeMultiplier, from its source: frexp, TfLiteRound(q * 2^31), 2^31 renormalised.
Tfl quantize_multiplier_tflite(double real) {
  int shift = 0;
  const double q = std::frexp(real, &shift);
  long long fixed = std::llround(q * 2147483648.0);
  if (fixed == (1LL << 31)) {
    fixed /= 2;
    ++shift;
  }
  if (shift < -31) return {0, 0};
  return {fixed, shift};
}

// zero_point + TfLiteRound(f / scale) in float: kernel_util.cc's `quantize` lambda.
int activation_code_tflite(float f, float scale, int zero_point) {
  volatile float a = f, b = scale;
  const float quotient = a / b;
  return zero_point + static_cast<int>(std::round(quotient));
}

int activation_code_in_double(double f, double scale, int zero_point) {
  return zero_point + static_cast<int>(std::llround(f / scale));
}

std::array<std::int8_t, 256> every_code() {
  std::array<std::int8_t, 256> x{};
  for (int i = 0; i < 256; ++i) x[i] = static_cast<std::int8_t>(i - 128);
  return x;
}

template <class Model, class Input>
auto on_both_backends(const Model& reference, const auto& m0, const Input& x) {
  const auto r = reference(x);
  REQUIRE(r == m0(x));
  return r;
}

// ---- The two reproductions of the ReLU6 bug -------------------------------------------------------

// 6.0f / 0x1.af286cp-3f is exactly 28.5 in float (28.4999999... in double): TFLite's act_max is
// -123 + 29 = -94, the double computation's -95.
constexpr Grid relu6_grid{0x1.af286cp-3, -123};
static_assert(QRelu6::clamp_on(relu6_grid).qmax == -94 && QRelu6::clamp_on(relu6_grid).qmin == -123);
constexpr auto relu6_spec = make_spec<Pipe<QRelu6>, Shape<256>>(relu6_grid);

// 6.0f / 0x1.d89d8ap-1f is 6.5 in float (6.4999999677 in double): act_max -128 + 7 = -121.
constexpr Grid conv_out{0x1.d89d8ap-1, -128};
static_assert(QRelu6::clamp_on(conv_out).qmax == -121);
constexpr PointwiseConv2DParams<1, 1, std::int8_t> saturating_conv{
    .weights = {{127}}, .bias = {0.0}, .output = conv_out, .weight_scale = {1.0 / 127}};
constexpr auto conv_relu6_spec =
    make_spec<Pipe<QPointwiseConv2D, QRelu6>, Shape<1, 1, 1>>(Grid{0.1, 0}, saturating_conv);

}  // namespace

TEST_CASE("activation range, RELU6 folded or alone: TFLite's float quotient, not the double one") {
  CHECK(activation_code_tflite(6.0f, 0x1.af286cp-3f, -123) == -94);
  CHECK(activation_code_in_double(6.0, 0x1.af286cp-3, -123) == -95);  // the old qpipe value
  CHECK(activation_code_tflite(6.0f, 0x1.d89d8ap-1f, -128) == -121);
  CHECK(activation_code_in_double(6.0, 0x1.d89d8ap-1, -128) == -122);

  static constexpr auto reference = compile<reference_ops::Backend>(relu6_spec);
  static constexpr auto m0 = compile<m0::Backend>(relu6_spec);
  const auto y = on_both_backends(reference, m0, every_code());
  for (int i = 0; i < 256; ++i) {
    const int q = i - 128;
    CHECK(int{y[i]} == (q < -123 ? -123 : q > -94 ? -94 : q));
  }

  static constexpr auto conv_reference = compile<reference_ops::Backend>(conv_relu6_spec);
  static constexpr auto conv_m0 = compile<m0::Backend>(conv_relu6_spec);
  // Input codes 100 and 127 are reals 10 and 12.7: far above 6, so the output is act_max.
  for (std::int8_t x : {std::int8_t{100}, std::int8_t{127}}) {
    const auto out = on_both_backends(conv_reference, conv_m0, std::array<std::int8_t, 1>{x});
    CHECK(int{out[0]} == -121);
  }
  // Real 2.0 (input code 20) is below 6: code round(2 / 0.923) - 128 = -126.
  CHECK(int{on_both_backends(conv_reference, conv_m0, std::array<std::int8_t, 1>{20})[0]} == -126);
}

TEST_CASE("activation range, RELU_N1_TO_1: [-1, 1] quantized in float") {
  // 1.0f / 0x1.bdd2bap-7f is 73.5 in float, 73.4999965 in double.
  constexpr Grid g{0x1.bdd2bap-7, 0};
  CHECK(activation_code_tflite(1.0f, 0x1.bdd2bap-7f, 0) == 74);
  CHECK(activation_code_in_double(1.0, 0x1.bdd2bap-7, 0) == 73);
  CHECK(activation_code_tflite(-1.0f, 0x1.bdd2bap-7f, 0) == -74);
  static_assert(QReluN1To1::clamp_on(g).qmin == -74 && QReluN1To1::clamp_on(g).qmax == 74);
  static constexpr auto s = make_spec<Pipe<QReluN1To1>, Shape<256>>(g);
  static constexpr auto reference = compile<reference_ops::Backend>(s);
  static constexpr auto m0 = compile<m0::Backend>(s);
  const auto y = on_both_backends(reference, m0, every_code());
  for (int i = 0; i < 256; ++i) {
    const int q = i - 128;
    CHECK(int{y[i]} == (q < -74 ? -74 : q > 74 ? 74 : q));
  }
  // Folded into a convolution like QRelu and QRelu6: the clamp of the layer before.
  constexpr PointwiseConv2DParams<1, 1, std::int8_t> conv{
      .weights = {{127}}, .bias = {0.0}, .output = g, .weight_scale = {1.0 / 127}};
  static constexpr auto folded = make_spec<Pipe<QPointwiseConv2D, QReluN1To1>, Shape<1, 1, 1>>(Grid{0.1, 0}, conv);
  static constexpr auto folded_model = compile(folded);
  static_assert(decltype(folded_model)::stage_count == 1);  // no clamp pass: folded
  CHECK(int{folded_model(std::array<std::int8_t, 1>{100})[0]} == 74);
  CHECK(int{folded_model(std::array<std::int8_t, 1>{-100})[0]} == -74);
}

TEST_CASE("activation range fused into pools and the residual add") {
  // MAX_POOL_2D / AVERAGE_POOL_2D and ADD call CalculateActivationRangeQuantized on their output.
  static constexpr auto pool = make_spec<Pipe<QMaxPool2D<1>, QRelu6>, Shape<16, 16, 1>>(relu6_grid);
  static constexpr auto pool_model = compile(pool);
  const auto y = pool_model(every_code());
  for (int i = 0; i < 256; ++i) CHECK(int{y[i]} == std::clamp(i - 128, -123, -94));

  static constexpr auto avg = make_spec<Pipe<QAvgPool2D<1>, QRelu6>, Shape<16, 16, 1>>(relu6_grid);
  CHECK(compile(avg)(every_code()) == y);

  // A residual whose branch is the identity (a 1 x 1 max pool): out = a + a on the add's grid.
  static constexpr auto res = make_spec<Pipe<Residual<Pipe<QMaxPool2D<1>>>, QRelu6>, Shape<16, 16, 1>>(
      Grid{relu6_grid.scale / 2, -123}, ResidualParams{relu6_grid});
  const auto z = compile(res)(every_code());
  for (int i = 0; i < 256; ++i) CHECK(int{z[i]} <= -94);
  CHECK(int{z[255]} == -94);
}

TEST_CASE("effective scale, per-tensor FULLY_CONNECTED: float(input_scale * filter_scale) / output_scale") {
  // GetQuantizedConvolutionMultipler: static_cast<double>(input->params.scale * filter->params.scale).
  constexpr float in = 0x1.4cccccp-7f, w = 0x1.930bep-7f, out = 0x1.22d0e6p-4f;
  volatile float vin = in, vw = w;
  const float product = vin * vw;
  const Tfl tfl = quantize_multiplier_tflite(static_cast<double>(product) / out);
  const Tfl in_double = quantize_multiplier_tflite(double{in} * w / out);
  REQUIRE(tfl.multiplier != in_double.multiplier);  // the boundary: the two precisions disagree
  CHECK(tfl.multiplier == 1934549796);
  CHECK(tfl.shift == -9);

  constexpr DenseParams<2, 3, std::int8_t> p{
      .weights = {{1, -2}, {3, 4}, {-5, 6}}, .bias = {0, 0, 0}, .output = {out, 3}, .weight_scale = w};
  constexpr auto op = QDense<3>::quantize<Shape<2>, DenseParams<2, 3, std::int8_t>>(Grid{in, 0}, p).op;
  CHECK(op.requantization.multiplier[0].multiplier == tfl.multiplier);
  CHECK(op.requantization.multiplier[0].right_shift == -tfl.shift);
}

TEST_CASE("effective scale, CONV_2D per tensor and per channel, QDensePerChannel: double, input * filter / output") {
  // PopulateConvolutionQuantizationParams: double(input) * double(filter) / double(output), per
  // channel (a per-tensor filter scale is broadcast), in that order.
  constexpr float in = 0x1.4cccccp-7f, w0 = 0x1.930bep-7f, w1 = 0x1.5020c4p-7f, out = 0x1.22d0e6p-4f;
  const Tfl c0 = quantize_multiplier_tflite(double{in} * double{w0} / double{out});
  const Tfl c1 = quantize_multiplier_tflite(double{in} * double{w1} / double{out});
  volatile float vin = in, vw = w0;
  const float float_product = vin * vw;
  REQUIRE(quantize_multiplier_tflite(double{float_product} / out).multiplier != c0.multiplier);
  CHECK(c0.multiplier == 1934549860);

  constexpr PointwiseConv2DParams<2, 2, std::int8_t> per_channel{
      .weights = {{1, 2}, {3, 4}}, .bias = {0, 0}, .output = {out, 0}, .weight_scale = {w0, w1}};
  constexpr auto pc =
      QPointwiseConv2DPerChannel::quantize<Shape<1, 1, 2>, decltype(per_channel)>(Grid{in, 0}, per_channel).op;
  CHECK(pc.requantization.multiplier[0].multiplier == c0.multiplier);
  CHECK(pc.requantization.multiplier[1].multiplier == c1.multiplier);
  CHECK(pc.requantization.multiplier[0].right_shift == -c0.shift);

  constexpr PointwiseConv2DParams<2, 2, std::int8_t> per_tensor{
      .weights = {{1, 2}, {3, 4}}, .bias = {0, 0}, .output = {out, 0}, .weight_scale = {w0, w0}};
  constexpr auto pt = QPointwiseConv2D::quantize<Shape<1, 1, 2>, decltype(per_tensor)>(Grid{in, 0}, per_tensor).op;
  CHECK(pt.requantization.multiplier[0].multiplier == c0.multiplier);

  constexpr auto dpc = QDensePerChannel<2>::quantize<Shape<2>, decltype(per_channel)>(Grid{in, 0}, per_channel).op;
  CHECK(dpc.requantization.multiplier[0].multiplier == c0.multiplier);
  CHECK(dpc.requantization.multiplier[1].multiplier == c1.multiplier);
}

TEST_CASE("QuantizeMultiplier: frexp, ties away from zero, the 2^31 case, the smallest shift") {
  // (2^31 - 1/2) / 2^31 rounds half away to 2^31: renormalised to 2^30 with the shift one higher.
  const double tie_up = (2147483648.0 - 0.5) / 2147483648.0;
  const Tfl t = quantize_multiplier_tflite(tie_up);
  CHECK(t.multiplier == (1LL << 30));
  CHECK(t.shift == 1);
  static_assert(quantize_multiplier((2147483648.0 - 0.5) / 2147483648.0) == QuantizedMultiplier{1 << 30, 1});
  // Just below the tie: (2^31 - 1/2 - 2^-22) / 2^31 keeps 2^31 - 1.
  static_assert(quantize_multiplier((2147483648.0 - 0.5 - 0x1p-22) / 2147483648.0) ==
                QuantizedMultiplier{2147483647, 0});
  CHECK(quantize_multiplier_tflite((2147483648.0 - 0.5 - 0x1p-22) / 2147483648.0).multiplier == 2147483647);
  // A tie of the 31-bit rounding: 2^30 + 1/2 units rounds away from zero to 2^30 + 1.
  static_assert(quantize_multiplier((1073741824.0 + 0.5) / 2147483648.0) == QuantizedMultiplier{1073741825, 0});
  CHECK(quantize_multiplier_tflite((1073741824.0 + 0.5) / 2147483648.0).multiplier == 1073741825);
  // Shift -31 is the last one TFLite keeps (2^-32 = 0.5 * 2^-31); below it TFLite flushes the
  // multiplier to 0 and qpipe refuses the layer (tests/fail/multiplier_too_small.cpp).
  static_assert(quantize_multiplier(0x1p-32) == QuantizedMultiplier{1 << 30, -31});
  CHECK(quantize_multiplier_tflite(0x1p-32).shift == -31);
  CHECK(quantize_multiplier_tflite(0x1p-33).multiplier == 0);
  static_assert(detail::try_quantize_multiplier(0x1p-33).status == detail::multiplier_status::too_small);
}

TEST_CASE("AVERAGE_POOL_2D: the integer mean rounds half away from zero") {
  // reference_integer_ops::AveragePool: acc > 0 ? (acc + n/2) / n : (acc - n/2) / n, truncating.
  static_assert(rounding_divide(2, 4) == 1 && rounding_divide(-2, 4) == -1);   // 0.5 and -0.5: away
  static_assert(rounding_divide(6, 4) == 2 && rounding_divide(-6, 4) == -2);   // 1.5, -1.5
  static_assert(rounding_divide(5, 4) == 1 && rounding_divide(-5, 4) == -1);   // 1.25
  static_assert(rounding_divide(4, 9) == 0 && rounding_divide(5, 9) == 1 && rounding_divide(-5, 9) == -1);
  // Through the layer: a 2 x 2 window of {0, 0, 1, 1} (sum 2) and of {0, 0, -1, -1}.
  static constexpr auto s = make_spec<Pipe<QAvgPool2D<2>>, Shape<2, 2, 2>>(Grid{0.1, 0});
  static constexpr auto reference = compile<reference_ops::Backend>(s);
  static constexpr auto m0 = compile<m0::Backend>(s);
  const auto y = on_both_backends(reference, m0, std::array<std::int8_t, 8>{0, 0, 0, 0, 1, -1, 1, -1});
  CHECK(int{y[0]} == 1);
  CHECK(int{y[1]} == -1);
}

TEST_CASE("SOFTMAX: beta * input_scale * 2^26 in double, beta a float32, diff_min by CalculateInputRadius") {
  // PreprocessSoftmaxScaling(double beta, double input_scale, 5): both widened from float first.
  constexpr float beta = 0x1.333334p-2f, scale = 0x1.2c3c9ep-4f;  // 0.3f and 0.0733f
  const Tfl tfl = quantize_multiplier_tflite(double{beta} * double{scale} * 67108864.0);
  volatile float vb = beta, vs = scale;
  const float float_product = vb * vs;
  REQUIRE(quantize_multiplier_tflite(double{float_product} * 67108864.0).multiplier != tfl.multiplier);
  constexpr SoftmaxConstants k = softmax_constants(scale, 0.3);  // 0.3 becomes 0.3f, as in a model
  CHECK(k.input_multiplier == tfl.multiplier);
  CHECK(k.input_left_shift == tfl.shift);
  CHECK(tfl.multiplier == 1511141282);
  // diff_min = -floor(31 * 2^26 / 2^shift): exact in double, pinned at the shifts where it is whole.
  static_assert(softmax_constants(1.0).input_left_shift == 27 && softmax_constants(1.0).diff_min == -15);
  static_assert(softmax_constants(0.5).input_left_shift == 26 && softmax_constants(0.5).diff_min == -31);
  static_assert(softmax_constants(16.0).input_left_shift == 31 && softmax_constants(16.0).diff_min == 0);
  static_assert(softmax_constants(16.0).input_multiplier == 1 << 30);  // 2^30: the first shift of 31
  static_assert(softmax_constants(32.0).input_multiplier == 2147483647);  // 2^31 capped at 2^31 - 1
  static_assert(softmax_constants(1e6).input_multiplier == 2147483647 && softmax_constants(1e6).diff_min == 0);
  // The smallest legal product is just above 2^-26 (TFLite's QuantizeMultiplierGreaterThanOne).
  static_assert(softmax_constants(0x1.0000000000001p-26).input_left_shift == 1);
}

TEST_CASE("LOGISTIC and TANH tables: TFLite's float construction") {
  // activations.cc PopulateLookupTable: x = scale * (q - zp) in float, 1.0f / (1.0f + expf(-x)) or
  // tanhf(x), times 1 / output_scale in float, roundf. At these grids one entry differs from the
  // table evaluated in double (found by tflite_boundary_search.cpp).
  auto sigmoid_entry = [](float scale, int zp, int q) {
    volatile float s = scale;
    const float x = s * static_cast<float>(q - zp);
    const float y = 1.0f / (1.0f + std::exp(-x));
    return static_cast<int>(std::clamp(std::round(y * 256.0f) - 128.0f, -128.0f, 127.0f));
  };
  auto tanh_entry = [](float scale, int zp, int q) {
    volatile float s = scale;
    const float x = s * static_cast<float>(q - zp);
    return static_cast<int>(std::clamp(std::round(std::tanh(x) * 128.0f), -128.0f, 127.0f));
  };
  constexpr Grid sg{0x1.0d536ap-7, 127};
  constexpr Grid tg{0x1.292f7ep-7, -128};
  constexpr Lut s = sigmoid_lut(sg);
  constexpr Lut t = tanh_lut(tg);
  for (int q = -128; q <= 127; ++q) {
    CAPTURE(q);
    CHECK(int{s[q + 128]} == sigmoid_entry(0x1.0d536ap-7f, 127, q));
    CHECK(int{t[q + 128]} == tanh_entry(0x1.292f7ep-7f, -128, q));
  }
  // The boundary entries: double says 29.4999991 -> -99 and 44.4999984 -> 44.
  CHECK(int{s[-121 + 128]} == -98);
  CHECK(int{t[-88 + 128]} == 45);
  const double xs = sg.scale * (-121 - 127), xt = tg.scale * (-88 + 128);
  CHECK(std::lround(256.0 / (1.0 + std::exp(-xs))) - 128 == -99);
  CHECK(std::lround(128.0 * std::tanh(xt)) == 44);

  // Through the layers, on both backends.
  static constexpr auto sig = make_spec<Pipe<QSigmoid>, Shape<256>>(sg);
  const auto y = on_both_backends(compile<reference_ops::Backend>(sig), compile<m0::Backend>(sig), every_code());
  CHECK(int{y[-121 + 128]} == -98);
}

TEST_CASE("ADD: every multiplier in double from the float scales, the sum at 2^20") {
  // add.cc: twice_max = 2 * double(max(s1, s2)); s1 / twice_max, s2 / twice_max and
  // twice_max / (2^20 * double(out)), all double. A float computation would give other constants.
  constexpr float a = 0x1.2fec56p-5f, b = 0x1.a92a3p-5f, o = 0x1.f62b6ap-5f;
  const double twice_max = 2.0 * double{b};
  const Tfl ta = quantize_multiplier_tflite(double{a} / twice_max);
  const Tfl tout = quantize_multiplier_tflite(twice_max / (1048576.0 * double{o}));
  volatile float va = a, vb = b, vo = o;
  const float twice_f = 2.0f * vb;
  const float out_f = twice_f / (1048576.0f * vo);
  const float a_f = va / twice_f;
  REQUIRE(quantize_multiplier_tflite(double{out_f}).multiplier != tout.multiplier);
  REQUIRE(quantize_multiplier_tflite(double{a_f}).multiplier != ta.multiplier);
  constexpr auto op =
      detail::ResidualAdd::quantize<Shape<4>, Shape<4>, ResidualParams>(Grid{a, 1}, Grid{b, -2}, ResidualParams{{o, 5}})
          .op;
  CHECK(((op.arithmetic.rescale_a.high << 11) | op.arithmetic.rescale_a.low) == ta.multiplier);
  CHECK(op.arithmetic.rescale_a.shift == -ta.shift);
  CHECK(op.arithmetic.requantizer.multiplier == tout.multiplier);
  CHECK(op.arithmetic.requantizer.shift == tout.shift);
}

TEST_CASE("MUL: double(s1) * double(s2) / double(s_out), the product first") {
  // mul.cc / mul_common.cc widen each scale and multiply before dividing. A float product (what
  // FULLY_CONNECTED per tensor takes) gives another multiplier at these scales.
  constexpr float a = 0x1.092e46p-6f, b = 0x1.7acd4ep-5f, o = 0x1.ffd946p-7f;
  const Tfl t = quantize_multiplier_tflite(double{a} * double{b} / double{o});
  volatile float va = a, vb = b;
  const float product = va * vb;
  REQUIRE(quantize_multiplier_tflite(double{product} / double{o}).multiplier != t.multiplier);
  constexpr auto op =
      detail::MulMerge::quantize<Shape<4>, Shape<4>, MulParams>(Grid{a, 3}, Grid{b, -1}, MulParams{{o, 0}}).op;
  CHECK(op.requantizer.multiplier == t.multiplier);
  CHECK(op.requantizer.shift == t.shift);
  CHECK(op.offset_a == -3);
  CHECK(op.offset_b == 1);
}

TEST_CASE("QUANTIZE int8 -> int8: double(s_in) / double(s_out)") {
  // quantize_common.cc: the effective scale in double. At these scales code -64 (zero points 3
  // and -7) gives -74; the float quotient's multiplier would give -75.
  constexpr float si = 0x1.58766ep-3f, so = 0x1.55e93ap-3f;
  const Tfl t = quantize_multiplier_tflite(double{si} / double{so});
  volatile float vi = si, vo = so;
  const Tfl in_float = quantize_multiplier_tflite(double{vi / vo});
  const int expected =
      qpipe_test::exact_requantize(-64 - 3, static_cast<std::int32_t>(t.multiplier), t.shift, -7, -128, 127);
  REQUIRE(expected == -74);
  REQUIRE(qpipe_test::exact_requantize(-64 - 3, static_cast<std::int32_t>(in_float.multiplier), in_float.shift, -7,
                                       -128, 127) == -75);
  static constexpr auto q = make_spec<Pipe<QQuantize>, Shape<256>>(Grid{si, 3}, QuantizeParams{{so, -7}});
  const auto y = on_both_backends(compile<reference_ops::Backend>(q), compile<m0::Backend>(q), every_code());
  CHECK(int{y[-64 + 128]} == expected);
}

TEST_CASE("LEAKY_RELU: the alpha multiplier float(float(s_in * alpha) / s_out)") {
  // leaky_relu_common.cc computes both multipliers in float. Code -102 gives -125 with the float
  // alpha multiplier and -126 with the double one.
  constexpr float si = 0x1.4d5f34p-4f, so = 0x1.aa291ep-6f, alpha = 0x1.92a67p-2f;
  volatile float vi = si, vo = so, va = alpha;
  const float product = vi * va;
  const Tfl t = quantize_multiplier_tflite(double{product / vo});
  const Tfl in_double = quantize_multiplier_tflite(double{si} * double{alpha} / double{so});
  const int expected =
      qpipe_test::exact_requantize(-102, static_cast<std::int32_t>(t.multiplier), t.shift, 0, -128, 127);
  REQUIRE(expected == -125);
  REQUIRE(qpipe_test::exact_requantize(-102, static_cast<std::int32_t>(in_double.multiplier), in_double.shift, 0, -128,
                                       127) == -126);
  static constexpr auto l = make_spec<Pipe<QLeakyRelu>, Shape<256>>(Grid{si, 0}, LeakyReluParams{alpha, {so, 0}});
  const auto y = on_both_backends(compile<reference_ops::Backend>(l), compile<m0::Backend>(l), every_code());
  CHECK(int{y[-102 + 128]} == expected);
}

TEST_CASE("HARD_SWISH: hires_input_scale / s_out in float, narrowed to Q15") {
  // activations.cc HardSwishPrepare: (1/128) * s_in and its quotient by s_out, both float, then
  // DownScaleInt32ToInt16Multiplier. The double quotient narrows to 28514, the float one to 28515.
  // (The reluish multiplier divides by 3/32768 in float too; no float32 s_in was found, in 2e7
  // random tries, where that quotient differs from the double one after narrowing.)
  constexpr float si = 0x1.72e8a8p-6f, so = 0x1.aa3cb8p-4f;
  volatile float vi = si, vo = so, k = 1.0f / 128.0f;
  const float hires = k * vi;
  const auto narrow = [](long long m) { return m >= 2147483647 - 32768 ? 32767 : static_cast<int>((m + 32768) >> 16); };
  const Tfl t = quantize_multiplier_tflite(double{hires / vo});
  REQUIRE(narrow(t.multiplier) == 28515);
  REQUIRE(narrow(quantize_multiplier_tflite(double{hires} / double{so}).multiplier) == 28514);
  constexpr auto c = detail::hard_swish_constants(Grid{si, 0}, Grid{so, 0});
  CHECK(c.output_multiplier == 28515);
  CHECK(c.output_exponent == t.shift);
}

TEST_CASE("MEAN: double(s_in) / double(s_out), 1 / count folded in integers; one float32 grid truncates") {
  // TFLite Micro reduce_common.cc: the multiplier in double; QuantizedMeanOrSum folds 1 / count
  // as (multiplier << s) / count, shift - s. With 2 x 2 pixels s = 2 and the fold is exact, so the
  // op holds TFLite's double multiplier (not the float quotient's) with its shift lowered by 2.
  constexpr float si = 0x1.52d656p-3f, so = 0x1.54d1e6p-3f;
  const Tfl t = quantize_multiplier_tflite(double{si} / double{so});
  volatile float vi = si, vo = so;
  REQUIRE(quantize_multiplier_tflite(double{vi / vo}).multiplier != t.multiplier);
  constexpr auto op = QMean::quantize<Shape<2, 2, 3>, MeanParams>(Grid{si, 0}, MeanParams{{so, 0}}).op;
  CHECK(!op.same_grid);
  CHECK(op.requantizer.multiplier == t.multiplier);
  CHECK(op.requantizer.shift == t.shift - 2);
  // EvalIntegerMean compares the float32 scales: grids equal as float32 take the truncating form.
  constexpr auto same = QMean::quantize<Shape<2, 2, 3>, MeanParams>(Grid{0.1, 4}, MeanParams{{0.1 + 1e-12, 4}}).op;
  static_assert(same.same_grid);
  constexpr auto other_zero_point = QMean::quantize<Shape<2, 2, 3>, MeanParams>(Grid{0.1, 4}, MeanParams{{0.1, 5}}).op;
  static_assert(!other_zero_point.same_grid);
}
