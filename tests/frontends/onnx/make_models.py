#!/usr/bin/python3
"""Builds the QDQ ONNX test models of the ONNX front end and their expected outputs.

usage: /usr/bin/python3 make_models.py OUTDIR

For each model NAME it writes into OUTDIR:
  NAME.onnx           a QDQ model (onnx.helper; seeded random int8 weights, per-channel and
                      per-tensor scales, int32 biases, MinMax-calibrated activation grids),
                      accepted by onnx.checker.check_model
  NAME_inputs.hpp     the int8 test inputs, in qpipe's (NHWC) order
  NAME_expected.txt   per input: the outputs of an independent integer evaluator (TFLite int8
                      kernel arithmetic) and of the plain float QDQ semantics

The two evaluators below interpret the ONNX graph node by node; they are written from the ONNX
operator definitions and TFLite's int8 reference kernels, not from qpipe's code:

- integer (TFLite): int32 accumulators; requantization by QuantizeMultiplier (frexp, Q31
  multiplier rounded half away from zero) and MultiplyByQuantizedMultiplier (saturating rounding
  doubling high multiply, then rounding divide by a power of two); pads hold the input zero
  point; ADD with 20 bits of left shift; average pooling divides with ties away from zero; a
  Relu/Clip right after a step is that step's clamp, and a Relu between two QuantizeLinear nodes
  is fused into the step before it on the grid after it (what a TFLite converter does).
  Sigmoid/tanh/softmax: the float function on the dequantized input, rounded half away from zero
  (TFLite's tables; its softmax uses gemmlowp fixed point, so these are compared within 1 code).
- float QDQ: DequantizeLinear -> the float64 operator -> QuantizeLinear (round half to even).
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tflite"))
import tflite_eval  # noqa: E402  (TFLite's int16 HARD_SWISH, from the TFLite tests' evaluator)

OPSET = 13
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1

# ---------------------------------------------------------------------------------------------
# TFLite integer arithmetic


def round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_multiplier(real):
    """TFLite QuantizeMultiplier: real = q * 2^(shift - 31), q in [2^30, 2^31)."""
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
    """SaturatingRoundingDoublingHighMul over int64 arrays (a int32 values, b a Q31 multiplier)."""
    a = np.asarray(a, dtype=np.int64)
    ab = a * np.int64(b)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    v = ab + nudge
    res = np.where(v >= 0, v >> 31, -((-v) >> 31))  # C division truncates towards zero
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, res)


def rounding_divide_by_pot(x, exponent):
    x = np.asarray(x, dtype=np.int64)
    mask = np.int64((1 << exponent) - 1)
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


def multiply_by_quantized_multiplier(x, q, shift):
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    x = np.asarray(x, dtype=np.int64) * (1 << left)
    assert np.all((x >= INT32_MIN) & (x <= INT32_MAX)), "left-shifted accumulator overflows int32"
    return rounding_divide_by_pot(srdhm(x, q), right)


def clamp_range(grid, clamps):
    lo, hi = -128, 127
    for c in clamps:
        lo = max(lo, grid[1])
        if c == "relu6":
            hi = min(hi, grid[1] + int(round_half_away(6.0 / grid[0])))
    return lo, hi


# ---------------------------------------------------------------------------------------------
# Shared tensor helpers (NCHW, batch dropped)


def conv_nchw(x, w, stride, group, dilation=(1, 1)):
    """x [C, H, W] already padded, w [O, C/group, KH, KW]; plain sums in x's dtype. stride and
    dilation: an int or a (height, width) pair."""
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    dh, dw = dilation
    c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (wd - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((o, oh, ow), dtype=np.result_type(x.dtype, w.dtype))
    og = o // group
    for g in range(group):
        xs = x[g * cg : (g + 1) * cg]
        ws = w[g * og : (g + 1) * og]
        for ky in range(kh):
            for kx in range(kw):
                y0, x0 = ky * dh, kx * dw
                patch = xs[:, y0 : y0 + sh * (oh - 1) + 1 : sh, x0 : x0 + sw * (ow - 1) + 1 : sw]
                out[g * og : (g + 1) * og] += np.einsum("oc,chw->ohw", ws[:, :, ky, kx], patch)
    return out


def conv_pads(a, shape, kernel):
    """(top, left, bottom, right) of a Conv or pool node over an image [C, H, W]: pads, or auto_pad's
    SAME (the odd cell after for SAME_UPPER, before for SAME_LOWER)."""
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        return list(a.get("pads", [0, 0, 0, 0]))
    before, after = [], []
    for size, k, s, d in zip(shape[1:], kernel, a.get("strides", [1, 1]), a.get("dilations", [1, 1])):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        small, big = total // 2, total - total // 2
        before.append(small if auto == "SAME_UPPER" else big)
        after.append(big if auto == "SAME_UPPER" else small)
    return before + after


def pool_nchw(x, a, reduce):
    """ONNX MaxPool / AveragePool over x [C, H, W]: per output, reduce(cells of the image in the
    window, the count the average divides by). The window of output i along an axis starts at
    i * stride - pad_before; ceil_mode adds a last partial window unless it would start in the end
    padding; count_include_pad counts the padded cells up to the end padding."""
    kernel, strides = a["kernel_shape"], a.get("strides", [1, 1])
    top, left, bottom, right = conv_pads(a, x.shape, kernel)
    axes = []
    for size, k, s, before, after in zip(x.shape[1:], kernel, strides, (top, left), (bottom, right)):
        padded = size + before + after
        n = (-(-(padded - k) // s) if a.get("ceil_mode", 0) else (padded - k) // s) + 1
        if a.get("ceil_mode", 0) and (n - 1) * s >= size + before:
            n -= 1
        axes.append([(i * s - before, min(i * s - before + k, size + after)) for i in range(n)])
    out = np.zeros((x.shape[0], len(axes[0]), len(axes[1])), dtype=np.result_type(x.dtype, np.float64))
    out = out if x.dtype.kind == "f" else out.astype(np.int64)
    for i, (y0, y1) in enumerate(axes[0]):
        for j, (x0, x1) in enumerate(axes[1]):
            cells = x[:, max(y0, 0) : min(y1, x.shape[1]), max(x0, 0) : min(x1, x.shape[2])].reshape(x.shape[0], -1)
            count = (y1 - y0) * (x1 - x0) if a.get("count_include_pad", 0) else cells.shape[1]
            out[:, i, j] = reduce(cells, count)
    return out


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def consumers(nodes, name):
    return [n for n in nodes if name in n.input]


# ---------------------------------------------------------------------------------------------
# The float QDQ evaluator


def eval_float(nodes, inits, input_name, x, want):
    """x: float input [C, H, W] or [N]; returns the float value of tensor `want`."""
    v = {k: a for k, a in inits.items()}
    v[input_name] = x.astype(np.float64)
    for n in nodes:
        a = attrs(n)
        i = [v[name] if name else None for name in n.input]
        op = n.op_type
        if op == "QuantizeLinear":
            r = np.clip(np.rint(i[0] / np.float64(i[1])) + i[2], -128, 127).astype(np.int8)
        elif op == "DequantizeLinear":
            scale = i[1].astype(np.float64)
            zp = i[2].astype(np.float64) if i[2] is not None else 0.0
            if scale.ndim == 1 and scale.size > 1:
                shape = [1] * i[0].ndim
                shape[a.get("axis", 1)] = -1
                scale = scale.reshape(shape)
                zp = np.reshape(zp, shape) if np.ndim(zp) else zp
            r = (i[0].astype(np.float64) - zp) * scale
        elif op == "Conv":
            p = conv_pads(a, i[0].shape, i[1].shape[2:])
            xp = np.pad(i[0], ((0, 0), (p[0], p[2]), (p[1], p[3])))
            r = conv_nchw(xp, i[1], a.get("strides", [1, 1]), a.get("group", 1), a.get("dilations", [1, 1]))
            if len(i) > 2:
                r = r + i[2][:, None, None]
        elif op == "Gemm":
            w = i[1] if a.get("transB", 0) else i[1].T
            r = w @ i[0] + (i[2] if len(i) > 2 else 0)
        elif op == "MatMul":
            r = i[0] @ i[1]
        elif op == "Add":
            r = i[0] + i[1]
        elif op == "Mul":
            r = i[0] * i[1]
        elif op == "Concat":
            r = np.concatenate(i, axis=a["axis"] - 1)  # batch dropped
        elif op == "LeakyRelu":
            r = np.where(i[0] >= 0, i[0], np.float64(np.float32(a.get("alpha", 0.01))) * i[0])
        elif op == "HardSwish":
            r = i[0] * np.clip(i[0] + 3, 0, 6) / 6
        elif op == "Relu":
            r = np.maximum(i[0], 0)
        elif op == "Sigmoid":
            r = 1 / (1 + np.exp(-i[0]))
        elif op == "Tanh":
            r = np.tanh(i[0])
        elif op == "Erf":  # only in the unsupported-operator model
            r = np.vectorize(math.erf)(i[0])
        elif op == "Softmax":
            ax = a.get("axis", -1)
            ax = ax - 1 if ax > 0 else ax  # batch dropped
            e = np.exp(i[0] - i[0].max(axis=ax, keepdims=True))
            r = e / e.sum(axis=ax, keepdims=True)
        elif op == "MaxPool":
            r = pool_nchw(i[0], a, lambda cells, count: cells.max(axis=1))
        elif op == "AveragePool":
            r = pool_nchw(i[0], a, lambda cells, count: cells.sum(axis=1) / count)
        elif op == "GlobalAveragePool":
            r = i[0].mean(axis=(1, 2), keepdims=True)
        elif op in ("Flatten", "Reshape"):
            r = i[0].reshape(-1)
        else:
            raise ValueError(op)
        v[n.output[0]] = r
        if n.output[0] == want:
            return r
    return v[want]


# ---------------------------------------------------------------------------------------------
# The integer (TFLite) evaluator


class Codes:
    """An int8 tensor: codes (int64 array), grid (scale, zero point), and the pending step it was
    requantized from (for fusing a Relu that follows it)."""

    def __init__(self, codes, grid, origin=None):
        self.codes, self.grid, self.origin = codes, grid, origin


class Pending:
    """A float result not yet quantized: kind acc (int32 accumulators with their per-channel
    scales), add (TFLite ADD of two int8 tensors), keep (int8 codes on the input's grid, from a
    pool or a clamp), real (sigmoid/tanh/softmax values)."""

    def __init__(self, kind, **kw):
        self.kind, self.clamps = kind, []
        self.__dict__.update(kw)

    def with_clamp(self, c):
        p = Pending(self.kind, **{k: v for k, v in self.__dict__.items() if k not in ("kind", "clamps")})
        p.clamps = self.clamps + [c]
        return p


def requantize_pending(p, grid):
    scale, zp = grid
    lo, hi = clamp_range(grid, p.clamps)
    if p.kind == "acc":
        acc = p.acc
        assert np.all((acc >= INT32_MIN) & (acc <= INT32_MAX)), "int32 accumulator overflow"
        out = np.empty_like(acc)
        for c in range(acc.shape[0]):
            q, shift = quantize_multiplier(float(p.acc_scale[c]) / float(scale))
            out[c] = multiply_by_quantized_multiplier(acc[c], q, shift)
        return np.clip(out + zp, lo, hi)
    if p.kind == "add":
        a, b = p.a, p.b
        twice_max = 2 * max(a.grid[0], b.grid[0])
        qa, sa = quantize_multiplier(a.grid[0] / twice_max)
        qb, sb = quantize_multiplier(b.grid[0] / twice_max)
        qo, so = quantize_multiplier(twice_max / ((1 << 20) * scale))
        xa = multiply_by_quantized_multiplier((a.codes - a.grid[1]) * (1 << 20), qa, sa)
        xb = multiply_by_quantized_multiplier((b.codes - b.grid[1]) * (1 << 20), qb, sb)
        return np.clip(multiply_by_quantized_multiplier(xa + xb, qo, so) + zp, lo, hi)
    if p.kind == "mul":  # TFLite MUL: (a - za)(b - zb) by sa sb / so
        a, b = p.a, p.b
        q, shift = quantize_multiplier(a.grid[0] * b.grid[0] / scale)
        return np.clip(
            multiply_by_quantized_multiplier((a.codes - a.grid[1]) * (b.codes - b.grid[1]), q, shift) + zp, lo, hi
        )
    if p.kind == "concat":  # every input onto the output grid (TFLite QUANTIZE where it differs), copied
        parts = [x.codes if x.grid == grid else requantize_codes(x, grid) for x in p.parts]
        return np.clip(np.concatenate(parts, axis=0), lo, hi)
    if p.kind == "leaky":  # TFLite LEAKY_RELU: both multipliers computed in float32 (LeakyReluPrepare)
        f32 = np.float32
        x = p.x
        qi, si = quantize_multiplier(float(f32(x.grid[0]) / f32(scale)))
        qa, sa = quantize_multiplier(float(f32(x.grid[0]) * f32(p.alpha) / f32(scale)))
        d = x.codes - x.grid[1]
        r = np.where(d >= 0, multiply_by_quantized_multiplier(d, qi, si), multiply_by_quantized_multiplier(d, qa, sa))
        return np.clip(r + zp, max(lo, -128), min(hi, 127))
    if p.kind == "hard_swish":  # TFLite's int16 fixed-point HARD_SWISH, from the TFLite tests' evaluator
        x = p.x
        return np.clip(tflite_eval.hard_swish(x.codes.reshape(-1), x.grid, grid).reshape(x.codes.shape), lo, hi)
    if p.kind == "keep":
        if getattr(p, "requantize", False) and (p.grid[0], p.grid[1]) != (scale, zp):
            # A Relu onto a grid of its own with no step before it to fuse into: requantized onto
            # that grid (TFLite QUANTIZE), then clamped there.
            return np.clip(requantize_codes(Codes(p.codes, p.grid), grid), lo, hi)
        assert (p.grid[0], p.grid[1]) == (scale, zp), "a grid-keeping op was requantized"
        return np.clip(p.codes, lo, hi)
    if p.kind == "real":
        return np.clip(round_half_away(p.real / scale) + zp, lo, hi).astype(np.int64)
    raise ValueError(p.kind)


def requantize_codes(x, grid):
    """TFLite QUANTIZE int8 -> int8: x - zi by si / so, plus zo."""
    q, shift = quantize_multiplier(x.grid[0] / grid[0])
    return np.clip(multiply_by_quantized_multiplier(x.codes - x.grid[1], q, shift) + grid[1], -128, 127)


def eval_int(nodes, inits, input_name, codes):
    """codes: the int8 input codes (NCHW); returns the int8 codes of the graph output."""
    v = {}
    # Weights and biases: DequantizeLinear of int8 / int32 initializers.
    for n in nodes:
        if n.op_type == "DequantizeLinear" and n.input[0] in inits:
            v[n.output[0]] = ("const", inits[n.input[0]].astype(np.int64), inits[n.input[1]].astype(np.float64))
    for n in nodes:
        op, a = n.op_type, attrs(n)
        out = n.output[0]
        if op == "DequantizeLinear":
            if n.input[0] in inits:
                continue
            v[out] = v[n.input[0]]  # the same int8 tensor, read as real values
            continue
        if op == "QuantizeLinear":
            grid = (float(inits[n.input[1]]), int(inits[n.input[2]]))
            x = n.input[0]
            if x == input_name:
                v[out] = Codes(codes.astype(np.int64), grid)
            elif isinstance(v[x], Codes):  # a reshaped int8 tensor, quantized again on its own grid
                assert v[x].grid == grid, "a reshape was requantized"
                v[out] = Codes(v[x].codes, grid, v[x].origin)
            else:
                p = v[x]
                origin = p if p.kind in ("acc", "add", "mul", "leaky", "hard_swish") else None
                v[out] = Codes(requantize_pending(p, grid), grid, origin)
            continue
        i = [v.get(name) if name else None for name in n.input]
        if op == "Conv":
            x, (_, w, ws), bias = i[0], i[1], (i[2] if len(i) > 2 else None)
            p = conv_pads(a, x.codes.shape, w.shape[2:])
            xp = np.pad(x.codes - x.grid[1], ((0, 0), (p[0], p[2]), (p[1], p[3])))  # pad cells: zero point
            acc = conv_nchw(xp, w, a.get("strides", [1, 1]), a.get("group", 1), a.get("dilations", [1, 1]))
            if bias is not None:
                acc = acc + bias[1][:, None, None]
            ws = np.broadcast_to(ws, (w.shape[0],))
            v[out] = Pending("acc", acc=acc, acc_scale=np.float64(x.grid[0]) * ws)
        elif op == "Gemm":
            x, (_, w, ws) = i[0], i[1]
            w = w if a.get("transB", 0) else w.T
            acc = w @ (x.codes.reshape(-1) - x.grid[1])
            if len(i) > 2:
                acc = acc + i[2][1]
            v[out] = Pending(
                "acc", acc=acc[:, None], acc_scale=np.float64(x.grid[0]) * np.broadcast_to(ws, (w.shape[0],))
            )
        elif op == "MatMul":
            x, (_, w, ws) = i[0], i[1]
            acc = w.T @ (x.codes.reshape(-1) - x.grid[1])
            v[out] = Pending(
                "acc", acc=acc[:, None], acc_scale=np.float64(x.grid[0]) * np.broadcast_to(ws, (w.shape[1],))
            )
        elif op == "Add":
            if isinstance(i[1], tuple) or isinstance(i[0], tuple):  # a MatMul's bias
                p, b = (i[0], i[1]) if isinstance(i[1], tuple) else (i[1], i[0])
                v[out] = Pending("acc", acc=p.acc + b[1][:, None], acc_scale=p.acc_scale)
            else:
                v[out] = Pending("add", a=i[0], b=i[1])
        elif op == "Mul":
            v[out] = Pending("mul", a=i[0], b=i[1])
        elif op == "Concat":
            assert a["axis"] == 1, "the evaluator concatenates channels"
            v[out] = Pending("concat", parts=i)
        elif op == "LeakyRelu":
            v[out] = Pending("leaky", x=i[0], alpha=a.get("alpha", 0.01))
        elif op == "HardSwish":
            v[out] = Pending("hard_swish", x=i[0])
        elif op in ("Relu", "Clip"):
            kind = "relu" if op == "Relu" else "relu6"
            x = i[0]
            if isinstance(x, Pending):
                v[out] = x.with_clamp(kind)
            elif x.origin is not None and len(consumers(nodes, n.input[0])) == 1:
                v[out] = x.origin.with_clamp(kind)  # fused into the step before, on the grid after
            else:
                v[out] = Pending("keep", codes=x.codes, grid=x.grid, requantize=True).with_clamp(kind)
        elif op in ("MaxPool", "AveragePool"):
            x = i[0]
            if op == "MaxPool":  # the largest code among the image's cells in the window
                r = pool_nchw(x.codes, a, lambda cells, count: cells.max(axis=1))
            else:  # their sum, padded cells counted holding the zero point, over the count, ties away

                def average(cells, count):
                    s = cells.sum(axis=1) + (count - cells.shape[1]) * x.grid[1]
                    return np.where(s > 0, (s + count // 2) // count, -((-s + count // 2) // count))

                r = pool_nchw(x.codes, a, average)
            v[out] = Pending("keep", codes=r, grid=x.grid)
        elif op == "GlobalAveragePool":
            x = i[0]
            s, cnt = x.codes.sum(axis=(1, 2), keepdims=True), x.codes.shape[1] * x.codes.shape[2]
            r = np.where(s > 0, (s + cnt // 2) // cnt, -((-s + cnt // 2) // cnt))
            v[out] = Pending("keep", codes=r, grid=x.grid)
        elif op in ("Flatten", "Reshape"):
            x = i[0]
            v[out] = (
                Codes(x.codes.reshape(-1), x.grid, x.origin)
                if isinstance(x, Codes)
                else Pending("keep", codes=x.codes.reshape(-1), grid=x.grid)
            )
        elif op in ("Sigmoid", "Tanh", "Softmax"):
            x = i[0]
            real = (x.codes - x.grid[1]) * x.grid[0]
            if op == "Sigmoid":
                r = 1 / (1 + np.exp(-real))
            elif op == "Tanh":
                r = np.tanh(real)
            else:
                e = np.exp(real - real.max())
                r = e / e.sum()
            v[out] = Pending("real", real=r)
        else:
            raise ValueError(op)
    return v


# ---------------------------------------------------------------------------------------------
# Building QDQ models


def minmax_grid(values):
    lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
    if hi == lo:
        hi = lo + 1e-3
    scale = float(np.float32((hi - lo) / 255.0))
    zp = int(np.clip(round_half_away(-128 - lo / scale), -128, 127))
    return scale, zp


class Builder:
    def __init__(self, name, shape, input_grid, calibration, seed):
        self.name, self.shape, self.rng = name, shape, np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], {}, 0
        self.calibration = calibration  # float inputs
        self.input = "input"
        self.grids = {}
        self.opset = OPSET
        self.x = self.qdq(self.input, input_grid)

    def fresh(self, base):
        self.count += 1
        return "%s_%d" % (base, self.count)

    def const(self, array, base):
        name = self.fresh(base)
        self.inits[name] = np.asarray(array)
        return name

    def node(self, op, inputs, base=None, **kw):
        out = self.fresh(base or op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **kw))
        return out

    def calibrate(self, name):
        vals = [eval_float(self.nodes, self.inits, self.input, x, name) for x in self.calibration]
        return minmax_grid(np.stack(vals))

    def quantize(self, x, grid=None):
        """QuantizeLinear (grid from MinMax calibration unless given); returns the int8 tensor."""
        grid = grid or self.calibrate(x)
        s = self.const(np.float32(grid[0]), "scale")
        z = self.const(np.int8(grid[1]), "zero_point")
        q = self.node("QuantizeLinear", [x, s, z], "q")
        self.grids[q] = (s, z, grid)
        return q

    def dequantize(self, q):
        s, z, _ = self.grids[q]
        return self.node("DequantizeLinear", [q, s, z], "dq")

    def qdq(self, x, grid=None):
        return self.dequantize(self.quantize(x, grid))

    def grid_of(self, dq_name):
        dq = next(n for n in self.nodes if n.output[0] == dq_name)
        while dq.op_type in ("Flatten", "Reshape"):  # a reshaped dequantized tensor
            dq = next(n for n in self.nodes if n.output[0] == dq.input[0])
        return self.grids[dq.input[0]][2]

    def weights(self, shape, per_channel, axis=0, magnitude=0.5):
        w = self.rng.integers(-127, 128, size=shape, dtype=np.int8)
        channels = shape[axis]
        if per_channel:
            scales = (magnitude / 127.0 * self.rng.uniform(0.4, 1.6, size=channels)).astype(np.float32)
        else:
            scales = np.float32(magnitude / 127.0 * self.rng.uniform(0.5, 1.5))
        wq = self.const(w, "w")
        sn = self.const(scales, "w_scale")
        zn = self.const(np.zeros(scales.shape, dtype=np.int8), "w_zero_point")
        kw = {"axis": axis} if per_channel else {}
        return self.node("DequantizeLinear", [wq, sn, zn], "w_dq", **kw), np.broadcast_to(scales, (channels,))

    def bias(self, x, w_scales, magnitude=0.2):
        s_in = self.grid_of(x)[0]
        acc_scale = (np.float32(s_in) * w_scales.astype(np.float32)).astype(np.float32)
        b = np.round(self.rng.uniform(-magnitude, magnitude, size=w_scales.shape) / acc_scale).astype(np.int32)
        bq = self.const(b, "b")
        sn = self.const(acc_scale, "b_scale")
        zn = self.const(np.zeros(b.shape, dtype=np.int32), "b_zero_point")
        return self.node("DequantizeLinear", [bq, sn, zn], "b_dq", axis=0)

    def conv(
        self,
        x,
        cin,
        cout,
        k,
        stride=1,
        pad=0,
        group=1,
        per_channel=True,
        bias=True,
        magnitude=0.6,
        dilation=1,
        auto_pad=None,
    ):
        """k, stride, dilation: an int or (height, width); pad: an int or [top, left, bottom, right]."""
        kh, kw = (k, k) if np.isscalar(k) else k
        pair = lambda v: [v, v] if np.isscalar(v) else list(v)
        w, scales = self.weights((cout, cin // group, kh, kw), per_channel, 0, magnitude)
        inputs = [x, w] + ([self.bias(x, scales)] if bias else [])
        window = dict(auto_pad=auto_pad) if auto_pad else dict(pads=[pad] * 4 if np.isscalar(pad) else list(pad))
        if dilation != 1:
            window["dilations"] = pair(dilation)
        return self.node("Conv", inputs, "conv", kernel_shape=[kh, kw], strides=pair(stride), group=group, **window)

    def gemm(self, x, nin, nout, trans_b, magnitude=0.5, per_channel=False):
        shape, axis = ((nout, nin), 0) if trans_b else ((nin, nout), 1)
        w, scales = self.weights(shape, per_channel, axis, magnitude)
        return self.node("Gemm", [x, w, self.bias(x, scales)], "gemm", transB=trans_b)

    def matmul(self, x, nin, nout, magnitude=0.5, per_channel=False):
        w, scales = self.weights((nin, nout), per_channel, 1, magnitude)
        m = self.node("MatMul", [x, w], "matmul")
        return self.node("Add", [m, self.bias(x, scales)], "bias_add")

    def model(self, out_dq):
        out_shape = [1] + list(eval_float(self.nodes, self.inits, self.input, self.calibration[0], out_dq).shape)
        g = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info(self.input, TensorProto.FLOAT, [1] + list(self.shape))],
            [helper.make_tensor_value_info(out_dq, TensorProto.FLOAT, out_shape)],
            [numpy_helper.from_array(a, n) for n, a in self.inits.items()],
        )
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)], producer_name="qpipe tests")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def inputs_for(rng, shape, grid, n_random=5):
    size = int(np.prod(shape))
    fixed = [np.full(size, -128), np.full(size, 127), np.where(np.arange(size) % 2, 127, -128)]
    rand = [rng.integers(-128, 128, size=size) for _ in range(n_random)]
    return [c.reshape(shape).astype(np.int8) for c in fixed + rand]


def calibration_for(rng, shape, grid, n=16):
    """Float calibration inputs on the input grid's range, smooth plus noise."""
    lo, hi = (-128 - grid[1]) * grid[0], (127 - grid[1]) * grid[0]
    out = []
    for k in range(n):
        base = np.sin(np.arange(np.prod(shape)) * (0.3 + 0.1 * k)).reshape(shape)
        x = 0.5 * (lo + hi) + 0.5 * (hi - lo) * (0.7 * base + 0.3 * rng.uniform(-1, 1, size=shape))
        out.append(x)
    return out


