"""qpipe_tools.tflite: turn an int8 TFLite flatbuffer (.tflite) into a qpipe C++ header.

usage: /usr/bin/python3 -m qpipe_tools.tflite MODEL.tflite --out net.hpp --namespace ns

Reads subgraph 0 of a TFLite model whose operators run in int8 (what the TFLite converter writes
with full integer quantization: int8 activations with one scale and zero point per tensor, int8
symmetric weights per tensor or per output channel, int32 biases at input scale x weight scale)
and writes one header holding

    using Net = qpipe::Pipe<...>;
    using Input = qpipe::Shape<...>;
    inline constexpr qpipe::Grid input_grid{scale, zero_point};
    inline constexpr qpipe::Grid output_grid{scale, zero_point};
    inline constexpr qpipe::...Params<...> <one block per layer with parameters>;
    inline constexpr auto spec = qpipe::make_spec<Net, Input>(input_grid, blocks...);
    inline constexpr auto network = qpipe::compile<spec>();

Everything is carried over as the model has it: int8 weights and their scales, int32 biases
(written as int32 x input scale x weight scale, the double product the compiler divides by again,
so each comes back as the same int32), and every tensor's grid. Nothing is calibrated or
quantized again: qpipe then computes TFLite's int8 kernels' integer arithmetic.

Operators (TFLite -> qpipe):
  CONV_2D                KH x KW, per-axis stride and dilation, SAME (qpipe::same)
                         or VALID; per-tensor -> QConv2D, per-channel -> QConv2DPerChannel
  DEPTHWISE_CONV_2D      the same options and a depth multiplier -> QDepthwiseConv2D
  FULLY_CONNECTED        -> QDense (per tensor) / QDensePerChannel; an image input is read flat
                         (NHWC, TFLite's order too)
  MAX_POOL_2D,           rectangular windows, per-axis stride, SAME or VALID -> QMaxPool2D,
  AVERAGE_POOL_2D        QAvgPool2D (SAME averages divide by the count of valid cells)
  MEAN over H and W      -> QMean (keep_dims false, or true followed by a reshape to [1, C])
  RESHAPE, SQUEEZE       -> nothing when qpipe's shape does not change or a FULLY_CONNECTED reads
                         the result, else QReshape
  SOFTMAX (beta)         -> QSoftmax / QSoftmaxBeta<beta>
  LOGISTIC, TANH         -> QSigmoid, QTanh (output grids 1/256, -128 and 1/128, 0 as TFLite's)
  RELU, RELU6,           -> QRelu, QRelu6, QReluN1To1 (a QQuantize in front when the output grid
  RELU_N1_TO_1           differs from the input's: TFLite's int8 ReLU requantizes)
  LEAKY_RELU             -> QLeakyRelu with LeakyReluParams{alpha, output}
  HARD_SWISH             -> QHardSwish with HardSwishParams{output}
  ADD, MUL               of two activations -> qpipe::Add / qpipe::Mul (Residual when one operand
                         is the fork's own input and the op is ADD)
  CONCATENATION          along the channels, every input on the output's grid -> qpipe::Concat
  PAD                    H and W only, the grid unchanged -> QPad2D
  QUANTIZE               int8 -> int8 -> QQuantize; float -> int8 at the input edge: the input grid
  DEQUANTIZE             int8 -> float at the output edge: the output grid
Fused activations NONE, RELU, RELU6 and RELU_N1_TO_1 become the clamp layer after the op.
The graph may be a DAG: a tensor read by several operators starts branches that an ADD, MUL or
CONCATENATION joins again (qpipe::Add<Pipe<...>, Pipe<...>>, qpipe::Identity for an operand that
is the fork's tensor itself).

Refused with one line `qpipe_tools.tflite: error: ...` on stderr and exit status 1 (naming the operator
index and type where there is one): a file that is not a well-formed TFLite flatbuffer (truncated,
random bytes, offsets or indices out of range), several subgraphs' worth of control flow, several
inputs or outputs, batch other than 1, any float operator other than the edge QUANTIZE and
DEQUANTIZE, uint8/int16 activations, scales that are NaN, zero, negative, infinite or subnormal,
zero points outside int8, non-zero weight zero points, a weight of -128, shapes that disagree,
dimensions above 65536 or activations above 2^24 values, cycles, a graph that is not
series-parallel, grids qpipe cannot take (a requantizer multiplier outside [2^-32, 2^30), an int32
accumulator that could overflow, a sigmoid/tanh/softmax output grid other than TFLite's), and every
operator or option not listed above.

(--debug: the traceback first). On success it prints the summary (qpipe_tools.summary: layers,
parameters, MACs, the planned arena, the flash for the parameters, the compile flags), which the header
repeats in a comment.

Python API: read_tflite(path) -> Network; write_header(network, out_path, namespace) -> str;
export(path, out_path, namespace) -> summary.Summary.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import struct
import sys
from typing import Optional

from . import FrontEndError, cli, cpp, summary

PROG = "qpipe_tools.tflite"

# --------------------------------------------------------------------------------------------
# Errors


class TfliteError(FrontEndError):
    """A model this front end cannot turn into a qpipe network (one line of explanation)."""


# --------------------------------------------------------------------------------------------
# Schema facts (TensorFlow Lite's schema.fbs): enum values and the field ids this reader uses.
# A field with id i sits at vtable offset 4 + 2 i; a union field takes two ids (type, value).

TENSOR_TYPES = {
    0: "FLOAT32",
    1: "FLOAT16",
    2: "INT32",
    3: "UINT8",
    4: "INT64",
    5: "STRING",
    6: "BOOL",
    7: "INT16",
    8: "COMPLEX64",
    9: "INT8",
    10: "FLOAT64",
    11: "COMPLEX128",
    12: "UINT64",
    13: "RESOURCE",
    14: "VARIANT",
    15: "UINT32",
    16: "UINT16",
    17: "INT4",
}
FLOAT32, INT32, INT8, INT64 = 0, 2, 9, 4

# BuiltinOperator: the ones this reader takes, and names for messages.
OPS = {
    "ADD": 0,
    "AVERAGE_POOL_2D": 1,
    "CONCATENATION": 2,
    "CONV_2D": 3,
    "DEPTHWISE_CONV_2D": 4,
    "DEQUANTIZE": 6,
    "FULLY_CONNECTED": 9,
    "LOGISTIC": 14,
    "MAX_POOL_2D": 17,
    "MUL": 18,
    "RELU": 19,
    "RELU_N1_TO_1": 20,
    "RELU6": 21,
    "RESHAPE": 22,
    "SOFTMAX": 25,
    "TANH": 28,
    "PAD": 34,
    "MEAN": 40,
    "SQUEEZE": 43,
    "LEAKY_RELU": 98,
    "QUANTIZE": 114,
    "HARD_SWISH": 117,
}
OP_NAMES = {v: k for k, v in OPS.items()}
OP_NAMES.update(
    {
        5: "DEPTH_TO_SPACE",
        7: "EMBEDDING_LOOKUP",
        8: "FLOOR",
        10: "HASHTABLE_LOOKUP",
        11: "L2_NORMALIZATION",
        12: "L2_POOL_2D",
        13: "LOCAL_RESPONSE_NORMALIZATION",
        16: "LSTM",
        23: "RESIZE_BILINEAR",
        24: "RNN",
        26: "SPACE_TO_DEPTH",
        27: "SVDF",
        31: "CALL",
        32: "CUSTOM",
        36: "GATHER",
        39: "TRANSPOSE",
        41: "SUB",
        42: "DIV",
        45: "STRIDED_SLICE",
        47: "EXP",
        49: "SPLIT",
        50: "LOG_SOFTMAX",
        53: "CAST",
        54: "PRELU",
        55: "MAXIMUM",
        57: "MINIMUM",
        60: "PADV2",
        65: "SLICE",
        67: "TRANSPOSE_CONV",
        70: "EXPAND_DIMS",
        74: "SUM",
        82: "REDUCE_MAX",
        83: "PACK",
        88: "UNPACK",
        97: "RESIZE_NEAREST_NEIGHBOR",
        100: "MIRROR_PAD",
        102: "SPLIT_V",
        111: "ELU",
        118: "IF",
        119: "WHILE",
        126: "BATCH_MATMUL",
        127: "PLACEHOLDER_FOR_GREATER_OP_CODES",
        129: "CALL_ONCE",
        150: "GELU",
    }
)

# BuiltinOptions union: type ids (1-based, in schema order) of the option tables read here.
OPTION_TYPES = {
    "Conv2DOptions": 1,
    "DepthwiseConv2DOptions": 2,
    "Pool2DOptions": 5,
    "FullyConnectedOptions": 8,
    "SoftmaxOptions": 9,
    "ConcatenationOptions": 10,
    "AddOptions": 11,
    "ReshapeOptions": 17,
    "MulOptions": 21,
    "PadOptions": 22,
    "ReducerOptions": 27,
    "SqueezeOptions": 30,
    "LeakyReluOptions": 75,
    "QuantizeOptions": 89,
    "HardSwishOptions": 91,
    "DequantizeOptions": 38,
}
# The options table each operator expects (an absent table means all defaults).
OP_OPTIONS = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "SOFTMAX": "SoftmaxOptions",
    "CONCATENATION": "ConcatenationOptions",
    "ADD": "AddOptions",
    "RESHAPE": "ReshapeOptions",
    "MUL": "MulOptions",
    "PAD": "PadOptions",
    "MEAN": "ReducerOptions",
    "SQUEEZE": "SqueezeOptions",
    "LEAKY_RELU": "LeakyReluOptions",
}

PADDING = {0: "SAME", 1: "VALID"}
ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}

# Field ids.
MODEL_VERSION, MODEL_OPCODES, MODEL_SUBGRAPHS, MODEL_DESCRIPTION, MODEL_BUFFERS = 0, 1, 2, 3, 4
SUBGRAPH_TENSORS, SUBGRAPH_INPUTS, SUBGRAPH_OUTPUTS, SUBGRAPH_OPERATORS, SUBGRAPH_NAME = 0, 1, 2, 3, 4
TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_NAME, TENSOR_QUANTIZATION, TENSOR_IS_VARIABLE, TENSOR_SPARSITY = (
    0,
    1,
    2,
    3,
    4,
    5,
    6,
)
QUANT_MIN, QUANT_MAX, QUANT_SCALE, QUANT_ZERO_POINT, QUANT_DETAILS_TYPE, QUANT_DETAILS, QUANT_DIMENSION = (
    0,
    1,
    2,
    3,
    4,
    5,
    6,
)
OPCODE_DEPRECATED_BUILTIN, OPCODE_CUSTOM, OPCODE_VERSION, OPCODE_BUILTIN = 0, 1, 2, 3
OPERATOR_OPCODE_INDEX, OPERATOR_INPUTS, OPERATOR_OUTPUTS, OPERATOR_OPTIONS_TYPE, OPERATOR_OPTIONS = 0, 1, 2, 3, 4
OPERATOR_CUSTOM_OPTIONS, OPERATOR_INTERMEDIATES = 5, 8
BUFFER_DATA, BUFFER_OFFSET, BUFFER_SIZE = 0, 1, 2
PLACEHOLDER_FOR_GREATER_OP_CODES = 127

# Limits that keep a malformed model from turning into an endless loop or a header the compiler
# cannot take.
MAX_DIM = 1 << 16
MAX_ACTIVATION = 1 << 24
MAX_TENSORS = 1 << 20

SIGMOID_GRID = (1.0 / 256.0, -128)
TANH_GRID = (1.0 / 128.0, 0)
SOFTMAX_GRID = (1.0 / 256.0, -128)

# --------------------------------------------------------------------------------------------
# Flatbuffer access: the python3-flatbuffers runtime's Table, with every position checked
# against the file before it is read (the runtime itself checks nothing).


def _flatbuffers():
    try:
        import flatbuffers  # noqa: F401
        from flatbuffers import number_types, table
    except ImportError as e:
        raise TfliteError(
            "needs python3-flatbuffers (apt-get install python3-flatbuffers; run with " "/usr/bin/python3): %s" % e
        )
    return table, number_types


class _Table:
    """One flatbuffer table at `pos` of `buf`, read through flatbuffers.table.Table."""

    def __init__(self, buf, pos, what):
        table, n = _flatbuffers()
        self.n = n
        self.buf, self.what = buf, what
        self._need(pos, 4, what)
        self.t = table.Table(buf, pos)
        vtable = pos - self.t.Get(n.SOffsetTFlags, pos)
        self._need(vtable, 4, what + " vtable")
        self.vtable_size = self.t.Get(n.VOffsetTFlags, vtable)
        self.object_size = self.t.Get(n.VOffsetTFlags, vtable + 2)
        if self.vtable_size < 4 or self.vtable_size % 2:
            raise TfliteError("malformed flatbuffer: %s has a vtable of %d bytes" % (what, self.vtable_size))
        self._need(vtable, self.vtable_size, what + " vtable")
        self._need(pos, max(self.object_size, 4), what)

    def _need(self, pos, size, what):
        if pos < 0 or size < 0 or pos + size > len(self.buf):
            raise TfliteError(
                "malformed flatbuffer: %s at byte %d (%d bytes) lies outside the %d-byte file"
                % (what, pos, size, len(self.buf))
            )

    def _field(self, fid, size, what):
        """The absolute position of field fid (its value needs `size` bytes), or None if absent."""
        off = self.t.Offset(4 + 2 * fid)
        if not off:
            return None
        if off + size > self.object_size:
            raise TfliteError("malformed flatbuffer: field %d of %s lies outside its table" % (fid, self.what))
        return self.t.Pos + off

    def scalar(self, fid, flags, default, what="a field"):
        pos = self._field(fid, flags.bytewidth, what)
        if pos is None:
            return default
        return self.t.Get(flags, pos)

    def _indirect(self, fid, what):
        pos = self._field(fid, 4, what)
        if pos is None:
            return None
        target = pos + self.t.Get(self.n.UOffsetTFlags, pos)
        self._need(target, 4, "%s of %s" % (what, self.what))
        return target

    def table(self, fid, what):
        target = self._indirect(fid, what)
        return None if target is None else _Table(self.buf, target, "%s of %s" % (what, self.what))

    def vector(self, fid, elem_size, what):
        """(start, length) of a vector field, checked to lie in the file; (None, 0) if absent."""
        target = self._indirect(fid, what)
        if target is None:
            return None, 0
        length = self.t.Get(self.n.UOffsetTFlags, target)
        start = target + 4
        if length * elem_size > len(self.buf) - start:
            raise TfliteError(
                "malformed flatbuffer: %s of %s claims %d elements past the end of the file" % (what, self.what, length)
            )
        return start, length

    def scalars(self, fid, fmt, what):
        """A vector of scalars (struct format fmt, little-endian) as a tuple; () if absent."""
        size = struct.calcsize("<" + fmt)
        start, length = self.vector(fid, size, what)
        if start is None:
            return ()
        return struct.unpack_from("<%d%s" % (length, fmt), self.buf, start)

    def raw(self, fid, what):
        start, length = self.vector(fid, 1, what)
        return None if start is None else bytes(self.buf[start : start + length])

    def tables(self, fid, what):
        start, length = self.vector(fid, 4, what)
        if start is None:
            return []
        out = []
        for i in range(length):
            pos = start + 4 * i
            target = pos + self.t.Get(self.n.UOffsetTFlags, pos)
            out.append(_Table(self.buf, target, "%s[%d]" % (what, i)))
        return out

    def string(self, fid, what):
        data = self.raw(fid, what)
        return None if data is None else data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------------------------
# The model as plain Python values


@dataclasses.dataclass
class Grid:
    scale: float  # the model's float32 scale, as a Python float (exact)
    zero_point: int

    def key(self):
        return (self.scale, self.zero_point)


@dataclasses.dataclass
class _Tensor:
    index: int
    name: str
    shape: tuple
    type: int
    buffer: int
    scales: tuple
    zero_points: tuple
    qdim: int
    has_sparsity: bool

    def where(self):
        return "tensor %d '%s'" % (self.index, self.name)


@dataclasses.dataclass
class _Op:
    index: int
    code: int
    name: str
    inputs: tuple
    outputs: tuple
    options_type: int
    options: Optional[_Table]

    def where(self):
        return "operator %d (%s)" % (self.index, self.name)


def _parse(buf):
    """Reads the flatbuffer into (tensors, operators, inputs, outputs, buffers, subgraph count)."""
    _, n = _flatbuffers()
    if len(buf) < 8:
        raise TfliteError("not a TFLite model: %d bytes is too short for a flatbuffer" % len(buf))
    if bytes(buf[4:8]) != b"TFL3":
        raise TfliteError("not a TFLite model: the file identifier is %r, not 'TFL3'" % bytes(buf[4:8]))
    root = struct.unpack_from("<I", buf, 0)[0]
    model = _Table(buf, root, "the model")
    version = model.scalar(MODEL_VERSION, n.Uint32Flags, 0)
    if version != 3:
        raise TfliteError("TFLite schema version %d; this reader takes version 3" % version)
    opcodes = []
    for i, oc in enumerate(model.tables(MODEL_OPCODES, "operator_codes")):
        deprecated = oc.scalar(OPCODE_DEPRECATED_BUILTIN, n.Int8Flags, 0)
        builtin = oc.scalar(OPCODE_BUILTIN, n.Int32Flags, 0)
        # Models written before builtin_code existed have only the byte; later ones set the byte to
        # 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) for codes beyond it. TFLite takes the larger.
        code = max(deprecated, builtin)
        custom = oc.string(OPCODE_CUSTOM, "custom_code") if code == OPS.get("CUSTOM", 32) else None
        opcodes.append((code, custom))
    subgraphs = model.tables(MODEL_SUBGRAPHS, "subgraphs")
    if not subgraphs:
        raise TfliteError("the model has no subgraph")
    buffers = model.tables(MODEL_BUFFERS, "buffers")
    sg = subgraphs[0]
    tensors = []
    ttables = sg.tables(SUBGRAPH_TENSORS, "tensors")
    if len(ttables) > MAX_TENSORS:
        raise TfliteError("the model has %d tensors" % len(ttables))
    for i, t in enumerate(ttables):
        name = t.string(TENSOR_NAME, "name") or ("t%d" % i)
        name = re.sub(r"[^\x20-\x7e]", "?", name)[:80]
        shape = t.scalars(TENSOR_SHAPE, "i", "shape")
        ttype = t.scalar(TENSOR_TYPE, n.Int8Flags, 0)
        buffer = t.scalar(TENSOR_BUFFER, n.Uint32Flags, 0)
        q = t.table(TENSOR_QUANTIZATION, "quantization")
        scales, zps, qdim = (), (), 0
        if q is not None:
            scales = q.scalars(QUANT_SCALE, "f", "scale")
            zps = q.scalars(QUANT_ZERO_POINT, "q", "zero_point")
            qdim = q.scalar(QUANT_DIMENSION, n.Int32Flags, 0)
            if q.scalar(QUANT_DETAILS_TYPE, n.Uint8Flags, 0) != 0:
                raise TfliteError("tensor %d '%s': custom quantization details are not supported" % (i, name))
        sparsity = t.table(TENSOR_SPARSITY, "sparsity") is not None
        tensors.append(_Tensor(i, name, tuple(shape), ttype, buffer, tuple(scales), tuple(zps), qdim, sparsity))
    ops = []
    opcode_of = []
    for i, o in enumerate(sg.tables(SUBGRAPH_OPERATORS, "operators")):
        idx = o.scalar(OPERATOR_OPCODE_INDEX, n.Uint32Flags, 0)
        if idx >= len(opcodes):
            raise TfliteError(
                "operator %d: opcode index %d is out of range (%d operator codes)" % (i, idx, len(opcodes))
            )
        code, custom = opcodes[idx]
        name = OP_NAMES.get(code, "builtin %d" % code)
        if custom is not None:
            name = "CUSTOM '%s'" % re.sub(r"[^\x20-\x7e]", "?", custom)[:60]
        inputs = o.scalars(OPERATOR_INPUTS, "i", "inputs")
        outputs = o.scalars(OPERATOR_OUTPUTS, "i", "outputs")
        otype = o.scalar(OPERATOR_OPTIONS_TYPE, n.Uint8Flags, 0)
        options = o.table(OPERATOR_OPTIONS, "builtin_options") if otype else None
        ops.append(_Op(i, code, name, tuple(inputs), tuple(outputs), otype, options))
        opcode_of.append(code)
    inputs = sg.scalars(SUBGRAPH_INPUTS, "i", "inputs")
    outputs = sg.scalars(SUBGRAPH_OUTPUTS, "i", "outputs")
    return tensors, ops, tuple(inputs), tuple(outputs), buffers, len(subgraphs)


# --------------------------------------------------------------------------------------------
# What read_tflite returns: qpipe layers with their parameters (numpy arrays in qpipe layouts).


@dataclasses.dataclass
class Layer:
    """One qpipe layer. kind: pad, conv, depthwise, dense, maxpool, avgpool, mean, reshape, softmax,
    sigmoid, tanh, relu, relu6, relu_n1_to_1, leaky_relu, hard_swish, quantize, add, mul, concat,
    residual, identity."""

    kind: str
    source: str = ""  # "operator 3 (CONV_2D)"
    op_index: int = -1
    kernel: tuple = (1, 1)
    stride: tuple = (1, 1)
    dilation: tuple = (1, 1)
    multiplier: int = 1  # depthwise
    same: bool = False  # SAME padding (pools: average over valid cells)
    pads: tuple = (0, 0, 0, 0)  # top, bottom, left, right (pad)
    shape: tuple = ()  # reshape: the target shape (qpipe order)
    weights: object = None  # int8 ndarray, qpipe layout
    weight_scale: object = None  # float64 ndarray, one per output channel (dense per tensor: one)
    per_channel: bool = False
    bias: object = None  # int32 ndarray
    input_grid: Optional[Grid] = None  # the grid the layer reads (for the bias)
    output: Optional[Grid] = None  # block's output grid
    alpha: float = 0.0  # leaky relu
    beta: float = 1.0  # softmax
    branches: list = dataclasses.field(default_factory=list)  # merges: one layer list per branch
    name: str = ""  # C++ name of its parameter block
    macs: int = 0


@dataclasses.dataclass
class Network:
    source: str
    input_name: str
    input_tflite_shape: tuple  # with the batch dimension
    input_shape: tuple  # qpipe order (H, W, C) or (N,)
    input_grid: Grid
    layers: list
    output_name: str
    output_tflite_shape: tuple
    output_shape: tuple
    output_grid: Grid
    float_input: bool = False  # a QUANTIZE from float32 at the input edge was taken off
    float_output: bool = False  # a DEQUANTIZE to float32 at the output edge was taken off

    def walk(self):
        def rec(layers):
            for layer in layers:
                yield layer
                for b in layer.branches:
                    yield from rec(b)

        return rec(self.layers)

    def macs(self):
        return sum(layer.macs for layer in self.walk())

    def parameters(self):
        total = 0
        for layer in self.walk():
            if layer.weights is not None:
                total += layer.weights.size + layer.bias.size
        return total

    def layer_count(self):
        return sum(1 for _ in self.walk())


# --------------------------------------------------------------------------------------------
# Arithmetic checks: what the compiler would reject, found here instead (the header must compile).


def _multiplier_ok(real):
    """qpipe's quantize_multiplier accepts real (its frexp exponent in [-31, 30] after rounding)."""
    if not (real > 0) or math.isinf(real) or math.isnan(real):
        return False
    mant, shift = math.frexp(real)
    q = int(mant * (1 << 31) + 0.5)  # mant > 0: round half away = floor(x + 0.5) on the 53-bit product
    if q == 1 << 31:
        shift += 1
    if real < 2.2250738585072014e-308:
        return False
    return -31 <= shift <= 30


