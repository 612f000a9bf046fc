"""An independent numpy evaluator of TFLite's int8 kernels, over a tflite_builder.Model.

Written from TFLite's integer semantics (its reference kernels and quantization utilities), not
from qpipe's code or python/qpipe_tools/tflite.py:

- QuantizeMultiplier: frexp, the mantissa rounded half away from zero to Q31; a shift below -31
  gives a zero multiplier. MultiplyByQuantizedMultiplier: left shift, SaturatingRoundingDoublingHighMul
  (nudge 2^30, or 1 - 2^30 below zero, divided by 2^31 truncating), RoundingDivideByPOT (a remainder
  above half, or at half for x >= 0... ties away from zero).
- CONV_2D / DEPTHWISE_CONV_2D: SAME padding of total max((out - 1) s + (k - 1) d + 1 - in, 0),
  total // 2 before; cells outside the input are skipped (input offset -zero point makes them 0);
  per-channel multipliers input_scale x weight_scale / output_scale in double.
- FULLY_CONNECTED: the input read flat; per tensor the multiplier is float(s_in x s_w) widened, then
  divided by s_out in double (GetQuantizedConvolutionMultipler), per channel all in double.
- AVERAGE_POOL_2D: the sum over the valid cells divided by their count, ties away from zero;
  MAX_POOL_2D the maximum over the valid cells; both clamped by the fused activation.
- MEAN over H, W: on one grid (equal float32 scales and zero points) the code sum over the count,
  truncated towards zero (TFLite Micro's EvalIntegerMean takes reference_ops::Mean); otherwise
  QuantizedMeanOrSum's form: multiplier of input/output scale, folded with
  1 / count as (multiplier << shift) / count with shift = min(floor(log2 count), 32, 31 + exponent),
  applied to sum - zero_point x count.
- ADD: left shift 20, both operands rescaled by scale / (2 max scale), the sum by
  2 max scale / (2^20 output scale). MUL: (a - za)(b - zb) by sa sb / so.
- CONCATENATION: inputs on the output's grid, copied. PAD: the zero point. RESHAPE/SQUEEZE: copied.
- QUANTIZE int8 -> int8: MultiplyByQuantizedMultiplier(x - zi, si / so) + zo.
- RELU/RELU6/RELU_N1_TO_1 ops: requantize by si / so (divided in float32, as TFLite's
  ReluPrepare does) then clamp on the output grid; fused
  activations: clamp from zp + round(bound / scale).
- LEAKY_RELU: identity multiplier si / so for x >= zi, alpha multiplier si alpha / so below
  (both computed in float32, as TFLite's LeakyReluPrepare does).
- HARD_SWISH: TFLite's int16 fixed-point reference (hires input x 128, the relu-ish multiplier on
  3 / 32768, SaturatingDoublingHighMul), multipliers computed in float32 as TFLite does.
- LOGISTIC / TANH: TFLite's int8 lookup table, built in float as PopulateLookupTable does (the
  input dequantized in float, expf/tanhf, times the float 1 / output scale, rounded half away from
  zero onto 1/256, -128 or 1/128, 0).
- SOFTMAX: TFLite's int8 softmax in gemmlowp fixed point (beta x input scale onto Q5.26, exp on
  negative values, the reciprocal of the Q12.19 sum, rounding shift to 8 bits, - 128).
"""
import math

import numpy as np

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


# --------------------------------------------------------------------------------------------
# Fixed-point primitives on Python ints (exact) and numpy int64 arrays


def round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_multiplier(real):
    if real == 0:
        return 0, 0
    fraction, shift = math.frexp(real)
    q = int(round_half_away(fraction * (1 << 31)))
    if q == (1 << 31):
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q, shift


def srdhm(a, b):
    a = np.asarray(a, dtype=np.int64)
    ab = a * np.int64(b)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    v = ab + nudge
    res = np.where(v >= 0, v >> 31, -((-v) >> 31))
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, res)


def rdbpot(x, exponent):
    x = np.asarray(x, dtype=np.int64)
    mask = np.int64((1 << exponent) - 1)
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


def mbqm(x, q, shift):
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    x = np.asarray(x, dtype=np.int64) * (1 << left)
    assert np.all((x >= INT32_MIN) & (x <= INT32_MAX)), "left-shifted value overflows int32"
    return rdbpot(srdhm(x, q), right)


def act_range(act, grid):
    scale, zp = grid
    lo, hi = -128, 127
    q = lambda f: zp + int(round_half_away(np.float32(f) / np.float32(scale)))
    if act == "RELU":
        lo = max(lo, q(0.0))
    elif act == "RELU6":
        lo, hi = max(lo, q(0.0)), min(hi, q(6.0))
    elif act == "RELU_N1_TO_1":
        lo, hi = max(lo, q(-1.0)), min(hi, q(1.0))
    elif act not in (None, "NONE"):
        raise ValueError(act)
    return lo, hi


