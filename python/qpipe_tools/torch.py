"""qpipe_tools.torch: export a trained torch.nn model to a qpipe C++ header.

The header declares the network as a qpipe type (`using Net = qpipe::Pipe<...>`), gives its float
parameters and the grid of every calibrated buffer, and has the compiler quantize it:

    inline constexpr auto spec = qpipe::make_spec<Net, Input>(input_grid, blocks...);
    inline constexpr auto network = qpipe::compile<spec>();
    inline constexpr qpipe::Grid output_grid = qpipe::output_grid(spec);   // and input_grid, always

Calibration (the grids) runs on the host or in the compiler (--calibrate, default auto: by size).
On the host, qpipe_tools.calibration runs qpipe's float reference and observers in numpy, bit
for bit as the compiler would, and the header holds the resulting grids. In the compiler, the
header holds the calibration samples instead and calibrates with qpipe::CalibrationPasses, one
sample per declaration (docs/calibration.md: what each costs). Either way only floats are
written: every integer constant (quantized weights, biases, requantizers, tables) is derived by
the C++ compiler, and batch normalization after a convolution is written as a
`qpipe::fold_batch_norm` call, so that the compiler folds it too. On success the exporter prints
where it calibrated and why and the summary (qpipe_tools.summary: layers, parameters, MACs, the
planned arena, the compile flags; stdout); on failure one `qpipe_tools.torch: error:` line (stderr,
after the traceback with --debug) and exit status 1.

Python API:  export(model, calibration, path, namespace, per_channel=True, check_inputs=None,
                    observers=None, input_observer=None, calibrate="auto") -> ExportInfo
             (a live module: its classes may be the calling script's own)
Command line (use Debian's interpreter, which has torch):
    /usr/bin/python3 -m qpipe_tools.torch m.pt --calibration c.npy --out net.hpp --namespace ns
        [--calibrate host|compiler|auto] [--observer LAYER=OBSERVER]... [--input-observer OBSERVER]

Supported (docs/frontends.md has the table): Conv2d with any kernel, stride and dilation, zero
padding (with a ZeroPad2d or F.pad before it: qpipe::same where the sum is TFLite's SAME, else a
QPad2D), groups 1 or depthwise with a multiplier; BatchNorm2d after a conv (BatchNorm1d after a
Linear); ReLU, ReLU6 / Hardtanh(0, 6), Hardtanh(-1, 1), LeakyReLU, Hardswish; MaxPool2d and
AvgPool2d with rectangular windows, padding, ceil_mode and count_include_pad where qpipe's VALID or
SAME windows (or a QPad2D in front) compute the same; AdaptiveAvgPool2d(1) and mean over H and W;
ZeroPad2d; Flatten / flatten / view(N, -1); Linear; Sigmoid, Tanh, Softmax over the features
(channels); Dropout / Identity (no-ops in eval mode); residual adds x + f(x); and branches that an
add, a product or a cat along the channels joins again (qpipe::Add, Mul, Concat; the branches of a
Concat end on one grid, which the host calibration chooses). Anything else is one error line
naming the layer, and exit status 1.
"""

import contextlib
import copy
import importlib
import io
import math
import operator
import re
import sys
import time

from . import FrontEndError, cli, cpp, summary

try:
    from . import calibration as qc  # the host calibration (numpy)
except ImportError:  # no numpy: main() says so in one line
    qc = None
from . import window as qpipe_window  # the window geometry the front ends share

PROG = "qpipe_tools.torch"


class ExportError(FrontEndError):
    """A model or input the exporter cannot turn into qpipe; the message is one line for the user."""


def layer_error(node, kind, reason):
    return ExportError("layer '%s' (%s): %s" % (node_label(node), kind, reason))


def node_label(node):
    # Modules are named by their path in the model (features.3), functions by the graph node.
    return str(node.target) if node.op == "call_module" else node.name


# ---------------------------------------------------------------------------------------------
# C++ text


def cpp_double(value):
    """The shared emitter (cpp.number) for the model's parameters and samples."""
    return cpp.number(value, "a parameter or sample")


def cpp_braces(values, depth=0):
    """Nested lists as nested braces; the outermost level one item per line."""
    if not isinstance(values, list):
        return cpp_double(values)
    inner = [cpp_braces(v, depth + 1) for v in values]
    if depth == 0 and isinstance(values[0], list) and len(values) > 1:
        pad = "\n        "
        return "{" + pad + ("," + pad).join(inner) + "}"
    return "{" + ", ".join(inner) + "}"


# Names the header itself declares.
HEADER_NAMES = {
    "Net",
    "Input",
    "placeholder",
    "calibration_samples",
    "spec",
    "network",
    "check_inputs",
    "check_outputs",
    "qpipe",
    "std",
    "input_grid",
    "output_grid",
    "unset_spec",
    "calibration",
}


# ---------------------------------------------------------------------------------------------
# What the walk over the graph produces


# The layers without arguments, by C++ type, as the host calibration names them.
PLAIN_LAYERS = {
    "qpipe::QRelu": "relu",
    "qpipe::QRelu6": "relu6",
    "qpipe::QReluN1To1": "relu_n1_to_1",
    "qpipe::QSigmoid": "sigmoid",
    "qpipe::QTanh": "tanh",
    "qpipe::QSoftmax": "softmax",
    "qpipe::QGlobalAvgPool2D": "global_avg_pool",
    "qpipe::QFlatten": "flatten",
}


class Layer:
    """One qpipe layer type, with the name of its parameter block if it has one, and the same layer
    for the host calibration (a qpipe_calibration.Layer)."""

    def __init__(self, cpp_type, block=None, calib=None):
        self.cpp_type = cpp_type
        self.block = block
        self.calib = calib if calib is not None else qc.Layer(PLAIN_LAYERS[cpp_type])


class Merge:
    """Add<A, B>, Mul<A, B> or Concat<A, B, ...> (kind 'add', 'mul', 'concat'): one item list per
    branch ([] for qpipe::Identity, the fork's input itself), then the merge's AddParams / MulParams
    block `block` (a BlockText; None for a Concat)."""

    CPP = {"add": "qpipe::Add", "mul": "qpipe::Mul", "concat": "qpipe::Concat"}

    def __init__(self, kind, branches, block):
        self.kind, self.branches, self.block = kind, branches, block


class Residual(Merge):
    """Residual<Pipe<branch...>>: x + f(x), the branch's items, then the add's ResidualParams block
    `block` (a BlockText)."""

    def __init__(self, items, block):
        super().__init__("add", [[], items], block)
        self.items = items


class BlockText:
    """A parameter block of the header: its C++ definition (and the batch norm the compiler folds
    into it), written once calibration has run: with the grid of its output where the host chose
    it, with the placeholder and its observer where the compiler calibrates."""

    def __init__(self, name, cpp_type, body, observer, calib):
        self.name, self.cpp_type, self.body, self.observer, self.calib = name, cpp_type, body, observer, calib
        self.raw = None  # the block before batch normalization is folded in, if there is one
        self.bn_label = None
        self.bn_text = None

    def text(self, grid=None, comment=None):
        fields = self.body
        if grid is not None:
            fields += "    .output = {%s, %d},\n" % (cpp_double(grid[0]), grid[1])
        else:
            fields += "    .output = placeholder,\n"
            if self.observer is not None:
                fields += "    .observer = %s,\n" % observer_cpp(self.observer)
        lines = ["// %s" % comment] if comment else []
        lines.append("inline constexpr %s %s{\n%s};" % (self.cpp_type, self.raw or self.name, fields))
        if self.raw is not None:
            lines.append(
                "// %s folded in by the compiler.\ninline constexpr auto %s = qpipe::fold_batch_norm(%s, %s);"
                % (self.bn_label, self.name, self.raw, self.bn_text)
            )
        return "\n".join(lines)


def calib_items(items):
    """The same network for qpipe_calibration."""
    out = []
    for item in items:
        if isinstance(item, Residual):
            out.append(qc.Residual(calib_items(item.items), item.block.calib))
        elif isinstance(item, Merge):
            out.append(
                qc.Merge(
                    item.kind,
                    [calib_items(b) for b in item.branches],
                    item.block.calib if item.block is not None else None,
                )
            )
        else:
            out.append(item.calib)
    return out


def pipe_text(items):
    parts = []
    for item in items:
        if isinstance(item, Residual):
            parts.append("qpipe::Residual<qpipe::Pipe<%s>>" % pipe_text(item.items))
        elif isinstance(item, Merge):
            parts.append(
                "%s<%s>"
                % (
                    Merge.CPP[item.kind],
                    ", ".join("qpipe::Pipe<%s>" % pipe_text(b) if b else "qpipe::Identity" for b in item.branches),
                )
            )
        else:
            parts.append(item.cpp_type)
    return ", ".join(parts)