def build_mlp(head):
    """Gemm -> QDQ -> Relu -> MatMul(+bias Add) [-> Softmax]."""
    rng = np.random.default_rng(11)
    grid = (0.02, -5)
    b = Builder("mlp", (16,), grid, calibration_for(rng, (16,), grid), seed=1)
    h = b.qdq(b.gemm(b.x, 16, 12, trans_b=1))  # Gemm -> Q(g1) -> DQ -> Relu -> Q(g2): fused on g2
    h = b.qdq(b.node("Relu", [h]))
    y = b.qdq(b.matmul(h, 12, 10))
    if head:
        y = b.qdq(b.node("Softmax", [y], axis=-1), (1.0 / 256.0, -128))
    return b, rng, grid


def build_mlp_per_channel():
    """Per-channel weights on both dense layers (what quantize_static(per_channel=True) writes):
    Gemm(transB=0, scales along axis 1) -> Relu -> MatMul(+bias Add, scales along axis 1)."""
    rng = np.random.default_rng(12)
    grid = (0.03, 7)
    b = Builder("mlp_per_channel", (10,), grid, calibration_for(rng, (10,), grid), seed=2)
    h = b.qdq(b.node("Relu", [b.gemm(b.x, 10, 9, trans_b=0, per_channel=True)]))
    y = b.qdq(b.matmul(h, 9, 6, per_channel=True))
    return b, rng, grid


