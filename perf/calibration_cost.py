#!/usr/bin/python3
"""What calibration costs on the host and in the compiler, on a keyword-spotting DS-CNN.

usage: calibration_cost.py [--compiler G++] [--flags "FLAGS"] [--include DIR] [--samples 1,8,32]
                           [--paths host,compiler] [--ops-limit-search] [--results FILE --run NAME]
       calibration_cost.py --fit [--compiler G++] [--include DIR] [--results FILE --run fit]
       calibration_cost.py --check-doc docs/calibration.md [--write]

The network is MLPerf Tiny's DS-CNN shape: a 49 x 10 x 1 input (MFCC frames), a 3 x 3 stride-2
stem to 64 channels, four depthwise 3 x 3 + pointwise 64 -> 64 blocks, each convolution followed
by BatchNorm and ReLU, global average pooling and a Linear layer to 12 classes: 2.41 M MACs. Its
weights are torch's default initialization under a fixed seed, its batch norms have seeded
non-trivial running statistics, its calibration batch is seeded smooth frames plus noise.

For each number of samples and each path (python3 -m qpipe_tools.torch --calibrate host|compiler) it
exports the header through the Python API and compiles it (`G++ -std=c++20 -O1 -I include` and
FLAGS, plus the -fconstexpr-ops-limit the exporter says the compiler path needs), and prints one
row: the exporter's own time (of which the host calibration), the compiler's CPU time and peak
memory (os.wait4's ru_maxrss: the driver and cc1plus), and, for the compiler path, the compiler's
cost per sample and per MAC per sample over the host path's compile of the same network (which has
the quantization alone). With
--ops-limit-search it also finds, by bisection on -fconstexpr-ops-limit with -fsyntax-only, the
constexpr operations of the largest single evaluation of each header (one calibration pass in the
compiler path; the quantization in the host path).

With --results it also stores the run under NAME in that JSON file (the other runs it holds are
kept): the command, what it printed and each row; perf/results/calibration_cost.json holds the
runs of docs/calibration.md ("timing", "ops", "fit" and "m0": perf/meson.build's benchmarks), which
perf/figures.py renders there.

--fit measures what the exporter's estimate of a calibration pass (qpipe_tools.torch.OPS_PER_MAC
and OPS_PER_VALUE) stands on: for the DS-CNN and three smaller networks of other shapes
(fit_models: convolutions with pooling, a residual block, a depthwise layer between 1 x 1 layers
over a wide image) it exports the compiler path with one sample and finds the constexpr
operations of the largest evaluation, the pass, by the same bisection; it prints each network's
MACs and activation values per pass, the operations measured, and the constants of a bound over
all of them: the least-squares fit of operations on MACs and values (relative errors), scaled up
until it covers the costliest network per its fit, rounded up to whole operations. It stores the
points in the results file (run "fit"); perf/figures.py renders them in docs/calibration.md with
the exporter's current constants, so that changing the constants without the page fails its check.
A network of dense layers alone (256 -> 256 -> 128 -> 10) was tried and left out: the largest
evaluation of its header was above 4 times its pass's estimate, which fits the quantization of its
256 x 256 layer (a dense layer uses each weight once per sample, so its weights' quantization
outweighs its pass), and the bisection, which sees only the largest evaluation, then does not
measure the pass.

--check-doc is the test of the page's two exporter outputs (the blocks between `<!-- exporter
output: PATH ... -->` and `<!-- end exporter output -->`): it exports the DS-CNN with 8 samples on
each path, as the page says, and fails, printing a diff, when a block differs from what the
exporter printed (--write rewrites them). Deterministic: no timing, nothing compiled.

Otherwise a measurement, not a test: it asserts nothing. One compile at a time (the machine may be shared).
"""
import json
import argparse
import contextlib
import difflib
import io
import math
import re
import os
import subprocess
import sys
import tempfile
import time

import figures

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))


