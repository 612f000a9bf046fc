// The M0 assembly loops of include/qpipe/detail/dot.hpp against plain sums, on the target itself:
// paired and four-channel rows for every row length remainder (Row % 4 = 0..3), one and several
// rows, strides at and beyond the immediates' range (the C++ path), and the
// depthwise channel pairs for K = 1, 2, 3, 5, for one pixel and for two; and the padding pass (detail/pad_runs.hpp: whole
// words between aligned buffers, bytes otherwise) against the padded image written cell by cell;
// and the lane-packed 1 x 1 kernel (detail/lane_pointwise.hpp: two products per multiply, its
// channel loop with the fitted requantization in assembly) against the sum and the fitted formula
// written out in 64 bits, for 1 to 4 input pairs, odd input counts, both clamps saturating; and
// the depthwise layer's channel loop (detail/depthwise_channels.hpp: its MACs and the folded
// halves requantization in assembly) against the sum and the folded formula in 64 bits, for
// K = 2, 3, 5, strides 1 and 2, both clamps saturating; and the 1 x 1 pair kernel
// (detail/pointwise_pairs.hpp: the pixel's inputs packed in pairs on the stack, two channels a
// pass, the second offset for acc < 0) the same way, for 12 to 32 inputs (steps of two and four
// pairs) and 4 to 16 channels; and the K x K lane kernel's
// window loop (detail/window_lanes.hpp: input pairs along a kernel row times four channels' lane
// weights) against the plain sum, for rows of 2 to 30 inputs, odd and even pair counts, with and
// without a last input alone, row steps up to the immediate's 255, and its requantization of a
// group's four outputs in assembly (window_codes_m0) against the folded formula; and the
// depthwise row-pixel loops (3 x 3, strides 1 and 2, passes of 1 to 6 pixels, any channel count). The lane, depthwise and
// pair loops run twice: reading the layer word's fields, and taking them as immediates
// (WordImmediates, as under qpipe::run) for three fixed clamps.
// On the host the same program checks the C++ path. Prints the number of mismatches; exit status
// 0 only if there are none.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <new>

#include "qpipe/backends/m0/depthwise.hpp"
#include "qpipe/backends/m0/dot.hpp"
#include "qpipe/backends/m0/pad.hpp"
#include "qpipe/backends/m0/pointwise_lanes.hpp"
#include "qpipe/backends/m0/pointwise_pairs.hpp"
#include "qpipe/backends/m0/window_lanes.hpp"

namespace {

std::int8_t w0[1024], w1[1024], x[4096];
// The kernels of the lane, depthwise and four-channel checks, one at a time: statics each would not
// fit the micro:bit's 16 KiB of RAM beside the buffers, nor its 2 KiB stack.
alignas(8) unsigned char kernel_storage[1536];
template <class Kernel>
Kernel& fresh_kernel() {
  static_assert(sizeof(Kernel) <= sizeof kernel_storage);
  return *new (kernel_storage) Kernel{};
}
alignas(4) std::int8_t padded[4200];

// Pads x (offset by `shift` bytes, so that the words path meets unaligned buffers too) into
// padded + shift; checks every output byte and that nothing after the image was written.
template <std::size_t H, std::size_t W, std::size_t C, std::size_t T, std::size_t B, std::size_t L, std::size_t R>
int check_pad(std::size_t shift) {
  constexpr std::size_t OH = H + T + B, OW = W + L + R;
  static_assert(OH * OW * C + 8 <= sizeof padded);
  for (auto& v : padded) v = 99;
  const std::int8_t fill = -7;
  qpipe::m0::write_pad<C % 4 == 0>(x + shift, padded + shift, qpipe::m0::pad_runs<H, W, C, T, B, L, R>, fill);
  int bad = 0;
  for (std::size_t y = 0; y < OH; ++y)
    for (std::size_t ox = 0; ox < OW; ++ox)
      for (std::size_t c = 0; c < C; ++c) {
        const bool inside = y >= T && y < T + H && ox >= L && ox < L + W;
        const std::int8_t want = inside ? x[shift + ((y - T) * W + (ox - L)) * C + c] : fill;
        bad += padded[shift + (y * OW + ox) * C + c] != want;
      }
  for (std::size_t i = shift + OH * OW * C; i < shift + OH * OW * C + 4; ++i) bad += padded[i] != 99;
  return bad != 0;
}

template <std::size_t Row, std::size_t Rows, std::size_t Stride>
int check_pair() {
  std::int32_t a0 = 7, a1 = -3, b0 = 7, b1 = -3;
  qpipe::m0::dot_pair<Row, Rows, Stride>(w0, w1, x, a0, a1);
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t i = 0; i < Row; ++i) {
      b0 += w0[r * Row + i] * x[r * Stride + i];
      b1 += w1[r * Row + i] * x[r * Stride + i];
    }
  return a0 != b0 || a1 != b1;
}

