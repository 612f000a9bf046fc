#!/usr/bin/python3
"""qpipe_torch: export a trained torch.nn model to a qpipe C++ header.

The header declares the network as a qpipe type (`using Net = qpipe::Pipe<...>`) and gives its
float parameters, its calibration samples and the calls that have the compiler calibrate and
quantize it:

    inline constexpr auto spec = qpipe::calibrate(qpipe::spec<Net, Input>(placeholder, blocks...), samples);
    inline constexpr auto network = qpipe::quantize(spec);

Only floats are written: every integer constant (quantized weights, biases, requantizers, tables)
is derived by the C++ compiler. Batch normalization after a convolution is written as a
`qpipe::fold_batch_norm` call, so that the compiler folds it too.

Python API:  export(model, calibration, path, namespace, per_channel=True, check_inputs=None)
Command line (use Debian's interpreter, which has torch):
    /usr/bin/python3 tools/qpipe_torch.py --model m.pt --calibration c.npy --out net.hpp --namespace ns

Supported: Conv2d (zero padding, square kernel, equal strides, groups 1 or depthwise), BatchNorm2d
after a conv (BatchNorm1d after a Linear), ReLU, ReLU6 / Hardtanh(0, 6), MaxPool2d, AvgPool2d,
AdaptiveAvgPool2d(1) and mean over H and W, ZeroPad2d, Flatten / flatten / view(N, -1), Linear,
Sigmoid, Tanh, Softmax over the features (channels), Dropout / Identity (no-ops in eval mode),
and residual adds x + f(x). Anything else is one error line naming the layer, and exit status 1.
"""

import argparse
import copy
import importlib
import math
import operator
import re
import sys
import warnings

PROG = "qpipe_torch"


class ExportError(Exception):
    """A model or input the exporter cannot turn into qpipe; the message is one line for the user."""


def layer_error(node, kind, reason):
    return ExportError("layer '%s' (%s): %s" % (node_label(node), kind, reason))


def node_label(node):
    # Modules are named by their path in the model (features.3), functions by the graph node.
    return str(node.target) if node.op == "call_module" else node.name


# ---------------------------------------------------------------------------------------------
# C++ text


def cpp_double(value):
    """Exact C++ text for a double: repr round-trips, and is valid C++ once it looks like a float."""
    value = float(value)
    if not math.isfinite(value):
        raise ExportError("a parameter or sample is not finite (%r)" % value)
    text = repr(value)
    if not any(c in text for c in ".eE"):
        text += ".0"
    return text


def cpp_braces(values, depth=0):
    """Nested lists as nested braces; the outermost level one item per line."""
    if not isinstance(values, list):
        return cpp_double(values)
    inner = [cpp_braces(v, depth + 1) for v in values]
    if depth == 0 and isinstance(values[0], list) and len(values) > 1:
        pad = "\n        "
        return "{" + pad + ("," + pad).join(inner) + "}"
    return "{" + ", ".join(inner) + "}"