def ds_cnn(torch):
    """The DS-CNN shape, in eval mode, with deterministic weights and batch norm statistics."""
    nn = torch.nn
    torch.manual_seed(1234)

    def conv_bn_relu(cin, cout, k, stride=1, groups=1):
        return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups), nn.BatchNorm2d(cout), nn.ReLU()]

    layers = conv_bn_relu(1, 64, 3, stride=2)
    for _ in range(4):
        layers += conv_bn_relu(64, 64, 3, groups=64) + conv_bn_relu(64, 64, 1)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 12)]
    model = nn.Sequential(*layers)
    generator = torch.Generator().manual_seed(99)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=generator)
            m.bias.data = 0.2 * torch.randn(c, generator=generator)
            m.running_mean.data = 0.1 * torch.randn(c, generator=generator)
            m.running_var.data = 0.2 + torch.rand(c, generator=generator)
    return model.eval()


def frames(torch, n, seed=5):
    """n MFCC-like inputs (n, 1, 49, 10): smooth bands over time plus noise."""
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, 49).view(1, 1, 49, 1)
    band = torch.linspace(0, 1, 10).view(1, 1, 1, 10)
    phase = torch.rand(n, 1, 1, 1, generator=g) * 6.28
    level = 2 + 3 * torch.rand(n, 1, 1, 10, generator=g)
    smooth = level * torch.sin(6.0 * t + phase + 2.0 * band)
    return smooth + 0.5 * torch.randn(n, 1, 49, 10, generator=g)


def fit_models(torch):
    """{name: (description, model in eval mode, one calibration sample)}: the networks of --fit
    besides the DS-CNN, seeded like it."""
    nn = torch.nn
    torch.manual_seed(4321)
    generator = torch.Generator().manual_seed(77)

    def conv_bn_relu(cin, cout, k, groups=1):
        return [nn.Conv2d(cin, cout, k, padding=k // 2, groups=groups), nn.BatchNorm2d(cout), nn.ReLU()]

    class Residual(nn.Module):
        """relu(x + bn(conv(relu(bn(conv(x))))))."""

        def __init__(self, c):
            super().__init__()
            self.body = nn.Sequential(*conv_bn_relu(c, c, 3)[:3], nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c))

        def forward(self, x):
            return torch.relu(x + self.body(x))

    models = {
        "convnet": (
            "16x16x3, 3x3 convs to 16, 32, 64 with max pools, BN + ReLU, GAP, Linear 10",
            nn.Sequential(
                *conv_bn_relu(3, 16, 3),
                nn.MaxPool2d(2),
                *conv_bn_relu(16, 32, 3),
                nn.MaxPool2d(2),
                *conv_bn_relu(32, 64, 3),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Linear(64, 10),
            ),
            (1, 3, 16, 16),
        ),
        "resnet": (
            "12x12x8, 3x3 conv to 16, a residual block of two 3x3 convs, BN + ReLU, GAP, Linear 10",
            nn.Sequential(
                *conv_bn_relu(8, 16, 3), Residual(16), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10)
            ),
            (1, 8, 12, 12),
        ),
        "wide": (
            "32x32x4, pw 4->16, dw 3x3, avg pool, pw 16->16, max pool, BN + ReLU, GAP, Linear 4",
            nn.Sequential(
                *conv_bn_relu(4, 16, 1),
                *conv_bn_relu(16, 16, 3, groups=16),
                nn.AvgPool2d(2),
                *conv_bn_relu(16, 16, 1),
                nn.MaxPool2d(2),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Linear(16, 4),
            ),
            (1, 4, 32, 32),
        ),
    }
    out = {}
    for name, (text, model, shape) in models.items():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.data = 0.5 + torch.rand(c, generator=generator)
                m.bias.data = 0.2 * torch.randn(c, generator=generator)
                m.running_mean.data = 0.1 * torch.randn(c, generator=generator)
                m.running_var.data = 0.2 + torch.rand(c, generator=generator)
        out[name] = (text, model.eval(), torch.randn(*shape, generator=generator))
    return out