def block_list(items):
    """The parameter blocks in the order make_spec<> wants them: each layer's; a merge's branches in
    order, then its own block (a residual's branch, then its add)."""
    names = []
    for item in items:
        if isinstance(item, Merge):
            for branch in item.branches:
                names += block_list(branch)
            if item.block is not None:
                names.append(item.block.name)
        elif item.block is not None:
            names.append(item.block)
    return names


def pad_layer(top, bottom, left, right):
    calib = qc.Layer("pad", pads=(top, bottom, left, right))
    if top == bottom == left == right:
        return Layer("qpipe::QPad2D<%d>" % top, calib=calib)
    return Layer("qpipe::QPad2D<%d, %d, %d, %d>" % (top, bottom, left, right), calib=calib)


def pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def parse_observer(text):
    """The observer given as min_max, percentile:LO:HI or kl[:BINS] (see calibrate.hpp)."""
    try:
        return qc.Observer.parse(text)
    except ValueError:
        raise ExportError(
            "observer '%s' is not min_max, percentile:LO:HI (0 <= LO < HI <= 100) or kl[:BINS] " "(BINS >= 512)" % text
        )


def observer_cpp(observer):
    """The C++ expression of an observer."""
    if observer.method == "percentile":
        return "qpipe::percentile(%s, %s)" % (cpp_double(observer.lower), cpp_double(observer.upper))
    if observer.method == "kl_divergence":
        return "qpipe::kl_divergence(%d)" % observer.bins
    return "qpipe::min_max()"


# ---------------------------------------------------------------------------------------------
# The exporter