template <std::size_t Row, std::size_t Rows, std::size_t Stride, std::size_t ChannelStride>
int check_quad() {
  std::int32_t got[4] = {1, -2, 3, -4}, want[4] = {1, -2, 3, -4};
  qpipe::m0::dot_quad<Row, Rows, Stride, ChannelStride>(w0, x, got);
  int bad = 0;
  for (std::size_t j = 0; j < 4; ++j) {
    for (std::size_t r = 0; r < Rows; ++r)
      for (std::size_t i = 0; i < Row; ++i) want[j] += w0[j * ChannelStride + r * Row + i] * x[r * Stride + i];
    bad += got[j] != want[j];
  }
  return bad;
}

template <std::size_t K, std::size_t C, std::size_t RowStride>
int check_depthwise() {
  int bad = 0;
  for (std::size_t c = 0; c + 1 < C; c += 2) {
    std::int32_t a0 = 5, a1 = -9, b0 = 5, b1 = -9;
    qpipe::m0::depthwise_pair<K, C, RowStride>(w0 + c, x + c, a0, a1);
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t kx = 0; kx < K; ++kx) {
        b0 += w0[(ky * K + kx) * C + c] * x[ky * RowStride + kx * C + c];
        b1 += w0[(ky * K + kx) * C + c + 1] * x[ky * RowStride + kx * C + c + 1];
      }
    bad += a0 != b0 || a1 != b1;
  }
  return bad;
}

// Two pixels whose windows are PixelStride apart, against the same sums.
template <std::size_t K, std::size_t C, std::size_t RowStride, std::size_t PixelStride>
int check_depthwise_quad() {
  int bad = 0;
  for (std::size_t c = 0; c + 1 < C; c += 2) {
    std::int32_t got[4] = {5, -9, 11, 2}, want[4] = {5, -9, 11, 2};
    qpipe::m0::depthwise_quad<K, C, RowStride, PixelStride>(w0 + c, x + c, got);
    for (std::size_t p = 0; p < 2; ++p)
      for (std::size_t ky = 0; ky < K; ++ky)
        for (std::size_t kx = 0; kx < K; ++kx)
          for (std::size_t j = 0; j < 2; ++j)
            want[2 * p + j] += w0[(ky * K + kx) * C + c + j] * x[p * PixelStride + ky * RowStride + kx * C + c + j];
    for (std::size_t j = 0; j < 4; ++j) bad += got[j] != want[j];
  }
  return bad;
}

// What the random requantization records below draw from: `bits` random bits.
template <class Next>
std::uint32_t random_bits(Next& next, unsigned bits) {
  return static_cast<std::uint32_t>(static_cast<std::uint8_t>(next())) * 0x10101u & ((1u << bits) - 1);
}
// floor(acc (high 2^b + low) / 2^b), in 64 bits.
std::int64_t scaled_in_64_bits(std::int64_t acc, const qpipe::FittedChannel& f, unsigned b) {
  const std::int64_t m = (std::int64_t{f.high} << b) + f.low;
  return acc * m >= 0 ? acc * m / (std::int64_t{1} << b) : -((-acc * m + (std::int64_t{1} << b) - 1) >> b);
}
// The folded form's code, in 64 bits: clamp((scaled + offset) >> shift, 0, qmax - qmin) + qmin.
std::int64_t folded_code_in_64_bits(std::int64_t acc, const qpipe::FittedChannel& f, std::int32_t offset, unsigned b,
                                    unsigned shift, std::int32_t qmin, std::int32_t qmax) {
  const std::int64_t above = (scaled_in_64_bits(acc, f, b) + offset) >> shift;
  return (above < 0 ? 0 : (above > qmax - qmin ? qmax - qmin : above)) + qmin;
}

