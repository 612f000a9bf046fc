"""Writes TFLite flatbuffers (.tflite) from a plain description, with python3-flatbuffers' Builder.

The test's own writer, independent of python/qpipe_tools/tflite.py: a Model holds tensors (shape, type,
quantization, constant data) and operators (builtin name, inputs, outputs, options by name), and
serialize() lays them out by TensorFlow Lite's schema.fbs field ids. The same description is what
tflite_eval.py evaluates and what fuzz.py edits before serializing again.
"""
import dataclasses
import struct

import numpy as np
from flatbuffers import builder as fbb

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
    "SUB": 41,
    "SQUEEZE": 43,
    "LEAKY_RELU": 98,
    "QUANTIZE": 114,
    "HARD_SWISH": 117,
    "ELU": 111,
    "WHILE": 119,
    "GELU": 150,
    "CUSTOM": 32,
}
TYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "int16": 7, "int8": 9}
NP_TYPES = {
    "float32": np.float32,
    "int32": np.int32,
    "uint8": np.uint8,
    "int64": np.int64,
    "int16": np.int16,
    "int8": np.int8,
}
PADDING = {"SAME": 0, "VALID": 1}
ACT = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4, "SIGN_BIT": 5}

# Option tables: union type id and the fields (id, name, kind, default) in schema order.
OPTIONS = {
    "Conv2DOptions": (
        1,
        [
            (0, "padding", "padding", 0),
            (1, "stride_w", "i32", 0),
            (2, "stride_h", "i32", 0),
            (3, "fused", "act", 0),
            (4, "dilation_w", "i32", 1),
            (5, "dilation_h", "i32", 1),
        ],
    ),
    "DepthwiseConv2DOptions": (
        2,
        [
            (0, "padding", "padding", 0),
            (1, "stride_w", "i32", 0),
            (2, "stride_h", "i32", 0),
            (3, "depth_multiplier", "i32", 0),
            (4, "fused", "act", 0),
            (5, "dilation_w", "i32", 1),
            (6, "dilation_h", "i32", 1),
        ],
    ),
    "Pool2DOptions": (
        5,
        [
            (0, "padding", "padding", 0),
            (1, "stride_w", "i32", 0),
            (2, "stride_h", "i32", 0),
            (3, "filter_w", "i32", 0),
            (4, "filter_h", "i32", 0),
            (5, "fused", "act", 0),
        ],
    ),
    "FullyConnectedOptions": (
        8,
        [(0, "fused", "act", 0), (1, "weights_format", "i8", 0), (2, "keep_num_dims", "bool", 0)],
    ),
    "SoftmaxOptions": (9, [(0, "beta", "f32", 0.0)]),
    "ConcatenationOptions": (10, [(0, "axis", "i32", 0), (1, "fused", "act", 0)]),
    "AddOptions": (11, [(0, "fused", "act", 0)]),
    "ReshapeOptions": (17, [(0, "new_shape", "ivec", None)]),
    "MulOptions": (21, [(0, "fused", "act", 0)]),
    "PadOptions": (22, []),
    "ReducerOptions": (27, [(0, "keep_dims", "bool", 0)]),
    "SqueezeOptions": (30, [(0, "squeeze_dims", "ivec", None)]),
    "LeakyReluOptions": (75, [(0, "alpha", "f32", 0.0)]),
    "QuantizeOptions": (89, []),
    "HardSwishOptions": (91, []),
}
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
    "QUANTIZE": "QuantizeOptions",
    "HARD_SWISH": "HardSwishOptions",
}


@dataclasses.dataclass
class Tensor:
    shape: list
    type: str = "int8"
    scale: list = None  # None: no quantization table
    zero_point: list = None
    qdim: int = 0
    data: object = None  # numpy array (constant) or None (activation)
    name: str = ""


@dataclasses.dataclass
class Op:
    name: str
    inputs: list
    outputs: list
    options: dict = dataclasses.field(default_factory=dict)
    options_table: str = None  # override the table (fuzzing a wrong union type)


