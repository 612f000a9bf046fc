"""What an exported network costs, from its layers and shapes, as the library plans it.

The figures come from the same step table the compiler builds (calibration.plan: a clamp after a
layer that absorbs clamps joins that layer's step, a view such as QFlatten or QReshape holds no
bytes) and the same buffer shapes:
- MACs: Model::macs (convolutions, dense layers, a Mul's products);
- the arena: Model::peak_live_apart_bytes, the most bytes of intermediate buffers live during one
  step with every buffer apart: a bound on Model::arena_bytes, which is less where the planner lays
  a layer's output over its input (in-place layers: which kernels promise it only the compiler
  knows), and more only where an M0 lane kernel asks for a wider input buffer;
- parameter bytes: int8 weights and int32 biases, the bulk of the flash the model's data takes; the
  requantizers, tables and code come on top (the linker's figure is the real one).
"""

import dataclasses
import math
import types

# qpipe_tools.calibration (the step table) needs numpy; the functions that plan items import it
# when called, so that the constants and the flag rule (ops_limit_for) import without numpy:
# perf/figures.py renders the exporter's figures with them where numpy may be missing.

MICROBIT_RAM = 16 * 1024  # nRF51822: 16 KiB of RAM
MICROBIT_FLASH = 256 * 1024  # and 256 KiB of flash
GCC_DEFAULT_OPS_LIMIT = 1 << 25  # -fconstexpr-ops-limit's default: operations of one constant evaluation
# The quantization itself is cheap for the host build (a DS-CNN: 8.9 M operations) but the
# Cortex-M0 backend fits each output channel's requantizer by a search that costs about 210,000
# operations per channel (measured with arm-none-eabi-g++ 12 by lowering -fconstexpr-ops-limit
# until a header no longer compiles). Headers compile with qpipe::compile<spec>(), each step a
# constant evaluation of its own, so the limit applies to the largest layer (DS-CNN: 64 channels,
# about 13 M), not to the network (577 channels, 121 M).
M0_FIT_OPS_PER_CHANNEL = 210000.0


@dataclasses.dataclass
class Summary:
    layers: int  # qpipe layers declared (a merge counts once, Identity not at all)
    steps: int  # runtime steps after folding clamps (Model::stage_count)
    parameters: int  # weights and biases
    parameter_bytes: int  # int8 weights + int32 biases
    macs: int  # multiply-accumulates per inference (Model::macs)
    arena_bytes: int  # activation arena with every buffer apart (Model::peak_live_apart_bytes)
    input_shape: tuple
    output_shape: tuple
    flags: list = dataclasses.field(default_factory=list)  # compile flags the header needs on any target
    m0_flags: list = dataclasses.field(default_factory=list)  # more for a Cortex-M0 build
    notes: list = dataclasses.field(default_factory=list)  # lines a front end adds before the figures

    def fits_microbit(self):
        return self.arena_bytes <= MICROBIT_RAM and self.parameter_bytes <= MICROBIT_FLASH

    def figures(self):
        """The figures as lines, also written into the header as comments."""
        ram = "fits" if self.arena_bytes <= MICROBIT_RAM else "may not fit"
        flash = "fits" if self.parameter_bytes <= MICROBIT_FLASH else "does not fit"
        return [
            "layers %d (steps %d), input %s, output %s"
            % (self.layers, self.steps, shape_text(self.input_shape), shape_text(self.output_shape)),
            "parameters %s (weights and biases), MACs %s per inference"
            % (thousands(self.parameters), thousands(self.macs)),
            "arena at most %s bytes (buffers apart; in-place layers take less): %s the micro:bit's %s bytes of RAM"
            % (thousands(self.arena_bytes), ram, thousands(MICROBIT_RAM)),
            "flash for the parameters about %s bytes (int8 weights, int32 biases): %s the micro:bit's %s bytes"
            % (thousands(self.parameter_bytes), flash, thousands(MICROBIT_FLASH)),
            "compile with %s%s"
            % (
                " ".join(["-std=c++20", "-I<qpipe>/include"] + self.flags),
                "; for the Cortex-M0 also " + " ".join(self.m0_flags) if self.m0_flags else "",
            ),
        ]

    def comment(self):
        """The figures as the header's comment block."""
        return ["// Summary:"] + ["//   " + f for f in self.figures()]

    def lines(self, prog, path):
        """The block a front end prints after writing `path`."""
        return (
            ["%s: %s" % (prog, n) for n in self.notes]
            + ["%s: wrote %s" % (prog, path)]
            + ["  " + f for f in self.figures()]
        )