def _quantized_multiplier(real):
    """TFLite's QuantizeMultiplier: (Q31 multiplier, shift)."""
    mant, shift = math.frexp(real)
    q = int(math.floor(mant * (1 << 31) + 0.5))
    if q == 1 << 31:
        q, shift = q // 2, shift + 1
    return q, shift


def _round_away(x):
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


class _Value:
    """An int8 activation tensor as qpipe sees it: its grid and its qpipe shape."""

    def __init__(self, tensor, grid, qshape):
        self.tensor, self.grid, self.qshape = tensor, grid, qshape


def _qshape(shape):
    """qpipe's shape of a TFLite activation shape [1, H, W, C] or [1, N]."""
    if len(shape) == 4:
        return tuple(shape[1:])
    if len(shape) == 2:
        return (shape[1],)
    raise ValueError


class _Reader:
    def __init__(self, buf, source):
        import numpy as np

        self.np = np
        self.source = source
        (self.tensors, self.ops, self.graph_inputs, self.graph_outputs, self.buffers, self.subgraph_count) = _parse(buf)
        self.consumers = {}  # tensor -> [(op, input position)]
        self.producer = {}
        for op in self.ops:
            for t in op.inputs:
                if t != -1:
                    self.tensor(t, op)
            for t in op.outputs:
                self.tensor(t, op)
                if t in self.producer:
                    raise TfliteError("%s: tensor %d is also written by %s" % (op.where(), t, self.producer[t].where()))
                self.producer[t] = op
        self.visited = set()

    # --- tensors ------------------------------------------------------------------------------

    def tensor(self, index, op=None) -> _Tensor:
        if not 0 <= index < len(self.tensors):
            where = op.where() + ": " if op is not None else ""
            raise TfliteError("%stensor index %d is out of range (%d tensors)" % (where, index, len(self.tensors)))
        return self.tensors[index]

    def check_shape(self, t, op):
        if any(d < 1 or d > MAX_DIM for d in t.shape):
            raise TfliteError(
                "%s: %s has shape %s; qpipe takes dimensions from 1 to %d"
                % (op.where() if op else "the graph", t.where(), list(t.shape), MAX_DIM)
            )

    def data(self, t, op, dtype, what):
        """The constant data of tensor t as a numpy array of its shape."""
        np = self.np
        if t.buffer == 0 or t.buffer >= len(self.buffers):
            if t.buffer >= len(self.buffers):
                raise TfliteError(
                    "%s: %s %s refers to buffer %d of %d" % (op.where(), what, t.where(), t.buffer, len(self.buffers))
                )
            raise TfliteError("%s: %s %s must be a constant (it has no buffer)" % (op.where(), what, t.where()))
        if t.has_sparsity:
            raise TfliteError("%s: %s %s is sparse; qpipe takes dense constants" % (op.where(), what, t.where()))
        b = self.buffers[t.buffer]
        raw = b.raw(BUFFER_DATA, "data")
        if raw is None:
            _, n = _flatbuffers()
            if b.scalar(BUFFER_OFFSET, n.Uint64Flags, 0) > 1:
                raise TfliteError(
                    "%s: %s %s is stored outside the flatbuffer (a model over 2 GB); not supported"
                    % (op.where(), what, t.where())
                )
            raise TfliteError("%s: %s %s has an empty buffer %d" % (op.where(), what, t.where(), t.buffer))
        self.check_shape(t, op)
        count = 1
        for d in t.shape:
            count *= d
        size = np.dtype(dtype).itemsize
        if len(raw) != count * size:
            raise TfliteError(
                "%s: %s %s of shape %s needs %d bytes, its buffer holds %d"
                % (op.where(), what, t.where(), list(t.shape), count * size, len(raw))
            )
        return (
            np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
            .reshape(t.shape)
            .astype(np.int64 if np.dtype(dtype).kind == "i" else np.float64)
        )

    def grid(self, t, op, what="activation"):
        """The int8 activation grid of t (one scale, one zero point)."""
        where = op.where() + ": " if op is not None else ""
        if t.type != INT8:
            raise TfliteError(
                "%s%s %s is %s; qpipe takes int8 activations"
                % (where, what, t.where(), TENSOR_TYPES.get(t.type, "type %d" % t.type))
            )
        if len(t.scales) != 1 or len(t.zero_points) != 1:
            raise TfliteError(
                "%s%s %s has %d scales and %d zero points; qpipe takes one of each per activation"
                % (where, what, t.where(), len(t.scales), len(t.zero_points))
            )
        return self.checked_grid(t.scales[0], t.zero_points[0], "%s%s %s" % (where, what, t.where()))

    @staticmethod
    def checked_grid(scale, zp, what):
        if not (scale > 0) or math.isinf(scale) or math.isnan(scale):
            raise TfliteError("%s: scale %r is not positive and finite" % (what, scale))
        if scale < 1.1754943508222875e-38:
            raise TfliteError("%s: scale %r is subnormal" % (what, scale))
        if not -128 <= zp <= 127:
            raise TfliteError("%s: zero point %d is outside int8" % (what, zp))
        return Grid(float(scale), int(zp))

    def activation(self, index, op) -> _Value:
        """The int8 activation tensor `index` (op: the operator reading or writing it, None for the
        graph input)."""
        t = self.tensor(index, op)
        where = op.where() + ": " if op is not None else "the graph input: "
        if t.buffer != 0 and t.buffer < len(self.buffers) and self.buffers[t.buffer].raw(BUFFER_DATA, "data"):
            raise TfliteError("%s%s is a constant; qpipe takes activations here" % (where, t.where()))
        self.check_shape(t, op)
        if not t.shape or t.shape[0] != 1:
            raise TfliteError("%s%s has shape %s; qpipe takes batch 1" % (where, t.where(), list(t.shape)))
        try:
            qshape = _qshape(t.shape)
        except ValueError:
            raise TfliteError(
                "%s%s has shape %s; qpipe takes [1, H, W, C] images and [1, N] vectors"
                % (where, t.where(), list(t.shape))
            )
        count = math.prod(qshape)
        if count > MAX_ACTIVATION:
            raise TfliteError("%s%s has %d values; qpipe takes at most %d" % (where, t.where(), count, MAX_ACTIVATION))
        return _Value(t, self.grid(t, op), qshape)

    # --- options --------------------------------------------------------------------------------

    def options(self, op):
        want = OP_OPTIONS.get(op.name)
        if op.options_type == 0:
            return None
        if want is None or op.options_type != OPTION_TYPES[want]:
            raise TfliteError(
                "%s: builtin options of union type %d, expected %s" % (op.where(), op.options_type, want or "none")
            )
        return op.options

    def opt(self, op, fid, flags, default):
        o = self.options(op)
        return default if o is None else o.scalar(fid, flags, default)

    def fused(self, op, fid):
        _, n = _flatbuffers()
        a = self.opt(op, fid, n.Int8Flags, 0)
        name = ACTIVATIONS.get(a, "%d" % a)
        if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise TfliteError(
                "%s: fused activation %s is not supported (NONE, RELU, RELU6, RELU_N1_TO_1)" % (op.where(), name)
            )
        return {"NONE": [], "RELU": ["relu"], "RELU6": ["relu6"], "RELU_N1_TO_1": ["relu_n1_to_1"]}[name]

    def arity(self, op, n_in, n_out=1, optional=()):
        ins = [i for i in op.inputs]
        lo = n_in - len(optional)
        if not lo <= len(ins) <= n_in or len(op.outputs) != n_out:
            raise TfliteError(
                "%s: %d inputs and %d outputs, expected %s and %d"
                % (op.where(), len(ins), len(op.outputs), n_in if not optional else "%d to %d" % (lo, n_in), n_out)
            )
        for pos, i in enumerate(ins):
            if i == -1 and pos not in optional:
                raise TfliteError("%s: input %d is missing" % (op.where(), pos))

    # --- the graph walk -------------------------------------------------------------------------

    def read(self):
        if self.subgraph_count != 1:
            raise TfliteError("the model has %d subgraphs; qpipe takes one (no control flow)" % self.subgraph_count)
        if len(self.graph_inputs) != 1:
            raise TfliteError("the model has %d inputs; qpipe takes one" % len(self.graph_inputs))
        if len(self.graph_outputs) != 1:
            raise TfliteError("the model has %d outputs; qpipe takes one" % len(self.graph_outputs))
        if not self.ops:
            raise TfliteError("the model has no operators")
        self.check_acyclic()
        in_index = self.graph_inputs[0]
        out_index = self.graph_outputs[0]
        tin = self.tensor(in_index)
        tout = self.tensor(out_index)
        self.check_shape(tin, None)
        if in_index == out_index:
            raise TfliteError("the graph input is its output")
        float_input = tin.type == FLOAT32
        start = in_index
        if float_input:
            readers = self.consumers_of(in_index)
            if len(readers) != 1 or readers[0][0].name != "QUANTIZE":
                raise TfliteError(
                    "the float32 input %s is read by %s; a float model needs one QUANTIZE at the input "
                    "edge and int8 operators after it"
                    % (tin.where(), ", ".join(o.where() for o, _ in readers) or "nothing")
                )
            q = readers[0][0]
            self.arity(q, 1)
            self.visited.add(q.index)
            start = q.outputs[0]
        elif tin.type != INT8:
            raise TfliteError(
                "the input %s is %s; qpipe takes int8 (or float32 followed by QUANTIZE)"
                % (tin.where(), TENSOR_TYPES.get(tin.type, "type %d" % tin.type))
            )
        float_output = tout.type == FLOAT32
        end = out_index
        if float_output:
            p = self.producer.get(out_index)
            if p is None or p.name != "DEQUANTIZE":
                raise TfliteError(
                    "the float32 output %s is written by %s; a float model needs a DEQUANTIZE at the "
                    "output edge and int8 operators before it" % (tout.where(), p.where() if p else "nothing")
                )
            self.arity(p, 1)
            self.visited.add(p.index)
            end = p.inputs[0]
            self.tensor(end, p)
        elif tout.type != INT8:
            raise TfliteError(
                "the output %s is %s; qpipe gives int8 (or float32 after DEQUANTIZE)"
                % (tout.where(), TENSOR_TYPES.get(tout.type, "type %d" % tout.type))
            )
        self.end = end
        v = self.activation(start, None)
        layers, v = self.chain(v, None)
        for op in self.ops:
            if op.index not in self.visited:
                raise TfliteError("%s: not on the way from the input to the output" % op.where())
        out_t = self.tensor(out_index)
        return Network(
            self.source,
            self.tensor(in_index).name,
            tuple(self.tensor(in_index).shape),
            self.values_in_shape,
            self.input_grid_,
            layers,
            out_t.name,
            tuple(out_t.shape),
            v.qshape,
            v.grid,
            float_input,
            float_output,
        )

    def check_acyclic(self):
        # Kahn's algorithm over the operators; a cycle leaves some with unmet inputs.
        indeg = {}
        for op in self.ops:
            indeg[op.index] = sum(1 for t in op.inputs if t != -1 and t in self.producer)
        ready = [op for op in self.ops if indeg[op.index] == 0]
        seen = 0
        by_tensor = {}
        for op in self.ops:
            for t in set(op.inputs):
                if t != -1:
                    by_tensor.setdefault(t, []).append(op)
        while ready:
            op = ready.pop()
            seen += 1
            for t in op.outputs:
                for c in by_tensor.get(t, []):
                    indeg[c.index] -= c.inputs.count(t)
                    if indeg[c.index] == 0:
                        ready.append(c)
        if seen != len(self.ops):
            stuck = [op for op in self.ops if indeg[op.index] > 0]
            raise TfliteError("%s: the graph has a cycle through it" % stuck[0].where())

    def consumers_of(self, t):
        out = []
        for op in self.ops:
            for pos, i in enumerate(op.inputs):
                if i == t:
                    out.append((op, pos))
        return out

    def reader_ops(self, t):
        seen, out = set(), []
        for op, _ in self.consumers_of(t):
            if op.index not in seen:
                seen.add(op.index)
                out.append(op)
        return out

    MERGES = ("ADD", "MUL", "CONCATENATION")

    def is_merge(self, op):
        """A two-activation ADD/MUL or a CONCATENATION: where branches join."""
        return op.name in self.MERGES

    def chain(self, v, stop):
        """Lowers the operators from value v until the graph output (stop None) or until the merge
        operator `stop` is v's only reader. Returns (layers, last value)."""
        if stop is None:
            self.input_grid_ = v.grid
            self.values_in_shape = v.qshape
        layers = []
        steps = 0
        while True:
            steps += 1
            if steps > 4 * len(self.ops) + 8:
                raise TfliteError("the graph walk does not end (a cycle?)")
            t = v.tensor.index
            readers = [op for op in self.reader_ops(t) if op.index not in self.visited or op is stop]
            if stop is not None and readers == [stop]:
                return layers, v
            if t == self.end:
                if readers:
                    raise TfliteError(
                        "the output %s is also read by %s; qpipe takes one output"
                        % (v.tensor.where(), readers[0].where())
                    )
                if stop is not None:
                    raise TfliteError("%s: a branch ends at the graph output" % stop.where())
                return layers, v
            if not readers:
                raise TfliteError("%s leads nowhere (not the graph output, no reader)" % v.tensor.where())
            if len(readers) == 1 and not self.is_merge(readers[0]):
                op = readers[0]
                self.visited.add(op.index)
                new_layers, v = self.lower(op, v)
                layers.extend(new_layers)
                continue
            if len(readers) == 1 and self.is_merge(readers[0]) and readers[0] is not stop:
                # A merge that reads only this tensor (ADD(x, x), or a CONCATENATION of x with itself).
                op = readers[0]
                acts = [i for i in op.inputs if i != -1]
                for i in acts:
                    other = self.tensor(i, op)
                    if i != t and other.buffer != 0 and other.buffer < len(self.buffers):
                        raise TfliteError(
                            "%s: one operand, %s, is a constant; qpipe's %s takes two activations"
                            % (op.where(), other.where(), op.name)
                        )
                if any(i != t for i in acts):
                    raise TfliteError(
                        "%s: reads %s and other tensors that do not come from a branch of it"
                        % (op.where(), v.tensor.where())
                    )
                self.visited.add(op.index)
                layer, v = self.merge(op, v, [("identity", [], v) for _ in acts])
                layers.extend(layer)
                continue
            layer, v = self.fork(v, readers, stop)
            layers.extend(layer)

    def fork(self, v, readers, outer_stop):
        """v is read by several operators: branches that one merge operator joins again."""
        t = v.tensor.index
        merge = self.join_point(t)
        if merge is None or merge is outer_stop:
            raise TfliteError(
                "%s is read by %s, which no single ADD, MUL or CONCATENATION joins again "
                "(qpipe takes series-parallel graphs)" % (v.tensor.where(), ", ".join(r.where() for r in readers))
            )
        if not self.is_merge(merge):
            raise TfliteError(
                "%s: the branches from %s join at a %s; qpipe joins branches with ADD, MUL or "
                "CONCATENATION" % (merge.where(), v.tensor.where(), merge.name)
            )
        self.visited.add(merge.index)
        branch_results = {}
        for r in readers:
            if r is merge:
                continue
            self.visited.add(r.index)
            first, bv = self.lower(r, v)
            more, bv = self.chain(bv, merge)
            if bv.tensor.index in branch_results:
                raise TfliteError("%s: two branches end at %s" % (merge.where(), bv.tensor.where()))
            branch_results[bv.tensor.index] = first + more, bv
        branches = []
        used = set()
        for i in merge.inputs:
            if i == t:
                branches.append(("identity", [], v))
            elif i in branch_results:
                if i in used and merge.name != "CONCATENATION":
                    pass
                used.add(i)
                layers, bv = branch_results[i]
                branches.append(("branch", layers, bv))
            else:
                raise TfliteError(
                    "%s: its input %s does not come from a branch of %s (qpipe takes series-parallel "
                    "graphs)" % (merge.where(), self.tensor(i, merge).where(), v.tensor.where())
                )
        if set(branch_results) - used:
            raise TfliteError("%s: a branch from %s is not one of its inputs" % (merge.where(), v.tensor.where()))
        return self.merge(merge, v, branches)

    def join_point(self, t):
        """The first operator that every path from tensor t to the output passes through (None if a
        path from t ends elsewhere)."""
        if not hasattr(self, "_must"):
            # must[x]: the operators on every path from tensor x to the output, None when some path
            # from x ends elsewhere; computed over the operators in reverse topological order.
            order = self.topological_order()
            must = {self.end: frozenset()}

            def of(x):
                if x == self.end:
                    return frozenset()
                result = None
                for op in self.reader_ops(x):
                    if len(op.outputs) != 1:
                        return None
                    rest = must.get(op.outputs[0])
                    if rest is None:
                        return None  # a path from x that does not reach the output
                    s = rest | {op.index}
                    result = s if result is None else result & s
                return result

            for op in sorted(self.ops, key=lambda o: -order[o.index]):
                for x in op.outputs:
                    if x not in must:
                        must[x] = of(x)
            self._must, self._of = must, of
        sets = self._must[t] if t in self._must else self._of(t)
        if not sets:
            return None
        order = self.topological_order()
        return self.ops[min(sets, key=lambda i: order[i])]

    def topological_order(self):
        if not hasattr(self, "_order"):
            order, done = {}, set()
            avail = set(self.graph_inputs)
            remaining = list(self.ops)
            while remaining:
                progressed = False
                for op in list(remaining):
                    if all(i == -1 or i not in self.producer or self.producer[i].index in done for i in op.inputs):
                        order[op.index] = len(order)
                        done.add(op.index)
                        remaining.remove(op)
                        progressed = True
                if not progressed:
                    raise TfliteError("%s: the graph has a cycle through it" % remaining[0].where())
            del avail
            self._order = order
        return self._order

    # --- merges ---------------------------------------------------------------------------------

    def merge(self, op, v, branches):
        """branches: [(kind, layers, value)] in the merge's input order; v the fork's value."""
        _, n = _flatbuffers()
        name = op.name
        if name in ("ADD", "MUL"):
            self.arity(op, 2)
        else:
            if len(op.inputs) < 1 or len(op.outputs) != 1:
                raise TfliteError("%s: %d inputs and %d outputs" % (op.where(), len(op.inputs), len(op.outputs)))
        out = self.activation(op.outputs[0], op)
        grids = [b[2].grid for b in branches]
        shapes = [b[2].qshape for b in branches]
        src = op.where()
        if name in ("ADD", "MUL"):
            if shapes[0] != shapes[1]:
                raise TfliteError(
                    "%s: operands of shapes %s and %s; qpipe takes equal shapes (no broadcasting)"
                    % (src, list(shapes[0]), list(shapes[1]))
                )
            if out.qshape != shapes[0]:
                raise TfliteError(
                    "%s: output shape %s differs from its operands' %s" % (src, list(out.tensor.shape), list(shapes[0]))
                )
            acts = self.fused(op, 0)
            if name == "ADD":
                twice_max = 2 * max(grids[0].scale, grids[1].scale)
                for g in grids:
                    if not _multiplier_ok(g.scale / twice_max):
                        raise TfliteError(
                            "%s: operand scale %r is too small next to %r (rescale multiplier below "
                            "2^-32)" % (src, g.scale, twice_max / 2)
                        )
                self.check_multiplier(op, twice_max / (1 << 20) / out.grid.scale, "output")
            else:
                self.check_multiplier(op, grids[0].scale * grids[1].scale / out.grid.scale, "output")
        else:
            axis = self.opt(op, 0, n.Int32Flags, 0)
            acts = self.fused(op, 1)
            rank = len(out.tensor.shape)
            if axis < 0:
                axis += rank
            if axis != rank - 1:
                raise TfliteError(
                    "%s: concatenation along axis %d of a rank-%d tensor; qpipe concatenates along the "
                    "channels (the last axis)" % (src, axis, rank)
                )
            for i, (g, s) in enumerate(zip(grids, shapes)):
                if g.key() != out.grid.key():
                    raise TfliteError(
                        "%s: input %d is on grid (%r, %d), the output on (%r, %d); TFLite's int8 "
                        "CONCATENATION takes every input on the output's grid"
                        % (src, i, g.scale, g.zero_point, out.grid.scale, out.grid.zero_point)
                    )
                if len(s) != len(out.qshape) or s[:-1] != out.qshape[:-1]:
                    raise TfliteError(
                        "%s: input %d of shape %s does not fit the output %s"
                        % (src, i, list(s), list(out.tensor.shape))
                    )
            if sum(s[-1] for s in shapes) != out.qshape[-1]:
                raise TfliteError(
                    "%s: inputs of %d channels in all, the output has %d"
                    % (src, sum(s[-1] for s in shapes), out.qshape[-1])
                )
        kinds = [b[0] for b in branches]
        if name == "ADD" and kinds.count("identity") == 1:
            branch = next(b[1] for b in branches if b[0] != "identity")
            layer = Layer("residual", source=src, op_index=op.index, branches=[branch], output=out.grid)
        else:
            kind = {"ADD": "add", "MUL": "mul", "CONCATENATION": "concat"}[name]
            layer = Layer(
                kind,
                source=src,
                op_index=op.index,
                output=out.grid,
                branches=[b[1] if b[0] != "identity" else [Layer("identity", source=src)] for b in branches],
            )
        return [layer] + self.clamps(acts, src, out.grid), out

    def clamps(self, acts, src, grid):
        return [Layer(a, source=src) for a in acts]

    def check_multiplier(self, op, real, what):
        if not _multiplier_ok(real):
            raise TfliteError(
                "%s: %s requantizer multiplier %r lies outside [2^-32, 2^30) (a grid qpipe cannot "
                "take)" % (op.where(), what, real)
            )

    # --- operators ------------------------------------------------------------------------------

    def lower(self, op, v):
        """One operator reading value v. Returns (layers, output value)."""
        name = op.name
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            return self.conv(op, v)
        if name == "FULLY_CONNECTED":
            return self.dense(op, v)
        if name in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
            return self.pool(op, v)
        if name == "MEAN":
            return self.mean(op, v)
        if name in ("RESHAPE", "SQUEEZE"):
            return self.reshape(op, v)
        if name in ("SOFTMAX", "LOGISTIC", "TANH"):
            return self.fixed_grid(op, v)
        if name in ("RELU", "RELU6", "RELU_N1_TO_1"):
            return self.relu(op, v)
        if name == "LEAKY_RELU":
            return self.leaky_relu(op, v)
        if name == "HARD_SWISH":
            self.arity(op, 1)
            out = self.activation(op.outputs[0], op)
            self.same_shape(op, v, out)
            return [Layer("hard_swish", source=op.where(), op_index=op.index, output=out.grid)], out
        if name == "PAD":
            return self.pad(op, v)
        if name == "QUANTIZE":
            self.arity(op, 1)
            out = self.activation(op.outputs[0], op)
            self.same_shape(op, v, out)
            self.check_multiplier(op, v.grid.scale / out.grid.scale, "the")
            return [Layer("quantize", source=op.where(), op_index=op.index, output=out.grid)], out
        if name == "DEQUANTIZE":
            raise TfliteError(
                "%s: a DEQUANTIZE inside the graph (qpipe takes one only at the output edge)" % op.where()
            )
        if name in self.MERGES:
            raise TfliteError("%s: merges two activations that do not come from one fork" % op.where())
        raise TfliteError("%s: unsupported operator" % op.where())

    def same_shape(self, op, v, out):
        if out.qshape != v.qshape:
            raise TfliteError(
                "%s: output shape %s differs from its input's %s"
                % (op.where(), list(out.tensor.shape), list(v.tensor.shape))
            )

    def same_grid(self, op, v, out):
        if out.grid.key() != v.grid.key():
            raise TfliteError(
                "%s: output grid (%r, %d) differs from its input's (%r, %d); qpipe's %s keeps the grid"
                % (op.where(), out.grid.scale, out.grid.zero_point, v.grid.scale, v.grid.zero_point, op.name)
            )

    def image(self, op, v):
        if len(v.qshape) != 3:
            raise TfliteError("%s: needs an image [1, H, W, C], got %s" % (op.where(), list(v.tensor.shape)))
        return v.qshape

    def window(self, op, size, k, s, d, padding):
        """Output size and (before, after) padding of one axis, TFLite's rule."""
        eff = (k - 1) * d + 1
        if padding == "VALID":
            if eff > size:
                raise TfliteError(
                    "%s: window %d (dilated %d) is larger than the input's %d" % (op.where(), k, eff, size)
                )
            return (size - eff) // s + 1, 0, 0
        out = (size + s - 1) // s
        total = max((out - 1) * s + eff - size, 0)
        return out, total // 2, total - total // 2

    def padding(self, op, fid):
        _, n = _flatbuffers()
        p = self.opt(op, fid, n.Int8Flags, 0)
        if p not in PADDING:
            raise TfliteError("%s: padding %d is neither SAME nor VALID" % (op.where(), p))
        return PADDING[p]

    def positive(self, op, what, value):
        if not 1 <= value <= MAX_DIM:
            raise TfliteError("%s: %s %d; qpipe takes 1 to %d" % (op.where(), what, value, MAX_DIM))
        return value

    def weights(self, op, index, out_axis, what="weights"):
        """int8 constant weights (symmetric) and their scales, one per output channel."""
        np = self.np
        t = self.tensor(index, op)
        if t.type != INT8:
            raise TfliteError(
                "%s: %s %s are %s; qpipe takes int8 weights"
                % (op.where(), what, t.where(), TENSOR_TYPES.get(t.type, "type %d" % t.type))
            )
        w = self.data(t, op, np.int8, what)
        if (w == -128).any():
            raise TfliteError(
                "%s: %s %s hold -128, outside the symmetric range [-127, 127]" % (op.where(), what, t.where())
            )
        channels = w.shape[out_axis]
        if len(t.scales) == 1:
            scales = np.full(channels, float(t.scales[0]))
            per_channel = False
        elif len(t.scales) == channels and channels > 1:
            if t.qdim != out_axis:
                raise TfliteError(
                    "%s: %s %s are quantized along dimension %d; qpipe takes dimension %d (the output "
                    "channels)" % (op.where(), what, t.where(), t.qdim, out_axis)
                )
            scales = np.array([float(s) for s in t.scales])
            per_channel = True
        else:
            raise TfliteError(
                "%s: %s %s have %d scales for %d output channels"
                % (op.where(), what, t.where(), len(t.scales), channels)
            )
        if len(t.zero_points) not in (len(t.scales), 0) and len(t.zero_points) != 1:
            raise TfliteError(
                "%s: %s %s have %d zero points for %d scales"
                % (op.where(), what, t.where(), len(t.zero_points), len(t.scales))
            )
        if any(z != 0 for z in t.zero_points):
            raise TfliteError(
                "%s: %s %s have a non-zero zero point; qpipe takes symmetric weights" % (op.where(), what, t.where())
            )
        for s in scales:
            self.checked_grid(s, 0, "%s: %s %s" % (op.where(), what, t.where()))
        return w, scales, per_channel

    def bias(self, op, index, channels, in_grid, scales, w_sums):
        np = self.np
        if index == -1:
            b = np.zeros(channels, dtype=np.int64)
        else:
            t = self.tensor(index, op)
            if t.type != INT32:
                raise TfliteError(
                    "%s: bias %s is %s; qpipe takes int32 biases"
                    % (op.where(), t.where(), TENSOR_TYPES.get(t.type, "type %d" % t.type))
                )
            b = self.data(t, op, np.int32, "bias").reshape(-1)
            if b.size != channels:
                raise TfliteError(
                    "%s: bias %s has %d values for %d output channels" % (op.where(), t.where(), b.size, channels)
                )
        # What qpipe's compiler checks: the bias read back from the float written, the input zero
        # point folded in, and the accumulator bound.
        for c in range(channels):
            acc_scale = in_grid.scale * float(scales[c])
            real = int(b[c]) * acc_scale
            if _round_away(real / acc_scale) != int(b[c]):
                raise TfliteError(
                    "%s: bias %d of channel %d does not survive the round trip through its scale"
                    % (op.where(), int(b[c]), c)
                )
            s, a = w_sums[c]
            folded = int(b[c]) - in_grid.zero_point * s
            if not -(1 << 31) <= folded < (1 << 31):
                raise TfliteError(
                    "%s: channel %d's bias with the input zero point folded in leaves int32" % (op.where(), c)
                )
            if abs(folded) + 128 * a > (1 << 31) - 1:
                raise TfliteError(
                    "%s: channel %d's int32 accumulator could overflow for some input (bias %d, sum of "
                    "|weights| %d)" % (op.where(), c, int(b[c]), a)
                )
        return b.astype(np.int64)

    def conv(self, op, v):
        np = self.np
        _, n = _flatbuffers()
        depthwise = op.name == "DEPTHWISE_CONV_2D"
        self.arity(op, 3, optional=(2,))
        h, w, cin = self.image(op, v)
        wt = self.tensor(op.inputs[1], op)
        if len(wt.shape) != 4:
            raise TfliteError(
                "%s: weights %s have shape %s; expected 4 dimensions" % (op.where(), wt.where(), list(wt.shape))
            )
        padding = self.padding(op, 0)
        sw = self.positive(op, "stride_w", self.opt(op, 1, n.Int32Flags, 0))
        sh = self.positive(op, "stride_h", self.opt(op, 2, n.Int32Flags, 0))
        if depthwise:
            mult_opt = self.opt(op, 3, n.Int32Flags, 0)
            acts = self.fused(op, 4)
            dw = self.positive(op, "dilation_w_factor", self.opt(op, 5, n.Int32Flags, 1))
            dh = self.positive(op, "dilation_h_factor", self.opt(op, 6, n.Int32Flags, 1))
            one, kh, kw, cout = wt.shape
            if one != 1:
                raise TfliteError(
                    "%s: depthwise weights of shape %s; expected [1, KH, KW, C x multiplier]"
                    % (op.where(), list(wt.shape))
                )
            if cout % cin:
                raise TfliteError(
                    "%s: %d output channels are not a multiple of the %d input channels" % (op.where(), cout, cin)
                )
            mult = cout // cin
            if mult_opt not in (0, mult):
                raise TfliteError("%s: depth_multiplier %d, but the weights give %d" % (op.where(), mult_opt, mult))
            wq, scales, per_channel = self.weights(op, op.inputs[1], 3)
            wq = wq[0]  # [kh][kw][C*M]
            sums = [(int(wq[:, :, c].sum()), int(np.abs(wq[:, :, c]).sum())) for c in range(cout)]
        else:
            acts = self.fused(op, 3)
            dw = self.positive(op, "dilation_w_factor", self.opt(op, 4, n.Int32Flags, 1))
            dh = self.positive(op, "dilation_h_factor", self.opt(op, 5, n.Int32Flags, 1))
            if self.options(op) is not None and self.options(op).scalar(6, n.Int8Flags, 0) not in (0,):
                raise TfliteError("%s: quantized_bias_type is set; qpipe takes int32 biases" % op.where())
            cout, kh, kw, wcin = wt.shape
            if wcin != cin:
                raise TfliteError(
                    "%s: weights take %d input channels, the input has %d (grouped convolutions are not "
                    "supported)" % (op.where(), wcin, cin)
                )
            wq, scales, per_channel = self.weights(op, op.inputs[1], 0)
            mult = 1
            sums = [(int(wq[c].sum()), int(np.abs(wq[c]).sum())) for c in range(cout)]
        bias_index = op.inputs[2] if len(op.inputs) > 2 else -1
        b = self.bias(op, bias_index, cout, v.grid, scales, sums)
        out = self.activation(op.outputs[0], op)
        oh, top, bottom = self.window(op, h, kh, sh, dh, padding)
        ow, left, right = self.window(op, w, kw, sw, dw, padding)
        if out.qshape != (oh, ow, cout):
            raise TfliteError(
                "%s: output %s has shape %s; the options give [1, %d, %d, %d]"
                % (op.where(), out.tensor.where(), list(out.tensor.shape), oh, ow, cout)
            )
        for c in range(cout):
            self.check_multiplier(op, v.grid.scale * float(scales[c]) / out.grid.scale, "channel %d's" % c)
        # SAME stays the layer's own option (qpipe::same: the kernels compute the padding, no padded
        # copy of the input); SAME that pads nothing is VALID.
        same = padding == "SAME" and bool(top or bottom or left or right)
        kind = "depthwise" if depthwise else "conv"
        macs = oh * ow * cout * kh * kw * (1 if depthwise else cin)
        layer = Layer(
            kind,
            source=op.where(),
            op_index=op.index,
            kernel=(kh, kw),
            stride=(sh, sw),
            dilation=(dh, dw),
            same=same,
            multiplier=mult,
            weights=np.ascontiguousarray(wq),
            weight_scale=scales,
            per_channel=per_channel,
            bias=b,
            input_grid=v.grid,
            output=out.grid,
            macs=macs,
        )
        return [layer] + self.clamps(acts, op.where(), out.grid), out

    def dense(self, op, v):
        np = self.np
        _, n = _flatbuffers()
        self.arity(op, 3, optional=(2,))
        acts = self.fused(op, 0)
        o = self.options(op)
        if o is not None:
            if o.scalar(1, n.Int8Flags, 0) != 0:
                raise TfliteError("%s: shuffled weights format is not supported" % op.where())
            if o.scalar(4, n.Int8Flags, 0) != 0:
                raise TfliteError("%s: quantized_bias_type is set; qpipe takes int32 biases" % op.where())
        wt = self.tensor(op.inputs[1], op)
        if len(wt.shape) != 2:
            raise TfliteError(
                "%s: weights %s have shape %s; expected [units, inputs]" % (op.where(), wt.where(), list(wt.shape))
            )
        units, inputs = wt.shape
        count = 1
        for d in v.qshape:
            count *= d
        if inputs != count:
            raise TfliteError(
                "%s: weights take %d inputs, the input %s has %d values" % (op.where(), inputs, v.tensor.where(), count)
            )
        wq, scales, per_channel = self.weights(op, op.inputs[1], 0)
        sums = [(int(wq[u].sum()), int(np.abs(wq[u]).sum())) for u in range(units)]
        b = self.bias(op, op.inputs[2] if len(op.inputs) > 2 else -1, units, v.grid, scales, sums)
        out = self.activation(op.outputs[0], op)
        if out.qshape != (units,):
            raise TfliteError(
                "%s: output %s has shape %s; expected [1, %d]"
                % (op.where(), out.tensor.where(), list(out.tensor.shape), units)
            )
        for c in range(units if per_channel else 1):
            self.check_multiplier(op, v.grid.scale * float(scales[c]) / out.grid.scale, "unit %d's" % c)
        layer = Layer(
            "dense",
            source=op.where(),
            op_index=op.index,
            weights=np.ascontiguousarray(wq),
            weight_scale=scales if per_channel else scales[:1],
            per_channel=per_channel,
            bias=b,
            input_grid=v.grid,
            output=out.grid,
            macs=units * inputs,
        )
        return [layer] + self.clamps(acts, op.where(), out.grid), out

    def pool(self, op, v):
        _, n = _flatbuffers()
        self.arity(op, 1)
        h, w, c = self.image(op, v)
        padding = self.padding(op, 0)
        sw = self.positive(op, "stride_w", self.opt(op, 1, n.Int32Flags, 0))
        sh = self.positive(op, "stride_h", self.opt(op, 2, n.Int32Flags, 0))
        kw = self.positive(op, "filter_width", self.opt(op, 3, n.Int32Flags, 0))
        kh = self.positive(op, "filter_height", self.opt(op, 4, n.Int32Flags, 0))
        acts = self.fused(op, 5)
        out = self.activation(op.outputs[0], op)
        self.same_grid(op, v, out)
        oh, top, bottom = self.window(op, h, kh, sh, 1, padding)
        ow, left, right = self.window(op, w, kw, sw, 1, padding)
        if out.qshape != (oh, ow, c):
            raise TfliteError(
                "%s: output %s has shape %s; the options give [1, %d, %d, %d]"
                % (op.where(), out.tensor.where(), list(out.tensor.shape), oh, ow, c)
            )
        # SAME that pads nothing is VALID.
        same = padding == "SAME" and (top or bottom or left or right)
        kind = "maxpool" if op.name == "MAX_POOL_2D" else "avgpool"
        return [
            Layer(
                kind,
                source=op.where(),
                op_index=op.index,
                kernel=(kh, kw),
                stride=(sh, sw),
                same=bool(same),
                output=out.grid,
            )
        ] + self.clamps(acts, op.where(), out.grid), out

    def mean(self, op, v):
        np = self.np
        _, n = _flatbuffers()
        self.arity(op, 2)
        h, w, c = self.image(op, v)
        at = self.tensor(op.inputs[1], op)
        if at.type not in (INT32, INT64):
            raise TfliteError("%s: axis %s is not an integer tensor" % (op.where(), at.where()))
        axes = sorted(
            set(
                int(a) % 4 if -4 <= int(a) < 4 else 99
                for a in self.data(at, op, np.int32 if at.type == INT32 else np.int64, "axis").reshape(-1)
            )
        )
        if axes != [1, 2]:
            raise TfliteError(
                "%s: MEAN over axes %s; qpipe takes the mean over H and W (axes 1 and 2)" % (op.where(), axes)
            )
        keep = self.opt(op, 0, n.BoolFlags, False)
        out = self.activation(op.outputs[0], op)
        expect = (1, 1, 1, c) if keep else (1, c)
        if tuple(out.tensor.shape) != expect:
            raise TfliteError(
                "%s: output %s has shape %s; expected %s"
                % (op.where(), out.tensor.where(), list(out.tensor.shape), list(expect))
            )
        self.check_multiplier(op, v.grid.scale / out.grid.scale / (h * w), "the")
        self.check_multiplier(op, v.grid.scale / out.grid.scale, "the")
        layers = [Layer("mean", source=op.where(), op_index=op.index, output=out.grid)]
        if keep:
            # qpipe's QMean gives Shape<C>; a reshape to [1, C] right after it costs nothing.
            readers = self.reader_ops(out.tensor.index)
            if len(readers) == 1 and readers[0].name in ("RESHAPE", "SQUEEZE") and out.tensor.index != self.end:
                r = readers[0]
                nxt = self.activation(r.outputs[0], r) if r.outputs else None
                if nxt is not None and nxt.qshape == (c,) and nxt.grid.key() == out.grid.key() and len(r.outputs) == 1:
                    self.visited.add(r.index)
                    return layers, nxt
            layers.append(Layer("reshape", source=op.where(), op_index=op.index, shape=(1, 1, c)))
            return layers, out
        return layers, _Value(out.tensor, out.grid, (c,))

    def reshape(self, op, v):
        if len(op.inputs) not in (1, 2) or len(op.outputs) != 1:
            raise TfliteError("%s: %d inputs and %d outputs" % (op.where(), len(op.inputs), len(op.outputs)))
        out = self.activation(op.outputs[0], op)
        self.same_grid(op, v, out)
        size = lambda s: math.prod(s)
        if size(out.qshape) != size(v.qshape):
            raise TfliteError("%s: reshapes %d values into %s" % (op.where(), size(v.qshape), list(out.tensor.shape)))
        if out.qshape == v.qshape:
            return [], out
        readers = self.reader_ops(out.tensor.index)
        if (
            len(out.qshape) == 1
            and len(readers) == 1
            and readers[0].name == "FULLY_CONNECTED"
            and out.tensor.index != self.end
            and readers[0].inputs
            and readers[0].inputs[0] == out.tensor.index
        ):
            # QDense reads its input flat, in the same (NHWC) order: no layer needed.
            return [], _Value(out.tensor, out.grid, v.qshape)
        return [Layer("reshape", source=op.where(), op_index=op.index, shape=out.qshape)], out

    def fixed_grid(self, op, v):
        _, n = _flatbuffers()
        self.arity(op, 1)
        out = self.activation(op.outputs[0], op)
        self.same_shape(op, v, out)
        kind, fixed = {
            "SOFTMAX": ("softmax", SOFTMAX_GRID),
            "LOGISTIC": ("sigmoid", SIGMOID_GRID),
            "TANH": ("tanh", TANH_GRID),
        }[op.name]
        if out.grid.key() != fixed:
            raise TfliteError(
                "%s: output grid (%r, %d); TFLite's int8 %s writes (%r, %d)"
                % (op.where(), out.grid.scale, out.grid.zero_point, op.name, fixed[0], fixed[1])
            )
        layer = Layer(kind, source=op.where(), op_index=op.index, output=out.grid)
        if kind == "softmax":
            beta = self.opt(op, 0, n.Float32Flags, 0.0)
            if not (beta > 0) or math.isinf(beta) or math.isnan(beta):
                raise TfliteError("%s: beta %r is not positive and finite" % (op.where(), beta))
            layer.beta = float(beta)
            # TFLite's input multiplier: min(beta x input scale x 2^26, 2^31 - 1) in double, which must
            # exceed 1 (QuantizeMultiplierGreaterThanOne).
            real = min(float(beta) * v.grid.scale * float(1 << 26), float((1 << 31) - 1))
            if not real > 1.0:
                raise TfliteError(
                    "%s: beta x input scale %r is not above 2^-26, which TFLite's int8 softmax requires"
                    % (op.where(), beta * v.grid.scale)
                )
            if v.qshape[-1] > 4096:
                raise TfliteError("%s: softmax over %d values; qpipe's takes at most 4096" % (op.where(), v.qshape[-1]))
        return [layer], out

    def relu(self, op, v):
        self.arity(op, 1)
        out = self.activation(op.outputs[0], op)
        self.same_shape(op, v, out)
        kind = {"RELU": "relu", "RELU6": "relu6", "RELU_N1_TO_1": "relu_n1_to_1"}[op.name]
        layers = []
        if out.grid.key() != v.grid.key():
            # TFLite's int8 ReLU requantizes onto its output grid, then clamps there; its multiplier
            # is the quotient of the two float32 scales taken in float32, QQuantize's the double one.
            self.check_multiplier(op, v.grid.scale / out.grid.scale, "the")
            f32 = struct.unpack("<f", struct.pack("<f", v.grid.scale / out.grid.scale))[0]
            if _quantized_multiplier(f32) != _quantized_multiplier(v.grid.scale / out.grid.scale):
                raise TfliteError(
                    "%s: changes the grid (%r, %d) -> (%r, %d) with a multiplier TFLite takes in float32 "
                    "(%r), which qpipe's QQuantize (double) does not reproduce"
                    % (op.where(), v.grid.scale, v.grid.zero_point, out.grid.scale, out.grid.zero_point, f32)
                )
            layers.append(Layer("quantize", source=op.where(), op_index=op.index, output=out.grid))
        layers.append(Layer(kind, source=op.where(), op_index=op.index))
        return layers, out

    def leaky_relu(self, op, v):
        _, n = _flatbuffers()
        self.arity(op, 1)
        out = self.activation(op.outputs[0], op)
        self.same_shape(op, v, out)
        alpha = self.opt(op, 0, n.Float32Flags, 0.0)
        if not (alpha > 0) or math.isinf(alpha) or math.isnan(alpha):
            raise TfliteError("%s: alpha %r; qpipe takes a positive finite alpha" % (op.where(), alpha))
        self.check_multiplier(op, v.grid.scale / out.grid.scale, "the identity")
        self.check_multiplier(op, v.grid.scale * alpha / out.grid.scale, "the alpha")
        return [Layer("leaky_relu", source=op.where(), op_index=op.index, alpha=float(alpha), output=out.grid)], out

    def pad(self, op, v):
        np = self.np
        self.arity(op, 2)
        h, w, c = self.image(op, v)
        pt = self.tensor(op.inputs[1], op)
        if pt.type not in (INT32, INT64):
            raise TfliteError("%s: paddings %s are not an integer tensor" % (op.where(), pt.where()))
        p = self.data(pt, op, np.int32 if pt.type == INT32 else np.int64, "paddings")
        if p.shape != (4, 2):
            raise TfliteError("%s: paddings of shape %s; expected [4, 2]" % (op.where(), list(p.shape)))
        if p[0].any() or p[3].any():
            raise TfliteError("%s: pads the batch or the channels; qpipe pads H and W only" % op.where())
        if (p < 0).any() or (p > MAX_DIM).any():
            raise TfliteError("%s: paddings %s; qpipe takes 0 to %d" % (op.where(), p.tolist(), MAX_DIM))
        out = self.activation(op.outputs[0], op)
        self.same_grid(op, v, out)
        top, bottom, left, right = (int(x) for x in (p[1][0], p[1][1], p[2][0], p[2][1]))
        if out.qshape != (h + top + bottom, w + left + right, c):
            raise TfliteError(
                "%s: output %s has shape %s; the paddings give [1, %d, %d, %d]"
                % (op.where(), out.tensor.where(), list(out.tensor.shape), h + top + bottom, w + left + right, c)
            )
        if not (top or bottom or left or right):
            return [], out
        return [Layer("pad", source=op.where(), op_index=op.index, pads=(top, bottom, left, right))], out