def compile_header(compiler, include, header, extra, syntax_only=False, flags=(), namespace="ds_cnn"):
    """(cpu seconds, peak MiB, ok, first error line) of compiling a file that includes the header."""
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "main.cpp")
        with open(source, "w") as f:
            f.write('#include "%s"\nint main() { return %s::network.macs > 0 ? 0 : 1; }\n' % (header, namespace))
        command = [compiler, "-std=c++20", "-O1", "-I", include] + list(flags) + extra
        command += ["-fsyntax-only", source] if syntax_only else ["-c", source, "-o", os.path.join(tmp, "main.o")]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
    first = next((line for line in err.splitlines() if "error" in line), "")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status) == 0, first


def ops_needed(compiler, include, header, low=1 << 16, high=1 << 34, flags=(), namespace="ds_cnn"):
    """The smallest -fconstexpr-ops-limit the header compiles with (to 1 %), by bisection."""

    def compiles(limit):
        return compile_header(compiler, include, header, ["-fconstexpr-ops-limit=%d" % limit], True, flags, namespace)[
            2
        ]

    if not compiles(high):
        return None
    if low > 1 << 16 and compiles(low):  # a bracket that missed: from the bottom
        low = 1 << 16
    while high - low > max(1, low // 100):
        mid = (low + high) // 2
        if compiles(mid):
            high = mid
        else:
            low = mid
    return high


def upper_bound_fit(points):
    """(per MAC, per value): the least-squares fit of ops on macs and values with relative errors
    (each point's equation divided by its ops), scaled by the largest ops / fit over the points and
    rounded up to whole operations; points: [(macs, values, ops)]."""
    # the 2 x 2 normal equations of min sum ((a m + b v) / o - 1)^2
    smm = sum((m / o) ** 2 for m, v, o in points)
    svv = sum((v / o) ** 2 for m, v, o in points)
    smv = sum(m * v / o**2 for m, v, o in points)
    sm = sum(m / o for m, v, o in points)
    sv = sum(v / o for m, v, o in points)
    det = smm * svv - smv * smv
    a, b = (sm * svv - sv * smv) / det, (sv * smm - sm * smv) / det
    if a <= 0 or b <= 0:  # one term alone would do: keep both positive
        a, b = max(a, 1e-9), max(b, 1e-9)
    scale = max(o / (a * m + b * v) for m, v, o in points)
    return math.ceil(a * scale), math.ceil(b * scale)


def fit(args, qpipe_torch, torch, say):
    """--fit: the points and the bound; returns the rows to store."""
    models = {
        "ds_cnn": (
            "49x10x1, the DS-CNN above (stem 3x3/2 -> 64, 4 x [dw 3x3 + pw 64->64], GAP, Linear 12)",
            ds_cnn(torch),
            frames(torch, 1),
        )
    }
    models.update(fit_models(torch))
    say("constexpr operations of one calibration pass (the compiler path, 1 sample; -fsyntax-only bisection, 1 %)")
    say("compiler: %s -std=c++20 -O1 -I %s" % (args.compiler, os.path.relpath(args.include, ROOT)))
    say("%-8s %10s %8s %14s %8s  %s" % ("network", "MACs", "values", "measured ops", "per MAC", "shape"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (text, model, batch) in models.items():
            header = os.path.join(tmp, "%s.hpp" % name)
            info = qpipe_torch.export(model, batch, header, name, calibrate="compiler", quiet=True)
            estimate = int(info.ops_per_pass)
            ops = ops_needed(args.compiler, args.include, header, low=estimate // 2, high=estimate * 4, namespace=name)
            if ops is None:  # far above the estimate: the whole range
                ops = ops_needed(args.compiler, args.include, header, namespace=name)
            rows.append({"model": name, "macs": info.macs, "values": info.values, "ops": ops})
            say(
                "%-8s %10d %8d %14s %8s  %s"
                % (
                    name,
                    info.macs,
                    info.values,
                    "over 2^34" if ops is None else "{:,}".format(ops),
                    "-" if ops is None else "%.1f" % (ops / info.macs),
                    text,
                )
            )
    points = [(r["macs"], r["values"], r["ops"]) for r in rows if r["ops"]]
    a, b = upper_bound_fit(points)
    say()
    say(
        "bound over all %d: %d operations per MAC + %d per value (least squares on relative errors,"
        % (len(points), a, b)
    )
    say("scaled to cover the costliest network, rounded up)")
    say("%-8s %14s %14s %9s" % ("network", "measured ops", "bound", "headroom"))
    for r in rows:
        if r["ops"]:
            bound = a * r["macs"] + b * r["values"]
            say(
                "%-8s %14s %14s %+8.1f %%"
                % (r["model"], "{:,}".format(r["ops"]), "{:,}".format(bound), 100.0 * (bound / r["ops"] - 1))
            )
    return rows


DOC_BLOCK = re.compile(
    r"(<!-- exporter output: (host|compiler) \(.*?\) -->\n```\n)(.*?)(```\n<!-- end exporter output -->)", re.S
)


def check_doc(doc, write):
    """0 when the page's exporter outputs are what the exporter prints now (--check-doc)."""
    import torch
    from qpipe_tools import torch as qpipe_torch

    torch.set_num_threads(1)
    model = ds_cnn(torch)
    batch = frames(torch, 8)
    printed = {}
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            for path in ("host", "compiler"):
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    # as the page says: the default (auto, which takes the host here), then the compiler
                    qpipe_torch.export(
                        model, batch, "ds_cnn.hpp", "ds_cnn", calibrate="auto" if path == "host" else path
                    )
                printed[path] = out.getvalue()
        finally:
            os.chdir(cwd)
    old = open(doc).read()
    new = DOC_BLOCK.sub(lambda m: m.group(1) + printed[m.group(2)] + m.group(4), old)
    blocks = len(DOC_BLOCK.findall(old))
    if blocks != 2:
        print("calibration_cost.py: %s has %d exporter output blocks, not 2 (host, compiler)" % (doc, blocks))
        return 1
    if new == old:
        print("calibration_cost.py: the 2 exporter outputs of %s are what the exporter prints" % doc)
        return 0
    if write:
        with open(doc, "w") as f:
            f.write(new)
        print("calibration_cost.py: rewrote the exporter outputs of %s" % doc)
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), doc + " (committed)", doc + " (what the exporter prints)"
        )
    )
    print(
        "calibration_cost.py: %s shows exporter output that the exporter no longer prints: "
        "perf/calibration_cost.py --check-doc %s --write" % (doc, doc)
    )
    return 1


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compiler", default="g++")
    parser.add_argument("--flags", default="", help="more compiler flags, one string")
    parser.add_argument("--include", default=os.path.join(ROOT, "include"))
    parser.add_argument("--samples", default="1,8,32")
    parser.add_argument("--paths", default="host,compiler")
    parser.add_argument("--ops-limit-search", action="store_true")
    parser.add_argument("--fit", action="store_true", help="the estimate's points and bound (FIT_MODELS)")
    parser.add_argument("--results", help="store the run in this JSON file (perf/results/calibration_cost.json)")
    parser.add_argument("--run", help="the name of the run in the results file (timing, ops, m0)")
    parser.add_argument("--check-doc", metavar="PAGE", help="compare the page's exporter outputs (a test)")
    parser.add_argument("--write", action="store_true", help="with --check-doc: rewrite them")
    args = parser.parse_args(argv)
    if args.check_doc:
        return check_doc(args.check_doc, args.write)

    if bool(args.results) != bool(args.run):
        print("calibration_cost.py: --results and --run go together")
        return 1
    import torch
    from qpipe_tools import torch as qpipe_torch

    torch.set_num_threads(1)
    printed = []

    def say(line=""):
        print(line, flush=True)
        printed.append(line)

    if args.fit:
        return store(args, argv, printed, fit(args, qpipe_torch, torch, say))
    model = ds_cnn(torch)
    counts = [int(n) for n in args.samples.split(",")]
    paths = args.paths.split(",")
    say("DS-CNN (49x10x1, stem 3x3/2 -> 64, 4 x [dw 3x3 + pw 64->64], BN + ReLU, GAP, Linear 12)")
    flags = args.flags.split()
    say("compiler: %s -std=c++20 -O1 -I %s %s" % (args.compiler, os.path.relpath(args.include, ROOT), " ".join(flags)))
    say(
        "%-9s %7s %9s %12s %14s %9s %10s  %s"
        % (
            "path",
            "samples",
            "export s",
            "calibrate s",
            "compile cpu s",
            "peak MiB",
            "MACs",
            "flag the exporter asked for",
        )
    )
    rows = {}
    stored = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            batch = frames(torch, n)
            for path in paths:
                header = os.path.join(tmp, "ds_cnn_%s_%d.hpp" % (path, n))
                start = time.monotonic()
                info = qpipe_torch.export(model, batch, header, "ds_cnn", calibrate=path, quiet=True)
                exported = time.monotonic() - start
                flag = ["-fconstexpr-ops-limit=%d" % info.ops_limit] if info.ops_limit else []
                cpu, mib, ok, error = compile_header(args.compiler, args.include, header, flag, flags=flags)
                rows[(path, n)] = (cpu, mib, ok, info)
                row = {
                    "path": path,
                    "samples": n,
                    "export_s": exported,
                    "compile_cpu_s": cpu if ok else None,
                    "peak_mib": mib,
                    "macs": info.macs,
                    "flag": " ".join(flag),
                    "ops_per_pass": info.ops_per_pass,
                }
                if path == "host":
                    row["calibrate_s"] = info.seconds
                say(
                    "%-9s %7d %9.2f %12s %14s %9.0f %10d  %s"
                    % (
                        path,
                        n,
                        exported,
                        "%.2f" % info.seconds if path == "host" else "-",
                        "%.2f" % cpu if ok else "FAILED",
                        mib,
                        info.macs,
                        " ".join(flag) or "-",
                    )
                )
                if not ok:
                    say("          (%s)" % error[:200])
                if args.ops_limit_search:
                    ops = ops_needed(args.compiler, args.include, header, flags=flags)
                    row["ops"] = ops
                    what = (
                        "the quantization"
                        if path == "host"
                        else "a calibration pass; the exporter estimated {:,.0f}".format(info.ops_per_pass)
                    )
                    say(
                        "          largest constant evaluation: %s constexpr operations (-fsyntax-only bisection; %s)"
                        % ("over 2^34" if ops is None else "{:,}".format(ops), what)
                    )
                stored.append(row)
    if len(paths) > 1:
        say()
        say("compiler path over the host path's compile (the quantization alone):")
        say(
            "%7s %14s %14s %20s %16s"
            % ("samples", "extra cpu s", "per sample s", "per MAC per sample", "peak MiB extra")
        )
    for n in counts:
        if ("host", n) in rows and ("compiler", n) in rows and rows[("compiler", n)][2]:
            (hc, hm, host_ok, info), (cc, cm, _, _) = rows[("host", n)], rows[("compiler", n)]
            if not host_ok:
                continue
            extra = cc - hc
            say("%7d %14.2f %14.2f %17.2f us %16.0f" % (n, extra, extra / n, 1e6 * extra / n / info.macs, cm - hm))
    return store(args, argv, printed, stored)


def store(args, argv, printed, stored):
    """With --results: the run into the results file, and the figures that show it rendered."""
    if args.results:
        results = json.load(open(args.results)) if os.path.exists(args.results) else {"runs": {}}
        skip = {i for i, a in enumerate(argv) if a in ("--results", "--run")}
        skip |= {i + 1 for i in skip}
        command = ["/usr/bin/python3", "perf/calibration_cost.py"] + [
            a.replace(ROOT + os.sep, "") for i, a in enumerate(argv) if i not in skip
        ]
        results["runs"][args.run] = {
            "command": command,
            "compiler": os.path.basename(args.compiler),
            "flags": args.flags,
            "printed": printed,
            "rows": stored,
        }
        with open(args.results, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
        return figures.render_after_measurement(args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
