#!/usr/bin/python3
"""Export the same models twice, calibrated on the host and by the compiler, for the identity test.

usage: make_identity.py OUTDIR

Writes OUTDIR/identity_{a,b,c}_{host,compiler}.hpp (namespaces identity_a_host, ...). Both headers of
a model come from the same model, the same calibration batch and the same check inputs; only
--calibrate differs. calibration_identity.cpp then requires every buffer's grid and the int8
outputs to be identical. OUTDIR/identity_{a,b}_report.hpp hold what the host calibration saw and
chose for every buffer (its range over the samples, the observer's range and KL threshold), as
exact doubles, for the test to compare with the compiler's calibration report. OUTDIR/identity_*_report.hpp
likewise for a, b and c.

- a: per-channel convolutions: Conv2d + BatchNorm2d + ReLU (percentile observer: ReLU's zeros
  repeat at its lower rank), MaxPool2d, a residual block (depthwise conv + BatchNorm + ReLU6,
  pointwise conv + BatchNorm with a KL observer over two-signed values, 128 levels; the add with a
  percentile observer, then ReLU), AvgPool2d with stride 1, a stride-2 depthwise conv + ReLU6,
  adaptive_avg_pool2d(1), Linear + Tanh + ReLU (a clamp pass of its own: a tanh takes no clamp),
  Linear (KL observer, two-signed logits) + Softmax; the input through a percentile observer.
- b: per-tensor weights: Conv2d without bias, stride 2, + ReLU6, AvgPool2d(2), flatten (an NHWC
  image read flat), Linear + BatchNorm1d + Sigmoid, Linear + ReLU (min_max), Linear (percentile
  21.5 .. 78.5: interpolated between ranks); the input through a KL observer (one-signed values,
  256 levels).
- c: the newer vocabulary: ZeroPad2d + Conv2d 6 x 4 stride 2 (TFLite SAME: qpipe::same) +
  BatchNorm2d + ReLU; a depthwise 3 x 3 with multiplier 2 and dilation 2 (SAME) + LeakyReLU
  (percentile observer); AvgPool2d((3, 1), padding (1, 0), count_include_pad=False) (SAME: a
  divisor of 2 at the borders); MaxPool2d(2, ceil_mode=True) on 5 rows (SAME); the add of two
  branches (a 1 x 1 conv, a 3 x 3 conv + Hardswish; percentile observer), the product of that
  sum and its sigmoid (Mul<Identity, Pipe<QSigmoid>>, KL observer), adaptive_avg_pool2d(1),
  Linear.
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python"))
from qpipe_tools import torch as qpipe_torch  # noqa: E402


class BlockA(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 3, padding=1, groups=c)
        self.dw_bn = nn.BatchNorm2d(c)
        self.pw = nn.Conv2d(c, c, 1)
        self.pw_bn = nn.BatchNorm2d(c)

    def forward(self, x):
        y = nn.functional.relu6(self.dw_bn(self.dw(x)))
        return torch.relu(x + self.pw_bn(self.pw(y)))


class NetA(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.stem_bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.block = BlockA(8)
        self.smooth = nn.AvgPool2d(2, stride=1)
        self.down = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.fc1 = nn.Linear(8, 6)
        self.fc2 = nn.Linear(6, 4)

    def forward(self, x):
        x = self.pool(torch.relu(self.stem_bn(self.stem(x))))  # 3x10x10 -> 8x10x10 -> 8x5x5
        x = self.smooth(self.block(x))  # 8x4x4
        x = nn.functional.relu6(self.down(x))  # 8x2x2
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(self.fc2(torch.relu(torch.tanh(self.fc1(x)))), dim=1)  # a ReLU pass of its own


class NetB(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, stride=2, bias=False)
        self.act = nn.ReLU6()
        self.pool = nn.AvgPool2d(2)
        self.fc1 = nn.Linear(16, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 6)
        self.fc3 = nn.Linear(6, 3)

    def forward(self, x):
        x = self.pool(self.act(self.conv(x)))  # 2x9x9 -> 4x4x4 -> 4x2x2
        x = torch.sigmoid(self.bn(self.fc1(torch.flatten(x, 1))))
        return self.fc3(torch.relu(self.fc2(x)))


class NetC(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 1, 2, 3))
        self.stem = nn.Conv2d(2, 6, (6, 4), stride=2)
        self.stem_bn = nn.BatchNorm2d(6)
        self.dw = nn.Conv2d(6, 12, 3, padding=2, dilation=2, groups=6)
        self.leaky = nn.LeakyReLU(0.2)
        self.smooth = nn.AvgPool2d((3, 1), stride=1, padding=(1, 0), count_include_pad=False)
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.a = nn.Conv2d(12, 8, 1)
        self.b = nn.Conv2d(12, 8, 3, padding=1)
        self.hs = nn.Hardswish()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = torch.relu(self.stem_bn(self.stem(self.pad(x))))  # 2x9x8 -> 6x5x4
        x = self.leaky(self.dw(x))  # 12x5x4
        x = self.pool(self.smooth(x))  # 12x3x2
        y = self.a(x) + self.hs(self.b(x))  # 8x3x2
        y = y * torch.sigmoid(y)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


def randomize(model, generator):
    """Seeded weights (1 / sqrt(fan in): activations neither vanish nor saturate), and non-trivial
    batch norm statistics."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            m.weight.data = 1.0 / fan_in**0.5 * torch.randn(m.weight.shape, generator=generator)
            if m.bias is not None:
                m.bias.data = 0.2 * torch.randn(m.bias.shape, generator=generator)
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=generator)
            m.bias.data = 0.2 * torch.randn(c, generator=generator)
            m.running_mean.data = 0.3 * torch.randn(c, generator=generator)
            m.running_var.data = 0.5 + torch.rand(c, generator=generator)
    return model.eval()


