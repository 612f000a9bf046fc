#!/usr/bin/python3
"""Build two small torch conv nets and export them through the Python API of qpipe_tools.torch.

usage: make_convnets.py CONVNET_HPP FLATNET_HPP MISCNET_HPP

- convnet: Conv2d + BatchNorm2d + ReLU, MaxPool2d, a residual block (3x3 conv + BN + ReLU, 1x1 conv
  + BN), ReLU, a stride-2 depthwise conv + ReLU6, AdaptiveAvgPool2d(1), Flatten, Linear: per
  channel weights, batch norm folded by the compiler, a residual, pointwise and depthwise convs.
- flatnet: a strided conv without bias, ReLU6, AvgPool2d, torch.flatten of a 2x2x4 image, Linear,
  Tanh, Linear, Softmax(dim=1): the Linear after flattening an NCHW image (weight columns
  reordered to NHWC), per-tensor weights.
- miscnet: the less common paths on a non-square image: asymmetric ZeroPad2d, padding='same',
  functional relu6, Hardtanh(0, 6), a residual inside a residual, a padded AvgPool2d (a pad then a
  VALID pool), x.view(x.size(0), -1), BatchNorm1d folded into a Linear, sigmoid, Softmax(dim=1).

Both are trained for a few seconds on a synthetic task (which channel is brightest), starting from
seeded weights and seeded non-trivial batch norm statistics, so that their outputs depend on the
input; then eval mode. Each header also gets 8 check inputs (not in the calibration batch) and
torch's float64 outputs for them.
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "python"))
from qpipe_tools import torch as qpipe_torch  # noqa: E402


class Block(nn.Module):
    """x + f(x), then ReLU: a ResNet basic block with a 1x1 second conv."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 1)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(x + y)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(2)
        self.block = Block(8)
        self.down = nn.Sequential(nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.ReLU6())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))

    def forward(self, x):
        return self.head(self.down(self.block(self.pool(self.stem(x)))))


class FlatNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2, bias=False)
        self.act = nn.ReLU6()
        self.pool = nn.AvgPool2d(2, stride=2)
        self.fc1 = nn.Linear(16, 6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        x = self.pool(self.act(self.conv(x)))  # 1x3x9x9 -> 4x4x4 -> 2x2x4
        x = torch.tanh(self.fc1(torch.flatten(x, 1)))
        return torch.softmax(self.fc2(x), dim=1)


class Inner(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 3, padding="same", groups=channels)
        self.act = nn.Hardtanh(0.0, 6.0)
        self.pointwise = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        y = self.act(self.depthwise(x))
        return y + self.pointwise(y)  # the inner residual, around the pointwise conv


class MiscNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad = nn.ZeroPad2d((1, 0, 2, 1))  # left, right, top, bottom
        self.conv = nn.Conv2d(2, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.inner = Inner(4)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.fc1 = nn.Linear(80, 6)
        self.bn1d = nn.BatchNorm1d(6)
        self.fc2 = nn.Linear(6, 3)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = nn.functional.relu6(self.bn(self.conv(self.pad(x))))  # 2x8x8 -> 4x9x7
        x = x + self.inner(x)
        x = self.pool(x)  # 4x5x4
        x = torch.sigmoid(self.bn1d(self.fc1(x.view(x.size(0), -1))))
        return self.softmax(self.fc2(x))


def randomize_batch_norms(model, generator):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=generator)
            m.bias.data = 0.2 * torch.randn(c, generator=generator)
            m.running_mean.data = 0.3 * torch.randn(c, generator=generator)
            m.running_var.data = 0.2 + torch.rand(c, generator=generator)


def images(n, c, size, generator):
    """Smooth per-channel patterns plus noise, in [0, 1], each channel with its own brightness."""
    y = torch.linspace(0, 1, size).view(1, 1, size, 1)
    x = torch.linspace(0, 1, size).view(1, 1, 1, size)
    phase = torch.rand(n, c, 1, 1, generator=generator) * 6.28
    freq = 1 + 3 * torch.rand(n, c, 1, 1, generator=generator)
    pattern = 0.5 + 0.5 * torch.sin(freq * (x + 0.7 * y) * 3.14 + phase)
    noise = torch.rand(n, c, size, size, generator=generator)
    gain = 0.3 + 0.7 * torch.rand(n, c, 1, 1, generator=generator)
    return (gain * (0.75 * pattern + 0.25 * noise)).clamp(0, 1)


def train(model, classes, size, generator, steps=60, channels=3):
    """A few Adam steps on "which channel is brightest" (one more class if there are more classes than
    channels: no channel above 0.45)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    model.train()
    for _ in range(steps):
        x = images(64, channels, size, generator)
        means = x.mean(dim=(2, 3))
        labels = means.argmax(dim=1)
        if classes > channels:
            labels[means.max(dim=1).values < 0.45] = channels
        optimizer.zero_grad()
        output = model(x)
        # The nets that end in softmax are trained on log-probabilities.
        logits = torch.log(output + 1e-9) if isinstance(model, (FlatNet, MiscNet)) else output
        loss = nn.functional.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
    model.eval()
    return loss.item()


def main(argv):
    if len(argv) != 3:
        print("usage: make_convnets.py CONVNET_HPP FLATNET_HPP MISCNET_HPP", file=sys.stderr)
        return 2
    torch.manual_seed(7)
    torch.set_num_threads(1)  # deterministic and light on a shared machine
    generator = torch.Generator().manual_seed(11)

    convnet = ConvNet()
    randomize_batch_norms(convnet, generator)
    print("convnet training loss %.3f" % train(convnet, 4, 12, generator))
    calibration = images(16, 3, 12, generator)
    check = images(8, 3, 12, generator)
    qpipe_torch.export(convnet, calibration, argv[0], "torch_convnet", check_inputs=check)

    flatnet = FlatNet()
    print("flatnet training loss %.3f" % train(flatnet, 3, 9, generator))
    calibration = images(12, 3, 9, generator)
    check = images(8, 3, 9, generator)
    qpipe_torch.export(flatnet, calibration, argv[1], "torch_flatnet", per_channel=False, check_inputs=check)

    miscnet = MiscNet()
    randomize_batch_norms(miscnet, generator)
    print("miscnet training loss %.3f" % train(miscnet, 3, 8, generator, channels=2))
    calibration = images(12, 2, 8, generator)
    check = images(8, 2, 8, generator)
    qpipe_torch.export(miscnet, calibration, argv[2], "torch_miscnet", check_inputs=check)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except qpipe_torch.ExportError as e:
        print("make_convnets.py: export failed: %s" % e, file=sys.stderr)
        sys.exit(1)