# --------------------------------------------------------------------------------------------
# gemmlowp fixed point for softmax (int32 raw values; an `integer bits` count per format)


def sat32(x):
    return max(INT32_MIN, min(INT32_MAX, x))


def i_srdhm(a, b):
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    v = ab + nudge
    return v // (1 << 31) if v >= 0 else -((-v) // (1 << 31))


def i_rdbpot(x, exponent):
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def i_sat_rmpot(x, exponent):
    """SaturatingRoundingMultiplyByPOT."""
    if exponent == 0:
        return x
    if exponent > 0:
        return sat32(x * (1 << exponent))
    return i_rdbpot(x, -exponent)


def exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """a: raw Q0.31 in [-1/4, 0). Returns raw Q0.31."""
    constant_term = 1895147668  # exp(-1/8) in Q0.31
    constant_1_over_3 = 715827883  # 1/3 in Q0.31
    x = a + (1 << 28)  # a + 1/8
    x2 = i_srdhm(x, x)
    x3 = i_srdhm(x2, x)
    x4 = i_srdhm(x2, x2)
    x4_over_4 = i_sat_rmpot(x4, -2)
    x4_over_24_plus_x3_over_6_plus_x2_over_2 = i_sat_rmpot(i_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, -1)
    return sat32(constant_term + i_srdhm(constant_term, x + x4_over_24_plus_x3_over_6_plus_x2_over_2))