def main(argv):
    if len(argv) != 1:
        print("usage: make_identity.py OUTDIR", file=sys.stderr)
        return 2
    out = argv[0]
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(2024)
    models = {
        "a": (
            randomize(NetA(), generator),
            torch.rand(16, 3, 10, 10, generator=generator),
            torch.rand(6, 3, 10, 10, generator=generator),
            dict(
                per_channel=True,
                input_observer="percentile:1:99",
                observers={
                    "stem": "percentile:0.5:99.5",
                    "block.pw_bn": "kl:600",
                    "add": "percentile:0:99",
                    "fc2": "kl:512",
                },
            ),
        ),
        "b": (
            randomize(NetB(), generator),
            torch.rand(12, 2, 9, 9, generator=generator),
            torch.rand(6, 2, 9, 9, generator=generator),
            dict(per_channel=False, input_observer="kl:512", observers={"fc3": "percentile:21.5:78.5"}),
        ),
        "c": (
            randomize(NetC(), generator),
            torch.rand(10, 2, 9, 8, generator=generator),
            torch.rand(6, 2, 9, 8, generator=generator),
            dict(observers={"leaky": "percentile:0:99.5", "add": "percentile:1:99", "mul": "kl:600"}),
        ),
    }
    for name, (model, calibration, check, options) in models.items():
        for path in ("host", "compiler"):
            header = os.path.join(out, "identity_%s_%s.hpp" % (name, path))
            info = qpipe_torch.export(
                model,
                calibration,
                header,
                "identity_%s_%s" % (name, path),
                check_inputs=check,
                calibrate=path,
                **options,
            )
            if path == "host":
                write_report(
                    os.path.join(out, "identity_%s_report.hpp" % name),
                    "identity_%s_report" % name,
                    info.calibration.buffers,
                )
    return 0


def write_report(path, namespace, buffers):
    """Per buffer: {seen lo, seen hi, chosen lo, chosen hi, threshold, calibrated}."""
    d = qpipe_torch.cpp_double
    rows = [
        "    {%s, %s, %s, %s, %s, %d}"
        % (d(b.seen[0]), d(b.seen[1]), d(b.chosen[0]), d(b.chosen[1]), d(b.threshold), 1 if b.calibrated else 0)
        for b in buffers
    ]
    with open(path, "w") as f:
        f.write(
            "// Generated by make_identity.py: the host calibration's report, per buffer.\n#pragma once\n"
            "#include <array>\nnamespace %s {\ninline constexpr std::array<std::array<double, 6>, %d> rows{{\n%s\n}};\n}\n"
            % (namespace, len(rows), ",\n".join(rows))
        )


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except qpipe_torch.ExportError as e:
        print("make_identity.py: export failed: %s" % e, file=sys.stderr)
        sys.exit(1)