def thousands(n):
    return "{:,}".format(int(n))


def shape_text(shape):
    return "x".join(str(d) for d in shape)


def ops_limit_for(ops):
    """-fconstexpr-ops-limit for an evaluation of about `ops` operations: a power of two with a 25 %
    margin over the estimate, or None when GCC's default is enough."""
    needed = ops * 1.25
    if needed <= GCC_DEFAULT_OPS_LIMIT:
        return None
    return 1 << math.ceil(math.log2(needed))


def largest_requantized_layer(items):
    """The most output channels with a requantizer of their own (per-channel layers; one for a
    per-tensor layer) in one layer: what one step of qpipe::compile<spec>() fits."""
    from . import calibration as qc

    largest = 0
    for step in qc.plan(items):
        channels = 0
        if step.kind in ("conv", "pointwise"):
            channels = step.block.weights.shape[0] if step.layer.per_channel else 1
        elif step.kind == "depthwise":
            channels = step.block.weights.shape[-1]
        elif step.kind in ("dense", "dense_per_channel"):
            channels = step.block.weights.shape[0] if step.kind == "dense_per_channel" else 1
        largest = max(largest, channels)
    return largest


def _walk(items):
    for item in items:
        yield item
        for branch in getattr(item, "branches", []):
            yield from _walk(branch)


def of_items(items, input_shape, flags=()):
    """The Summary of a declaration given as calibration items (calibration.Layer, Merge, Residual)."""
    from . import calibration as qc

    steps = qc.plan(items)
    shapes = qc.buffer_shapes(steps, input_shape)
    layers = parameters = parameter_bytes = 0
    seen = set()
    for item in _walk(items):
        layers += 1
        block = item.block
        if block is None or getattr(block, "weights", None) is None or id(block) in seen:
            continue
        seen.add(id(block))
        w = block.weights.size
        b = 0 if block.bias is None else block.bias.size
        parameters += w + b
        parameter_bytes += w + 4 * b
    m0_limit = ops_limit_for(M0_FIT_OPS_PER_CHANNEL * largest_requantized_layer(items))
    return Summary(
        layers=layers,
        steps=len(steps),
        parameters=parameters,
        parameter_bytes=parameter_bytes,
        macs=qc.macs(items, input_shape),
        arena_bytes=qc.arena_bytes(items, input_shape),
        input_shape=tuple(input_shape),
        output_shape=tuple(shapes[-1]),
        flags=list(flags),
        m0_flags=["-fconstexpr-ops-limit=%d" % m0_limit] if m0_limit else [],
    )


def items_of_layers(layers):
    """Calibration items for the layer lists of the ONNX and TFLite readers (their Layer: kind,
    kernel, stride, dilation, same, multiplier, pads, shape, weights, bias, per_channel, branches)."""
    from . import calibration as qc

    items = []
    for x in layers:
        k = x.kind
        block = None
        if getattr(x, "weights", None) is not None:
            block = types.SimpleNamespace(weights=x.weights, bias=x.bias)
        if k == "identity":
            continue
        if k == "residual":
            items.append(qc.Residual(items_of_layers(x.branches[0]), None))
        elif k in ("add", "mul", "concat"):
            items.append(qc.Merge(k, [items_of_layers(b) for b in x.branches]))
        elif k in ("conv", "depthwise"):
            items.append(
                qc.Layer(
                    k,
                    block,
                    k=x.kernel,
                    s=x.stride,
                    d=x.dilation,
                    same=x.same,
                    multiplier=x.multiplier,
                    per_channel=x.per_channel,
                )
            )
        elif k == "pointwise":
            items.append(qc.Layer(k, block, per_channel=x.per_channel))
        elif k == "dense":
            items.append(qc.Layer("dense_per_channel" if x.per_channel else "dense", block))
        elif k in ("maxpool", "avgpool"):
            items.append(qc.Layer(k[:3] + "_pool", k=x.kernel, s=x.stride, same=x.same))
        elif k == "pad":
            items.append(qc.Layer("pad", pads=x.pads))
        elif k == "reshape":
            items.append(qc.Layer("reshape", shape=x.shape))
        else:  # gap, mean, flatten, softmax and the elementwise layers: no geometry of their own
            items.append(qc.Layer({"gap": "global_avg_pool"}.get(k, k)))
    return items
