// The test suite's own int8 layer reference ("naive" layers): plain host C++ loops written from the
// TFLite int8 operator definitions, sharing no code with qpipe. Tests use it as the expected value for
// whole layers, the way requantize_reference.hpp is used for single requantizations.
//
// Conventions: a real value is scale * (q - zero_point); tensors are NHWC without a batch dimension;
// every rounding rule is spelled out where it is used. Nothing here tries to be fast.
#pragma once

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "reference/requantize_reference.hpp"

namespace qpipe_test::naive {

struct QGrid {
  double scale;
  int zero_point;
};

struct Tensor {  // an aggregate: Tensor{h, w, c, values}; make_tensor() for a filled one
  int h = 0, w = 0, c = 0;
  std::vector<std::int8_t> v;

  std::size_t index(int y, int x, int ch) const {
    assert(y >= 0 && y < h && x >= 0 && x < w && ch >= 0 && ch < c);
    assert(v.size() == static_cast<std::size_t>(h) * w * c);
    return (static_cast<std::size_t>(y) * w + x) * c + ch;
  }
  std::int8_t at(int y, int x, int ch) const { return v[index(y, x, ch)]; }
  std::int8_t& at(int y, int x, int ch) { return v[index(y, x, ch)]; }
};

inline Tensor make_tensor(int h, int w, int c, int fill = 0) {
  return Tensor{h, w, c, std::vector<std::int8_t>(static_cast<std::size_t>(h) * w * c, static_cast<std::int8_t>(fill))};
}

struct Multiplier {
  std::int32_t multiplier;
  int shift;
};

// ---------------------------------------------------------------------------------------------
// Scalar helpers
// ---------------------------------------------------------------------------------------------

inline std::int32_t clamp_to(i128 v, std::int32_t lo, std::int32_t hi) {
  if (v < lo) return lo;
  if (v > hi) return hi;
  return static_cast<std::int32_t>(v);
}

// TFLite QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31).
inline Multiplier quantize_multiplier(double real) {
  if (real == 0.0) return {0, 0};
  int exponent = 0;
  const double fraction = std::frexp(real, &exponent);  // real = fraction * 2^exponent, fraction in [0.5, 1)
  long long q = std::llround(fraction * 2147483648.0);   // std::llround: ties away from zero, as TfLiteRound
  if (q == (1LL << 31)) {                                // fraction rounded up to 1.0: renormalise
    q /= 2;
    ++exponent;
  }
  if (exponent < -31) return {0, 0};  // everything would be shifted out: TFLite flushes to zero
  return {static_cast<std::int32_t>(q), exponent};
}

// Round half away from zero of w / scale, symmetric int8 range [-127, 127].
inline std::int8_t quantize_weight(double w, double scale) {
  const double q = std::round(w / scale);  // std::round: ties away from zero
  return static_cast<std::int8_t>(std::clamp(q, -127.0, 127.0));
}

// Round half away from zero of b / scale (saturated to int32, which never happens in sane models).
inline std::int32_t quantize_bias(double b, double scale) {
  const double q = std::round(b / scale);
  return static_cast<std::int32_t>(std::clamp(q, -2147483648.0, 2147483647.0));
}

// x / d for d > 0, rounded to nearest with ties away from zero (exact integer arithmetic).
inline long long round_div_half_away(long long x, long long d) {
  const long long mag = (2 * (x < 0 ? -x : x) + d) / (2 * d);
  return x < 0 ? -mag : mag;
}

// ---------------------------------------------------------------------------------------------
// Padding
// ---------------------------------------------------------------------------------------------

inline Tensor pad(const Tensor& in, int top, int bottom, int left, int right, int fill) {
  Tensor out = make_tensor(in.h + top + bottom, in.w + left + right, in.c, fill);
  for (int y = 0; y < in.h; ++y)
    for (int x = 0; x < in.w; ++x)
      for (int ch = 0; ch < in.c; ++ch) out.at(y + top, x + left, ch) = in.at(y, x, ch);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Convolution family
// ---------------------------------------------------------------------------------------------

// Float conv parameters, weights OHWI: w[((o*kh + y)*kw + x)*in_c + i] (depthwise: [y][x][c]).
// given_scales empty: scales derived from the float weights (symmetric max|w| / 127). Non-empty:
// one scale (per tensor) or one per output channel. int8_weights non-empty: used as is, with
// given_scales as their scales.
struct ConvWeights {
  int kh, kw, in_c, out_c;
  std::vector<double> w;
  std::vector<double> bias;
  std::vector<double> given_scales;
  std::vector<std::int8_t> int8_weights;
};

// Scale of each of `channels` groups; channel_of(k) says to which output channel flat weight k
// belongs. An all-zero channel (per-channel mode) takes the largest scale of the others.
// If every weight is zero there is no scale to derive: 1.0 is used (an arbitrary choice of this
// reference; TFLite does not define it either).
template <typename ChannelOf>
std::vector<double> derive_scales(const std::vector<double>& w, int channels, bool per_channel, ChannelOf channel_of) {
  std::vector<double> max_abs(static_cast<std::size_t>(channels), 0.0);
  double overall = 0.0;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const double a = std::fabs(w[k]);
    double& m = max_abs[static_cast<std::size_t>(channel_of(k))];
    m = std::max(m, a);
    overall = std::max(overall, a);
  }
  std::vector<double> scales(static_cast<std::size_t>(channels));
  if (!per_channel) {
    std::fill(scales.begin(), scales.end(), overall > 0.0 ? overall / 127.0 : 1.0);
    return scales;
  }
  double largest = 0.0;
  for (int o = 0; o < channels; ++o) {
    scales[static_cast<std::size_t>(o)] = max_abs[static_cast<std::size_t>(o)] / 127.0;
    largest = std::max(largest, scales[static_cast<std::size_t>(o)]);
  }
  if (largest == 0.0) largest = 1.0;
  for (double& s : scales)
    if (s == 0.0) s = largest;
  return scales;
}

// The weight scale of every output channel (per tensor: the same value repeated).
inline std::vector<double> weight_scales(const ConvWeights& cw, bool per_channel, bool depthwise = false) {
  const int channels = cw.out_c;
  if (!cw.given_scales.empty()) {
    if (cw.given_scales.size() == 1) return std::vector<double>(static_cast<std::size_t>(channels), cw.given_scales[0]);
    if (cw.given_scales.size() != static_cast<std::size_t>(channels))
      throw std::invalid_argument("given_scales: need 1 or out_c entries");
    return cw.given_scales;
  }
  if (!cw.int8_weights.empty()) throw std::invalid_argument("int8_weights need given_scales");
  if (depthwise)  // [y][x][c]: the channel is the fastest index
    return derive_scales(cw.w, channels, per_channel, [&](std::size_t k) { return static_cast<int>(k % channels); });
  const std::size_t per_o = static_cast<std::size_t>(cw.kh) * cw.kw * cw.in_c;  // OHWI: o is the slowest index
  return derive_scales(cw.w, channels, per_channel, [&](std::size_t k) { return static_cast<int>(k / per_o); });
}

// The int8 weights, in the same layout as the float ones.
inline std::vector<std::int8_t> quantized_weights(const ConvWeights& cw, const std::vector<double>& scales, bool depthwise) {
  if (!cw.int8_weights.empty()) return cw.int8_weights;
  std::vector<std::int8_t> q(cw.w.size());
  const std::size_t per_o = static_cast<std::size_t>(cw.kh) * cw.kw * cw.in_c;
  for (std::size_t k = 0; k < cw.w.size(); ++k) {
    const std::size_t o = depthwise ? k % static_cast<std::size_t>(cw.out_c) : k / per_o;
    q[k] = quantize_weight(cw.w[k], scales[o]);
  }
  return q;
}

inline double bias_of(const ConvWeights& cw, int o) {
  return cw.bias.empty() ? 0.0 : cw.bias[static_cast<std::size_t>(o)];
}

inline int valid_out_size(int in, int k, int stride) {
  if (in < k) throw std::invalid_argument("window larger than input");
  return (in - k) / stride + 1;
}

// VALID convolution, TFLite CONV_2D int8 semantics.
inline Tensor conv2d(const Tensor& in, QGrid in_grid, const ConvWeights& cw, bool per_channel, int stride, QGrid out_grid,
                     int qmin, int qmax) {
  if (in.c != cw.in_c) throw std::invalid_argument("conv2d: channel mismatch");
  const std::vector<double> scales = weight_scales(cw, per_channel);
  const std::vector<std::int8_t> wq = quantized_weights(cw, scales, false);
  const int oh = valid_out_size(in.h, cw.kh, stride), ow = valid_out_size(in.w, cw.kw, stride);
  Tensor out = make_tensor(oh, ow, cw.out_c);
  for (int o = 0; o < cw.out_c; ++o) {
    const double acc_scale = in_grid.scale * scales[static_cast<std::size_t>(o)];
    const std::int32_t bias_q = quantize_bias(bias_of(cw, o), acc_scale);
    const Multiplier m = quantize_multiplier(acc_scale / out_grid.scale);
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x) {
        long long acc = bias_q;
        for (int ky = 0; ky < cw.kh; ++ky)
          for (int kx = 0; kx < cw.kw; ++kx)
            for (int i = 0; i < cw.in_c; ++i) {
              const int wv = wq[((static_cast<std::size_t>(o) * cw.kh + ky) * cw.kw + kx) * cw.in_c + i];
              const int iv = in.at(y * stride + ky, x * stride + kx, i) - in_grid.zero_point;
              acc += static_cast<long long>(wv) * iv;
            }
        out.at(y, x, o) = exact_requantize(static_cast<std::int32_t>(acc), m.multiplier, m.shift, out_grid.zero_point, qmin, qmax);
      }
  }
  return out;
}

