#!/usr/bin/python3
"""Torch models in the newer vocabulary, exported by qpipe_tools.torch, with expected int8 codes.

usage: make_vocabulary.py OUTDIR

For each model NAME it writes into OUTDIR:
  NAME_net.hpp        the exporter's header (namespace NAME; calibrated on the host, which writes
                      the grids into the header and hands them back in ExportInfo.grids)
  NAME_inputs.hpp     int8 test inputs (the check batch on the input grid, plus all -128 and all
                      127), NHWC, namespace NAME_data
  NAME_expected.txt   per input: `int` the codes an independent evaluator expects, `float` torch's
                      float64 output put on the output grid (reported, not asserted)

Where the expected codes come from: the torch model is written down again, by hand in
`describe_*` below, as the TFLite int8 graph a converter would make of it (a PAD in front of a
padded convolution unless the padding is TFLite's SAME, the fused activations, the shared grid
of a CONCATENATION's inputs with a QUANTIZE where an input has none of its own), with the torch
weights quantized here by the TFLite int8 rule (symmetric, per output channel for convolutions
and per tensor for fully connected layers: scale max |w| / 127, rounded half away from zero;
biases int32 at input scale x weight scale) and every activation on the grid the header chose.
tests/frontends/tflite/tflite_eval.py, the numpy evaluator of TFLite's int8 kernels written from
TFLite's semantics (not from qpipe), then computes the codes. The C++ side prints qpipe's codes
for the same inputs (tests/frontends/onnx/run_model.cpp) and compare.py requires every code equal.
So each test checks the exporter's structure and parameters (a wrong window, padding, weight
layout, multiplier, branch order or grid shows in the codes) and qpipe's kernels together. This
is the existing torch tests' approach (torch's float outputs, qpipe's own float reference against
torch) made exact: the float line is torch's, the int line TFLite's arithmetic.

- ds_cnn: the DS-CNN stem on a 13 x 10 "spectrogram": ZeroPad2d((1, 1, 4, 5)) + Conv2d 10 x 4
  stride 2 (TFLite SAME for this size: qpipe::same), ReLU; a depthwise 3 x 3 with multiplier 2
  (padding 1: SAME), ReLU; a pointwise conv + ReLU; AvgPool2d((3, 5), stride 1, padding (1, 2),
  count_include_pad=False) (SAME); AvgPool2d((7, 5)) (the 25 x 5 pool of DS-CNN: rectangular,
  VALID); flatten (QFlatten of a 1 x 1 image); Linear.
- resnet: a ResNet-8 downsampling block: Conv2d 3 x 3 stride 2 padding 1 (not SAME: a QPad2D),
  ReLU, Conv2d 3 x 3 padding 1 (SAME), beside a 1 x 1 stride-2 shortcut Conv2d; the add, ReLU
  (qpipe::Add<Pipe<...>, Pipe<...>>); AdaptiveAvgPool2d(1); Linear.
- merges: cat([relu(conv 1 x 1), leaky_relu(dilated conv 3 x 3, padding 2), x]) (qpipe::Concat; the
  input branch gets a QQuantize, the others share the concatenation's grid), MaxPool2d((3, 1),
  stride 1, padding (1, 0)) (SAME), then hardswish(conv 1 x 1) * relu(conv 1 x 1) (qpipe::Mul).
"""
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "tflite"))
from qpipe_tools import torch as qpipe_torch  # noqa: E402
import tflite_builder as tb  # noqa: E402
import tflite_eval  # noqa: E402


# ---------------------------------------------------------------------------------------------
# The models


class DsCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 1, 4, 5))  # left, right, top, bottom
        self.stem = nn.Conv2d(1, 8, (10, 4), stride=2)
        self.dw = nn.Conv2d(8, 16, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(16, 8, 1)
        self.smooth = nn.AvgPool2d((3, 5), stride=1, padding=(1, 2), count_include_pad=False)
        self.pool = nn.AvgPool2d((7, 5))
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = torch.relu(self.stem(self.pad(x)))  # 1x13x10 -> 8x7x5
        x = torch.relu(self.dw(x))  # 16x7x5
        x = self.smooth(torch.relu(self.pw(x)))  # 8x7x5
        return self.fc(torch.flatten(self.pool(x), 1))


class ResNetBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.short = nn.Conv2d(4, 8, 1, stride=2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y = self.conv2(torch.relu(self.conv1(x)))  # 4x8x8 -> 8x4x4
        y = torch.relu(y + self.short(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


class Merges(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 4, 3, padding=2, dilation=2)
        self.leaky = nn.LeakyReLU(0.125)
        self.pool = nn.MaxPool2d((3, 1), stride=1, padding=(1, 0))
        self.gate = nn.Conv2d(11, 5, 1)
        self.value = nn.Conv2d(11, 5, 1)
        self.act = nn.Hardswish()

    def forward(self, x):
        y = torch.cat([torch.relu(self.a(x)), self.leaky(self.b(x)), x], dim=1)  # 3x6x6 -> 11x6x6
        y = self.pool(y)
        return self.act(self.value(y)) * torch.relu(self.gate(y))


def randomize(model, generator):
    """Seeded weights (1 / sqrt(fan in)) and biases."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.weight.data = 1.0 / m.weight[0].numel() ** 0.5 * torch.randn(m.weight.shape, generator=generator)
            m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=generator)
    return model.eval()


# ---------------------------------------------------------------------------------------------
# TFLite descriptions: activations on the header's grids (exact doubles), weights quantized here


def round_half_away(x):
    """Exact rounding to the nearest integer, halves away from zero."""
    a = np.abs(x)
    whole = np.trunc(a)
    return np.sign(x) * (whole + (a - whole >= 0.5))


class Lite:
    """A tflite_builder.Model under construction; activations carry their grid as exact doubles."""

    def __init__(self, shape, grid):
        self.m = tb.Model()
        self.x = self.activation(shape, grid)
        self.m.inputs = [self.x]

    def activation(self, shape, grid):
        self.m.tensors.append(tb.Tensor(list(shape), "int8", [float(grid[0])], [int(grid[1])]))
        return len(self.m.tensors) - 1

    def grid(self, t):
        return self.m.tensors[t].scale[0], self.m.tensors[t].zero_point[0]

    def shape(self, t):
        return self.m.tensors[t].shape

    def constant(self, data, type, scales=None, qdim=0):
        zeros = None if scales is None else [0] * len(scales)
        self.m.tensors.append(tb.Tensor(list(data.shape), type, scales, zeros, qdim, data))
        return len(self.m.tensors) - 1

    def weights(self, w, out_axis, per_channel, in_grid, bias):
        """int8 weights (scale max |w| / 127 per output channel, or over the tensor), int32 bias."""
        w = np.asarray(w, dtype=np.float64)
        largest = np.abs(np.moveaxis(w, out_axis, 0).reshape(w.shape[out_axis], -1)).max(axis=1)
        if not per_channel:
            largest[:] = largest.max()
        scales = np.where(largest == 0, largest.max(), largest) / 127.0
        shape = [1] * w.ndim
        shape[out_axis] = -1
        q = np.clip(round_half_away(w / scales.reshape(shape)), -127, 127).astype(np.int8)
        b = round_half_away(np.asarray(bias, dtype=np.float64) / (in_grid[0] * scales)).astype(np.int32)
        wt = self.constant(q, "int8", [float(s) for s in scales], out_axis)
        return wt, self.constant(b, "int32")

    def conv(self, x, conv, grid, padding, fused="NONE"):
        """CONV_2D or (groups > 1) DEPTHWISE_CONV_2D of a torch Conv2d, onto `grid`."""
        _, h, w, c = self.shape(x)
        weight = conv.weight.detach().double().numpy()  # OIHW
        kh, kw = conv.kernel_size
        sh, sw = conv.stride
        dh, dw = conv.dilation
        oh, _ = tflite_eval.same_pads(h, kh, sh, dh, padding)
        ow, _ = tflite_eval.same_pads(w, kw, sw, dw, padding)
        cout = weight.shape[0]
        depthwise = conv.groups > 1
        if depthwise:  # (C M, 1, KH, KW) -> [1][KH][KW][C M]
            wt, bt = self.weights(
                weight.transpose(1, 2, 3, 0), 3, True, self.grid(x), conv.bias.detach().double().numpy()
            )
        else:  # OIHW -> OHWI
            wt, bt = self.weights(
                weight.transpose(0, 2, 3, 1), 0, True, self.grid(x), conv.bias.detach().double().numpy()
            )
        out = self.activation([1, oh, ow, cout], grid)
        options = dict(padding=padding, stride_h=sh, stride_w=sw, dilation_h=dh, dilation_w=dw, fused=fused)
        if depthwise:
            options["depth_multiplier"] = cout // c
        self.m.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [x, wt, bt], [out], **options)
        return out

    def dense(self, x, linear, grid, fused="NONE"):
        wt, bt = self.weights(
            linear.weight.detach().double().numpy(), 0, False, self.grid(x), linear.bias.detach().double().numpy()
        )
        out = self.activation([1, linear.out_features], grid)
        self.m.op("FULLY_CONNECTED", [x, wt, bt], [out], fused=fused)
        return out

    def pad(self, x, top, bottom, left, right):
        _, h, w, c = self.shape(x)
        pads = self.constant(np.array([[0, 0], [top, bottom], [left, right], [0, 0]], dtype=np.int32), "int32")
        out = self.activation([1, h + top + bottom, w + left + right, c], self.grid(x))
        self.m.op("PAD", [x, pads], [out])
        return out

    def pool(self, x, name, kernel, stride, padding):
        _, h, w, c = self.shape(x)
        oh, _ = tflite_eval.same_pads(h, kernel[0], stride[0], 1, padding)
        ow, _ = tflite_eval.same_pads(w, kernel[1], stride[1], 1, padding)
        out = self.activation([1, oh, ow, c], self.grid(x))
        self.m.op(
            name,
            [x],
            [out],
            padding=padding,
            stride_h=stride[0],
            stride_w=stride[1],
            filter_h=kernel[0],
            filter_w=kernel[1],
        )
        return out

    def op(self, name, inputs, shape, grid, **options):
        out = self.activation(shape, grid)
        self.m.op(name, inputs, [out], **options)
        return out


def describe_ds_cnn(model, grids, input_grid, shape):
    g = Lite(shape, input_grid)
    x = g.conv(g.x, model.stem, grids["stem"], "SAME", "RELU")  # (4, 5) above/below, 1 and 1 aside: SAME
    x = g.conv(x, model.dw, grids["dw"], "SAME", "RELU")
    x = g.conv(x, model.pw, grids["pw"], "VALID", "RELU")
    x = g.pool(x, "AVERAGE_POOL_2D", (3, 5), (1, 1), "SAME")  # count_include_pad=False: SAME
    x = g.pool(x, "AVERAGE_POOL_2D", (7, 5), (7, 5), "VALID")
    x = g.op("RESHAPE", [x], [1, 8], g.grid(x))
    g.dense(x, model.fc, grids["fc"])
    return g


def describe_resnet(model, grids, input_grid, shape):
    g = Lite(shape, input_grid)
    y = g.pad(g.x, 1, 1, 1, 1)  # padding 1, stride 2: not SAME here
    y = g.conv(y, model.conv1, grids["conv1"], "VALID", "RELU")
    y = g.conv(y, model.conv2, grids["conv2"], "SAME")
    s = g.conv(g.x, model.short, grids["short_block"], "VALID")  # `short` is a C++ keyword
    y = g.op("ADD", [y, s], g.shape(y), grids["add"], fused="RELU")
    _, h, w, c = g.shape(y)
    y = g.pool(y, "AVERAGE_POOL_2D", (h, w), (h, w), "VALID")  # global average pooling
    y = g.op("RESHAPE", [y], [1, c], g.grid(y))
    g.dense(y, model.fc, grids["fc"])
    return g


def describe_merges(model, grids, input_grid, shape):
    g = Lite(shape, input_grid)
    shared = grids["a"]  # the concatenation's grid
    a = g.conv(g.x, model.a, shared, "VALID", "RELU")
    b = g.conv(g.x, model.b, grids["b"], "SAME")  # dilation 2, padding 2: SAME
    b = g.op("LEAKY_RELU", [b], g.shape(b), shared, alpha=model.leaky.negative_slope)
    x = g.op("QUANTIZE", [g.x], g.shape(g.x), shared)
    _, h, w, _ = g.shape(a)
    y = g.op("CONCATENATION", [a, b, x], [1, h, w, 11], shared, axis=3)
    y = g.pool(y, "MAX_POOL_2D", (3, 1), (1, 1), "SAME")
    v = g.conv(y, model.value, grids["value"], "VALID")
    v = g.op("HARD_SWISH", [v], g.shape(v), grids["act"])
    t = g.conv(y, model.gate, grids["gate"], "VALID", "RELU")
    g.op("MUL", [v, t], g.shape(v), grids["mul"])
    return g


# ---------------------------------------------------------------------------------------------
# Inputs, expected codes, files


def quantize(x, grid):
    return np.clip(round_half_away(x / grid[0]) + grid[1], -128, 127).astype(np.int64)


def write(outdir, name, model, calibration, check, describe):
    info = qpipe_torch.export(
        model,
        calibration,
        os.path.join(outdir, name + "_net.hpp"),
        name,
        check_inputs=check,
        calibrate="host",
        quiet=True,
    )
    nhwc = check.permute(0, 2, 3, 1).double().numpy()
    codes = [quantize(x, info.input_grid) for x in nhwc]
    codes += [np.full(nhwc.shape[1:], -128), np.full(nhwc.shape[1:], 127)]
    shape = [1] + list(nhwc.shape[1:])
    graph = describe(model, info.grids, info.input_grid, shape)
    out = len(graph.m.tensors) - 1
    graph.m.outputs = [out]
    evaluator = tflite_eval.Evaluator(graph.m)
    out_grid = graph.grid(out)
    with torch.no_grad():
        reals = [(c.astype(np.float64) - info.input_grid[1]) * info.input_grid[0] for c in codes]
        floats = model.double()(torch.from_numpy(np.stack(reals)).permute(0, 3, 1, 2)).numpy()
    if floats.ndim == 4:
        floats = floats.transpose(0, 2, 3, 1)
    lines = [
        "# %s: qpipe's int8 outputs must equal the TFLite int8 evaluator's (tflite_eval.py) on the exported "
        "grids; float: torch's output on the output grid" % name,
        "tolerance 0",
    ]
    for c, f in zip(codes, floats):
        lines.append("int " + " ".join(str(int(v)) for v in evaluator.run(c).reshape(-1)))
        lines.append("float " + " ".join(str(int(v)) for v in quantize(f.reshape(-1), out_grid)))
    with open(os.path.join(outdir, name + "_expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    rows = ",\n    ".join("{" + ", ".join(str(int(v)) for v in c.reshape(-1)) + "}" for c in codes)
    with open(os.path.join(outdir, name + "_inputs.hpp"), "w") as f:
        f.write(
            "// Generated by make_vocabulary.py: the int8 test inputs of %s (NHWC).\n#pragma once\n"
            "#include <cstdint>\nnamespace %s_data {\ninline constexpr std::int8_t inputs[%d][%d] = {\n    %s};\n"
            "}  // namespace %s_data\n" % (name, name, len(codes), codes[0].size, rows, name)
        )


def images(generator, n, c, h, w):
    """Smooth patterns plus noise in [0, 1]."""
    y = torch.linspace(0, 1, h).view(1, 1, h, 1)
    x = torch.linspace(0, 1, w).view(1, 1, 1, w)
    phase = 6.28 * torch.rand(n, c, 1, 1, generator=generator)
    pattern = 0.5 + 0.5 * torch.sin(3.0 * (x + 0.7 * y) * 3.14 + phase)
    return (0.7 * pattern + 0.3 * torch.rand(n, c, h, w, generator=generator)).clamp(0, 1)


MODELS = {
    "ds_cnn": (DsCnn, (1, 13, 10), describe_ds_cnn),
    "resnet": (ResNetBlock, (4, 8, 8), describe_resnet),
    "merges": (Merges, (3, 6, 6), describe_merges),
}


def main(argv):
    if len(argv) != 1:
        print("usage: make_vocabulary.py OUTDIR", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(31)
    for name, (cls, shape, describe) in MODELS.items():
        model = randomize(cls(), generator)
        try:
            write(argv[0], name, model, images(generator, 12, *shape), images(generator, 6, *shape), describe)
        except qpipe_torch.ExportError as e:
            print("make_vocabulary.py: %s: export failed: %s" % (name, e), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