// A one-sided pair or K x K lane record's offset word (folded_shifted_code): a random offset inside
// 24 bits (its scale set by the shift, as a fit's) times 256 + the channel's own random shift in
// [0, 23].
template <class Next>
std::int32_t random_offset_word(Next& next, unsigned shift) {
  std::int64_t offset = (static_cast<std::int64_t>(next()) << shift) / 128 + next();
  offset = offset < -(1 << 23) ? -(1 << 23) : (offset >= (1 << 23) ? (1 << 23) - 1 : offset);
  return static_cast<std::int32_t>(offset * 256 + shift);
}

// A 1 x 3 image of InC channels through OutC random lane channels with a random fitted form (two
// half pieces, one shift, the clamp folded into the offsets: the form the M0 loop serves), against
// the unfolded formula floor((acc (high 2^b + low)) / 2^b), + offset, >> shift, + zero point,
// clamped, all in 64 bits.
template <std::size_t InC, std::size_t OutC, qpipe::m0::WordImmediates I = qpipe::m0::WordImmediates{}, class Next>
[[gnu::noinline]] int check_lanes(
    Next& next) {  // (the three loops' checks out of line: inlined, they outgrow the stack)
  using Kernel = qpipe::m0::PointwiseLaneKernel<1, 3, InC, 1, OutC, false>;
  Kernel& k = fresh_kernel<Kernel>();
  const auto u = [&](unsigned bits) { return random_bits(next, bits); };
  // b in [4, 13], shift in [1, 20] (so that the folded offsets below stay inside int32).
  const unsigned b = I.known ? I.piece_bits : 4 + u(4) % 10, shift = I.known ? I.shift : 1 + u(5) % 20;
  const std::int32_t zp = next();
  const bool relu = next() & 1;
  std::int32_t qmin = relu ? zp : -128, qmax = relu ? 127 : 100 + (next() & 27);
  if (I.known) qmin = static_cast<std::int8_t>(I.qmin_byte), qmax = qmin + static_cast<std::int32_t>(I.span);
  k.folded = true;
  k.word = qpipe::m0::folded_halves_word(b, shift, qmin, qmax);
  std::int32_t offset[OutC];  // the unfolded offsets, which the expected codes below use
  for (std::size_t o = 0; o < OutC; ++o) {
    for (std::size_t i = 0; i < InC; ++i) k.set_weight(o, i, static_cast<std::int8_t>(next() | 1));  // never -128
    k.set_bias(o, static_cast<std::int32_t>(next()) * 32 + next());
    qpipe::FittedChannel f{static_cast<std::uint16_t>(u(b)), static_cast<std::uint16_t>(u(13)), 0};
    // Offsets around the level of the output's zero point, so that both clamps are reached.
    offset[o] = static_cast<std::int32_t>((static_cast<std::int64_t>(next()) << shift) / 16 + next());
    f.offset = offset[o] - (qmin - zp) * (std::int32_t{1} << shift);  // fold_clamp_into_offset's folding
    k.channel[o].requantization.fitted = f;
  }
  std::int8_t in[3 * InC], got[3 * OutC];
  for (auto& v : in) v = next();
  if ((next() & 7) == 0)
    for (auto& v : in) v = -128;
  k.template apply<I>(in, got);
  int bad = 0;
  for (std::size_t p = 0; p < 3; ++p)
    for (std::size_t o = 0; o < OutC; ++o) {
      std::int64_t acc = k.channel[o].bias;
      for (std::size_t i = 0; i < InC; ++i) acc += std::int64_t{k.channel[o].weights[i]} * in[p * InC + i];
      const qpipe::FittedChannel& f = k.channel[o].requantization.fitted;
      std::int64_t code = ((scaled_in_64_bits(acc, f, b) + offset[o]) >> shift) + zp;
      code = code < qmin ? qmin : (code > qmax ? qmax : code);
      bad += got[p * OutC + o] != code;
    }
  return bad != 0;
}

// One row of W pixels (H = K), random weights, biases and folded constants: every output against
// acc = bias + the window's sum, then clamp(((floor(acc m / 2^b) + offset) >> shift), 0, span) +
// qmin in 64 bits, m = high 2^b + low. The pixel pairs run the assembly loop on the M0 (an odd last
// pixel the C++ one).
template <std::size_t K, std::size_t C, std::size_t W, std::size_t S,
          qpipe::m0::WordImmediates I = qpipe::m0::WordImmediates{}, class Next>
