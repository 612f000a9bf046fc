#!/usr/bin/python3
"""Fuzzes the TFLite reader (python3 -m qpipe_tools.tflite, this checkout's python/) with mutated TFLite models.

Every outcome must be one of
  error     exit status 1 and exactly one stderr line `qpipe_tools.tflite: error: ...` (no header written)
  compiles  exit status 0 and a header that g++ -fsyntax-only -std=c++20 accepts (this evaluates
            `qpipe::compile<spec>()`: every compile-time check of qpipe runs)
  waiting   a header that does not compile only because it uses a spelling the C++ side does not
            have yet (qpipe::kernel(...), qpipe::Add<...>, ...; probed once per spelling)
and anything else is a failure: a traceback or an internal error, another exit status, several
lines, a hang (60 s), or a header that qpipe rejects.

usage:
  fuzz.py --include include [--cxx g++] [--count 300] [--seed 1]
          [--save DIR] [--jobs 2]
      mutate the models of make_models.py --count times (seeded) and report the outcomes; --save
      writes each failing input, and one input per distinct error message, into DIR
  fuzz.py --replay DIR --include ... [--cxx g++]
      run every DIR/*.tflite (the committed corpus) through the same check

Longer run (about 1 s per mutant, more when a header compiles):
  /usr/bin/python3 tests/frontends/tflite/fuzz.py --include include \\
      --count 5000 --seed 7 --jobs 2 --save /tmp/tflite_fuzz

Mutations: bit flips, truncation, 32-bit words overwritten with boundary values (on the
serialized bytes); and edits of the description before serializing: a tensor's scale (NaN, 0,
negative, subnormal, infinite, huge, tiny) or zero point (-129, 128, ...), a dimension (0, -1,
65537, 2^31 - 1, one more or less), an operator's input or output index (-1, another tensor, out
of range, a later operator's output: a cycle), a tensor's buffer or type, an option (stride,
padding, dilation, fused activation, depth multiplier, axis, filter size, beta, alpha), the
operator's code, an operator dropped, duplicated or moved.
"""
import argparse
import concurrent.futures
import copy
import hashlib
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
PACKAGE_ROOT = os.path.join(HERE, "..", "..", "..", "python")

# A construct of each spelling the reader may write that the C++ side gained after it.
PROBES = {
    "qpipe::kernel(": "using C = qpipe::QConv2DPerChannel<qpipe::kernel(3, 2), qpipe::stride(2, 1)>;\n"
    "using B = qpipe::Conv2DParams<qpipe::kernel(3, 2), 1, 1, std::int8_t>;\n"
    "using E = qpipe::DepthwiseConv2DParams<qpipe::kernel(3, 2), 1, std::int8_t, 2>;",
    "qpipe::stride(": "using C = qpipe::QConv2DPerChannel<qpipe::kernel(3, 2), qpipe::stride(2, 1)>;",
    "qpipe::dilation(": "using C = qpipe::QConv2DPerChannel<qpipe::kernel(3, 2), qpipe::dilation(2)>;",
    "qpipe::same": "using P = qpipe::QAvgPool2D<qpipe::kernel(3, 2), qpipe::stride(1, 2), qpipe::same>;",
    "qpipe::multiplier(": "using D = qpipe::QDepthwiseConv2D<qpipe::kernel(3, 2), qpipe::multiplier(2)>;\n"
    "using E = qpipe::DepthwiseConv2DParams<3, 1, std::int8_t, 2>;",
    "qpipe::QMean": "using L = qpipe::QMean; constexpr qpipe::MeanParams p{.output = {1.0, 0}};",
    "qpipe::QReshape": "using L = qpipe::QReshape<qpipe::Shape<4>>;",
    "qpipe::QSoftmaxBeta": "using L = qpipe::QSoftmaxBeta<0.5>;",
    "qpipe::QReluN1To1": "using L = qpipe::QReluN1To1;",
    "qpipe::QLeakyRelu": "using L = qpipe::QLeakyRelu; constexpr qpipe::LeakyReluParams p{.alpha = 0.1, .output = {1.0, 0}};",
    "qpipe::QHardSwish": "using L = qpipe::QHardSwish; constexpr qpipe::HardSwishParams p{.output = {1.0, 0}};",
    "qpipe::QQuantize": "using L = qpipe::QQuantize; constexpr qpipe::QuantizeParams p{.output = {1.0, 0}};",
    "qpipe::Add<": "using L = qpipe::Add<qpipe::Pipe<qpipe::QRelu>, qpipe::Pipe<qpipe::Identity>>;\n"
    "constexpr qpipe::AddParams p{.output = {1.0, 0}};",
    "qpipe::Mul<": "using L = qpipe::Mul<qpipe::Pipe<qpipe::QRelu>, qpipe::Pipe<qpipe::Identity>>;\n"
    "constexpr qpipe::MulParams p{.output = {1.0, 0}};",
    "qpipe::Concat<": "using L = qpipe::Concat<qpipe::Pipe<qpipe::QRelu>, qpipe::Pipe<qpipe::Identity>>;",
    "qpipe::Identity": "using L = qpipe::Identity;",
}