// Depthwise VALID convolution, depth multiplier 1, per-channel weights laid out [y][x][c].
inline Tensor depthwise_conv2d(const Tensor& in, QGrid in_grid, const ConvWeights& cw, int stride, QGrid out_grid, int qmin,
                               int qmax) {
  if (in.c != cw.in_c || cw.in_c != cw.out_c) throw std::invalid_argument("depthwise: channel mismatch");
  const int channels = in.c;
  const std::vector<double> scales = weight_scales(cw, true, true);
  const std::vector<std::int8_t> wq = quantized_weights(cw, scales, true);
  const int oh = valid_out_size(in.h, cw.kh, stride), ow = valid_out_size(in.w, cw.kw, stride);
  Tensor out = make_tensor(oh, ow, channels);
  for (int ch = 0; ch < channels; ++ch) {
    const double acc_scale = in_grid.scale * scales[static_cast<std::size_t>(ch)];
    const std::int32_t bias_q = quantize_bias(bias_of(cw, ch), acc_scale);
    const Multiplier m = quantize_multiplier(acc_scale / out_grid.scale);
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x) {
        long long acc = bias_q;
        for (int ky = 0; ky < cw.kh; ++ky)
          for (int kx = 0; kx < cw.kw; ++kx) {
            const int wv = wq[(static_cast<std::size_t>(ky) * cw.kw + kx) * channels + ch];
            const int iv = in.at(y * stride + ky, x * stride + kx, ch) - in_grid.zero_point;
            acc += static_cast<long long>(wv) * iv;
          }
        out.at(y, x, ch) = exact_requantize(static_cast<std::int32_t>(acc), m.multiplier, m.shift, out_grid.zero_point, qmin, qmax);
      }
  }
  return out;
}