[[gnu::noinline]] int check_depthwise_pixels(Next& next) {
  using Kernel = qpipe::m0::DepthwiseKernel<K, W, C, K, S, false>;
  // With immediates, 3 x 3 rows at strides 1 and 2 take the row-pixel loops (fours and a rest).
  constexpr bool row_pixels = I.known && Kernel::row_pixels_serve;
  static_assert(qpipe::m0::depthwise_channels_m0_serves<K, C, W * C> || row_pixels,
                "the case must reach an assembly loop");
  Kernel& k = fresh_kernel<Kernel>();
  const auto u = [&](unsigned bits) { return random_bits(next, bits); };
  const unsigned b = I.known ? I.piece_bits : 4 + u(4) % 10, shift = 1 + u(5) % 23;  // b in [4, 13], shift in [1, 23]
  const bool relu = next() & 1;
  std::int32_t qmin = relu ? next() : -128, qmax = relu ? 127 : 100 + (next() & 27);
  if (I.known) qmin = static_cast<std::int8_t>(I.qmin_byte), qmax = qmin + static_cast<std::int32_t>(I.span);
  k.folded = true;
  k.word = qpipe::m0::folded_halves_word(b, shift, qmin, qmax);
  for (auto& v : k.weights) v = next();
  for (std::size_t c = 0; c < C; ++c) {
    k.channel[c].bias = static_cast<std::int32_t>(next()) * 32 + next();
    // |acc| < 2^19 for K = 5: high below 2^11 keeps acc high inside int32, as the fit does.
    qpipe::FittedChannel f{static_cast<std::uint16_t>(u(b)), static_cast<std::uint16_t>(u(K == 5 ? 11 : 13)), 0};
    f.offset = static_cast<std::int32_t>((static_cast<std::int64_t>(next()) << shift) / 16 + next());
    k.channel[c].requantization.fitted = f;
  }
  static_assert(K * W * C <= sizeof padded);
  std::int8_t* const in = padded;  // the padding checks' buffer: the wider rows would not fit the stack
  std::int8_t got[Kernel::out_width * C];
  for (std::size_t i = 0; i < K * W * C; ++i) in[i] = next();
  if ((next() & 7) == 0)
    for (std::size_t i = 0; i < K * W * C; ++i) in[i] = -128;
  k.template apply<I>(in, got);
  int bad = 0;
  for (std::size_t ox = 0; ox < Kernel::out_width; ++ox)
    for (std::size_t c = 0; c < C; ++c) {
      std::int64_t acc = k.channel[c].bias;
      for (std::size_t ky = 0; ky < K; ++ky)
        for (std::size_t kx = 0; kx < K; ++kx)
          acc += k.weights[(ky * K + kx) * C + c] * in[(ky * W + ox * S + kx) * C + c];
      const qpipe::FittedChannel& f = k.channel[c].requantization.fitted;
      bad += got[ox * C + c] != folded_code_in_64_bits(acc, f, f.offset, b, shift, qmin, qmax);
    }
  return bad != 0;
}

// A 1 x 3 image of InC channels through OutC channels with random weights, biases, folded
// offsets for both signs of the accumulator and clamps, against the sum and the folded formula in
// 64 bits (the offset taken by the sign of acc).
template <std::size_t InC, std::size_t OutC, qpipe::m0::WordImmediates I = qpipe::m0::WordImmediates{}, class Next>
[[gnu::noinline]] int check_pair_pixels(Next& next) {
  using Kernel = qpipe::m0::PointwisePairKernel<1, 3, InC, 1, OutC, true>;
  Kernel& k = fresh_kernel<Kernel>();
  const auto w = [](std::size_t o) { return w0 + o * InC; };  // the weights set, kept (w0 is refilled every round)
  static_assert(OutC * InC <= sizeof w0);
  const auto u = [&](unsigned bits) { return random_bits(next, bits); };
  const unsigned b = I.known ? I.piece_bits : 4 + u(4) % 10, shift = 1 + u(5) % 23;  // b in [4, 13], shift in [1, 23]
  const bool relu = next() & 1;
  std::int32_t qmin = relu ? next() : -128, qmax = relu ? 127 : 100 + (next() & 27);
  if (I.known) qmin = static_cast<std::int8_t>(I.qmin_byte), qmax = qmin + static_cast<std::int32_t>(I.span);
  k.folded = true;
  k.word = qpipe::m0::folded_halves_word(b, shift, qmin, qmax);
  for (std::size_t o = 0; o < OutC; ++o) {
    for (std::size_t i = 0; i < InC; ++i) k.set_weight(o, i, w(o)[i] = static_cast<std::int8_t>(next() | 1));
    k.set_bias(o, static_cast<std::int32_t>(next()) * 32 + next());
    // |acc| < 2^20: high below 2^11 keeps acc high inside int32, as the fit does.
    qpipe::FittedChannel f{static_cast<std::uint16_t>(u(b)), static_cast<std::uint16_t>(u(11)), 0};
    f.offset = static_cast<std::int32_t>((static_cast<std::int64_t>(next()) << shift) / 16 + next());
    k.channel[o].requantization.fitted = f;
    k.channel[o].negative_offset =
        f.offset + static_cast<std::int32_t>((static_cast<std::int64_t>(next()) << shift) / 64);
  }
  std::int8_t in[3 * InC], got[3 * OutC];
  for (auto& v : in) v = next();
  if ((next() & 7) == 0)
    for (auto& v : in) v = -128;
  k.template apply<I>(in, got);
  int bad = 0;
  for (std::size_t p = 0; p < 3; ++p)
    for (std::size_t o = 0; o < OutC; ++o) {
      std::int64_t acc = k.channel[o].bias;
      for (std::size_t i = 0; i < InC; ++i) acc += std::int64_t{w(o)[i]} * in[p * InC + i];
      const qpipe::FittedChannel& f = k.channel[o].requantization.fitted;
      const std::int32_t offset = acc < 0 ? k.channel[o].negative_offset : f.offset;
      bad += got[p * OutC + o] != folded_code_in_64_bits(acc, f, offset, b, shift, qmin, qmax);
    }
  return bad != 0;
}