class Checker:
    def __init__(self, include, cxx, workdir):
        self.include, self.cxx, self.workdir = include, cxx, workdir
        self.probed = {}

    def compiles(self, path, timeout=600):
        done = subprocess.run(
            [self.cxx, "-std=c++20", "-fsyntax-only", "-I", self.include, "-x", "c++", path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
        return done.returncode == 0, done.stderr.decode(errors="replace")

    def has(self, spelling):
        if spelling not in self.probed:
            fd, path = tempfile.mkstemp(suffix=".cpp", dir=self.workdir)
            with os.fdopen(fd, "w") as f:
                f.write("#include <cstdint>\n#include <qpipe.hpp>\n" + PROBES[spelling] + "\n")
            self.probed[spelling] = self.compiles(path, 120)[0]
            os.unlink(path)
        return self.probed[spelling]

    def check(self, data, tag):
        """Runs the reader on data. Returns (outcome, detail); outcome error|compiles|waiting|FAIL:..."""
        d = tempfile.mkdtemp(dir=self.workdir)
        model = os.path.join(d, "m.tflite")
        out = os.path.join(d, "m.hpp")
        with open(model, "wb") as f:
            f.write(data)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "qpipe_tools.tflite", model, "--out", out, "--namespace", "fuzzed"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                timeout=60,
                env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT),
            )
        except subprocess.TimeoutExpired:
            return "FAIL: the reader hangs (60 s)", ""
        err = done.stderr.decode(errors="replace")
        lines = err.splitlines()
        if done.returncode == 1:
            if len(lines) != 1 or not lines[0].startswith("qpipe_tools.tflite: error:"):
                return "FAIL: exit 1 without the one-line error", err[-2000:]
            if "internal error" in lines[0]:
                return "FAIL: internal error", lines[0]
            if os.path.exists(out):
                return "FAIL: a header was written with the error", lines[0]
            return "error", lines[0]
        if done.returncode != 0:
            return "FAIL: exit status %d" % done.returncode, err[-2000:]
        if lines:
            return "FAIL: stderr on success", err[-2000:]
        text = open(out).read()
        src = os.path.join(d, "m.cpp")
        with open(src, "w") as f:
            f.write('#include "m.hpp"\n')
        try:
            ok, cerr = self.compiles(src)
        except subprocess.TimeoutExpired:
            return "FAIL: the header takes over 600 s to compile", ""
        if ok:
            return "compiles", ""
        missing = [s for s in PROBES if s in text and not self.has(s)]
        if missing:
            return "waiting", "needs " + ", ".join(missing)
        first = next((l for l in cerr.splitlines() if "error" in l), cerr[:300])
        return "FAIL: the header does not compile", first[:400]


# --------------------------------------------------------------------------------------------
# Mutations


BOUNDARY_WORDS = [0, 1, 2, 3, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x10000, 255, 127, 128, 0xFFFF, 16, 1000000]
SCALES = [float("nan"), 0.0, -0.1, 1e-40, float("inf"), 1e-30, 1e30, 1.0, 1 / 256, 3e-10, 7e4]
ZERO_POINTS = [-129, 128, 1000, -128, 127, 0, -(2**40)]
DIMS = [0, -1, 1, 2, 65537, 2**31 - 1, 3]