def read_tflite(path) -> Network:
    """Reads an int8 .tflite model into a Network (raises TfliteError on anything unsupported)."""
    try:
        import numpy  # noqa: F401
    except ImportError as e:
        raise TfliteError("needs python3-numpy (run with /usr/bin/python3): %s" % e)
    _flatbuffers()
    if not os.path.isfile(path):
        raise TfliteError("%s: no such file" % path)
    try:
        with open(path, "rb") as f:
            buf = bytearray(f.read())
    except OSError as e:
        raise TfliteError("%s: cannot read: %s" % (path, e.strerror))
    try:
        return _Reader(buf, os.path.basename(path)).read()
    except TfliteError:
        raise
    except (struct.error, IndexError, OverflowError, ValueError, RecursionError, MemoryError) as e:
        raise TfliteError(
            "malformed flatbuffer %s: %s: %s"
            % (os.path.basename(path), type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        )


# --------------------------------------------------------------------------------------------
# Writing


def _kernel(layer) -> str:
    kh, kw = layer.kernel
    return "%d" % kh if kh == kw else "qpipe::kernel(%d, %d)" % (kh, kw)


def _window_args(layer, pool=False):
    """The template arguments of a conv or pool: today's <K, S> where they suffice, else the window
    options (qpipe::kernel, stride, dilation, same, multiplier)."""
    (kh, kw), (sh, sw), (dh, dw) = layer.kernel, layer.stride, layer.dilation
    square = kh == kw and sh == sw and dh == dw == 1 and not layer.same and layer.multiplier == 1
    if square:
        if pool:
            return "%d" % kh if sh == kh else "%d, %d" % (kh, sh)
        return "%d" % kh if sh == 1 else "%d, %d" % (kh, sh)
    args = ["qpipe::kernel(%d, %d)" % (kh, kw) if kh != kw else "qpipe::kernel(%d)" % kh]
    if (sh, sw) != ((kh, kw) if pool else (1, 1)) or pool:
        args.append("qpipe::stride(%d, %d)" % (sh, sw) if sh != sw else "qpipe::stride(%d)" % sh)
    if (dh, dw) != (1, 1):
        args.append("qpipe::dilation(%d, %d)" % (dh, dw) if dh != dw else "qpipe::dilation(%d)" % dh)
    if layer.same:
        args.append("qpipe::same")
    if layer.multiplier != 1:
        args.append("qpipe::multiplier(%d)" % layer.multiplier)
    return ", ".join(args)


def _pipe(layers) -> str:
    return "qpipe::Pipe<%s>" % ", ".join(_layer_type(x) for x in layers)


def _layer_type(layer: Layer) -> str:
    k = layer.kind
    if k == "pad":
        t, b, l, r = layer.pads
        return "qpipe::QPad2D<%d>" % t if t == b == l == r else "qpipe::QPad2D<%d, %d, %d, %d>" % (t, b, l, r)
    if k == "conv":
        return "qpipe::QConv2D%s<%s>" % ("PerChannel" if layer.per_channel else "", _window_args(layer))
    if k == "depthwise":
        return "qpipe::QDepthwiseConv2D<%s>" % _window_args(layer)
    if k == "dense":
        return "qpipe::QDense%s<%d>" % ("PerChannel" if layer.per_channel else "", layer.weights.shape[0])
    if k == "maxpool":
        return "qpipe::QMaxPool2D<%s>" % _window_args(layer, pool=True)
    if k == "avgpool":
        return "qpipe::QAvgPool2D<%s>" % _window_args(layer, pool=True)
    if k == "reshape":
        return "qpipe::QReshape<qpipe::Shape<%s>>" % ", ".join(str(d) for d in layer.shape)
    if k == "softmax":
        return "qpipe::QSoftmax" if layer.beta == 1.0 else "qpipe::QSoftmaxBeta<%s>" % cpp.number(layer.beta)
    if k == "residual":
        return "qpipe::Residual<%s>" % _pipe(layer.branches[0])
    if k in ("add", "mul", "concat"):
        return "qpipe::%s<%s>" % (
            {"add": "Add", "mul": "Mul", "concat": "Concat"}[k],
            ", ".join(_pipe(b) for b in layer.branches),
        )
    return {
        "relu": "qpipe::QRelu",
        "relu6": "qpipe::QRelu6",
        "relu_n1_to_1": "qpipe::QReluN1To1",
        "sigmoid": "qpipe::QSigmoid",
        "tanh": "qpipe::QTanh",
        "mean": "qpipe::QMean",
        "leaky_relu": "qpipe::QLeakyRelu",
        "hard_swish": "qpipe::QHardSwish",
        "quantize": "qpipe::QQuantize",
        "identity": "qpipe::Identity",
    }[k]


# Which layers the C++ side had when this was written, and which it gained later: what a header
# needs (the report names them).
NEW_SPELLINGS = (
    "qpipe::kernel(",
    "qpipe::stride(",
    "qpipe::dilation(",
    "qpipe::same",
    "qpipe::multiplier(",
    "qpipe::QMean",
    "qpipe::QReshape",
    "qpipe::QSoftmaxBeta",
    "qpipe::QReluN1To1",
    "qpipe::QLeakyRelu",
    "qpipe::QHardSwish",
    "qpipe::QQuantize",
    "qpipe::Add<",
    "qpipe::Mul<",
    "qpipe::Concat<",
    "qpipe::Identity",
)


def _blocks(layers, out, names):
    """Appends (name, C++ definition) for every layer with parameters, in spec order."""
    for layer in layers:
        for b in layer.branches:
            _blocks(b, out, names)
        k = layer.kind
        # Concat has no parameter block: its inputs and output share one grid (checked above).
        if k not in (
            "conv",
            "depthwise",
            "dense",
            "residual",
            "add",
            "mul",
            "mean",
            "leaky_relu",
            "hard_swish",
            "quantize",
        ):
            continue
        base = cpp.identifier("op%d_%s" % (layer.op_index, k))
        name, i = base, 2
        while name in names:
            name, i = "%s_%d" % (base, i), i + 1
        names.add(name)
        layer.name = name
        simple = {
            "residual": "ResidualParams",
            "add": "AddParams",
            "mul": "MulParams",
            "mean": "MeanParams",
            "hard_swish": "HardSwishParams",
            "quantize": "QuantizeParams",
        }
        if k in simple:
            out.append(
                (
                    name,
                    "inline constexpr qpipe::%s %s{.output = %s};  // %s\n"
                    % (simple[k], name, cpp.grid(layer.output), layer.source),
                )
            )
            continue
        if k == "leaky_relu":
            out.append(
                (
                    name,
                    "inline constexpr qpipe::LeakyReluParams %s{.alpha = %s, .output = %s};  // %s\n"
                    % (name, cpp.number(layer.alpha), cpp.grid(layer.output), layer.source),
                )
            )
            continue
        w = layer.weights
        if k == "conv":
            t = "qpipe::Conv2DParams<%s, %d, %d, std::int8_t>" % (_kernel(layer), w.shape[3], w.shape[0])
        elif k == "depthwise":
            channels = w.shape[2] // layer.multiplier
            t = "qpipe::DepthwiseConv2DParams<%s, %d, std::int8_t%s>" % (
                _kernel(layer),
                channels,
                ", %d" % layer.multiplier if layer.multiplier != 1 else "",
            )
        else:
            t = "qpipe::Dense%sParams<%d, %d, std::int8_t>" % (
                "PerChannel" if layer.per_channel else "",
                w.shape[1],
                w.shape[0],
            )
        scales = layer.weight_scale
        per = list(scales) if len(scales) > 1 else [scales[0]] * len(layer.bias)
        # qpipe's blocks hold real-valued biases: int32 x (input scale x weight scale), the same
        # double product the compiler divides by, so it rounds back to the same int32.
        bias = (
            "{"
            + ", ".join(cpp.number(int(q) * (layer.input_grid.scale * float(s))) for q, s in zip(layer.bias, per))
            + "}"
        )
        ws = (
            cpp.number(scales[0])
            if k == "dense" and not layer.per_channel
            else "{" + ", ".join(cpp.number(s) for s in per) + "}"
        )
        text = (
            "inline constexpr %s %s{  // %s\n"
            "    .weights = %s,\n"
            "    .bias = %s,  // int32 bias x input scale x weight scale\n"
            "    .output = %s,\n"
            "    .weight_scale = %s,\n"
            "};\n"
        ) % (t, name, layer.source, cpp.nested(w, 16), bias, cpp.grid(layer.output), ws)
        out.append((name, text))


def write_header(network: Network, out_path, namespace: str) -> str:
    """Writes the header for `network` into out_path (or only returns it if out_path is None)."""
    cpp.check_namespace(namespace)
    blocks = []
    _blocks(network.layers, blocks, set())
    dims = lambda s: ", ".join(str(d) for d in s)
    lines = [
        "// Generated by qpipe_tools.tflite from %s. Do not edit; regenerate." % network.source,
        "// Input '%s': TFLite [%s]%s -> qpipe Shape<%s>, int8 codes on input_grid."
        % (
            network.input_name,
            dims(network.input_tflite_shape),
            " float32 (the model's QUANTIZE is the input grid)" if network.float_input else " int8",
            dims(network.input_shape),
        ),
        "// Output '%s': TFLite [%s]%s -> qpipe Shape<%s>, int8 codes on output_grid."
        % (
            network.output_name,
            dims(network.output_tflite_shape),
            " float32 (the model's DEQUANTIZE reads output_grid)" if network.float_output else " int8",
            dims(network.output_shape),
        ),
        "// Weights, weight scales, biases and grids are the model's own.",
        *summarize(network).comment(),
    ]
    text = cpp.carried_header(
        lines,
        namespace,
        [_layer_type(x) for x in network.layers],
        network.input_shape,
        [("input_grid", network.input_grid), ("output_grid", network.output_grid)],
        blocks,
    )
    if out_path is not None:
        cpp.write(out_path, text)
    return text


def summarize(network: Network) -> summary.Summary:
    """Layers, parameters, MACs, the planned arena and the compile flags of the network."""
    return summary.of_items(summary.items_of_layers(network.layers), network.input_shape)


def export(path, out_path, namespace) -> summary.Summary:
    """Reads the .tflite model at path and writes its header; returns the summary (raises TfliteError,
    or FrontEndError for a number C++ cannot spell or a file it cannot write)."""
    network = read_tflite(path)
    write_header(network, out_path, namespace)
    return summarize(network)


def main(argv=None) -> int:
    parser = cli.parser(
        PROG,
        "An int8 TFLite flatbuffer -> a qpipe C++ header (its int8 weights and grids as they " "are).",
        "the .tflite file (int8, or float32 only at the input and output edges)",
    )
    return cli.run(parser, argv, lambda args: export(args.model, args.out, args.namespace))


if __name__ == "__main__":
    sys.exit(main())