@dataclasses.dataclass
class Model:
    tensors: list = dataclasses.field(default_factory=list)
    ops: list = dataclasses.field(default_factory=list)
    inputs: list = dataclasses.field(default_factory=list)
    outputs: list = dataclasses.field(default_factory=list)
    opcode_style: str = "both"  # both: deprecated byte and builtin_code; old: the byte only
    extra_subgraphs: int = 0
    version: int = 3

    def tensor(self, shape, type="int8", scale=None, zero_point=None, data=None, qdim=0, name=None):
        if scale is not None and not isinstance(scale, (list, tuple, np.ndarray)):
            scale = [scale]
        if zero_point is not None and not isinstance(zero_point, (list, tuple, np.ndarray)):
            zero_point = [zero_point]
        if scale is not None and zero_point is None:
            zero_point = [0] * len(scale)
        if data is not None:
            data = np.asarray(data, dtype=NP_TYPES[type]).reshape(shape)
        self.tensors.append(
            Tensor(
                list(shape),
                type,
                None if scale is None else [float(np.float32(s)) for s in scale],
                None if zero_point is None else [int(z) for z in zero_point],
                qdim,
                data,
                name or "t%d" % len(self.tensors),
            )
        )
        return len(self.tensors) - 1

    def op(self, name, inputs, outputs, **options):
        self.ops.append(Op(name, list(inputs), list(outputs), dict(options)))
        return len(self.ops) - 1

    # --- serialization ------------------------------------------------------------------------

    def serialize(self):
        b = fbb.Builder(1024)

        def ivec(values, fmt="i"):
            prep = {"i": b.PrependInt32, "q": b.PrependInt64, "f": b.PrependFloat32}[fmt]
            size = {"i": 4, "q": 8, "f": 4}[fmt]
            b.StartVector(size, len(values), size)
            for x in reversed(list(values)):
                prep(x)
            return b.EndVector()

        def offsets(offs):
            b.StartVector(4, len(offs), 4)
            for o in reversed(offs):
                b.PrependUOffsetTRelative(o)
            return b.EndVector()

        # Buffers: 0 is the empty sentinel; each constant tensor gets its own.
        buffer_of = {}
        buffers = [None]
        for i, t in enumerate(self.tensors):
            if t.data is not None:
                buffer_of[i] = len(buffers)
                buffers.append(
                    np.ascontiguousarray(t.data).astype(np.asarray(t.data).dtype.newbyteorder("<")).tobytes()
                )
        buffer_offs = []
        for data in buffers:
            d = b.CreateByteVector(data) if data is not None else None
            b.StartObject(3)
            if d is not None:
                b.PrependUOffsetTRelativeSlot(0, d, 0)
            buffer_offs.append(b.EndObject())

        tensor_offs = []
        for i, t in enumerate(self.tensors):
            name = b.CreateString(t.name)
            shape = ivec(t.shape)
            q = None
            if t.scale is not None:
                sc = ivec(t.scale, "f")
                zp = ivec(t.zero_point, "q")
                b.StartObject(7)
                b.PrependUOffsetTRelativeSlot(2, sc, 0)
                b.PrependUOffsetTRelativeSlot(3, zp, 0)
                b.PrependInt32Slot(6, t.qdim, 0)
                q = b.EndObject()
            b.StartObject(5)
            b.PrependUOffsetTRelativeSlot(0, shape, 0)
            b.PrependInt8Slot(1, TYPES[t.type] if isinstance(t.type, str) else t.type, -1)
            b.PrependUint32Slot(2, t.buffer if hasattr(t, "buffer") else buffer_of.get(i, 0), 0)
            b.PrependUOffsetTRelativeSlot(3, name, 0)
            if q is not None:
                b.PrependUOffsetTRelativeSlot(4, q, 0)
            tensor_offs.append(b.EndObject())

        codes = []
        for op in self.ops:
            c = OPS[op.name] if isinstance(op.name, str) else op.name
            if c not in codes:
                codes.append(c)
        opcode_offs = []
        for c in codes:
            b.StartObject(4)
            if self.opcode_style == "old":
                b.PrependInt8Slot(0, c, -1)
            else:
                b.PrependInt8Slot(0, min(c, 127), -1)
                b.PrependInt32Slot(3, c, -1)
            b.PrependInt32Slot(2, 1, 0)
            opcode_offs.append(b.EndObject())

        op_offs = []
        for op in self.ops:
            table = op.options_table or OP_OPTIONS.get(op.name)
            opt = None
            utype = 0
            if table is not None:
                utype, fields = OPTIONS[table]
                vecs = {}
                for fid, fname, kind, default in fields:
                    if kind == "ivec" and op.options.get(fname) is not None:
                        vecs[fid] = ivec(op.options[fname])
                b.StartObject(max([f[0] for f in fields], default=-1) + 1)
                for fid, fname, kind, default in fields:
                    if fname not in op.options:
                        continue
                    x = op.options[fname]
                    if kind == "padding":
                        b.PrependInt8Slot(fid, PADDING.get(x, x) if isinstance(x, str) else x, -1)
                    elif kind == "act":
                        b.PrependInt8Slot(fid, ACT[x] if isinstance(x, str) else x, -1)
                    elif kind == "i32":
                        b.PrependInt32Slot(fid, x, default + 12345)
                    elif kind == "i8":
                        b.PrependInt8Slot(fid, x, -1)
                    elif kind == "bool":
                        b.PrependBoolSlot(fid, bool(x), not bool(x))
                    elif kind == "f32":
                        b.PrependFloat32Slot(fid, x, 1e30)
                    elif kind == "ivec" and fid in vecs:
                        b.PrependUOffsetTRelativeSlot(fid, vecs[fid], 0)
                opt = b.EndObject()
            ins = ivec(op.inputs)
            outs = ivec(op.outputs)
            b.StartObject(5)
            c = OPS[op.name] if isinstance(op.name, str) else op.name
            b.PrependUint32Slot(0, op.opcode_index if hasattr(op, "opcode_index") else codes.index(c), 0xFFFFFFFF)
            b.PrependUOffsetTRelativeSlot(1, ins, 0)
            b.PrependUOffsetTRelativeSlot(2, outs, 0)
            if opt is not None:
                b.PrependUint8Slot(3, utype, 0)
                b.PrependUOffsetTRelativeSlot(4, opt, 0)
            op_offs.append(b.EndObject())

        tv = offsets(tensor_offs)
        iv = ivec(self.inputs)
        ov = ivec(self.outputs)
        opv = offsets(op_offs)
        name = b.CreateString("main")
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(0, tv, 0)
        b.PrependUOffsetTRelativeSlot(1, iv, 0)
        b.PrependUOffsetTRelativeSlot(2, ov, 0)
        b.PrependUOffsetTRelativeSlot(3, opv, 0)
        b.PrependUOffsetTRelativeSlot(4, name, 0)
        sg = b.EndObject()
        sgs = [sg]
        for _ in range(self.extra_subgraphs):
            b.StartObject(5)
            sgs.append(b.EndObject())
        sgv = offsets(sgs)
        ocv = offsets(opcode_offs)
        bv = offsets(buffer_offs)
        desc = b.CreateString("qpipe tflite test model")
        b.StartObject(5)
        b.PrependUint32Slot(0, self.version, 0xFFFFFFFF)
        b.PrependUOffsetTRelativeSlot(1, ocv, 0)
        b.PrependUOffsetTRelativeSlot(2, sgv, 0)
        b.PrependUOffsetTRelativeSlot(3, desc, 0)
        b.PrependUOffsetTRelativeSlot(4, bv, 0)
        root = b.EndObject()
        b.Finish(root, file_identifier=b"TFL3")
        return bytes(b.Output())


def save(model, path):
    data = model.serialize()
    with open(path, "wb") as f:
        f.write(data)
    return data


def _check_identifier():
    assert struct.calcsize("<i") == 4