def mutate_bytes(data, rng):
    b = bytearray(data)
    kind = rng.integers(0, 3)
    if kind == 0:
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(0, len(b)))
            b[i] ^= 1 << int(rng.integers(0, 8))
        return bytes(b), "bit flips"
    if kind == 1:
        return bytes(b[: int(rng.integers(0, len(b)))]), "truncation"
    i = int(rng.integers(0, max(1, len(b) - 4))) & ~3
    w = BOUNDARY_WORDS[int(rng.integers(0, len(BOUNDARY_WORDS)))]
    b[i : i + 4] = (w & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(b), "word %#x at %d" % (w, i)


def mutate_model(m, rng):
    import tflite_builder as tb

    m = copy.deepcopy(m)
    pick = lambda seq: seq[int(rng.integers(0, len(seq)))]
    kind = int(rng.integers(0, 12))
    t = pick(m.tensors)
    op = pick(m.ops) if m.ops else None
    if kind == 0 and t.scale:
        t.scale = list(t.scale)
        t.scale[int(rng.integers(0, len(t.scale)))] = pick(SCALES)
        return m, "scale"
    if kind == 1 and t.zero_point:
        t.zero_point = list(t.zero_point)
        t.zero_point[int(rng.integers(0, len(t.zero_point)))] = pick(ZERO_POINTS)
        return m, "zero point"
    if kind == 2 and t.shape:
        t.shape = list(t.shape)
        i = int(rng.integers(0, len(t.shape)))
        d = pick(DIMS)
        t.shape[i] = t.shape[i] + (1 if d == 3 else 0) if d == 3 else d
        return m, "dimension"
    if kind == 3 and op is not None:
        seq = op.inputs if rng.random() < 0.7 or not op.outputs else op.outputs
        if seq:
            choices = [-1, len(m.tensors) + 5, int(rng.integers(0, len(m.tensors)))]
            seq[int(rng.integers(0, len(seq)))] = pick(choices)
        return m, "tensor index"
    if kind == 4 and len(m.ops) > 1:
        # A cycle: an earlier operator reads a later one's output.
        i = int(rng.integers(0, len(m.ops) - 1))
        j = int(rng.integers(i + 1, len(m.ops)))
        if m.ops[i].inputs:
            m.ops[i].inputs[0] = m.ops[j].outputs[0]
        return m, "cycle"
    if kind == 5:
        t.buffer = int(pick([0, 1, len(m.tensors) + 50, 2**32 - 1]))
        return m, "buffer"
    if kind == 6:
        t.type = pick(["float32", "int32", "uint8", "int16", "int64", 17, 99])
        return m, "type"
    if kind == 7 and op is not None:
        key = pick(
            [
                "stride_w",
                "stride_h",
                "padding",
                "dilation_w",
                "dilation_h",
                "fused",
                "depth_multiplier",
                "axis",
                "filter_w",
                "filter_h",
                "beta",
                "alpha",
                "keep_dims",
            ]
        )
        value = pick(
            [
                0,
                -1,
                1,
                2,
                3,
                7,
                100,
                2**31 - 1,
                "SAME",
                "VALID",
                "TANH",
                "RELU",
                "RELU6",
                "RELU_N1_TO_1",
                float("nan"),
                0.5,
            ]
        )
        if key in ("padding",) and not isinstance(value, (str, int)):
            value = 3
        if key in ("fused",) and isinstance(value, float):
            value = 9
        if key in ("beta", "alpha") and isinstance(value, str):
            value = -1.0
        if isinstance(value, str) and key not in ("padding", "fused"):
            value = 2
        op.options[key] = value
        return m, "option %s" % key
    if kind == 8 and op is not None:
        op.name = pick(list(tb.OPS))
        return m, "operator code"
    if kind == 9 and len(m.ops) > 1:
        del m.ops[int(rng.integers(0, len(m.ops)))]
        return m, "operator dropped"
    if kind == 10 and op is not None:
        m.ops.insert(int(rng.integers(0, len(m.ops) + 1)), copy.deepcopy(op))
        return m, "operator duplicated"
    if kind == 11 and len(m.ops) > 1:
        i, j = int(rng.integers(0, len(m.ops))), int(rng.integers(0, len(m.ops)))
        m.ops[i], m.ops[j] = m.ops[j], m.ops[i]
        return m, "operators swapped"
    return m, "unchanged"


def seeds():
    import make_models as mm

    out = []
    for name, (features, build) in mm.MODELS.items():
        out.append((name, build(sum(ord(c) for c in name))))
    return out


def one(args, checker, index, base_seed, models):
    rng = np.random.default_rng([base_seed, index])
    name, model = models[int(rng.integers(0, len(models)))]
    how = ""
    try:
        if rng.random() < 0.4:
            data, how = mutate_bytes(model.serialize(), rng)
        else:
            m, how = mutate_model(model, rng)
            if rng.random() < 0.3:
                m, how2 = mutate_model(m, rng)
                how += " + " + how2
            try:
                data = m.serialize()
            except Exception as e:  # the builder cannot write this description (e.g. type 99 is fine, NaN ints not)
                return name, how, "skipped", "not serializable: %s" % type(e).__name__, b""
    except Exception as e:
        return name, how, "skipped", "mutation failed: %s" % e, b""
    outcome, detail = checker.check(data, "%s-%d" % (name, index))
    return name, how, outcome, detail, data


def normalize(message):
    return re.sub(r"[-+]?\d[\d.e+-]*", "N", re.sub(r"'[^']*'", "'X'", message))[:110]


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--include", required=True)
    p.add_argument("--cxx", default="g++")
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--save")
    p.add_argument("--replay")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        checker = Checker(os.path.abspath(args.include), args.cxx, work)
        if args.replay:
            files = sorted(f for f in os.listdir(args.replay) if f.endswith(".tflite"))
            failures = 0
            counts = {}
            for f in files:
                with open(os.path.join(args.replay, f), "rb") as fh:
                    outcome, detail = checker.check(fh.read(), f)
                counts[outcome.split(":")[0]] = counts.get(outcome.split(":")[0], 0) + 1
                print("%-40s %s %s" % (f, outcome, detail))
                failures += outcome.startswith("FAIL")
            print(
                "replayed %d corpus inputs: %s" % (len(files), ", ".join("%s %d" % kv for kv in sorted(counts.items())))
            )
            print("%d passed, %d failed" % (len(files) - failures, failures))
            return 1 if failures else 0
        models = seeds()
        counts, messages, failures, compiled = {}, {}, [], []
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = pool.map(lambda i: one(args, checker, i, args.seed, models), range(args.count))
            for i, (name, how, outcome, detail, data) in enumerate(results):
                key = outcome if not outcome.startswith("FAIL") else "FAIL"
                counts[key] = counts.get(key, 0) + 1
                if outcome.startswith("FAIL"):
                    failures.append((i, name, how, outcome, detail))
                    print("#%d %s (%s): %s %s" % (i, name, how, outcome, detail[:300]), flush=True)
                if outcome == "error":
                    k = normalize(detail)
                    if k not in messages:
                        messages[k] = (i, name, how, data)
                if outcome == "compiles":
                    compiled.append(i)
                if (
                    args.save
                    and data
                    and (
                        outcome.startswith("FAIL")
                        or (outcome == "error" and messages.get(normalize(detail), (None,))[0] == i)
                        or (outcome == "compiles" and len(compiled) <= 8)
                    )
                ):
                    os.makedirs(args.save, exist_ok=True)
                    tag = outcome.split(":")[0].lower()
                    h = hashlib.sha1(data).hexdigest()[:10]
                    with open(os.path.join(args.save, "%s_%s_%s.tflite" % (tag, name, h)), "wb") as f:
                        f.write(data)
        print(
            "%d mutated models (seed %d): %s"
            % (args.count, args.seed, ", ".join("%s %d" % kv for kv in sorted(counts.items())))
        )
        print("%d distinct error messages" % len(messages))
        for k in sorted(messages):
            print("  " + k)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