class Exporter:
    def __init__(self, torch, model, calibration, per_channel, observers=None):
        self.torch = torch
        # Layer name (a module's path, or a BatchNorm folded into it) -> C++ observer expression.
        self.observers = {name: parse_observer(text) for name, text in (observers or {}).items()}
        self.observers_used = set()
        self.nn = torch.nn
        self.F = torch.nn.functional
        self.per_channel = per_channel
        self.blocks = []  # C++ definitions of the parameter blocks, in order
        self.block_names = set()

        # Run everything in double: the parameters are exact (float32 fits in a double) and the
        # float outputs the tests compare against are then those of qpipe's double reference.
        self.model = copy.deepcopy(model).double().eval()
        try:
            self.graph_module = torch.fx.symbolic_trace(self.model)
        except Exception as e:  # fx raises many kinds (TraceError, TypeError, ...) on dynamic code
            raise ExportError("torch.fx cannot trace the model: %s" % cli.one_line(e))
        try:
            from torch.fx.passes.shape_prop import ShapeProp

            # ShapeProp prints the failing node's traceback on stderr before it raises: keep it
            # off (the contract is one error line) and report the cause, the error torch raised.
            with contextlib.redirect_stderr(io.StringIO()):
                ShapeProp(self.graph_module).propagate(calibration)
        except Exception as e:
            cause = e.__cause__ or e.__context__ or e
            raise ExportError(
                "the model does not run on the calibration batch of shape %s: %s"
                % (tuple(calibration.shape), cli.one_line(cause))
            )

        # The functions and tensor methods the walk understands.
        F = self.F
        self.relu_functions = {F.relu, torch.relu, "relu"}
        self.sigmoid_functions = {torch.sigmoid, "sigmoid"}
        self.tanh_functions = {torch.tanh, "tanh"}
        self.softmax_functions = {F.softmax, torch.softmax, "softmax"}
        self.flatten_functions = {torch.flatten, "flatten", "view", "reshape"}
        self.mean_functions = {torch.mean, "mean"}
        # Where branches join: the merge kind of each function or tensor method.
        self.merge_functions = {
            operator.add: "add",
            operator.iadd: "add",
            torch.add: "add",
            "add": "add",
            operator.mul: "mul",
            operator.imul: "mul",
            torch.mul: "mul",
            "mul": "mul",
            torch.cat: "cat",
        }
        for name in ("concat", "concatenate"):  # aliases of torch.cat in newer releases
            if hasattr(torch, name):
                self.merge_functions[getattr(torch, name)] = "cat"
        self._must = None

    # -- shapes ---------------------------------------------------------------------------------

    @staticmethod
    def torch_shape(node):
        meta = node.meta.get("tensor_meta")
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None

    # -- the walk -------------------------------------------------------------------------------

    def run(self):
        graph = self.graph_module.graph
        inputs = [n for n in graph.nodes if n.op == "placeholder"]
        if len(inputs) != 1:
            raise ExportError("the model takes %d inputs; qpipe networks take one" % len(inputs))
        shape = self.torch_shape(inputs[0])
        if len(shape) == 4:
            qshape = (shape[2], shape[3], shape[1])  # NCHW -> HWC
        elif len(shape) == 2:
            qshape = (shape[1],)
        else:
            raise ExportError(
                "the calibration batch has shape %s; qpipe takes (N, C, H, W) images or "
                "(N, features) vectors" % (shape,)
            )
        self.input_qshape = qshape
        items, last, qshape = self.walk(inputs[0], qshape, stop=None)
        if not items:
            raise ExportError("the model has no layer qpipe can run")
        out_shape = self.torch_shape(last)
        if out_shape is None or math.prod(out_shape[1:]) != math.prod(qshape):
            raise ExportError("the model's output %s does not match the exported network's %s" % (out_shape, qshape))
        if len(out_shape) == 2 and len(qshape) == 3:
            raise ExportError(
                "the model's output is a flattened %dx%dx%d image, whose values torch orders (C, H, W) "
                "and qpipe (H, W, C); end the model with the image or a Linear" % (qshape[2], qshape[0], qshape[1])
            )
        self.output_qshape = qshape
        self.shared_grids = self.tie_concat_grids(items)
        return items

    def flow_users(self, node):
        # x.size(0) in x.view(x.size(0), -1) reads only the shape: not a data path.
        return [u for u in node.users if not (u.op == "call_method" and u.target == "size")]

    def walk(self, node, qshape, stop):
        """Follow the data from `node` until the output (or until `stop`, the merge that ends the
        branch being walked). Returns (items, the last node, the qpipe shape there)."""
        items = []
        while True:
            users = self.flow_users(node)
            if stop is not None and users == [stop]:
                return items, node, qshape
            if len(users) == 1 and users[0].op == "output":
                if stop is not None:
                    raise layer_error(stop, self.kind_of(stop), "a branch of this merge ends at the model's output")
                return items, node, qshape
            if len(users) == 1 and self.merge_kind(users[0]) is None:
                new_items, node, qshape = self.convert(users[0], node, qshape)
                items += new_items
                continue
            new_items, node, qshape = self.fork(node, qshape, users, stop)
            items += new_items

    def join_point(self, node):
        """The first node that every path from `node` to the output passes through (None if some
        path from it ends elsewhere)."""
        if self._must is None:
            nodes = list(self.graph_module.graph.nodes)
            self._order = {n: i for i, n in enumerate(nodes)}
            must = {}
            for n in reversed(nodes):  # the graph is in topological order
                if n.op == "output":
                    must[n] = frozenset()
                    continue
                result = None
                for u in self.flow_users(n):
                    rest = must.get(u)
                    if rest is None:
                        result = None
                        break
                    result = rest | {u} if result is None else result & (rest | {u})
                must[n] = result
            self._must = must
        after = self._must.get(node)
        return min(after, key=self._order.get) if after else None

    def fork(self, node, qshape, users, stop):
        """`node` feeds several layers (or one merge through several operands): the branches up to
        the merge that joins them, and that merge. Returns (items, the merge node, its qpipe shape)."""
        where = "the input" if node.op == "placeholder" else "the output of '%s'" % node_label(node)
        merge = self.join_point(node)
        if merge is None or merge is stop or self.merge_kind(merge) is None:
            joined = (
                ""
                if merge is None or merge is stop
                else ", which join again at '%s' (%s)" % (node_label(merge), self.kind_of(merge))
            )
            raise ExportError(
                "%s feeds %d layers (%s)%s; qpipe branches only where an add, a mul or a cat joins the "
                "branches again" % (where, len(users), ", ".join(node_label(u) for u in users), joined)
            )
        ends = {}  # the last node of each branch -> (items, qpipe shape)
        for user in users:
            if user is merge:
                continue
            first, end, branch_qshape = self.convert(user, node, qshape)
            rest, end, branch_qshape = self.walk(end, branch_qshape, stop=merge)
            if end in ends:
                raise layer_error(merge, self.kind_of(merge), "two branches end at '%s'" % node_label(end))
            ends[end] = (first + rest, branch_qshape)
        branches, used = [], set()
        for operand in self.merge_operands(merge):
            if operand is node:
                branches.append(([], qshape, node))
            elif operand in ends and operand not in used:
                used.add(operand)
                branches.append(ends[operand] + (operand,))
            elif operand in used:
                raise layer_error(
                    merge,
                    self.kind_of(merge),
                    "reads the result of one branch twice ('%s'); qpipe runs "
                    "each branch once per operand" % node_label(operand),
                )
            else:
                raise layer_error(
                    merge,
                    self.kind_of(merge),
                    "its operand '%s' does not come from a branch of %s (qpipe "
                    "joins branches of one fork)" % (node_label(operand), where),
                )
        if set(ends) - used:
            raise layer_error(merge, self.kind_of(merge), "a branch from %s is not one of its operands" % where)
        item, out_qshape = self.merge_item(merge, node, branches)
        return [item], merge, out_qshape

    def function_key(self, node):
        if node.op in ("call_function", "call_method"):
            return node.target
        return None

    def merge_kind(self, node):
        """'add', 'mul' or 'cat' for a node that merges tensors, else None."""
        if node.op not in ("call_function", "call_method"):
            return None
        try:
            return self.merge_functions.get(self.function_key(node))
        except TypeError:  # an unhashable target
            return None

    def merge_operands(self, merge):
        """The tensors a merge reads, in order."""
        kind = self.merge_kind(merge)
        what = self.kind_of(merge)
        args = list(merge.args)
        if kind == "cat":
            tensors = args[0] if args else merge.kwargs.get("tensors")
            if not isinstance(tensors, (list, tuple)) or len(tensors) < 2 or not all(hasattr(t, "op") for t in tensors):
                raise layer_error(merge, what, "only a cat of two or more tensors of the model is supported")
            return list(tensors)
        # torch.add(a, b, alpha=...) / a.add(b, alpha=...): a scaled add is not supported.
        if merge.kwargs.get("alpha", 1) != 1 or len(args) > 2 or set(merge.kwargs) - {"alpha"}:
            raise layer_error(merge, what, "an %s with alpha or other arguments is not supported" % kind)
        if len(args) != 2 or not all(hasattr(a, "op") for a in args):
            raise layer_error(merge, what, "an %s of a tensor and a constant is not supported" % kind)
        return args

    def merge_item(self, merge, node, branches):
        """The qpipe merge for `merge` over branches [(items, qpipe shape, operand node)] from `node`.
        Returns (the item, the qpipe shape after it)."""
        kind = self.merge_kind(merge)
        what = self.kind_of(merge)
        shapes = [self.torch_shape(b[2]) for b in branches]
        qshapes = [b[1] for b in branches]
        if kind in ("add", "mul"):
            if shapes[0] != shapes[1] or qshapes[0] != qshapes[1]:
                raise layer_error(
                    merge,
                    what,
                    "operands of shapes %s and %s; qpipe's %s takes two of one shape (no "
                    "broadcasting)" % (shapes[0], shapes[1], "Add" if kind == "add" else "Mul"),
                )
            empty = [not b[0] for b in branches]
            if kind == "add" and empty.count(True) == 1:  # x + f(x)
                return (
                    Residual(
                        branches[empty.index(False)][0], self.merge_block(merge, "qpipe::ResidualParams", "residual")
                    ),
                    qshapes[0],
                )
            cpp = "qpipe::AddParams" if kind == "add" else "qpipe::MulParams"
            return Merge(kind, [b[0] for b in branches], self.merge_block(merge, cpp, kind)), qshapes[0]
        out = self.torch_shape(merge)
        dim = merge.kwargs.get("dim", merge.args[1] if len(merge.args) > 1 else 0)
        rank = len(shapes[0])
        if not isinstance(dim, int) or dim % rank != 1:
            raise layer_error(
                merge,
                what,
                "a cat along dim %s of a %d-D tensor; qpipe concatenates the channels " "(dim 1) only" % (dim, rank),
            )
        if any(len(q) != len(qshapes[0]) or q[:-1] != qshapes[0][:-1] for q in qshapes) or (
            rank == 2 and len(qshapes[0]) != 1
        ):
            raise layer_error(
                merge,
                what,
                "operands of shapes %s; qpipe concatenates images of one size along the "
                "channels, or vectors" % ", ".join(str(s) for s in shapes),
            )
        out_qshape = tuple(qshapes[0][:-1]) + (sum(q[-1] for q in qshapes),)
        if out is None or math.prod(out[1:]) != math.prod(out_qshape):
            raise layer_error(merge, what, "its output %s is not the concatenation of its operands" % (out,))
        item = Merge("concat", [b[0] for b in branches], None)
        item.node = merge
        return item, out_qshape

    # -- one node -------------------------------------------------------------------------------

    def convert(self, node, source, qshape):
        """The qpipe layers for `node` (whose data input is `source`).

        Returns (items, the node the data continues from, the qpipe shape after it)."""
        if self.merge_kind(node) is not None:
            raise layer_error(
                node,
                self.kind_of(node),
                "merges tensors that do not come from one fork of the data "
                "(qpipe joins the branches of a fork with an add, a mul or a cat)",
            )
        if node.op == "call_module":
            module = self.graph_module.get_submodule(node.target)
            return self.convert_module(node, module, qshape)
        if node.op in ("call_function", "call_method"):
            if not node.args or node.args[0] is not source:
                raise layer_error(node, self.kind_of(node), "its data input is not its first argument")
            return self.convert_function(node, qshape)
        raise layer_error(node, node.op, "unsupported graph node")

    def kind_of(self, node):
        target = node.target
        return target if isinstance(target, str) else getattr(target, "__name__", str(target))

    def check_image(self, node, kind, qshape):
        if len(qshape) != 3 or len(self.torch_shape(node.args[0]) or ()) != 4:
            raise layer_error(node, kind, "needs an (N, C, H, W) image input, qpipe has shape %s here" % (qshape,))

    def single_user_module(self, node, kind):
        """The module of kind `kind` that alone reads `node`'s output, as (node, module), or (None, None)."""
        users = self.flow_users(node)
        if len(users) == 1 and users[0].op == "call_module":
            module = self.graph_module.get_submodule(users[0].target)
            if isinstance(module, kind):
                return users[0], module
        return None, None

    def convert_module(self, node, module, qshape):
        nn = self.nn
        kind = type(module).__name__
        if isinstance(module, nn.Conv2d):
            return self.convert_conv(node, module, qshape)
        if isinstance(module, nn.Linear):
            return self.convert_linear(node, module, qshape)
        if isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
            raise layer_error(node, kind, "batch normalization must directly follow a Conv2d (BatchNorm1d a Linear)")
        if isinstance(module, nn.ReLU):
            return [Layer("qpipe::QRelu")], node, qshape
        if isinstance(module, nn.Hardtanh):  # nn.ReLU6 is a Hardtanh(0, 6)
            return self.hardtanh(node, kind, module.min_val, module.max_val), node, qshape
        if isinstance(module, nn.LeakyReLU):
            return self.leaky_relu(node, kind, module.negative_slope), node, qshape
        if isinstance(module, nn.Hardswish):
            return [self.table_layer(node, "qpipe::QHardSwish", "qpipe::HardSwishParams", "hard_swish")], node, qshape
        if isinstance(module, nn.Sigmoid):
            return [Layer("qpipe::QSigmoid")], node, qshape
        if isinstance(module, nn.Tanh):
            return [Layer("qpipe::QTanh")], node, qshape
        if isinstance(module, nn.Softmax):
            return self.convert_softmax(node, kind, module.dim, qshape)
        if isinstance(module, (nn.Dropout, nn.Identity)):
            return [], node, qshape  # nothing in eval mode
        if isinstance(module, nn.Flatten):
            if module.start_dim != 1 or module.end_dim != -1:
                raise layer_error(node, kind, "only Flatten(1, -1) (flatten all but the batch) is supported")
            return self.flatten(qshape), node, self.flat_qshape(qshape)
        if isinstance(module, nn.ZeroPad2d):
            self.check_image(node, kind, qshape)
            left, right, top, bottom = module.padding
            return self.zero_pad(node, kind, qshape, (top, bottom, left, right))
        if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            return self.convert_pool(node, module, qshape)
        if isinstance(module, nn.AdaptiveAvgPool2d):
            self.check_image(node, kind, qshape)
            if pair(module.output_size) != (1, 1):
                raise layer_error(node, kind, "only AdaptiveAvgPool2d(1) (global average pooling) is supported")
            return [Layer("qpipe::QGlobalAvgPool2D")], node, (qshape[2],)
        raise layer_error(node, kind, "unsupported module")

    def image_qshape(self, node):
        n, c, h, w = self.torch_shape(node)
        return (h, w, c)

    @staticmethod
    def flat_qshape(qshape):
        """The qpipe shape after flattening: a vector where qpipe's order is torch's (a vector
        already, or an image of one pixel or one channel); else the image, which a Linear reads flat
        with its columns reordered."""
        if len(qshape) == 3 and qshape[0] * qshape[1] != 1 and qshape[2] != 1:
            return qshape
        return (math.prod(qshape),)

    def flatten(self, qshape):
        """A QFlatten (a view: no copy) where it makes a vector of an image in torch's order."""
        return [Layer("qpipe::QFlatten")] if len(qshape) == 3 and len(self.flat_qshape(qshape)) == 1 else []

    def zero_pad(self, node, kind, qshape, pads):
        """A ZeroPad2d / F.pad of zeros: folded into the Conv2d that alone reads it (into SAME padding where
        that is what the sum comes to), else a QPad2D."""
        if min(pads) < 0:
            raise layer_error(node, kind, "negative padding (cropping) is not supported")
        conv_node, conv = self.single_user_module(node, self.nn.Conv2d)
        if conv is not None:
            return self.convert_conv(conv_node, conv, qshape, pads)
        return [pad_layer(*pads)], node, self.image_qshape(node)

    def hardtanh(self, node, kind, low, high):
        if (low, high) == (0, 6):
            return [Layer("qpipe::QRelu6")]
        if (low, high) == (-1, 1):
            return [Layer("qpipe::QReluN1To1")]
        raise layer_error(node, kind, "hardtanh(%s, %s): only (0, 6), a ReLU6, and (-1, 1) are supported" % (low, high))

    def leaky_relu(self, node, kind, slope):
        if slope == 0:
            return [Layer("qpipe::QRelu")]
        if not (slope > 0 and math.isfinite(slope)):
            raise layer_error(node, kind, "negative_slope %r: qpipe's leaky ReLU takes a positive finite slope" % slope)
        return [
            self.table_layer(
                node,
                "qpipe::QLeakyRelu",
                "qpipe::LeakyReluParams",
                "leaky_relu",
                "    .alpha = %s,\n" % cpp_double(slope),
                alpha=float(slope),
            )
        ]

    def convert_function(self, node, qshape):
        key = self.function_key(node)
        kind = self.kind_of(node)
        F = self.F

        def arg(index, name, default):
            return node.kwargs.get(name, node.args[index] if len(node.args) > index else default)

        if key in self.relu_functions:
            return [Layer("qpipe::QRelu")], node, qshape
        if key is F.relu6:
            return [Layer("qpipe::QRelu6")], node, qshape
        if key is F.hardtanh:
            return self.hardtanh(node, kind, arg(1, "min_val", -1.0), arg(2, "max_val", 1.0)), node, qshape
        if key is F.leaky_relu:
            return self.leaky_relu(node, kind, arg(1, "negative_slope", 0.01)), node, qshape
        if key is F.hardswish:
            return [self.table_layer(node, "qpipe::QHardSwish", "qpipe::HardSwishParams", "hard_swish")], node, qshape
        if key in self.sigmoid_functions:
            return [Layer("qpipe::QSigmoid")], node, qshape
        if key in self.tanh_functions:
            return [Layer("qpipe::QTanh")], node, qshape
        if key in self.softmax_functions:
            return self.convert_softmax(node, kind, arg(1, "dim", None), qshape)
        if key in self.flatten_functions:
            # flatten(x, 1) / x.view(x.size(0), -1): only the batch dimension kept.
            out_shape = self.torch_shape(node)
            in_shape = self.torch_shape(node.args[0])
            if out_shape is None or len(out_shape) != 2 or out_shape[0] != in_shape[0]:
                raise layer_error(node, kind, "only flattening all but the batch dimension is supported")
            return self.flatten(qshape), node, self.flat_qshape(qshape)
        if key is F.pad:
            pads = arg(1, "pad", None)
            if (
                arg(2, "mode", "constant") != "constant"
                or arg(3, "value", None) not in (None, 0, 0.0)
                or not isinstance(pads, (list, tuple))
                or len(pads) != 4
            ):
                raise layer_error(node, kind, "only pad(x, (left, right, top, bottom)) with zeros is supported")
            self.check_image(node, kind, qshape)
            left, right, top, bottom = pads
            return self.zero_pad(node, kind, qshape, (top, bottom, left, right))
        if key in self.mean_functions:
            dims = arg(1, "dim", None)
            dims = {dims} if isinstance(dims, int) else set(dims or ())
            if {d % 4 for d in dims} != {2, 3}:
                raise layer_error(node, kind, "only the mean over H and W (global average pooling) is supported")
            self.check_image(node, kind, qshape)
            return [Layer("qpipe::QGlobalAvgPool2D")], node, (qshape[2],)
        if key is F.adaptive_avg_pool2d:
            if pair(arg(1, "output_size", None)) != (1, 1):
                raise layer_error(node, kind, "only adaptive_avg_pool2d(x, 1) is supported")
            self.check_image(node, kind, qshape)
            return [Layer("qpipe::QGlobalAvgPool2D")], node, (qshape[2],)
        if key is F.dropout:
            return [], node, qshape
        raise layer_error(node, kind, "unsupported function")

    def convert_softmax(self, node, kind, dim, qshape):
        in_shape = self.torch_shape(node.args[0])
        rank = len(in_shape)
        if dim is None:  # torch's legacy choice for an implicit dim
            dim = 0 if rank in (0, 1, 3) else 1
        dim = dim % rank
        # qpipe's softmax runs over its last dimension: the channels of an NHWC image, or the
        # whole vector. Torch's dim 1 is that dimension for (N, C, H, W) and for (N, features),
        # the latter only if the features are a vector for qpipe too (not a flattened image).
        if dim != 1 or (rank == 2 and len(qshape) == 3 and qshape[0] * qshape[1] != 1):
            raise layer_error(
                node,
                kind,
                "softmax over dim %d of a %d-D tensor: qpipe's softmax runs over the "
                "channels (dim 1) only" % (dim, rank),
            )
        return [Layer("qpipe::QSoftmax")], node, qshape

    # -- layers with parameters -----------------------------------------------------------------

    def block_name(self, node, suffix=""):
        name = re.sub(r"\W", "_", node_label(node) + suffix)
        if not re.match(r"[A-Za-z_]", name):
            name = "layer_" + name
        if name in cpp.KEYWORDS or name in HEADER_NAMES or name.startswith("calibration_pass_"):
            name += "_block"
        base, n = name, 2
        while name in self.block_names:
            name, n = "%s_%d" % (base, n), n + 1
        self.block_names.add(name)
        return name

    def array(self, tensor):
        return tensor.detach().double().cpu().numpy()

    def batch_norm_after(self, node, kind_wanted):
        """The BatchNorm module that alone reads `node`'s output, or None."""
        return self.single_user_module(node, kind_wanted)

    def batch_norm_values(self, bn_node, bn, channels):
        """(gamma, beta, mean, variance, epsilon) as float64 lists."""
        kind = type(bn).__name__
        if bn.running_mean is None or bn.running_var is None:
            raise layer_error(bn_node, kind, "batch normalization without running statistics cannot be folded")
        gamma = list(map(float, self.array(bn.weight))) if bn.affine else [1.0] * channels
        beta = list(map(float, self.array(bn.bias))) if bn.affine else [0.0] * channels
        return gamma, beta, self.array(bn.running_mean).tolist(), self.array(bn.running_var).tolist(), float(bn.eps)

    def add_block(self, node, cpp_type, weights, bias, bn_kind, calib_kind):
        """Define the block (folding a following batch normalization) and return (name, last node,
        the block for the host calibration)."""
        name = self.block_name(node)
        bn_node, bn = self.batch_norm_after(node, bn_kind)
        observer = None
        for label in [node_label(node)] + ([node_label(bn_node)] if bn is not None else []):
            if label in self.observers:
                observer = self.observers[label]
                self.observers_used.add(label)
        bn_values = self.batch_norm_values(bn_node, bn, len(bias)) if bn is not None else None
        # What the compiler would refuse in the header: say it here, in one line.
        import numpy as np

        w = np.asarray(weights, dtype=np.float64)
        if not np.all(np.isfinite(w)) or not np.all(np.isfinite(np.asarray(bias, dtype=np.float64))):
            raise layer_error(node, cpp_type, "a weight or bias is not finite")
        if not np.any(w):
            raise layer_error(node, cpp_type, "every weight is zero: there is no weight scale to quantize with")
        calib = qc.Block(calib_kind, weights, bias, observer=observer, batch_norm=bn_values, name=name)
        block = BlockText(
            name,
            cpp_type,
            "    .weights = %s,\n    .bias = %s,\n" % (cpp_braces(weights), cpp_braces(bias)),
            observer,
            calib,
        )
        if bn is not None:
            block.raw = name + "_unfolded"
            self.block_names.add(block.raw)
            block.bn_label = node_label(bn_node)
            gamma, beta, mean, variance, epsilon = bn_values
            block.bn_text = (
                "qpipe::BatchNorm<%d>{\n    .gamma = %s,\n    .beta = %s,\n    .mean = %s,\n"
                "    .variance = %s,\n    .epsilon = %s}"
                % (
                    len(bias),
                    cpp_braces(gamma),
                    cpp_braces(beta),
                    cpp_braces(mean),
                    cpp_braces(variance),
                    cpp_double(epsilon),
                )
            )
        self.blocks.append(block)
        return name, (bn_node if bn is not None else node), calib

    def merge_block(self, node, cpp_type, calib_kind, body=""):
        """A block with an output grid only (ResidualParams, AddParams, MulParams, a table layer's),
        its observer named by the node (a module's path or the function's graph node)."""
        name = self.block_name(node)
        observer = self.observers.get(node_label(node))
        if observer is not None:
            self.observers_used.add(node_label(node))
        block = BlockText(name, cpp_type, body, observer, qc.Block(calib_kind, observer=observer, name=name))
        self.blocks.append(block)
        return block

    def table_layer(self, node, layer, cpp_type, calib_kind, body="", alpha=None):
        """QLeakyRelu, QHardSwish: a layer with an output grid of its own."""
        block = self.merge_block(node, cpp_type, calib_kind, body)
        return Layer(layer, block.name, qc.Layer(calib_kind, block.calib, alpha=alpha))

    def convert_conv(self, node, conv, qshape, pads=(0, 0, 0, 0)):
        """A Conv2d, with the zero padding `pads` (top, bottom, left, right) of a ZeroPad2d before it."""
        kind = type(conv).__name__
        self.check_image(node, kind, qshape)
        if conv.padding_mode != "zeros":
            raise layer_error(node, kind, "padding mode '%s': only zero padding is supported" % conv.padding_mode)
        kernel, stride, dilation = tuple(conv.kernel_size), tuple(conv.stride), tuple(conv.dilation)
        if conv.padding == "valid":
            own = ((0, 0), (0, 0))
        elif conv.padding == "same":  # stride 1; torch puts the odd cell after, as TFLite
            own = tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
        else:
            own = tuple((p, p) for p in conv.padding)
        top, bottom, left, right = pads[0] + own[0][0], pads[1] + own[0][1], pads[2] + own[1][0], pads[3] + own[1][1]
        h, w = qshape[0], qshape[1]
        mode = qpipe_window.convolution_mode(
            [(h, kernel[0], stride[0], dilation[0], top, bottom), (w, kernel[1], stride[1], dilation[1], left, right)]
        )
        items = [pad_layer(top, bottom, left, right)] if mode is None else []
        same = mode == "same"
        in_c, out_c = conv.in_channels, conv.out_channels
        weight = self.array(conv.weight)  # OIHW
        bias = self.array(conv.bias).tolist() if conv.bias is not None else [0.0] * out_c
        multiplier = 1
        if conv.groups == 1:
            if kernel == (1, 1) and stride == (1, 1) and not items:
                layer = "qpipe::QPointwiseConv2DPerChannel" if self.per_channel else "qpipe::QPointwiseConv2D"
                cpp_type = "qpipe::PointwiseConv2DParams<%d, %d>" % (in_c, out_c)
                weights = weight[:, :, 0, 0].tolist()  # [out][in]
                calib_kind = "pointwise"
            else:
                layer = "qpipe::QConv2DPerChannel" if self.per_channel else "qpipe::QConv2D"
                cpp_type = "qpipe::Conv2DParams<%s, %d, %d>" % (qpipe_window.block_kernel(kernel), in_c, out_c)
                weights = weight.transpose(0, 2, 3, 1).tolist()  # OIHW -> [out][ky][kx][in]
                calib_kind = "conv"
        elif conv.groups == in_c and out_c % in_c == 0:
            # Output channel c M + j reads input channel c, in torch as in TFLite.
            multiplier = out_c // in_c
            layer = "qpipe::QDepthwiseConv2D"
            cpp_type = "qpipe::DepthwiseConv2DParams<%s, %d%s>" % (
                qpipe_window.block_kernel(kernel),
                in_c,
                ", double, %d" % multiplier if multiplier != 1 else "",
            )
            weights = weight[:, 0, :, :].transpose(1, 2, 0).tolist()  # (C M, 1, KH, KW) -> [ky][kx][c M + j]
            calib_kind = "depthwise"
        else:
            raise layer_error(
                node,
                kind,
                "groups=%d with %d -> %d channels: qpipe takes groups 1 or a depthwise "
                "convolution (groups == in_channels, out_channels a multiple of it)" % (conv.groups, in_c, out_c),
            )
        if calib_kind != "pointwise":
            layer += "<%s>" % qpipe_window.template_args(kernel, stride, dilation, same, multiplier)
        name, last, block = self.add_block(node, cpp_type, weights, bias, self.nn.BatchNorm2d, calib_kind)
        items.append(
            Layer(
                layer,
                name,
                qc.Layer(
                    calib_kind,
                    block,
                    k=kernel,
                    s=stride,
                    d=dilation,
                    same=same,
                    multiplier=multiplier,
                    per_channel=self.per_channel,
                ),
            )
        )
        out = self.image_qshape(node)
        self.check_window(node, kind, items, qshape, out)
        return items, last, out

    def check_window(self, node, kind, items, qshape, out):
        """The layers chosen must give torch's output shape (a guard on the geometry above)."""
        shape = tuple(qshape)
        for step in qc.plan([item.calib for item in items]):
            shape = qc.output_shape(step, shape)
        if shape != tuple(out):
            raise layer_error(node, kind, "qpipe's window gives %s, torch %s" % (shape, tuple(out)))

    def convert_linear(self, node, linear, qshape):
        kind = type(linear).__name__
        in_shape = self.torch_shape(node.args[0])
        if len(in_shape) != 2:
            raise layer_error(node, kind, "input of shape %s: flatten to (N, features) first" % (in_shape,))
        weight = self.array(linear.weight)  # [unit][input], the input in torch's order
        if len(qshape) == 3 and qshape[0] * qshape[1] > 1:
            # The input is an NCHW image torch flattened as (c, y, x); qpipe's dense layer reads
            # the NHWC buffer flat, as (y, x, c): reorder the weight columns to match.
            h, w, c = qshape
            units = weight.shape[0]
            weight = weight.reshape(units, c, h, w).transpose(0, 2, 3, 1).reshape(units, h * w * c)
        bias = self.array(linear.bias).tolist() if linear.bias is not None else [0.0] * linear.out_features
        cpp_type = "qpipe::DenseParams<%d, %d>" % (linear.in_features, linear.out_features)
        name, last, block = self.add_block(node, cpp_type, weight.tolist(), bias, self.nn.BatchNorm1d, "dense")
        return (
            [Layer("qpipe::QDense<%d>" % linear.out_features, name, qc.Layer("dense", block))],
            last,
            (linear.out_features,),
        )

    def convert_pool(self, node, pool, qshape):
        kind = type(pool).__name__
        self.check_image(node, kind, qshape)
        k = pair(pool.kernel_size)
        s = pair(pool.stride if pool.stride is not None and pool.stride != () else pool.kernel_size)
        p = pair(pool.padding)
        average = isinstance(pool, self.nn.AvgPool2d)
        if average:
            if pool.divisor_override is not None:
                raise layer_error(node, kind, "divisor_override is not supported")
            count_pad = bool(pool.count_include_pad)
        else:
            if pair(pool.dilation) != (1, 1) or pool.return_indices:
                raise layer_error(node, kind, "dilation and return_indices are not supported")
            count_pad = False
        h, w, c = qshape
        axes = [(h, k[0], s[0], p[0], p[0]), (w, k[1], s[1], p[1], p[1])]
        mode = qpipe_window.pool_mode(axes, bool(pool.ceil_mode), average, count_pad)
        if mode is None:
            raise layer_error(
                node,
                kind,
                qpipe_window.pool_refusal(
                    axes,
                    bool(pool.ceil_mode),
                    average,
                    count_pad,
                    "padding %s" % (p,),
                    "count_include_pad=%s" % count_pad,
                ),
            )
        name = "qpipe::QAvgPool2D" if average else "qpipe::QMaxPool2D"
        items = [pad_layer(p[0], p[0], p[1], p[1])] if mode == "pad" else []
        calib = qc.Layer("avg_pool" if average else "max_pool", k=k, s=s, same=mode == "same")
        items.append(
            Layer("%s<%s>" % (name, qpipe_window.template_args(k, s, same=mode == "same", pool=True)), calib=calib)
        )
        out = self.image_qshape(node)
        self.check_window(node, kind, items, qshape, out)
        return items, node, out

    # -- concatenations -------------------------------------------------------------------------

    # Layers whose output keeps the grid of their input.
    GRID_KEEPING = ("pad", "max_pool", "avg_pool", "global_avg_pool", "relu", "relu6", "relu_n1_to_1", "flatten")

    def grid_owner(self, branch):
        """The block whose output grid a branch ends on, if it lies in the branch and may take any
        grid; else None."""
        for item in reversed(branch):
            if isinstance(item, Merge):
                return item.block  # an add's or mul's; None for a concatenation
            if item.calib.kind in self.GRID_KEEPING:
                continue
            return next((b for b in self.blocks if b.name == item.block), None) if item.block is not None else None
        return None  # the fork's own grid

    def tie_concat_grids(self, items):
        """TFLite's int8 CONCATENATION (and qpipe's Concat) takes every input on one grid. Each branch
        of a Concat ends on the grid of a block in it (a QQuantize is appended to a branch whose grid
        comes from before the fork or is fixed, e.g. a sigmoid's); calibration then gives those
        blocks one grid, of the union of their ranges. Returns the groups of blocks that share a
        grid, innermost first."""
        groups = []
        for item in items:
            if not isinstance(item, Merge):
                continue
            for branch in item.branches:
                groups += self.tie_concat_grids(branch)
            if item.kind != "concat":
                continue
            owners = []
            for i, branch in enumerate(item.branches):
                owner = self.grid_owner(branch)
                if owner is None:
                    name = self.block_name(item.node, "_quantize_%d" % i)
                    owner = BlockText(name, "qpipe::QuantizeParams", "", None, qc.Block("quantize", name=name))
                    self.blocks.append(owner)
                    branch.append(Layer("qpipe::QQuantize", name, qc.Layer("quantize", owner.calib)))
                owners.append(owner)
            groups.append((node_label(item.node), owners))
        return groups

    # -- data -----------------------------------------------------------------------------------

    def samples_nhwc(self, batch):
        array = batch.detach().double().cpu().numpy()
        if array.ndim == 4:
            array = array.transpose(0, 2, 3, 1)
        return array.reshape(array.shape[0], -1)

    def outputs_qpipe_layout(self, batch):
        with self.torch.no_grad():
            out = self.model(batch)
        array = out.detach().double().cpu().numpy()
        if array.ndim == 4:
            array = array.transpose(0, 2, 3, 1)
        return array.reshape(array.shape[0], -1)