def build_cnn():
    """Conv(pad 1)->Relu->MaxPool->residual(Conv 1x1->Relu->depthwise 3x3->Conv 1x1, Add, Relu)
    ->GlobalAveragePool->Flatten->Gemm."""
    rng = np.random.default_rng(22)
    grid = (1.0 / 64.0, -10)
    b = Builder("cnn", (3, 8, 8), grid, calibration_for(rng, (3, 8, 8), grid), seed=2)
    x = b.conv(b.x, 3, 8, 3, pad=1, per_channel=True)
    x = b.qdq(b.node("Relu", [x]))  # float Relu between Conv and its QuantizeLinear
    q = b.quantize(b.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2]), b.grid_of(x))
    skip = b.dequantize(q)  # 4x4x8, read by the branch and the add
    y = b.conv(skip, 8, 16, 1, per_channel=False)  # pointwise, per tensor
    y = b.qdq(b.node("Relu", [y]))
    y = b.qdq(b.conv(y, 16, 16, 3, pad=1, group=16))  # depthwise, per channel
    y = b.qdq(b.conv(y, 16, 8, 1, per_channel=True))  # pointwise, per channel
    s = b.qdq(b.node("Relu", [b.node("Add", [skip, y])]))
    g = b.qdq(b.node("GlobalAveragePool", [s]), b.grid_of(s))
    f = b.qdq(b.node("Flatten", [g], axis=1), b.grid_of(g))
    out = b.qdq(b.gemm(f, 8, 5, trans_b=1, magnitude=1.0))
    return b, rng, grid, out


