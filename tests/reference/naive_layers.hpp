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
inline std::vector<std::int8_t> quantized_weights(const ConvWeights& cw, const std::vector<double>& scales,
                                                  bool depthwise) {
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

// A 2-D window as TFLite describes it: kernel, stride, dilation (a pool has none) and padding.
struct Window {
  int kh, kw;
  int sh = 1, sw = 1;
  int dh = 1, dw = 1;
  bool same = false;
};

// Where a window's outputs lie on one axis: VALID keeps every tap inside the input; SAME gives
// ceil(in / stride) outputs and pads by the shortfall, the odd cell at the end (TFLite's
// ComputePaddingHeightWidth: before = total / 2).
struct AxisPlacement {
  int out, pad_before;
};

inline AxisPlacement place_axis(int in, int k, int stride, int dilation, bool same) {
  const int span = (k - 1) * dilation + 1;
  if (!same) return {valid_out_size(in, span, stride), 0};
  const int out = (in + stride - 1) / stride;
  const int total = std::max(0, (out - 1) * stride + span - in);
  return {out, total / 2};
}

// Calls tap(iy, ix) for every tap of output (y, x) that falls inside the input; padded taps
// are skipped, which is what TFLite's loops do (and, after the input offset, what a zero-point
// border would add: nothing).
template <typename Tap>
void for_each_tap(const Tensor& in, const Window& win, AxisPlacement py, AxisPlacement px, int y, int x, Tap tap) {
  for (int ky = 0; ky < win.kh; ++ky)
    for (int kx = 0; kx < win.kw; ++kx) {
      const int iy = y * win.sh - py.pad_before + ky * win.dh;
      const int ix = x * win.sw - px.pad_before + kx * win.dw;
      if (iy >= 0 && iy < in.h && ix >= 0 && ix < in.w) tap(ky, kx, iy, ix);
    }
}

// TFLite CONV_2D int8: any window (rectangular kernel, stride, dilation, VALID or SAME).
inline Tensor conv2d(const Tensor& in, QGrid in_grid, const ConvWeights& cw, bool per_channel, const Window& win,
                     QGrid out_grid, int qmin, int qmax) {
  if (in.c != cw.in_c) throw std::invalid_argument("conv2d: channel mismatch");
  if (win.kh != cw.kh || win.kw != cw.kw) throw std::invalid_argument("conv2d: window and weights disagree");
  const std::vector<double> scales = weight_scales(cw, per_channel);
  const std::vector<std::int8_t> wq = quantized_weights(cw, scales, false);
  const AxisPlacement py = place_axis(in.h, win.kh, win.sh, win.dh, win.same);
  const AxisPlacement px = place_axis(in.w, win.kw, win.sw, win.dw, win.same);
  Tensor out = make_tensor(py.out, px.out, cw.out_c);
  for (int o = 0; o < cw.out_c; ++o) {
    const double acc_scale = in_grid.scale * scales[static_cast<std::size_t>(o)];
    const std::int32_t bias_q = quantize_bias(bias_of(cw, o), acc_scale);
    const Multiplier m = quantize_multiplier(acc_scale / out_grid.scale);
    for (int y = 0; y < py.out; ++y)
      for (int x = 0; x < px.out; ++x) {
        long long acc = bias_q;
        for_each_tap(in, win, py, px, y, x, [&](int ky, int kx, int iy, int ix) {
          for (int i = 0; i < cw.in_c; ++i) {
            const int wv = wq[((static_cast<std::size_t>(o) * cw.kh + ky) * cw.kw + kx) * cw.in_c + i];
            acc += static_cast<long long>(wv) * (in.at(iy, ix, i) - in_grid.zero_point);
          }
        });
        out.at(y, x, o) =
            exact_requantize(static_cast<std::int32_t>(acc), m.multiplier, m.shift, out_grid.zero_point, qmin, qmax);
      }
  }
  return out;
}

// VALID convolution with a square stride.
inline Tensor conv2d(const Tensor& in, QGrid in_grid, const ConvWeights& cw, bool per_channel, int stride,
                     QGrid out_grid, int qmin, int qmax) {
  return conv2d(in, in_grid, cw, per_channel, Window{cw.kh, cw.kw, stride, stride}, out_grid, qmin, qmax);
}

// TFLite DEPTHWISE_CONV_2D int8, per-channel weights laid out [y][x][c * multiplier + m]: output
// channel c * multiplier + m reads input channel c. Any window.
inline Tensor depthwise_conv2d(const Tensor& in, QGrid in_grid, const ConvWeights& cw, const Window& win,
                               QGrid out_grid, int qmin, int qmax) {
  if (in.c != cw.in_c || cw.out_c % cw.in_c != 0) throw std::invalid_argument("depthwise: channel mismatch");
  if (win.kh != cw.kh || win.kw != cw.kw) throw std::invalid_argument("depthwise: window and weights disagree");
  const int multiplier = cw.out_c / cw.in_c;
  const std::vector<double> scales = weight_scales(cw, true, true);
  const std::vector<std::int8_t> wq = quantized_weights(cw, scales, true);
  const AxisPlacement py = place_axis(in.h, win.kh, win.sh, win.dh, win.same);
  const AxisPlacement px = place_axis(in.w, win.kw, win.sw, win.dw, win.same);
  Tensor out = make_tensor(py.out, px.out, cw.out_c);
  for (int oc = 0; oc < cw.out_c; ++oc) {
    const int ic = oc / multiplier;
    const double acc_scale = in_grid.scale * scales[static_cast<std::size_t>(oc)];
    const std::int32_t bias_q = quantize_bias(bias_of(cw, oc), acc_scale);
    const Multiplier m = quantize_multiplier(acc_scale / out_grid.scale);
    for (int y = 0; y < py.out; ++y)
      for (int x = 0; x < px.out; ++x) {
        long long acc = bias_q;
        for_each_tap(in, win, py, px, y, x, [&](int ky, int kx, int iy, int ix) {
          const int wv = wq[(static_cast<std::size_t>(ky) * cw.kw + kx) * cw.out_c + oc];
          acc += static_cast<long long>(wv) * (in.at(iy, ix, ic) - in_grid.zero_point);
        });
        out.at(y, x, oc) =
            exact_requantize(static_cast<std::int32_t>(acc), m.multiplier, m.shift, out_grid.zero_point, qmin, qmax);
      }
  }
  return out;
}

// Depthwise VALID convolution with a square stride.
inline Tensor depthwise_conv2d(const Tensor& in, QGrid in_grid, const ConvWeights& cw, int stride, QGrid out_grid,
                               int qmin, int qmax) {
  return depthwise_conv2d(in, in_grid, cw, Window{cw.kh, cw.kw, stride, stride}, out_grid, qmin, qmax);
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

// TFLite MAX_POOL_2D int8: the largest code among the window's cells inside the input.
inline Tensor max_pool(const Tensor& in, const Window& win) {
  const AxisPlacement py = place_axis(in.h, win.kh, win.sh, 1, win.same);
  const AxisPlacement px = place_axis(in.w, win.kw, win.sw, 1, win.same);
  Tensor out = make_tensor(py.out, px.out, in.c);
  for (int y = 0; y < py.out; ++y)
    for (int x = 0; x < px.out; ++x)
      for (int ch = 0; ch < in.c; ++ch) {
        int best = -128;
        for_each_tap(in, win, py, px, y, x,
                     [&](int, int, int iy, int ix) { best = std::max(best, static_cast<int>(in.at(iy, ix, ch))); });
        out.at(y, x, ch) = static_cast<std::int8_t>(best);
      }
  return out;
}

inline Tensor max_pool(const Tensor& in, int k, int stride) { return max_pool(in, Window{k, k, stride, stride}); }

// TFLite AVERAGE_POOL_2D int8: the sum of the window's cells inside the input divided by their
// count (under SAME padding the border windows count fewer cells), rounding half away from zero:
// (sum +- count/2) / count in C division.
inline Tensor avg_pool(const Tensor& in, const Window& win) {
  const AxisPlacement py = place_axis(in.h, win.kh, win.sh, 1, win.same);
  const AxisPlacement px = place_axis(in.w, win.kw, win.sw, 1, win.same);
  Tensor out = make_tensor(py.out, px.out, in.c);
  for (int y = 0; y < py.out; ++y)
    for (int x = 0; x < px.out; ++x)
      for (int ch = 0; ch < in.c; ++ch) {
        long long sum = 0, count = 0;
        for_each_tap(in, win, py, px, y, x, [&](int, int, int iy, int ix) {
          sum += in.at(iy, ix, ch);
          ++count;
        });
        out.at(y, x, ch) = static_cast<std::int8_t>(clamp_to(round_div_half_away(sum, count), -128, 127));
      }
  return out;
}

inline Tensor avg_pool(const Tensor& in, int k, int stride) { return avg_pool(in, Window{k, k, stride, stride}); }

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

// TFLite Micro MEAN int8 over height and width (reduce_common.cc's EvalIntegerMean). When the two
// grids are equal (float32 scales and zero points) it is reference_ops::Mean: the sum of the raw
// codes divided by H * W with C's division, which truncates towards zero. Otherwise it is
// QuantizedMeanOrSum: (sum - zp_in * n) times the multiplier of scale_in / scale_out, into which
// 1 / n is folded as (multiplier * 2^s) / n, truncated, with s = min(floor(log2 n), 32,
// 31 + shift) and the shift lowered by s; plus zp_out, clamped.
inline std::vector<std::int8_t> mean(const Tensor& in, QGrid in_grid, QGrid out_grid, int qmin = -128, int qmax = 127) {
  const long long n = static_cast<long long>(in.h) * in.w;
  const bool same = static_cast<float>(in_grid.scale) == static_cast<float>(out_grid.scale) &&
                    in_grid.zero_point == out_grid.zero_point;
  const Multiplier m = quantize_multiplier(in_grid.scale / out_grid.scale);
  int s = 0;
  while ((1LL << (s + 1)) <= n) ++s;
  s = std::min(s, 32);
  s = std::min(s, 31 + m.shift);
  const auto folded = static_cast<std::int32_t>((static_cast<long long>(m.multiplier) << s) / n);
  std::vector<std::int8_t> out(static_cast<std::size_t>(in.c));
  for (int ch = 0; ch < in.c; ++ch) {
    long long sum = 0;
    for (int y = 0; y < in.h; ++y)
      for (int x = 0; x < in.w; ++x) sum += in.at(y, x, ch);
    out[static_cast<std::size_t>(ch)] = same ? static_cast<std::int8_t>(clamp_to(sum / n, qmin, qmax))
                                             : exact_requantize(static_cast<std::int32_t>(sum - in_grid.zero_point * n),
                                                                folded, m.shift - s, out_grid.zero_point, qmin, qmax);
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

inline std::vector<std::int8_t> add(const std::vector<std::int8_t>& a, QGrid ga, const std::vector<std::int8_t>& b,
                                    QGrid gb, QGrid out, int qmin, int qmax) {
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
// Elementwise MUL, CONCATENATION (channels), and the one-input maps QUANTIZE, LEAKY_RELU and
// HARD_SWISH (TFLite int8)
// ---------------------------------------------------------------------------------------------

// (a - zp_a)(b - zp_b) requantized by scale_a * scale_b / scale_out (computed in double).
inline std::vector<std::int8_t> mul(const std::vector<std::int8_t>& a, QGrid ga, const std::vector<std::int8_t>& b,
                                    QGrid gb, QGrid out, int qmin, int qmax) {
  if (a.size() != b.size()) throw std::invalid_argument("mul: size mismatch");
  const Multiplier m = quantize_multiplier(ga.scale * gb.scale / out.scale);
  std::vector<std::int8_t> r(a.size());
  for (std::size_t k = 0; k < a.size(); ++k)
    r[k] = exact_requantize((a[k] - ga.zero_point) * (b[k] - gb.zero_point), m.multiplier, m.shift, out.zero_point,
                            qmin, qmax);
  return r;
}

// Channels of a, then channels of b, at every pixel (codes copied: one grid).
inline Tensor concat_channels(const Tensor& a, const Tensor& b) {
  if (a.h != b.h || a.w != b.w) throw std::invalid_argument("concat: pixel grids differ");
  Tensor out = make_tensor(a.h, a.w, a.c + b.c);
  for (int y = 0; y < a.h; ++y)
    for (int x = 0; x < a.w; ++x) {
      for (int ch = 0; ch < a.c; ++ch) out.at(y, x, ch) = a.at(y, x, ch);
      for (int ch = 0; ch < b.c; ++ch) out.at(y, x, a.c + ch) = b.at(y, x, ch);
    }
  return out;
}

// QUANTIZE int8 -> int8: (q - zp_in) requantized by scale_in / scale_out (double).
inline std::int8_t requantize_code(int q, QGrid in, QGrid out) {
  const Multiplier m = quantize_multiplier(in.scale / out.scale);
  return exact_requantize(q - in.zero_point, m.multiplier, m.shift, out.zero_point, -128, 127);
}

// LEAKY_RELU int8: the identity multiplier scale_in / scale_out for codes at or above the input
// zero point, scale_in * alpha / scale_out below it; both quotients formed in float32 arithmetic
// from float32 operands (TFLite Micro's leaky_relu_common.cc).
inline std::int8_t leaky_relu_code(int q, QGrid in, QGrid out, double alpha) {
  const float s_in = static_cast<float>(in.scale), s_out = static_cast<float>(out.scale), a = static_cast<float>(alpha);
  const float identity = s_in / s_out;
  const float product = s_in * a;
  const float slope = product / s_out;
  const int v = q - in.zero_point;
  const Multiplier m = quantize_multiplier(static_cast<double>(v >= 0 ? identity : slope));
  return exact_requantize(v, m.multiplier, m.shift, out.zero_point, -128, 127);
}

// HARD_SWISH int8, TFLite's 16-bit fixed-point reference kernel, spelled out step by step with
// 64-bit intermediates:
//   multipliers (float arithmetic on float32 scales): hires = scale_in / 128;
//     output multiplier hires / scale_out, relu-ish multiplier hires / (3 / 32768), each
//     QuantizeMultiplier'd to Q31 then rounded to Q15: (m + 2^15) >> 16, 32767 from 2^31 - 2^15 - 1;
//   x = (q - zp_in) * 128;
//   on_out = round_high16(x, output Q15)                (nudged doubling high multiply)
//   r = x, scaled by the relu-ish multiplier and shift (left shifts saturate at int16), then
//       r = (r + 32768) >> 1 maps [-1, 1] onto [0, 1];
//   y = trunc_high16(r, on_out)                         (doubling high multiply, truncating)
//   code = round(y / 2^-output_shift) + zp_out in int16, then clamped to int8.
namespace hard_swish_detail {
inline long long sat16(long long v) { return v < -32768 ? -32768 : (v > 32767 ? 32767 : v); }
inline long long round_high16(long long a, long long b) {  // gemmlowp's int16 SaturatingRoundingDoublingHighMul
  if (a == -32768 && b == -32768) return 32767;
  const long long p = a * b;
  const long long q = p + (p >= 0 ? (1 << 14) : (1 - (1 << 14)));
  return q / 32768;  // C++ division truncates toward zero, as TFLite's
}
inline long long trunc_high16(long long a, long long b) {
  if (a == -32768 && b == -32768) return 32767;
  return (a * b) / 32768;
}
inline long long round_shift_right(long long x, int e) {  // gemmlowp RoundingDivideByPOT
  if (e == 0) return x;
  const long long mask = (1LL << e) - 1, remainder = x & mask, threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}
inline long long q15_of(std::int32_t q31) {
  return q31 >= 2147483647 - 32768 ? 32767 : (static_cast<long long>(q31) + 32768) >> 16;
}
}  // namespace hard_swish_detail

inline std::int8_t hard_swish_code(int q, QGrid in, QGrid out) {
  using namespace hard_swish_detail;
  const float hires = (1.0f / 128.0f) * static_cast<float>(in.scale);
  const float out_real = hires / static_cast<float>(out.scale);
  const float relu_real = hires / (3.0f / 32768.0f);
  const Multiplier mo = quantize_multiplier(static_cast<double>(out_real));
  const Multiplier mr = quantize_multiplier(static_cast<double>(relu_real));
  if (mo.shift > 0) throw std::invalid_argument("hard_swish: TFLite requires output multiplier exponent <= 0");
  const long long x = static_cast<long long>(q - in.zero_point) * 128;
  const long long on_out = round_high16(x, q15_of(mo.multiplier));
  long long r = x;
  if (mr.shift > 0) r = sat16(r * (1LL << (mr.shift - 1)));
  r = round_high16(r, q15_of(mr.multiplier));
  if (mr.shift > 0) r = sat16(r * 2);
  if (mr.shift < 0) r = round_shift_right(r, -mr.shift);
  r = (r + 32768) >> 1;
  const long long y = trunc_high16(r, on_out);
  long long code = round_shift_right(y, -mo.shift) + out.zero_point;
  code = static_cast<std::int16_t>(static_cast<std::uint16_t>(code & 0xffff));  // TFLite adds in int16
  return static_cast<std::int8_t>(code < -128 ? -128 : (code > 127 ? 127 : code));
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
inline Fx one(int ibits) {
  return {ibits == 0 ? raw_max : static_cast<std::int32_t>(std::int64_t{1} << (31 - ibits)), ibits};
}

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
  const std::int32_t low =
      static_cast<std::int32_t>(static_cast<std::uint32_t>(a.raw) & static_cast<std::uint32_t>(quarter - 1));
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
    const fx::Fx prob =
        fx::times(reciprocal, fx::exp_on_negative(scaled_diff(diff)));  // Q0.31, times 2^-bits_over_unit
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