def as_batch(torch, data, what):
    """A float64 torch tensor from a tensor or numpy array."""
    try:
        tensor = data if isinstance(data, torch.Tensor) else torch.from_numpy(__import__("numpy").asarray(data))
    except Exception as e:
        raise ExportError("the %s is not an array of numbers: %s" % (what, cli.one_line(e)))
    if not (
        tensor.is_floating_point() or tensor.dtype in (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64)
    ):
        raise ExportError("the %s has element type %s, not numbers" % (what, tensor.dtype))
    if tensor.dim() not in (2, 4) or tensor.shape[0] < 1:
        raise ExportError("the %s has shape %s; expected (N, C, H, W) or (N, features)" % (what, tuple(tensor.shape)))
    return tensor.double()


def cpp_table(name, width, rows):
    """Lines of `inline constexpr std::array<std::array<double, width>, N> name{{...}};`."""
    return [
        "inline constexpr std::array<std::array<double, %s>, %d> %s{{" % (width, len(rows), name),
        ",\n".join("    " + cpp_braces(row.tolist(), depth=1) for row in rows),
        "}};",
    ]


# ---------------------------------------------------------------------------------------------
# Where calibration runs
#
# In the compiler, a pass (one sample through the float reference and its observers) costs GCC's
# constant evaluator at most about OPS_PER_MAC operations per multiply-accumulate plus
# OPS_PER_VALUE per activation value (the input and every buffer); the last declaration, which
# turns what the observers kept into grids, costs a KL observer's sweep over its candidate
# thresholds. The two constants bound the passes measured with g++ 12 by lowering
# -fconstexpr-ops-limit until a header no longer compiles (perf/calibration_cost.py --fit,
# docs/calibration.md): the least-squares fit over four networks (the DS-CNN: 2.41 M MACs, 73,178
# values, 131.1 M operations), scaled up to cover the costliest per its fit and rounded up, so the
# estimate is at or above each measured pass (+1.4 % to +8.2 %) and ops_limit_for's 25 % margin is
# headroom. GCC stops a constant evaluation after 2^25 operations unless -fconstexpr-ops-limit
# raises the limit; each pass is a declaration of its own, so the limit applies to one pass. Auto
# calibrates in the compiler only while the whole calibration fits in what GCC allows one
# evaluation by default (2^25, a few seconds of compile time), and on the host otherwise.