def build_head(head):
    """Conv 3x3 stride 2 (per tensor, no bias) -> AveragePool 2 -> Reshape -> Gemm (weight [in][out],
    columns in NCHW order) [-> Tanh or Sigmoid]."""
    rng = np.random.default_rng(33)
    grid = (0.05, 3)
    b = Builder("head", (2, 9, 9), grid, calibration_for(rng, (2, 9, 9), grid), seed=3)
    x = b.qdq(b.conv(b.x, 2, 4, 3, stride=2, per_channel=False, bias=False))  # 4x4x4
    x = b.qdq(b.node("AveragePool", [x], kernel_shape=[2, 2], strides=[1, 1]), b.grid_of(x))  # 3x3x4
    shape = b.const(np.array([1, -1], dtype=np.int64), "shape")
    f = b.node("Reshape", [x, shape])  # read by the Gemm in float (no QDQ between)
    y = b.qdq(b.gemm(f, 36, 6, trans_b=0, magnitude=0.15))
    if head == "tanh":
        y = b.qdq(b.node("Tanh", [y]), (1.0 / 128.0, 0))
    elif head == "sigmoid":
        y = b.qdq(b.node("Sigmoid", [y]), (1.0 / 256.0, -128))
    return b, rng, grid, y


def build_ds_cnn():
    """DS-CNN's stem on a 13 x 10 input: Conv 10 x 4 stride 2 whose explicit pads [4, 1, 5, 1] are
    TFLite's SAME for this size (qpipe::same) -> Relu; a depthwise Conv 3 x 3 with multiplier 2
    (group 8, 16 outputs; auto_pad SAME_UPPER) -> Relu; AveragePool 3 x 5 stride 1 pads [1, 2, 1, 2]
    (count_include_pad 0: SAME); AveragePool 7 x 5 (rectangular, VALID); Flatten; Gemm."""
    rng = np.random.default_rng(61)
    grid = (1.0 / 64.0, -20)
    b = Builder("ds_cnn", (1, 13, 10), grid, calibration_for(rng, (1, 13, 10), grid), seed=6)
    x = b.qdq(b.node("Relu", [b.conv(b.x, 1, 8, (10, 4), stride=2, pad=[4, 1, 5, 1])]))
    x = b.qdq(b.node("Relu", [b.conv(x, 8, 16, 3, group=8, auto_pad="SAME_UPPER")]))
    x = b.qdq(b.node("AveragePool", [x], kernel_shape=[3, 5], strides=[1, 1], pads=[1, 2, 1, 2]), b.grid_of(x))
    x = b.qdq(b.node("AveragePool", [x], kernel_shape=[7, 5], strides=[7, 5]), b.grid_of(x))
    f = b.qdq(b.node("Flatten", [x], axis=1), b.grid_of(x))
    return b, rng, grid, b.qdq(b.gemm(f, 16, 4, trans_b=1))


