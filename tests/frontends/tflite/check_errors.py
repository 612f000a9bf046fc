#!/usr/bin/python3
"""Malformed and unsupported models: the reader must print exactly one stderr line
`qpipe_tools.tflite: error: ...` naming the problem, exit with status 1 and write no header.

usage: check_errors.py --list                          the case names, one a line
       check_errors.py --case NAME
       check_errors.py --all
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models as mm  # noqa: E402
import tflite_builder as tb  # noqa: E402

f32 = mm.f32
CASES = {}


def case(name, expect):
    def register(f):
        CASES[name] = (expect, f)
        return f

    return register


def conv_model(**kw):
    b = mm.B((5, 5, 2), (f32(0.05), 1), 3)
    y = b.conv(b.x, 3, k=(3, 3), **kw)
    return b, b.finish(y)


def base():
    return conv_model()


# --- files that are not TFLite models -----------------------------------------------------------


@case("a missing file", "no such file")
def _():
    return None


@case("an empty file", "too short")
def _():
    return b""


@case("random bytes", "not a TFLite model")
def _():
    return bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8))


@case("random bytes with the TFL3 identifier", "malformed flatbuffer")
def _():
    data = bytearray(np.random.default_rng(2).integers(0, 256, 4096, dtype=np.uint8))
    data[4:8] = b"TFL3"
    data[0:4] = (3000000).to_bytes(4, "little")
    return bytes(data)


@case("a truncated model", "malformed flatbuffer")
def _():
    data = base()[1].serialize()
    return data[: len(data) * 2 // 3]


@case("schema version 2", "schema version 2")
def _():
    _, m = base()
    m.version = 2
    return m


# --- indices out of range -----------------------------------------------------------------------


@case("a tensor index out of range", "operator 0 (CONV_2D): tensor index 999 is out of range")
def _():
    _, m = base()
    m.ops[0].inputs[1] = 999
    return m


@case("a buffer index out of range", "refers to buffer")
def _():
    _, m = base()
    m.tensors[1].buffer = 77
    return m


@case("an opcode index out of range", "opcode index 5 is out of range")
def _():
    _, m = base()
    m.ops[0].opcode_index = 5
    return m


# --- grids ----------------------------------------------------------------------------------------


def with_scale(value):
    _, m = base()
    m.tensors[m.outputs[0]].scale = [value]
    return m


@case("a NaN scale", "scale nan is not positive and finite")
def _():
    return with_scale(float("nan"))


@case("a zero scale", "scale 0.0 is not positive and finite")
def _():
    return with_scale(0.0)


@case("a negative scale", "is not positive and finite")
def _():
    return with_scale(-0.5)


@case("an infinite scale", "scale inf is not positive")
def _():
    return with_scale(float("inf"))


@case("a subnormal scale", "is subnormal")
def _():
    return with_scale(1e-40)


@case("a zero point outside int8", "zero point 200 is outside int8")
def _():
    _, m = base()
    m.tensors[m.inputs[0]].zero_point = [200]
    return m


@case("per-axis activation quantization", "one of each per activation")
def _():
    _, m = base()
    m.tensors[m.outputs[0]].scale = [0.1, 0.2, 0.3]
    m.tensors[m.outputs[0]].zero_point = [0, 0, 0]
    return m


@case("a weight zero point", "non-zero zero point")
def _():
    _, m = base()
    m.tensors[1].zero_point = [0, 1, 0]
    return m


@case("a weight of -128", "hold -128")
def _():
    _, m = base()
    m.tensors[1].data = m.tensors[1].data.copy()
    m.tensors[1].data.flat[3] = -128
    return m


@case("weights without scales", "scales for 3 output channels")
def _():
    _, m = base()
    m.tensors[1].scale = []
    m.tensors[1].zero_point = []
    return m


@case("an accumulator that could overflow", "accumulator could overflow")
def _():
    _, m = base()
    m.tensors[2].data = np.full(3, 2147400000, dtype=np.int32)
    return m


@case("an output multiplier above 2^30", "requantizer multiplier")
def _():
    return with_scale(1e-12)


@case("a softmax output grid other than TFLite's", "TFLite's int8 SOFTMAX writes")
def _():
    b = mm.B((8,), (f32(0.1), 0), 1)
    return b.finish(b.unary(b.x, "SOFTMAX", (f32(1 / 128), 0), beta=1.0))


@case("a logistic output grid other than TFLite's", "TFLite's int8 LOGISTIC writes")
def _():
    b = mm.B((8,), (f32(0.1), 0), 1)
    return b.finish(b.unary(b.x, "LOGISTIC", (f32(1 / 256), 0)))


@case("a concatenation of different grids", "TFLite's int8 CONCATENATION takes every input on the output's grid")
def _():
    b = mm.B((4, 4, 2), (f32(0.05), 2), 1)
    y = b.conv(b.x, 3, k=(1, 1), out_grid=(f32(0.07), 2))
    return b.finish(b.concat([b.x, y]))


@case("a ReLU whose float32 multiplier qpipe cannot reproduce", "float32")
def _():
    b = mm.B((8,), (f32(0.1), 0), 1)
    return b.finish(b.unary(b.x, "RELU", (f32(0.07), -128)))


# --- shapes -------------------------------------------------------------------------------------


@case("an output shape that disagrees with the options", "the options give [1, 3, 3, 3]")
def _():
    _, m = base()
    m.tensors[m.outputs[0]].shape = [1, 4, 3, 3]
    return m


@case("a huge dimension", "qpipe takes dimensions from 1 to 65536")
def _():
    _, m = base()
    m.tensors[m.outputs[0]].shape = [1, 3, 100000, 3]
    return m


@case("a negative dimension", "qpipe takes dimensions from 1 to 65536")
def _():
    _, m = base()
    m.tensors[m.inputs[0]].shape = [1, -5, 5, 2]
    return m


@case("batch 2", "qpipe takes batch 1")
def _():
    _, m = base()
    m.tensors[m.inputs[0]].shape = [2, 5, 5, 2]
    return m


@case("weights that do not fit the input channels", "grouped convolutions are not supported")
def _():
    b = mm.B((5, 5, 4), (f32(0.05), 1), 3)
    y = b.conv(b.x, 3, k=(3, 3))
    m = b.finish(y)
    m.tensors[1].data = m.tensors[1].data[..., :2].copy()
    m.tensors[1].shape = [3, 3, 3, 2]
    return m


@case("a stride of 0", "stride_w 0")
def _():
    _, m = base()
    m.ops[0].options["stride_w"] = 0
    return m


@case("padding neither SAME nor VALID", "padding 7 is neither SAME nor VALID")
def _():
    _, m = base()
    m.ops[0].options["padding"] = 7
    return m


@case("a mean over the channels", "MEAN over axes")
def _():
    b = mm.B((3, 3, 4), (f32(0.05), 1), 3)
    m = b.m
    a = m.tensor([1], "int32", data=np.array([3]))
    y = b.act([1, 3, 3, 1], (f32(0.05), 1))
    m.op("MEAN", [b.x, a], [y], keep_dims=True)
    return b.finish(y)


@case("padding of the channels", "pads the batch or the channels")
def _():
    b = mm.B((3, 3, 2), (f32(0.05), 1), 3)
    m = b.m
    p = m.tensor([4, 2], "int32", data=np.array([[0, 0], [1, 1], [1, 1], [0, 1]]))
    y = b.act([1, 5, 5, 3], (f32(0.05), 1))
    m.op("PAD", [b.x, p], [y])
    return b.finish(y)


# --- graphs -------------------------------------------------------------------------------------


@case("a cycle", "cycle")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    y = b.dense(b.x, 8)
    z = b.dense(y, 8)
    m = b.finish(z)
    m.ops[0].inputs[0] = z  # the first layer reads the last one's output
    return m


@case("two subgraphs", "2 subgraphs")
def _():
    _, m = base()
    m.extra_subgraphs = 1
    return m


@case("two inputs", "2 inputs")
def _():
    _, m = base()
    m.inputs = m.inputs + [m.inputs[0]]
    return m


@case("two outputs", "2 outputs")
def _():
    _, m = base()
    m.outputs = m.outputs + [m.inputs[0]]
    return m


@case("an operator off the path", "not on the way from the input to the output")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    y = b.dense(b.x, 8)
    other = b.act([1, 8], (f32(0.05), 1))
    dead = b.act([1, 4], (f32(0.05), 1))
    m = b.finish(y)
    m.op("RELU", [other], [dead])
    return m


@case("branches that no merge joins", "which no single ADD, MUL or CONCATENATION joins")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    y1 = b.dense(b.x, 8)
    b.dense(b.x, 8)  # a second reader of the input, leading nowhere
    return b.finish(y1)


@case("a graph that is not series-parallel", "qpipe takes series-parallel graphs")
def _():
    # x -> a; x -> b; ADD(a, b) = s; ADD(s, a): a's value is read by two merges of different forks.
    b = mm.B((8,), (f32(0.05), 1), 3)
    a = b.dense(b.x, 8)
    c = b.dense(b.x, 8)
    s = b.binary("ADD", a, c, (f32(0.1), 0))
    return b.finish(b.binary("ADD", s, a, (f32(0.1), 0)))


@case("an ADD of an activation and a constant", "is a constant")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    k = b.m.tensor([1, 8], "int8", f32(0.05), 0, data=np.arange(8))
    return b.finish(b.binary("ADD", b.x, k, (f32(0.1), 0)))


@case("a model without operators", "no operators")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    return b.finish(b.x)


# --- operators and types ------------------------------------------------------------------------


@case("an unsupported operator", "operator 1 (SUB): unsupported operator")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    y = b.dense(b.x, 8)
    z = b.act([1, 8], (f32(0.05), 1))
    b.m.op("SUB", [y], [z])
    return b.finish(z)


@case("an operator code beyond 127 (builtin_code)", "operator 0 (GELU): unsupported operator")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    z = b.act([1, 8], (f32(0.05), 1))
    b.m.op("GELU", [b.x], [z])
    return b.finish(z)


@case("a custom operator", "CUSTOM")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    z = b.act([1, 8], (f32(0.05), 1))
    b.m.op("CUSTOM", [b.x], [z])
    return b.finish(z)


@case("a fused TANH activation", "fused activation TANH is not supported")
def _():
    return conv_model(fused="TANH")[1]


@case("builtin options of the wrong type", "builtin options of union type")
def _():
    _, m = base()
    m.ops[0].options_table = "Pool2DOptions"
    m.ops[0].options = dict(padding="VALID", stride_w=1, stride_h=1, filter_w=3, filter_h=3)
    return m


@case("a float model without QUANTIZE at the input", "a float model needs one QUANTIZE at the input edge")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    m = b.m
    m.tensors[b.x].type = "float32"
    m.tensors[b.x].scale = m.tensors[b.x].zero_point = None
    y = m.tensor([1, 8], "float32")
    m.op("RELU", [b.x], [y])
    return b.finish(y)


@case("a float operator between DEQUANTIZE and QUANTIZE", "operator 1 (DEQUANTIZE): a DEQUANTIZE inside the graph")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    m = b.m
    y = b.dense(b.x, 8)
    f = m.tensor([1, 8], "float32")
    m.op("DEQUANTIZE", [y], [f])
    g = m.tensor([1, 8], "float32")
    m.op("RELU", [f], [g])
    q = b.act([1, 8], (f32(0.05), 1))
    m.op("QUANTIZE", [g], [q])
    return b.finish(q)


@case("uint8 activations", "is UINT8; qpipe takes int8")
def _():
    _, m = base()
    m.tensors[m.inputs[0]].type = "uint8"
    return m


@case("int16 activations", "INT16")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    m = b.finish(b.unary(b.x, "RELU"))
    for t in m.tensors:
        t.type = "int16"
    return m


@case("the old opcode byte only, unsupported op", "operator 0 (ELU): unsupported operator")
def _():
    b = mm.B((8,), (f32(0.05), 1), 3)
    z = b.act([1, 8], (f32(0.05), 1))
    b.m.op("ELU", [b.x], [z])
    m = b.finish(z)
    m.opcode_style = "old"
    return m


# --------------------------------------------------------------------------------------------


def materialize(name, tmp):
    expect, build = CASES[name]
    value = build()
    path = os.path.join(tmp, "model.tflite")
    if value is None:
        return os.path.join(tmp, "no_such_model.tflite"), expect
    data = value if isinstance(value, (bytes, bytearray)) else serialize(value)
    with open(path, "wb") as f:
        f.write(data)
    return path, expect


def serialize(m):
    # Per-case overrides the builder supports: a tensor's buffer index, an operator's opcode index.
    return m.serialize()


# The reader is this checkout's: python3 -m qpipe_tools.tflite with python/ on PYTHONPATH.
PACKAGE_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python")


def run(name):
    with tempfile.TemporaryDirectory() as tmp:
        path, expect = materialize(name, tmp)
        out = os.path.join(tmp, "rejected.hpp")
        done = subprocess.run(
            [sys.executable, "-m", "qpipe_tools.tflite", path, "--out", out, "--namespace", "rejected"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=120,
            env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT),
        )
        err = done.stderr.decode(errors="replace")
        lines = err.splitlines()
        print("%s: exit %d, stderr: %s" % (name, done.returncode, err.strip()))
        problems = []
        if done.returncode != 1:
            problems.append("exit status %d, expected 1" % done.returncode)
        if len(lines) != 1 or not lines[0].startswith("qpipe_tools.tflite: error:"):
            problems.append("expected exactly one stderr line starting 'qpipe_tools.tflite: error:'")
        elif expect not in lines[0]:
            problems.append("the message does not mention %r" % expect)
        if "internal error" in err:
            problems.append("an internal error (an exception the reader did not expect)")
        if os.path.exists(out):
            problems.append("a header was written")
        for p in problems:
            print("FAIL: " + p)
        return not problems


def main(argv):
    if argv[:1] == ["--list"]:
        for name in CASES:
            print(name)
        return 0
    names = list(CASES) if "--all" in argv else [argv[argv.index("--case") + 1]]
    failed = [n for n in names if not run(n)]
    print("%d passed, %d failed" % (len(names) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