OPS_PER_MAC = 40.0
OPS_PER_VALUE = 500.0
KL_OPS_PER_LEVEL = 92.0  # per candidate threshold and int8 level of a KL sweep
KL_OPS_PER_CANDIDATE = 5504.0
OPS_PER_LOG = 150.0  # a KL observer's table of logarithms, per entry
CALIBRATE_CHOICES = ("host", "compiler", "auto")


def pass_ops(macs, values):
    """The estimated constexpr operations of one calibration pass of `macs` MACs over `values`
    activation values (perf/figures.py sets it against the measured passes)."""
    return OPS_PER_MAC * macs + OPS_PER_VALUE * values


def pass_size(items, in_shape):
    """(MACs, activation values) of one calibration pass: what its constexpr operations scale with."""
    shapes = qc.buffer_shapes(qc.plan(items), in_shape)
    return qc.macs(items, in_shape), sum(math.prod(shape) for shape in shapes)


def compiler_costs(items, in_shape, samples, input_observer):
    """(passes, estimated operations of one pass, of the last declaration)."""
    steps = qc.plan(items)
    shapes = qc.buffer_shapes(steps, in_shape)
    observers = [input_observer or qc.Observer()] + [s.block.observer if s.block is not None else None for s in steps]
    kl = [
        (o.bins, math.prod(shape) * samples)
        for o, shape in zip(observers, shapes)
        if o is not None and o.method == "kl_divergence"
    ]
    passes = samples * (2 if kl else 1)
    macs, values = pass_size(items, in_shape)
    per_pass = pass_ops(macs, values)
    last = 0.0
    for bins, values in kl:  # the sweep's cost for the worse of 128 and 256 levels, and the logarithms
        last += max(
            KL_OPS_PER_LEVEL * (bins - levels + 1) * levels + KL_OPS_PER_CANDIDATE * (bins - levels + 1)
            for levels in (128, 256)
        )
        last += OPS_PER_LOG * max(bins, values)
    return passes, per_pass, last