// One group of four channels of the K x K lane kernel over the window at x + at (rows W InC bytes
// apart), from random biases, against the plain sum; and that the weight pointer ends on the next
// group's weights.
template <std::size_t K, std::size_t InC, std::size_t W, class Next>
int check_window(Next& next, bool extremes) {
  using Kernel = qpipe::m0::WindowLaneKernel<K, W, InC, K, 1, 4, false>;
  constexpr std::size_t row = K * InC, stride = W * InC;
  Kernel& k = fresh_kernel<Kernel>();
  static_assert(4 * K * row <= sizeof w0 && (K - 1) * stride + row + 64 <= sizeof x);
  for (std::size_t c = 0; c < 4; ++c)
    for (std::size_t n = 0; n < K * row; ++n) {
      const std::int8_t w =
          extremes ? static_cast<std::int8_t>(n % 3 == 0 ? -127 : 127) : static_cast<std::int8_t>(next() | 1);
      k.set_weight(c, n, w0[c * K * row + n] = w);  // never -128
    }
  const std::size_t at = static_cast<std::uint8_t>(next()) % 64;  // any alignment
  std::int32_t acc[4], want[4];
  for (std::size_t c = 0; c < 4; ++c) {
    acc[c] = want[c] = static_cast<std::int32_t>(next()) * 4096 + next();
    for (std::size_t ky = 0; ky < K; ++ky)
      for (std::size_t e = 0; e < row; ++e)
        want[c] += std::int32_t{w0[(c * K + ky) * row + e]} * x[at + ky * stride + e];
  }
  const std::int32_t* w = k.weight.data();
  Kernel::window_dot(w, x + at, acc);
  int bad = w != k.weight.data() + Kernel::group_words;
  for (std::size_t c = 0; c < 4; ++c) bad += acc[c] != want[c];
  return bad != 0;
}