CPP_KEYWORDS = set("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
char16_t char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export extern
false float for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr
operator or or_eq private protected public register reinterpret_cast requires return short signed
sizeof static static_assert static_cast struct switch template this thread_local throw true try
typedef typeid typename union unsigned using virtual void volatile wchar_t while xor xor_eq""".split())
# Names the header itself declares.
HEADER_NAMES = {"Net", "Input", "placeholder", "calibration_samples", "spec", "network", "check_inputs",
                "check_outputs", "qpipe", "std"}


# ---------------------------------------------------------------------------------------------
# What the walk over the graph produces


class Layer:
    """One qpipe layer type, with the name of its parameter block if it has one."""

    def __init__(self, cpp_type, block=None):
        self.cpp_type = cpp_type
        self.block = block


class Residual:
    """Residual<Pipe<branch...>>: the branch's items, then the add's ResidualParams block."""

    def __init__(self, items):
        self.items = items


def pipe_text(items):
    parts = []
    for item in items:
        if isinstance(item, Residual):
            parts.append("qpipe::Residual<qpipe::Pipe<%s>>" % pipe_text(item.items))
        else:
            parts.append(item.cpp_type)
    return ", ".join(parts)


def block_list(items):
    """The parameter blocks in the order spec<> wants them: each layer's, a residual's branch then its add."""
    names = []
    for item in items:
        if isinstance(item, Residual):
            names += block_list(item.items)
            names.append("qpipe::ResidualParams{placeholder}")
        elif item.block is not None:
            names.append(item.block)
    return names


def pad_layer(top, bottom, left, right):
    if top == bottom == left == right:
        return Layer("qpipe::QPad2D<%d>" % top)
    return Layer("qpipe::QPad2D<%d, %d, %d, %d>" % (top, bottom, left, right))


def with_stride(name, kernel, stride):
    return "%s<%d>" % (name, kernel) if stride == 1 else "%s<%d, %d>" % (name, kernel, stride)


def pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def observer_cpp(text):
    """C++ for an observer given as min_max, percentile:LO:HI or kl[:BINS] (see calibrate.hpp)."""
    parts = text.strip().split(":")
    try:
        if parts == ["min_max"]:
            return "qpipe::min_max()"
        if parts[0] == "percentile" and len(parts) == 3:
            lo, hi = float(parts[1]), float(parts[2])
            if 0 <= lo < hi <= 100:
                return "qpipe::percentile(%s, %s)" % (cpp_double(lo), cpp_double(hi))
        if parts[0] == "kl" and len(parts) <= 2:
            bins = int(parts[1]) if len(parts) == 2 else 2048
            if bins >= 512:
                return "qpipe::kl_divergence(%d)" % bins
    except ValueError:
        pass
    raise ExportError("observer '%s' is not min_max, percentile:LO:HI (0 <= LO < HI <= 100) or kl[:BINS] "
                      "(BINS >= 512)" % text)


# ---------------------------------------------------------------------------------------------
# The exporter


class Exporter:
    def __init__(self, torch, model, calibration, per_channel, observers=None):
        self.torch = torch
        # Layer name (a module's path, or a BatchNorm folded into it) -> C++ observer expression.
        self.observers = {name: observer_cpp(text) for name, text in (observers or {}).items()}
        self.observers_used = set()
        self.nn = torch.nn
        self.F = torch.nn.functional
        self.per_channel = per_channel
        self.blocks = []          # C++ definitions of the parameter blocks, in order
        self.block_names = set()

        # Run everything in double: the parameters are exact (float32 fits in a double) and the
        # float outputs the tests compare against are then those of qpipe's double reference.
        self.model = copy.deepcopy(model).double().eval()
        try:
            self.graph_module = torch.fx.symbolic_trace(self.model)
        except Exception as e:  # fx raises many kinds (TraceError, TypeError, ...) on dynamic code
            raise ExportError("torch.fx cannot trace the model: %s" % one_line(e))
        try:
            from torch.fx.passes.shape_prop import ShapeProp
            ShapeProp(self.graph_module).propagate(calibration)
        except Exception as e:
            raise ExportError("the model does not run on the calibration batch of shape %s: %s"
                              % (tuple(calibration.shape), one_line(e)))

        # The functions and tensor methods the walk understands.
        F = self.F
        self.relu_functions = {F.relu, torch.relu, "relu"}
        self.sigmoid_functions = {torch.sigmoid, "sigmoid"}
        self.tanh_functions = {torch.tanh, "tanh"}
        self.softmax_functions = {F.softmax, torch.softmax, "softmax"}
        self.flatten_functions = {torch.flatten, "flatten", "view", "reshape"}
        self.add_functions = {operator.add, operator.iadd, torch.add, "add"}
        self.mean_functions = {torch.mean, "mean"}

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
            raise ExportError("the calibration batch has shape %s; qpipe takes (N, C, H, W) images or "
                              "(N, features) vectors" % (shape,))
        self.input_qshape = qshape
        items, last, qshape = self.walk(inputs[0], qshape, stop=None)
        if not items:
            raise ExportError("the model has no layer qpipe can run")
        out_shape = self.torch_shape(last)
        if out_shape is None or math.prod(out_shape[1:]) != math.prod(qshape):
            raise ExportError("the model's output %s does not match the exported network's %s"
                              % (out_shape, qshape))
        self.output_qshape = qshape
        return items

    def flow_users(self, node):
        # x.size(0) in x.view(x.size(0), -1) reads only the shape: not a data path.
        return [u for u in node.users if not (u.op == "call_method" and u.target == "size")]

    def walk(self, node, qshape, stop):
        """Follow the data from `node` until the output (or until `stop`, a residual's add).

        Returns (items, the last node, the qpipe shape there)."""
        items = []
        while True:
            users = self.flow_users(node)
            if stop is not None and users == [stop]:
                return items, node, qshape
            if len(users) == 1 and users[0].op == "output":
                if stop is not None:
                    raise layer_error(stop, "add", "the residual branch does not reach this add")
                return items, node, qshape
            if len(users) == 1:
                user = users[0]
                if self.is_add(user):
                    raise layer_error(user, "add", "an add that is not a residual x + f(x) around a branch")
                new_items, node, qshape = self.convert(user, node, qshape)
                items += new_items
                continue
            adds = [u for u in users if self.is_add(u)]
            if len(users) == 2 and len(adds) >= 1:
                add = adds[0]
                branch_start = users[1] if users[0] is add else users[0]
                if self.is_add(branch_start):
                    raise layer_error(branch_start, "add", "an add that is not a residual x + f(x) around a branch")
                first, end, branch_qshape = self.convert(branch_start, node, qshape)
                rest, end, branch_qshape = self.walk(end, branch_qshape, stop=add)
                operands = self.add_operands(add)
                if set(operands) != {node, end}:
                    raise layer_error(add, "add", "an add that is not a residual x + f(x) around a branch")
                if self.torch_shape(end) != self.torch_shape(node) or branch_qshape != qshape:
                    raise layer_error(add, "add", "the residual branch changes the shape %s to %s"
                                      % (self.torch_shape(node), self.torch_shape(end)))
                if not first + rest:  # x + x, or x + dropout(x): no branch layer to build
                    raise layer_error(add, "add", "a residual around an empty branch (x + x) is not supported")
                items.append(Residual(first + rest))
                node = add
                continue
            where = "the input" if node.op == "placeholder" else "the output of '%s'" % node_label(node)
            raise ExportError("%s feeds %d layers (%s); qpipe only branches for a residual add"
                              % (where, len(users), ", ".join(node_label(u) for u in users)))

    def function_key(self, node):
        if node.op == "call_function":
            return node.target
        if node.op == "call_method":
            return node.target
        return None

    def is_add(self, node):
        return node.op in ("call_function", "call_method") and self.function_key(node) in self.add_functions

    def add_operands(self, add):
        args = list(add.args)
        # torch.add(a, b, alpha=...) / a.add(b, alpha=...): a scaled add is not a residual.
        if add.kwargs.get("alpha", 1) != 1 or len(args) > 2:
            raise layer_error(add, "add", "an add with alpha is not supported")
        if len(args) != 2 or not all(hasattr(a, "op") for a in args):
            raise layer_error(add, "add", "an add of a tensor and a constant is not supported")
        return args

    # -- one node -------------------------------------------------------------------------------

    def convert(self, node, source, qshape):
        """The qpipe layers for `node` (whose data input is `source`).

        Returns (items, the node the data continues from, the qpipe shape after it)."""
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
            if module.min_val == 0 and module.max_val == 6:
                return [Layer("qpipe::QRelu6")], node, qshape
            raise layer_error(node, kind, "only Hardtanh(0, 6), a ReLU6, is supported")
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
            return [], node, qshape  # qpipe's dense layer reads its input flat
        if isinstance(module, nn.ZeroPad2d):
            self.check_image(node, kind, qshape)
            left, right, top, bottom = module.padding
            if min(module.padding) < 0:
                raise layer_error(node, kind, "negative padding (cropping) is not supported")
            return [pad_layer(top, bottom, left, right)], node, self.image_qshape(node)
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

    def convert_function(self, node, qshape):
        key = self.function_key(node)
        kind = self.kind_of(node)
        F = self.F
        if key in self.relu_functions:
            return [Layer("qpipe::QRelu")], node, qshape
        if key is F.relu6:
            return [Layer("qpipe::QRelu6")], node, qshape
        if key is F.hardtanh:
            low = node.kwargs.get("min_val", node.args[1] if len(node.args) > 1 else -1.0)
            high = node.kwargs.get("max_val", node.args[2] if len(node.args) > 2 else 1.0)
            if (low, high) == (0, 6):
                return [Layer("qpipe::QRelu6")], node, qshape
            raise layer_error(node, kind, "only hardtanh(x, 0, 6), a ReLU6, is supported")
        if key in self.sigmoid_functions:
            return [Layer("qpipe::QSigmoid")], node, qshape
        if key in self.tanh_functions:
            return [Layer("qpipe::QTanh")], node, qshape
        if key in self.softmax_functions:
            dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
            return self.convert_softmax(node, kind, dim, qshape)
        if key in self.flatten_functions:
            # flatten(x, 1) / x.view(x.size(0), -1): only the batch dimension kept.
            out_shape = self.torch_shape(node)
            in_shape = self.torch_shape(node.args[0])
            if out_shape is None or len(out_shape) != 2 or out_shape[0] != in_shape[0]:
                raise layer_error(node, kind, "only flattening all but the batch dimension is supported")
            return [], node, qshape
        if key in self.mean_functions:
            dims = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
            dims = {dims} if isinstance(dims, int) else set(dims or ())
            if {d % 4 for d in dims} != {2, 3}:
                raise layer_error(node, kind, "only the mean over H and W (global average pooling) is supported")
            self.check_image(node, kind, qshape)
            return [Layer("qpipe::QGlobalAvgPool2D")], node, (qshape[2],)
        if key is F.adaptive_avg_pool2d:
            size = node.kwargs.get("output_size", node.args[1] if len(node.args) > 1 else None)
            if pair(size) != (1, 1):
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
            raise layer_error(node, kind, "softmax over dim %d of a %d-D tensor: qpipe's softmax runs over the "
                              "channels (dim 1) only" % (dim, rank))
        return [Layer("qpipe::QSoftmax")], node, qshape

    # -- layers with parameters -----------------------------------------------------------------

    def block_name(self, node):
        name = re.sub(r"\W", "_", node_label(node))
        if not re.match(r"[A-Za-z_]", name):
            name = "layer_" + name
        if name in CPP_KEYWORDS or name in HEADER_NAMES:
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
        users = self.flow_users(node)
        if len(users) == 1 and users[0].op == "call_module":
            module = self.graph_module.get_submodule(users[0].target)
            if isinstance(module, kind_wanted):
                return users[0], module
        return None, None

    def batch_norm_text(self, bn_node, bn, channels):
        kind = type(bn).__name__
        if bn.running_mean is None or bn.running_var is None:
            raise layer_error(bn_node, kind, "batch normalization without running statistics cannot be folded")
        gamma = self.array(bn.weight) if bn.affine else [1.0] * channels
        beta = self.array(bn.bias) if bn.affine else [0.0] * channels
        return ("qpipe::BatchNorm<%d>{\n    .gamma = %s,\n    .beta = %s,\n    .mean = %s,\n"
                "    .variance = %s,\n    .epsilon = %s}"
                % (channels, cpp_braces(list(map(float, gamma))), cpp_braces(list(map(float, beta))),
                   cpp_braces(self.array(bn.running_mean).tolist()), cpp_braces(self.array(bn.running_var).tolist()),
                   cpp_double(bn.eps)))

    def add_block(self, node, cpp_type, weights, bias, bn_kind):
        """Define the block (folding a following batch normalization) and return (name, last node)."""
        name = self.block_name(node)
        body = ("    .weights = %s,\n    .bias = %s,\n    .output = {1.0, 0},\n"
                % (cpp_braces(weights), cpp_braces(bias)))
        bn_node, bn = self.batch_norm_after(node, bn_kind)
        for label in [node_label(node)] + ([node_label(bn_node)] if bn is not None else []):
            if label in self.observers:
                body += "    .observer = %s,\n" % self.observers[label]
                self.observers_used.add(label)
        if bn is None:
            self.blocks.append("inline constexpr %s %s{\n%s};" % (cpp_type, name, body))
            return name, node
        raw = name + "_unfolded"
        self.block_names.add(raw)
        self.blocks.append("inline constexpr %s %s{\n%s};" % (cpp_type, raw, body))
        channels = len(bias)
        self.blocks.append("// %s folded in by the compiler.\ninline constexpr auto %s = qpipe::fold_batch_norm(%s, %s);"
                           % (node_label(bn_node), name, raw, self.batch_norm_text(bn_node, bn, channels)))
        return name, bn_node

    def convert_conv(self, node, conv, qshape):
        kind = type(conv).__name__
        self.check_image(node, kind, qshape)
        kh, kw = conv.kernel_size
        sh, sw = conv.stride
        if kh != kw:
            raise layer_error(node, kind, "kernel %dx%d: qpipe convolutions are square" % (kh, kw))
        if sh != sw:
            raise layer_error(node, kind, "stride %s: qpipe takes the same stride in both directions" % (conv.stride,))
        if tuple(conv.dilation) != (1, 1):
            raise layer_error(node, kind, "dilation is not supported")
        if conv.padding_mode != "zeros":
            raise layer_error(node, kind, "padding mode '%s': only zero padding is supported" % conv.padding_mode)
        k, s = kh, sh
        if conv.padding == "valid":
            pads = (0, 0, 0, 0)
        elif conv.padding == "same":  # stride 1; torch puts the odd cell at the end
            total = k - 1
            pads = (total // 2, total - total // 2, total // 2, total - total // 2)
        else:
            ph, pw = conv.padding
            pads = (ph, ph, pw, pw)
        items = [pad_layer(*pads)] if any(pads) else []
        in_c, out_c = conv.in_channels, conv.out_channels
        weight = self.array(conv.weight)  # OIHW
        bias = self.array(conv.bias).tolist() if conv.bias is not None else [0.0] * out_c
        if conv.groups == 1:
            if k == 1 and s == 1:
                layer = "qpipe::QPointwiseConv2DPerChannel" if self.per_channel else "qpipe::QPointwiseConv2D"
                cpp_type = "qpipe::PointwiseConv2DParams<%d, %d>" % (in_c, out_c)
                weights = weight[:, :, 0, 0].tolist()  # [out][in]
            else:
                layer = with_stride("qpipe::QConv2DPerChannel" if self.per_channel else "qpipe::QConv2D", k, s)
                cpp_type = "qpipe::Conv2DParams<%d, %d, %d>" % (k, in_c, out_c)
                weights = weight.transpose(0, 2, 3, 1).tolist()  # OIHW -> [out][ky][kx][in]
        elif conv.groups == in_c == out_c:
            layer = with_stride("qpipe::QDepthwiseConv2D", k, s)
            cpp_type = "qpipe::DepthwiseConv2DParams<%d, %d>" % (k, in_c)
            weights = weight[:, 0, :, :].transpose(1, 2, 0).tolist()  # (C, 1, KH, KW) -> [ky][kx][c]
        else:
            raise layer_error(node, kind, "groups=%d: only 1 or depthwise (groups == in == out channels) are "
                              "supported" % conv.groups)
        name, last = self.add_block(node, cpp_type, weights, bias, self.nn.BatchNorm2d)
        items.append(Layer(layer, name))
        return items, last, self.image_qshape(node)

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
        name, last = self.add_block(node, cpp_type, weight.tolist(), bias, self.nn.BatchNorm1d)
        return [Layer("qpipe::QDense<%d>" % linear.out_features, name)], last, (linear.out_features,)

    def convert_pool(self, node, pool, qshape):
        kind = type(pool).__name__
        self.check_image(node, kind, qshape)
        k = pair(pool.kernel_size)
        s = pair(pool.stride if pool.stride is not None else pool.kernel_size)
        p = pair(pool.padding)
        if k[0] != k[1] or s[0] != s[1]:
            raise layer_error(node, kind, "kernel %s stride %s: qpipe pools are square with one stride" % (k, s))
        items = []
        if isinstance(pool, self.nn.MaxPool2d):
            if pair(pool.dilation) != (1, 1) or pool.return_indices:
                raise layer_error(node, kind, "dilation and return_indices are not supported")
            if p != (0, 0):  # torch pads a max pool with -inf, qpipe's pad with 0
                raise layer_error(node, kind, "a padded max pool is not supported")
            name = "qpipe::QMaxPool2D"
        else:
            if pool.divisor_override is not None:
                raise layer_error(node, kind, "divisor_override is not supported")
            if p != (0, 0):
                if not pool.count_include_pad:
                    raise layer_error(node, kind, "padding with count_include_pad=False is not supported")
                items.append(pad_layer(p[0], p[0], p[1], p[1]))  # zeros counted: a pad, then a VALID pool
            name = "qpipe::QAvgPool2D"
        h, w, c = qshape
        out = self.image_qshape(node)
        valid = ((h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1, c)
        if out != valid:  # ceil_mode adding a partial window
            raise layer_error(node, kind, "ceil_mode with a partial window is not supported")
        items.append(Layer(name + ("<%d>" % k[0] if s[0] == k[0] else "<%d, %d>" % (k[0], s[0]))))
        return items, node, out

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


def one_line(exception):
    text = str(exception).strip().splitlines()
    return (text[0] if text else type(exception).__name__)[:300]


def as_batch(torch, data, what):
    """A float64 torch tensor from a tensor or numpy array."""
    try:
        tensor = data if isinstance(data, torch.Tensor) else torch.from_numpy(__import__("numpy").asarray(data))
    except Exception as e:
        raise ExportError("the %s is not an array of numbers: %s" % (what, one_line(e)))
    if not (tensor.is_floating_point() or tensor.dtype in (torch.int8, torch.uint8, torch.int16, torch.int32,
                                                           torch.int64)):
        raise ExportError("the %s has element type %s, not numbers" % (what, tensor.dtype))
    if tensor.dim() not in (2, 4) or tensor.shape[0] < 1:
        raise ExportError("the %s has shape %s; expected (N, C, H, W) or (N, features)" % (what, tuple(tensor.shape)))
    return tensor.double()


def cpp_table(name, width, rows):
    """Lines of `inline constexpr std::array<std::array<double, width>, N> name{{...}};`."""
    return ["inline constexpr std::array<std::array<double, %s>, %d> %s{{" % (width, len(rows), name),
            ",\n".join("    " + cpp_braces(row.tolist(), depth=1) for row in rows),
            "}};"]


def header_text(model, calibration, namespace, per_channel=True, check_inputs=None, source="", observers=None,
                input_observer=None):
    """The C++ header for `model`, as a string (see export)."""
    import torch

    if not isinstance(model, torch.nn.Module):
        raise ExportError("the model is a value of type %s, not a torch.nn.Module" % type(model).__name__)
    if not re.fullmatch(r"[A-Za-z_]\w*(::[A-Za-z_]\w*)*", namespace or "") or namespace in CPP_KEYWORDS:
        raise ExportError("namespace '%s' is not a C++ identifier" % namespace)
    calibration = as_batch(torch, calibration, "calibration batch")
    exporter = Exporter(torch, model, calibration, per_channel, observers)
    items = exporter.run()
    unused = sorted(set(exporter.observers) - exporter.observers_used)
    if unused:
        raise ExportError("observer given for '%s', which is not a layer with parameters (name a Conv2d or Linear "
                          "module, or the BatchNorm folded into it)" % unused[0])
    calibrate_extra = ", " + observer_cpp(input_observer) if input_observer else ""

    in_shape = exporter.input_qshape
    out_size = math.prod(exporter.output_qshape)
    samples = exporter.samples_nhwc(calibration)
    lines = [
        "// Generated by tools/qpipe_torch.py%s. Do not edit." % (" from " + source if source else ""),
        "// Float parameters only: the compiler calibrates the grids, folds batch normalization and",
        "// derives every integer constant.%s" % (" Images are NHWC (torch's NCHW transposed)." if len(in_shape) == 3 else ""),
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
    lines += exporter.blocks
    lines += [
        "",
        "// The calibration batch (NHWC, one row per sample).",
        *cpp_table("calibration_samples", "Input::size", samples),
        "",
        "// A placeholder grid: calibrate() sets every grid from the samples.",
        "inline constexpr qpipe::Grid placeholder{1.0, 0};",
        "inline constexpr auto spec = qpipe::calibrate(",
        "    qpipe::spec<Net, Input>(%s),\n    calibration_samples%s);" % (", ".join(["placeholder"] + block_list(items)),
                                                                   calibrate_extra),
        "inline constexpr auto network = qpipe::quantize(spec);",
    ]
    if check_inputs is not None:
        check = as_batch(torch, check_inputs, "check inputs")
        if tuple(check.shape[1:]) != tuple(calibration.shape[1:]):
            raise ExportError("the check inputs have shape %s, the calibration batch %s"
                              % (tuple(check.shape), tuple(calibration.shape)))
        ins = exporter.samples_nhwc(check)
        outs = exporter.outputs_qpipe_layout(check)
        lines += [
            "",
            "// Inputs not in the calibration batch, and torch's float64 outputs for them (NHWC if images).",
            *cpp_table("check_inputs", "Input::size", ins),
            *cpp_table("check_outputs", str(out_size), outs),
        ]
    lines += ["", "}  // namespace %s" % namespace, ""]
    return "\n".join(lines)


def export(model, calibration, path, namespace, per_channel=True, check_inputs=None, observers=None,
           input_observer=None, source=""):
    """Write the qpipe header for a torch model.

    model:        a torch.nn.Module (traced with torch.fx; exported in eval mode)
    calibration:  a batch (torch tensor or numpy array), (N, C, H, W) or (N, features); keep N small,
                  the compiler runs the float network on every sample
    path:         the header to write
    namespace:    the C++ namespace of everything the header declares
    per_channel:  per-output-channel conv weight scales (TFLite's default); False for per tensor
    check_inputs: optional batch of other inputs; the header then also holds them and torch's
                  float64 outputs for them (`check_inputs`, `check_outputs`)
    observers:    {layer name: observer} for the grids calibration chooses, observer one of
                  "min_max" (the default), "percentile:LO:HI", "kl" or "kl:BINS"; a layer is named
                  by its module path (a Conv2d or Linear, or the BatchNorm folded into it)
    input_observer: the same, for the input grid
    source:       where the model came from, named in the header's first line
    Raises ExportError (one-line message) for anything qpipe cannot express."""
    text = header_text(model, calibration, namespace, per_channel, check_inputs, source=source, observers=observers,
                       input_observer=input_observer)
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        raise ExportError("cannot write '%s': %s" % (path, e.strerror or e))


def load_array(path, what):
    import numpy
    try:
        return numpy.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ExportError("%s file '%s' does not exist" % (what, path))
    except Exception as e:
        raise ExportError("%s file '%s' is not a .npy array: %s" % (what, path, one_line(e)))


def load_model(path):
    import torch
    try:
        # A whole saved module (torch.save(model, path)); torch 1.13 unpickles it fully.
        model = torch.load(path, map_location="cpu")
    except FileNotFoundError:
        raise ExportError("model file '%s' does not exist" % path)
    except Exception as e:
        raise ExportError("model file '%s' is not a saved torch model: %s" % (path, one_line(e)))
    if not isinstance(model, torch.nn.Module):
        raise ExportError("model file '%s' holds a value of type %s, not a torch.nn.Module (save the whole module: "
                          "torch.save(model, path))" % (path, type(model).__name__))
    return model


class ArgumentParser(argparse.ArgumentParser):
    """Command-line mistakes too get one line and exit status 1, like bad models."""

    def error(self, message):
        print("%s: error: %s" % (PROG, message), file=sys.stderr)
        sys.exit(1)


def main(argv):
    parser = ArgumentParser(prog=PROG, description="Export a torch.nn model to a qpipe C++ header.")
    parser.add_argument("--model", required=True, help="a whole module saved with torch.save(model, path)")
    parser.add_argument("--calibration", required=True, help=".npy batch, (N, C, H, W) or (N, features)")
    parser.add_argument("--out", required=True, help="the header to write")
    parser.add_argument("--namespace", required=True, help="C++ namespace of the generated declarations")
    parser.add_argument("--per-tensor", action="store_true", help="one weight scale per conv (default: per channel)")
    parser.add_argument("--check-inputs", help=".npy batch of other inputs: also write them and torch's outputs")
    parser.add_argument("--observer", action="append", default=[], metavar="LAYER=OBSERVER",
                        help="how calibration chooses LAYER's output range: min_max (default), percentile:LO:HI, "
                             "kl or kl:BINS (repeatable)")
    parser.add_argument("--input-observer", metavar="OBSERVER", help="the same for the input range")
    args = parser.parse_args(argv)
    # torch warns on stderr (e.g. about changed source code of a saved class): the contract is
    # one error line or nothing.
    warnings.simplefilter("ignore")
    try:
        for name in ("numpy", "torch"):
            importlib.import_module(name)
    except ImportError as e:
        print("%s: error: %s (run it with an interpreter that has torch and numpy, e.g. /usr/bin/python3)"
              % (PROG, e), file=sys.stderr)
        return 1
    try:
        model = load_model(args.model)
        calibration = load_array(args.calibration, "calibration")
        check = load_array(args.check_inputs, "check inputs") if args.check_inputs else None
        observers = {}
        for item in args.observer:
            name, sep, what = item.partition("=")
            if not sep or not name:
                raise ExportError("--observer '%s' is not LAYER=OBSERVER" % item)
            observers[name] = what
        export(model, calibration, args.out, args.namespace, not args.per_tensor, check, observers=observers,
               input_observer=args.input_observer, source=args.model)
    except ExportError as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 1
    except Exception as e:  # a bug or a case not foreseen: still one line, never a traceback
        print("%s: error: internal error (%s): %s" % (PROG, type(e).__name__, one_line(e)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