class ExportInfo:
    """What export() did: where it calibrated and why, the sizes, and the flag a compile needs."""

    def __init__(self):
        self.calibrate = None  # "host" or "compiler"
        self.reason = ""  # the line printed about the choice
        self.macs = 0
        self.values = 0  # activation values of one calibration pass (the input and every buffer)
        self.arena_bytes = 0
        self.samples = 0
        self.passes = 0  # declarations of CalibrationPasses (compiler path)
        self.ops_per_pass = 0  # estimated constexpr operations of the largest calibration declaration
        self.ops_limit = None  # -fconstexpr-ops-limit value the header needs, or None
        self.seconds = 0.0  # the exporter's time for the host calibration
        self.calibration = None  # the host calibration's result (qpipe_calibration.Calibration)
        self.input_grid = None  # host calibration: the input grid (scale, zero point)
        self.grids = {}  # host calibration: each block's output grid, by block name
        self.path = None
        self.summary = None  # summary.Summary: layers, parameters, MACs, arena, compile flags

    def notes(self):
        """What the summary says before its figures: where calibration ran, and the limit it needs."""
        out = [self.reason]
        if self.ops_limit is not None:
            out.append(
                "compile the header with -fconstexpr-ops-limit=%d (a calibration declaration takes up to "
                "about %s constexpr operations; GCC stops one at 2^25 = %d by default)"
                % (self.ops_limit, millions(self.ops_per_pass), summary.GCC_DEFAULT_OPS_LIMIT)
            )
        return out


def millions(n):
    if n >= 1e9:  # whole millions: %.3g would write 1.06e+03 M
        return "{:,} M".format(int(round(n / 1e6)))
    return "%.3g M" % (n / 1e6) if n >= 1e5 else "{:,}".format(int(round(n)))