def exp_on_negative_values(a, integer_bits):
    """a: raw fixed point with integer_bits integer bits, <= 0. Returns raw Q0.31."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        a_mod_quarter_minus_one_quarter << integer_bits
    )  # rescale to Q0.31
    remainder = a_mod_quarter_minus_one_quarter - a
    multipliers = [
        (-2, 1672461947),
        (-1, 1302514674),
        (0, 790015084),
        (1, 290630308),
        (2, 39332535),
        (3, 720401),
        (4, 242),
    ]
    for exponent, m in multipliers:
        if integer_bits > exponent:
            shift = fractional_bits + exponent
            if 0 <= shift <= 30 and remainder & (1 << shift):
                result = i_srdhm(result, m)
    if integer_bits > 5:
        clamp = -(1 << (fractional_bits + 5))
        if a < clamp:
            result = 0
    if a == 0:
        result = INT32_MAX
    return result


def get_reciprocal(x, x_integer_digits):
    """TFLite's GetReciprocal: returns (raw Q0.31 of 1 / (x scaled into [1, 2)), num_bits_over_unit)."""
    headroom_plus_one = count_leading_zeros_u32(x)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted_sum_minus_one = ((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31)
    shifted_sum_minus_one = (
        shifted_sum_minus_one if shifted_sum_minus_one < (1 << 31) else shifted_sum_minus_one - (1 << 32)
    )
    shifted_scale = one_over_one_plus_x_for_x_in_0_1_q0(shifted_sum_minus_one)
    return shifted_scale, num_bits_over_unit


def count_leading_zeros_u32(x):
    x &= 0xFFFFFFFF
    return 32 - x.bit_length()


def one_over_one_plus_x_for_x_in_0_1_q0(a):
    """gemmlowp's one_over_one_plus_x_for_x_in_0_1 on raw Q0.31 in, Q0.31 out."""
    s = a + INT32_MAX
    half_denominator = (s + 1) >> 1 if s >= 0 else -((-s + 1) >> 1)  # RoundingHalfSum(a, 1)
    # In Q2.29:
    constant_48_over_17 = 1515870810
    constant_neg_32_over_17 = -1010580540
    x = constant_48_over_17 + i_srdhm(half_denominator, constant_neg_32_over_17)
    for _ in range(3):
        half_denominator_times_x = i_srdhm(half_denominator, x)  # Q0 x Q2 -> Q2
        one_minus_half_denominator_times_x = (1 << 29) - half_denominator_times_x
        x = sat32(x + i_sat_rmpot(i_srdhm(x, one_minus_half_denominator_times_x), 2))  # Q2 x Q2 -> Q4, *4 -> Q2
    # Rescale<0>(x * F0(half)): (Q2.29 value) as Q0.31 = SaturatingRoundingMultiplyByPOT<2 - 1 - 0>... x / 2 * 2^2
    return i_sat_rmpot(x, 1)


def softmax_row(codes, input_scale, beta):
    """TFLite int8 softmax of one row of int8 codes; output codes on 1/256, -128."""
    diff_integer_bits = 5
    accumulation_integer_bits = 12
    real = min(beta * input_scale * float(1 << (31 - diff_integer_bits)), float((1 << 31) - 1))
    input_multiplier, input_left_shift = quantize_multiplier(real)
    assert input_left_shift >= 0
    max_input_rescaled = (
        1.0 * ((1 << diff_integer_bits) - 1) * (1 << (31 - diff_integer_bits)) / (1 << input_left_shift)
    )
    diff_min = -int(math.floor(max_input_rescaled))
    codes = [int(c) for c in codes]
    largest = max(codes)
    sum_of_exps = 0  # Q12.19 raw
    exps = []
    for c in codes:
        d = c - largest
        if d >= diff_min:
            rescaled = i_srdhm(sat32(d * (1 << input_left_shift)), input_multiplier)
            e = exp_on_negative_values(rescaled, diff_integer_bits)  # Q0.31
            exps.append(e)
            sum_of_exps = sat32(sum_of_exps + i_rdbpot(e, accumulation_integer_bits))  # Rescale Q0 -> Q12
        else:
            exps.append(None)
    shifted_scale, num_bits_over_unit = get_reciprocal(sum_of_exps, accumulation_integer_bits)
    out = []
    for e in exps:
        if e is None:
            out.append(-128)
            continue
        unsat = i_rdbpot(i_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8)
        out.append(max(-128, min(127, unsat - 128)))
    return out


# --------------------------------------------------------------------------------------------
# Hard swish (TFLite's reference in int16 fixed point)


def sat16(x):
    return max(-32768, min(32767, x))


def i16_srdhm(a, b):
    if a == b == -32768:
        return 32767
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else (1 - (1 << 14))
    v = ab + nudge
    return v // (1 << 15) if v >= 0 else -((-v) // (1 << 15))


def i16_sdhm(a, b):
    """SaturatingDoublingHighMul (no rounding) on int16."""
    if a == b == -32768:
        return 32767
    ab = a * b
    return (ab // (1 << 15)) if ab >= 0 else -((-ab) // (1 << 15))


def down_scale_to_int16(m32):
    if m32 >= INT32_MAX - (1 << 15):
        return 32767
    return (m32 + (1 << 15)) >> 16


def hard_swish(codes, in_grid, out_grid):
    f32 = np.float32
    hires_input_scale = f32(1.0 / 128.0) * f32(in_grid[0])
    reluish_scale = f32(3.0) / f32(32768.0)
    output_multiplier = hires_input_scale / f32(out_grid[0])
    om, oe = quantize_multiplier(float(output_multiplier))
    om16 = down_scale_to_int16(om)
    assert oe <= 0
    reluish_multiplier = hires_input_scale / reluish_scale
    rm, re_ = quantize_multiplier(float(reluish_multiplier))
    rm16 = down_scale_to_int16(rm)
    out = []
    for c in codes:
        x = int(c) - in_grid[1]
        hires = x * (1 << 7)
        preshift = i16_srdhm(hires, om16)
        reluish = hires
        if re_ > 0:
            reluish = sat16(reluish * (1 << (re_ - 1)))
        reluish = i16_srdhm(reluish, rm16)
        if re_ > 0:
            reluish = sat16(reluish * 2)
        if re_ < 0:
            reluish = i_rdbpot(reluish, -re_)
        reluish = (reluish + (1 << 15)) >> 1
        pre = i16_sdhm(reluish, preshift)
        v = i_rdbpot(pre, -oe) + out_grid[1]
        out.append(max(-128, min(127, v)))
    return np.array(out, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# The graph


def same_pads(size, k, s, d, padding):
    eff = (k - 1) * d + 1
    if padding == "VALID":
        return (size - eff) // s + 1, 0
    out = (size + s - 1) // s
    total = max((out - 1) * s + eff - size, 0)
    return out, total // 2


class Evaluator:
    def __init__(self, model):
        self.m = model

    def grid(self, i):
        t = self.m.tensors[i]
        return float(t.scale[0]), int(t.zero_point[0])

    def run(self, codes):
        """codes: int8 input codes in the input tensor's shape (batch dropped), or float values for
        a float32 input. Returns the graph output (codes, or floats for a float32 output)."""
        m = self.m
        v = {m.inputs[0]: np.asarray(codes).reshape(m.tensors[m.inputs[0]].shape)}
        for op in m.ops:
            ins = [v[i] if i in v else (m.tensors[i].data if i != -1 else None) for i in op.inputs]
            out = op.outputs[0]
            v[out] = self.op(op, ins).reshape(m.tensors[out].shape)
        return v[m.outputs[0]]

    def op(self, op, ins):
        m, o = self.m, op.options
        name = op.name
        gi = self.grid(op.inputs[0]) if m.tensors[op.inputs[0]].type == "int8" else None
        go = self.grid(op.outputs[0]) if m.tensors[op.outputs[0]].type == "int8" else None
        x = ins[0]
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            w = ins[1].astype(np.int64)
            wt = m.tensors[op.inputs[1]]
            bias = ins[2].astype(np.int64) if len(ins) > 2 and ins[2] is not None else None
            _, h, wd, cin = x.shape
            kh, kw = w.shape[1], w.shape[2]
            sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
            dh, dw = o.get("dilation_h", 1), o.get("dilation_w", 1)
            oh, pt = same_pads(h, kh, sh, dh, o.get("padding", "SAME"))
            ow, pl = same_pads(wd, kw, sw, dw, o.get("padding", "SAME"))
            cout = w.shape[0] if name == "CONV_2D" else w.shape[3]
            xin = x[0].astype(np.int64) - gi[1]
            acc = np.zeros((oh, ow, cout), dtype=np.int64)
            mult = cout // cin
            for y in range(oh):
                for xx in range(ow):
                    for ky in range(kh):
                        iy = y * sh - pt + ky * dh
                        if not 0 <= iy < h:
                            continue
                        for kx in range(kw):
                            ix = xx * sw - pl + kx * dw
                            if not 0 <= ix < wd:
                                continue
                            px = xin[iy, ix]
                            if name == "CONV_2D":
                                acc[y, xx] += w[:, ky, kx, :] @ px
                            else:
                                acc[y, xx] += np.repeat(px, mult) * w[0, ky, kx, :]
            if bias is not None:
                acc += bias
            scales = wt.scale if len(wt.scale) > 1 else [wt.scale[0]] * cout
            lo, hi = act_range(o.get("fused"), go)
            res = np.empty_like(acc)
            for c in range(cout):
                q, s = quantize_multiplier(float(gi[0]) * float(scales[c]) / float(go[0]))
                res[..., c] = mbqm(acc[..., c], q, s)
            return np.clip(res + go[1], lo, hi)
        if name == "FULLY_CONNECTED":
            w = ins[1].astype(np.int64)
            wt = m.tensors[op.inputs[1]]
            acc = w @ (x.reshape(-1).astype(np.int64) - gi[1])
            if len(ins) > 2 and ins[2] is not None:
                acc = acc + ins[2].astype(np.int64)
            units = w.shape[0]
            scales = wt.scale if len(wt.scale) > 1 else [wt.scale[0]] * units
            lo, hi = act_range(o.get("fused"), go)
            if len(wt.scale) > 1:  # per channel: double(s_in) * double(s_w) / double(s_out)
                reals = [float(gi[0]) * float(scales[u]) / float(go[0]) for u in range(units)]
            else:  # per tensor (GetQuantizedConvolutionMultipler): the float product, widened, / s_out
                reals = [float(np.float32(gi[0]) * np.float32(scales[0])) / float(go[0])] * units
            res = np.array([mbqm(acc[u], *quantize_multiplier(reals[u])) for u in range(units)], dtype=np.int64)
            return np.clip(res + go[1], lo, hi)
        if name in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
            _, h, wd, c = x.shape
            kh, kw = o["filter_h"], o["filter_w"]
            sh, sw = o["stride_h"], o["stride_w"]
            oh, pt = same_pads(h, kh, sh, 1, o.get("padding", "SAME"))
            ow, pl = same_pads(wd, kw, sw, 1, o.get("padding", "SAME"))
            lo, hi = act_range(o.get("fused"), go)
            res = np.zeros((oh, ow, c), dtype=np.int64)
            xi = x[0].astype(np.int64)
            for y in range(oh):
                for xx in range(ow):
                    y0, x0 = y * sh - pt, xx * sw - pl
                    win = xi[max(y0, 0) : min(y0 + kh, h), max(x0, 0) : min(x0 + kw, wd)].reshape(-1, c)
                    if name == "MAX_POOL_2D":
                        res[y, xx] = win.max(axis=0)
                    else:
                        s, n = win.sum(axis=0), win.shape[0]
                        res[y, xx] = np.where(s > 0, (s + n // 2) // n, -((-s + n // 2) // n))
            return np.clip(res, lo, hi)
        if name == "MEAN":
            _, h, wd, c = x.shape
            n = h * wd
            if np.float32(gi[0]) == np.float32(go[0]) and gi[1] == go[1]:
                # One grid: TFLite Micro's reference_ops::Mean, the code sum over n in C division.
                t = x[0].astype(np.int64).sum(axis=(0, 1))
                return np.where(t >= 0, t // n, -((-t) // n))
            s = x[0].astype(np.int64).sum(axis=(0, 1)) - gi[1] * n
            q, e = quantize_multiplier(float(gi[0]) / float(go[0]))
            shift = min(n.bit_length() - 1, 32, 31 + e)
            q = (q << shift) // n
            e = e - shift
            return np.clip(mbqm(s, q, e) + go[1], -128, 127)
        if name in ("RESHAPE", "SQUEEZE"):
            return x
        if name == "PAD":
            p = ins[1]
            return np.pad(x, [(int(a), int(b)) for a, b in p], constant_values=go[1])
        if name == "CONCATENATION":
            return np.concatenate(ins, axis=-1)
        if name in ("ADD", "MUL"):
            a, b = ins[0].astype(np.int64), ins[1].astype(np.int64)
            ga, gb = self.grid(op.inputs[0]), self.grid(op.inputs[1])
            lo, hi = act_range(o.get("fused"), go)
            if name == "ADD":
                twice_max = 2 * max(ga[0], gb[0])
                qa, sa = quantize_multiplier(ga[0] / twice_max)
                qb, sb = quantize_multiplier(gb[0] / twice_max)
                qo, so = quantize_multiplier(twice_max / ((1 << 20) * go[0]))
                xa = mbqm((a - ga[1]) * (1 << 20), qa, sa)
                xb = mbqm((b - gb[1]) * (1 << 20), qb, sb)
                return np.clip(mbqm(xa + xb, qo, so) + go[1], lo, hi)
            q, s = quantize_multiplier(ga[0] * gb[0] / go[0])
            return np.clip(mbqm((a - ga[1]) * (b - gb[1]), q, s) + go[1], lo, hi)
        if name == "QUANTIZE":
            if m.tensors[op.inputs[0]].type == "float32":
                return np.clip(round_half_away(x.astype(np.float64) / go[0]) + go[1], -128, 127).astype(np.int64)
            q, s = quantize_multiplier(gi[0] / go[0])
            return np.clip(mbqm(x.astype(np.int64) - gi[1], q, s) + go[1], -128, 127)
        if name == "DEQUANTIZE":
            return (x.astype(np.float64) - gi[1]) * gi[0]
        if name in ("RELU", "RELU6", "RELU_N1_TO_1"):
            # TFLite's ReluPrepare divides the two float scales in float32.
            q, s = quantize_multiplier(float(np.float32(gi[0]) / np.float32(go[0])))
            lo, hi = act_range(name, go)
            return np.clip(mbqm(x.astype(np.int64) - gi[1], q, s) + go[1], lo, hi)
        if name == "LEAKY_RELU":
            # TFLite's LeakyReluPrepare multiplies and divides the float32 values in float32.
            f32 = np.float32
            alpha = f32(o["alpha"])
            qi, si = quantize_multiplier(float(f32(gi[0]) / f32(go[0])))
            qa, sa = quantize_multiplier(float(f32(gi[0]) * alpha / f32(go[0])))
            d = x.astype(np.int64) - gi[1]
            r = np.where(d >= 0, mbqm(d, qi, si), mbqm(d, qa, sa)) + go[1]
            return np.clip(r, -128, 127)
        if name == "HARD_SWISH":
            return hard_swish(x.reshape(-1), gi, go).reshape(x.shape)
        if name in ("LOGISTIC", "TANH"):
            # TFLite's PopulateLookupTable, in float: x = s_in * (q - zp), 1 / (1 + expf(-x)) or
            # tanhf(x), roundf(y * (1 / s_out)) + zp; expf/tanhf as the double function rounded.
            f = np.float32
            inverse = f(1.0) / f(go[0])
            table = {}
            for q in range(-128, 128):
                xf = f(gi[0]) * f(q - gi[1])
                if name == "LOGISTIC":
                    y = f(1.0) / (f(1.0) + f(math.exp(-float(xf))))
                else:
                    y = f(math.tanh(float(xf)))
                table[q] = int(max(-128, min(127, round_half_away(float(f(y * inverse))) + go[1])))
            return np.vectorize(lambda q: table[int(q)])(x).astype(np.int64)
        if name == "SOFTMAX":
            rows = x.reshape(-1, x.shape[-1])
            beta = float(np.float32(o.get("beta", 1.0)))
            return np.array([softmax_row(r, gi[0], beta) for r in rows], dtype=np.int64).reshape(x.shape)
        raise ValueError("the evaluator has no %s" % name)
