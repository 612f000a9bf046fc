#!/usr/bin/python3
"""Run tools/qpipe_torch.py on one bad input and check how it fails.

usage: check_errors.py QPIPE_TORCH_PY CASE

A failing case must exit with status 1 and write exactly one line on stderr, starting with
`qpipe_torch: error:` and containing the case's expected words (no traceback, no warning).
The `softmax-channels` case is the control: a softmax over the channels of an image is what
qpipe's softmax computes, so it must export (status 0, nothing on stderr).
"""
import os
import subprocess
import sys
import tempfile

import numpy
import torch
from torch import nn


class Fork(nn.Module):
    """conv_a(x) + conv_b(x): an add of two branches, not a residual x + f(x)."""

    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(3, 4, 3, padding=1)
        self.conv_b = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.conv_a(x) + self.conv_b(x)


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
        return save_model(model, folder, image_batch()) + (["feeds 2 layers"],)
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
    raise SystemExit("check_errors.py: unknown case '%s'" % case)


# Command-line arguments a case adds to the export.
EXTRA_ARGS = {
    "bad-observer": ["--observer", "0=percentile:90:10"],
    "observer-of-unknown-layer": ["--observer", "fc9=kl"],
    "bad-calibrate": ["--calibrate", "gpu"],
    "bad-batch-norm-on-host": ["--calibrate", "host"],
}


def main(argv):
    if len(argv) != 2:
        print("usage: check_errors.py QPIPE_TORCH_PY CASE", file=sys.stderr)
        return 2
    tool, case = argv
    with tempfile.TemporaryDirectory() as folder:
        model, calibration, words = case_files(case, folder)
        out = os.path.join(folder, "net.hpp")
        command = [sys.executable, tool, "--model", model, "--calibration", calibration, "--out", out,
                   "--namespace", "bad"] + EXTRA_ARGS.get(case, [])
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        wrote_header = os.path.exists(out)
    lines = done.stderr.splitlines()
    print("exit status %d; stderr:\n%s" % (done.returncode, done.stderr), end="")
    if case == "softmax-channels":
        ok = done.returncode == 0 and not lines and wrote_header
        print("PASS" if ok else "FAIL: expected a successful export")
        return 0 if ok else 1
    problems = []
    if done.returncode != 1:
        problems.append("exit status %d, expected 1" % done.returncode)
    if len(lines) != 1:
        problems.append("%d stderr lines, expected exactly 1" % len(lines))
    elif not lines[0].startswith("qpipe_torch: error:"):
        problems.append("the line does not start with 'qpipe_torch: error:'")
    problems += ["the line does not contain %r" % w for w in words if not any(w in line for line in lines)]
    if wrote_header:
        problems.append("a header was written")
    print("FAIL: " + "; ".join(problems) if problems else "PASS")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