// Fully connected, per-tensor symmetric weights [unit][input], input read flat.
inline std::vector<std::int8_t> dense(const std::vector<std::int8_t>& in, QGrid in_grid, const std::vector<double>& w,
                                      const std::vector<double>& bias, int units, QGrid out_grid, int qmin, int qmax) {
  const std::size_t inputs = in.size();
  if (w.size() != inputs * static_cast<std::size_t>(units)) throw std::invalid_argument("dense: weight count");
  const double w_scale = derive_scales(w, 1, false, [](std::size_t) { return 0; })[0];
  const double acc_scale = in_grid.scale * w_scale;
  const Multiplier m = quantize_multiplier(acc_scale / out_grid.scale);
  std::vector<std::int8_t> out(static_cast<std::size_t>(units));
  for (int u = 0; u < units; ++u) {
    long long acc = quantize_bias(bias.empty() ? 0.0 : bias[static_cast<std::size_t>(u)], acc_scale);
    for (std::size_t i = 0; i < inputs; ++i)
      acc += static_cast<long long>(quantize_weight(w[static_cast<std::size_t>(u) * inputs + i], w_scale)) *
             (in[i] - in_grid.zero_point);
    out[static_cast<std::size_t>(u)] =
        exact_requantize(static_cast<std::int32_t>(acc), m.multiplier, m.shift, out_grid.zero_point, qmin, qmax);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pooling
// ---------------------------------------------------------------------------------------------

inline Tensor max_pool(const Tensor& in, int k, int stride) {
  const int oh = valid_out_size(in.h, k, stride), ow = valid_out_size(in.w, k, stride);
  Tensor out = make_tensor(oh, ow, in.c);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x)
      for (int ch = 0; ch < in.c; ++ch) {
        int best = -128;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) best = std::max(best, static_cast<int>(in.at(y * stride + ky, x * stride + kx, ch)));
        out.at(y, x, ch) = static_cast<std::int8_t>(best);
      }
  return out;
}

