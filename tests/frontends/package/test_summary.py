"""The summary's figures on small models, against numbers worked out by hand from the layers' shapes
(the rules: docs/frontends.md, "The summary")."""
import numpy as np
import pytest

from qpipe_tools import summary


def test_tflite_conv_by_hand(tmp_path):
    """make_models' conv_valid_per_channel: a 7 x 6 x 3 input, a 3 x 3 VALID convolution to 4 channels,
    per-channel weights."""
    import make_models
    from qpipe_tools import tflite

    (tmp_path / "m.tflite").write_bytes(make_models.MODELS["conv_valid_per_channel"][1](1).serialize())
    s = tflite.export(str(tmp_path / "m.tflite"), str(tmp_path / "m.hpp"), "m")
    out = 5 * 4 * 4  # 5 x 4 outputs, 4 channels
    assert (s.layers, s.steps) == (1, 1)
    assert s.macs == out * 3 * 3 * 3  # 2,160: each output reads 3 x 3 x 3 inputs
    assert s.parameters == 4 * 27 + 4  # weights and one bias per channel
    assert s.parameter_bytes == 4 * 27 + 4 * 4  # int8 weights, int32 biases
    assert s.arena_bytes == 0  # one step: input and output are the caller's
    assert (s.input_shape, s.output_shape) == ((7, 6, 3), (5, 4, 4))
    assert s.m0_flags == [] and s.fits_microbit()


torch = pytest.importorskip("torch")
nn = torch.nn


class Block(nn.Module):
    """pointwise 2 -> 4 + ReLU, then y + conv3x3(y) (a Residual), global average, Linear 4 -> 3."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 4, 1)
        self.b = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        y = torch.relu(self.a(x))
        z = y + self.b(y)
        return self.fc(z.mean((2, 3)))


def test_torch_residual_by_hand(tmp_path):
    from qpipe_tools import torch as qt

    torch.manual_seed(0)
    batch = torch.rand(4, 2, 4, 4)
    info = qt.export(Block(), batch, str(tmp_path / "net.hpp"), "net", calibrate="host", quiet=True)
    s = info.summary
    # Layers: QPointwiseConv2DPerChannel, QRelu, Residual<Pipe<QConv2DPerChannel<3, same>>> (two),
    # QGlobalAvgPool2D, QDense<3>. Steps: the ReLU joins the pointwise step: 5.
    assert (s.layers, s.steps) == (6, 5)
    # Buffers: b1 = relu(a(x)) 4x4x4, b2 = b(b1) 4x4x4, b3 = b1 + b2 4x4x4, b4 = mean 4, output 3.
    # b1 lives from step 0 to the add (step 2): at step 2 b1, b2 and b3 are live: 3 x 64 bytes, every
    # buffer apart (Model::peak_live_apart_bytes; in-place layers may lay b3 over b1).
    assert s.arena_bytes == 3 * 64
    assert s.macs == 64 * 2 + 64 * 9 * 4 + 3 * 4  # pointwise, 3 x 3 conv, dense: 2,444
    assert s.parameters == (8 + 4) + (144 + 4) + (12 + 3)
    assert s.parameter_bytes == (8 + 4 * 4) + (144 + 4 * 4) + (12 + 4 * 3)
    assert (s.input_shape, s.output_shape) == ((4, 4, 2), (3,))


def test_flash_and_ram_limits_by_hand():
    big = summary.Summary(
        layers=1,
        steps=1,
        parameters=0,
        parameter_bytes=summary.MICROBIT_FLASH,
        macs=0,
        arena_bytes=summary.MICROBIT_RAM,
        input_shape=(1,),
        output_shape=(1,),
    )
    assert big.fits_microbit()
    big.arena_bytes += 1
    assert not big.fits_microbit()
    assert (
        "arena at most 16,385 bytes (buffers apart; in-place layers take less): may not fit the micro:bit's "
        "16,384 bytes of RAM" in big.figures()
    )


def test_m0_ops_limit_by_hand():
    """A per-channel layer of 128 outputs: 128 x 210,000 operations x 1.25 = 33.6 M, above GCC's 2^25:
    the next power of two, 2^26. 64 outputs stay below."""
    from qpipe_tools import calibration as qc

    for channels, flags in ((128, ["-fconstexpr-ops-limit=%d" % 2**26]), (64, [])):
        block = qc.Block("pointwise", np.ones((channels, 8)), np.zeros(channels))
        s = summary.of_items([qc.Layer("pointwise", block)], (2, 2, 8))
        assert s.m0_flags == flags