def choose_calibration(calibrate, items, in_shape, samples, input_observer, info, host_only=None):
    """Fill info.calibrate and info.reason, and the figures of the compiler path. host_only: why the
    compiler cannot calibrate this network (a concatenation's shared grid), or None."""
    info.macs, info.values = pass_size(items, in_shape)
    info.arena_bytes = qc.arena_bytes(items, in_shape)
    info.samples = samples
    info.passes, per_pass, last = compiler_costs(items, in_shape, samples, input_observer)
    info.ops_per_pass = max(per_pass, last)
    total = per_pass * info.passes + last
    limit = summary.ops_limit_for(info.ops_per_pass)
    size = "%s MACs x %d %s" % (millions(info.macs), samples, "sample" if samples == 1 else "samples")
    if info.passes != samples:
        size += ", %d passes for a KL observer's histogram" % info.passes
    if limit is not None:
        compiler_note = "in the compiler it would need -fconstexpr-ops-limit=%d" % limit
    else:
        compiler_note = "in the compiler about %s constexpr operations in all" % millions(total)
    if host_only is not None:
        if calibrate == "compiler":
            raise ExportError("--calibrate compiler: %s" % host_only)
        info.calibrate = "host"
        info.reason = "calibrating on the host (%s; %s)" % (size, host_only)
    elif calibrate == "host":
        info.calibrate = "host"
        info.reason = "calibrating on the host, as asked (%s; %s)" % (size, compiler_note)
    elif calibrate == "compiler":
        info.calibrate = "compiler"
        info.reason = (
            "calibrating in the compiler, as asked (%s: about %s constexpr operations in all, one pass "
            "per declaration)" % (size, millions(total))
        )
    elif total > summary.GCC_DEFAULT_OPS_LIMIT:
        info.calibrate = "host"
        info.reason = "calibrating on the host (%s; %s)" % (size, compiler_note)
    else:
        info.calibrate = "compiler"
        info.reason = (
            "calibrating in the compiler (%s: about %s constexpr operations in all, within GCC's "
            "default limit for one; --calibrate host moves it to the exporter)" % (size, millions(total))
        )
    if info.calibrate == "compiler":
        info.ops_limit = limit


def share_grids(result, groups):
    """Gives each group of blocks (the ends of a concatenation's branches) the grid of the union of
    their chosen ranges. Returns {block name: a note for its grid comment}."""
    notes = {}
    for label, blocks in groups:
        buffers = [result.block(b.calib) for b in blocks]
        lo, hi = min(b.chosen[0] for b in buffers), max(b.chosen[1] for b in buffers)
        grid = qc.min_max_grid(lo, hi)
        for block, buffer in zip(blocks, buffers):
            buffer.grid = grid
            notes[block.name] = "; the grid of %s, shared by the inputs of the concatenation '%s'" % (
                range_text((lo, hi)),
                label,
            )
    return notes


def range_text(r):
    return "[%.6g, %.6g]" % r


def grid_comment(what, b, samples):
    """Which observer chose a grid, from what."""
    text = "%s: %s over %d sample%s saw %s" % (
        what,
        observer_text(b.observer),
        samples,
        "" if samples == 1 else "s",
        range_text(b.seen),
    )
    if b.observer.method == "kl_divergence":
        text += ", clipped at |x| <= %.6g to %s" % (b.threshold, range_text(b.chosen))
    elif b.observer.method == "percentile":
        text += ", chose %s" % range_text(b.chosen)
    return text + ", on the host"


def observer_text(observer):
    return observer_cpp(observer).replace("qpipe::", "")


def build_header(
    model,
    calibration,
    namespace,
    per_channel=True,
    check_inputs=None,
    source="",
    observers=None,
    input_observer=None,
    calibrate="auto",
):
    """(the C++ header for `model` as a string, an ExportInfo); see export."""
    import torch

    if calibrate not in CALIBRATE_CHOICES:
        raise ExportError("calibrate='%s': choose host, compiler or auto" % calibrate)
    if not isinstance(model, torch.nn.Module):
        raise ExportError("the model is a value of type %s, not a torch.nn.Module" % type(model).__name__)
    cpp.check_namespace(namespace)
    input_obs = parse_observer(input_observer) if input_observer else None
    calibration = as_batch(torch, calibration, "calibration batch")
    exporter = Exporter(torch, model, calibration, per_channel, observers)
    items = exporter.run()
    unused = sorted(set(exporter.observers) - exporter.observers_used)
    if unused:
        raise ExportError(
            "observer given for '%s', which is not a layer with parameters (name a Conv2d or Linear "
            "module, the BatchNorm folded into it, a LeakyReLU or Hardswish, or an add or mul by its graph node)"
            % unused[0]
        )

    in_shape = exporter.input_qshape
    out_size = math.prod(exporter.output_qshape)
    samples = exporter.samples_nhwc(calibration)
    finite = __import__("numpy").isfinite(samples)
    if not finite.all():
        cpp_double(samples[~finite][0])  # the error the sample table of the compiler path raises
    network = calib_items(items)
    info = ExportInfo()
    host_only = None
    if exporter.shared_grids:
        host_only = (
            "the branches of the concatenation '%s' must end on one grid, which only the host calibration "
            "chooses (the union of their ranges)" % exporter.shared_grids[0][0]
        )
    choose_calibration(calibrate, network, in_shape, len(samples), input_obs, info, host_only)
    info.summary = summary.of_items(
        network, in_shape, ["-fconstexpr-ops-limit=%d" % info.ops_limit] if info.ops_limit else []
    )
    info.summary.notes = info.notes()

    host = info.calibrate == "host"
    lines = [
        "// Generated by qpipe_tools.torch%s. Do not edit." % (" from " + source if source else ""),
    ]
    if host:
        lines += [
            "// Float parameters and grids: the grids were calibrated on the host (qpipe_tools.calibration, the",
            "// compiler's calibration bit for bit); the compiler folds batch normalization and derives every",
            "// integer constant.%s" % (" Images are NHWC (torch's NCHW transposed)." if len(in_shape) == 3 else ""),
        ]
    else:
        lines += [
            "// Float parameters only: the compiler calibrates the grids (one sample per declaration), folds",
            "// batch normalization and derives every integer constant.%s"
            % (" Images are NHWC (torch's NCHW transposed)." if len(in_shape) == 3 else ""),
        ]
    lines += info.summary.comment()
    lines += [
        "#pragma once",
        "",
        "#include <array>",
        "",
        "#include <qpipe.hpp>",
        "",
        "namespace %s {" % namespace,
        "",
        "using Net = qpipe::Pipe<%s>;" % pipe_text(items),
        "using Input = qpipe::Shape<%s>;" % ", ".join(str(d) for d in in_shape),
        "",
    ]
    block_names = block_list(items)
    if host:
        start = time.monotonic()
        try:
            result = qc.calibrate(network, in_shape, samples, input_obs)
        except ValueError as e:  # batch norm with variance + epsilon not positive
            raise ExportError("host calibration: %s" % e)
        for b, buffer in enumerate(result.buffers):
            if buffer.calibrated and not (math.isfinite(buffer.grid[0]) and buffer.grid[0] > 0):
                what = "the input" if b == 0 else "the output of %s" % result.steps[b - 1].block.name
                raise ExportError("calibration gives %s no finite grid (it saw %s)" % (what, range_text(buffer.seen)))
        try:
            qc.check_constants(result)
        except ValueError as e:  # what the compiler would refuse: say it here, in one line
            raise ExportError(str(e))
        shared = share_grids(result, exporter.shared_grids)
        info.seconds = time.monotonic() - start
        info.calibration = result
        info.input_grid = result.input
        lines += [
            "// " + grid_comment("input grid", result.buffers[0], len(samples)),
            "inline constexpr qpipe::Grid input_grid{%s, %d};" % (cpp_double(result.input[0]), result.input[1]),
            "",
        ]
        for block in exporter.blocks:
            b = result.block(block.calib)
            info.grids[block.name] = b.grid
            lines.append(block.text(b.grid, grid_comment("output grid", b, len(samples)) + shared.get(block.name, "")))
        lines += [
            "",
            "inline constexpr auto spec = qpipe::make_spec<Net, Input>(%s);" % ", ".join(["input_grid"] + block_names),
            "inline constexpr auto network = qpipe::compile<spec>();  // each step a constant evaluation of its own",
            cpp.output_grid_line,
        ]
    else:
        lines += [
            "// A placeholder grid: calibration sets every grid from the samples.",
            "inline constexpr qpipe::Grid placeholder{1.0, 0};",
            "",
        ]
        lines += [block.text() for block in exporter.blocks]
        template_args = "unset_spec, calibration_samples" + (", " + observer_cpp(input_obs) if input_obs else "")
        lines += [
            "",
            "// The calibration batch (NHWC, one row per sample).",
            *cpp_table("calibration_samples", "Input::size", samples),
            "",
            "inline constexpr auto unset_spec = qpipe::make_spec<Net, Input>(%s);"
            % ", ".join(["placeholder"] + block_names),
            "",
            "// Calibration one pass per declaration (a sample through the float reference and the observers),",
            "// a function definition between two passes so that GCC frees each pass's memory before the next.",
            "inline constexpr qpipe::CalibrationPasses<%s> calibration_pass_0{};" % template_args,
            "static_assert(decltype(calibration_pass_0)::passes == %d);" % info.passes,
        ]
        for k in range(1, info.passes + 1):
            lines += [
                "inline constexpr auto calibration_pass_%d = calibration_pass_%d.next();" % (k, k - 1),
                "template <class> void calibration_pass_%d_done() {}" % k,
            ]
        lines += [
            "inline constexpr const auto& calibration = calibration_pass_%d;  // .report(): per buffer, what its "
            "observer saw and chose" % info.passes,
            "inline constexpr auto spec = calibration.make_spec();",
            "inline constexpr auto network = qpipe::compile<spec>();  // each step a constant evaluation of its own",
            cpp.input_grid_line,
            cpp.output_grid_line,
        ]
    if check_inputs is not None:
        check = as_batch(torch, check_inputs, "check inputs")
        if tuple(check.shape[1:]) != tuple(calibration.shape[1:]):
            raise ExportError(
                "the check inputs have shape %s, the calibration batch %s"
                % (tuple(check.shape), tuple(calibration.shape))
            )
        ins = exporter.samples_nhwc(check)
        outs = exporter.outputs_qpipe_layout(check)
        lines += [
            "",
            "// Inputs not in the calibration batch, and torch's float64 outputs for them (NHWC if images).",
            *cpp_table("check_inputs", "Input::size", ins),
            *cpp_table("check_outputs", str(out_size), outs),
        ]
    lines += ["", "}  // namespace %s" % namespace, ""]
    return "\n".join(lines), info


