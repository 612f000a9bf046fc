#!/usr/bin/python3
"""Run `python3 -m qpipe_tools.torch` (this checkout's python/) on one bad input and check how it fails.

usage: check_errors.py CASE

A failing case must exit with status 1 and write exactly one line on stderr, starting with
`qpipe_tools.torch: error:` and containing the case's expected words (no traceback, no warning).
The controls must export (status 0, nothing on stderr): `softmax-channels` (a softmax over the
channels of an image is what qpipe's softmax computes) and `add-of-two-branches` (conv_a(x) +
conv_b(x) is qpipe::Add<Pipe<...>, Pipe<...>>).
"""
import os
import subprocess
import sys
import tempfile

import numpy
import torch
from torch import nn


class Fork(nn.Module):
    """join(conv_a(x), conv_b(x)): two branches that an add joins again (or, with join=torch.sub,
    something that is not a merge qpipe has)."""

    def __init__(self, join=torch.add):
        super().__init__()
        self.conv_a = nn.Conv2d(3, 4, 3, padding=1)
        self.conv_b = nn.Conv2d(3, 4, 1)
        self.join = join

    def forward(self, x):
        return self.join(self.conv_a(x), self.conv_b(x))


class Functional(nn.Module):
    """A forward given as a function of (self, x): traced, then pickled without this class."""

    def __init__(self, forward, **modules):
        super().__init__()
        for name, module in modules.items():
            setattr(self, name, module)
        self.body = forward

    def forward(self, x):
        return self.body(self, x)


def traced(forward, **modules):
    return torch.fx.symbolic_trace(Functional(forward, **modules))


def image_batch():
    return numpy.random.default_rng(1).uniform(0, 1, size=(2, 3, 6, 6)).astype(numpy.float32)


def save_model(model, folder, batch):
    """Save the whole module and its calibration batch; return the two paths."""
    model_path = os.path.join(folder, "model.pt")
    calibration_path = os.path.join(folder, "calibration.npy")
    torch.save(model.eval(), model_path)
    numpy.save(calibration_path, batch)
    return model_path, calibration_path


def case_files(case, folder):
    """(model path, calibration path, words the error line must contain) for a case."""
    torch.manual_seed(0)
    vectors = numpy.random.default_rng(2).uniform(0, 1, size=(3, 4)).astype(numpy.float32)
    if case == "missing-model":
        _, calibration = save_model(nn.Sequential(nn.Linear(4, 2)), folder, vectors)
        return os.path.join(folder, "no_such_model.pt"), calibration, ["does not exist"]
    if case == "missing-calibration":
        model, _ = save_model(nn.Sequential(nn.Linear(4, 2)), folder, vectors)
        return model, os.path.join(folder, "no_such_calibration.npy"), ["does not exist"]
    if case == "not-a-model":
        _, calibration = save_model(nn.Sequential(nn.Linear(4, 2)), folder, vectors)
        path = os.path.join(folder, "random.pt")
        with open(path, "wb") as f:
            f.write(numpy.random.default_rng(3).integers(0, 256, size=4096, dtype=numpy.uint8).tobytes())
        return path, calibration, ["is not a saved torch model"]
    if case == "state-dict":
        _, calibration = save_model(nn.Sequential(nn.Linear(4, 2)), folder, vectors)
        path = os.path.join(folder, "state_dict.pt")
        torch.save(nn.Sequential(nn.Linear(4, 2)).state_dict(), path)
        return path, calibration, ["not a torch.nn.Module"]
    if case == "gelu":
        model = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2))
        return save_model(model, folder, vectors) + (["layer '1' (GELU): unsupported module"],)
    if case == "softmax-width":
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Softmax(dim=-1))
        return save_model(model, folder, image_batch()) + (["layer '1' (Softmax)", "dim 3 of a 4-D tensor"],)
    if case == "softmax-channels":
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Softmax(dim=1))
        return save_model(model, folder, image_batch()) + ([],)
    if case == "add-of-two-branches":
        # A traced GraphModule pickles its generated code: loadable without the Fork class.
        model = torch.fx.symbolic_trace(Fork())
        return save_model(model, folder, image_batch()) + ([],)
    if case == "fork-joined-by-sub":
        model = torch.fx.symbolic_trace(Fork(torch.sub))
        return save_model(model, folder, image_batch()) + (["feeds 2 layers", "join again at 'sub'"],)
    if case == "grouped-conv":
        model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.Conv2d(4, 4, 3, groups=2))
        return save_model(model, folder, image_batch()) + (["layer '1' (Conv2d)", "groups=2 with 4 -> 4 channels"],)
    if case == "avg-pool-not-same":
        # 6 x 6, stride 2: TFLite's SAME pads 0 above and 1 below; torch pads 1 on both sides.
        model = nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False))
        return save_model(model, folder, image_batch()) + (
            ["layer '0' (AvgPool2d)", "count_include_pad=False", "not TFLite SAME's placement"],
        )
    if case == "avg-pool-counts-partial-window":
        # 4 x 4 padded by 1, ceil_mode: the last window reaches past the end padding.
        model = nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True))
        return save_model(model, folder, image_batch()[:, :, :4, :4]) + (
            ["layer '0' (AvgPool2d)", "count_include_pad=True counts padded cells"],
        )
    if case == "max-pool-not-same":
        model = nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1))
        return save_model(model, folder, image_batch()) + (["layer '0' (MaxPool2d)", "padding (1, 1)"],)
    if case == "cat-along-width":
        model = traced(lambda m, x: torch.cat([x, m.conv(x)], dim=3), conv=nn.Conv2d(3, 3, 1))
        return save_model(model, folder, image_batch()) + (["layer 'cat' (cat)", "dim 3"],)
    if case == "broadcasting-add":
        model = traced(lambda m, x: x + torch.mean(x, (2, 3), keepdim=True))
        return save_model(model, folder, image_batch()) + (["layer 'add' (add)", "no broadcasting"],)
    if case == "negative-leaky-slope":
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.LeakyReLU(-0.1))
        return save_model(model, folder, image_batch()) + (["layer '1' (LeakyReLU)", "negative_slope -0.1"],)
    if case == "concat-in-the-compiler":
        model = traced(
            lambda m, x: torch.cat([m.a(x), m.b(x)], dim=1), a=nn.Conv2d(3, 2, 1), b=nn.Conv2d(3, 2, 3, padding=1)
        )
        return save_model(model, folder, image_batch()) + (["--calibrate compiler", "concatenation 'cat'"],)
    if case == "flattened-image-output":
        model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten())
        return save_model(model, folder, image_batch()) + (["flattened 2x4x4 image"],)
    if case == "conv-on-vector":
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Conv2d(4, 2, 1))
        return save_model(model, folder, image_batch()) + (["layer '2' (Conv2d)", "shape (4,)"],)
    if case == "bad-observer":
        return save_model(nn.Sequential(nn.Linear(4, 2)), folder, vectors) + (["observer 'percentile:90:10'"],)
    if case == "observer-of-unknown-layer":
        return save_model(nn.Sequential(nn.Linear(4, 2)), folder, vectors) + (["observer given for 'fc9'"],)
    if case == "bad-calibrate":
        return save_model(nn.Sequential(nn.Linear(4, 2)), folder, vectors) + (["--calibrate", "'gpu'"],)
    if case == "bad-batch-norm-on-host":
        # variance + epsilon < 0: the host calibration folds batch normalization as the compiler
        # would, and refuses it as the compiler would.
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        model[1].running_var.data = torch.full((4,), -1.0)
        return save_model(model, folder, image_batch()) + (["block 'layer_0'", "variance + epsilon not positive"],)
    if case == "bias-beyond-int32":
        # A bias of 1e30: the compiler would refuse the header (its output grid, calibrated to
        # ~1e30, makes a multiplier below 2^-32; the bias is ~1e35 accumulator steps); the exporter
        # says so first, in one line. (Found by the fuzzer.)
        model = nn.Sequential(nn.Linear(4, 2))
        model[0].bias.data = torch.tensor([1e30, 0.0])
        return save_model(model, folder, vectors) + (
            ["block 'layer_0'", "channel 0's requantizer multiplier", "outside [2^-32, 2^30)"],
        )
    if case == "batch-norm-zeroes-the-weights":
        # gamma 0 folds every weight to 0: no weight scale to derive. (Found by the fuzzer.)
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        model[1].weight.data = torch.zeros(4)
        return save_model(model, folder, image_batch()) + (
            ["block 'layer_0'", "weights are all zero", "after its batch norm is folded in"],
        )
    raise SystemExit("check_errors.py: unknown case '%s'" % case)


