#!/usr/bin/python3
"""Builds the TFLite test models of the TFLite front end and their expected outputs.

usage: /usr/bin/python3 make_models.py OUTDIR [NAME...]    write the models (all, or the names)
       /usr/bin/python3 make_models.py --list              print `name feature,feature,...` lines

For each model NAME it writes into OUTDIR:
  NAME.tflite         an int8 TFLite flatbuffer (tflite_builder.py; hand-chosen shapes and options,
                      seeded int8 weights, per-tensor or per-channel scales, int32 biases, grids)
  NAME_inputs.hpp     the int8 test inputs in NHWC order (namespace NAME_data, `inputs`)
  NAME_expected.txt   per input, the output codes of tflite_eval.py (TFLite's integer kernels)

The features a model needs from the C++ side (beyond what qpipe had when this was written) are
listed with it; meson builds and runs a model only when its compiler probes find every feature.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tflite_builder as tb  # noqa: E402
import tflite_eval as te  # noqa: E402

f32 = lambda x: float(np.float32(x))


class B:
    """A model under construction: one activation chain at a time, TFLite shapes with batch 1."""

    def __init__(self, in_shape, in_grid, seed):
        self.m = tb.Model()
        self.rng = np.random.default_rng(seed)
        self.x = self.m.tensor([1] + list(in_shape), "int8", in_grid[0], in_grid[1], name="input")
        self.m.inputs = [self.x]

    def shape(self, t):
        return self.m.tensors[t].shape

    def grid(self, t):
        tt = self.m.tensors[t]
        return tt.scale[0], tt.zero_point[0]

    def act(self, shape, grid, name=None):
        return self.m.tensor(shape, "int8", grid[0], grid[1], name=name)

    def auto_grid(self, scale):
        return (f32(scale), int(self.rng.integers(-20, 21)))

    def weights(self, shape, channels_axis, per_channel, scale=0.02):
        w = self.rng.integers(-127, 128, size=shape)
        channels = shape[channels_axis]
        if per_channel:
            s = [f32(scale * (0.5 + self.rng.random())) for _ in range(channels)]
        else:
            s = [f32(scale)]
        return w, s

    def conv(
        self,
        x,
        cout,
        k=(3, 3),
        stride=(1, 1),
        dil=(1, 1),
        padding="VALID",
        fused="NONE",
        per_channel=True,
        depthwise=False,
        mult=1,
        out_grid=None,
        bias=True,
        wscale=0.02,
    ):
        _, h, w, cin = self.shape(x)
        if depthwise:
            cout = cin * mult
            wshape = [1, k[0], k[1], cout]
            wt, ws = self.weights(wshape, 3, per_channel, wscale)
            qdim = 3
        else:
            wshape = [cout, k[0], k[1], cin]
            wt, ws = self.weights(wshape, 0, per_channel, wscale)
            qdim = 0
        wi = self.m.tensor(wshape, "int8", ws, [0] * len(ws), data=wt, qdim=qdim, name="weights")
        gi = self.grid(x)
        inputs = [x, wi]
        if bias:
            per = ws if len(ws) > 1 else ws * cout
            b = self.rng.integers(-3000, 3000, size=cout)
            bi = self.m.tensor([cout], "int32", [f32(gi[0] * s) for s in per], [0] * cout, data=b, name="bias")
            inputs.append(bi)
        oh, _ = te.same_pads(h, k[0], stride[0], dil[0], padding)
        ow, _ = te.same_pads(w, k[1], stride[1], dil[1], padding)
        fan_in = k[0] * k[1] * (1 if depthwise else cin)
        og = out_grid or self.auto_grid(60 * math.sqrt(fan_in) * gi[0] * float(np.mean(ws)))
        y = self.act([1, oh, ow, cout], og)
        opts = dict(
            padding=padding, stride_w=stride[1], stride_h=stride[0], fused=fused, dilation_w=dil[1], dilation_h=dil[0]
        )
        if depthwise:
            opts["depth_multiplier"] = mult
        self.m.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", inputs, [y], **opts)
        return y

    def dense(self, x, units, per_channel=False, fused="NONE", out_grid=None):
        n = int(np.prod(self.shape(x)[1:]))
        wt, ws = self.weights([units, n], 0, per_channel)
        wi = self.m.tensor([units, n], "int8", ws, [0] * len(ws), data=wt, qdim=0, name="weights")
        gi = self.grid(x)
        per = ws if len(ws) > 1 else ws * units
        b = self.rng.integers(-3000, 3000, size=units)
        bi = self.m.tensor([units], "int32", [f32(gi[0] * s) for s in per], [0] * units, data=b, name="bias")
        og = out_grid or self.auto_grid(60 * math.sqrt(n) * gi[0] * float(np.mean(ws)))
        y = self.act([1, units], og)
        self.m.op("FULLY_CONNECTED", [x, wi, bi], [y], fused=fused)
        return y

    def pool(self, x, kind, k, stride, padding="VALID", fused="NONE"):
        _, h, w, c = self.shape(x)
        oh, _ = te.same_pads(h, k[0], stride[0], 1, padding)
        ow, _ = te.same_pads(w, k[1], stride[1], 1, padding)
        y = self.act([1, oh, ow, c], self.grid(x))
        self.m.op(
            kind,
            [x],
            [y],
            padding=padding,
            stride_w=stride[1],
            stride_h=stride[0],
            filter_w=k[1],
            filter_h=k[0],
            fused=fused,
        )
        return y

    def unary(self, x, name, out_grid=None, **opts):
        y = self.act(self.shape(x), out_grid or self.grid(x))
        self.m.op(name, [x], [y], **opts)
        return y

    def binary(self, name, a, b, out_grid, fused="NONE"):
        y = self.act(self.shape(a), out_grid)
        self.m.op(name, [a, b], [y], fused=fused)
        return y

    def concat(self, xs, fused="NONE", axis=-1):
        s = list(self.shape(xs[0]))
        s[-1] = sum(self.shape(x)[-1] for x in xs)
        y = self.act(s, self.grid(xs[0]))
        self.m.op("CONCATENATION", xs, [y], axis=axis, fused=fused)
        return y

    def reshape(self, x, shape, op="RESHAPE", with_tensor=True):
        y = self.act(shape, self.grid(x))
        if op == "RESHAPE" and with_tensor:
            st = self.m.tensor([len(shape)], "int32", data=np.array(shape), name="new_shape")
            self.m.op("RESHAPE", [x, st], [y], new_shape=list(shape))
        elif op == "RESHAPE":
            self.m.op("RESHAPE", [x], [y], new_shape=list(shape))
        else:
            self.m.op("SQUEEZE", [x], [y], squeeze_dims=[1, 2])
        return y

    def pad(self, x, pads):
        _, h, w, c = self.shape(x)
        t, b_, l, r = pads
        p = self.m.tensor([4, 2], "int32", data=np.array([[0, 0], [t, b_], [l, r], [0, 0]]), name="paddings")
        y = self.act([1, h + t + b_, w + l + r, c], self.grid(x))
        self.m.op("PAD", [x, p], [y])
        return y

    def mean(self, x, keep_dims, out_grid=None):
        _, h, w, c = self.shape(x)
        a = self.m.tensor([2], "int32", data=np.array([1, 2]), name="axis")
        gi = self.grid(x)
        y = self.act([1, 1, 1, c] if keep_dims else [1, c], out_grid or (f32(gi[0] * 0.75), 3))
        self.m.op("MEAN", [x, a], [y], keep_dims=keep_dims)
        return y

    def finish(self, y):
        self.m.outputs = [y]
        return self.m


SIG, TANH, SMAX = (1 / 256, -128), (1 / 128, 0), (1 / 256, -128)

# --------------------------------------------------------------------------------------------
# The models: name -> (features needed, builder)

MODELS = {}


def model(name, *features):
    def register(f):
        MODELS[name] = (list(features), f)
        return f

    return register


# CONV_2D
@model("conv_valid_per_channel")
def _(s):
    b = B((7, 6, 3), (f32(0.05), -3), s)
    return b.finish(b.conv(b.x, 4, k=(3, 3)))


@model("conv_valid_per_tensor_stride2")
def _(s):
    b = B((9, 8, 2), (f32(0.04), 5), s)
    return b.finish(b.conv(b.x, 3, k=(3, 3), stride=(2, 2), per_channel=False))


@model("conv_same_odd_relu")
def _(s):
    b = B((7, 7, 3), (f32(0.05), 0), s)
    return b.finish(b.conv(b.x, 4, k=(3, 3), padding="SAME", fused="RELU"))


@model("conv_same_even_stride2_relu6")
def _(s):
    b = B((8, 6, 2), (f32(0.05), -10), s)
    return b.finish(b.conv(b.x, 3, k=(3, 3), stride=(2, 2), padding="SAME", fused="RELU6", out_grid=(f32(0.03), -128)))


@model("conv_1x1_no_bias")
def _(s):
    b = B((4, 5, 6), (f32(0.02), 7), s)
    return b.finish(b.conv(b.x, 5, k=(1, 1), bias=False))


@model("conv_rect_10x4_stride2_same", "window")
def _(s):
    b = B((15, 8, 1), (f32(0.05), -1), s)
    return b.finish(b.conv(b.x, 4, k=(10, 4), stride=(2, 2), padding="SAME", fused="RELU"))


@model("conv_rect_stride_2x1_valid", "window")
def _(s):
    b = B((9, 6, 2), (f32(0.05), 2), s)
    return b.finish(b.conv(b.x, 3, k=(3, 2), stride=(2, 1)))


@model("conv_dilated_same", "window")
def _(s):
    b = B((8, 8, 2), (f32(0.05), 2), s)
    return b.finish(b.conv(b.x, 3, k=(3, 3), dil=(2, 2), padding="SAME"))


@model("conv_relu_n1_to_1", "relu_n1_to_1")
def _(s):
    b = B((5, 5, 2), (f32(0.05), 2), s)
    return b.finish(b.conv(b.x, 3, k=(3, 3), fused="RELU_N1_TO_1", out_grid=(f32(1 / 64), 0)))


@model("conv_boundary_scales")
def _(s):
    # A tiny weight scale and a large output scale: multipliers near 2^-31; zero points at the ends.
    b = B((4, 4, 2), (f32(1.0), -128), s)
    return b.finish(b.conv(b.x, 2, k=(2, 2), wscale=1e-4, out_grid=(f32(2e-3), 127)))


@model("conv_large_multiplier")
def _(s):
    # Output scale far below input x weight scale: a multiplier above 1 (left shift).
    b = B((4, 4, 1), (f32(0.5), 0), s)
    return b.finish(b.conv(b.x, 2, k=(1, 1), wscale=0.5, out_grid=(f32(0.05), 0)))


# DEPTHWISE_CONV_2D
@model("depthwise_valid")
def _(s):
    b = B((6, 6, 3), (f32(0.05), 4), s)
    return b.finish(b.conv(b.x, 0, k=(3, 3), depthwise=True))


@model("depthwise_same_stride2_relu6")
def _(s):
    b = B((7, 8, 4), (f32(0.05), -4), s)
    y = b.conv(b.x, 0, k=(3, 3), depthwise=True, padding="SAME", stride=(2, 2), fused="RELU6")
    return b.finish(y)


@model("depthwise_per_tensor")
def _(s):
    b = B((5, 5, 2), (f32(0.05), 1), s)
    return b.finish(b.conv(b.x, 0, k=(3, 3), depthwise=True, per_channel=False))


@model("depthwise_multiplier2", "window")
def _(s):
    b = B((5, 6, 2), (f32(0.05), 1), s)
    return b.finish(b.conv(b.x, 0, k=(3, 3), depthwise=True, mult=2))


@model("depthwise_rect_dilated", "window")
def _(s):
    b = B((9, 7, 3), (f32(0.05), 1), s)
    return b.finish(b.conv(b.x, 0, k=(3, 2), stride=(1, 2), dil=(2, 1), depthwise=True, padding="SAME"))


# FULLY_CONNECTED
@model("dense_per_tensor_relu")
def _(s):
    b = B((12,), (f32(0.05), -5), s)
    return b.finish(b.dense(b.x, 6, fused="RELU"))


@model("dense_per_channel")
def _(s):
    b = B((10,), (f32(0.05), 3), s)
    return b.finish(b.dense(b.x, 5, per_channel=True))


@model("dense_from_image")
def _(s):
    b = B((3, 2, 4), (f32(0.05), 3), s)
    return b.finish(b.dense(b.x, 5))


@model("dense_after_reshape")
def _(s):
    b = B((2, 3, 2), (f32(0.05), 3), s)
    y = b.reshape(b.x, [1, 12])
    return b.finish(b.dense(y, 4))


# Pools
@model("maxpool_valid_2x2")
def _(s):
    b = B((6, 8, 3), (f32(0.05), 3), s)
    return b.finish(b.pool(b.x, "MAX_POOL_2D", (2, 2), (2, 2)))


@model("avgpool_valid_3_stride2")
def _(s):
    b = B((7, 7, 2), (f32(0.05), -3), s)
    return b.finish(b.pool(b.x, "AVERAGE_POOL_2D", (3, 3), (2, 2)))


@model("maxpool_same_even_no_pad")
def _(s):
    # SAME with nothing to pad (2x2 stride 2 on even sizes) is VALID.
    b = B((6, 4, 2), (f32(0.05), 3), s)
    return b.finish(b.pool(b.x, "MAX_POOL_2D", (2, 2), (2, 2), padding="SAME"))


@model("avgpool_same_odd", "window")
def _(s):
    b = B((5, 5, 3), (f32(0.05), -7), s)
    return b.finish(b.pool(b.x, "AVERAGE_POOL_2D", (3, 3), (2, 2), padding="SAME"))


@model("maxpool_same_rect", "window")
def _(s):
    b = B((7, 6, 2), (f32(0.05), 60), s)
    return b.finish(b.pool(b.x, "MAX_POOL_2D", (3, 2), (2, 1), padding="SAME", fused="RELU"))


@model("avgpool_rect_valid", "window")
def _(s):
    b = B((6, 8, 2), (f32(0.05), 0), s)
    return b.finish(b.pool(b.x, "AVERAGE_POOL_2D", (2, 4), (2, 4)))


# MEAN
@model("mean_keep_dims_false", "mean")
def _(s):
    b = B((5, 4, 3), (f32(0.05), -9), s)
    return b.finish(b.mean(b.x, False))


@model("mean_keep_dims_reshape", "mean")
def _(s):
    b = B((3, 6, 4), (f32(0.05), 9), s)
    y = b.mean(b.x, True)
    return b.finish(b.reshape(y, [1, 4]))


@model("mean_one_grid", "mean")
def _(s):
    # Keras' usual case: the mean keeps the input's grid, and TFLite Micro truncates the code sum.
    b = B((4, 5, 6), (f32(0.05), -9), s)
    return b.finish(b.mean(b.x, False, out_grid=(f32(0.05), -9)))


# Reshape
@model("reshape_to_image", "reshape")
def _(s):
    b = B((24,), (f32(0.05), 1), s)
    y = b.reshape(b.x, [1, 4, 3, 2])
    return b.finish(b.conv(y, 2, k=(2, 2)))


@model("squeeze_after_pool")
def _(s):
    b = B((4, 4, 3), (f32(0.05), 1), s)
    y = b.pool(b.x, "AVERAGE_POOL_2D", (4, 4), (4, 4))
    y = b.reshape(y, [1, 3], op="SQUEEZE")
    return b.finish(b.dense(y, 2))


# Softmax, logistic, tanh (exhaustive inputs: every code)
@model("softmax_vector")
def _(s):
    b = B((10,), (f32(0.1), -2), s)
    return b.finish(b.unary(b.x, "SOFTMAX", SMAX, beta=1.0))


@model("softmax_per_pixel")
def _(s):
    b = B((2, 3, 5), (f32(0.03), 0), s)
    return b.finish(b.unary(b.x, "SOFTMAX", SMAX, beta=1.0))


@model("softmax_many_rows")
def _(s):
    # 1024 rows of 10 per input: enough rows that a slip in the fixed point shows in some code.
    b = B((32, 32, 10), (f32(0.0937), 3), s)
    return b.finish(b.unary(b.x, "SOFTMAX", SMAX, beta=1.0))


@model("softmax_many_rows_small_scale")
def _(s):
    b = B((16, 32, 16), (f32(0.0123), -7), s)
    return b.finish(b.unary(b.x, "SOFTMAX", SMAX, beta=1.0))


@model("softmax_beta", "softmax_beta")
def _(s):
    b = B((8,), (f32(0.05), 0), s)
    return b.finish(b.unary(b.x, "SOFTMAX", SMAX, beta=0.5))


@model("logistic_all_codes")
def _(s):
    b = B((256,), (f32(0.04), 3), s)
    return b.finish(b.unary(b.x, "LOGISTIC", SIG))


@model("tanh_all_codes")
def _(s):
    b = B((256,), (f32(0.02), -3), s)
    return b.finish(b.unary(b.x, "TANH", TANH))


# Boundary grids where TFLite's float32 constants differ from the same computed in double
# (docs/tflite_exactness.md): every input code, so the entry or clamp that differs is seen.
@model("logistic_float_table_boundary")
def _(s):
    b = B((256,), (float.fromhex("0x1.0d536ap-7"), 127), s)
    return b.finish(b.unary(b.x, "LOGISTIC", SIG))


@model("tanh_float_table_boundary")
def _(s):
    b = B((256,), (float.fromhex("0x1.292f7ep-7"), -128), s)
    return b.finish(b.unary(b.x, "TANH", TANH))


@model("relu6_op_float_clamp_boundary")
def _(s):
    # 6.0f / scale = 6.5 exactly in float: the clamp's top is -128 + 7 = -121 (double: -122).
    b = B((256,), (float.fromhex("0x1.d89d8ap-1"), -128), s)
    return b.finish(b.unary(b.x, "RELU6"))


@model("conv_relu6_float_clamp_boundary")
def _(s):
    # 6.0f / scale = 28.5 exactly in float: the top is -123 + 29 = -94 (double: -95).
    b = B((4, 4, 3), (f32(0.1), 0), s)
    return b.finish(
        b.conv(b.x, 4, k=(2, 2), fused="RELU6", wscale=0.05, out_grid=(float.fromhex("0x1.af286cp-3"), -123))
    )


@model("relu_n1_to_1_op_float_clamp_boundary", "relu_n1_to_1")
def _(s):
    # 1.0f / scale = 73.5 exactly in float: the clamp is [-74, 74] (double: [-73, 73]).
    b = B((256,), (float.fromhex("0x1.bdd2bap-7"), 0), s)
    return b.finish(b.unary(b.x, "RELU_N1_TO_1"))


@model("dense_per_tensor_float_product_boundary")
def _(s):
    # Per-tensor FULLY_CONNECTED takes float(s_in x s_w) / s_out: with these scales an accumulator
    # of -213258 requantizes to -254 (float product) where the double product gives -253.
    b = B((4,), (float.fromhex("0x1.1bcb1ap-4"), 0), s)
    m = b.m
    w = m.tensor([1, 4], "int8", [float.fromhex("0x1.42573ep-8")], [0], data=np.full((1, 4), 127), name="weights")
    bias = m.tensor([1], "int32", [0.0], [0], data=np.array([-213258 + 127 * 512]), name="bias")
    y = b.act([1, 1], (float.fromhex("0x1.25910cp-2"), 127))
    m.op("FULLY_CONNECTED", [b.x, w, bias], [y], fused="NONE")
    return b.finish(y)


@model("leaky_relu_float_multiplier_boundary", "leaky_relu")
def _(s):
    # LEAKY_RELU's identity multiplier is s_in / s_out in float: input code 84 gives 89, not 88.
    b = B((256,), (float.fromhex("0x1.bb6a48p-7"), -128), s)
    return b.finish(
        b.unary(b.x, "LEAKY_RELU", (float.fromhex("0x1.0a4ce2p-5"), 0), alpha=float.fromhex("0x1.46b6d0p-3"))
    )


# Standalone activations
@model("relu_op_same_grid")
def _(s):
    b = B((256,), (f32(0.04), -10), s)
    return b.finish(b.unary(b.x, "RELU"))


@model("relu6_op_same_grid")
def _(s):
    b = B((256,), (f32(0.05), -100), s)
    return b.finish(b.unary(b.x, "RELU6"))


@model("relu_n1_to_1_op", "relu_n1_to_1")
def _(s):
    b = B((256,), (f32(1 / 100), 5), s)
    return b.finish(b.unary(b.x, "RELU_N1_TO_1"))


@model("leaky_relu", "leaky_relu")
def _(s):
    b = B((256,), (f32(0.05), 10), s)
    return b.finish(b.unary(b.x, "LEAKY_RELU", (f32(0.04), -20), alpha=0.1))


@model("hard_swish", "hard_swish")
def _(s):
    b = B((256,), (f32(0.05), 0), s)
    return b.finish(b.unary(b.x, "HARD_SWISH", (f32(0.04), -50)))


@model("quantize_int8", "quantize")
def _(s):
    b = B((256,), (f32(0.05), 7), s)
    return b.finish(b.unary(b.x, "QUANTIZE", (f32(0.07), -11)))


# PAD
@model("pad_then_conv")
def _(s):
    b = B((5, 4, 2), (f32(0.05), 9), s)
    y = b.pad(b.x, (1, 2, 0, 1))
    return b.finish(b.conv(y, 3, k=(3, 3)))


# Float edges
@model("float_edges")
def _(s):
    b = B((6,), (f32(0.05), 0), s)
    m = b.m
    m.tensors[b.x].type = "float32"
    m.tensors[b.x].scale = None
    m.tensors[b.x].zero_point = None
    q = b.act([1, 6], (f32(0.05), 4))
    m.op("QUANTIZE", [b.x], [q])
    y = b.dense(q, 3)
    f = m.tensor([1, 3], "float32", name="float_out")
    m.op("DEQUANTIZE", [y], [f])
    return b.finish(f)


# Merges and DAGs
@model("residual_identity_add_relu")
def _(s):
    b = B((5, 5, 3), (f32(0.05), -3), s)
    y = b.conv(b.x, 3, k=(3, 3), padding="SAME", fused="RELU")
    z = b.binary("ADD", b.x, y, (f32(0.07), -8), fused="RELU")
    return b.finish(z)


@model("resnet_shortcut_conv", "add")
def _(s):
    b = B((8, 8, 4), (f32(0.05), -3), s)
    y = b.conv(b.x, 8, k=(3, 3), stride=(2, 2), padding="SAME", fused="RELU")
    y = b.conv(y, 8, k=(3, 3), padding="SAME")
    sc = b.conv(b.x, 8, k=(1, 1), stride=(2, 2))
    z = b.binary("ADD", y, sc, (f32(0.1), 2), fused="RELU")
    z = b.pool(z, "AVERAGE_POOL_2D", (4, 4), (4, 4))
    z = b.reshape(z, [1, 8])
    z = b.dense(z, 4)
    return b.finish(b.unary(z, "SOFTMAX", SMAX, beta=1.0))


@model("concat_branches", "concat")
def _(s):
    b = B((6, 6, 3), (f32(0.05), 2), s)
    g = (f32(0.08), -5)
    y1 = b.conv(b.x, 2, k=(1, 1), out_grid=g, fused="RELU")
    y2 = b.conv(b.x, 3, k=(3, 3), padding="SAME", out_grid=g)
    return b.finish(b.concat([y1, y2, b.x if False else y1]))


@model("concat_with_input", "concat")
def _(s):
    b = B((4, 4, 2), (f32(0.05), 2), s)
    y = b.conv(b.x, 3, k=(3, 3), padding="SAME", out_grid=(f32(0.05), 2))
    return b.finish(b.concat([b.x, y]))


@model("mul_branches", "mul")
def _(s):
    b = B((12,), (f32(0.05), 2), s)
    y1 = b.dense(b.x, 6)
    y2 = b.unary(b.dense(b.x, 6), "LOGISTIC", SIG)
    return b.finish(b.binary("MUL", y1, y2, (f32(0.02), 0)))


@model("add_same_tensor", "add")
def _(s):
    b = B((16,), (f32(0.05), 2), s)
    return b.finish(b.binary("ADD", b.x, b.x, (f32(0.08), -1), fused="RELU6"))


# --------------------------------------------------------------------------------------------


def inputs_for(model, rng, count=5):
    shape = model.tensors[model.inputs[0]].shape[1:]
    size = int(np.prod(shape))
    rows = []
    if size == 256:
        rows.append(np.arange(-128, 128))  # every code
        rows.append(np.arange(127, -129, -1))
    else:
        rows.append(np.where(np.arange(size) % 2, 127, -128))
        rows.append(np.full(size, -128))
    while len(rows) < count:
        rows.append(rng.integers(-128, 128, size=size))
    return [np.asarray(r, dtype=np.int64) for r in rows]


def write(name, outdir):
    features, build = MODELS[name]
    seed = sum(ord(c) for c in name)
    model = build(seed)
    write_files(name, model, inputs_for(model, np.random.default_rng(seed + 1)), outdir)


def write_files(name, model, rows, outdir, generator="make_models.py"):
    """Writes NAME.tflite, NAME_inputs.hpp (the rows, int8 codes) and NAME_expected.txt (the
    evaluator's output codes for each row)."""
    tb.save(model, os.path.join(outdir, name + ".tflite"))
    ev = te.Evaluator(model)
    tin = model.tensors[model.inputs[0]]
    lines = ["# %s: expected int8 output codes (tflite_eval.py, TFLite's integer kernels)" % name, "tolerance 0"]
    for row in rows:
        if tin.type == "float32":
            # The float input a QUANTIZE turns into these codes (its grid: the QUANTIZE's output).
            q = model.ops[0].outputs[0]
            sc, zp = model.tensors[q].scale[0], model.tensors[q].zero_point[0]
            out = ev.run((row - zp) * sc)
            qo = model.ops[-1].inputs[0]
            so, zo = model.tensors[qo].scale[0], model.tensors[qo].zero_point[0]
            out = np.rint(out / so) + zo
        else:
            out = ev.run(row)
        lines.append("int " + " ".join(str(int(v)) for v in np.asarray(out).reshape(-1)))
    with open(os.path.join(outdir, name + "_expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(outdir, name + "_inputs.hpp"), "w") as f:
        f.write(
            "// Test inputs of %s (int8 codes, NHWC). Generated by %s.\n#pragma once\n"
            "#include <cstdint>\nnamespace %s_data {\ninline constexpr std::int8_t inputs[%d][%d] = {\n"
            % (name, generator, name, len(rows), rows[0].size)
        )
        for r in rows:
            f.write("    {" + ", ".join(str(int(v)) for v in r) + "},\n")
        f.write("};\n}  // namespace %s_data\n" % name)


def main(argv):
    if argv and argv[0] == "--list":
        for name, (features, _) in MODELS.items():
            print(name, ",".join(features) or "-")
        return 0
    outdir = argv[0]
    os.makedirs(outdir, exist_ok=True)
    for name in argv[1:] or list(MODELS):
        write(name, outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
