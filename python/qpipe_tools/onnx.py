"""qpipe_tools.onnx: turn a QDQ-quantized ONNX model into a qpipe C++ header.

usage: /usr/bin/python3 -m qpipe_tools.onnx MODEL.onnx --out net.hpp --namespace ns

Reads a model in the QDQ format that onnxruntime.quantization.quantize_static writes
(QuantizeLinear/DequantizeLinear around the compute nodes; int8 activations with one scale and
zero point per tensor; int8 symmetric weights, per tensor or per output channel; int32 biases at
input scale x weight scale) and writes one header holding

    using Net = qpipe::Pipe<...>;
    using Input = qpipe::Shape<...>;
    inline constexpr qpipe::Grid input_grid{scale, zero_point};
    inline constexpr qpipe::...Params<...> <one block per layer with parameters>;
    inline constexpr auto spec = qpipe::make_spec<Net, Input>(input_grid, blocks...);
    inline constexpr auto network = qpipe::compile<spec>();
    inline constexpr qpipe::Grid output_grid = qpipe::output_grid(spec);

The model's int8 weights, weight scales, int32 biases and activation grids are written as they
are: nothing is quantized again here, and qpipe then reproduces the model's integer arithmetic
(TFLite int8 kernels). Each fused step (Conv/Gemm/MatMul/Add with the Relu that follows it) takes
the grid of the QuantizeLinear that ends it; a Relu between two QuantizeLinear nodes whose input
has no other reader is fused into the layer before it, on the grid after the Relu (what a TFLite
converter does).

Operators (docs/frontends.md has the table): Conv (any kernel, strides, dilations; pads or
auto_pad become qpipe::same where they are TFLite's SAME, else a QPad2D; group 1 or depthwise with
a multiplier), Gemm, MatMul (+ bias Add), Relu, Clip(0, 6), LeakyRelu, HardSwish, Sigmoid, Tanh,
Softmax, MaxPool and AveragePool (rectangular; pads, ceil_mode, count_include_pad where qpipe's
windows compute the same), GlobalAveragePool, Flatten, Reshape to [1, N]; a tensor read by several
nodes starts branches that an Add (Residual, or qpipe::Add), Mul or Concat joins again (a branch
not on the Concat's output grid ends with a QQuantize onto it).

Layout: ONNX is NCHW, qpipe NHWC. The generated network takes its input in NHWC order (H, W, C)
and gives image outputs in NHWC order; vector inputs and outputs are unchanged. A Gemm/MatMul
fed by a Flatten of an image has its weight columns permuted to NHWC order.

Errors (a missing or unreadable file, an unsupported operator or attribute, a float model, a
shape qpipe cannot take) print one line `qpipe_tools.onnx: error: ...` on stderr and exit with 1
(--debug: the traceback first). On success it prints the summary (qpipe_tools.summary), which the
header repeats in a comment.

Python API: read_qdq(path) -> Network; write_header(network, out_path, namespace) -> str;
export(path, out_path, namespace) -> summary.Summary.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from typing import Optional

from . import FrontEndError, cli, cpp, summary
from . import window as qpipe_window  # the window geometry the front ends share

PROG = "qpipe_tools.onnx"

# --------------------------------------------------------------------------------------------
# Errors


class QdqError(FrontEndError):
    """A model this front end cannot turn into a qpipe network (one line of explanation)."""


def _where(node) -> str:
    return "node '%s' (%s)" % (node.name or node.output[0], node.op_type)


# --------------------------------------------------------------------------------------------
# What read_qdq returns: qpipe layers with their parameters (numpy arrays, qpipe layouts).


@dataclasses.dataclass
class Grid:
    scale: float  # the float32 scale of the model, as a Python float (exact)
    zero_point: int


@dataclasses.dataclass
class Layer:
    """One qpipe layer. kind: pad, conv, pointwise, depthwise, dense, maxpool, avgpool, gap, relu,
    relu6, sigmoid, tanh, softmax, leaky_relu, hard_swish, quantize, flatten, residual, add, mul,
    concat."""

    kind: str
    source: str = ""  # the ONNX node it comes from
    kernel: tuple = (1, 1)  # window layers: (height, width)
    stride: tuple = (1, 1)
    dilation: tuple = (1, 1)
    same: bool = False  # TFLite's SAME padding (qpipe::same)
    multiplier: int = 1  # depthwise: output channels per input channel
    alpha: float = 0.0  # leaky_relu: the slope below zero
    pads: tuple = (0, 0, 0, 0)  # top, bottom, left, right (pad)
    weights: object = None  # int8 ndarray in qpipe layout
    weight_scale: object = None  # float ndarray, one per output channel (dense: one)
    per_channel: bool = False
    bias: object = None  # int32 ndarray (bias_kind 'int32') or float64 ndarray
    bias_kind: str = "int32"  # 'int32': on input scale x weight scale; 'float': real values
    input_grid: Optional[Grid] = None  # the grid the layer reads (for bias emission)
    output: Optional[Grid] = None  # block's output grid (conv, dense, merges, table layers, quantize)
    branches: list = dataclasses.field(default_factory=list)  # merges: one layer list per branch ([]: Identity)
    name: str = ""  # C++ name of its parameter block


@dataclasses.dataclass
class Network:
    source: str
    input_name: str
    input_onnx_shape: tuple  # without the batch dimension, ONNX order
    input_shape: tuple  # qpipe order (H, W, C) or (N,)
    input_grid: Grid
    layers: list
    output_name: str
    output_shape: tuple  # qpipe order
    output_grid: Grid
    output_onnx_shape: tuple


# --------------------------------------------------------------------------------------------
# Reading


SUPPORTED = {
    "QuantizeLinear",
    "DequantizeLinear",
    "Conv",
    "MatMul",
    "Gemm",
    "Relu",
    "Clip",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Add",
    "Mul",
    "Concat",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "Flatten",
    "Reshape",
    "LeakyRelu",
    "HardSwish",
    "Constant",
}
MERGES = ("Add", "Mul", "Concat")

SIGMOID_GRID = (1.0 / 256.0, -128)
TANH_GRID = (1.0 / 128.0, 0)
SOFTMAX_GRID = (1.0 / 256.0, -128)


@dataclasses.dataclass
class _Value:
    """An int8 activation tensor: its grid, its ONNX shape (no batch), its qpipe shape, and
    perm[j] = the ONNX flat index of the element at qpipe flat position j."""

    grid: Grid
    onnx_shape: tuple
    qshape: tuple
    perm: object
    floats: set  # float tensor names that equal its dequantized value
    qname: str = ""  # the int8 tensor (QuantizeLinear output), if any
    refit: object = None  # the Layer whose output grid produced it (conv, dense, add)


class _Reader:
    def __init__(self, model, source):
        import numpy as np
        from onnx import numpy_helper

        self.np = np
        self.source = source
        g = model.graph
        self.graph = g
        self.opset = 13
        for imp in model.opset_import:
            if imp.domain in ("", "ai.onnx"):
                self.opset = imp.version
        self.init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.producer = {}
        self.consumers = {}
        for node in g.node:
            if node.domain not in ("", "ai.onnx"):
                raise QdqError("%s: operator of domain '%s' is not supported" % (_where(node), node.domain))
            if node.op_type not in SUPPORTED:
                raise QdqError("%s: unsupported operator" % _where(node))
            if node.op_type == "Constant":
                for a in node.attribute:
                    if a.name == "value":
                        self.init[node.output[0]] = numpy_helper.to_array(a.t)
                        break
                else:
                    raise QdqError("%s: only a tensor 'value' Constant is supported" % _where(node))
                continue
            for o in node.output:
                self.producer[o] = node
            for i in node.input:
                if i:
                    self.consumers.setdefault(i, []).append(node)
        self.outputs = [o.name for o in g.output]
        self.visited = set()
        self._must = None

    # --- small helpers ---------------------------------------------------------------------

    def attr(self, node, name, default=None):
        from onnx import helper

        for a in node.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    def const(self, name, node, what):
        if name not in self.init:
            raise QdqError("%s: %s '%s' must be a constant initializer" % (_where(node), what, name))
        return self.init[name]

    def cons(self, name):
        return [n for n in self.consumers.get(name, []) if n.op_type != "Constant"]

    def q_grid(self, qnode):
        """The grid of an activation QuantizeLinear/DequantizeLinear node."""
        np = self.np
        scale = self.const(qnode.input[1], qnode, "scale").astype(np.float64)
        if scale.size != 1:
            raise QdqError(
                "%s: activations need one scale per tensor (per-axis activation quantization is not "
                "supported)" % _where(qnode)
            )
        if len(qnode.input) > 2 and qnode.input[2]:
            zp = self.const(qnode.input[2], qnode, "zero point")
            if zp.dtype == np.uint8:
                raise QdqError(
                    "%s: uint8 activations are not supported, qpipe takes int8 (quantize_static with "
                    "activation_type=QuantType.QInt8)" % _where(qnode)
                )
            if zp.dtype != np.int8:
                raise QdqError("%s: activation zero point of type %s, expected int8" % (_where(qnode), zp.dtype))
            zp = int(zp.reshape(-1)[0])
        else:
            raise QdqError(
                "%s: an activation QuantizeLinear needs an int8 zero point (none means uint8)" % _where(qnode)
            )
        s = float(scale.reshape(-1)[0])
        if not (s > 0) or s != s or s == float("inf"):
            raise QdqError("%s: activation scale %r is not positive and finite" % (_where(qnode), s))
        return Grid(s, zp)

    def value_from_q(self, qnode, onnx_shape, qshape, perm, refit=None):
        """The int8 tensor a QuantizeLinear writes, with the float tensors its DequantizeLinears give."""
        self.visited.add(id(qnode))
        grid = self.q_grid(qnode)
        qname = qnode.output[0]
        floats = set()
        for c in self.cons(qname):
            if c.op_type != "DequantizeLinear":
                raise QdqError(
                    "%s: reads the int8 tensor '%s' directly; only DequantizeLinear may" % (_where(c), qname)
                )
            g2 = self.q_grid(c)
            if (g2.scale, g2.zero_point) != (grid.scale, grid.zero_point):
                raise QdqError("%s: dequantizes '%s' with a grid other than its QuantizeLinear's" % (_where(c), qname))
            self.visited.add(id(c))
            floats.add(c.output[0])
        return _Value(grid, tuple(onnx_shape), tuple(qshape), perm, floats, qname, refit)

    def is_output(self, v):
        return v.qname in self.outputs or any(f in self.outputs for f in v.floats)

    def readers(self, v):
        out = []
        for f in sorted(v.floats):
            for c in self.cons(f):
                out.append((c, f))
        return out

    def follow(self, name, node):
        """From a float result: the activations applied in float, then the QuantizeLinear ending the
        step. Returns (acts, qnode)."""
        acts = []
        while True:
            if name in self.outputs:
                raise QdqError(
                    "%s: its float output '%s' is a graph output; qpipe needs it quantized (QuantizeLinear)"
                    % (_where(node), name)
                )
            readers = self.cons(name)
            if len(readers) != 1:
                raise QdqError(
                    "%s: its float output '%s' has %d readers; expected one QuantizeLinear"
                    % (_where(node), name, len(readers))
                )
            r = readers[0]
            if r.op_type == "QuantizeLinear":
                return acts, r
            if r.op_type in ("Relu", "Clip"):
                acts.append(self.activation_kind(r))
                self.visited.add(id(r))
                name, node = r.output[0], r
                continue
            raise QdqError(
                "%s: reads the float output of %s, which is not quantized; expected QuantizeLinear"
                % (_where(r), _where(node))
            )

    def activation_kind(self, node):
        if node.op_type == "Relu":
            return "relu"
        np = self.np
        lo = hi = None
        if len(node.input) > 1 and node.input[1]:
            lo = float(self.const(node.input[1], node, "min"))
        if len(node.input) > 2 and node.input[2]:
            hi = float(self.const(node.input[2], node, "max"))
        if self.opset < 11:
            lo, hi = self.attr(node, "min", None), self.attr(node, "max", None)
        if lo == 0 and (hi is None or hi == float(np.finfo(np.float32).max)):
            return "relu"
        if lo == 0 and hi == 6:
            return "relu6"
        raise QdqError(
            "%s: only Clip(0, 6) (ReLU6) and Clip(0, inf) are supported, not Clip(%s, %s)" % (_where(node), lo, hi)
        )

    def weight(self, name, node, out_axis):
        """A constant int8 weight behind a DequantizeLinear: (int8 array, per-output-channel scales)."""
        np = self.np
        if name in self.init:
            raise QdqError(
                "%s: weight '%s' is a float initializer, not quantized (not a QDQ model?)" % (_where(node), name)
            )
        dq = self.producer.get(name)
        if dq is None or dq.op_type != "DequantizeLinear" or dq.input[0] not in self.init:
            raise QdqError(
                "%s: weight '%s' must come from a DequantizeLinear of an int8 initializer" % (_where(node), name)
            )
        self.visited.add(id(dq))
        w = self.init[dq.input[0]]
        if w.dtype != np.int8:
            raise QdqError("%s: weight '%s' is %s, qpipe takes int8 weights" % (_where(node), dq.input[0], w.dtype))
        if (w == -128).any():
            raise QdqError(
                "%s: weight '%s' holds -128, outside the symmetric int8 range [-127, 127] qpipe takes"
                % (_where(node), dq.input[0])
            )
        scale = self.const(dq.input[1], dq, "scale").astype(np.float64).reshape(-1)
        if len(dq.input) > 2 and dq.input[2]:
            zp = self.const(dq.input[2], dq, "zero point")
            if (zp != 0).any():
                raise QdqError(
                    "%s: weight '%s' has a non-zero zero point, qpipe takes symmetric weights"
                    % (_where(node), dq.input[0])
                )
        channels = w.shape[out_axis]
        if scale.size == 1:
            scales = np.full(channels, scale[0])
        else:
            axis = self.attr(dq, "axis", 1)
            if axis < 0:
                axis += w.ndim
            if axis != out_axis or scale.size != channels:
                raise QdqError(
                    "%s: weight '%s' is quantized along axis %d; qpipe takes one scale per output channel "
                    "(axis %d)" % (_where(node), dq.input[0], axis, out_axis)
                )
            scales = scale
        if not np.all(np.isfinite(scales)) or not np.all(scales > 0):
            raise QdqError("%s: weight scales of '%s' must be positive and finite" % (_where(node), dq.input[0]))
        return w, scales

    def bias(self, name, node, in_grid, w_scales, channels):
        """int32 bias on input scale x weight scale (checked), or a float bias. Returns (array, kind)."""
        np = self.np
        if not name:
            return np.zeros(channels, dtype=np.int32), "int32"
        if name in self.init:
            b = self.init[name].astype(np.float64).reshape(-1)
            if b.size != channels:
                raise QdqError("%s: bias has %d values for %d channels" % (_where(node), b.size, channels))
            return b, "float"
        dq = self.producer.get(name)
        if dq is None or dq.op_type != "DequantizeLinear" or dq.input[0] not in self.init:
            raise QdqError(
                "%s: bias '%s' must be a constant (int32 behind DequantizeLinear, or float)" % (_where(node), name)
            )
        self.visited.add(id(dq))
        b = self.init[dq.input[0]].reshape(-1)
        if b.dtype != np.int32:
            raise QdqError(
                "%s: bias '%s' is %s behind DequantizeLinear, expected int32" % (_where(node), dq.input[0], b.dtype)
            )
        if b.size != channels:
            raise QdqError("%s: bias has %d values for %d channels" % (_where(node), b.size, channels))
        scale = self.const(dq.input[1], dq, "scale").astype(np.float64).reshape(-1)
        if len(dq.input) > 2 and dq.input[2] and (self.const(dq.input[2], dq, "zero point") != 0).any():
            raise QdqError("%s: bias '%s' has a non-zero zero point" % (_where(node), dq.input[0]))
        expected = in_grid.scale * w_scales
        scale = np.broadcast_to(scale, expected.shape)
        if not np.allclose(scale, expected, rtol=1e-5, atol=0):
            raise QdqError(
                "%s: bias '%s' is not on input scale x weight scale (%g, expected %g); qpipe puts int32 "
                "biases on that grid" % (_where(node), dq.input[0], scale[0], expected[0])
            )
        return b.astype(np.int32), "int32"

    def step_output(self, node, result, onnx_shape, qshape, perm, layer):
        """Ends a step at its QuantizeLinear (activations folded in). Returns (layers after it, value)."""
        acts, q = self.follow(result, node)
        v = self.value_from_q(q, onnx_shape, qshape, perm, refit=layer)
        if layer is not None and layer.output is None:
            layer.output = v.grid
        return [Layer(a, source=node.name) for a in acts], v

    def same_grid(self, node, v, q, onnx_shape, qshape, perm, refit=None):
        """For layers that keep their input's grid (pools, reshapes): the QuantizeLinear after them
        must use it."""
        nv = self.value_from_q(q, onnx_shape, qshape, perm, refit)
        if (nv.grid.scale, nv.grid.zero_point) != (v.grid.scale, v.grid.zero_point):
            raise QdqError(
                "%s: output grid (%g, %d) differs from its input's (%g, %d); qpipe's %s keeps the input "
                "grid (no requantizing layer)"
                % (_where(node), nv.grid.scale, nv.grid.zero_point, v.grid.scale, v.grid.zero_point, node.op_type)
            )
        return nv

    # --- the walk ---------------------------------------------------------------------------

    def read(self):
        np = self.np
        g = self.graph
        inputs = [i for i in g.input if i.name not in self.init]
        if len(inputs) != 1:
            raise QdqError("the model has %d graph inputs; qpipe takes one" % len(inputs))
        inp = inputs[0]
        dims = []
        for i, d in enumerate(inp.type.tensor_type.shape.dim):
            if d.HasField("dim_value"):
                dims.append(d.dim_value)
            elif i == 0:
                dims.append(1)  # symbolic batch
            else:
                raise QdqError("graph input '%s' has a symbolic dimension %d; qpipe needs fixed shapes" % (inp.name, i))
        if not dims or dims[0] != 1:
            raise QdqError("graph input '%s' has shape %s; qpipe takes batch 1" % (inp.name, dims))
        shape = tuple(dims[1:])
        if len(shape) == 3:
            c, h, w = shape
            qshape = (h, w, c)
            perm = np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).reshape(-1)
        elif len(shape) == 1:
            qshape = shape
            perm = np.arange(shape[0])
        else:
            raise QdqError("graph input '%s' has shape %s; qpipe takes [1, C, H, W] or [1, N]" % (inp.name, dims))
        readers = self.cons(inp.name)
        if len(readers) != 1 or readers[0].op_type != "QuantizeLinear":
            what = ", ".join(_where(r) for r in readers) or "nothing"
            raise QdqError(
                "graph input '%s' is read by %s, not by one QuantizeLinear: not a QDQ-quantized model"
                % (inp.name, what)
            )
        v = self.value_from_q(readers[0], shape, qshape, perm)
        input_grid = v.grid
        layers, v = self.chain(v, None)
        for node in g.node:
            if node.op_type != "Constant" and id(node) not in self.visited:
                raise QdqError(
                    "%s: not on a path from the input to the output (qpipe takes one chain whose forks "
                    "merge again)" % _where(node)
                )
        if len(v.qshape) == 3 and len(v.onnx_shape) == 1 and v.qshape[0] * v.qshape[1] != 1 and v.qshape[2] != 1:
            raise QdqError(
                "the graph output '%s' is a flattened %dx%dx%d image, whose values ONNX orders (C, H, W) and "
                "qpipe (H, W, C); end the graph with the image or a Gemm/MatMul"
                % (v.qname, v.qshape[2], v.qshape[0], v.qshape[1])
            )
        out_name = next(o for o in self.outputs if o == v.qname or o in v.floats)
        return Network(
            self.source, inp.name, shape, qshape, input_grid, layers, out_name, v.qshape, v.grid, v.onnx_shape
        )

    def chain(self, v, stop):
        """Lowers the nodes from value v on until the graph output (stop None) or until the merge
        `stop` (Add, Mul, Concat) that ends the branch being lowered. Returns (layers, last value)."""
        layers = []
        while True:
            readers = self.reader_nodes(v)
            if stop is not None and any(r is stop for r in readers):
                if len(readers) != 1:
                    raise QdqError("%s: a branch's result has other readers" % _where(stop))
                return layers, v
            if self.is_output(v):
                if readers:
                    raise QdqError(
                        "the graph output '%s' is also read by %s; qpipe takes one output"
                        % (v.qname, _where(readers[0]))
                    )
                if stop is not None:
                    raise QdqError("%s: a branch of it ends at the graph output" % _where(stop))
                return layers, v
            if not readers:
                raise QdqError("tensor '%s' leads nowhere (not a graph output, no reader)" % v.qname)
            if len(readers) == 1 and readers[0].op_type not in MERGES:
                node = readers[0]
                new_layers, v = self.lower(node, next(f for f in node.input if f in v.floats), v)
                layers.extend(new_layers)
                continue
            new_layers, v = self.fork(v, readers, stop)
            layers.extend(new_layers)

    def reader_nodes(self, v):
        """The nodes that read v (through any of its DequantizeLinear outputs), each once."""
        out = []
        for node, _ in self.readers(v):
            if not any(node is n for n in out):
                out.append(node)
        return out

    def join_point(self, v):
        """The first node other than Quantize/DequantizeLinear that every path from v to the graph
        output passes through (None if a path from v ends elsewhere)."""
        if self._must is None:
            nodes = [n for n in self.graph.node if n.op_type != "Constant"]
            self._order = {id(n): i for i, n in enumerate(nodes)}
            must = {}  # tensor -> ids of the nodes on every path from it to the output, or None

            def after(name):
                result = frozenset() if name in self.outputs else None
                readers = self.cons(name)
                if not readers and result is None:
                    return None
                for r in readers:
                    rest = must.get(r.output[0]) if r.output else None
                    if rest is None:
                        return None
                    result = rest | {id(r)} if result is None else result & (rest | {id(r)})
                return result

            for node in reversed(nodes):  # the graph is in topological order (the checker requires it)
                for o in node.output:
                    must[o] = after(o)
            self._must, self._after = must, after
            self._by_id = {id(n): n for n in nodes}
        ids = self._must[v.qname] if v.qname in self._must else self._after(v.qname)
        joins = [
            self._by_id[i] for i in (ids or ()) if self._by_id[i].op_type not in ("QuantizeLinear", "DequantizeLinear")
        ]
        return min(joins, key=lambda n: self._order[id(n)]) if joins else None

    def fork(self, v, readers, stop):
        """v is read by several nodes (or by one merge through several operands): the branches up to
        the Add, Mul or Concat that joins them, and that merge. Returns (layers, the merge's value)."""
        merge = self.join_point(v)
        if merge is None or merge is stop or merge.op_type not in MERGES:
            joined = "" if merge is None or merge is stop else ", which join again at %s" % _where(merge)
            raise QdqError(
                "tensor '%s' is read by %d nodes (%s)%s; qpipe branches only where an Add, Mul or Concat "
                "joins the branches again" % (v.qname, len(readers), ", ".join(_where(r) for r in readers), joined)
            )
        self.visited.add(id(merge))
        ends = []  # (layers, value) of each branch
        for r in readers:
            if r is merge:
                continue
            # The branch starts from v as read by r alone; a ReLU at its start cannot move v's grid.
            start = dataclasses.replace(v, floats=set(f for f in v.floats if f in r.input), refit=None)
            first, bv = self.lower(r, next(f for f in r.input if f in start.floats), start)
            more, bv = self.chain(bv, merge)
            ends.append((first + more, bv))
        branches, used = [], set()
        for name in merge.input:
            if name in v.floats:
                branches.append(None)
                continue
            hit = [i for i, (_, bv) in enumerate(ends) if name in bv.floats]
            if not hit:
                what = "a constant" if name in self.init or not self.is_activation(name) else "'%s'" % name
                raise QdqError(
                    "%s: its input %s does not come from a branch of tensor '%s' (qpipe joins the branches "
                    "of one fork)" % (_where(merge), what, v.qname)
                )
            if hit[0] in used:
                raise QdqError(
                    "%s: reads the result of one branch twice; qpipe runs each branch once per input" % _where(merge)
                )
            used.add(hit[0])
            branches.append(ends[hit[0]])
        if len(used) != len(ends):
            raise QdqError("%s: a branch from tensor '%s' is not one of its inputs" % (_where(merge), v.qname))
        return self.merge(merge, v, branches)

    def merge(self, node, v, branches):
        """The qpipe merge of `branches` (per input of `node`: (layers, value), None for v itself)."""
        np = self.np
        op = node.op_type
        values = [v if b is None else b[1] for b in branches]
        layers = [[] if b is None else b[0] for b in branches]
        if op in ("Add", "Mul"):
            if len(branches) != 2:
                raise QdqError("%s: %d inputs, expected 2" % (_where(node), len(branches)))
            if values[0].onnx_shape != values[1].onnx_shape or values[0].qshape != values[1].qshape:
                raise QdqError(
                    "%s: inputs of shapes %s and %s; qpipe's %s takes two of one shape (no broadcasting)"
                    % (_where(node), list(values[0].onnx_shape), list(values[1].onnx_shape), op)
                )
            if op == "Add" and [b is None for b in branches].count(True) == 1:
                layer = Layer("residual", source=node.name, branches=[next(l for l in layers if l)])
            else:
                layer = Layer(op.lower(), source=node.name, branches=layers)
            after, nv = self.step_output(
                node, node.output[0], values[0].onnx_shape, values[0].qshape, values[0].perm, layer
            )
            return [layer] + after, nv
        rank = len(values[0].onnx_shape) + 1
        axis = self.attr(node, "axis", None)
        if axis is None or axis % rank != 1:
            raise QdqError(
                "%s: concatenation along axis %s of a rank-%d tensor; qpipe concatenates the channels "
                "(axis 1)" % (_where(node), axis, rank)
            )
        q = [x.qshape for x in values]
        if any(len(s) != len(q[0]) or s[:-1] != q[0][:-1] for s in q) or (
            len(q[0]) == 3 and any(len(x.onnx_shape) != 3 for x in values)
        ):
            raise QdqError(
                "%s: inputs of shapes %s; qpipe concatenates images of one size along the channels, or "
                "vectors" % (_where(node), ", ".join(str(list(x.onnx_shape)) for x in values))
            )
        channels = sum(s[-1] for s in q)
        if len(q[0]) == 3:
            h, w = q[0][0], q[0][1]
            onnx_shape, qshape, perm = (channels, h, w), (h, w, channels), _image_perm(np, channels, h, w)
        else:
            onnx_shape, qshape, perm = (channels,), (channels,), np.arange(channels)
        acts, qn = self.follow(node.output[0], node)
        nv = self.value_from_q(qn, onnx_shape, qshape, perm)
        # TFLite's int8 CONCATENATION takes every input on the output's grid: the QDQ semantics
        # (dequantize, concatenate, quantize) requantizes the others, which QQuantize does.
        for branch, x in zip(layers, values):
            if (x.grid.scale, x.grid.zero_point) != (nv.grid.scale, nv.grid.zero_point):
                branch.append(Layer("quantize", source=node.name, output=nv.grid))
        return [Layer("concat", source=node.name, branches=layers)] + self.activations(acts, node, nv), nv

    def activations(self, acts, node, v):
        """Relu / Clip read in float after a layer without a requantizer of its own: clamps on its
        grid."""
        return [Layer(a, source=node.name) for a in acts]

    def is_activation(self, name):
        p = self.producer.get(name)
        return p is not None and p.op_type == "DequantizeLinear" and p.input[0] not in self.init

    def lower(self, node, fname, v):
        """One step from node (reading float tensor fname = dequantized v). Returns (layers, value)."""
        np = self.np
        self.visited.add(id(node))
        op = node.op_type
        if op == "Conv":
            return self.conv(node, fname, v)
        if op in ("Gemm", "MatMul"):
            return self.dense(node, fname, v)
        if op == "LeakyRelu" and self.attr(node, "alpha", 0.01) == 0:
            op = "Relu"  # a slope of 0 is a ReLU
        if op in ("Relu", "Clip"):
            kind = self.activation_kind(node)
            acts, q = self.follow(node.output[0], node)
            nv = self.value_from_q(q, v.onnx_shape, v.qshape, v.perm, v.refit)
            layers = [Layer(kind, source=node.name)] + self.activations(acts, node, nv)
            if (nv.grid.scale, nv.grid.zero_point) != (v.grid.scale, v.grid.zero_point):
                if v.refit is not None and len(self.readers(v)) == 1:
                    # Fuse into the layer before it, on the grid after the activation (TFLite's fusion).
                    v.refit.output = nv.grid
                else:
                    # Requantize onto the new grid, then clamp there (TFLite's int8 RELU).
                    quantize = Layer("quantize", source=node.name, output=nv.grid)
                    layers.insert(0, quantize)
                    nv.refit = quantize
            return layers, nv
        if op in ("LeakyRelu", "HardSwish"):
            layer = Layer("leaky_relu" if op == "LeakyRelu" else "hard_swish", source=node.name)
            if op == "LeakyRelu":
                layer.alpha = float(self.attr(node, "alpha", 0.01))
                if not (layer.alpha > 0 and np.isfinite(layer.alpha)):
                    raise QdqError(
                        "%s: alpha %r; qpipe's leaky ReLU takes a positive finite slope" % (_where(node), layer.alpha)
                    )
            after, nv = self.step_output(node, node.output[0], v.onnx_shape, v.qshape, v.perm, layer)
            return [layer] + after, nv
        if op in ("Sigmoid", "Tanh", "Softmax"):
            return self.fixed_grid_activation(node, v)
        if op in ("MaxPool", "AveragePool"):
            return self.pool(node, v)
        if op == "GlobalAveragePool":
            if len(v.qshape) != 3:
                raise QdqError("%s: needs an image input, got shape %s" % (_where(node), v.onnx_shape))
            c = v.qshape[2]
            acts, q = self.follow(node.output[0], node)
            nv = self.same_grid(node, v, q, (c, 1, 1), (c,), np.arange(c))
            return [Layer("gap", source=node.name)] + self.activations(acts, node, nv), nv
        if op in ("Flatten", "Reshape"):
            return self.flatten(node, v)
        if op in MERGES:
            raise QdqError(
                "%s: merges tensors that do not come from one fork (qpipe joins the branches of a fork)" % _where(node)
            )
        raise QdqError("%s: unsupported here" % _where(node))

    def flatten(self, node, v):
        np = self.np
        n = int(np.prod(v.onnx_shape))
        if node.op_type == "Flatten":
            axis = self.attr(node, "axis", 1)
            if axis != 1:
                raise QdqError("%s: only Flatten with axis 1 is supported" % _where(node))
        else:
            target = [int(x) for x in self.const(node.input[1], node, "shape").reshape(-1)]
            ok = len(target) == 2 and target[0] in (1, -1, 0) and target[1] in (n, -1)
            if not ok:
                raise QdqError(
                    "%s: only a Reshape to [1, %d] (a flatten) is supported, not %s" % (_where(node), n, target)
                )
        shape = (n,)
        # An image whose values ONNX (C, H, W) and qpipe (H, W, C) order alike (one pixel or one
        # channel) becomes a vector (QFlatten, a view); any other stays an image for qpipe, which a
        # Gemm/MatMul reads flat with its columns permuted.
        layers, qshape, perm = [], v.qshape, v.perm
        if len(v.qshape) == 3 and (v.qshape[0] * v.qshape[1] == 1 or v.qshape[2] == 1):
            layers, qshape, perm = [Layer("flatten", source=node.name)], shape, np.arange(n)
        # Either the int8 tensor is reshaped (QuantizeLinear after it, on the same grid) or the
        # float one, read directly by the next node.
        out = node.output[0]
        readers = self.cons(out)
        if len(readers) == 1 and readers[0].op_type == "QuantizeLinear":
            nv = self.same_grid(node, v, readers[0], shape, qshape, perm, v.refit)
            return layers, nv
        if out in self.outputs:
            raise QdqError(
                "%s: its float output '%s' is a graph output; qpipe needs it quantized" % (_where(node), out)
            )
        return layers, dataclasses.replace(v, onnx_shape=shape, qshape=qshape, perm=perm, floats={out})

    def fixed_grid_activation(self, node, v):
        op = node.op_type
        if op == "Softmax":
            axis = self.attr(node, "axis", -1 if self.opset >= 13 else 1)
            rank = len(v.onnx_shape) + 1
            if axis < 0:
                axis += rank
            if len(v.onnx_shape) == 1:
                ok = axis == 1
            else:  # NCHW: the channel axis is qpipe's last (opset 13+: over that axis only)
                ok = axis == 1 and (self.opset >= 13 or v.qshape[0] * v.qshape[1] == 1)
            if len(v.qshape) == 3 and len(v.onnx_shape) == 1 and v.qshape[0] * v.qshape[1] != 1:
                ok = False  # a flattened image: qpipe's softmax would run per pixel
            if not ok:
                raise QdqError(
                    "%s: softmax over axis %d of shape %s; qpipe's runs over the channels (last "
                    "dimension in NHWC)" % (_where(node), axis, list(v.onnx_shape))
                )
            kind, fixed = "softmax", SOFTMAX_GRID
        elif op == "Sigmoid":
            kind, fixed = "sigmoid", SIGMOID_GRID
        else:
            kind, fixed = "tanh", TANH_GRID
        acts, q = self.follow(node.output[0], node)
        nv = self.value_from_q(q, v.onnx_shape, v.qshape, v.perm)
        if (nv.grid.scale, nv.grid.zero_point) != fixed:
            raise QdqError(
                "%s: output grid (%r, %d); qpipe's %s has TFLite's fixed output grid (%r, %d) (quantize "
                "the model with that range for this tensor)"
                % (_where(node), nv.grid.scale, nv.grid.zero_point, kind, fixed[0], fixed[1])
            )
        if acts:
            raise QdqError("%s: an activation after %s without quantization between them" % (_where(node), op))
        return [Layer(kind, source=node.name)], nv

    def window_attributes(self, node, kernel, size):
        """(strides, dilations, (top, bottom, left, right)) of a Conv or pool node over an image of
        size (height, width): explicit pads, or auto_pad's (SAME_UPPER puts the odd cell after,
        SAME_LOWER before)."""
        strides = [int(x) for x in self.attr(node, "strides", [1, 1])]
        dilations = [int(x) for x in self.attr(node, "dilations", [1, 1])]
        pads = [int(x) for x in self.attr(node, "pads", [0, 0, 0, 0])]
        auto_pad = self.attr(node, "auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
        if len(strides) != 2 or len(dilations) != 2 or len(pads) != 4:
            raise QdqError(
                "%s: strides %s, dilations %s, pads %s; a 2-D window takes 2, 2 and 4 values"
                % (_where(node), strides, dilations, pads)
            )
        if min(strides) < 1 or min(dilations) < 1 or min(pads) < 0:
            raise QdqError(
                "%s: strides %s, dilations %s and pads %s must be positive (pads: not negative)"
                % (_where(node), strides, dilations, pads)
            )
        return strides, dilations, self.padding_of(node, auto_pad, pads, kernel, strides, dilations, size)

    def padding_of(self, node, auto_pad, pads, kernel, strides, dilations, size):
        if auto_pad in ("NOTSET", "VALID"):
            if auto_pad == "VALID":
                return 0, 0, 0, 0
            top, left, bottom, right = pads
            return top, bottom, left, right
        if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
            raise QdqError("%s: auto_pad %s is not supported" % (_where(node), auto_pad))
        out = []
        for n, k, s, d in zip(size, kernel, strides, dilations):
            _, before, after = qpipe_window.same_placement(n, k, s, d)
            out += [before, after] if auto_pad == "SAME_UPPER" else [after, before]
        return tuple(out)

    def pool(self, node, v):
        np = self.np
        if len(v.qshape) != 3:
            raise QdqError("%s: needs an image input, got shape %s" % (_where(node), list(v.onnx_shape)))
        kernel = [int(x) for x in self.attr(node, "kernel_shape", [])]
        if len(kernel) != 2 or min(kernel) < 1:
            raise QdqError("%s: kernel_shape %s; a 2-D pool takes two positive sizes" % (_where(node), kernel))
        h, w, c = v.qshape
        strides, dilations, (top, bottom, left, right) = self.window_attributes(node, kernel, (h, w))
        if dilations != [1, 1]:
            raise QdqError("%s: dilated pooling is not supported" % _where(node))
        if len(node.output) > 1 and node.output[1]:
            raise QdqError("%s: MaxPool indices output is not supported" % _where(node))
        average = node.op_type == "AveragePool"
        count_pad = bool(self.attr(node, "count_include_pad", 0)) if average else False
        ceil_mode = bool(self.attr(node, "ceil_mode", 0))
        axes = [(h, kernel[0], strides[0], top, bottom), (w, kernel[1], strides[1], left, right)]
        mode = qpipe_window.pool_mode(axes, ceil_mode, average, count_pad)
        if mode is None:
            raise QdqError(
                "%s: %s"
                % (
                    _where(node),
                    qpipe_window.pool_refusal(
                        axes,
                        ceil_mode,
                        average,
                        count_pad,
                        "padding %s" % ([top, left, bottom, right],),
                        "count_include_pad %d" % count_pad,
                    ),
                )
            )
        layers = []
        if mode == "pad":
            layers.append(Layer("pad", source=node.name, pads=(top, bottom, left, right)))
            h, w = h + top + bottom, w + left + right
        same = mode == "same"
        if same:
            oh, ow = (
                qpipe_window.same_placement(h, kernel[0], strides[0])[0],
                qpipe_window.same_placement(w, kernel[1], strides[1])[0],
            )
        else:
            oh, ow = (
                qpipe_window.valid_outputs(h, kernel[0], strides[0]),
                qpipe_window.valid_outputs(w, kernel[1], strides[1]),
            )
        acts, q = self.follow(node.output[0], node)
        nv = self.same_grid(node, v, q, (c, oh, ow), (oh, ow, c), _image_perm(np, c, oh, ow))
        layers.append(
            Layer(
                "avgpool" if average else "maxpool",
                source=node.name,
                kernel=tuple(kernel),
                stride=tuple(strides),
                same=same,
            )
        )
        return layers + self.activations(acts, node, nv), nv

    def conv(self, node, fname, v):
        np = self.np
        if node.input[0] != fname:
            raise QdqError("%s: the activation must be its first input" % _where(node))
        if len(v.qshape) != 3:
            raise QdqError("%s: needs an image input [1, C, H, W], got %s" % (_where(node), [1] + list(v.onnx_shape)))
        h, w, cin = v.qshape
        wq, scales = self.weight(node.input[1], node, 0)
        if wq.ndim != 4:
            raise QdqError("%s: only 2-D convolutions are supported" % _where(node))
        cout, cin_g, kh, kw = wq.shape
        group = self.attr(node, "group", 1)
        strides, dilations, (top, bottom, left, right) = self.window_attributes(node, (kh, kw), (h, w))
        mode = qpipe_window.convolution_mode(
            [(h, kh, strides[0], dilations[0], top, bottom), (w, kw, strides[1], dilations[1], left, right)]
        )
        layers = []
        if mode is None:
            layers.append(Layer("pad", source=node.name, pads=(top, bottom, left, right)))
            h, w = h + top + bottom, w + left + right
        same = mode == "same"
        axes = [(h, kh, strides[0], dilations[0]), (w, kw, strides[1], dilations[1])]
        oh, ow = [qpipe_window.same_placement(*a)[0] if same else qpipe_window.valid_outputs(*a) for a in axes]
        if oh < 1 or ow < 1:
            raise QdqError(
                "%s: kernel %dx%d (dilated %dx%d) larger than the %dx%d image"
                % (_where(node), kh, kw, qpipe_window.span(kh, dilations[0]), qpipe_window.span(kw, dilations[1]), h, w)
            )
        bias_name = node.input[2] if len(node.input) > 2 else ""
        b, bkind = self.bias(bias_name, node, v.grid, scales, cout)
        window = dict(kernel=(kh, kw), stride=tuple(strides), dilation=tuple(dilations), same=same)
        if group == 1:
            if cin_g != cin:
                raise QdqError("%s: weight has %d input channels, the input %d" % (_where(node), cin_g, cin))
            per_channel = not np.all(scales == scales[0])
            if (kh, kw) == (1, 1) and strides == [1, 1] and not layers:
                layer = Layer(
                    "pointwise",
                    source=node.name,
                    weights=wq[:, :, 0, 0].copy(),
                    weight_scale=scales,
                    per_channel=per_channel,
                    bias=b,
                    bias_kind=bkind,
                    input_grid=v.grid,
                )
            else:
                layer = Layer(
                    "conv",
                    source=node.name,
                    weights=wq.transpose(0, 2, 3, 1).copy(),
                    weight_scale=scales,
                    per_channel=per_channel,
                    bias=b,
                    bias_kind=bkind,
                    input_grid=v.grid,
                    **window,
                )
        elif group == cin and cin_g == 1 and cout % cin == 0:
            # Output channel c M + j reads input channel c, in ONNX as in TFLite.
            layer = Layer(
                "depthwise",
                source=node.name,
                weights=wq[:, 0].transpose(1, 2, 0).copy(),
                weight_scale=scales,
                per_channel=True,
                bias=b,
                bias_kind=bkind,
                input_grid=v.grid,
                multiplier=cout // cin,
                **window,
            )
        else:
            raise QdqError(
                "%s: group %d with %d -> %d channels; qpipe takes group 1 or a depthwise convolution (group = "
                "input channels, output channels a multiple of them)" % (_where(node), group, cin, cout)
            )
        layers.append(layer)
        after, nv = self.step_output(
            node, node.output[0], (cout, oh, ow), (oh, ow, cout), _image_perm(np, cout, oh, ow), layer
        )
        return layers + after, nv

    def dense(self, node, fname, v):
        np = self.np
        if node.input[0] != fname:
            raise QdqError("%s: the activation must be its first input" % _where(node))
        if len(v.onnx_shape) != 1:
            raise QdqError(
                "%s: needs a [1, N] input (Flatten first), got %s" % (_where(node), [1] + list(v.onnx_shape))
            )
        n = v.onnx_shape[0]
        result = node.output[0]
        source = node.name
        bias_name = ""
        if node.op_type == "Gemm":
            if self.attr(node, "transA", 0):
                raise QdqError("%s: transA is not supported" % _where(node))
            if self.attr(node, "alpha", 1.0) != 1.0 or self.attr(node, "beta", 1.0) != 1.0:
                raise QdqError("%s: alpha and beta must be 1" % _where(node))
            trans_b = self.attr(node, "transB", 0)
            wq, scales = self.weight(node.input[1], node, 0 if trans_b else 1)
            wq = wq if trans_b else wq.T
            bias_name = node.input[2] if len(node.input) > 2 else ""
        else:
            wq, scales = self.weight(node.input[1], node, 1)
            wq = wq.T
            # A bias Add right after the MatMul, in float.
            readers = self.cons(result)
            if len(readers) == 1 and readers[0].op_type == "Add" and result not in self.outputs:
                add = readers[0]
                other = [i for i in add.input if i != result]
                if len(other) == 1 and not self.is_activation(other[0]):
                    bias_name = other[0]
                    self.visited.add(id(add))
                    node, result = add, add.output[0]
        if wq.ndim != 2 or wq.shape[1] != n:
            raise QdqError("%s: weight shape %s does not fit %d inputs" % (_where(node), list(wq.shape), n))
        units = wq.shape[0]
        # One scale per output unit (per-channel MatMul/Gemm) -> QDensePerChannel.
        per_channel = not np.all(scales == scales[0])
        b, bkind = self.bias(bias_name, node, v.grid, scales, units)
        layer = Layer(
            "dense",
            source=source,
            weights=wq[:, v.perm].copy(),
            weight_scale=scales if per_channel else scales[:1],
            per_channel=per_channel,
            bias=b,
            bias_kind=bkind,
            input_grid=v.grid,
        )
        after, nv = self.step_output(node, result, (units,), (units,), np.arange(units), layer)
        return [layer] + after, nv


def _image_perm(np, c, h, w):
    return np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).reshape(-1)


def read_qdq(path) -> Network:
    """Reads a QDQ ONNX model into a Network (raises QdqError on anything unsupported)."""
    try:
        import numpy  # noqa: F401
        import onnx
    except ImportError as e:
        raise QdqError("needs python3-onnx and python3-numpy (run with /usr/bin/python3): %s" % e)
    if not os.path.isfile(path):
        raise QdqError("%s: no such file" % path)
    try:
        model = onnx.load(path)
    except Exception as e:  # protobuf decode errors and the like
        raise QdqError("%s: not an ONNX model (%s)" % (path, str(e).splitlines()[0] if str(e) else type(e).__name__))
    if not model.graph.node:
        raise QdqError("%s: not an ONNX model (no graph nodes)" % path)
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise QdqError(
            "%s: the ONNX checker rejects it: %s" % (path, str(e).splitlines()[0] if str(e) else type(e).__name__)
        )
    return _Reader(model, os.path.basename(path)).read()


# --------------------------------------------------------------------------------------------
# Writing


def _branch(layers) -> str:
    return "qpipe::Pipe<%s>" % ", ".join(_layer_type(x) for x in layers) if layers else "qpipe::Identity"


def _layer_type(layer: Layer) -> str:
    k = layer.kind
    if k == "pad":
        t, b, l, r = layer.pads
        return "qpipe::QPad2D<%d>" % t if t == b == l == r else "qpipe::QPad2D<%d, %d, %d, %d>" % (t, b, l, r)
    if k in ("conv", "depthwise", "maxpool", "avgpool"):
        args = qpipe_window.template_args(
            layer.kernel, layer.stride, layer.dilation, layer.same, layer.multiplier, pool=k in ("maxpool", "avgpool")
        )
        name = {
            "conv": "QConv2D" + ("PerChannel" if layer.per_channel else ""),
            "depthwise": "QDepthwiseConv2D",
            "maxpool": "QMaxPool2D",
            "avgpool": "QAvgPool2D",
        }[k]
        return "qpipe::%s<%s>" % (name, args)
    if k == "pointwise":
        return "qpipe::QPointwiseConv2D%s" % ("PerChannel" if layer.per_channel else "")
    if k == "dense":
        return "qpipe::QDense%s<%d>" % ("PerChannel" if layer.per_channel else "", layer.weights.shape[0])
    if k == "residual":
        return "qpipe::Residual<%s>" % _branch(layer.branches[0])
    if k in ("add", "mul", "concat"):
        return "qpipe::%s<%s>" % (k.capitalize(), ", ".join(_branch(b) for b in layer.branches))
    return {
        "gap": "qpipe::QGlobalAvgPool2D",
        "relu": "qpipe::QRelu",
        "relu6": "qpipe::QRelu6",
        "sigmoid": "qpipe::QSigmoid",
        "tanh": "qpipe::QTanh",
        "softmax": "qpipe::QSoftmax",
        "leaky_relu": "qpipe::QLeakyRelu",
        "hard_swish": "qpipe::QHardSwish",
        "quantize": "qpipe::QQuantize",
        "flatten": "qpipe::QFlatten",
    }[k]


# The layers whose parameter block holds only an output grid, and its type.
GRID_BLOCKS = {
    "residual": "ResidualParams",
    "add": "AddParams",
    "mul": "MulParams",
    "hard_swish": "HardSwishParams",
    "quantize": "QuantizeParams",
}


def _blocks(layers, out, names):
    """Appends (name, C++ definition) for every layer with parameters, in spec order (a merge's
    branches, then its own block)."""
    for layer in layers:
        for branch in layer.branches:
            _blocks(branch, out, names)
        if (
            layer.kind not in ("conv", "pointwise", "depthwise", "dense", "leaky_relu")
            and layer.kind not in GRID_BLOCKS
        ):
            continue
        base = cpp.identifier(layer.source or layer.kind)
        if layer.kind == "quantize":
            base += "_quantize"
        name, i = base, 2
        while name in names:
            name, i = "%s_%d" % (base, i), i + 1
        names.add(name)
        layer.name = name
        if layer.kind in GRID_BLOCKS or layer.kind == "leaky_relu":
            alpha = ".alpha = %s, " % cpp.number(layer.alpha) if layer.kind == "leaky_relu" else ""
            out.append(
                (
                    name,
                    "inline constexpr qpipe::%s %s{%s.output = %s};  // ONNX node '%s'\n"
                    % (
                        GRID_BLOCKS.get(layer.kind, "LeakyReluParams"),
                        name,
                        alpha,
                        cpp.grid(layer.output),
                        layer.source,
                    ),
                )
            )
            continue
        w = layer.weights
        elements = "std::int8_t"
        if layer.kind == "conv":
            t = "qpipe::Conv2DParams<%s, %d, %d, %s>" % (
                qpipe_window.block_kernel(layer.kernel),
                w.shape[3],
                w.shape[0],
                elements,
            )
        elif layer.kind == "pointwise":
            t = "qpipe::PointwiseConv2DParams<%d, %d, %s>" % (w.shape[1], w.shape[0], elements)
        elif layer.kind == "depthwise":
            t = "qpipe::DepthwiseConv2DParams<%s, %d, %s%s>" % (
                qpipe_window.block_kernel(layer.kernel),
                w.shape[2] // layer.multiplier,
                elements,
                ", %d" % layer.multiplier if layer.multiplier != 1 else "",
            )
        else:
            t = "qpipe::Dense%sParams<%d, %d, %s>" % (
                "PerChannel" if layer.per_channel else "",
                w.shape[1],
                w.shape[0],
                elements,
            )
        scales = layer.weight_scale
        if layer.bias_kind == "int32":
            # qpipe's blocks hold real-valued biases: int32 x (input scale x weight scale), the same
            # double product the compiler divides by, so it rounds back to the same int32 (the
            # relative error of the round trip is below 2^-52, far from half a step for |q| < 2^31).
            acc = [
                layer.input_grid.scale * float(s)
                for s in (scales if len(scales) > 1 else [scales[0]] * len(layer.bias))
            ]
            bias = "{" + ", ".join(cpp.number(int(q) * a) for q, a in zip(layer.bias, acc)) + "}"
            note = "  // int32 bias x input scale x weight scale"
        else:
            bias, note = (
                "{" + ", ".join(cpp.number(x) for x in layer.bias) + "}",
                "  // float bias (quantized by the compiler)",
            )
        if layer.kind == "dense" and not layer.per_channel:
            ws = cpp.number(scales[0])
        else:
            ws = "{" + ", ".join(cpp.number(s) for s in scales) + "}"
        text = (
            "inline constexpr %s %s{  // ONNX node '%s'\n"
            "    .weights = %s,\n"
            "    .bias = %s,%s\n"
            "    .output = %s,\n"
            "    .weight_scale = %s,\n"
            "};\n"
        ) % (t, name, layer.source, cpp.nested(w, 16), bias, note, cpp.grid(layer.output), ws)
        out.append((name, text))


def write_header(network: Network, out_path, namespace: str) -> str:
    """Writes the header for `network` into out_path (or returns it if out_path is None)."""
    cpp.check_namespace(namespace)
    blocks = []
    _blocks(network.layers, blocks, set())
    dims = lambda s: ", ".join(str(d) for d in s)
    image_in = len(network.input_shape) == 3
    lines = [
        "// Generated by qpipe_tools.onnx from %s. Do not edit; regenerate." % network.source,
        "// Input '%s': ONNX [1, %s]%s -> qpipe Shape<%s>%s."
        % (
            network.input_name,
            dims(network.input_onnx_shape),
            " (NCHW)" if image_in else "",
            dims(network.input_shape),
            ": feed the int8 codes in NHWC order" if image_in else "",
        ),
        "// Output '%s': ONNX [1, %s] -> qpipe Shape<%s>%s, grid {%s, %d}."
        % (
            network.output_name,
            dims(network.output_onnx_shape),
            dims(network.output_shape),
            " (NHWC)" if len(network.output_shape) == 3 else "",
            cpp.number(network.output_grid.scale),
            network.output_grid.zero_point,
        ),
        "// Weights, weight scales, biases and grids are the model's own (see qpipe_tools.onnx).",
        *summarize(network).comment(),
    ]
    text = cpp.carried_header(
        lines,
        namespace,
        [_layer_type(x) for x in network.layers],
        network.input_shape,
        [("input_grid", network.input_grid)],
        blocks,
    )
    if out_path is not None:
        cpp.write(out_path, text)
    return text


def summarize(network: Network) -> summary.Summary:
    """Layers, parameters, MACs, the planned arena and the compile flags of the network."""
    return summary.of_items(summary.items_of_layers(network.layers), network.input_shape)


def export(path, out_path, namespace) -> summary.Summary:
    """Reads the QDQ model at path and writes its header; returns the summary (raises QdqError, or
    FrontEndError for a number C++ cannot spell or a file it cannot write)."""
    network = read_qdq(path)
    write_header(network, out_path, namespace)
    return summarize(network)


def main(argv=None) -> int:
    parser = cli.parser(
        PROG,
        "An ONNX QDQ model -> a qpipe C++ header (its int8 weights and grids as they are).",
        "the .onnx file, QDQ-quantized (onnxruntime's quantize_static)",
    )
    return cli.run(parser, argv, lambda args: export(args.model, args.out, args.namespace))


if __name__ == "__main__":
    sys.exit(main())