def build_resnet():
    """A ResNet-8 downsampling block: Conv 3 x 3 stride 2 pads 1 (not SAME here: a QPad2D) -> Relu ->
    Conv 3 x 3 pads 1 (SAME), beside a 1 x 1 stride-2 shortcut Conv; Add -> Relu
    (qpipe::Add<Pipe<...>, Pipe<...>>); GlobalAveragePool; Flatten; Gemm."""
    rng = np.random.default_rng(62)
    grid = (1.0 / 32.0, 0)
    b = Builder("resnet", (4, 8, 8), grid, calibration_for(rng, (4, 8, 8), grid), seed=7)
    y = b.qdq(b.node("Relu", [b.conv(b.x, 4, 8, 3, stride=2, pad=1)]))
    y = b.qdq(b.conv(y, 8, 8, 3, pad=1))
    s = b.qdq(b.conv(b.x, 4, 8, 1, stride=2))
    y = b.qdq(b.node("Relu", [b.node("Add", [y, s])]))
    g = b.qdq(b.node("GlobalAveragePool", [y]), b.grid_of(y))
    f = b.qdq(b.node("Flatten", [g], axis=1), b.grid_of(g))
    return b, rng, grid, b.qdq(b.gemm(f, 8, 3, trans_b=1))


def build_merges():
    """Concat(Relu(Conv 1 x 1), LeakyRelu(Conv 3 x 3 dilation 2 pads 2 = SAME), the input) along the
    channels on a grid of its own (each input requantized: QQuantize); MaxPool 3 x 1 pads [1, 0, 1, 0]
    (SAME); Mul(HardSwish(Conv 1 x 1), Relu(Conv 1 x 1)). Opset 14 (HardSwish)."""
    rng = np.random.default_rng(63)
    grid = (1.0 / 50.0, -30)
    b = Builder("merges", (3, 6, 6), grid, calibration_for(rng, (3, 6, 6), grid), seed=8)
    b.opset = 14
    a = b.qdq(b.node("Relu", [b.conv(b.x, 3, 4, 1)]))
    c = b.qdq(b.conv(b.x, 3, 4, 3, pad=2, dilation=2))
    c = b.qdq(b.node("LeakyRelu", [c], alpha=0.125))
    y = b.qdq(b.node("Concat", [a, c, b.x], axis=1))
    y = b.qdq(b.node("MaxPool", [y], kernel_shape=[3, 1], strides=[1, 1], pads=[1, 0, 1, 0]), b.grid_of(y))
    v = b.qdq(b.node("HardSwish", [b.qdq(b.conv(y, 11, 5, 1))]))
    t = b.qdq(b.node("Relu", [b.conv(y, 11, 5, 1)]))
    return b, rng, grid, b.qdq(b.node("Mul", [v, t]))


