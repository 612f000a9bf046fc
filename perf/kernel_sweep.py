#!/usr/bin/env python3
"""The kernel sweep: every convolution, depthwise, pointwise and dense kernel of the Cortex-M0
backend, one layer at a time, end to end (MACs, requantization, stores), across channel counts.

usage: kernel_sweep.py [--channels 8,16,...] [--cases 1x1,3x3s1,...] [--jobs N] [--trace block|insn]
                       [--backend fast|byte-weights] [--results FILE] [--workdir DIR] [--source-root DIR]

Each case is a network of one layer (a convolution with its ReLU folded into the requantization,
or a dense layer), written as a header like the exporters' (seeded int8 weights with per-channel
scales, biases and grids chosen so that the outputs spread over the int8 range) and profiled by
perf/m0_profile.py --header on the larger M0 part (meson.build's m0_large_*: the big layers do
not fit the micro:bit). For each case it prints the layer's estimated cycles per MAC (the step's
own cycles: the kernel, its requantization and stores, over the MACs Model::stage_macs counts),
the kernel the M0 dispatcher chose (the kernel's type; "reference loop (Op)" for an op it has no
kernel for), the floor (below) and the gap to it. --results writes the measurement as JSON
(perf/results/sweep.json, which perf/figures.py renders into perf/README.md). --backend
byte-weights compiles each case for qpipe::m0::ByteWeightsBackend (the convolutions' weights kept
as bytes) instead of the default backend.

The floor (floor()) is a lower bound on the cycles per MAC under the library's arithmetic and the
Cortex-M0's timing: the cheaper of multiplying bytes and multiplying lane pairs made from bytes,
plus the per-output requantization and store; perf/README.md ("The kernel sweep") gives the
argument for each term.
"""
import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import figures  # noqa: E402

CHANNELS = [8, 16, 32, 64, 128, 256]

# Output height x width per channel count: the activations of small networks shrink as the
# channels grow (4096 output bytes per layer), and the 3 x 3 full convolutions keep to about
# 2.4 M MACs (a 3 x 3 layer of 256 channels has 590 KB of weights: not a micro:bit layer).
POINTWISE_OUT = {8: (16, 32), 16: (16, 16), 32: (8, 16), 64: (8, 8), 128: (4, 8), 256: (4, 4)}
FULL_3X3_OUT = {8: (16, 16), 16: (16, 16), 32: (8, 8), 64: (8, 8), 128: (4, 4), 256: (2, 2)}

MAC_LANE, MAC_BYTE, PAIR_BYTE, PER_OUTPUT = 2.0, 3.0, 3.0, 14.0


class Case:
    def __init__(
        self, name, channels, layer, block, input_shape, output_shape, taps, weights, relu=True, input_pairs_per_byte=1
    ):
        self.name, self.channels, self.layer, self.block = name, channels, layer, block
        self.input_shape, self.output_shape, self.taps, self.weights = input_shape, output_shape, taps, weights
        self.relu, self.input_pairs_per_byte = relu, input_pairs_per_byte

    @property
    def key(self):
        return "%s-%d" % (self.name, self.channels)


def cases(channels, names):
    out = []
    for c in channels:
        h, w = POINTWISE_OUT[c]
        out.append(
            Case("1x1", c, "qpipe::QPointwiseConv2DPerChannel", ("pointwise", c, c), (h, w, c), (h, w, c), c, c * c)
        )
        for s in (1, 2):
            fh, fw = FULL_3X3_OUT[c]
            out.append(
                Case(
                    "3x3 s%d" % s,
                    c,
                    "qpipe::QConv2DPerChannel<3, %d>" % s,
                    ("conv", 3, 3, c, c),
                    ((fh - 1) * s + 3, (fw - 1) * s + 3, c),
                    (fh, fw, c),
                    9 * c,
                    9 * c * c,
                )
            )
            out.append(
                Case(
                    "dw 3x3 s%d" % s,
                    c,
                    "qpipe::QDepthwiseConv2D<3, %d>" % s,
                    ("depthwise", c),
                    ((h - 1) * s + 3, (w - 1) * s + 3, c),
                    (h, w, c),
                    9,
                    9 * c,
                    input_pairs_per_byte=2 if s == 1 else 1,
                )
            )
        out.append(
            Case(
                "stem 10x4 s2 SAME",
                c,
                "qpipe::QConv2DPerChannel<qpipe::kernel(10, 4), qpipe::stride(2), qpipe::same>",
                ("conv", 10, 4, 1, c),
                (49, 10, 1),
                (25, 5, c),
                40,
                40 * c,
            )
        )
    out.append(Case("dense", 640, "qpipe::QDense<128>", ("dense", 640, 128), (640,), (128,), 640, 640 * 128))
    out.append(Case("dense", 128, "qpipe::QDense<8>", ("dense", 128, 8), (128,), (8,), 128, 128 * 8, relu=False))
    return [k for k in out if not names or k.name.replace(" ", "") in names]