# Command-line arguments a case adds to the export.
EXTRA_ARGS = {
    "bad-observer": ["--observer", "0=percentile:90:10"],
    "observer-of-unknown-layer": ["--observer", "fc9=kl"],
    "bad-calibrate": ["--calibrate", "gpu"],
    "bad-batch-norm-on-host": ["--calibrate", "host"],
    "bias-beyond-int32": ["--calibrate", "host"],
    "batch-norm-zeroes-the-weights": ["--calibrate", "host"],
    "concat-in-the-compiler": ["--calibrate", "compiler"],
}
CONTROLS = ("softmax-channels", "add-of-two-branches")
PACKAGE_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python")


def main(argv):
    if len(argv) != 1:
        print("usage: check_errors.py CASE", file=sys.stderr)
        return 2
    (case,) = argv
    with tempfile.TemporaryDirectory() as folder:
        model, calibration, words = case_files(case, folder)
        out = os.path.join(folder, "net.hpp")
        command = [
            sys.executable,
            "-m",
            "qpipe_tools.torch",
            model,
            "--calibration",
            calibration,
            "--out",
            out,
            "--namespace",
            "bad",
        ] + EXTRA_ARGS.get(case, [])
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT),
        )
        wrote_header = os.path.exists(out)
    lines = done.stderr.splitlines()
    print("exit status %d; stderr:\n%s" % (done.returncode, done.stderr), end="")
    if case in CONTROLS:
        ok = done.returncode == 0 and not lines and wrote_header
        print("PASS" if ok else "FAIL: expected a successful export")
        return 0 if ok else 1
    problems = []
    if done.returncode != 1:
        problems.append("exit status %d, expected 1" % done.returncode)
    if len(lines) != 1:
        problems.append("%d stderr lines, expected exactly 1" % len(lines))
    elif not lines[0].startswith("qpipe_tools.torch: error:"):
        problems.append("the line does not start with 'qpipe_tools.torch: error:'")
    problems += ["the line does not contain %r" % w for w in words if not any(w in line for line in lines)]
    if wrote_header:
        problems.append("a header was written")
    print("FAIL: " + "; ".join(problems) if problems else "PASS")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