def header_text(
    model,
    calibration,
    namespace,
    per_channel=True,
    check_inputs=None,
    source="",
    observers=None,
    input_observer=None,
    calibrate="auto",
):
    """The C++ header for `model`, as a string (see export)."""
    return build_header(
        model, calibration, namespace, per_channel, check_inputs, source, observers, input_observer, calibrate
    )[0]


def export(
    model,
    calibration,
    path,
    namespace,
    per_channel=True,
    check_inputs=None,
    observers=None,
    input_observer=None,
    source="",
    calibrate="auto",
    quiet=False,
):
    """Write the qpipe header for a torch model; return an ExportInfo.

    model:        a torch.nn.Module (traced with torch.fx; exported in eval mode)
    calibration:  a batch (torch tensor or numpy array), (N, C, H, W) or (N, features)
    path:         the header to write
    namespace:    the C++ namespace of everything the header declares
    per_channel:  per-output-channel conv weight scales (TFLite's default); False for per tensor
    check_inputs: optional batch of other inputs; the header then also holds them and torch's
                  float64 outputs for them (`check_inputs`, `check_outputs`)
    observers:    {layer name: observer} for the grids calibration chooses, observer one of
                  "min_max" (the default), "percentile:LO:HI", "kl" or "kl:BINS"; a layer is named
                  by its module path (a Conv2d or Linear, or the BatchNorm folded into it, a
                  LeakyReLU or Hardswish) or, for an add or a product (and a functional leaky_relu
                  or hardswish), by its graph node (add, add_1, mul, ...)
    input_observer: the same, for the input grid
    source:       where the model came from, named in the header's first line
    calibrate:    "host": the exporter calibrates (qpipe_tools.calibration, bit for bit the
                  compiler's calibration) and writes the grids; "compiler": the header holds the
                  samples and the compiler calibrates, one pass per declaration; "auto" (default):
                  the compiler for small networks and few samples, the host otherwise
    quiet:        do not print the summary (where calibration ran, layers, parameters, MACs, the
                  planned arena, the compile flags; ExportInfo.summary holds it either way)
    Raises ExportError (one-line message) for anything qpipe cannot express, FrontEndError for a
    number C++ cannot spell or a file it cannot write.

    The model is a live module: its classes are the caller's own (a ResNet's BasicBlock defined in
    the training script needs no import path), which the command line, unpickling a file, cannot
    offer."""
    text, info = build_header(
        model,
        calibration,
        namespace,
        per_channel,
        check_inputs,
        source=source,
        observers=observers,
        input_observer=input_observer,
        calibrate=calibrate,
    )
    info.path = path
    cpp.write(path, text)
    if not quiet:
        for line in info.summary.lines(PROG, path):
            print(line)
    return info


def load_array(path, what):
    import numpy

    try:
        return numpy.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ExportError("%s file '%s' does not exist" % (what, path))
    except Exception as e:
        raise ExportError("%s file '%s' is not a .npy array: %s" % (what, path, cli.one_line(e)))


def load_model(path):
    import torch

    try:
        # A whole saved module (torch.save(model, path)); torch 1.13 unpickles it fully.
        model = torch.load(path, map_location="cpu")
    except FileNotFoundError:
        raise ExportError("model file '%s' does not exist" % path)
    except (AttributeError, ModuleNotFoundError) as e:
        # pickle names a module's classes by module and name: a class defined in the saving script
        # (module __main__) or in a module this process cannot import is not found.
        missing = re.match(r"Can't get attribute '([^']+)' on <module '([^']+)'", str(e))
        if missing:
            need = "the class '%s' of module '%s'" % missing.groups()
        elif isinstance(e, ModuleNotFoundError) and e.name:
            need = "the module '%s'" % e.name
        else:
            raise ExportError("model file '%s' is not a saved torch model: %s" % (path, cli.one_line(e)))
        raise ExportError(
            "model file '%s' needs %s, which this program cannot import: export from the script that "
            "defines the model's classes with qpipe_tools.torch.export(model, batch, path, namespace), "
            "or put their module on PYTHONPATH (docs/frontends.md)" % (path, need)
        )
    except Exception as e:
        raise ExportError("model file '%s' is not a saved torch model: %s" % (path, cli.one_line(e)))
    if not isinstance(model, torch.nn.Module):
        raise ExportError(
            "model file '%s' holds a value of type %s, not a torch.nn.Module (save the whole module: "
            "torch.save(model, path))" % (path, type(model).__name__)
        )
    return model


def main(argv=None):
    parser = cli.parser(
        PROG,
        "A torch.nn model and a calibration batch -> a qpipe C++ header (float parameters, "
        "the grids calibrated as qpipe calibrates).",
        "a whole module saved with torch.save(model, path); a model made of your own classes "
        "exports from your script: qpipe_tools.torch.export(model, batch, path, namespace)",
    )
    parser.add_argument(
        "--calibration", required=True, metavar="BATCH", help=".npy batch, (N, C, H, W) or (N, features)"
    )
    parser.add_argument("--per-tensor", action="store_true", help="one weight scale per conv (default: per channel)")
    parser.add_argument(
        "--check-inputs", metavar="BATCH", help=".npy batch of other inputs: also write them and torch's outputs"
    )
    parser.add_argument(
        "--observer",
        action="append",
        default=[],
        metavar="LAYER=OBSERVER",
        help="how calibration chooses LAYER's output range: min_max (default), percentile:LO:HI, "
        "kl or kl:BINS (repeatable)",
    )
    parser.add_argument("--input-observer", metavar="OBSERVER", help="the same for the input range")
    parser.add_argument(
        "--calibrate",
        choices=CALIBRATE_CHOICES,
        default="auto",
        help="where the grids are calibrated: host (the exporter, bit for bit the compiler's "
        "result), compiler (the header holds the samples) or auto (default: by size)",
    )
    return cli.run(parser, argv, run)


def run(args):
    """The command line's export: the files named by args -> the header; returns the summary."""
    for name in ("numpy", "torch"):
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise ExportError("%s (run it with an interpreter that has torch and numpy, e.g. /usr/bin/python3)" % e)
    model = load_model(args.model)
    calibration = load_array(args.calibration, "calibration")
    check = load_array(args.check_inputs, "check inputs") if args.check_inputs else None
    observers = {}
    for item in args.observer:
        name, sep, what = item.partition("=")
        if not sep or not name:
            raise ExportError("--observer '%s' is not LAYER=OBSERVER" % item)
        observers[name] = what
    info = export(
        model,
        calibration,
        args.out,
        args.namespace,
        not args.per_tensor,
        check,
        observers=observers,
        input_observer=args.input_observer,
        source=args.model,
        calibrate=args.calibrate,
        quiet=True,
    )
    return info.summary


if __name__ == "__main__":
    sys.exit(main())
