"""A torch model made of the user's own nn.Module classes: exported from the user's script through the
Python API, and what the command line says when a saved file needs such a class."""
import pytest
from conftest import run_front_end

torch = pytest.importorskip("torch")
nn = torch.nn


class BasicBlock(nn.Module):
    """ResNet's basic block, defined here as a user defines it in a training script."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.block = BasicBlock(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.block(torch.relu(self.stem(x)))), 1))


def test_own_classes_export_through_the_api(tmp_path):
    from qpipe_tools import torch as qt

    torch.manual_seed(1)
    model = TinyResNet().eval()
    info = qt.export(model, torch.rand(3, 1, 6, 6), str(tmp_path / "net.hpp"), "net", calibrate="host", quiet=True)
    text = (tmp_path / "net.hpp").read_text()
    assert (
        "qpipe::Residual<qpipe::Pipe<qpipe::QConv2DPerChannel<3, qpipe::same>, qpipe::QRelu, "
        "qpipe::QConv2DPerChannel<3, qpipe::same>>>" in text
    )
    assert text.count("qpipe::fold_batch_norm(") == 2
    assert info.summary.macs == 36 * 9 * 1 * 4 + 2 * 36 * 9 * 4 * 4 + 2 * 4  # stem, two 3x3 convs, fc


def test_a_saved_file_needing_a_missing_class_says_how_to_export_it(tmp_path):
    # A whole model saved by a script whose classes the command cannot import (pickle names them
    # by module: here this test module, which the front end's process does not have on its path).
    torch.save(TinyResNet(), tmp_path / "model.pt")
    import numpy as np

    np.save(tmp_path / "batch.npy", np.zeros((1, 1, 6, 6)))
    done = run_front_end(
        "torch",
        tmp_path / "model.pt",
        "--calibration",
        tmp_path / "batch.npy",
        "--out",
        tmp_path / "net.hpp",
        "--namespace",
        "net",
        cwd=tmp_path,
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "needs the module 'test_torch_api'" in lines[0]
    assert "qpipe_tools.torch.export(model, batch, path, namespace)" in lines[0]