// One row of a K x K lane kernel's outputs (H = K), OutC channels, with the word's fields as
// immediates: random weights (never -128), biases and folded constants; every output against the
// plain sum, then the folded formula in 64 bits (window_codes_m0 on the M0, the C++ code on the
// host).
template <std::size_t K, std::size_t InC, std::size_t W, std::size_t OutC, qpipe::m0::WordImmediates I, class Next>
[[gnu::noinline]] int check_window_codes(Next& next) {
  using Kernel = qpipe::m0::WindowLaneKernel<K, W, InC, K, 1, OutC, false>;
  constexpr std::size_t row = K * InC;
  Kernel& k = fresh_kernel<Kernel>();
  static_assert(OutC * K * row <= sizeof w0 && K * W * InC <= sizeof padded);
  const auto u = [&](unsigned bits) { return random_bits(next, bits); };
  const unsigned b = I.piece_bits;
  const std::int32_t qmin = static_cast<std::int8_t>(I.qmin_byte), qmax = qmin + static_cast<std::int32_t>(I.span);
  k.folded = true;
  k.word = qpipe::m0::folded_halves_word(b, 0, qmin, qmax);  // each channel's shift in its offset word
  for (std::size_t o = 0; o < OutC; ++o) {
    for (std::size_t n = 0; n < K * row; ++n)
      k.set_weight(o, n, w0[o * K * row + n] = static_cast<std::int8_t>(next() | 1));
    k.set_bias(o, static_cast<std::int32_t>(next()) * 32 + next());
    // |acc| < 2^20: high below 2^11 keeps acc high inside int32, as the fit does.
    qpipe::FittedChannel f{static_cast<std::uint16_t>(u(b)), static_cast<std::uint16_t>(u(11)), 0};
    f.offset = random_offset_word(next, u(5) % 24);
    k.channel[o].requantization.fitted = f;
  }
  std::int8_t* const in = padded;
  std::int8_t got[Kernel::out_width * OutC];
  for (std::size_t i = 0; i < K * W * InC; ++i) in[i] = next();
  if ((next() & 7) == 0)
    for (std::size_t i = 0; i < K * W * InC; ++i) in[i] = -128;
  k.template apply<I>(in, got);
  int bad = 0;
  for (std::size_t ox = 0; ox < Kernel::out_width; ++ox)
    for (std::size_t o = 0; o < OutC; ++o) {
      std::int64_t acc = k.channel[o].bias;
      for (std::size_t ky = 0; ky < K; ++ky)
        for (std::size_t e = 0; e < row; ++e)
          acc += std::int64_t{w0[(o * K + ky) * row + e]} * in[ky * W * InC + ox * InC + e];
      const qpipe::FittedChannel& f = k.channel[o].requantization.fitted;
      bad += got[ox * OutC + o] != folded_code_in_64_bits(acc, f, f.offset >> 8, b, f.offset & 0xff, qmin, qmax);
    }
  return bad != 0;
}

// A K x K lane kernel over two rows of outputs at stride S, run the way the model
// runs it where it owns its input buffer (apply_expanding: on the M0 the input expanded in place
// into lane pairs, from an address `at` bytes past a word boundary); every output against the
// plain sum, then the folded formula in 64 bits.
template <std::size_t K, std::size_t S, std::size_t InC, std::size_t W, std::size_t OutC, qpipe::m0::WordImmediates I,
          class Next>
[[gnu::noinline]] int check_window_expanded(Next& next) {
  constexpr std::size_t H = K + S;
  using Kernel = qpipe::m0::WindowLaneKernel<H, W, InC, K, S, OutC, false>;
  static_assert(Kernel::expands_input && Kernel::out_height == 2);
  constexpr std::size_t row = K * InC;
  Kernel& k = fresh_kernel<Kernel>();
  static_assert(OutC * K * row <= sizeof w0 && Kernel::input_capacity + 3 <= sizeof padded && H * W * InC <= sizeof x);
  const auto u = [&](unsigned bits) { return random_bits(next, bits); };
  const unsigned b = I.piece_bits;
  const std::int32_t qmin = static_cast<std::int8_t>(I.qmin_byte), qmax = qmin + static_cast<std::int32_t>(I.span);
  k.folded = true;
  k.word = qpipe::m0::folded_halves_word(b, 0, qmin, qmax);  // each channel's shift in its offset word
  for (std::size_t o = 0; o < OutC; ++o) {
    for (std::size_t n = 0; n < K * row; ++n)
      k.set_weight(o, n, w0[o * K * row + n] = static_cast<std::int8_t>(next() | 1));
    k.set_bias(o, static_cast<std::int32_t>(next()) * 32 + next());
    qpipe::FittedChannel f{static_cast<std::uint16_t>(u(b)), static_cast<std::uint16_t>(u(11)), 0};
    f.offset = random_offset_word(next, u(5) % 24);
    k.channel[o].requantization.fitted = f;
  }
  std::int8_t* const in = padded + u(2);  // any alignment
  const bool lowest = (next() & 7) == 0;
  for (std::size_t i = 0; i < H * W * InC; ++i) x[i] = lowest ? -128 : static_cast<std::int8_t>(next());
  for (std::size_t i = 0; i < Kernel::input_capacity; ++i)
    in[i] = i < H * W * InC ? x[i] : static_cast<std::int8_t>(next());
  std::int8_t got[2 * Kernel::out_width * OutC];
  k.template apply_expanding<I>(in, got);
  int bad = 0;
  for (std::size_t oy = 0; oy < 2; ++oy)
    for (std::size_t ox = 0; ox < Kernel::out_width; ++ox)
      for (std::size_t o = 0; o < OutC; ++o) {
        std::int64_t acc = k.channel[o].bias;
        for (std::size_t ky = 0; ky < K; ++ky)
          for (std::size_t e = 0; e < row; ++e)
            acc += std::int64_t{w0[(o * K + ky) * row + e]} * x[((oy * S + ky) * W + ox * S) * InC + e];
        const qpipe::FittedChannel& f = k.channel[o].requantization.fitted;
        bad += got[(oy * Kernel::out_width + ox) * OutC + o] !=
               folded_code_in_64_bits(acc, f, f.offset >> 8, b, f.offset & 0xff, qmin, qmax);
      }
  return bad != 0;
}

}  // namespace