def build_pools():
    """A Relu of the input onto a grid of its own (no step before it to fuse into: QQuantize + QRelu);
    AveragePool 3 x 3 stride 2 pads 1 with count_include_pad 1 (the padded cells counted: a QPad2D
    in front of a VALID pool); MaxPool 3 x 3 stride 2 with ceil_mode (its partial last window is
    TFLite SAME's)."""
    rng = np.random.default_rng(64)
    grid = (1.0 / 40.0, 10)
    b = Builder("pools", (2, 7, 7), grid, calibration_for(rng, (2, 7, 7), grid), seed=9)
    x = b.qdq(b.conv(b.qdq(b.node("Relu", [b.x])), 2, 4, 1))
    x = b.qdq(
        b.node("AveragePool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1),
        b.grid_of(x),
    )
    return b, rng, grid, b.qdq(b.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), b.grid_of(x))


def nhwc(values):
    """An output in qpipe's order, flat: images [C, H, W] as (H, W, C)."""
    return (values.transpose(1, 2, 0) if values.ndim == 3 else values).reshape(-1)


def write(outdir, name, b, rng, grid, out, tolerance):
    model = b.model(out)
    onnx.save(model, os.path.join(outdir, name + ".onnx"))
    inputs = inputs_for(rng, b.shape, grid)
    lines = [
        "# %s: expected int8 outputs, one input per line; tolerance %d code(s) against the integer evaluator"
        % (name, tolerance),
        "tolerance %d" % tolerance,
    ]
    q_out = next(n for n in b.nodes if n.output[0] == out).input[0]
    for codes in inputs:
        ints = nhwc(eval_int(b.nodes, b.inits, b.input, codes)[q_out].codes)
        real = (codes.astype(np.float64) - grid[1]) * np.float64(np.float32(grid[0]))
        floats = nhwc(eval_float(b.nodes, b.inits, b.input, real, q_out))
        lines.append("int " + " ".join(str(int(v)) for v in ints))
        lines.append("float " + " ".join(str(int(v)) for v in floats))
    with open(os.path.join(outdir, name + "_expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    flat = [c.transpose(1, 2, 0).reshape(-1) if c.ndim == 3 else c for c in inputs]  # qpipe order (NHWC)
    rows = ",\n    ".join("{" + ", ".join(str(int(v)) for v in c) + "}" for c in flat)
    with open(os.path.join(outdir, name + "_inputs.hpp"), "w") as f:
        f.write(
            "// Generated by make_models.py: the int8 test inputs of %s.onnx in qpipe (NHWC) order.\n"
            "#pragma once\n#include <cstdint>\nnamespace %s_data {\n"
            "inline constexpr std::int8_t inputs[%d][%d] = {\n    %s};\n}  // namespace %s_data\n"
            % (name, name, len(flat), flat[0].size, rows, name)
        )


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    b, rng, grid = build_mlp(head=True)
    write(outdir, "mlp", b, rng, grid, b.nodes[-1].output[0], 1)
    b, rng, grid = build_mlp(head=False)
    write(outdir, "mlp_logits", b, rng, grid, b.nodes[-1].output[0], 0)
    b, rng, grid = build_mlp_per_channel()
    write(outdir, "mlp_per_channel", b, rng, grid, b.nodes[-1].output[0], 0)
    b, rng, grid, out = build_cnn()
    write(outdir, "cnn", b, rng, grid, out, 0)
    for head, tol in (("tanh", 1), ("sigmoid", 1), (None, 0)):
        b, rng, grid, out = build_head(head)
        write(outdir, "head_" + (head or "logits"), b, rng, grid, out, tol)
    for name, build in (
        ("ds_cnn", build_ds_cnn),
        ("resnet", build_resnet),
        ("merges", build_merges),
        ("pools", build_pools),
    ):
        b, rng, grid, out = build()
        write(outdir, name, b, rng, grid, out, 0)
    write_error_models(outdir)
    return 0


def write_error_models(outdir):
    """Models the reader must refuse: an unsupported operator, and a float model without QDQ."""
    rng = np.random.default_rng(44)
    grid = (0.02, 0)
    b = Builder("unsupported", (8,), grid, calibration_for(rng, (8,), grid), seed=4)
    y = b.qdq(b.gemm(b.x, 8, 4, trans_b=1))
    y = b.node("Erf", [y], "gelu_erf")  # the core of a Gelu
    y = b.qdq(y, (0.01, 0))
    onnx.save(b.model(y), os.path.join(outdir, "unsupported_op.onnx"))
    # A float model: Conv -> Relu -> Flatten -> Gemm, float weights, no QuantizeLinear anywhere.
    w = numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w")
    g_w = numpy_helper.from_array(rng.normal(size=(5, 36)).astype(np.float32), "g_w")
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["c"], name="conv", kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "g_w"], ["out"], name="fc", transB=1),
    ]
    g = helper.make_graph(
        nodes,
        "float_model",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 5, 5])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 5])],
        [w, g_w],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(outdir, "float_model.onnx"))
    for name, build in ERROR_MODELS.items():
        onnx.save(build(), os.path.join(outdir, name + ".onnx"))
    with open(os.path.join(outdir, "random_bytes.onnx"), "wb") as f:
        f.write(np.random.default_rng(55).integers(0, 256, size=4096, dtype=np.uint8).tobytes())