// Sum of the window, divided by the count rounding half away from zero (TFLite int8 AVERAGE_POOL_2D:
// (sum +- count/2) / count in C division; for odd counts no tie exists and both rules agree).
inline Tensor avg_pool(const Tensor& in, int k, int stride) {
  const int oh = valid_out_size(in.h, k, stride), ow = valid_out_size(in.w, k, stride);
  Tensor out = make_tensor(oh, ow, in.c);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x)
      for (int ch = 0; ch < in.c; ++ch) {
        long long sum = 0;
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) sum += in.at(y * stride + ky, x * stride + kx, ch);
        out.at(y, x, ch) = static_cast<std::int8_t>(clamp_to(round_div_half_away(sum, static_cast<long long>(k) * k), -128, 127));
      }
  return out;
}

inline std::vector<std::int8_t> global_avg_pool(const Tensor& in) {
  std::vector<std::int8_t> out(static_cast<std::size_t>(in.c));
  for (int ch = 0; ch < in.c; ++ch) {
    long long sum = 0;
    for (int y = 0; y < in.h; ++y)
      for (int x = 0; x < in.w; ++x) sum += in.at(y, x, ch);
    out[static_cast<std::size_t>(ch)] =
        static_cast<std::int8_t>(clamp_to(round_div_half_away(sum, static_cast<long long>(in.h) * in.w), -128, 127));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Elementwise ADD (TFLite int8)
// ---------------------------------------------------------------------------------------------

struct AddParams {
  int left_shift;
  Multiplier a, b, out;
};

inline AddParams add_params(QGrid ga, QGrid gb, QGrid out) {
  const int left_shift = 20;
  const double twice_max = 2.0 * std::max(ga.scale, gb.scale);
  return {left_shift, quantize_multiplier(ga.scale / twice_max), quantize_multiplier(gb.scale / twice_max),
          quantize_multiplier(twice_max / (static_cast<double>(1 << left_shift) * out.scale))};
}

inline std::vector<std::int8_t> add(const std::vector<std::int8_t>& a, QGrid ga, const std::vector<std::int8_t>& b, QGrid gb,
                                    QGrid out, int qmin, int qmax) {
  if (a.size() != b.size()) throw std::invalid_argument("add: size mismatch");
  const AddParams p = add_params(ga, gb, out);
  std::vector<std::int8_t> r(a.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    const std::int32_t a_shifted = (a[k] - ga.zero_point) * (1 << p.left_shift);  // |.| <= 255 * 2^20: fits
    const std::int32_t b_shifted = (b[k] - gb.zero_point) * (1 << p.left_shift);
    const std::int32_t a_scaled = exact_multiply(a_shifted, p.a.multiplier, p.a.shift);
    const std::int32_t b_scaled = exact_multiply(b_shifted, p.b.multiplier, p.b.shift);
    const std::int32_t sum = a_scaled + b_scaled;  // each is at most half of 255 * 2^20 in magnitude
    r[k] = exact_requantize(sum, p.out.multiplier, p.out.shift, out.zero_point, qmin, qmax);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// SOFTMAX (TFLite int8 reference kernel, beta = 1, output scale 1/256 zero point -128)
// ---------------------------------------------------------------------------------------------
//
// The kernel works on 32-bit fixed-point numbers "Q(i).(31-i)": a raw int32 r with i integer bits
// stands for r / 2^(31 - i). Here each such number carries its integer-bit count at run time (Fx),
// and every primitive is written from its definition in 128-bit integer arithmetic.
namespace fx {

struct Fx {
  std::int32_t raw;
  int ibits;  // integer bits; 31 - ibits fractional bits
};

constexpr std::int32_t raw_max = 2147483647;

// Round-to-nearest constant for `value` in a format with `ibits` integer bits (what gemmlowp writes
// as literals; the self test checks that these agree with gemmlowp's published numbers).
inline std::int32_t constant_raw(double value, int ibits) {
  return clamp_to(static_cast<i128>(std::llround(std::ldexp(value, 31 - ibits))), int32_min, raw_max);
}

// The value 1 in a format: with 0 integer bits it cannot be represented and the largest raw is used.
inline Fx one(int ibits) { return {ibits == 0 ? raw_max : static_cast<std::int32_t>(std::int64_t{1} << (31 - ibits)), ibits}; }

// Addition and subtraction of same-format numbers: plain integer sums. In this algorithm they never
// leave int32; a throw would flag a misuse of the reference rather than wrap silently.
inline Fx plus(Fx a, Fx b) {
  if (a.ibits != b.ibits) throw std::logic_error("fx::plus: formats differ");
  const i128 s = i128{a.raw} + b.raw;
  if (s < int32_min || s > raw_max) throw std::logic_error("fx::plus: overflow");
  return {static_cast<std::int32_t>(s), a.ibits};
}
inline Fx minus(Fx a, Fx b) { return plus(a, {static_cast<std::int32_t>(-i128{b.raw}), b.ibits}); }

// Product: (a.raw * b.raw) / 2^31 rounded to nearest, ties toward +infinity, with the one
// overflowing case (-1 * -1 in Q0.31) saturated; formats add their integer bits.
inline Fx times(Fx a, Fx b) { return {exact_doubling_high_mul(a.raw, b.raw), a.ibits + b.ibits}; }

// raw * 2^e: for e > 0 saturated to int32; for e < 0 rounded to nearest, ties away from zero.
inline std::int32_t mul_pot(std::int32_t raw, int e) {
  if (e >= 0) return clamp_to(i128{raw} << e, int32_min, raw_max);
  return exact_divide_by_pot(raw, -e);
}

// Same value in another format (gemmlowp Rescale): shifts the raw by the change of integer bits.
inline Fx rescale(Fx a, int new_ibits) { return {mul_pot(a.raw, a.ibits - new_ibits), new_ibits}; }

// (a + b) / 2 rounded to nearest, ties away from zero, computed without overflow.
inline Fx half_sum(Fx a, Fx b) {
  if (a.ibits != b.ibits) throw std::logic_error("fx::half_sum: formats differ");
  const i128 s = i128{a.raw} + b.raw;
  const i128 mag = ((s < 0 ? -s : s) + 1) / 2;
  return {static_cast<std::int32_t>(s < 0 ? -mag : mag), a.ibits};
}

// Count of leading zero bits of a positive 32-bit value.
inline int leading_zeros(std::uint32_t x) {
  int n = 0;
  for (std::uint32_t bit = 0x80000000u; bit != 0 && (x & bit) == 0; bit >>= 1) ++n;
  return n;
}

// exp(a) for a in [-1/4, 0), a in Q0.31: Taylor polynomial of degree 4 around -1/8,
// exp(a) = exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24) with x = a + 1/8.
inline Fx exp_quarter_interval(Fx a) {
  const Fx exp_minus_eighth{constant_raw(std::exp(-0.125), 0), 0};  // 1895147668
  const Fx one_third{constant_raw(1.0 / 3.0, 0), 0};                 // 715827883
  const Fx x = plus(a, Fx{1 << 28, 0});                              // + 1/8
  const Fx x2 = times(x, x);
  const Fx x3 = times(x2, x);
  const Fx x4 = times(x2, x2);
  const Fx x4_over_4 = {mul_pot(x4.raw, -2), 0};
  // ((x^4/4 + x^3) / 3 + x^2) / 2 = x^4/24 + x^3/6 + x^2/2
  const Fx poly_tail = {mul_pot(plus(times(plus(x4_over_4, x3), one_third), x2).raw, -1), 0};
  return plus(exp_minus_eighth, times(exp_minus_eighth, plus(x, poly_tail)));
}

// Factor exp(-2^k) in Q0.31, for the bits k = -2 .. 4 of the input magnitude.
inline std::int32_t exp_of_minus_pot(int k) { return constant_raw(std::exp(-std::ldexp(1.0, k)), 0); }

// exp(a) for a <= 0 in Q5.26 (ibits 5), result in Q0.31. Write -a = n/4 + r' with the 1/4 part
// handled by exp_quarter_interval: a mod 1/4 - 1/4 lies in [-1/4, 0); the remaining multiple of
// 1/4 (below 32) is taken apart bit by bit, multiplying by exp(-2^k) for each set bit.
inline Fx exp_on_negative(Fx a) {
  if (a.ibits != 5) throw std::logic_error("exp_on_negative: written for Q5.26 input");
  const int frac_bits = 31 - a.ibits;                   // 26
  const std::int32_t quarter = 1 << (frac_bits - 2);    // 1/4 in Q5.26
  // a mod 1/4 (non-negative remainder), then - 1/4: two's complement low bits of the raw.
  const std::int32_t low = static_cast<std::int32_t>(static_cast<std::uint32_t>(a.raw) & static_cast<std::uint32_t>(quarter - 1));
  const Fx reduced{low - quarter, a.ibits};             // in [-1/4, 0)
  Fx result = exp_quarter_interval(rescale(reduced, 0));
  const std::int32_t rest = reduced.raw - a.raw;        // = -a + reduced >= 0, a multiple of 1/4
  for (int k = -2; k <= 4; ++k)                         // bit of 2^k in Q5.26 is bit 26 + k
    if (rest & (std::int32_t{1} << (frac_bits + k))) result = times(result, Fx{exp_of_minus_pot(k), 0});
  if (a.raw == 0) result = one(0);
  return result;
}

// 1 / (1 + a) for a in [0, 1) in Q0.31, result in Q0.31: three Newton-Raphson steps on
// d = (1 + a) / 2 in [1/2, 1), starting from 48/17 - 32/17 * d, then halved.
inline Fx one_over_one_plus(Fx a) {
  const Fx d = half_sum(a, one(0));                                // (1 + a) / 2, Q0.31
  const Fx c48_17{constant_raw(48.0 / 17.0, 2), 2};                // 1515870810
  const Fx c_neg32_17{constant_raw(-32.0 / 17.0, 2), 2};           // -1010580540
  Fx x = plus(c48_17, times(d, c_neg32_17));                       // Q2.29
  for (int step = 0; step < 3; ++step) {
    const Fx e = minus(one(2), times(d, x));                       // 1 - d x, Q2.29
    x = plus(x, rescale(times(x, e), 2));                          // x + x (1 - d x)
  }
  // x ~ 1/d = 2 / (1 + a): reading the same raw as Q1.30 halves it; then back to Q0.31.
  return rescale(Fx{x.raw, 1}, 0);
}

}  // namespace fx

struct SoftmaxParams {
  std::int32_t input_multiplier;
  int input_left_shift;
  int diff_min;
};

// TFLite PreprocessSoftmaxScaling + CalculateInputRadius for beta = 1 and 5 integer bits of the
// scaled difference: the multiplier turns an input-code difference into Q5.26 (scale * 2^26,
// capped at 2^31 - 1), and diff_min is the most negative difference that still fits below 32.
inline SoftmaxParams softmax_params(double input_scale, double beta = 1.0) {
  constexpr int integer_bits = 5;
  const double real = std::min(beta * input_scale * static_cast<double>(std::int64_t{1} << (31 - integer_bits)),
                               static_cast<double>((std::int64_t{1} << 31) - 1));
  if (!(real > 1.0)) throw std::invalid_argument("softmax: input scale too small (TFLite requires multiplier > 1)");
  const Multiplier m = quantize_multiplier(real);
  if (m.shift < 0) throw std::logic_error("softmax: negative left shift");
  const double radius = static_cast<double>((1 << integer_bits) - 1) *
                        static_cast<double>(std::int64_t{1} << (31 - integer_bits)) /
                        static_cast<double>(std::int64_t{1} << m.shift);
  return {m.multiplier, m.shift, -static_cast<int>(std::floor(radius))};
}

// The kernel itself, for given parameters (as CMSIS-NN's arm_softmax_s8 takes them).
inline std::vector<std::int8_t> softmax_with_params(const std::vector<std::int8_t>& row, SoftmaxParams p) {
  std::vector<std::int8_t> out(row.size());
  if (row.empty()) return out;
  int max_in_row = -128;
  for (std::int8_t v : row) max_in_row = std::max(max_in_row, static_cast<int>(v));

  // diff * 2^shift * multiplier / 2^31, rounded as the doubling high multiply; the product
  // diff * 2^shift stays below 31 * 2^26 in magnitude because diff >= diff_min.
  auto scaled_diff = [&](int diff) {
    const i128 shifted = i128{diff} * (i128{1} << p.input_left_shift);
    return fx::Fx{exact_doubling_high_mul(clamp_to(shifted, int32_min, int32_max), p.input_multiplier), 5};
  };

  fx::Fx sum{0, 12};  // Q12.19: room for up to 4095 terms of at most 1
  for (std::int8_t v : row) {
    const int diff = v - max_in_row;
    if (diff >= p.diff_min) sum = fx::plus(sum, fx::rescale(fx::exp_on_negative(scaled_diff(diff)), 12));
  }

  // 1 / sum: sum = 2^(12 - lz) * (1 + f) with lz leading zeros of the raw; the reciprocal of
  // (1 + f) is kept in Q0.31 and the power of two, bits_over_unit = 12 - lz, applied at the end.
  const int lz = fx::leading_zeros(static_cast<std::uint32_t>(sum.raw));
  const int bits_over_unit = 12 - lz;
  const std::uint32_t normalised = static_cast<std::uint32_t>(sum.raw) << lz;  // top bit set: 1.f
  const fx::Fx f{static_cast<std::int32_t>(normalised - 0x80000000u), 0};
  const fx::Fx reciprocal = fx::one_over_one_plus(f);

  for (std::size_t k = 0; k < row.size(); ++k) {
    const int diff = row[k] - max_in_row;
    if (diff < p.diff_min) {
      out[k] = -128;
      continue;
    }
    const fx::Fx prob = fx::times(reciprocal, fx::exp_on_negative(scaled_diff(diff)));  // Q0.31, times 2^-bits_over_unit
    // to 1/256 units: divide by 2^(31 - 8 + bits_over_unit), ties away from zero
    const std::int32_t units = exact_divide_by_pot(prob.raw, bits_over_unit + 31 - 8);
    out[k] = static_cast<std::int8_t>(clamp_to(i128{units} - 128, -128, 127));
  }
  return out;
}

inline std::vector<std::int8_t> softmax(const std::vector<std::int8_t>& row, QGrid in_grid) {
  return softmax_with_params(row, softmax_params(in_grid.scale));
}

}  // namespace qpipe_test::naive