int main() {
  std::uint32_t s = 12345;
  auto next = [&s] {
    s = s * 1664525u + 1013904223u;
    return static_cast<std::int8_t>(s >> 24);
  };
  int bad = 0, cases = 0;
  for (int round = 0; round < 20; ++round) {
    for (auto& v : w0) v = next();
    for (auto& v : w1) v = next();
    for (auto& v : x) v = next();
    if (round == 0) {  // the extremes: -128 inputs times -127 and 127 weights
      for (auto& v : x) v = -128;
      for (std::size_t i = 0; i < 1024; ++i) w0[i] = 127, w1[i] = -127;
    }
    bad += check_pair<21, 7, 66>() + check_pair<24, 3, 48>() + check_pair<8, 1, 8>() + check_pair<3, 3, 40>() +
           check_pair<1, 1, 1>() + check_pair<2, 5, 9>() + check_pair<32, 1, 32>() + check_pair<255, 2, 300>() +
           check_pair<300, 1, 300>();
    bad += check_quad<21, 7, 66, 147>() + check_quad<24, 3, 48, 72>() + check_quad<9, 3, 30, 27>() +
           check_quad<2, 5, 9, 10>() + check_quad<3, 2, 7, 6>() + check_quad<100, 2, 255, 200>() +
           check_quad<100, 2, 300, 200>();
    bad += check_depthwise<3, 32, 320>() + check_depthwise<3, 16, 160>() + check_depthwise<5, 8, 100>() +
           check_depthwise<1, 4, 8>() + check_depthwise<2, 6, 30>() + check_depthwise<3, 100, 900>();
    bad += check_depthwise_quad<3, 32, 320, 32>() + check_depthwise_quad<3, 32, 320, 64>() +
           check_depthwise_quad<5, 8, 100, 16>() + check_depthwise_quad<1, 4, 8, 8>() +
           check_depthwise_quad<2, 6, 30, 6>() + check_depthwise_quad<3, 100, 900, 100>();
    for (std::size_t shift = 0; shift < 2; ++shift) {  // aligned, then one byte off
      bad += check_pad<16, 16, 4, 1, 1, 1, 1>(shift) + check_pad<8, 8, 32, 1, 1, 1, 1>(shift) +
             check_pad<16, 16, 3, 3, 3, 3, 3>(shift) + check_pad<4, 4, 8, 1, 1, 1, 1>(shift) +
             check_pad<5, 3, 4, 0, 1, 0, 1>(shift) + check_pad<3, 5, 8, 2, 0, 0, 3>(shift) +
             check_pad<1, 1, 4, 0, 0, 0, 0>(shift) + check_pad<2, 7, 12, 1, 2, 3, 0>(shift);
    }
    for (int n = 0; n < 10; ++n) {
      bad += check_lanes<2, 5>(next) + check_lanes<3, 7>(next) + check_lanes<5, 4>(next) + check_lanes<8, 32>(next) +
             check_lanes<7, 1>(next);
      bad += check_depthwise_pixels<3, 32, 6, 1>(next) + check_depthwise_pixels<3, 8, 5, 2>(next) +
             check_depthwise_pixels<5, 4, 8, 1>(next) + check_depthwise_pixels<2, 6, 5, 1>(next);
      bad += check_pair_pixels<32, 8>(next) + check_pair_pixels<12, 4>(next) + check_pair_pixels<16, 16>(next) +
             check_pair_pixels<20, 6>(next) + check_pair_pixels<32, 16>(next);
      // The same loops with the word's fields as immediates (what qpipe::run hands them): the full
      // int8 range, a ReLU's range above a negative zero point, a range with a positive qmin.
      constexpr qpipe::m0::WordImmediates full{true, 13, 0x80, 255, 20}, relu{true, 7, 0xec, 147, 9},
          narrow{true, 4, 5, 100, 1};
      bad += check_lanes<8, 32, full>(next) + check_lanes<3, 7, relu>(next) + check_lanes<5, 4, narrow>(next);
      bad += check_depthwise_pixels<3, 32, 6, 1, full>(next) + check_depthwise_pixels<3, 8, 5, 2, relu>(next) +
             check_depthwise_pixels<5, 4, 8, 1, narrow>(next) + check_depthwise_pixels<2, 6, 5, 1, full>(next);
      // The row-pixel loops: MobileNetV2's two layers' rows, a row whose steps exceed one
      // immediate, an odd channel count.
      bad += check_depthwise_pixels<3, 32, 10, 1, full>(next) + check_depthwise_pixels<3, 32, 9, 2, relu>(next) +
             check_depthwise_pixels<3, 32, 14, 1, narrow>(next) + check_depthwise_pixels<3, 5, 17, 2, full>(next) +
             check_depthwise_pixels<3, 7, 6, 1, relu>(next);
      // Rows with a rest after their passes, or shorter than four: the keyword-spotting row of
      // five (64 channels), rows of three and six (MobileNetV1's deep layers), one and two
      // pixels, odd channel counts, both strides.
      bad += check_depthwise_pixels<3, 64, 7, 1, relu>(next) + check_depthwise_pixels<3, 48, 5, 1, full>(next) +
             check_depthwise_pixels<3, 16, 13, 2, narrow>(next) + check_depthwise_pixels<3, 24, 3, 1, full>(next) +
             check_depthwise_pixels<3, 40, 5, 2, relu>(next) + check_depthwise_pixels<3, 3, 9, 1, narrow>(next) +
             check_depthwise_pixels<3, 9, 15, 2, full>(next) + check_depthwise_pixels<3, 8, 4, 1, relu>(next);
      // Passes of five and six (the stack-kept record): rows of 5 and 6 at both strides, 11 (six
      // and five) and 10 (six and four).
      bad += check_depthwise_pixels<3, 12, 11, 2, narrow>(next) + check_depthwise_pixels<3, 10, 8, 1, full>(next) +
             check_depthwise_pixels<3, 6, 13, 1, relu>(next) + check_depthwise_pixels<3, 5, 21, 2, narrow>(next);
      bad += check_window_codes<3, 4, 6, 8, full>(next) + check_window_codes<7, 3, 9, 4, relu>(next) +
             check_window_codes<3, 3, 5, 12, narrow>(next);
      // In place: the ResNet stem's rows (21 inputs: a last one alone), MobileNetV2's (12), rows of
      // 9 with three groups, stride 1 with two pairs a row, one pair a row (no loop).
      // (147 MACs an output: the relu immediates' 7-bit pieces keep acc * low inside int32.)
      bad += check_window_expanded<7, 2, 3, 10, 4, relu>(next) + check_window_expanded<3, 2, 4, 9, 8, full>(next) +
             check_window_expanded<3, 2, 3, 8, 12, narrow>(next) + check_window_expanded<2, 1, 2, 6, 4, full>(next) +
             check_window_expanded<2, 2, 1, 6, 4, relu>(next);
      bad += check_pair_pixels<32, 8, full>(next) + check_pair_pixels<12, 4, relu>(next) +
             check_pair_pixels<16, 16, narrow>(next);
      const bool extremes = round == 0 && n == 0;  // x is all -128 then
      bad += check_window<7, 3, 22>(next, extremes) + check_window<3, 4, 18>(next, extremes) +
             check_window<3, 3, 10>(next, extremes) + check_window<3, 2, 10>(next, extremes) +
             check_window<7, 1, 9>(next, extremes) + check_window<2, 1, 9>(next, extremes) +
             check_window<5, 6, 40>(next, extremes) + check_window<3, 4, 66>(next, extremes);
    }
    cases += 9 + 7 * 4 + 16 + 8 + 4 + 2 + 3 + 50 + 16 + 4 * (16 + 16 + 4 + 2 + 3 + 50) + 50 + 40 + 50 + 80 + 30 + 40 +
             30 + 50 + 30 + 5 + 80 + 40;
  }
  std::printf("dot kernels: %d of %d cases wrong\n", bad, cases);
  return bad == 0 ? 0 : 1;
}