def error_model(name, shape, body, opset=OPSET):
    """A QDQ model the reader must refuse: body(builder) returns the dequantized output."""
    rng = np.random.default_rng(len(name))
    grid = (1.0 / 64.0, 0)
    b = Builder(name, shape, grid, calibration_for(rng, shape, grid, n=4), seed=len(name))
    b.opset = opset
    return b.model(body(b))


ERROR_MODELS = {
    # Two groups of two channels: neither a plain nor a depthwise convolution.
    "grouped_conv": lambda: error_model("grouped_conv", (4, 6, 6), lambda b: b.qdq(b.conv(b.x, 4, 4, 3, group=2))),
    # pads 1 on a 6 x 6 image with stride 2: TFLite's SAME would pad 0 above and 1 below.
    "avg_pool_not_same": lambda: error_model(
        "avg_pool_not_same",
        (2, 6, 6),
        lambda b: b.qdq(
            b.node("AveragePool", [b.x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), b.grid_of(b.x)
        ),
    ),
    "concat_width": lambda: error_model(
        "concat_width", (2, 4, 4), lambda b: b.qdq(b.node("Concat", [b.qdq(b.conv(b.x, 2, 2, 1)), b.x], axis=3))
    ),
    "add_broadcast": lambda: error_model(
        "add_broadcast",
        (2, 4, 4),
        lambda b: b.qdq(b.node("Add", [b.x, b.qdq(b.node("GlobalAveragePool", [b.x]), b.grid_of(b.x))])),
    ),
}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: make_models.py OUTDIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