HEADER = """// Written by perf/kernel_sweep.py: the sweep's case {key}, one layer with seeded int8 weights.
#pragma once

#include <cstdint>

#include <qpipe.hpp>

namespace sweep {{

using Net = qpipe::Pipe<{layers}>;
using Input = qpipe::Shape<{input}>;

inline constexpr {params} block{{
    .weights = {{{weights}}},
    .bias = {{{bias}}},
    .output = {{{output_scale!r}, {output_zero}}},
    .weight_scale = {weight_scale},
}};

inline constexpr auto spec = qpipe::make_spec<Net, Input>(qpipe::Grid{{{input_scale!r}, {input_zero}}}, block);
inline constexpr auto network = qpipe::compile<spec{backend}>();

}}  // namespace sweep
"""

INPUT_SCALE, INPUT_ZERO = 0.02, -3
WEIGHT_SCALE = 0.004  # channel o: WEIGHT_SCALE (1 + (o mod 5) / 4); a dense layer's: 1.5 WEIGHT_SCALE


def seeded_codes(count, seed):
    """count int8 codes in [-127, 127] from a hash of their index: the mean of two uniform bytes (a
    triangular spread, most weights small as trained ones are)."""
    codes = []
    for i in range(count):
        h = (i * 2654435761 + seed) & 0xFFFFFFFF
        h ^= h >> 15
        h = (h * 2246822519) & 0xFFFFFFFF
        h ^= h >> 13
        codes.append(min(127, ((h & 0xFF) + ((h >> 8) & 0xFF)) // 2 - 127))
    return codes


# --backend: the backend type after the spec in compile<spec, ...>() ("": the default one).
BACKENDS = {"fast": "", "byte-weights": ", qpipe::m0::ByteWeightsBackend"}


def header(case, backend="fast"):
    """The case's network header: the weights as literals in the block (as the exporters write
    them; a constexpr loop that computes them costs GCC far more)."""
    kind = case.block[0]
    if kind == "pointwise":
        params = "qpipe::PointwiseConv2DParams<%d, %d, std::int8_t>" % (case.block[1], case.block[2])
        units = case.block[2]
    elif kind == "conv":
        _, kh, kw, cin, cout = case.block
        kernel = "%d" % kh if kh == kw else "qpipe::kernel(%d, %d)" % (kh, kw)
        params = "qpipe::Conv2DParams<%s, %d, %d, std::int8_t>" % (kernel, cin, cout)
        units = cout
    elif kind == "depthwise":
        params = "qpipe::DepthwiseConv2DParams<3, %d, std::int8_t>" % case.block[1]
        units = case.block[1]
    else:
        params = "qpipe::DenseParams<%d, %d, std::int8_t>" % (case.block[1], case.block[2])
        units = case.block[2]
    seed = case.channels * 7919 + len(case.name)
    codes = seeded_codes(case.weights, seed)
    weights = ",".join(("\n     " if i % 32 == 0 else "") + str(c) for i, c in enumerate(codes))
    # The accumulator's spread for uniform input codes (sd 74) and triangular weights (sd 52):
    # outputs cover about three of its standard deviations (with ReLU, [0, 3 sd]; else [-3, 3]).
    spread = math.sqrt(case.taps) * 74 * 52 * INPUT_SCALE * WEIGHT_SCALE * 1.5
    output_scale = 3 * spread / (255 if case.relu else 127.5)
    bias = ", ".join(repr(round(spread / 4 * c / 128, 9)) for c in seeded_codes(units, seed + 977))
    if kind == "dense":
        weight_scale = repr(WEIGHT_SCALE * 1.5)
    else:
        weight_scale = "{%s}" % ", ".join(repr(WEIGHT_SCALE * (1 + (o % 5) / 4)) for o in range(units))
    layers = case.layer + (", qpipe::QRelu" if case.relu else "")
    return HEADER.format(
        key=case.key,
        layers=layers,
        input=", ".join(str(d) for d in case.input_shape),
        params=params,
        weights=weights,
        bias=bias,
        output_scale=round(output_scale, 9),
        output_zero=-128 if case.relu else 0,
        weight_scale=weight_scale,
        input_scale=INPUT_SCALE,
        input_zero=INPUT_ZERO,
        backend=BACKENDS[backend],
    )


def floor(case, macs):
    """(floor, its parts): the cheaper of the byte and lane-pair forms, plus the per-output work."""
    inputs = math.prod(case.input_shape)
    outputs = math.prod(case.output_shape)
    per_output = PER_OUTPUT * outputs / macs
    byte = MAC_BYTE + (case.weights + inputs) / macs
    lane = MAC_LANE + PAIR_BYTE * (case.weights + case.input_pairs_per_byte * inputs) / macs
    form, mac = ("lane pairs", lane) if lane < byte else ("bytes", byte)
    return mac + per_output, {"form": form, "mac": mac, "per_output": per_output}


def run_case(case, args, workdir):
    folder = os.path.join(workdir, case.key.replace(" ", "_"))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "net.hpp")
    with open(path, "w") as f:
        f.write(header(case, args.backend))
    out = os.path.join(folder, "profile.json")
    cmd = [
        sys.executable,
        os.path.join(HERE, "m0_profile.py"),
        "--header",
        path,
        "--namespace",
        "sweep",
        "--large",
        "--trace",
        args.trace,
        "--workdir",
        folder,
        "--json",
        out,
        "--name",
        case.key,
        "--flag=-fconstexpr-ops-limit=4294967296",
        "--flag=-fconstexpr-loop-limit=16777216",
    ]
    if args.source_root:
        cmd += ["--source-root", args.source_root]
    start = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(
            "kernel_sweep.py: case %s failed:\n%s%s" % (case.key, done.stdout[-3000:], done.stderr[-3000:])
        )
    result = json.load(open(out))
    step = result["rows"][0]
    ran = result["routines"]["0"]
    # The functions the step's instructions ran in (forward: code inlined into the inference's own
    # function), the largest shares first.
    routines = [
        [f, round(100.0 * n / step["instructions"])] for f, n in ran.items() if n >= 0.05 * step["instructions"]
    ][:2]
    low, parts = floor(case, step["macs"])
    per_mac = step["cycles"] / step["macs"]
    return {
        "case": case.name,
        "channels": case.channels,
        "input": list(case.input_shape),
        "output": list(case.output_shape),
        "macs": step["macs"],
        "instructions": step["instructions"],
        "cycles": step["cycles"],
        "cycles_per_mac": round(per_mac, 3),
        "kernel": step["kernel"],
        "routines": routines,
        "floor": round(low, 3),
        "floor_form": parts["form"],
        "floor_mac": round(parts["mac"], 3),
        "floor_per_output": round(parts["per_output"], 3),
        "gap": round(per_mac - low, 3),
        "seconds": round(time.monotonic() - start, 1),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--channels", default=",".join(str(c) for c in CHANNELS))
    ap.add_argument(
        "--cases", default="", help="comma-separated case names without spaces (1x1, 3x3s1, dw3x3s2, dense, ...)"
    )
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--trace", choices=["block", "insn"], default="block")
    ap.add_argument("--backend", choices=sorted(BACKENDS), default="fast", help="byte-weights: ByteWeightsBackend")
    ap.add_argument("--results", help="write the measurement (JSON) here")
    ap.add_argument("--workdir")
    ap.add_argument("--source-root")
    args = ap.parse_args()
    channels = [int(c) for c in args.channels.split(",")]
    names = set(n for n in args.cases.split(",") if n)
    todo = cases(channels, names)
    workdir = args.workdir or tempfile.mkdtemp(prefix="qpipe-sweep-")
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        # The largest first, so that the two workers finish together.
        order = sorted(todo, key=lambda k: -k.weights)
        futures = {k.key: pool.submit(run_case, k, args, workdir) for k in order}
        rows = [futures[k.key].result() for k in todo]
    print("| case | channels | MACs | kernel | est. cycles/MAC | floor | gap |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for r in rows:
        print(
            "| %s | %d | %d | %s | %.2f | %.2f | %+.2f |"
            % (r["case"], r["channels"], r["macs"], r["kernel"], r["cycles_per_mac"], r["floor"], r["gap"])
        )
    print("%d cases in %.0f s (%s)" % (len(rows), time.monotonic() - start, workdir))
    if args.results:
        with open(args.results, "w") as f:
            json.dump(
                {
                    "command": "perf/kernel_sweep.py",
                    "floor_model": {
                        "mac_lane": MAC_LANE,
                        "mac_byte": MAC_BYTE,
                        "pair_per_byte": PAIR_BYTE,
                        "per_output": PER_OUTPUT,
                    },
                    "cases": rows,
                },
                f,
                indent=1,
            )
            f.write("\n")
        return figures.render_after_measurement(args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
